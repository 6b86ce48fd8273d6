//! `pipeline mcp`.

use super::{Common, EXIT_OK};
use pipeline::embedder::default_model_dir;
use pipeline::mcp::{serve, McpServer};

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
