//! `pipeline forget`.

use super::confirm::WATCH_WAIT;
use super::{Common, EXIT_OK, EXIT_USAGE};
use clap::Args;
use pipeline::config::SinkKind;
use pipeline::forget::{self, Forget};
use pipeline::store::qdrant::QdrantStore;
use pipeline::store::{SyncState, WriterLock};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["session", "project", "list"])))]
pub struct ForgetArgs {
    /// The session id (a transcript's file name; `pipeline search --json` shows it as `session_id`).
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// The project: its name (any case; a git worktree's is its repository's) or full path, as `pipeline search
    /// --project` takes it.
    #[arg(long, value_name = "NAME", allow_hyphen_values = true, value_parser = super::parse_project)]
    pub project: Option<String>,
    /// List what is forgotten.
    #[arg(long)]
    pub list: bool,
    /// Let the session or project be read again (the next run reads what is still on disk).
    #[arg(long, conflicts_with = "list")]
    pub undo: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: ForgetArgs) -> anyhow::Result<u8> {
    let target = match (&args.session, &args.project) {
        (Some(id), None) => Some(Forget::Session(id.clone())),
        (None, Some(name)) => Some(Forget::Project(name.clone())),
        (None, None) => None,
        (Some(_), Some(_)) => {
            eprintln!("error: give --session or --project, not both");
            return Ok(EXIT_USAGE);
        }
    };
    let Some(target) = target.filter(|_| !args.list) else {
        let store = SyncState::open_reader(&common.data_dir)?;
        let all = forget::tombstones(&store);
        if args.json {
            outln!("{}", serde_json::to_string(&all)?);
        } else if all.is_empty() {
            outln!("nothing is forgotten");
        } else {
            for t in all {
                outln!("{t}");
            }
        }
        return Ok(EXIT_OK);
    };
    let chosen = common.chosen_sink()?;
    let _writer = WriterLock::acquire_beside_watch(&common.data_dir, common.started + WATCH_WAIT)?;
    let store = SyncState::open_writer(&common.data_dir)?;
    if args.undo {
        let existed = forget::undo(&store, &target)?;
        outln!(
            "{}",
            if existed {
                format!("{target} will be read again by the next run (what is still on disk)")
            } else {
                format!("{target} was not forgotten")
            }
        );
        return Ok(EXIT_OK);
    }
    let question = format!(
        "Delete every point of {target} in {} and never read it again?",
        common.data_dir.display()
    );
    if let Some(code) =
        super::confirm::refusal(args.yes, &format!("every point of {target}"), &question)?
    {
        return Ok(code);
    }
    let rt = super::runtime()?;
    let qdrant = match chosen.config.kind {
        SinkKind::Qdrant => Some(QdrantStore::connect(&chosen.config, rt.handle().clone())?),
        SinkKind::Embedded => None,
    };
    let (_store, removed) = forget::forget(store, qdrant.as_ref(), &target)?;
    if args.json {
        outln!("{}", serde_json::to_string(&removed)?);
    } else {
        outln!(
            "forgot {target}: {} points, {} checkpoints, {} cached embeddings deleted; database rewritten without them ({} -> {}); its transcripts will not be read again (`pipeline forget --undo` allows it)",
            removed.points,
            removed.checkpoints,
            removed.cache_entries,
            indicatif::HumanBytes(removed.compacted.bytes_before),
            indicatif::HumanBytes(removed.compacted.bytes_after)
        );
        if removed.points == 0 {
            outln!("note: no stored point matched; check the {} (`pipeline search --json` shows session_id and project_name)", if args.session.is_some() { "session id" } else { "project name" });
        }
    }
    Ok(EXIT_OK)
}
