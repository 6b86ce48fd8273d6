//! `pipeline export`.

use super::{Common, EXIT_OK};
use crate::store::EmbeddedStore;
use std::io::Write;

pub fn execute(common: &Common) -> anyhow::Result<u8> {
    let store = EmbeddedStore::open(&common.data_dir)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for point in store.points() {
        let (id, point) = point?;
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
