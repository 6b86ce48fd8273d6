//! The library's error type. The binary maps these to exit codes; nothing here panics on bad input.

use std::path::PathBuf;

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any underlying error kept as a cause.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// ": cause" when there is one (for messages that show their cause).
fn colon(cause: &Option<Cause>) -> String {
    cause.as_ref().map(|c| format!(": {c}")).unwrap_or_default()
}

/// Everything the library can fail with; each variant names the file, store or stage involved.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("another `pipeline` process is writing to {data_dir} (its database is locked); wait for it to finish, or stop it")]
    Locked { data_dir: PathBuf },

    #[error("a `pipeline watch` is already running for {data_dir}; it keeps the index current (stop it first to start another)")]
    WatchRunning { data_dir: PathBuf },

    /// A search or an export found nothing stored where it looked.
    #[error("no search index in {data_dir} yet (nothing has been stored there): build it with `pipeline run` (or `make run`), or pass the --data-dir that a sync used")]
    NoIndex { data_dir: PathBuf },

    #[error("store at {path}: {message}")]
    Store { path: PathBuf, message: String },

    /// The embedded database (sled) failed an operation.
    #[error("store at {path}: {source}")]
    Database {
        path: PathBuf,
        #[source]
        source: sled::Error,
    },

    #[error("checkpoint for {path} is unreadable: {message}")]
    CorruptCheckpoint { path: String, message: String },

    #[error("{0}")]
    Config(String),

    /// A file read whole is not valid JSON: most likely read while its agent was rewriting it.
    #[error("not valid JSON yet ({0}), most likely read while being rewritten")]
    RewriteInProgress(String),

    /// A record could not be encoded for storage; nothing of it was stored.
    #[error("could not encode the {what} for storage: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("{message}. Install the model and runtime with `make model` (or set PIPELINE_MODEL_DIR to a directory that holds them)")]
    ModelMissing { message: String },

    #[error("embedding failed: {message}{}", colon(source))]
    Embed {
        message: String,
        #[source]
        source: Option<Cause>,
    },

    #[error("{store} holds vectors of the model {stored}; this pipeline embeds with {wanted}, whose vectors cannot be compared with them. Use the model the index was built with (embed.model in the pipeline file), or another --data-dir for the new model")]
    ModelMismatch {
        store: String,
        stored: String,
        wanted: String,
    },

    /// Qdrant refused or failed an operation (after the retries the policy allows, if it was worth retrying).
    #[error("Qdrant at {url}: {operation} failed after {attempts} attempt(s): {message}")]
    Qdrant {
        url: String,
        operation: String,
        attempts: u32,
        /// What went wrong, with a hint where one helps (the last failure's text is in it).
        message: String,
        /// The client's error of the last attempt (none when it timed out).
        #[source]
        source: Option<Cause>,
    },

    /// The time budget ended while a sink was still confirming a batch: nothing of it was checkpointed, and the
    /// next run replays it (the point ids are deterministic, so the replay overwrites).
    #[error("the time budget ended while {sink} was still answering; nothing it had not confirmed was checkpointed (the next run replays it)")]
    CommitCutByBudget { sink: String },

    #[error("stage `{stage}` stopped unexpectedly: {source}")]
    Stage {
        stage: &'static str,
        #[source]
        source: Cause,
    },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The embedder failed: `message` says at what, `source` is the runtime's error.
    pub fn embed(message: impl Into<String>, source: impl Into<Cause>) -> Self {
        Error::Embed {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The embedder gave something unusable (no underlying error).
    pub fn embed_result(message: impl Into<String>) -> Self {
        Error::Embed {
            message: message.into(),
            source: None,
        }
    }

    /// A task of `stage` ended abnormally (it panicked, was cancelled, or its service failed).
    pub fn stage(stage: &'static str, source: impl Into<Cause>) -> Self {
        Error::Stage {
            stage,
            source: source.into(),
        }
    }

    /// True when the error comes from the user's input or configuration (exit code 2) rather than a failure (1).
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Config(_))
    }

    /// True when another `pipeline` process holds the data dir (exit code 3): trying again later may work.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Locked { .. } | Error::WatchRunning { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[tokio::test]
    async fn a_failed_stage_keeps_the_task_error_as_its_cause() {
        let joined = tokio::spawn(async { panic!("boom") }).await;
        let err = joined.map_err(|e| Error::stage("embed", e)).err();
        let err = err.unwrap_or_else(|| panic!("the task panicked"));
        assert!(err.to_string().contains("stage `embed`"), "{err}");
        let cause = err
            .source()
            .and_then(|s| s.downcast_ref::<tokio::task::JoinError>());
        assert!(cause.is_some_and(|j| j.is_panic()), "{:?}", err.source());
    }

    #[test]
    fn an_embedding_error_shows_and_keeps_its_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, "bad graph");
        let err = Error::embed("loading model.onnx", io);
        assert_eq!(
            err.to_string(),
            "embedding failed: loading model.onnx: bad graph"
        );
        assert!(err
            .source()
            .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()));
        let plain = Error::embed_result("model is unavailable");
        assert_eq!(plain.to_string(), "embedding failed: model is unavailable");
        assert!(plain.source().is_none());
    }
}
