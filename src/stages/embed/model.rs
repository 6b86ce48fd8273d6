//! The model of the embed stage: loading on a blocking thread while parsing starts, waited for only when a
//! window needs it, and handed back to a long-lived caller when the stage ends.

use super::ModelLoad;
use super::ModelSlot;
use crate::embedder::Embedder;
use crate::error::{Error, Result};
use crate::shutdown::Shutdown;
use std::time::Instant;

pub(super) struct Model {
    pub(super) load: Option<ModelLoad>,
    pub(super) ready: Option<Embedder>,
    pub(super) slot: Option<ModelSlot>,
}

impl Drop for Model {
    /// Hands a loaded model back to the caller that keeps it (on every way the stage ends).
    fn drop(&mut self) {
        if let (Some(slot), Some(model)) = (&self.slot, self.ready.take()) {
            if let Ok(mut kept) = slot.lock() {
                *kept = Some(model);
            }
        }
    }
}

/// How waiting for the model ended.
pub(super) enum ModelWait {
    Ready,
    /// The deadline came first.
    Deadline,
    /// A stop notice came first.
    Stopped,
}

impl Model {
    pub(super) fn is_ready(&self) -> bool {
        self.ready.is_some()
    }

    /// Waits for the model that is loading, but not past `deadline` or a stop notice. Planning a window then uses
    /// the time really left instead of a guess at the load time.
    pub(super) async fn wait_ready(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Shutdown,
    ) -> Result<ModelWait> {
        if self.ready.is_some() {
            return Ok(ModelWait::Ready);
        }
        let Some(load) = self.load.as_mut() else {
            return Err(Error::embed_result("model is unavailable"));
        };
        let until_deadline = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            loaded = load => {
                self.load = None;
                self.ready = Some(loaded_model(loaded)?);
                Ok(ModelWait::Ready)
            }
            _ = until_deadline => Ok(ModelWait::Deadline),
            _ = shutdown.recv() => Ok(ModelWait::Stopped),
        }
    }

    pub(super) async fn get(&mut self) -> Result<Embedder> {
        if let Some(m) = self.ready.take() {
            return Ok(m);
        }
        match self.load.take() {
            Some(handle) => loaded_model(handle.await),
            None => Err(Error::embed_result("model is unavailable")),
        }
    }
}

/// The model out of its finished loader thread.
fn loaded_model(
    joined: std::result::Result<Result<Embedder>, tokio::task::JoinError>,
) -> Result<Embedder> {
    joined.map_err(|e| Error::embed("model loader failed", e))?
}
