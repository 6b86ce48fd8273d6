#!/usr/bin/env python3
"""Verify the labels of eval/questions.jsonl against the raw transcripts.

Usage: python3 eval/verify_labels.py [FIXTURES_DIR]

FIXTURES_DIR defaults to ../shared/fixtures (tried relative to the current
directory, then relative to the repository root).  It may point either at the
fixtures directory (containing claude-projects/) or at claude-projects/ itself.

For every answer (file, uuid, substring) the script loads the file, finds the
line with that uuid, decodes its content to text (all string values inside
message.content, recursively - text blocks, thinking, tool_result content,
tool_use input values) and checks that the substring occurs there.  It also
checks the format rules of the set (ids, styles, substring length/characters,
minimum counts per style, hook-feedback and tool-result-tail error questions,
every file with message lines covered at least twice).

Exit status is non-zero if any label or rule is violated.
"""
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
QUESTIONS = os.path.join(HERE, "questions.jsonl")

STYLE_MIN = {"paraphrase": 28, "why": 8, "error": 10, "identifier": 8, "filename": 6}
MIN_TOTAL = 66
MIN_HOOK_ERRORS = 3
MIN_TAIL_ERRORS = 3
TAIL_OFFSET = 2000
HOOK_TAG = "[hook-feedback]"
TAIL_TAG = "[tool-result-tail]"


def resolve_root(arg):
    cands = []
    if os.path.isabs(arg):
        cands.append(arg)
    else:
        cands += [os.path.abspath(arg), os.path.join(REPO, arg)]
    for c in cands:
        if os.path.isdir(os.path.join(c, "claude-projects")):
            return os.path.join(c, "claude-projects")
        if os.path.isdir(c) and os.path.basename(os.path.normpath(c)) == "claude-projects":
            return c
    sys.exit("fixtures dir not found: %s (tried %s)" % (arg, ", ".join(cands)))


def strings(x, out):
    if isinstance(x, str):
        out.append(x)
    elif isinstance(x, list):
        for i in x:
            strings(i, out)
    elif isinstance(x, dict):
        for v in x.values():
            strings(v, out)
    return out


def decode(msg_line):
    m = msg_line.get("message")
    if not isinstance(m, dict):
        return ""
    return "\n".join(strings(m.get("content"), []))


def tool_result_texts(msg_line):
    m = msg_line.get("message")
    c = m.get("content") if isinstance(m, dict) else None
    res = []
    if isinstance(c, list):
        for b in c:
            if isinstance(b, dict) and b.get("type") == "tool_result":
                res.append("\n".join(strings(b.get("content"), [])))
    return res


def is_hook_feedback(msg_line, text):
    if not msg_line.get("isMeta"):
        return False
    return ("hook additional context" in text) or ("Stop hook feedback" in text)


def is_compaction_log(rel):
    return "/subagents/agent-acompact" in "/" + rel


def main():
    root = resolve_root(sys.argv[1] if len(sys.argv) > 1 else "../shared/fixtures")
    cache = {}

    def load(rel):
        if rel not in cache:
            path = os.path.join(root, rel)
            idx = {}
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    for raw in fh:
                        raw = raw.strip()
                        if not raw:
                            continue
                        d = json.loads(raw)
                        if "uuid" in d:
                            idx[d["uuid"]] = d
            else:
                idx = None
            cache[rel] = idx
        return cache[rel]

    errors = []
    ids = set()
    style_count = collections.Counter()
    file_count = collections.Counter()
    hook_errors = tail_errors = 0
    n = 0

    with open(QUESTIONS, encoding="utf-8") as fh:
        rows = [l for l in fh if l.strip()]

    for lineno, raw in enumerate(rows, 1):
        try:
            q = json.loads(raw)
        except ValueError as e:
            errors.append("line %d: invalid JSON: %s" % (lineno, e))
            continue
        n += 1
        qid = q.get("id", "line%d" % lineno)
        for key in ("id", "style", "question", "answers", "note"):
            if key not in q:
                errors.append("%s: missing key %s" % (qid, key))
        if qid in ids:
            errors.append("%s: duplicate id" % qid)
        ids.add(qid)
        style = q.get("style")
        if style not in STYLE_MIN:
            errors.append("%s: unknown style %r" % (qid, style))
        style_count[style] += 1
        answers = q.get("answers") or []
        if not answers:
            errors.append("%s: no answers" % qid)
            continue
        note = q.get("note", "")
        first_ok_tail = first_ok_hook = False
        for k, a in enumerate(answers):
            rel, uuid, sub = a.get("file"), a.get("uuid"), a.get("substring")
            tag = "%s answer %d (%s %s)" % (qid, k, rel, uuid)
            if not isinstance(sub, str) or not (15 <= len(sub) <= 80):
                errors.append("%s: substring length %s not in 15..80" % (tag, len(sub or "")))
                continue
            bad = [c for c in ('"', "\\", "\n", "\t") if c in sub]
            if bad:
                errors.append("%s: substring contains forbidden chars %r" % (tag, bad))
            idx = load(rel)
            if idx is None:
                errors.append("%s: file not found" % tag)
                continue
            line = idx.get(uuid)
            if line is None:
                errors.append("%s: uuid not found in file" % tag)
                continue
            text = decode(line)
            if sub not in text:
                errors.append("%s: substring %r not in decoded text" % (tag, sub))
                continue
            if is_compaction_log(rel) and not line.get("isMeta"):
                errors.append("%s: compaction-log line that is not hook feedback" % tag)
            if k == 0:
                file_count[rel] += 1
                if is_hook_feedback(line, text):
                    first_ok_hook = True
                for tr in tool_result_texts(line):
                    pos = tr.find(sub)
                    if len(tr) > TAIL_OFFSET and pos >= TAIL_OFFSET:
                        first_ok_tail = True
        if HOOK_TAG in note:
            if style != "error":
                errors.append("%s: %s tag on a non-error question" % (qid, HOOK_TAG))
            elif not first_ok_hook:
                errors.append("%s: tagged %s but first answer is not a hook-feedback line" % (qid, HOOK_TAG))
            else:
                hook_errors += 1
        if TAIL_TAG in note:
            if style != "error":
                errors.append("%s: %s tag on a non-error question" % (qid, TAIL_TAG))
            elif not first_ok_tail:
                errors.append("%s: tagged %s but substring is not past offset %d of a tool result longer than %d chars"
                              % (qid, TAIL_TAG, TAIL_OFFSET, TAIL_OFFSET))
            else:
                tail_errors += 1

    if n < MIN_TOTAL:
        errors.append("only %d questions (< %d)" % (n, MIN_TOTAL))
    for s, m in STYLE_MIN.items():
        if style_count[s] < m:
            errors.append("style %s: %d questions (< %d)" % (s, style_count[s], m))
    if hook_errors < MIN_HOOK_ERRORS:
        errors.append("only %d hook-feedback error questions (< %d)" % (hook_errors, MIN_HOOK_ERRORS))
    if tail_errors < MIN_TAIL_ERRORS:
        errors.append("only %d tool-result-tail error questions (< %d)" % (tail_errors, MIN_TAIL_ERRORS))

    # every transcript with message lines must be the primary target of >= 2 questions
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".jsonl"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), root)
            idx = load(rel)
            has_msgs = any(decode(d).strip() for d in idx.values()) if idx else False
            if has_msgs and file_count[rel] < 2:
                errors.append("file %s: only %d questions (< 2)" % (rel, file_count[rel]))

    print("questions: %d" % n)
    print("per style: " + ", ".join("%s=%d" % (s, style_count[s]) for s in STYLE_MIN))
    print("error questions on hook feedback: %d, on tool-result tails: %d" % (hook_errors, tail_errors))
    print("per file (first answer):")
    for rel, c in sorted(file_count.items(), key=lambda x: -x[1]):
        print("  %3d  %s" % (c, rel))
    if errors:
        print("\n%d PROBLEM(S):" % len(errors))
        for e in errors:
            print("  " + e)
        sys.exit(1)
    print("all labels OK")


if __name__ == "__main__":
    main()
