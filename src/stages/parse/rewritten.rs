//! Stage 1 for files rewritten in place on every update (Gemini CLI's JSON chats): such a file is read whole, each
//! time it changed, and only its new and changed messages go on ([`SeenMessages`]). Its checkpoint sits at the
//! file's end and remembers what the file held, whatever bytes moved. A file that is not valid JSON (most likely
//! read in the middle of a rewrite) is left for the next run: never a failure, never a lost message.

use super::{FileEnd, FileParser};
use crate::checkpoint::{self, FileStat};
use crate::error::{Error, Result};
use crate::progress::Counters;
use crate::source::gemini::{read_chat, ChatError};
use crate::source::rewritten::SeenMessages;
use crate::source::SourceState;
use crate::stages::{Parsed, ResumeState};
use async_channel::Sender;
use std::fs::File;
use std::io::Read;

impl FileParser {
    /// Reads a rewritten file (open as `file`, `stat` taken before reading) whole; see the module documentation.
    pub(super) fn parse_rewritten(
        &self,
        path: &str,
        mut file: File,
        stat: &FileStat,
        tx: &Sender<Parsed>,
    ) -> Result<FileEnd> {
        let io = |e| Error::io(path, e);
        let stored = self.store.checkpoint(path).ok().flatten();
        let state = stored
            .as_ref()
            .and_then(|cp| ResumeState::from_bytes(&cp.state))
            .unwrap_or_default();
        let mut seen = match state.source {
            SourceState::Rewritten(seen) => seen,
            _ => SeenMessages::default(),
        };
        let restarts = stored.as_ref().map_or(0, |cp| cp.restarts);
        let mut cp = checkpoint::fresh(path, &file, stat, restarts).map_err(io)?;
        let limit = self.config.max_line_bytes as u64;
        let messages = if stat.size > limit {
            self.reporter.warn(format!(
                "{path}: {} bytes exceeds parse.max_line_bytes ({limit}) for a file read whole; skipped until it changes",
                stat.size
            ));
            cp.malformed_lines = 1;
            Vec::new()
        } else {
            let mut bytes = Vec::with_capacity(stat.size as usize);
            file.read_to_end(&mut bytes).map_err(io)?;
            let mut redactions = crate::redact::Counts::new();
            let read = read_chat(path, &bytes, self.redactor.as_deref(), &mut redactions);
            if !redactions.is_empty() {
                Counters::add(
                    &self.reporter.counters().redactions,
                    redactions.values().sum(),
                );
            }
            match read {
                Ok(messages) => messages,
                Err(ChatError::Incomplete(why)) => {
                    return Err(Error::RewriteInProgress(self.redacted(why)))
                }
                Err(ChatError::Malformed(why)) => {
                    cp.malformed_lines = 1;
                    Counters::add(&self.reporter.counters().malformed_lines, 1);
                    let why = self.redacted(why);
                    self.reporter
                        .warn(format!("{path}: byte 0: {why}; skipped until it changes"));
                    Vec::new()
                }
            }
        };
        Counters::add(&self.reporter.counters().bytes_read, stat.size);
        if tx
            .send_blocking(Parsed::FileStart {
                path: path.to_string(),
                enhancer: state.enhancer,
            })
            .is_err()
        {
            return Ok(FileEnd::Stopped);
        }
        let mut changed = seen.changed(messages);
        if !self.send_messages(&mut changed, &mut cp, tx) {
            return Ok(FileEnd::Stopped);
        }
        cp.messages = seen.len() as u64;
        let source = SourceState::Rewritten(seen);
        if !self.send_marker(&file, &mut cp, source, stat.size, true, tx)? {
            return Ok(FileEnd::Stopped);
        }
        Ok(FileEnd::Finished)
    }
}
