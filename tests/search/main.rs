//! `pipeline search`: known answers on the real fixtures, its output, every filter (alone and combined) on a
//! store with known contents, and searches during a sync.

#[path = "../common/mod.rs"]
mod common;
mod filters;
mod output;
mod published;
mod ranking;
mod snapshots;

use std::path::Path;

/// The payload of each stored message's first chunk, by message id.
fn payloads_by_message(data: &Path) -> std::collections::HashMap<String, serde_json::Value> {
    common::export_json(data)
        .into_iter()
        .map(|p| p["payload"].clone())
        .filter(|p| p["chunk_index"] == 0)
        .filter_map(|p| Some((p["message_id"].as_str()?.to_string(), p)))
        .collect()
}
