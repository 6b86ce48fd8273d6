//! Call accounting and fault injection: the knobs a test turns on the fake.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tonic::{Code, Status};

/// Every RPC the fake serves, by the name tests use for it.
///
/// Points RPCs keep their method names (`upsert`, `delete`, `get`, ...). Collections RPCs whose
/// method names would collide or be vague get a `_collection(s)` suffix: `get_collection`,
/// `list_collections`, `create_collection`, `update_collection`, `delete_collection`.
pub const RPC_NAMES: &[&str] = &[
    // qdrant.Qdrant
    "health_check",
    // qdrant.Collections
    "get_collection",
    "list_collections",
    "create_collection",
    "update_collection",
    "delete_collection",
    "update_aliases",
    "list_collection_aliases",
    "list_aliases",
    "collection_cluster_info",
    "collection_exists",
    "update_collection_cluster_setup",
    "create_shard_key",
    "delete_shard_key",
    "list_shard_keys",
    // qdrant.Points
    "upsert",
    "delete",
    "get",
    "update_vectors",
    "delete_vectors",
    "set_payload",
    "overwrite_payload",
    "delete_payload",
    "clear_payload",
    "create_field_index",
    "delete_field_index",
    "create_vector_name",
    "delete_vector_name",
    "search",
    "search_batch",
    "search_groups",
    "scroll",
    "recommend",
    "recommend_batch",
    "recommend_groups",
    "discover",
    "discover_batch",
    "count",
    "update_batch",
    "query",
    "query_batch",
    "query_groups",
    "facet",
    "search_matrix_pairs",
    "search_matrix_offsets",
];

/// Cloneable handle on the fake's fault rules (shared with the server through an `Arc`).
///
/// RPC names are the ones in [`RPC_NAMES`]; an unknown name panics, so a typo in a test
/// cannot silently inject nothing.
#[derive(Clone, Default)]
pub struct Faults {
    book: Arc<Mutex<HashMap<&'static str, RpcBook>>>,
}

#[derive(Default)]
struct RpcBook {
    calls: u64,
    windows: Vec<Window>,
    always: Option<Code>,
    delay: Duration,
}

/// Calls number `first..=last` (absolute per-RPC call numbers) fail with `code`.
struct Window {
    first: u64,
    last: u64,
    code: Code,
}

/// What the server must do with one incoming call.
pub(crate) struct Verdict {
    pub(crate) delay: Duration,
    pub(crate) failure: Option<Status>,
}

impl Faults {
    /// The next `n` calls of `rpc` fail with `code` without doing anything.
    pub fn fail_next(&self, rpc: &str, n: u32, code: Code) {
        self.fail_from(rpc, 1, n, code);
    }

    /// Calls of `rpc` number `nth`, `nth+1`, ... `nth+n-1` (1-based, counted from now) fail
    /// with `code`.
    pub fn fail_from(&self, rpc: &str, nth: u32, n: u32, code: Code) {
        assert!(
            nth >= 1,
            "qdrant-fake: fail_from counts calls from 1, got nth = 0"
        );
        assert_failure(code);
        let rpc = known(rpc);
        if n == 0 {
            return;
        }
        let mut book = self.lock();
        let entry = book.entry(rpc).or_default();
        let first = entry.calls + u64::from(nth);
        entry.windows.push(Window {
            first,
            last: first + u64::from(n) - 1,
            code,
        });
    }

    /// Every call of `rpc` sleeps `delay` before being handled (`Duration::ZERO` removes it).
    pub fn delay(&self, rpc: &str, delay: Duration) {
        let rpc = known(rpc);
        self.lock().entry(rpc).or_default().delay = delay;
    }

    /// Every call of `rpc` fails with `code` until [`Faults::clear`].
    pub fn fail_always(&self, rpc: &str, code: Code) {
        assert_failure(code);
        let rpc = known(rpc);
        self.lock().entry(rpc).or_default().always = Some(code);
    }

    /// Removes every fault rule and delay. Call counts are kept.
    pub fn clear(&self) {
        for entry in self.lock().values_mut() {
            entry.windows.clear();
            entry.always = None;
            entry.delay = Duration::ZERO;
        }
    }

    /// How many times `rpc` was called so far, including failed calls.
    pub fn calls(&self, rpc: &str) -> u64 {
        let rpc = known(rpc);
        self.lock().get(rpc).map_or(0, |entry| entry.calls)
    }

    /// Counts one call of `rpc` and decides its delay and injected failure.
    pub(crate) fn on_call(&self, rpc: &'static str) -> Verdict {
        let mut book = self.lock();
        let entry = book.entry(rpc).or_default();
        entry.calls += 1;
        let call = entry.calls;
        let code = entry.always.or_else(|| {
            entry
                .windows
                .iter()
                .find(|window| window.first <= call && call <= window.last)
                .map(|window| window.code)
        });
        entry.windows.retain(|window| window.last > call);
        Verdict {
            delay: entry.delay,
            failure: code.map(|code| {
                Status::new(
                    code,
                    format!("qdrant-fake: injected {code:?} on {rpc} call #{call}"),
                )
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, RpcBook>> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn known(rpc: &str) -> &'static str {
    RPC_NAMES
        .iter()
        .copied()
        .find(|name| *name == rpc)
        .unwrap_or_else(|| panic!("qdrant-fake: unknown RPC name `{rpc}`; known: {RPC_NAMES:?}"))
}

fn assert_failure(code: Code) {
    assert!(
        code != Code::Ok,
        "qdrant-fake: Code::Ok is not a failure to inject"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(faults: &Faults, rpc: &'static str) -> Option<Code> {
        faults.on_call(rpc).failure.map(|status| status.code())
    }

    #[test]
    fn fail_from_counts_from_now() {
        let faults = Faults::default();
        assert_eq!(outcome(&faults, "upsert"), None);
        faults.fail_from("upsert", 2, 2, Code::Unavailable);
        assert_eq!(outcome(&faults, "upsert"), None);
        assert_eq!(outcome(&faults, "upsert"), Some(Code::Unavailable));
        assert_eq!(outcome(&faults, "upsert"), Some(Code::Unavailable));
        assert_eq!(outcome(&faults, "upsert"), None);
        assert_eq!(faults.calls("upsert"), 5);
        assert_eq!(faults.calls("query"), 0);
    }

    #[test]
    fn injected_message_names_rpc_and_call_number() {
        let faults = Faults::default();
        faults.fail_next("count", 1, Code::Internal);
        let status = faults.on_call("count").failure.expect("injected failure");
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(
            status.message(),
            "qdrant-fake: injected Internal on count call #1"
        );
    }

    #[test]
    fn fail_always_until_clear_and_delay_reset() {
        let faults = Faults::default();
        faults.fail_always("scroll", Code::ResourceExhausted);
        faults.delay("scroll", Duration::from_millis(5));
        assert_eq!(outcome(&faults, "scroll"), Some(Code::ResourceExhausted));
        assert_eq!(outcome(&faults, "scroll"), Some(Code::ResourceExhausted));
        faults.clear();
        let verdict = faults.on_call("scroll");
        assert!(verdict.failure.is_none());
        assert_eq!(verdict.delay, Duration::ZERO);
        assert_eq!(faults.calls("scroll"), 3);
    }

    #[test]
    #[should_panic(expected = "unknown RPC name `upsert_points`")]
    fn unknown_rpc_name_panics() {
        Faults::default().fail_next("upsert_points", 1, Code::Internal);
    }
}
