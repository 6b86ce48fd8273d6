//! Bounded retries with doubling pauses, inside a deadline.
//!
//! What is worth retrying: Qdrant unreachable (`Unavailable`, or `Internal` for a refused connection), a request
//! that timed out (`Cancelled`, `DeadlineExceeded`), overload (`ResourceExhausted`, honouring its retry-after) and
//! `Unknown`/`Aborted`. Everything else (a bad request, a missing collection, a wrong API key) fails at once.

use crate::error::{Cause, Error, Result};
use qdrant_client::QdrantError;
use std::future::Future;
use std::time::{Duration, Instant};
use tonic::Code;

/// Longest pause between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How Qdrant requests are retried: how often, with which pauses, and each attempt's time limit.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First pause; doubles after each retry.
    pub backoff: Duration,
    /// Longest wait for one attempt.
    pub timeout: Duration,
}

/// One failed attempt, classified.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth another attempt (after at least this long, if the server said so).
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Another attempt would fail the same way.
    Permanent(String),
}

pub fn classify(e: &QdrantError) -> Failure {
    match e {
        QdrantError::ResponseError { status } => classify_status(status.code(), status.message()),
        QdrantError::ResourceExhaustedError {
            status,
            retry_after_seconds,
        } => Failure::Transient {
            message: format!("overloaded: {}", status.message()),
            retry_after: Some(Duration::from_secs(*retry_after_seconds)),
        },
        QdrantError::Io(e) => Failure::Transient {
            message: e.to_string(),
            retry_after: None,
        },
        other => Failure::Permanent(other.to_string()),
    }
}

fn classify_status(code: Code, message: &str) -> Failure {
    let text = if message.is_empty() {
        format!("{code:?}")
    } else {
        format!("{code:?}: {message}")
    };
    if is_tls_failure(message) {
        // A certificate the client does not trust will not become trusted by trying again.
        return Failure::Permanent(text);
    }
    match code {
        Code::Unavailable
        | Code::Internal
        | Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Unknown
        | Code::Aborted
        | Code::ResourceExhausted => Failure::Transient {
            message: text,
            retry_after: None,
        },
        _ => Failure::Permanent(text),
    }
}

/// The client refused the server's certificate, or could not set TLS up.
fn is_tls_failure(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("certificate") || lower.contains("tls config")
}

/// Where a request goes, for messages.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub url: &'a str,
    pub operation: &'a str,
    /// Where the API key comes from, for an authentication error (never the key).
    pub key_source: &'a str,
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails permanently, runs out of retries, or the next attempt could not
    /// finish before `deadline`. With a deadline, an attempt still running when it passes is abandoned: if no
    /// attempt had failed before, that is [`Error::CommitCutByBudget`] (the server is slow, not broken).
    pub async fn run<T, Fut>(
        &self,
        target: Target<'_>,
        deadline: Option<Instant>,
        mut attempt: impl FnMut() -> Fut,
    ) -> Result<T>
    where
        Fut: Future<Output = std::result::Result<T, QdrantError>>,
    {
        let mut backoff = self.backoff;
        let mut attempts = 0u32;
        // The last failure's text and the client's error, if it was one (not a timeout).
        let mut last_failure: Option<(String, Option<QdrantError>)> = None;
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(self.out_of_time(&target, attempts, last_failure));
            }
            let limit = left.map_or(self.timeout, |l| l.min(self.timeout));
            attempts += 1;
            let (failure, cause) = match tokio::time::timeout(limit, attempt()).await {
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(e)) => (classify(&e), Some(e)),
                Err(_) if left.is_some_and(|l| l <= self.timeout) => {
                    return Err(self.out_of_time(&target, attempts, last_failure));
                }
                Err(_) => (
                    Failure::Transient {
                        message: format!("no answer within {}", humantime::format_duration(limit)),
                        retry_after: None,
                    },
                    None,
                ),
            };
            let (message, retry_after) = match failure {
                Failure::Permanent(message) => {
                    return Err(qdrant_error(&target, attempts, message, cause));
                }
                Failure::Transient {
                    message,
                    retry_after,
                } => (message, retry_after),
            };
            if attempts > self.retries {
                return Err(qdrant_error(&target, attempts, message, cause));
            }
            let pause = retry_after.map_or(backoff, |r| r.max(backoff));
            if deadline.is_some_and(|d| Instant::now() + pause >= d) {
                return Err(qdrant_error(
                    &target,
                    attempts,
                    format!("{message} (no time left in the budget to retry)"),
                    cause,
                ));
            }
            last_failure = Some((message, cause));
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn out_of_time(
        &self,
        target: &Target<'_>,
        attempts: u32,
        last: Option<(String, Option<QdrantError>)>,
    ) -> Error {
        match last {
            None => Error::CommitCutByBudget {
                sink: format!("Qdrant at {}", target.url),
            },
            Some((message, cause)) => qdrant_error(
                target,
                attempts,
                format!("{message} (the budget ended while retrying)"),
                cause,
            ),
        }
    }
}

fn qdrant_error(
    target: &Target<'_>,
    attempts: u32,
    message: String,
    source: Option<QdrantError>,
) -> Error {
    let hint = if is_tls_failure(&message) {
        " (TLS: is the server's certificate signed by a CA this machine trusts? SSL_CERT_FILE can name a PEM bundle to trust)"
    } else if message.contains("transport error")
        || message.contains("onnect")
        || message.starts_with("Unavailable")
    {
        " (is Qdrant running there, and is that its gRPC port, 6334 by default?)"
    } else if message.starts_with("Unauthenticated") || message.starts_with("PermissionDenied") {
        &format!(" ({})", target.key_source)
    } else {
        ""
    };
    Error::Qdrant {
        url: target.url.to_string(),
        operation: target.operation.to_string(),
        attempts,
        message: format!("{message}{hint}"),
        source: source.map(Cause::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn policy(retries: u32) -> RetryPolicy {
        RetryPolicy {
            retries,
            backoff: Duration::from_millis(5),
            timeout: Duration::from_millis(200),
        }
    }

    #[test]
    fn a_refused_certificate_is_permanent_and_says_what_to_do() {
        let refused = "Failed to connect to https://q:6334/: InvalidCertificate(UnknownIssuer)";
        assert!(matches!(
            classify_status(Code::Internal, refused),
            Failure::Permanent(_)
        ));
        assert!(matches!(
            classify_status(Code::Internal, "connection refused"),
            Failure::Transient { .. }
        ));
        let e = qdrant_error(&target(), 1, format!("Internal: {refused}"), None).to_string();
        assert!(e.contains("SSL_CERT_FILE"), "{e}");
    }

    fn status(code: Code) -> QdrantError {
        QdrantError::ResponseError {
            status: tonic::Status::new(code, "boom"),
        }
    }

    fn target() -> Target<'static> {
        Target {
            url: "http://q:6334",
            operation: "upsert",
            key_source: "the API key is read from $QDRANT_API_KEY, which is not set",
        }
    }

    #[tokio::test]
    async fn transient_failures_are_retried_then_succeed() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out = policy(3)
            .run(target(), None, move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(status(Code::Unavailable))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(out.ok(), Some(2));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn retries_are_bounded_and_permanent_errors_are_not_retried() {
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<()> = policy(2)
            .run(target(), None, move || {
                c.fetch_add(1, Ordering::SeqCst);
                async { Err(status(Code::Internal)) }
            })
            .await;
        assert!(
            matches!(out, Err(Error::Qdrant { attempts: 3, .. })),
            "{out:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        // The client's error is kept as the cause.
        let cause = out
            .as_ref()
            .err()
            .and_then(std::error::Error::source)
            .and_then(|s| s.downcast_ref::<QdrantError>());
        assert!(
            matches!(cause, Some(QdrantError::ResponseError { status }) if status.code() == Code::Internal),
            "{cause:?}"
        );

        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let out: Result<()> = policy(5)
            .run(target(), None, move || {
                c.fetch_add(1, Ordering::SeqCst);
                async { Err(status(Code::InvalidArgument)) }
            })
            .await;
        assert!(
            matches!(out, Err(Error::Qdrant { attempts: 1, .. })),
            "{out:?}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_slow_server_is_cut_at_the_deadline() {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(100);
        let out: Result<()> = policy(5)
            .run(target(), Some(deadline), || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
        assert!(
            matches!(out, Err(Error::CommitCutByBudget { .. })),
            "{out:?}"
        );
        assert!(started.elapsed() < Duration::from_millis(1000));
    }

    #[tokio::test]
    async fn failing_until_the_deadline_is_an_error_not_a_budget_stop() {
        let deadline = Instant::now() + Duration::from_millis(60);
        let out: Result<()> = RetryPolicy {
            retries: 100,
            backoff: Duration::from_millis(10),
            timeout: Duration::from_secs(1),
        }
        .run(target(), Some(deadline), || async {
            Err(status(Code::Unavailable))
        })
        .await;
        match out {
            Err(Error::Qdrant { message, .. }) => assert!(message.contains("budget"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(Instant::now() < deadline + Duration::from_millis(50));
    }
}
