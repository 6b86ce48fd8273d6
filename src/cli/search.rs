//! `pipeline search`.

use super::{Common, EXIT_OK};
use clap::Args;
use pipeline::embedder::{default_model_dir, Embedder, EmbedderSettings, ModelFiles};
use pipeline::error::Error;
use pipeline::search::query::{self, QueryError, SearchOptions};
use pipeline::search::report::SearchReport;
use pipeline::search::{open_corpus, IndexSource, SearchMode};
use std::time::SystemTime;

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for: words, an error message, a file name, a question.
    pub query: String,
    /// Number of results (at least 1).
    #[arg(long, default_value_t = 10, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub limit: usize,
    /// Skip this many of the best hits (the next page: the `next_offset` of `--json`).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Only this project (its name, e.g. `spotter`, or its full path).
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "here",
        allow_hyphen_values = true,
        value_parser = super::parse_project
    )]
    pub project: Option<String>,
    /// Only the project of the current directory: its checkout, the repository's other worktrees, and sessions run
    /// below them.
    #[arg(long)]
    pub here: bool,
    /// Only these kinds: human, assistant, tool_call, tool_result, summary, hook_feedback (repeatable).
    #[arg(long = "kind", value_name = "KIND")]
    pub kinds: Vec<String>,
    /// Only messages about this topic.
    #[arg(long, value_name = "TOPIC")]
    pub topic: Option<String>,
    /// Only messages containing code.
    #[arg(long)]
    pub has_code: bool,
    /// Only messages at or after this date/time, or this long ago (7d, 12h).
    #[arg(long, value_name = "DATE|DUR")]
    pub since: Option<String>,
    /// Only messages before this date/time.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only this session: its id, or the first characters of it that hits show (if no other id starts so).
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
    /// Only the message containing the transcript line with this uuid (any line of a merged message).
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<String>,
    /// Ranking: hybrid (both lists fused), semantic (embedding only) or lexical (BM25 only).
    #[arg(long, value_name = "MODE", default_value = "hybrid", value_parser = parse_mode)]
    pub mode: SearchMode,
    /// Only assistant solution attempts, best validated first.
    #[arg(long)]
    pub solutions: bool,
    /// Only this agent's history: claude-code, codex or gemini-cli.
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Show N neighbouring messages (conversation tree) on each side of every hit.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// Show how each score was made (ranks, similarities, boosts).
    #[arg(long)]
    pub explain: bool,
    /// Also show weak matches: messages holding none of the query's words and little alike in meaning (hidden by
    /// default; the output says how many).
    #[arg(long)]
    pub weak: bool,
    /// One JSON object: the page's hits in the documented schema (README, "Search output"), and `next_offset`.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(common: &Common, args: SearchArgs) -> anyhow::Result<u8> {
    let chosen = common.chosen_sink()?;
    let rt = super::runtime()?;
    let (index, source) = open_corpus(&common.data_dir, &chosen.config, rt.handle().clone())?;
    let index = index.as_ref();
    if let IndexSource::Snapshot { created_unix } = source {
        let age = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs().saturating_sub(created_unix))
            .unwrap_or(0);
        eprintln!("note: a sync is running; searching the snapshot published {age}s ago");
    }
    let cwd = match std::env::current_dir() {
        Ok(dir) => Some(dir),
        // Without it `--here` would filter nothing and search everything.
        Err(e) if args.here => {
            return Err(Error::Config(format!(
                "--here: the current directory cannot be read ({e})"
            ))
            .into())
        }
        Err(_) => None,
    };
    let opts = SearchOptions {
        query: args.query.clone(),
        limit: args.limit,
        offset: args.offset,
        project: args.project.clone(),
        here: if args.here { cwd.clone() } else { None },
        kinds: args.kinds.clone(),
        topic: args.topic.clone(),
        has_code: args.has_code,
        since: args.since.clone(),
        until: args.until.clone(),
        session: args.session.clone(),
        uuid: args.uuid.clone(),
        mode: args.mode,
        solutions: args.solutions,
        agent: args.agent.clone(),
        context: args.context,
        include_weak: args.weak,
        cwd,
    };
    // Validate before loading the model, so usage errors are instant.
    let search = query::validate(index, &opts).map_err(usage)?;
    let settings = EmbedderSettings {
        batch_size: 1,
        ..EmbedderSettings::from_config(&common.config.embed)
    };
    let mut embedder = Embedder::load(
        &ModelFiles::from_config(&default_model_dir(), &common.config.embed.model),
        settings,
    )?;
    let hits = search.run(index, &mut embedder).map_err(usage)?;
    let from_snapshot = matches!(source, IndexSource::Snapshot { .. });
    let report = SearchReport::page(hits, args.offset, args.limit, from_snapshot, args.explain);
    if args.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        print_hits(&report)?;
    }
    Ok(EXIT_OK)
}

fn parse_mode(s: &str) -> Result<SearchMode, String> {
    SearchMode::parse(s).map_err(|e| e.to_string())
}

fn usage(e: QueryError) -> anyhow::Error {
    match e {
        QueryError::Failure(e) => e.into(),
        other => Error::Config(other.to_string()).into(),
    }
}

fn print_hits(report: &SearchReport) -> anyhow::Result<()> {
    if report.hits.is_empty() {
        match report.weak_hidden {
            0 => outln!("no results"),
            n => outln!("no close match: {n} weak matches hidden (none of the query's words, little alike in meaning); --weak shows them"),
        }
        return Ok(());
    }
    for h in &report.hits {
        outln!(
            "{:>2}. {:.4}  [{}] {}{} · {} · session {}{}",
            h.rank,
            h.score,
            h.kind.as_str(),
            h.project.as_deref().unwrap_or("?"),
            h.agent_label(),
            h.timestamp.as_deref().unwrap_or("?"),
            h.session_id.get(..8).unwrap_or(&h.session_id),
            h.part
                .as_ref()
                .map(|p| format!(" · part {p}"))
                .unwrap_or_default()
        );
        for c in &h.before {
            outln!("      ↑ [{}] {}", c.kind.as_str(), c.snippet);
        }
        outln!("    {}", h.snippet);
        for c in &h.after {
            outln!("      ↓ [{}] {}", c.kind.as_str(), c.snippet);
        }
        if let Some(e) = &h.explain {
            let rank = |r: Option<usize>| r.map_or("-".to_string(), |r| format!("#{r}"));
            let boosts: Vec<String> = e
                .boosts
                .iter()
                .map(|b| format!("{} ×{:.3}", b.name, b.factor))
                .collect();
            let semantic = if e.awaiting_vector {
                "not embedded yet, ranked by its words".to_string()
            } else {
                format!(
                    "{} (cosine {:.3}{})",
                    rank(e.semantic_rank),
                    e.cosine,
                    if e.cosine_from_expansion {
                        " with the expansion"
                    } else {
                        ""
                    }
                )
            };
            outln!(
                "    explain: semantic {semantic}, lexical {} (bm25 {:.2}), fused {:.4}{}{}",
                rank(e.lexical_rank),
                e.bm25,
                e.fused,
                if boosts.is_empty() { "" } else { ", " },
                boosts.join(", ")
            );
        }
    }
    if !report.expanded_with.is_empty() {
        outln!(
            "also searched by meaning with: {}",
            report.expanded_with.join(" ")
        );
    }
    if let Some(next) = report.next_offset {
        outln!("more: --offset {next}");
    }
    if report.weak_hidden > 0 {
        outln!(
            "{} weak matches hidden (none of the query's words, little alike in meaning): --weak shows them",
            report.weak_hidden
        );
    }
    Ok(())
}
