//! Stopping early, mini-redis style: one broadcast notifies every stage; each stage holds a [`Shutdown`] token.
//!
//! Two signals exist: *stop intake* (the budget is nearly spent, or SIGINT/SIGTERM arrived: read nothing new,
//! finish what is in flight) and *abandon* (the hard deadline passed: the embed stage gives up the window it is
//! embedding). Each is its own broadcast; see `sync::stages`.

use tokio::sync::broadcast;

/// Listens for the stop-intake notice.
#[derive(Debug)]
pub struct Shutdown {
    is_shutdown: bool,
    notify: broadcast::Receiver<()>,
}

impl Shutdown {
    pub fn new(notify: broadcast::Receiver<()>) -> Self {
        Shutdown {
            is_shutdown: false,
            notify,
        }
    }

    /// Non-blocking check, usable from blocking code (the parse stage).
    pub fn is_shutdown(&mut self) -> bool {
        if !self.is_shutdown {
            match self.notify.try_recv() {
                Ok(()) | Err(broadcast::error::TryRecvError::Closed) => self.is_shutdown = true,
                Err(broadcast::error::TryRecvError::Lagged(_)) => self.is_shutdown = true,
                Err(broadcast::error::TryRecvError::Empty) => {}
            }
        }
        self.is_shutdown
    }

    /// Waits for the notice.
    pub async fn recv(&mut self) {
        if self.is_shutdown {
            return;
        }
        let _ = self.notify.recv().await;
        self.is_shutdown = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notice_reaches_every_token() {
        let (tx, _) = broadcast::channel(1);
        let mut a = Shutdown::new(tx.subscribe());
        let mut b = Shutdown::new(tx.subscribe());
        assert!(!a.is_shutdown());
        let _ = tx.send(());
        assert!(a.is_shutdown());
        b.recv().await;
        assert!(b.is_shutdown());
    }
}
