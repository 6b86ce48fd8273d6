//! `pipeline mcp`.

use super::{Common, EXIT_OK};
use crate::embedder::default_model_dir;
use crate::mcp::{serve, McpServer};

pub fn execute(common: &Common) -> anyhow::Result<u8> {
    let server = McpServer::new(
        common.data_dir.clone(),
        common.config.clone(),
        common.sink_overrides.clone(),
        default_model_dir(),
    );
    let rt = super::runtime()?;
    let result = rt.block_on(serve(server));
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    result?;
    Ok(EXIT_OK)
}
