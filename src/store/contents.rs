//! What a store holds, counted: the same figures for the embedded store and for Qdrant (`pipeline stats`, the MCP
//! `get_sync_stats` tool). The counting lives with each store (`crate::stats` for the embedded one, `qdrant::summary`
//! for Qdrant).

use serde::Serialize;
use std::collections::BTreeMap;

/// Points and messages held, by kind and enhancement.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoreStats {
    pub points: u64,
    pub messages: u64,
    pub by_kind: BTreeMap<String, u64>,
    /// Messages by the agent whose history they are (`claude-code`, `codex`, ...).
    pub by_agent: BTreeMap<String, u64>,
    pub with_topics: u64,
    pub solution_attempts: u64,
    pub validated_solutions: u64,
    pub refuted_solutions: u64,
    pub feedback_links: u64,
    pub adjacency_links: u64,
    /// Points whose text holds a `[REDACTED:<kind>]` marker, by kind (counts only: never a value).
    pub redactions: BTreeMap<String, u64>,
    pub size_on_disk_bytes: u64,
}
