//! `pipeline export`.

use super::{Common, EXIT_OK};
use crate::error::Error;
use crate::store::{snapshot, EmbeddedStore, StoredPoint};
use std::io::Write;
use uuid::Uuid;

/// Every point in id order: from the database, or, while a sync is writing it, from the last published
/// snapshot (committed points only; a note on stderr says so).
pub fn execute(common: &Common) -> anyhow::Result<u8> {
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
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for (id, point) in points {
        let line = serde_json::json!({"id": id.to_string(), "payload": point.payload});
        if let Err(e) = writeln!(out, "{line}") {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(EXIT_OK);
            }
            return Err(e.into());
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}
