//! The parser's and the enhancer's carry-over state, saved (as bytes) in a file's checkpoint so that a later run
//! resumes mid-file exactly where this one stopped. Owned here, by the stages that produce and consume it; the
//! checkpoint only stores its bytes.

use super::enhance::EnhancerState;
use crate::error::Result;
use crate::source::SourceState;
use crate::transcript::AssemblerState;
use serde::{Deserialize, Serialize};

/// First byte of the current encoding. The first encoding (a Claude Code assembler state, then the enhancer's)
/// starts with a bincode varint, which is never 255, so a checkpoint written before sources had their own state
/// still resumes where it stopped.
const TAGGED: u8 = crate::source::STATE_TAG;

/// The carry-over state saved in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResumeState {
    /// The source format's assembler state.
    pub source: SourceState,
    pub enhancer: EnhancerState,
}

/// The first encoding: only Claude Code had a state.
#[derive(Deserialize)]
struct FirstEncoding {
    assembler: AssemblerState,
    enhancer: EnhancerState,
}

impl ResumeState {
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = vec![TAGGED];
        bytes.extend(crate::codec::bincode_bytes(
            "parser and enhancer state",
            self,
        )?);
        Ok(bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let config = bincode::config::standard();
        match bytes.split_first() {
            None => Some(ResumeState::default()),
            Some((&TAGGED, rest)) => bincode::serde::decode_from_slice(rest, config)
                .ok()
                .map(|(s, _)| s),
            Some(_) => bincode::serde::decode_from_slice::<FirstEncoding, _>(bytes, config)
                .ok()
                .map(|(s, _)| ResumeState {
                    source: SourceState::ClaudeCode(s.assembler),
                    enhancer: s.enhancer,
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_round_trips_and_a_first_encoding_still_resumes() {
        let state = ResumeState {
            source: SourceState::Codex(Default::default()),
            enhancer: EnhancerState::default(),
        };
        let bytes = state.to_bytes().unwrap_or_default();
        assert_eq!(ResumeState::from_bytes(&bytes), Some(state));

        #[derive(Serialize)]
        struct First<'a> {
            assembler: &'a AssemblerState,
            enhancer: &'a EnhancerState,
        }
        let claude = crate::transcript::Assembler::new("/x.jsonl", AssemblerState::default());
        let old = crate::codec::bincode_bytes(
            "first",
            &First {
                assembler: claude.state(),
                enhancer: &EnhancerState::default(),
            },
        )
        .unwrap_or_default();
        assert_ne!(old.first(), Some(&TAGGED));
        assert_eq!(
            ResumeState::from_bytes(&old),
            Some(ResumeState::default()),
            "a checkpoint of the first encoding decodes as Claude Code's state"
        );
        assert_eq!(ResumeState::from_bytes(&[TAGGED, 9, 9, 9]), None);
        assert_eq!(
            SourceState::agent_of_encoded(&old),
            Some(crate::message::Agent::ClaudeCode)
        );
    }

    #[test]
    fn the_agent_of_an_encoded_state_is_read_without_decoding_it() {
        let states = [
            SourceState::ClaudeCode(AssemblerState::default()),
            SourceState::Codex(Default::default()),
            SourceState::GeminiLog(Default::default()),
            SourceState::Rewritten(Default::default()),
        ];
        for source in states {
            let agent = source.agent();
            let bytes = ResumeState {
                source,
                enhancer: EnhancerState::default(),
            }
            .to_bytes()
            .unwrap_or_default();
            assert_eq!(SourceState::agent_of_encoded(&bytes), Some(agent));
        }
        assert_eq!(SourceState::agent_of_encoded(&[]), None);
    }
}
