//! Runs the real `pipeline` binary as a user would, measuring it from outside.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The `pipeline` binary built beside this one.
pub fn pipeline_bin() -> anyhow::Result<PathBuf> {
    let bin = std::env::current_exe()?.with_file_name("pipeline");
    anyhow::ensure!(
        bin.is_file(),
        "{} is missing: build both binaries first (`make bench` does)",
        bin.display()
    );
    Ok(bin)
}

/// How one run of the binary went: wall time, peak memory, exit code and its `--json` summary.
pub struct ChildRun {
    /// From spawn to exit.
    pub wall_secs: f64,
    /// Peak resident memory (VmHWM), bytes.
    pub peak_rss: u64,
    pub exit_code: i32,
    /// The `--json` run summary.
    pub summary: serde_json::Value,
}

/// `pipeline --data-dir DATA run --json --source SOURCE [extra...]`.
pub fn run_pipeline(data: &Path, source: &Path, extra: &[&str]) -> anyhow::Result<ChildRun> {
    let mut cmd = Command::new(pipeline_bin()?);
    cmd.arg("--data-dir")
        .arg(data)
        .args(["run", "--json", "--source"])
        .arg(source)
        .args(extra);
    let (wall_secs, peak_rss, exit_code, stdout) = measured(cmd)?;
    Ok(ChildRun {
        wall_secs,
        peak_rss,
        exit_code,
        summary: serde_json::from_slice(&stdout).unwrap_or_default(),
    })
}

/// Runs `cmd` (stdout captured, stderr dropped) polling its peak memory: (wall seconds, peak RSS bytes, exit code,
/// stdout).
pub fn measured(mut cmd: Command) -> anyhow::Result<(f64, u64, i32, Vec<u8>)> {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kb * 1024);
            }
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let wall_secs = start.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    Ok((wall_secs, peak, out.status.code().unwrap_or(-1), out.stdout))
}

/// A number from the run summary (0 when absent).
pub fn field(summary: &serde_json::Value, name: &str) -> f64 {
    summary[name].as_f64().unwrap_or(0.0)
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1048576.0
}
