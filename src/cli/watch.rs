//! `pipeline watch`.

use super::{Common, EXIT_OK, EXIT_USAGE};
use clap::Args;
use pipeline::embedder::default_model_dir;
use pipeline::watch::{CycleReport, WatchSettings, Watcher};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Transcript directory to watch (repeatable) [default: as for `run`].
    #[arg(long = "source", value_name = "DIR")]
    pub sources: Vec<PathBuf>,
    /// Longest cycle; the data dir is locked no longer than this at a time.
    #[arg(long, value_parser = super::parse_budget, default_value = "5s", value_name = "DUR")]
    pub cycle: Duration,
    /// Quiet time after a change before a cycle starts (coalesces bursts of appends).
    #[arg(long, value_parser = super::parse_budget, default_value = "200ms", value_name = "DUR")]
    pub debounce: Duration,
    /// Look at every file this often even without notifications (a safety net for missed ones).
    #[arg(long, value_parser = super::parse_budget, default_value = "30s", value_name = "DUR")]
    pub rescan: Duration,
    /// Print one JSON object per cycle on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: WatchArgs) -> anyhow::Result<u8> {
    let Some(sources) = super::transcript_sources(&args.sources, &common.config) else {
        return Ok(EXIT_USAGE);
    };
    if args.cycle < Duration::from_secs(1) {
        eprintln!("error: --cycle must be at least 1s");
        return Ok(EXIT_USAGE);
    }
    common.chosen_sink()?; // a bad --sink/--qdrant-* is a usage error now, not a warning every cycle
    let watcher = Watcher {
        data_dir: common.data_dir.clone(),
        config: common.config.clone(),
        overrides: common.sink_overrides.clone(),
        model_dir: default_model_dir(),
        settings: WatchSettings {
            sources,
            cycle: args.cycle,
            debounce: args.debounce,
            rescan: args.rescan,
        },
    };
    let show = !args.json && !common.quiet && std::io::stderr().is_terminal();
    let spinner = if show {
        let s = indicatif::ProgressBar::new_spinner();
        s.enable_steady_tick(Duration::from_millis(250));
        s.set_message("watching for new conversation lines");
        s
    } else {
        indicatif::ProgressBar::hidden()
    };
    let (mut cycles, mut points) = (0u64, 0u64);
    let json = args.json;
    let on_cycle = |c: &CycleReport| {
        cycles += 1;
        points += c.summary.points_committed;
        if json {
            if let Ok(line) = serde_json::to_string(c) {
                // A closed pipe must not stop the watch (it keeps syncing); the line is lost with the reader.
                use std::io::Write as _;
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
        let lag = c
            .lag_secs
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, l| Some(m.map_or(l, |m| m.max(l))));
        spinner.set_message(format!(
            "watching · {cycles} cycles, {points} points stored · last: {} points ({}){}",
            c.summary.points_committed,
            c.trigger,
            lag.map_or(String::new(), |l| format!(", lag {l:.1}s"))
        ));
    };
    let rt = super::runtime()?;
    let result = rt.block_on(watcher.run(super::run::stop_signal(), on_cycle));
    spinner.finish_and_clear();
    rt.shutdown_timeout(Duration::from_millis(100));
    result?;
    Ok(EXIT_OK)
}
