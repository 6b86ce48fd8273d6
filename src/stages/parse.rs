//! Stage 1: read each pending file from its checkpoint, decode complete lines, assemble messages, chunk them,
//! and send them on, followed by checkpoint markers. Runs on a blocking thread (it is CPU and file bound).

use super::ResumeState;
use super::{Parsed, ParsedMessage};
use crate::checkpoint::{self, FileCheckpoint, FileStat, Start};
use crate::config::ParseConfig;
use crate::discover::PendingFile;
use crate::error::Result;
use crate::progress::{Counters, Reporter};
use crate::redact::Redactor;
use crate::shutdown::Shutdown;
use crate::store::SyncState;
use crate::transcript::{chunk_text, LineOutcome, LineReader, RawLineItem};
use async_channel::Sender;
use std::fs::File;
use std::sync::Arc;

mod rewritten;

/// Emit a checkpoint marker at least every this many bytes, even without messages (progress-only stretches).
const MARKER_EVERY_BYTES: u64 = 4 << 20;

/// How the parse stage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOutcome {
    /// Files read to the end of their current size.
    pub files_finished: u64,
    /// Files skipped for this run because they could not be read (permission denied, an I/O error). They are
    /// not work left: the next run tries them again, but a run that read everything else is caught up.
    pub files_unreadable: u64,
    /// Stopped before reading everything (shutdown, or the next stage went away).
    pub stopped_early: bool,
}

/// The parse stage: its files, its output and its stop token. Runs on a blocking thread.
pub struct ParseStage {
    pub parser: FileParser,
    /// The files to read, in order (newest first).
    pub files: Vec<PendingFile>,
    pub output: Sender<Parsed>,
    pub shutdown: Shutdown,
}

impl ParseStage {
    /// Reads every file until done, the stop notice, or the next stage going away.
    pub fn run(self) -> ParseOutcome {
        self.parser
            .parse_all(self.files, self.output, self.shutdown)
    }
}

/// Reads pending files from their checkpoints and sends assembled messages and checkpoint markers.
pub struct FileParser {
    pub config: ParseConfig,
    /// Redacts every line as it is decoded, and the warnings that may quote one (`None`: redaction is off).
    pub redactor: Option<Arc<Redactor>>,
    pub store: Arc<SyncState>,
    pub reporter: Reporter,
}

enum FileEnd {
    Finished,
    Stopped,
}

impl FileParser {
    /// `text` with its secrets redacted (when redaction is on).
    fn redacted(&self, text: String) -> String {
        match &self.redactor {
            Some(r) => r
                .redact(&text, &mut crate::redact::Counts::new())
                .unwrap_or(text),
            None => text,
        }
    }

    /// Reads `files` in order; see [`ParseStage::run`].
    fn parse_all(
        &self,
        files: Vec<PendingFile>,
        tx: Sender<Parsed>,
        mut shutdown: Shutdown,
    ) -> ParseOutcome {
        let mut outcome = ParseOutcome::default();
        for file in files {
            if shutdown.is_shutdown() {
                outcome.stopped_early = true;
                break;
            }
            match self.parse_file(&file, &tx, &mut shutdown) {
                Ok(FileEnd::Finished) => outcome.files_finished += 1,
                Ok(FileEnd::Stopped) => {
                    outcome.stopped_early = true;
                    break;
                }
                Err(e) => {
                    // The file is left as it was checkpointed; the next run tries again.
                    outcome.files_unreadable += 1;
                    Counters::add(&self.reporter.counters().files_unreadable, 1);
                    let why = match &e {
                        // Already names the path.
                        crate::error::Error::Io { .. } => e.to_string(),
                        _ => format!("{}: {e}", file.path),
                    };
                    self.reporter.warn(format!(
                        "{why}; skipped for this run, tried again by the next"
                    ));
                }
            }
            Counters::add(&self.reporter.counters().files_read, 1);
        }
        outcome
    }

    fn parse_file(
        &self,
        pending: &PendingFile,
        tx: &Sender<Parsed>,
        shutdown: &mut Shutdown,
    ) -> Result<FileEnd> {
        let path = pending.path.as_str();
        let io = |e| crate::error::Error::io(path, e);
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.reporter.warn(format!(
                    "{path}: deleted before it could be read; its stored points are kept"
                ));
                return Ok(FileEnd::Finished);
            }
            Err(e) => return Err(io(e)),
        };
        let stat = FileStat::of(&file).map_err(io)?;
        if crate::source::read_whole(pending.agent, path) {
            return self.parse_rewritten(path, file, &stat, tx);
        }
        let (mut cp, state) = self.starting_point(path, pending.agent, &file, &stat)?;
        let counters = self.reporter.counters().clone();
        if tx
            .send_blocking(Parsed::FileStart {
                path: path.to_string(),
                enhancer: state.enhancer,
            })
            .is_err()
        {
            return Ok(FileEnd::Stopped);
        }
        let mut assembler =
            crate::source::assembler(pending.agent, path, state.source, self.redactor.clone());
        let mut reader = LineReader::new(
            file.try_clone().map_err(io)?,
            cp.offset,
            stat.size,
            self.config.max_line_bytes,
        )
        .map_err(io)?;
        let mut out = Vec::new();
        let mut since_marker_msgs = 0usize;
        let mut since_marker_bytes = 0u64;
        let mut last_offset = cp.offset;
        loop {
            if shutdown.is_shutdown() {
                // Everything before this line was sent: the marker lets that much be committed.
                self.send_marker(
                    &file,
                    &mut cp,
                    assembler.state(),
                    reader.consumed(),
                    false,
                    tx,
                )?;
                return Ok(FileEnd::Stopped);
            }
            let item = match reader.next_line().map_err(io)? {
                None => break,
                Some(item) => item,
            };
            cp.lines += 1;
            match item {
                RawLineItem::Line { offset, bytes } => {
                    let outcome = assembler.feed(offset, bytes, &mut out);
                    let redacted = assembler.take_redactions();
                    if !redacted.is_empty() {
                        Counters::add(&counters.redactions, redacted.values().sum());
                    }
                    match outcome {
                        LineOutcome::Ok => {}
                        LineOutcome::Repaired(why) => {
                            self.reporter.warn(format!("{path}:{offset}: {why}"))
                        }
                        LineOutcome::Malformed(why) => {
                            cp.malformed_lines += 1;
                            Counters::add(&counters.malformed_lines, 1);
                            // A decoding error may quote the line: the warning is kept in the run history.
                            let why = self.redacted(why);
                            self.reporter
                                .warn(format!("{path}: byte {offset}: {why}; line skipped"));
                        }
                    }
                }
                RawLineItem::Oversized { offset, len } => {
                    cp.malformed_lines += 1;
                    Counters::add(&counters.malformed_lines, 1);
                    self.reporter.warn(format!(
                        "{path}: byte {offset}: line of {len} bytes exceeds parse.max_line_bytes ({}); skipped",
                        self.config.max_line_bytes
                    ));
                }
            }
            Counters::add(&counters.lines, 1);
            let consumed = reader.consumed();
            Counters::add(&counters.bytes_read, consumed - last_offset);
            since_marker_bytes += consumed - last_offset;
            last_offset = consumed;
            since_marker_msgs += out.len();
            if !self.send_messages(&mut out, &mut cp, tx) {
                return Ok(FileEnd::Stopped);
            }
            if since_marker_msgs >= self.config.checkpoint_every_messages
                || since_marker_bytes >= MARKER_EVERY_BYTES
            {
                since_marker_msgs = 0;
                since_marker_bytes = 0;
                if !self.send_marker(&file, &mut cp, assembler.state(), consumed, false, tx)? {
                    return Ok(FileEnd::Stopped);
                }
            }
        }
        assembler.flush(&mut out);
        if !self.send_messages(&mut out, &mut cp, tx) {
            return Ok(FileEnd::Stopped);
        }
        if !self.send_marker(
            &file,
            &mut cp,
            assembler.state(),
            reader.consumed(),
            true,
            tx,
        )? {
            return Ok(FileEnd::Stopped);
        }
        Ok(FileEnd::Finished)
    }

    /// Where to start reading `path`, and with what state ([`checkpoint::starting_point`] decides). A rewritten
    /// file, or one whose checkpoint or saved state cannot be read, starts over at byte 0, and that reset is
    /// persisted at once.
    fn starting_point(
        &self,
        path: &str,
        agent: crate::message::Agent,
        file: &File,
        stat: &FileStat,
    ) -> Result<(FileCheckpoint, ResumeState)> {
        let io = |e| crate::error::Error::io(path, e);
        let restart = |restarts: u32, warning: String| -> Result<(FileCheckpoint, ResumeState)> {
            self.reporter.warn(warning);
            let cp = checkpoint::fresh(path, file, stat, restarts).map_err(io)?;
            self.store.put_checkpoint_now(&cp)?;
            Ok((cp, ResumeState::default()))
        };
        let stored = match self.store.checkpoint(path) {
            Ok(cp) => cp,
            Err(e) => {
                return restart(
                    1,
                    format!("{e}; reading {path} again from the start (ids are stable, nothing is duplicated)"),
                )
            }
        };
        match checkpoint::starting_point(path, file, stat, stored).map_err(io)? {
            Start::New(cp) => Ok((cp, ResumeState::default())),
            Start::Resume(cp) => match ResumeState::from_bytes(&cp.state) {
                Some(_) if crate::source::SourceState::agent_of_encoded(&cp.state)
                    .is_some_and(|a| a != agent) =>
                {
                    restart(
                        cp.restarts + 1,
                        format!("{path}: read before as a {} file, now as a {agent} one; reading it again from the start", crate::source::SourceState::agent_of_encoded(&cp.state).unwrap_or(agent)),
                    )
                }
                Some(state) => Ok((cp, state)),
                None => restart(
                    cp.restarts + 1,
                    format!(
                        "{path}: saved parser state is unreadable; reading again from the start"
                    ),
                ),
            },
            Start::Restart { checkpoint, why } => {
                self.reporter
                    .warn(format!("{path}: {why}, reading it again from the start"));
                self.store.put_checkpoint_now(&checkpoint)?;
                Ok((checkpoint, ResumeState::default()))
            }
        }
    }

    /// Chunks and sends the assembled messages; false when the next stage is gone.
    fn send_messages(
        &self,
        out: &mut Vec<crate::message::Message>,
        cp: &mut FileCheckpoint,
        tx: &Sender<Parsed>,
    ) -> bool {
        for message in out.drain(..) {
            cp.messages += 1;
            Counters::add(&self.reporter.counters().messages, 1);
            let chunks = chunk_text(&message.text, self.config.chunk_max_tokens);
            if tx
                .send_blocking(Parsed::Message(Box::new(ParsedMessage { message, chunks })))
                .is_err()
            {
                return false;
            }
        }
        true
    }

    /// Sends a checkpoint marker for `offset`; Ok(false) when the next stage is gone.
    fn send_marker(
        &self,
        file: &File,
        cp: &mut FileCheckpoint,
        source: crate::source::SourceState,
        offset: u64,
        complete: bool,
        tx: &Sender<Parsed>,
    ) -> Result<bool> {
        let (tail_len, tail_hash) = checkpoint::tail_hash(file, offset)
            .map_err(|e| crate::error::Error::io(&cp.path, e))?;
        cp.offset = offset;
        cp.tail_len = tail_len;
        cp.tail_hash = tail_hash;
        cp.complete = complete;
        let marker = Parsed::Progress {
            checkpoint: Box::new(cp.clone()),
            source: Box::new(source),
        };
        Ok(tx.send_blocking(marker).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::Parsed;

    fn stage(dir: &std::path::Path) -> FileParser {
        FileParser {
            config: ParseConfig::default(),
            redactor: None,
            store: Arc::new(SyncState::open(dir).unwrap_or_else(|e| panic!("{e}"))),
            reporter: Reporter::quiet(Arc::new(Counters::default())),
        }
    }

    fn pending(path: &std::path::Path) -> PendingFile {
        PendingFile {
            path: path.to_string_lossy().into_owned(),
            size: 0,
            mtime_ns: 0,
            pending_bytes: 0,
            agent: crate::message::Agent::ClaudeCode,
        }
    }

    fn drain(rx: &async_channel::Receiver<Parsed>) -> Vec<Parsed> {
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    #[test]
    fn a_file_deleted_before_it_is_read_is_reported_and_skipped() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = stage(&dir.path().join("data"));
        let (tx, rx) = async_channel::bounded(100);
        let (notify, _) = tokio::sync::broadcast::channel(1);
        let outcome = s.parse_all(
            vec![pending(&dir.path().join("gone.jsonl"))],
            tx,
            Shutdown::new(notify.subscribe()),
        );
        assert_eq!(outcome.files_finished, 1);
        assert!(drain(&rx).is_empty());
        assert!(s
            .reporter
            .kept_warnings()
            .iter()
            .any(|w| w.contains("gone.jsonl") && w.contains("deleted")));
    }

    #[test]
    fn markers_follow_the_messages_they_cover_and_the_last_one_is_complete() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("s.jsonl");
        let mut text = String::new();
        for i in 0..40 {
            text.push_str(&format!(
                r#"{{"type":"user","uuid":"u{i}","sessionId":"s","message":{{"content":"prompt number {i}"}}}}"#
            ));
            text.push('\n');
        }
        text.push_str(r#"{"type":"user","uuid":"partial""#);
        std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        let s = stage(&dir.path().join("data"));
        let (tx, rx) = async_channel::bounded(1000);
        let (notify, _) = tokio::sync::broadcast::channel(1);
        let outcome = s.parse_all(vec![pending(&file)], tx, Shutdown::new(notify.subscribe()));
        assert_eq!(outcome.files_finished, 1);
        let items = drain(&rx);
        let mut messages_seen = 0u64;
        let mut last = None;
        for item in &items {
            match item {
                Parsed::Message(_) => messages_seen += 1,
                Parsed::Progress { checkpoint, .. } => {
                    assert_eq!(
                        checkpoint.messages, messages_seen,
                        "a marker counts exactly the messages before it"
                    );
                    last = Some(checkpoint.clone());
                }
                Parsed::FileStart { .. } => {}
            }
        }
        assert_eq!(messages_seen, 40);
        let last = last.unwrap_or_else(|| panic!("no marker"));
        assert!(last.complete);
        assert_eq!(
            last.offset as usize,
            text.rfind('\n').map_or(0, |i| i + 1),
            "the partial line is not consumed"
        );
        assert_eq!(last.lines, 40);
    }

    #[test]
    fn a_checkpoint_written_for_another_agents_format_restarts_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("rollout-2026-01-01T00-00-00-abc.jsonl");
        let prompt = |t: &str| {
            format!(
                r#"{{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{{"type":"message","role":"user","content":[{{"type":"input_text","text":"{t}"}}]}}}}"#
            ) + "\n"
        };
        let first = prompt("first prompt");
        std::fs::write(&file, format!("{first}{}", prompt("second prompt")))
            .unwrap_or_else(|e| panic!("{e}"));
        let s = stage(&dir.path().join("data"));
        let name = file.to_string_lossy().into_owned();
        let f = File::open(&file).unwrap_or_else(|e| panic!("{e}"));
        let stat = FileStat::of(&f).unwrap_or_else(|e| panic!("{e}"));
        // Checkpointed after the first line by a Claude Code read of the file (an older version, another root).
        let mut cp = checkpoint::fresh(&name, &f, &stat, 0).unwrap_or_else(|e| panic!("{e}"));
        let (tail_len, tail_hash) =
            checkpoint::tail_hash(&f, first.len() as u64).unwrap_or_else(|e| panic!("{e}"));
        cp.offset = first.len() as u64;
        (cp.tail_len, cp.tail_hash) = (tail_len, tail_hash);
        cp.state = ResumeState::default().to_bytes().unwrap_or_default();
        s.store
            .put_checkpoint_now(&cp)
            .unwrap_or_else(|e| panic!("{e}"));
        let (tx, rx) = async_channel::bounded(100);
        let (notify, _) = tokio::sync::broadcast::channel(1);
        let codex = PendingFile {
            agent: crate::message::Agent::Codex,
            ..pending(&file)
        };
        s.parse_all(vec![codex], tx, Shutdown::new(notify.subscribe()));
        let texts: Vec<String> = drain(&rx)
            .into_iter()
            .filter_map(|p| match p {
                Parsed::Message(m) => Some(m.message.text),
                _ => None,
            })
            .collect();
        assert_eq!(
            texts,
            ["first prompt", "second prompt"],
            "read again from byte 0"
        );
    }
}
