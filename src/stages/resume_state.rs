//! The parser's and the enhancer's carry-over state, saved (as bytes) in a file's checkpoint so that a later run
//! resumes mid-file exactly where this one stopped. Owned here, by the stages that produce and consume it; the
//! checkpoint only stores its bytes.

use super::enhance::EnhancerState;
use crate::error::Result;
use crate::transcript::AssemblerState;
use serde::{Deserialize, Serialize};

/// The carry-over state saved in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    pub assembler: AssemblerState,
    pub enhancer: EnhancerState,
}

impl ResumeState {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        crate::codec::bincode_bytes("parser and enhancer state", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() {
            return Some(ResumeState::default());
        }
        bincode::serde::decode_from_slice(bytes, bincode::config::standard())
            .ok()
            .map(|(s, _)| s)
    }
}
