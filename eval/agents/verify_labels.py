#!/usr/bin/env python3
"""Check the labels of eval/agents/questions.jsonl against the raw Codex / Gemini logs.

Run from the repository root:

    python3 eval/agents/verify_labels.py                # fixtures from $PIPELINE_FIXTURES or ../shared/fixtures
    python3 eval/agents/verify_labels.py /path/to/fixtures

Standard library only. Exits non-zero on any problem.
"""

import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
QUESTIONS = os.path.join(HERE, "questions.jsonl")

STYLES = ("paraphrase", "why", "error", "identifier", "filename")
FORBIDDEN_CHARS = ('"', "\\", "\n", "\r", "\t")
MIN_CODEX_QUESTIONS = 30
MAX_GEMINI_QUESTIONS = 10
MIN_PARAPHRASE_SHARE = 0.40

# Files that are sanitized record-shape catalogues or whose text was redacted by
# their authors (see PROVENANCE.md): never valid answers.
SKIPPED_FILES = {
    "codex-sessions/2026/06/05/rollout-2026-06-05T04-58-20-019e9625-802f-7e91-840a-cfe88d14117a.jsonl",
    "codex-sessions/2026/08/03/rollout-2026-08-03T10-48-56-019fc8be-3658-7ca3-9e29-000000000000.jsonl",
    "gemini-tmp/0b7dfb1274ee51b336813b17f2ddab1f56b6591f723e7314126bbd502c69e9c9/chats/session-2026-04-29T21-39-gemstage0.jsonl",
    "gemini-tmp/d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042/chats/session-2026-06-05T04-59-dcbe78d3.json",
}

# Injected text that is not the user's or assistant's words.
INJECTED_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md", "<INSTRUCTIONS>")

STOP = set(
    """a an the and or but if of to in on at by for with from as is are was were be been being it its
    this that these those i me my we our you your he she they them their what which who whom when where
    why how did do does done doing have has had can could should would will shall may might must not no
    yes so than then there here about into over after before again further once all any both each few
    more most other some such only own same too very just also up down out off now us let get got make
    made ever still""".split()
)


# ---------------------------------------------------------------- decoding

def strings(value, out):
    """All string values inside value, recursively; JSON-encoded strings are decoded too."""
    if isinstance(value, str):
        out.append(value)
        s = value.strip()
        if s[:1] in "{[" and s[-1:] in "}]":
            try:
                strings(json.loads(s), out)
            except ValueError:
                pass
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "encrypted_content":
                continue
            strings(v, out)
    elif isinstance(value, list):
        for v in value:
            strings(v, out)
    return out


def load_records(path):
    """[(line, record)]: 1-based JSONL line numbers, or 0-based messages[] index for Gemini .json."""
    recs = []
    if path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                try:
                    recs.append((i, json.loads(line)))
                except ValueError:
                    continue  # a live file can end in a half-written line
    else:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        recs = list(enumerate(doc.get("messages", [])))
    return recs


def decoded(rec):
    body = rec.get("payload", rec) if isinstance(rec, dict) else rec
    return "\n".join(strings(body, []))


def content_text(rec):
    """The words of the message itself (no role / type / id fields), for the paraphrase overlap check."""
    if "payload" in rec:
        p = rec["payload"]
        t = p.get("type") if isinstance(p, dict) else None
        if t == "message":
            return "\n".join(c.get("text", "") for c in p.get("content", []))
        if t == "reasoning":
            return "\n".join(s.get("text", "") for s in p.get("summary") or [])
        if t == "function_call":
            return "\n".join(strings(p.get("arguments", ""), []))
        if t == "custom_tool_call":
            return "\n".join(strings(p.get("input", ""), []))
        if t in ("function_call_output", "custom_tool_call_output"):
            return "\n".join(strings(p.get("output", ""), []))
        return decoded(rec)
    # Gemini message
    parts = strings(rec.get("content"), [])
    for th in rec.get("thoughts") or []:
        parts += strings([th.get("subject"), th.get("description")], [])
    for tc in rec.get("toolCalls") or []:
        parts += strings([tc.get("args"), tc.get("result"), tc.get("resultDisplay")], [])
    return "\n".join(p for p in parts if p)


def label_problem(rec, sub):
    """Why this record may not be labelled (None when it may)."""
    if "payload" in rec:
        rtype = rec.get("type")
        p = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
        if rtype in ("compacted", "session_meta", "turn_context", "world_state"):
            return "record type %s is not conversation content" % rtype
        if p.get("type") == "message":
            role = p.get("role")
            if role in ("developer", "system"):
                return "developer/system instructions"
            if role == "user":
                own = [c.get("text", "") for c in p.get("content", [])
                       if not c.get("text", "").lstrip().startswith(INJECTED_PREFIXES)]
                if not any(sub in t for t in own):
                    return "substring only inside injected environment/instruction text"
        if p.get("type") == "user_message":
            msg = p.get("message", "")
            if msg.lstrip().startswith(INJECTED_PREFIXES):
                return "substring only inside injected environment/instruction text"
    return None


def words(s):
    return set(re.findall(r"[a-z0-9]+", s.lower()))


# ---------------------------------------------------------------- main

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "PIPELINE_FIXTURES", os.path.join(REPO, "..", "shared", "fixtures"))
    root = os.path.abspath(root)
    problems = []
    cache = {}

    def records(rel):
        if rel not in cache:
            cache[rel] = [(i, r, decoded(r)) for i, r in load_records(os.path.join(root, rel))]
        return cache[rel]

    questions = []
    with open(QUESTIONS, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    questions.append(json.loads(line))
                except ValueError as e:
                    problems.append("questions.jsonl line %d: bad JSON (%s)" % (n, e))

    ids = Counter(q.get("id") for q in questions)
    for qid, c in ids.items():
        if c > 1:
            problems.append("duplicate id %s" % qid)

    styles = Counter()
    first_files = Counter()
    for q in questions:
        qid = q.get("id", "?")
        for key in ("id", "style", "question", "answers", "note"):
            if key not in q:
                problems.append("%s: missing key %s" % (qid, key))
        if q.get("style") not in STYLES:
            problems.append("%s: unknown style %r" % (qid, q.get("style")))
        styles[q.get("style")] += 1
        answers = q.get("answers") or []
        if not answers:
            problems.append("%s: no answers" % qid)
            continue
        first_files[answers[0].get("file")] += 1
        for k, a in enumerate(answers):
            rel, line, sub = a.get("file", ""), a.get("line"), a.get("substring", "")
            tag = "%s answer %d" % (qid, k + 1)
            if not (rel.startswith("codex-sessions/") or rel.startswith("gemini-tmp/")):
                problems.append("%s: file %s is not a Codex or Gemini log" % (tag, rel))
                continue
            if rel in SKIPPED_FILES:
                problems.append("%s: %s is a sanitized/redacted file" % (tag, rel))
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                problems.append("%s: missing file %s" % (tag, path))
                continue
            if not isinstance(sub, str) or not 15 <= len(sub) <= 80:
                problems.append("%s: substring length %d not in 15..80" % (tag, len(sub or "")))
            if any(ch in sub for ch in FORBIDDEN_CHARS):
                problems.append("%s: substring has a forbidden character" % tag)
            recs = records(rel)
            hits = [i for i, _, t in recs if sub in t]
            target = [(r, t) for i, r, t in recs if i == line]
            if not target:
                problems.append("%s: %s has no record %r" % (tag, rel, line))
            elif sub not in target[0][1]:
                problems.append("%s: substring not in record %r of %s" % (tag, line, rel))
            else:
                why = label_problem(target[0][0], sub)
                if why:
                    problems.append("%s: record %r: %s" % (tag, line, why))
            print("%-4s %-10s %-34s rec %-4s held by %d record(s) %s  %r" % (
                qid, q.get("style"), rel.split("/")[-1][:34], line, len(hits), hits[:8], sub))
        if q.get("style") == "paraphrase" and answers:
            a = answers[0]
            recs = [r for i, r, _ in records(a["file"]) if i == a["line"]] if os.path.isfile(
                os.path.join(root, a["file"])) else []
            if recs:
                qw = {w for w in words(q.get("question", "")) if w not in STOP and len(w) > 2}
                common = qw & words(content_text(recs[0]))
                if common:
                    problems.append("%s: paraphrase shares words with its best answer: %s" % (
                        qid, ", ".join(sorted(common))))

    total = len(questions)
    codex = sum(c for f, c in first_files.items() if f and f.startswith("codex-sessions/"))
    gemini = sum(c for f, c in first_files.items() if f and f.startswith("gemini-tmp/"))
    print("\nstyles:", dict(styles), "total", total)
    print("questions per file (first answer):")
    for f, c in sorted(first_files.items()):
        print("  %3d  %s" % (c, f))
    if total and styles["paraphrase"] < MIN_PARAPHRASE_SHARE * total:
        problems.append("paraphrase share %d/%d below %.0f%%" % (
            styles["paraphrase"], total, 100 * MIN_PARAPHRASE_SHARE))
    if codex < MIN_CODEX_QUESTIONS:
        problems.append("only %d Codex questions (minimum %d)" % (codex, MIN_CODEX_QUESTIONS))
    if gemini > MAX_GEMINI_QUESTIONS:
        problems.append("%d Gemini questions (maximum %d)" % (gemini, MAX_GEMINI_QUESTIONS))
    for style in STYLES:
        if styles[style] == 0:
            problems.append("no %s question" % style)

    if problems:
        print("\nPROBLEMS (%d):" % len(problems))
        for p in problems:
            print("  " + p)
        return 1
    print("\nall %d questions OK" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
