//! `pipeline resume`.

use super::{Common, EXIT_OK};
use clap::Args;
use pipeline::history;
use pipeline::store::SyncState;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// Budget for this run [default: the saved run's budget].
    #[arg(long, value_parser = super::parse_budget, value_name = "DUR")]
    pub budget: Option<Duration>,
    /// Print one machine-readable summary object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: ResumeArgs) -> anyhow::Result<u8> {
    // A data dir nothing has synced into (a mistyped --data-dir) is not created: there is nothing to resume.
    let saved = if SyncState::exists(&common.data_dir) {
        let store = SyncState::open_reader(&common.data_dir)?;
        history::load_resume(&store)?
    } else {
        None
    };
    let never_synced = !SyncState::exists(&common.data_dir);
    let Some(mut settings) = saved else {
        if args.json {
            outln!(
                "{}",
                serde_json::json!({"stop_reason": "nothing_to_resume", "work_left": false})
            );
        } else if never_synced {
            outln!(
                "nothing to resume: no sync has run in {} (use `pipeline run`, or pass the --data-dir a sync used)",
                common.data_dir.display()
            );
        } else {
            outln!(
                "nothing to resume: the last run finished (use `pipeline run` to pick up new work)"
            );
        }
        return Ok(EXIT_OK);
    };
    if args.budget.is_some() {
        settings.budget = args.budget;
    }
    let report = if args.json {
        super::run::Report::Json
    } else {
        super::run::Report::Text
    };
    super::run::sync(common, settings, report, super::run::Remember::Yes)
}
