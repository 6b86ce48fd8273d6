//! `pipeline export`.

use super::{Common, EXIT_OK};
use pipeline::config::SinkKind;
use pipeline::error::Error;
use pipeline::store::qdrant::client::SCROLL_PAGE;
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{snapshot, EmbeddedStore, StoredPoint, SyncState};
use std::io::Write;
use uuid::Uuid;

/// Every point in id order, from the store the data dir syncs to. For the embedded store while a sync is writing
/// it: the last published snapshot (committed points only; a note on stderr says so).
pub fn execute(common: &Common) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if chosen.config.kind == SinkKind::Qdrant {
        let rt = super::runtime()?;
        let q = QdrantStore::connect(&chosen.config, rt.handle().clone())?;
        q.verify_collection()?;
        let mut offset = None;
        loop {
            let page = q.scroll(None, offset, SCROLL_PAGE, true)?;
            if !write_points(&mut out, page.points)? {
                return Ok(EXIT_OK);
            }
            match page.next {
                Some(next) => offset = Some(next),
                None => break,
            }
        }
        return finish(out);
    }
    if !SyncState::exists(&common.data_dir) {
        return Err(Error::NoIndex {
            data_dir: common.data_dir.clone(),
        }
        .into());
    }
    let points: Vec<(Uuid, StoredPoint)> = match EmbeddedStore::open_reader(&common.data_dir) {
        Ok(store) => store.points().collect::<Result<_, _>>()?,
        Err(Error::Locked { .. }) => match snapshot::load(&common.data_dir)? {
            Some(published) => {
                eprintln!(
                    "note: a sync is running; exporting the snapshot published by the last run"
                );
                let mut points = published.points;
                points.sort_by_key(|(id, _)| *id);
                points
            }
            None => {
                return Err(Error::Locked {
                    data_dir: common.data_dir.clone(),
                }
                .into())
            }
        },
        Err(e) => return Err(e.into()),
    };
    if !write_points(&mut out, points)? {
        return Ok(EXIT_OK);
    }
    finish(out)
}

/// Writes one JSON line per point; false when the reader went away (a closed pipe is not an error).
fn write_points(
    out: &mut impl Write,
    points: impl IntoIterator<Item = (Uuid, StoredPoint)>,
) -> anyhow::Result<bool> {
    for (id, point) in points {
        // Whether it has its vector yet (the vector itself is not exported: it is the model's, not the user's).
        let embedded = !point.vector.is_empty();
        let line = serde_json::json!({"id": id.to_string(), "embedded": embedded, "payload": point.payload});
        if let Err(e) = writeln!(out, "{line}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(false);
            }
            return Err(e.into());
        }
    }
    Ok(true)
}

fn finish(mut out: impl Write) -> anyhow::Result<u8> {
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}
