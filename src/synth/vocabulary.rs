//! The word pools the generated text is drawn from (data).

// `|`-separated lists; `{x}` slots are expanded by `fill`.

pub(super) const VERBS: &str =
    "parse|load|flush|resolve|merge|encode|decode|spawn|retry|index|fetch|render|\
validate|normalize|compact|hydrate|serialize|schedule|dispatch|evict|rebuild|scan|split|lookup|\
emit|commit|rollback|migrate|refresh|batch|embed|chunk|dedupe|prune|rotate|drain|poll|sync|apply|\
collect";
pub(super) const NOUNS: &str =
    "header|chunk|session|token|record|buffer|cursor|offset|checkpoint|manifest|\
payload|embedding|vector|segment|shard|config|request|response|handler|queue|worker|cache|index|\
snapshot|transcript|message|block|schema|row|batch|frame|entry|path|span|lease|watermark|tenant|\
invoice|user|order|metric|job|event|socket|pool|model|tree|node|edge|digest";
pub(super) const ADJS: &str =
    "Pending|Shared|Raw|Lazy|Async|Bounded|Stale|Dirty|Merged|Cached|Remote|Local|\
Atomic|Partial|Sparse|Ordered|Frozen|Scoped|Typed|Pooled";
pub(super) const TECH: &str =
    "tokio runtime|sled tree|serde flatten|HNSW index|async channel|Arc<Mutex<_>>|\
trait object|GIL|asyncio event loop|useEffect cleanup|SQLite WAL mode|Postgres advisory lock|\
Docker layer cache|GitHub Actions matrix|ONNX runtime|cosine similarity|bincode encoding|mmap|\
fsync|inotify watcher|LiveView socket|Ecto changeset|GenServer state|CORS preflight|JWT refresh|\
rate limiter";
pub(super) const MODS: &str =
    "serde_json|tokio|pydantic|numpy|fastembed|sled|reqwest|axum|sqlx|requests|\
httpx|torch|ecto|phoenix|react-query|clap|hyper|rayon|pandas|fastapi|vitest|prisma|lancedb|tantivy";
pub(super) const DIRS: &str = "src|src/store|src/stages|src/transcript|src/cli|lib/app|app/models|\
app/services|tests|scripts|web/src/components|web/src/hooks|internal/server|pkg/api|\
crates/core/src|benches";
pub(super) const EXTS: &str = "rs|rs|py|ts|tsx";
pub(super) const PROJECTS: &str =
    "spotter|ledger-api|pipeline|web-dashboard|ml-service|infra|docs-site|\
mobile-app|billing|search-engine";
pub(super) const MODELS: &str =
    "claude-opus-4-6|claude-sonnet-4-5-20250929|claude-opus-4-5-20251101";
pub(super) const VERSIONS: &str = "2.0.76|2.1.14|2.1.38|2.1.39|2.1.42";
pub(super) const SLUGS: &str =
    "radiant|floating|music|dazzling|imagining|steady|stirring|dragon|expressive|\
chasing|pie|delegated|marinating|toast|quiet|wandering|harbor|lucky|humming|falcon";
pub(super) const PRE_HOOKS: &str = "cd ${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./guardian.ts|\
${CLAUDE_PLUGIN_ROOT}/scripts/pre-tool-capture.sh|\
${CLAUDE_PLUGIN_ROOT}/scripts/pre-commit-check.sh|$HOME/.claude/hooks/audit-log.sh";
pub(super) const POST_HOOKS: &str = "${CLAUDE_PLUGIN_ROOT}/scripts/post-tool-capture.sh|callback|\
${CLAUDE_PLUGIN_ROOT}/scripts/tool-call-capture.sh|$HOME/.claude/hooks/tmux-waiting.sh mark|cd \
${CLAUDE_PLUGIN_ROOT}/hooks && bun run ./dist/post-edit-check.js";
pub(super) const ERRORS: &str =
    "error[E0502]: cannot borrow `{v}` as mutable because it is also borrowed as \
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
pub(super) const CMDS: &str =
    "T;cargo test {i};Run {i} tests|T;cargo test -p {m} -- --nocapture;Run {m} \
tests|B;cargo build --release;Build release binary|B;cargo clippy --all-targets -- -D \
warnings;Run clippy|G;git status --short;Show working tree status|L;git log --oneline -n {n};Show \
recent commits|T;pytest tests/test_{i}.py -x -q;Run {i} tests|T;npx vitest run {i};Run frontend \
tests for {i}|D;ls -la {d};List {d}|R;rg -n \"{i}\" {d};Find usages of {i}|B;make {i};Run make \
target {i}|X;docker compose logs --tail {n} {v};Show {v} service logs|X;curl -s \
localhost:{p}/health;Check health";
pub(super) const PROMPTS: &str =
    "Why does `{i}` in {f} return an empty list when the {v} is stale?|I'm \
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
pub(super) const CONTEXT: &str =
    "This started after we switched to the {t}.|It only happens with more than \
{n} {v}s.|I already tried restarting the {v} worker.|The same code works on main.|Keep the change \
small, it goes into the {m} upgrade PR.|Don't touch {f}, another branch rewrites it.";
pub(super) const SAYS: &str =
    "The problem is in `{i}`: it reads the {v} before `{i}` has flushed it.|I'll \
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
pub(super) const THOUGHTS: &str =
    "The user wants `{i}` fixed without touching {f}.|Let me look at {f} first \
to see how the {v} flows.|Maybe the {t} is the issue here, since `{e}` only shows up under load.|\
I should check whether `{I}` is constructed anywhere else.|The test output suggests `{i}` returns \
early when the {v} is empty.|I need to keep the public API stable, so I'll add a helper `{i}`.";
pub(super) const STEPS: &str =
    "Let me look at {f}.|Let me run `{c}`.|I'll search for usages of `{i}`.|Now \
let me update `{i}` in {f}.|Let me check how `{I}` is built.|I'll write `{i}` in {f} now.|Let me \
verify the fix with `{c}`.|Let me check the callers of `{i}` in {d}.";
pub(super) const ACKS: &str =
    "that works, thanks|perfect, thanks!|great, commit it|looks good|ok|thanks, \
that fixed it|yes|go ahead|lgtm, ship it|nice";
pub(super) const FAILS: &str =
    "still failing with the same error|still failing with the same error: `{e}`|\
no, that didn't help. now I get `{e}`|tests pass but `{i}` still returns the wrong {v}|same thing \
when I run `{c}`";
pub(super) const TITLES: &str =
    "{I} refactor and {t} fixes|Debugging `{e}` in {f}|Implement {i} for {I}|\
Speed up {i} in the {v} pipeline|Migrate {v} storage to the {t}";
pub(super) const FENCES: [&str; 3] = ["rust", "python", "typescript"];
pub(super) const CODE_HEAD: [&str; 3] = [
    "pub fn {i}(&mut self, {v}: &{I}) -> Result<{I}, Error> {|fn {i}({v}: {I}, limit: usize) -> \
Option<{I}> {|pub async fn {i}(&self, {v}_id: u64) -> anyhow::Result<Vec<{I}>> {",
    "def {i}(self, {v}: {I}, limit: int = {n}) -> {I}:|async def {i}({v}: {I}) -> list[{I}]:|def \
test_{i}({v}_factory):",
    "export async function {i}({v}: {I}): Promise<{I}> {|export function {i}({v}: {I}[], limit = \
{n}): {I} {",
];
pub(super) const CODE_BODY: [&str; 3] = [
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
pub(super) const CODE_TAIL: [&str; 3] = [
    "    Ok({v}.into())\n}",
    "    return {v}",
    "  return {v};\n}",
];
