#!/usr/bin/env python3
"""Check the labels of the held-out question set (questions.jsonl next to this file)
against the raw Claude Code / Codex CLI / Gemini CLI transcripts.

Usage:
    python3 verify_labels.py                    # fixtures from $PIPELINE_FIXTURES or /work/shared/fixtures
    python3 verify_labels.py /path/to/fixtures  # the directory holding claude-projects/, codex-sessions/, gemini-tmp/

Standard library only. Prints every problem and exits non-zero if there is any.

For every answer it checks that the file exists; for Claude Code answers that a line
with that uuid exists (and, if given, that it is on the given line number); for Codex /
Gemini answers that the record with that line number (JSONL, 1-based) or messages[]
index (Gemini .json, 0-based) exists; that the substring has 15-80 allowed characters
and occurs in the decoded text of that message; and that the message may be labelled
(no compaction-log lines other than isMeta hook feedback, no sanitized or redacted
files, no developer/system instructions, no injected environment/AGENTS.md text, no
`compacted` / session_meta / turn_context records). It also checks the keys, unique
ids, the style counts, the agent split, at most 10 questions per file, the
[hook-feedback] tag, and that every paraphrase question shares no word with its best
answer (exact words, a crude stemmer and a 5-letter prefix match; stop words and words
of fewer than 3 letters ignored).
"""

import collections
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUESTIONS = os.path.join(HERE, "questions.jsonl")

STYLE_COUNTS = {"paraphrase": 20, "why": 8, "error": 8, "identifier": 6, "filename": 6}
TOTAL = 48
AGENT_COUNTS = {"claude": 24, "codex": 16, "gemini": 8}
MAX_PER_FILE = 10
HOOK_TAG = "[hook-feedback]"
FORBIDDEN_CHARS = ('"', "\\", "\n", "\r", "\t")

SKIPPED_FILES = {
    "codex-sessions/2026/06/05/rollout-2026-06-05T04-58-20-019e9625-802f-7e91-840a-cfe88d14117a.jsonl",
    "codex-sessions/2026/08/03/rollout-2026-08-03T10-48-56-019fc8be-3658-7ca3-9e29-000000000000.jsonl",
    "gemini-tmp/0b7dfb1274ee51b336813b17f2ddab1f56b6591f723e7314126bbd502c69e9c9/chats/session-2026-04-29T21-39-gemstage0.jsonl",
    "gemini-tmp/d30f91067027d10192e4aed3e7b03fecf08089dd3370f047f14f38b1845c8042/chats/session-2026-06-05T04-59-dcbe78d3.json",
    # no message lines at all
    "claude-projects/-home-user-episodic-memory/medium-conversation.jsonl",
}
INJECTED_PREFIXES = ("<environment_context>", "<user_instructions>", "# AGENTS.md", "<INSTRUCTIONS>")

STOP = set(
    """a an the and or but if of to in on at by for with from as is are was were be been being it its
    this that these those i me my we our you your he she they them their what which who whom when where
    why how did do does done doing have has had can could should would will shall may might must not no
    yes so than then there here about into over after before again further once all any both each few
    more most other some such only own same too very just also up down out off now us let get got make
    made ever still""".split()
)


# ------------------------------------------------------------------ decoding

def claude_strings(x, out):
    """All string values, recursively (Claude Code: message.content)."""
    if isinstance(x, str):
        out.append(x)
    elif isinstance(x, list):
        for i in x:
            claude_strings(i, out)
    elif isinstance(x, dict):
        for v in x.values():
            claude_strings(v, out)
    return out


def agent_strings(value, out):
    """All string values, recursively; strings that are themselves JSON are decoded too (Codex / Gemini)."""
    if isinstance(value, str):
        out.append(value)
        s = value.strip()
        if s[:1] in "{[" and s[-1:] in "}]":
            try:
                agent_strings(json.loads(s), out)
            except ValueError:
                pass
    elif isinstance(value, dict):
        for k, v in value.items():
            if k == "encrypted_content":
                continue
            agent_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            agent_strings(v, out)
    return out


def agent_of(rel):
    if rel.startswith("claude-projects/"):
        return "claude"
    if rel.startswith("codex-sessions/"):
        return "codex"
    if rel.startswith("gemini-tmp/"):
        return "gemini"
    return None


def load(path, agent):
    """{key: (line, record, decoded_text)}; key is the uuid for Claude Code, else the line / index."""
    recs = {}
    if agent == "claude":
        with open(path, encoding="utf-8") as fh:
            for i, raw in enumerate(fh, 1):
                raw = raw.strip()
                if not raw:
                    continue
                d = json.loads(raw)
                if "uuid" not in d:
                    continue
                m = d.get("message")
                text = "\n".join(claude_strings(m.get("content"), [])) if isinstance(m, dict) else ""
                recs[d["uuid"]] = (i, d, text)
    elif path.endswith(".jsonl"):
        with open(path, encoding="utf-8") as fh:
            for i, raw in enumerate(fh, 1):
                try:
                    d = json.loads(raw)
                except ValueError:
                    continue  # a live file can end in a half-written line
                body = d.get("payload", d) if isinstance(d, dict) else d
                recs[i] = (i, d, "\n".join(agent_strings(body, [])))
    else:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        for i, m in enumerate(doc.get("messages", [])):
            recs[i] = (i, m, "\n".join(agent_strings(m, [])))
    return recs


def content_text(agent, rec, decoded):
    """The words of the message itself, for the paraphrase overlap check."""
    if agent == "claude":
        return decoded
    if "payload" in rec:
        p = rec["payload"]
        t = p.get("type") if isinstance(p, dict) else None
        if t == "message":
            return "\n".join(c.get("text", "") for c in p.get("content", []))
        if t == "reasoning":
            return "\n".join(s.get("text", "") for s in p.get("summary") or [])
        if t == "function_call":
            return "\n".join(agent_strings(p.get("arguments", ""), []))
        if t == "custom_tool_call":
            return "\n".join(agent_strings(p.get("input", ""), []))
        if t in ("function_call_output", "custom_tool_call_output"):
            return "\n".join(agent_strings(p.get("output", ""), []))
        return decoded
    parts = agent_strings(rec.get("content"), [])
    for th in rec.get("thoughts") or []:
        parts += agent_strings([th.get("subject"), th.get("description")], [])
    for tc in rec.get("toolCalls") or []:
        parts += agent_strings([tc.get("args"), tc.get("result"), tc.get("resultDisplay")], [])
    return "\n".join(p for p in parts if p)


def label_problem(agent, rel, rec, sub):
    """Why this message may not be labelled (None when it may)."""
    if agent == "claude":
        if "/subagents/agent-acompact" in "/" + rel and not rec.get("isMeta"):
            return "compaction-log line that is not isMeta hook feedback"
        if rec.get("type") not in ("user", "assistant"):
            return "not a user/assistant message line"
        return None
    if agent == "codex":
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
        if p.get("type") == "user_message" and p.get("message", "").lstrip().startswith(INJECTED_PREFIXES):
            return "substring only inside injected environment/instruction text"
    return None


def is_hook_feedback(agent, rec, text):
    return (agent == "claude" and bool(rec.get("isMeta"))
            and ("hook additional context" in text or "Stop hook feedback" in text))


# ------------------------------------------------------------------ paraphrase overlap

SUFFIXES = ("ingly", "edly", "ings", "ions", "ment", "ing", "ies", "ied", "ers", "ion", "er", "ed", "es", "ly", "s")


def stem(w):
    for suf in SUFFIXES:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            return w[: -len(suf)]
    return w


def words(s):
    return set(re.findall(r"[a-z0-9]+", s.lower()))


def overlap(question, answer_text):
    qw = {w for w in words(question) if w not in STOP and len(w) > 2}
    aw = {w for w in words(answer_text) if len(w) > 2}
    exact = qw & aw
    astems = {stem(w) for w in aw}
    stems = {w for w in qw - exact if stem(w) in astems}
    aprefix = {w[:5] for w in aw if len(w) >= 5}
    prefix = {w for w in qw - exact - stems if len(w) >= 5 and w[:5] in aprefix}
    return exact, stems, prefix


# ------------------------------------------------------------------ main

def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PIPELINE_FIXTURES", "/work/shared/fixtures")
    root = os.path.abspath(root)
    if not os.path.isdir(os.path.join(root, "claude-projects")):
        sys.exit("fixtures dir not found (no claude-projects/ in %s)" % root)

    problems = []
    cache = {}

    def records(rel, agent):
        if rel not in cache:
            cache[rel] = load(os.path.join(root, rel), agent)
        return cache[rel]

    questions = []
    with open(QUESTIONS, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                questions.append(json.loads(line))
            except ValueError as e:
                problems.append("questions.jsonl line %d: bad JSON (%s)" % (n, e))

    for qid, c in collections.Counter(q.get("id") for q in questions).items():
        if c > 1:
            problems.append("duplicate id %s" % qid)

    styles = collections.Counter()
    first_files = collections.Counter()
    agents = collections.Counter()
    for q in questions:
        qid = q.get("id", "?")
        for key in ("id", "style", "question", "answers", "note"):
            if key not in q:
                problems.append("%s: missing key %s" % (qid, key))
        style = q.get("style")
        if style not in STYLE_COUNTS:
            problems.append("%s: unknown style %r" % (qid, style))
        styles[style] += 1
        answers = q.get("answers") or []
        if not answers:
            problems.append("%s: no answers" % qid)
            continue
        first_ok_hook = False
        for k, a in enumerate(answers):
            rel, sub = a.get("file", ""), a.get("substring", "")
            tag = "%s answer %d (%s)" % (qid, k + 1, rel.split("/")[-1])
            agent = agent_of(rel)
            if agent is None:
                problems.append("%s: file %s is not under claude-projects/, codex-sessions/ or gemini-tmp/" % (tag, rel))
                continue
            if rel in SKIPPED_FILES:
                problems.append("%s: %s is a sanitized/redacted/empty file" % (tag, rel))
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                problems.append("%s: missing file %s" % (tag, path))
                continue
            if not isinstance(sub, str) or not 15 <= len(sub) <= 80:
                problems.append("%s: substring length %d not in 15..80" % (tag, len(sub or "")))
            if any(ch in sub for ch in FORBIDDEN_CHARS):
                problems.append("%s: substring has a forbidden character" % tag)
            recs = records(rel, agent)
            if agent == "claude":
                uuid = a.get("uuid")
                if not uuid:
                    problems.append("%s: Claude Code answer without uuid" % tag)
                    continue
                if uuid not in recs:
                    problems.append("%s: uuid %s not found" % (tag, uuid))
                    continue
                line, rec, text = recs[uuid]
                if "line" in a and a["line"] != line:
                    problems.append("%s: uuid %s is on line %d, not %r" % (tag, uuid, line, a["line"]))
            else:
                if "uuid" in a:
                    problems.append("%s: Codex/Gemini answers carry no uuid" % tag)
                key = a.get("line")
                if key not in recs:
                    problems.append("%s: no record %r" % (tag, key))
                    continue
                line, rec, text = recs[key]
            if sub not in text:
                problems.append("%s: substring %r not in the decoded text of line %s" % (tag, sub, line))
                continue
            why = label_problem(agent, rel, rec, sub)
            if why:
                problems.append("%s: line %s: %s" % (tag, line, why))
            if k == 0:
                first_files[rel] += 1
                agents[agent] += 1
                first_ok_hook = is_hook_feedback(agent, rec, text)
                if style == "paraphrase":
                    ex, st, pre = overlap(q.get("question", ""), content_text(agent, rec, text))
                    if ex or st or pre:
                        problems.append("%s: paraphrase shares words with its best answer: exact=%s stem=%s prefix=%s"
                                        % (qid, sorted(ex), sorted(st), sorted(pre)))
        if HOOK_TAG in q.get("note", ""):
            if style != "error":
                problems.append("%s: %s tag on a non-error question" % (qid, HOOK_TAG))
            elif not first_ok_hook:
                problems.append("%s: tagged %s but the first answer is not an isMeta hook-feedback line" % (qid, HOOK_TAG))

    total = len(questions)
    if total != TOTAL:
        problems.append("%d questions (expected %d)" % (total, TOTAL))
    for s, n in STYLE_COUNTS.items():
        if styles[s] != n:
            problems.append("style %s: %d questions (expected %d)" % (s, styles[s], n))
    for a, n in AGENT_COUNTS.items():
        if agents[a] != n:
            problems.append("%s: %d questions by first answer (expected %d)" % (a, agents[a], n))
    for f, c in first_files.items():
        if c > MAX_PER_FILE:
            problems.append("file %s: %d questions (> %d)" % (f, c, MAX_PER_FILE))

    print("questions: %d" % total)
    print("per style: " + ", ".join("%s=%d" % (s, styles[s]) for s in STYLE_COUNTS))
    print("per agent (first answer): " + ", ".join("%s=%d" % (a, agents[a]) for a in AGENT_COUNTS))
    print("per file (first answer):")
    for f, c in sorted(first_files.items(), key=lambda x: (-x[1], x[0])):
        print("  %3d  %s" % (c, f))
    if problems:
        print("\n%d PROBLEM(S):" % len(problems))
        for p in problems:
            print("  " + p)
        return 1
    print("\nall %d questions OK" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
