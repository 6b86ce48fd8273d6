//! What a Qdrant collection holds, by counting on the server (no point is downloaded).

use super::client::QdrantStore;
use super::schema::TOPIC_NAMES;
use crate::error::Result;
use crate::store::StoreStats;
use qdrant_client::qdrant::{Condition, Filter, Range};

fn first_chunks(mut more: Vec<Condition>, not: Vec<Condition>) -> Filter {
    more.insert(0, Condition::matches("chunk_index", 0i64));
    Filter {
        must: more,
        must_not: not,
        ..Default::default()
    }
}

fn strength(range: Range) -> Condition {
    Condition::range("validation.strength", range)
}

impl QdrantStore {
    /// Counts like `StoreStats::of_embedded` (in `crate::stats`); `size_on_disk_bytes` is 0 (the server's business).
    pub fn store_stats(&self) -> Result<StoreStats> {
        let count = |f: Filter| self.count(Some(f));
        let mut s = StoreStats {
            points: self.count(None)?,
            messages: count(first_chunks(vec![], vec![]))?,
            with_topics: count(first_chunks(vec![], vec![Condition::is_empty(TOPIC_NAMES)]))?,
            solution_attempts: count(first_chunks(
                vec![Condition::matches("is_solution_attempt", true)],
                vec![],
            ))?,
            validated_solutions: count(first_chunks(
                vec![strength(Range {
                    gt: Some(0.0),
                    ..Default::default()
                })],
                vec![],
            ))?,
            refuted_solutions: count(first_chunks(
                vec![strength(Range {
                    lt: Some(0.0),
                    ..Default::default()
                })],
                vec![],
            ))?,
            feedback_links: count(first_chunks(vec![], vec![Condition::is_empty("feedback")]))?,
            adjacency_links: count(first_chunks(
                vec![],
                vec![Condition::is_empty("parent_message_id")],
            ))?,
            ..StoreStats::default()
        };
        for (kind, n) in self.facet_filtered("kind", first_chunks(vec![], vec![]), 100)? {
            s.by_kind.insert(kind, n);
        }
        // A collection written before `agent` existed may have no index on it (a writing run adds it): then every
        // message counts as Claude Code's, as its points are.
        if let Ok(agents) = self.facet_filtered("agent", first_chunks(vec![], vec![]), 100) {
            s.by_agent.extend(agents);
        }
        // Points written before `agent` existed are Claude Code's.
        let unnamed = s.messages.saturating_sub(s.by_agent.values().sum());
        if unnamed > 0 {
            *s.by_agent
                .entry(crate::message::Agent::ClaudeCode.as_str().to_string())
                .or_default() += unnamed;
        }
        for (kind, n) in self.facet("redacted", 1000)? {
            s.redactions.insert(kind, n);
        }
        Ok(s)
    }
}
