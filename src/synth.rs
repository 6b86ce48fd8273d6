//! Seeded generator of synthetic Claude Code transcript corpora, for benchmarks, scale and crash
//! tests and demo data.
//!
//! Output mirrors `~/.claude/projects/<project-dir>/<session>.jsonl` (plus
//! `<session>/subagents/agent-<id>.jsonl`) and the line mix of real 2.1.x files (see
//! `shared/notes/transcript-format.md` §2-4): ~70% `progress` lines (hook and bash progress,
//! chained in the `parentUuid` tree); human prompts (questions with exact error strings, file
//! names and identifiers; feedback such as "that works, thanks"); assistant responses streamed
//! one content block per line under a shared `message.id`/`requestId`, sometimes with a tool
//! result between two of its lines; tool calls with matching `toolUseResult`s; long code answers
//! and tool outputs; base64 images; snapshots, queue operations, system lines, compaction
//! (boundary + `isCompactSummary`), `isMeta` and command-wrapper lines, synthetic API-error
//! lines, `summary` headers and subagent files.
//!
//! Everything derives from a splitmix64 stream, so a seed always yields the same bytes. The
//! [`SynthManifest`] returned by [`generate`] counts what a correct parser should extract.

use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthSpec {
    pub seed: u64,
    /// Approximate total size of all files; generation stops adding sessions once reached.
    pub target_bytes: u64,
    /// Number of project directories to spread sessions over (>= 1).
    pub projects: usize,
    /// Approximate lines per main session file (the real big session has ~1500); vary +-50% per
    /// session.
    pub lines_per_session: usize,
}

impl SynthSpec {
    /// About 1.5 MB over 3 projects, ~300 lines per session.
    pub fn small(seed: u64) -> Self {
        let (target_bytes, projects, lines_per_session) = (1_500_000, 3, 300);
        SynthSpec {
            seed,
            target_bytes,
            projects,
            lines_per_session,
        }
    }
}

/// What was generated: ground truth for tests.
#[derive(Debug, Clone, Default)]
pub struct SynthManifest {
    pub files: Vec<PathBuf>,
    pub total_bytes: u64,
    pub total_lines: u64,
    /// User lines that are real prompts (not tool results, not isMeta, not compact summaries, not
    /// `<command-...>` wrappers or interruption notices); a subagent file's opening prompt counts
    /// too.
    pub human_prompts: u64,
    /// Distinct assistant `message.id` values (excluding synthetic error lines).
    pub assistant_messages: u64,
    /// User lines carrying tool_result blocks.
    pub tool_results: u64,
    /// `isCompactSummary` user lines.
    pub compact_summaries: u64,
    /// progress + file-history-snapshot + queue-operation + system + summary lines.
    pub noise_lines: u64,
}

impl SynthManifest {
    fn write(&mut self, path: PathBuf, c: &Ctx) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &c.out)?;
        self.files.push(path);
        self.total_bytes += c.out.len() as u64;
        self.total_lines += c.m.total_lines;
        self.human_prompts += c.m.human_prompts;
        self.assistant_messages += c.m.assistant_messages;
        self.tool_results += c.m.tool_results;
        self.compact_summaries += c.m.compact_summaries;
        self.noise_lines += c.m.noise_lines;
        Ok(())
    }
}

/// Writes the corpus under `root` (creating project dirs); returns the manifest.
pub fn generate(root: &Path, spec: &SynthSpec) -> std::io::Result<SynthManifest> {
    let mut rng = Rng::new(spec.seed ^ 0x5EED_C0DE_0000_0001);
    let names: Vec<&str> = PROJECTS.split('|').collect();
    let first = rng.below(names.len());
    let mut man = SynthManifest::default();
    let (mut main_lines, mut index) = (0u64, 0u64);
    while man.total_bytes < spec.target_bytes {
        // Size sessions to the remaining budget, so the total lands near the target.
        let per_line = man
            .total_bytes
            .checked_div(main_lines)
            .unwrap_or(1500)
            .max(200);
        let fit = ((spec.target_bytes - man.total_bytes) / per_line) as usize;
        let lines = spec.lines_per_session.max(20) * rng.range(50, 150) / 100;
        let p = rng.below(spec.projects.max(1));
        let name = names.get((first + p) % names.len()).unwrap_or(&"proj");
        let cwd = match p / names.len() {
            0 => format!("/home/user/projects/{name}"),
            round => format!("/home/user/projects/{name}-{round}"),
        };
        let c = Ctx::session(spec.seed, index, &cwd, lines.min(fit.max(20)));
        let dir = root.join(project_dir_name(&cwd));
        main_lines += c.m.total_lines;
        man.write(dir.join(format!("{}.jsonl", c.sid)), &c)?;
        for s in &c.subs {
            let name = format!("agent-{}.jsonl", s.agent.as_deref().unwrap_or("a"));
            man.write(dir.join(&c.sid).join("subagents").join(name), s)?;
        }
        index += 1;
    }
    Ok(man)
}

/// Renders one session as JSONL bytes (the building block of `generate`), for tests that need to
/// append to or split a file: `session_index` makes ids unique.
pub fn session_bytes(seed: u64, session_index: u64, project_cwd: &str, lines: usize) -> Vec<u8> {
    Ctx::session(seed, session_index, project_cwd, lines).out
}

/// `/home/user/projects/x` -> `-home-user-projects-x`, as Claude Code names project directories.
fn project_dir_name(cwd: &str) -> String {
    let keep = |c: char| c.is_ascii_alphanumeric() || c == '-';
    cwd.chars().map(|c| if keep(c) { c } else { '-' }).collect()
}

// ---------------------------------------------------------------------------- PRNG, ids, time

/// splitmix64: small, fast and deterministic (also used by the benchmarks).
#[derive(Default)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut r = Rng(seed);
        r.next_u64();
        r
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }
    fn ms(&mut self, lo: usize, hi: usize) -> u64 {
        self.range(lo, hi) as u64
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
    /// A random entry of a `|`-separated list (longer entries are slightly likelier; fine here).
    fn word(&mut self, list: &'static str) -> &'static str {
        let b = list.as_bytes();
        let p = self.below(b.len());
        let (head, tail) = b.split_at(p.min(b.len()));
        let start = head.iter().rposition(|&c| c == b'|').map_or(0, |i| i + 1);
        let end = tail
            .iter()
            .position(|&c| c == b'|')
            .map_or(b.len(), |i| p + i);
        list.get(start..end).unwrap_or("")
    }
    /// A random entry of `list` with its `{x}` slots filled.
    fn say(&mut self, list: &'static str) -> String {
        let t = self.word(list);
        fill(self, t)
    }
    fn uuid(&mut self) -> String {
        let a = (self.next_u64() & 0xFFFF_FFFF_FFFF_0FFF) | 0x4000;
        let b = (self.next_u64() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let (a1, a2, a3) = (a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF);
        let (b1, b2) = (b >> 48, b & 0xFFFF_FFFF_FFFF);
        format!("{a1:08x}-{a2:04x}-{a3:04x}-{b1:04x}-{b2:012x}")
    }
    fn token(&mut self, prefix: &str, n: usize) -> String {
        const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = prefix.to_string();
        s.extend((0..n).map(|_| char::from(B62[self.below(62)])));
        s
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }
}

/// 2025-06-01T00:00:00Z.
const BASE_MS: u64 = 1_748_736_000_000;

/// Epoch milliseconds as `2026-02-12T16:02:23.545Z`.
fn iso(ms: u64) -> String {
    let secs = ms / 1000;
    let z = (secs / 86_400) as i64 + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let (h, mi, s, milli) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60, ms % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}Z")
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |n: u32| char::from(T[(n & 63) as usize]);
    let mut s = String::with_capacity(bytes.len() * 4 / 3 + 4);
    for ch in bytes.chunks(3) {
        let b = |i: usize| u32::from(ch.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        s.push(sym(n >> 18));
        s.push(sym(n >> 12));
        s.push(if ch.len() > 1 { sym(n >> 6) } else { '=' });
        s.push(if ch.len() > 2 { sym(n) } else { '=' });
    }
    s
}

/// Longest prefix of `s` of at most `max` bytes, cut on a char boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

// ---------------------------------------------------------------------------- vocabulary
// `|`-separated lists; `{x}` slots are expanded by `fill`.

const VERBS: &str = "parse|load|flush|resolve|merge|encode|decode|spawn|retry|index|fetch|render|\
validate|normalize|compact|hydrate|serialize|schedule|dispatch|evict|rebuild|scan|split|lookup|\
emit|commit|rollback|migrate|refresh|batch|embed|chunk|dedupe|prune|rotate|drain|poll|sync|apply|\
collect";
const NOUNS: &str = "header|chunk|session|token|record|buffer|cursor|offset|checkpoint|manifest|\
payload|embedding|vector|segment|shard|config|request|response|handler|queue|worker|cache|index|\
snapshot|transcript|message|block|schema|row|batch|frame|entry|path|span|lease|watermark|tenant|\
invoice|user|order|metric|job|event|socket|pool|model|tree|node|edge|digest";
const ADJS: &str = "Pending|Shared|Raw|Lazy|Async|Bounded|Stale|Dirty|Merged|Cached|Remote|Local|\
Atomic|Partial|Sparse|Ordered|Frozen|Scoped|Typed|Pooled";
const TECH: &str = "tokio runtime|sled tree|serde flatten|HNSW index|async channel|Arc<Mutex<_>>|\
trait object|GIL|asyncio event loop|useEffect cleanup|SQLite WAL mode|Postgres advisory lock|\
Docker layer cache|GitHub Actions matrix|ONNX runtime|cosine similarity|bincode encoding|mmap|\
fsync|inotify watcher|LiveView socket|Ecto changeset|GenServer state|CORS preflight|JWT refresh|\
rate limiter";
const MODS: &str = "serde_json|tokio|pydantic|numpy|fastembed|sled|reqwest|axum|sqlx|requests|\
httpx|torch|ecto|phoenix|react-query|clap|hyper|rayon|pandas|fastapi|vitest|prisma|lancedb|tantivy";
const DIRS: &str = "src|src/store|src/stages|src/transcript|src/cli|lib/app|app/models|\
app/services|tests|scripts|web/src/components|web/src/hooks|internal/server|pkg/api|\
crates/core/src|benches";
const EXTS: &str = "rs|rs|py|ts|tsx";
const PROJECTS: &str = "spotter|ledger-api|pipeline|web-dashboard|ml-service|infra|docs-site|\
mobile-app|billing|search-engine";
const MODELS: &str = "claude-opus-4-6|claude-sonnet-4-5-20250929|claude-opus-4-5-20251101";
const VERSIONS: &str = "2.0.76|2.1.14|2.1.38|2.1.39|2.1.42";
const SLUGS: &str = "radiant|floating|music|dazzling|imagining|steady|stirring|dragon|expressive|\
chasing|pie|delegated|marinating|toast|quiet|wandering|harbor|lucky|humming|falcon";
const PRE_HOOKS: &str = "cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./guardian.ts|\
${CLAUDE_PLUGIN_ROOT}/scripts/pre-tool-capture.sh|\
${CLAUDE_PLUGIN_ROOT}/scripts/pre-commit-check.sh|$HOME/.claude/hooks/audit-log.sh";
const POST_HOOKS: &str = "${CLAUDE_PLUGIN_ROOT}/scripts/post-tool-capture.sh|callback|\
${CLAUDE_PLUGIN_ROOT}/scripts/tool-call-capture.sh|$HOME/.claude/hooks/tmux-waiting.sh mark|cd \
${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./dist/post-edit-check.js";
const ERRORS: &str = "error[E0502]: cannot borrow `{v}` as mutable because it is also borrowed as \
immutable|error[E0308]: mismatched types: expected `{I}`, found `Option<{I}>`|error[E0425]: \
cannot find value `{i}` in this scope|thread 'main' panicked at {f}:{n}:{n}:\ncalled \
`Result::unwrap()` on an `Err` value: {I}Error|TypeError: Cannot read properties of undefined \
(reading '{v}')|ModuleNotFoundError: No module named '{m}'|KeyError: '{v}_id'|\
sqlite3.OperationalError: database is locked|Error: connect ECONNREFUSED 127.0.0.1:{p}|error: \
failed to run custom build command for `{m} v0.{n}.0`|FAILED tests/test_{i}.py::test_{i} - \
AssertionError: assert {n} == {n}|** (KeyError) key :{v} not found in: %{}|panic: runtime error: \
index out of range [{n}] with length {n}|Error: EACCES: permission denied, open '{f}'|\
RuntimeError: Task <Task pending name='{i}'> got Future attached to a different loop|fatal: not a \
git repository (or any of the parent directories): .git|error: could not compile `{m}` (lib) due \
to {n} previous errors";
/// `kind;command;description`; kinds: T tests, B build, G status, L log, D ls, R grep, X logs.
const CMDS: &str = "T;cargo test {i};Run {i} tests|T;cargo test -p {m} -- --nocapture;Run {m} \
tests|B;cargo build --release;Build release binary|B;cargo clippy --all-targets -- -D \
warnings;Run clippy|G;git status --short;Show working tree status|L;git log --oneline -n {n};Show \
recent commits|T;pytest tests/test_{i}.py -x -q;Run {i} tests|T;npx vitest run {i};Run frontend \
tests for {i}|D;ls -la {d};List {d}|R;rg -n \"{i}\" {d};Find usages of {i}|B;make {i};Run make \
target {i}|X;docker compose logs --tail {n} {v};Show {v} service logs|X;curl -s \
localhost:{p}/health;Check health";
const PROMPTS: &str = "Why does `{i}` in {f} return an empty list when the {v} is stale?|I'm \
getting `{e}` when I run `{c}`. Any idea what's going on?|Can you refactor {I} in {f} so that {i} \
no longer holds the lock across the await?|Add a test for {i} that covers a {v} of {n} bytes.|How \
should I structure the {t} for {I}? Right now {f} does everything.|The {v} handling in {f} line \
{n} looks wrong, {i} is called twice. Can you check?|run the tests and fix whatever fails in {d}|\
Please implement {i} in {f}: it should take a {I} and return the {v} count.|Explain how the {t} \
interacts with the {t} in {f}.|Getting this after the last change:\n\n```\n{e}\n```\n\nWhat \
broke?|Can we make {i} faster? It takes {n}ms per {v} on the benchmark.|Is it safe to call {i} \
from multiple threads, given the {t}?|Rename {I} to {I} everywhere and update the docs.|CI fails \
on the {t} job, the log says `{e}`. fix it|Write a migration that adds a `{v}_id` column to the \
{v}s table.|What's the difference between {i} and {i} in {f}?|bump {m} to the latest version and \
fix the breaking changes|the {v} counter in {I} overflows after {n} iterations, fix it|add \
structured logging to {i} with the {v} id and elapsed ms|Port {f} from Python to Rust, keep the \
public API of {I}.|why is `{c}` so slow? it used to finish in {n}ms|Review {f} for race \
conditions around the {t}.|The {I} endpoint returns 500 with `{e}` in the logs, investigate";
const CONTEXT: &str = "This started after we switched to the {t}.|It only happens with more than \
{n} {v}s.|I already tried restarting the {v} worker.|The same code works on main.|Keep the change \
small, it goes into the {m} upgrade PR.|Don't touch {f}, another branch rewrites it.";
const SAYS: &str = "The problem is in `{i}`: it reads the {v} before `{i}` has flushed it.|I'll \
update {f} so that `{I}` owns the {v} instead of borrowing it.|This happens because the {t} drops \
the {v} when the task is cancelled.|All {n} tests pass now.|The fix moves the call to `{i}` out \
of the loop, which removes {n} redundant allocations.|The error `{e}` comes from {f} line {n}.|\
Next, I'll check how {f} handles an empty {v}.|There are two options: make `{i}` idempotent, or \
guard it with the {t}.|I added a regression test, `test_{i}`, in {f}.|Note that `{I}::{i}` is now \
`pub(crate)`; nothing outside the module used it.|The benchmark went from {n}ms to {n}ms per {v}.|\
`{i}` was called with a stale {v}, so the {t} never saw the update.|I kept the signature of \
`{I}`, so callers in {d} need no edits.|The {m} upgrade changed `{i}` to return a `{I}` instead \
of a {v}.|The root cause is a missing `await` in `{i}`, so the {v} was dropped early.|I replaced \
the manual retry loop with `{i}`, which backs off up to {n}ms.|The {v} table now has an index on \
`{v}_id`, which fixes the slow query.|Running `{c}` confirms the fix.|This is safe because `{I}` \
is only mutated behind the {t}.";
const THOUGHTS: &str = "The user wants `{i}` fixed without touching {f}.|Let me look at {f} first \
to see how the {v} flows.|Maybe the {t} is the issue here, since `{e}` only shows up under load.|\
I should check whether `{I}` is constructed anywhere else.|The test output suggests `{i}` returns \
early when the {v} is empty.|I need to keep the public API stable, so I'll add a helper `{i}`.";
const STEPS: &str = "Let me look at {f}.|Let me run `{c}`.|I'll search for usages of `{i}`.|Now \
let me update `{i}` in {f}.|Let me check how `{I}` is built.|I'll write `{i}` in {f} now.|Let me \
verify the fix with `{c}`.|Let me check the callers of `{i}` in {d}.";
const ACKS: &str = "that works, thanks|perfect, thanks!|great, commit it|looks good|ok|thanks, \
that fixed it|yes|go ahead|lgtm, ship it|nice";
const FAILS: &str = "still failing with the same error|still failing with the same error: `{e}`|\
no, that didn't help. now I get `{e}`|tests pass but `{i}` still returns the wrong {v}|same thing \
when I run `{c}`";
const TITLES: &str = "{I} refactor and {t} fixes|Debugging `{e}` in {f}|Implement {i} for {I}|\
Speed up {i} in the {v} pipeline|Migrate {v} storage to the {t}";
const FENCES: [&str; 3] = ["rust", "python", "typescript"];
const CODE_HEAD: [&str; 3] = [
    "pub fn {i}(&mut self, {v}: &{I}) -> Result<{I}, Error> {|fn {i}({v}: {I}, limit: usize) -> \
Option<{I}> {|pub async fn {i}(&self, {v}_id: u64) -> anyhow::Result<Vec<{I}>> {",
    "def {i}(self, {v}: {I}, limit: int = {n}) -> {I}:|async def {i}({v}: {I}) -> list[{I}]:|def \
test_{i}({v}_factory):",
    "export async function {i}({v}: {I}): Promise<{I}> {|export function {i}({v}: {I}[], limit = \
{n}): {I} {",
];
const CODE_BODY: [&str; 3] = [
    "    let {v} = self.{i}(&{v})?;|    if {v}.len() > {n} {\n        return Err(Error::{I}(\"{i} \
overflow\".into()));\n    }|    tracing::debug!(len = {v}.len(), \"{i} took {n}ms\");|    for \
item in {v}.iter().take({n}) {\n        self.{i}(item)?;\n    }|    // {i}: keep the {v} sorted \
so that {i} can binary-search it|    let {v} = {I}::new({n}, &self.{v});|    \
self.{v}s.insert({v}.id(), {v}.clone());|    match self.{i}({v}).await {\n        Ok(x) => return \
Ok(x),\n        Err(err) => tracing::warn!(\"{i} failed: {err}\"),\n    }",
    "    {v} = self.{i}({v})|    if len({v}) > {n}:\n        raise {I}Error(f\"{i} failed for \
{{v}!r}\")|    logger.debug(\"{i} took %sms\", {n})|    for item in {v}[:{n}]:\n        await \
self.{i}(item)|    # {i}: keep the {v} sorted so {i} can bisect it|    {v} = \
{I}.from_dict(payload[\"{v}\"])|    assert {i}({v}) == {n}",
    "  const {v} = await {i}({v});|  if ({v}.length > {n}) {\n    throw new Error(`{i}: too many \
{v}s`);\n  }|  logger.debug('{i}', { {v} });|  for (const item of {v}.slice(0, {n})) {\n    await \
{i}(item);\n  }|  // {i}: keep the {v} sorted so {i} can binary-search it|  const {v} = new \
{I}({n});",
];
const CODE_TAIL: [&str; 3] = [
    "    Ok({v}.into())\n}",
    "    return {v}",
    "  return {v};\n}",
];

// ---------------------------------------------------------------------------- text

/// Expands `{x}` slots: i=snake ident, I=Type, v=noun, f=file, d=dir, n=number, p=port, m=module,
/// t=tech term, e=error string, c=shell command. Other braces are copied as they are.
fn fill(rng: &mut Rng, t: &str) -> String {
    let mut out = String::with_capacity(t.len() + 64);
    fill_into(rng, t, &mut out, 0);
    out
}

fn fill_into(rng: &mut Rng, t: &str, out: &mut String, depth: u8) {
    let b = t.as_bytes();
    let (mut i, mut last) = (0, 0);
    while i + 2 < b.len() {
        let key = b[i + 1];
        if b[i] == b'{' && b[i + 2] == b'}' && b"iIvfdnpmtec".contains(&key) {
            out.push_str(t.get(last..i).unwrap_or(""));
            slot(rng, key, out, depth);
            i += 3;
            last = i;
        } else {
            i += 1;
        }
    }
    out.push_str(t.get(last..).unwrap_or(""));
}

fn slot(rng: &mut Rng, key: u8, out: &mut String, depth: u8) {
    let list = match key {
        b'i' => return out.push_str(&ident(rng)),
        b'I' => return out.push_str(&type_name(rng)),
        b'f' => return out.push_str(&file(rng).0),
        b'n' => return out.push_str(&rng.range(2, 4096).to_string()),
        b'p' => return out.push_str(&rng.range(1024, 65_000).to_string()),
        b'v' => NOUNS,
        b'd' => DIRS,
        b'm' => MODS,
        b't' => TECH,
        b'e' if depth == 0 => ERRORS,
        b'c' if depth == 0 => CMDS,
        _ => return out.push_str("value"),
    };
    let mut t = rng.word(list);
    if key == b'c' {
        t = t.split(';').nth(1).unwrap_or("make");
    }
    fill_into(rng, t, out, depth + 1);
}

fn ident(rng: &mut Rng) -> String {
    format!("{}_{}", rng.word(VERBS), rng.word(NOUNS))
}

fn type_name(rng: &mut Rng) -> String {
    let (adj, noun) = (rng.word(ADJS), rng.word(NOUNS));
    let first = noun.get(..1).unwrap_or("").to_ascii_uppercase();
    format!("{adj}{first}{}", noun.get(1..).unwrap_or(""))
}

/// A relative source path and its language (0 Rust, 1 Python, 2 TypeScript).
fn file(rng: &mut Rng) -> (String, usize) {
    let ext = rng.word(EXTS);
    let lang = ["rs", "py"].iter().position(|e| *e == ext).unwrap_or(2);
    (format!("{}/{}.{ext}", rng.word(DIRS), ident(rng)), lang)
}

fn sentences(rng: &mut Rng, pool: &'static str, lo: usize, hi: usize) -> String {
    let mut s = String::new();
    for k in 0..rng.range(lo, hi) {
        if k > 0 {
            s.push_str(if rng.chance(20) { "\n\n" } else { " " });
        }
        let t = rng.word(pool);
        fill_into(rng, t, &mut s, 0);
    }
    s
}

fn prose(rng: &mut Rng) -> String {
    let mut s = sentences(rng, SAYS, 2, 6);
    if rng.chance(25) {
        s.push_str("\n\nChanges:");
        for _ in 0..rng.range(2, 4) {
            let (i, t) = (ident(rng), rng.say(SAYS));
            s.push_str(&format!("\n- `{i}`: {t}"));
        }
    }
    s
}

/// Source text of roughly `target` bytes in language `lang`.
fn code(rng: &mut Rng, lang: usize, target: usize) -> String {
    let lang = lang % 3;
    let mut s = String::with_capacity(target + 512);
    while s.len() < target {
        let head = rng.word(CODE_HEAD[lang]);
        fill_into(rng, head, &mut s, 1);
        for _ in 0..rng.range(2, 7) {
            let body = rng.word(CODE_BODY[lang]);
            s.push('\n');
            fill_into(rng, body, &mut s, 1);
        }
        s.push('\n');
        fill_into(rng, CODE_TAIL[lang], &mut s, 1);
        s.push_str("\n\n");
    }
    s
}

fn code_answer(rng: &mut Rng) -> String {
    let mut s = sentences(rng, SAYS, 1, 3);
    for _ in 0..rng.range(1, 2) {
        let (lang, size) = (rng.below(3), rng.range(1800, 6500));
        let body = code(rng, lang, size);
        s.push_str(&format!("\n\n```{}\n{body}```\n\n", FENCES[lang]));
        s.push_str(&sentences(rng, SAYS, 1, 3));
    }
    s
}

/// Plausible output of a command kind (see `CMDS`), of at least `min` bytes.
fn command_output(rng: &mut Rng, kind: &str, min: usize) -> String {
    let mut s = String::new();
    let mut k = 0;
    while k < 3 || s.len() < min {
        k += 1;
        let t = match kind {
            "T" => "test {m}::tests::{i} ... ok",
            "B" if rng.chance(30) => "warning: unused variable: `{v}`\n  --> {f}:{n}:{n}",
            "B" => "   Compiling {m} v0.{n}.{n}",
            "G" => " M {f}",
            "L" => "{n}a{n}f {i}: handle empty {v} in {I}",
            "D" => "-rw-r--r--  1 user user {n} Feb 12 16:02 {f}",
            "R" => "{f}:{n}:    let {v} = {i}(&{v});",
            _ => rng.word(SAYS),
        };
        fill_into(rng, t, &mut s, 1);
        s.push('\n');
    }
    if kind == "T" {
        s.push_str(&format!(
            "\ntest result: ok. {k} passed; 0 failed; 0 ignored"
        ));
    }
    s
}

// ---------------------------------------------------------------------------- lines

/// Appends `"k":v` to the JSON object being written at the end of `b` (comma unless first key).
fn kv<T: Serialize + ?Sized>(b: &mut Vec<u8>, k: &str, v: &T) {
    if b.last() != Some(&b'{') {
        b.push(b',');
    }
    b.push(b'"');
    b.extend_from_slice(k.as_bytes());
    b.extend_from_slice(b"\":");
    // Writing to a Vec cannot fail, and these values always serialize.
    let _ = serde_json::to_writer(&mut *b, v);
}

/// Appends every field of the object `fields`.
fn kvs(b: &mut Vec<u8>, fields: &Value) {
    for (k, v) in fields.as_object().into_iter().flatten() {
        kv(b, k, v);
    }
}

/// One tool call and its outcome.
#[derive(Default)]
struct Call {
    id: String,
    name: &'static str,
    input: Value,
    content: Value,
    result: Value,
    is_error: bool,
    stdout: String,
}

/// One file being written (main session or subagent), with its counts.
#[derive(Default)]
struct Ctx {
    rng: Rng,
    out: Vec<u8>,
    m: SynthManifest,
    /// Envelope fields between `parentUuid` and `type`, as a JSON fragment.
    head: String,
    /// `,"slug":...`, written from the first assistant line on.
    slug: String,
    slug_on: bool,
    sid: String,
    cwd: String,
    model: &'static str,
    agent: Option<String>,
    clock: u64,
    /// uuid of the last line, the next line's `parentUuid`.
    tip: Option<String>,
    /// Pre- and post-tool-use hooks fired per tool call.
    hooks: (usize, usize),
    /// Subagent lines, echoed by the parent as agent_progress.
    echo: Vec<Value>,
    subs: Vec<Ctx>,
    /// Turn with a Task (subagent) call, turn with an image, whether to compact once.
    plan: (Option<usize>, Option<usize>, bool),
}

impl Ctx {
    /// Renders a main session of about `lines` lines (its subagent files land in `subs`).
    fn session(seed: u64, index: u64, cwd: &str, lines: usize) -> Ctx {
        let mut r = Rng::new(Rng::new(seed).next_u64() ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
        let branch = match r.below(4) {
            0 => "main".to_string(),
            1 => "master".to_string(),
            2 => String::new(),
            _ => format!("feat/{}", ident(&mut r).replace('_', "-")),
        };
        let (sid, version) = (r.uuid(), r.word(VERSIONS));
        let q = |s: &str| Value::from(s).to_string();
        let head = format!(
            ",\"isSidechain\":false,\"userType\":\"external\",\"cwd\":{},\"sessionId\":\"{sid}\",\
             \"version\":\"{version}\",\"gitBranch\":{}",
            q(cwd),
            q(&branch)
        );
        let slug = format!(
            ",\"slug\":\"{}-{}-{}\"",
            r.word(SLUGS),
            r.word(SLUGS),
            r.word(SLUGS)
        );
        let mut c = Ctx {
            head,
            slug,
            sid,
            cwd: cwd.to_string(),
            ..Ctx::default()
        };
        c.model = r.word(MODELS);
        c.clock = BASE_MS + r.next_u64() % (240 * 86_400_000);
        c.hooks = (r.range(3, 4), r.range(3, 5));
        let task = (index.is_multiple_of(3) || r.chance(25)).then(|| r.below(2));
        let image = (index % 4 == 1 || r.chance(15)).then(|| r.below(3));
        c.plan = (task, image, index % 3 == 1 || r.chance(25));
        c.rng = r;
        c.run(lines.max(1));
        c
    }

    fn run(&mut self, target: usize) {
        for _ in 0..[0, 0, 0, 0, 0, 1, 2][self.rng.below(7)] {
            let (summary, leaf) = (self.rng.say(TITLES), self.rng.uuid());
            self.raw("summary", json!({"summary": summary, "leafUuid": leaf}));
        }
        let hook = self.rng.uuid();
        for _ in 0..self.rng.range(1, 2) {
            let data = json!({"type": "hook_progress", "hookEvent": "SessionStart",
                "hookName": "SessionStart:startup", "command": self.rng.word(POST_HOOKS)});
            self.progress(data, &hook, &hook);
        }
        let mut turn = 0;
        while (self.m.total_lines as usize) < target {
            if turn > 0 {
                self.interlude();
                if self.plan.2 && self.m.total_lines as usize > target * 45 / 100 {
                    self.compaction();
                    self.plan.2 = false;
                }
            }
            let prompt = if turn > 0 && self.rng.chance(30) {
                // Feedback on the last answer; the short acknowledgements repeat verbatim.
                let list = if self.rng.chance(55) { ACKS } else { FAILS };
                self.rng.say(list)
            } else {
                let mut p = self.rng.say(PROMPTS);
                if self.rng.chance(35) {
                    p = format!("{p} {}", self.rng.say(CONTEXT));
                }
                if self.rng.chance(12) {
                    p += &fill(&mut self.rng, "\n\nFull output:\n```\n{e}\n```");
                }
                p
            };
            self.turn(prompt, turn);
            turn += 1;
        }
    }

    /// A context for a subagent file of this session: same session id, `isSidechain`, `agentId`.
    fn child(&mut self) -> Ctx {
        let mut rng = Rng::new(self.rng.next_u64());
        let agent = format!("a{}", rng.hex(6));
        let side = self.head.replacen(":false", ":true", 1);
        let mut c = Ctx {
            rng,
            head: format!("{side},\"agentId\":\"{agent}\""),
            ..Ctx::default()
        };
        (c.slug, c.slug_on, c.sid, c.cwd) =
            (self.slug.clone(), true, self.sid.clone(), self.cwd.clone());
        (c.model, c.agent, c.clock, c.hooks) = (self.model, Some(agent), self.clock, self.hooks);
        c
    }

    fn emit(&mut self, uuid: &str, parent: Option<&str>, kind: &str, fields: Value) {
        self.clock += self.rng.ms(1, 40);
        let ts = iso(self.clock);
        if self.agent.is_some() && self.echo.len() < 10 {
            if let Some(msg) = fields.get("message") {
                let line = json!({"type": kind, "message": msg, "uuid": uuid, "timestamp": ts});
                self.echo.push(line);
            }
        }
        let b = &mut self.out;
        b.push(b'{');
        kv(b, "parentUuid", &parent);
        b.extend_from_slice(self.head.as_bytes());
        if self.slug_on {
            b.extend_from_slice(self.slug.as_bytes());
        }
        kv(b, "type", kind);
        kvs(b, &fields);
        kv(b, "uuid", uuid);
        kv(b, "timestamp", &ts);
        b.extend_from_slice(b"}\n");
        self.m.total_lines += 1;
        self.m.noise_lines += u64::from(kind == "progress" || kind == "system");
    }

    /// Emits a line chained to the previous one; returns its uuid.
    fn push(&mut self, kind: &str, fields: Value) -> String {
        let (u, parent) = (self.rng.uuid(), self.tip.take());
        self.emit(&u, parent.as_deref(), kind, fields);
        self.tip = Some(u.clone());
        u
    }

    /// A line without the envelope (summary, file-history-snapshot, queue-operation).
    fn raw(&mut self, kind: &str, fields: Value) {
        self.out.push(b'{');
        kv(&mut self.out, "type", kind);
        kvs(&mut self.out, &fields);
        self.out.extend_from_slice(b"}\n");
        self.m.total_lines += 1;
        self.m.noise_lines += 1;
    }

    fn user(&mut self, content: Value, meta: bool) {
        let mut f = json!({"message": {"role": "user", "content": content}});
        if meta {
            f["isMeta"] = json!(true);
        }
        self.push("user", f);
    }

    fn progress(&mut self, data: Value, tool_id: &str, parent_tool_id: &str) {
        let f = json!({"data": data, "toolUseID": tool_id, "parentToolUseID": parent_tool_id});
        self.push("progress", f);
    }

    /// Occasional lines between turns: command wrappers, interruptions, queue operations.
    fn interlude(&mut self) {
        if self.rng.chance(8) {
            let cmd = self.rng.word("mcp|model|cost|status|context");
            self.user(
                json!(
                    "<local-command-caveat>Caveat: The messages below were generated by the \
                user while running local commands. DO NOT respond to these messages or otherwise \
                consider them in your response unless the user explicitly asks you to.\
                </local-command-caveat>"
                ),
                true,
            );
            let wrapper = format!(
                "<command-name>/{cmd}</command-name>\n            <command-message>{cmd}\
                 </command-message>\n            <command-args></command-args>"
            );
            self.user(json!(wrapper), false);
            let out = "<local-command-stdout>{v} status: ok ({n} entries)</local-command-stdout>";
            let out = fill(&mut self.rng, out);
            self.user(json!(out), false);
            let f = json!({"subtype": "local_command", "content": wrapper, "level": "info",
                "isMeta": false});
            self.push("system", f);
        }
        if self.rng.chance(4) {
            self.user(
                json!([{"type": "text", "text": "[Request interrupted by user]"}]),
                false,
            );
        }
        if self.rng.chance(5) {
            let (id, what) = (self.rng.hex(7), self.rng.word(CMDS).split(';').nth(2));
            let what = fill(&mut self.rng, what.unwrap_or("Run task"));
            let content = format!(
                "<task-notification>\n<task-id>{id}</task-id>\n<status>completed</status>\n\
                 <summary>Background command \"{what}\" completed (exit code 0)</summary>\n\
                 </task-notification>"
            );
            for (op, content) in [("enqueue", Some(content)), ("dequeue", None)] {
                self.clock += self.rng.ms(50, 2000);
                let (ts, sid) = (iso(self.clock), &self.sid);
                let mut f = json!({"operation": op, "timestamp": ts, "sessionId": sid});
                if let Some(c) = content {
                    f["content"] = json!(c);
                }
                self.raw("queue-operation", f);
            }
        }
    }

    /// `compact_boundary` (null parent, logical parent = previous line), then the summary.
    fn compaction(&mut self) {
        self.clock += self.rng.ms(5_000, 60_000);
        let (logical, bu) = (self.tip.take(), self.rng.uuid());
        let (trigger, pre) = (
            self.rng.word("auto|manual"),
            self.rng.range(120_000, 180_000),
        );
        let f = json!({"subtype": "compact_boundary", "content": "Conversation compacted",
            "isMeta": false, "level": "info", "logicalParentUuid": logical,
            "compactMetadata": {"trigger": trigger, "preTokens": pre}});
        self.emit(&bu, None, "system", f);
        let mut text = "This session is being continued from a previous conversation that ran \
            out of context. The summary below covers the earlier portion of the conversation.\n\n\
            Analysis:\n"
            .to_string();
        for k in 1..=self.rng.range(4, 9) {
            text += &format!("{k}. {}\n", self.rng.say(SAYS));
        }
        text += &format!("\nSummary:\n{}", prose(&mut self.rng));
        let su = self.rng.uuid();
        let f = json!({"message": {"role": "user", "content": text},
            "isVisibleInTranscriptOnly": true, "isCompactSummary": true});
        self.emit(&su, Some(&bu), "user", f);
        self.tip = Some(su);
        self.m.compact_summaries += 1;
    }

    /// A human prompt, tool-using assistant steps, the final answer and the turn's system lines.
    fn turn(&mut self, prompt: String, turn: usize) {
        let start = self.clock;
        self.clock += self.rng.ms(15_000, 900_000);
        let pu = self.rng.uuid();
        if turn == 0 || self.rng.chance(50) {
            let (ts, id) = (iso(self.clock), &pu);
            let snap = json!({"messageId": id, "trackedFileBackups": {}, "timestamp": ts});
            let f = json!({"messageId": id, "snapshot": snap, "isSnapshotUpdate": false});
            self.raw("file-history-snapshot", f);
        }
        let content = if self.plan.1 == Some(turn) {
            let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
            png.extend((0..self.rng.range(1500, 5000)).map(|_| self.rng.next_u64() as u8));
            let src = json!({"type": "base64", "media_type": "image/png", "data": base64(&png)});
            json!([{"type": "text", "text": prompt}, {"type": "image", "source": src}])
        } else if self.rng.chance(10) {
            json!([{"type": "text", "text": prompt}])
        } else {
            json!(prompt)
        };
        let mode = self.rng.word("bypassPermissions|default|acceptEdits");
        let f = json!({"message": {"role": "user", "content": content}, "todos": [],
            "thinkingMetadata": {"maxThinkingTokens": 31999}, "permissionMode": mode});
        let parent = self.tip.take();
        self.emit(&pu, parent.as_deref(), "user", f);
        self.tip = Some(pu);
        self.m.human_prompts += 1;
        if self.rng.chance(2) {
            let text =
                "API Error: 529 {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}";
            let msg = json!({"id": self.rng.uuid(), "model": "<synthetic>", "role": "assistant",
                "type": "message", "stop_reason": "stop_sequence", "stop_sequence": "",
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "content": [{"type": "text", "text": text}]});
            self.push(
                "assistant",
                json!({"message": msg, "isApiErrorMessage": true}),
            );
        }
        let steps = [0, 1, 1, 2, 2, 3, 3, 4, 5, 6][self.rng.below(10)];
        for s in 0..steps {
            self.tool_step(self.plan.0 == Some(turn) && s == 0);
        }
        self.final_answer();
        if self.rng.chance(80) {
            let d = self.clock.saturating_sub(start);
            self.push(
                "system",
                json!({"subtype": "turn_duration", "durationMs": d, "isMeta": false}),
            );
        }
    }

    /// Ids and usage of a new assistant message (repeated on each of its lines).
    fn new_msg(&mut self) -> (String, String, Value) {
        self.clock += self.rng.ms(800, 8_000);
        self.m.assistant_messages += 1;
        let r = &mut self.rng;
        let (cc, cr, out) = (
            r.range(0, 20_000),
            r.range(10_000, 150_000),
            r.range(1, 900),
        );
        let usage = json!({"input_tokens": r.range(1, 12), "cache_creation_input_tokens": cc,
            "cache_read_input_tokens": cr, "output_tokens": out, "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": cc, "ephemeral_1h_input_tokens": 0}});
        (r.token("msg_01", 22), r.token("req_011C", 20), usage)
    }

    /// One line of message `m` holding one content block; returns its uuid.
    fn a_line(&mut self, m: &(String, String, Value), block: Value) -> String {
        self.slug_on = true;
        self.clock += self.rng.ms(100, 1500);
        let msg = json!({"model": self.model, "id": m.0, "type": "message", "role": "assistant",
            "content": [block], "stop_reason": null, "stop_sequence": null, "usage": m.2});
        self.push("assistant", json!({"message": msg, "requestId": m.1}))
    }

    fn thinking(&mut self, m: &(String, String, Value)) {
        let (t, sig) = (
            sentences(&mut self.rng, THOUGHTS, 1, 4),
            self.rng.token("Eu", 120),
        );
        self.a_line(
            m,
            json!({"type": "thinking", "thinking": t, "signature": sig}),
        );
    }

    /// One assistant message that calls 1-3 tools, and the tools' results.
    fn tool_step(&mut self, task: bool) {
        let m = self.new_msg();
        if self.rng.chance(8) {
            self.a_line(&m, json!({"type": "text", "text": "\n\n"}));
        }
        if self.rng.chance(45) {
            self.thinking(&m);
        }
        if self.rng.chance(50) {
            let text = self.rng.say(STEPS);
            self.a_line(&m, json!({"type": "text", "text": text}));
        }
        let n = if task {
            1
        } else {
            [1, 1, 1, 1, 1, 1, 1, 2, 2, 3][self.rng.below(10)]
        };
        // Either all tool_use lines first, or each result right after its tool_use line, in which
        // case the message's next line follows a tool_result line.
        let interleave = self.rng.chance(60);
        let mut pending = Vec::new();
        for _ in 0..n {
            let call = if task {
                self.task_call()
            } else {
                self.make_call()
            };
            let block = json!({"type": "tool_use", "id": call.id, "name": call.name,
                "input": call.input, "caller": {"type": "direct"}});
            let tu = self.a_line(&m, block);
            pending.push((call, tu));
            if interleave {
                pending.drain(..).for_each(|(c, tu)| self.run_call(c, &tu));
            }
        }
        pending
            .into_iter()
            .for_each(|(c, tu)| self.run_call(c, &tu));
    }

    fn final_answer(&mut self) -> String {
        let m = self.new_msg();
        if self.rng.chance(30) {
            self.thinking(&m);
        }
        let long = self.rng.chance(15);
        let text = if long {
            code_answer(&mut self.rng)
        } else {
            prose(&mut self.rng)
        };
        self.a_line(&m, json!({"type": "text", "text": text}));
        text
    }

    fn make_call(&mut self) -> Call {
        let r = &mut self.rng;
        let (rel, lang) = file(r);
        let path = format!("{}/{rel}", self.cwd);
        let extra = if r.chance(3) {
            r.range(10_000, 30_000)
        } else {
            0
        };
        let mut c = Call {
            id: r.token("toolu_01", 22),
            ..Call::default()
        };
        (c.name, c.input, c.content, c.result) = match r.below(100) {
            0..=39 => {
                let mut parts = r.word(CMDS).splitn(3, ';');
                let (kind, cmd, desc) = (parts.next(), parts.next(), parts.next());
                let (cmd, desc) = (fill(r, cmd.unwrap_or("ls")), fill(r, desc.unwrap_or("Run")));
                let size = r.range(100, 2_500) + extra;
                c.stdout = command_output(r, kind.unwrap_or("X"), size);
                let (input, out) = (json!({"command": cmd, "description": desc}), &c.stdout);
                if r.chance(8) {
                    let err = fill(r, "Exit code 1\n{e}");
                    c.is_error = true;
                    let content = json!(format!("{err}\n{}", clip(out, 600)));
                    ("Bash", input, content, json!(format!("Error: {err}")))
                } else {
                    let res = json!({"stdout": out, "stderr": "", "interrupted": false,
                        "isImage": false});
                    ("Bash", input, json!(out), res)
                }
            }
            40..=64 => {
                let size = r.range(600, 5_000) + extra;
                let src = code(r, lang, size);
                let n = src.lines().count();
                let numbered = src
                    .lines()
                    .enumerate()
                    .map(|(i, l)| format!("{:>6}\u{2192}{l}\n", i + 1));
                let res = json!({"type": "text", "file": {"filePath": path, "content": src,
                    "numLines": n, "startLine": 1, "totalLines": n}});
                (
                    "Read",
                    json!({"file_path": path}),
                    json!(numbered.collect::<String>()),
                    res,
                )
            }
            65..=79 => {
                let size = r.range(800, 5_000);
                let original = code(r, lang, size);
                let k = r.below(8);
                let old = original
                    .lines()
                    .filter(|l| l.len() > 8)
                    .nth(k)
                    .unwrap_or("x");
                let new = format!("{old} // {}", ident(r));
                let at = r.range(1, 200);
                let patch = json!([{"oldStart": at, "oldLines": 1, "newStart": at, "newLines": 1,
                    "lines": [format!("-{old}"), format!("+{new}")]}]);
                let res = json!({"filePath": path, "oldString": old, "newString": new,
                    "originalFile": original, "structuredPatch": patch, "userModified": false,
                    "replaceAll": false});
                let input = json!({"file_path": path, "old_string": old, "new_string": new,
                    "replace_all": false});
                let msg = format!("The file {path} has been updated successfully.");
                ("Edit", input, json!(msg), res)
            }
            80..=91 => {
                let (pattern, size) = (fill(r, "fn {i}|struct {I}"), r.range(100, 1_500));
                let out = command_output(r, "R", size);
                let input = json!({"pattern": pattern, "path": self.cwd, "output_mode": "content",
                    "-n": true});
                let res = json!({"mode": "content", "numFiles": 0, "filenames": [], "content": out,
                    "numLines": out.lines().count()});
                ("Grep", input, json!(out), res)
            }
            _ => {
                let size = r.range(500, 3_000);
                let src = code(r, lang, size);
                let res = json!({"type": "create", "filePath": path, "content": src,
                    "structuredPatch": [], "originalFile": null});
                let msg = format!("File created successfully at: {path}");
                (
                    "Write",
                    json!({"file_path": path, "content": src}),
                    json!(msg),
                    res,
                )
            }
        };
        c
    }

    fn task_call(&mut self) -> Call {
        let mut prompt = "Very thorough exploration. I need to understand:\n".to_string();
        for k in 1..=self.rng.range(2, 5) {
            prompt += &format!("\n{k}. {}", self.rng.say(PROMPTS));
        }
        prompt += "\n\nKey files to read:";
        for _ in 0..self.rng.range(2, 6) {
            prompt += &format!("\n- {}", file(&mut self.rng).0);
        }
        let desc = fill(&mut self.rng, "Explore {v} handling in {d}");
        let input = json!({"description": desc, "prompt": prompt, "subagent_type": "Explore"});
        Call {
            id: self.rng.token("toolu_01", 22),
            name: "Task",
            input,
            ..Call::default()
        }
    }

    /// Hook and bash progress for a tool call, then its result line (parented to the tool_use).
    fn run_call(&mut self, mut c: Call, tu: &str) {
        self.tip = Some(tu.to_string());
        let name = c.name;
        let hook = |event: &str, cmd: &str| {
            json!({"type": "hook_progress", "hookEvent": event,
                "hookName": format!("{event}:{name}"), "command": cmd})
        };
        for h in PRE_HOOKS.split('|').take(self.hooks.0) {
            self.progress(hook("PreToolUse", h), &c.id, &c.id);
        }
        if c.name == "Task" {
            self.subagent(&mut c);
        }
        if c.name == "Bash" && (c.stdout.len() > 2_000 || self.rng.chance(60)) {
            let k = self.rng.range(1, 6);
            for i in 0..k {
                self.clock += self.rng.ms(900, 1_100);
                let full = clip(&c.stdout, c.stdout.len() * (i + 1) / k);
                let tail = full.get(full.len().saturating_sub(200)..).unwrap_or("");
                let data = json!({"type": "bash_progress", "output": tail,
                    "fullOutput": clip(full, 1_500), "elapsedTimeSeconds": (i + 2).to_string(),
                    "totalLines": full.lines().count().to_string(), "timeoutMs": "120000"});
                self.progress(data, &format!("bash-progress-{i}"), &c.id);
            }
        }
        for h in POST_HOOKS.split('|').take(self.hooks.1) {
            self.progress(hook("PostToolUse", h), &c.id, &c.id);
        }
        self.clock += self.rng.ms(50, 4_000);
        let mut block = json!({"tool_use_id": c.id, "type": "tool_result", "content": c.content});
        if c.is_error {
            block["is_error"] = json!(true);
        }
        let f = json!({"message": {"role": "user", "content": [block]},
            "toolUseResult": c.result, "sourceToolAssistantUUID": tu});
        let ru = self.rng.uuid();
        self.emit(&ru, Some(tu), "user", f);
        self.tip = Some(ru);
        self.m.tool_results += 1;
    }

    /// Runs a subagent into its own file, echoes it as agent_progress, fills the Task result.
    fn subagent(&mut self, c: &mut Call) {
        let prompt = c.input["prompt"].as_str().unwrap_or("").to_string();
        let mut s = self.child();
        s.user(json!(prompt), false);
        s.m.human_prompts += 1;
        let steps = s.rng.range(2, 8);
        for _ in 0..steps {
            s.tool_step(false);
        }
        let answer = s.final_answer();
        let agent = s.agent.clone().unwrap_or_default();
        for e in std::mem::take(&mut s.echo) {
            let data = json!({"message": e, "normalizedMessages": [], "type": "agent_progress",
                "prompt": prompt, "agentId": agent});
            let tool_id = self.rng.token("agent_msg_01", 22);
            self.progress(data, &tool_id, &c.id);
        }
        self.clock = s.clock;
        c.content = json!([{"type": "text", "text": answer}]);
        let (ms, tokens, out) = (
            self.rng.range(20_000, 400_000),
            self.rng.range(20_000, 120_000),
            900,
        );
        c.result = json!({"status": "completed", "prompt": prompt, "agentId": agent,
            "content": c.content, "totalDurationMs": ms, "totalTokens": tokens,
            "totalToolUseCount": steps, "usage": {"input_tokens": 12, "output_tokens": out}});
        self.subs.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn read(root: &Path, m: &SynthManifest) -> Vec<(PathBuf, Vec<u8>)> {
        let rel = |p: &PathBuf| p.strip_prefix(root).unwrap().to_path_buf();
        m.files
            .iter()
            .map(|p| (rel(p), std::fs::read(p).unwrap()))
            .collect()
    }

    fn is_uuid(s: &str) -> bool {
        let lens: Vec<usize> = s.split('-').map(str::len).collect();
        let hex = |c: char| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c);
        lens == [8, 4, 4, 4, 12] && s.chars().all(hex)
    }

    #[test]
    fn deterministic_per_seed() {
        let run = |seed| {
            let dir = tempfile::tempdir().unwrap();
            read(
                dir.path(),
                &generate(dir.path(), &SynthSpec::small(seed)).unwrap(),
            )
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let s = |seed, index| session_bytes(seed, index, "/tmp/x", 200);
        assert_eq!(s(1, 2), s(1, 2));
        assert_ne!(s(1, 2), s(1, 3));
        assert_ne!(s(1, 2), s(2, 2));
    }

    /// Recounts the manifest from the files, classifying lines like a correct parser would.
    #[test]
    fn corpus_is_valid_and_matches_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            target_bytes: 2_000_000,
            ..SynthSpec::small(42)
        };
        let m = generate(dir.path(), &spec).unwrap();
        assert!(
            (1_400_000..2_600_000).contains(&m.total_bytes),
            "{}",
            m.total_bytes
        );
        let mut re = SynthManifest::default();
        let (mut progress, mut interleaved, mut images, mut subagents) = (0u64, false, 0, 0);
        let (mut msg_ids, mut tool_ids) = (HashSet::new(), HashSet::new());
        for (path, data) in read(dir.path(), &m) {
            re.total_bytes += data.len() as u64;
            assert!(data.ends_with(b"\n"));
            let sub = path.to_string_lossy().contains("/subagents/");
            let sid = path.iter().nth(1).unwrap().to_string_lossy().to_string();
            subagents += usize::from(sub);
            let (mut last_id, mut result_since) = (String::new(), false);
            for line in data.split_inclusive(|&b| b == b'\n') {
                let d: Value = serde_json::from_slice(line).unwrap();
                re.total_lines += 1;
                if let Some(u) = d["uuid"].as_str() {
                    assert!(is_uuid(u), "{u}");
                    assert_eq!(d["timestamp"].as_str().unwrap().len(), 24);
                }
                if sub {
                    assert_eq!(
                        (&d["isSidechain"], d["sessionId"].as_str()),
                        (&json!(true), Some(&*sid))
                    );
                    assert!(d["agentId"].is_string());
                }
                let (kind, content) = (d["type"].as_str().unwrap(), &d["message"]["content"]);
                let blocks = content.as_array().cloned().unwrap_or_default();
                let has = |t: &str| blocks.iter().any(|b| b["type"] == t);
                match kind {
                    "progress"
                    | "file-history-snapshot"
                    | "queue-operation"
                    | "system"
                    | "summary" => {
                        re.noise_lines += 1;
                        progress += u64::from(kind == "progress");
                    }
                    "assistant" if d["isApiErrorMessage"].is_null() => {
                        let id = d["message"]["id"].as_str().unwrap().to_string();
                        assert!(
                            id.starts_with("msg_")
                                && d["requestId"].as_str().unwrap().starts_with("req_")
                        );
                        interleaved |= id == last_id && result_since;
                        result_since = false;
                        for b in blocks.iter().filter(|b| b["type"] == "tool_use") {
                            assert!(tool_ids.insert(b["id"].as_str().unwrap().to_string()));
                        }
                        if id != last_id {
                            assert!(msg_ids.insert(id.clone()), "message id reused: {id}");
                            re.assistant_messages += 1;
                        }
                        last_id = id;
                    }
                    "user" if has("tool_result") => {
                        assert!(!d["toolUseResult"].is_null());
                        re.tool_results += 1;
                        result_since = true;
                    }
                    "user" if d["isCompactSummary"] == true => re.compact_summaries += 1,
                    "user" if d["isMeta"] != true => {
                        images += usize::from(has("image"));
                        let first = blocks.first().map_or(content, |b| &b["text"]);
                        let text = first.as_str().unwrap();
                        let wrappers = ["<command-", "<local-command-", "[Request interrupted"];
                        re.human_prompts +=
                            u64::from(!wrappers.iter().any(|p| text.starts_with(p)));
                    }
                    _ => {}
                }
            }
        }
        let counts = |m: &SynthManifest| {
            let convo = (
                m.human_prompts,
                m.assistant_messages,
                m.tool_results,
                m.compact_summaries,
            );
            (m.total_bytes, m.total_lines, convo, m.noise_lines)
        };
        assert_eq!(counts(&re), counts(&m));
        assert!(m.compact_summaries > 0 && m.human_prompts > 5);
        let share = progress as f64 / m.total_lines as f64;
        assert!((0.55..=0.85).contains(&share), "progress share {share}");
        assert!(interleaved, "no message id split around a tool_result");
        assert!(images > 0, "no base64 image block");
        assert!(subagents > 0, "no subagent files");
    }

    #[test]
    fn helpers() {
        assert_eq!(iso(BASE_MS), "2025-06-01T00:00:00.000Z");
        assert_eq!(iso(1_770_912_143_545), "2026-02-12T16:02:23.545Z");
        assert_eq!(base64(b"hello!?"), "aGVsbG8hPw==");
        assert_eq!(
            project_dir_name("/home/user/my_proj.x"),
            "-home-user-my-proj-x"
        );
        assert!(is_uuid(&Rng::new(1).uuid()));
        assert_eq!(clip("a\u{2192}b", 2), "a");
        let mut r = Rng::new(3);
        let words: HashSet<&str> = (0..500).map(|_| r.word("a|bb|c")).collect();
        assert_eq!(words, HashSet::from(["a", "bb", "c"]));
    }
}
