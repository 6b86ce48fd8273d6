//! One search as the CLI and the MCP server both run it: options in, validated filters, ranked hits out.

use super::filter::{check_topic, parse_agent, parse_kind, parse_time};
use super::rank::SearchMode;
use super::{search, Corpus, Expansion, Filter, FilterError, Ranked, SearchRequest};
use crate::embedder::Embedder;
use crate::enhance::project::{is_home_dir, same_dir, same_repository, within_repository};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Everything a search can be asked for; strings are validated here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchOptions {
    pub query: String,
    /// Hybrid (default), semantic-only or lexical-only ranking.
    pub mode: SearchMode,
    pub limit: usize,
    /// Hits to skip (the ones an earlier page showed).
    pub offset: usize,
    /// A project name or path.
    pub project: Option<String>,
    /// Restrict to the stored project containing this directory (`--here`).
    pub here: Option<PathBuf>,
    pub kinds: Vec<String>,
    pub topic: Option<String>,
    pub has_code: bool,
    pub since: Option<String>,
    pub until: Option<String>,
    pub session: Option<String>,
    /// Only the message one of whose transcript lines has this uuid.
    pub uuid: Option<String>,
    pub solutions: bool,
    /// One agent's history only (`claude-code`, `codex`, `gemini-cli`).
    pub agent: Option<String>,
    pub context: usize,
    /// Keep weak matches (none of the query's words, little similarity) instead of hiding them.
    pub include_weak: bool,
    /// The caller's directory, for the same-project boost.
    pub cwd: Option<PathBuf>,
}

/// Longest query accepted, in characters: agents paste whole prompts into queries, and the model reads only its
/// first 256 tokens anyway.
const MAX_QUERY_CHARS: usize = 1000;

/// Why a search could not run: bad input (a usage error) or a failure.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    Filter(#[from] FilterError),
    #[error(
        "no stored project contains {dir} or lies below it; projects in the store: {projects}"
    )]
    NotAProject { dir: String, projects: String },
    #[error("the query is empty")]
    EmptyQuery,
    #[error("the query is {chars} characters long; at most {MAX_QUERY_CHARS}: search for its distinctive part (an error line, an identifier, a file name, a few words)")]
    QueryTooLong { chars: usize },
    /// The model or the store failed (not the caller's input).
    #[error(transparent)]
    Failure(#[from] crate::error::Error),
}

/// The store's project paths, asked for at most once per search (on Qdrant, a facet request).
struct StoredProjects<'a> {
    corpus: &'a dyn Corpus,
    paths: Option<BTreeSet<String>>,
}

impl<'a> StoredProjects<'a> {
    fn new(corpus: &'a dyn Corpus) -> Self {
        StoredProjects {
            corpus,
            paths: None,
        }
    }

    fn paths(&mut self) -> crate::error::Result<&BTreeSet<String>> {
        let paths = match self.paths.take() {
            Some(paths) => paths,
            None => self.corpus.project_paths()?,
        };
        Ok(self.paths.insert(paths))
    }

    /// The checkout `dir` is in ([`checkout_of`]): what `--here` and the same-project boost mean by "this project".
    fn checkout(&mut self, dir: &Path) -> crate::error::Result<String> {
        Ok(checkout_of(dir, self.paths()?))
    }

    /// The stored project paths `--here` covers from `dir` ([`here_paths`]).
    fn here(&mut self, dir: &Path) -> Result<Vec<String>, QueryError> {
        let covered = here_paths(dir, self.paths()?);
        if covered.is_empty() {
            return Err(QueryError::NotAProject {
                dir: dir.display().to_string(),
                projects: self.corpus.project_names()?.join(", "),
            });
        }
        Ok(covered)
    }
}

/// The checkout `dir` is in: the nearest directory at or above it that is a git checkout's root (holds `.git`) where
/// sessions ran (in it or in another worktree of its repository), else the nearest one where sessions ran (in
/// `stored`), else `dir` itself. A `.git` above where no session ran (a directory of checkouts kept in one
/// repository, a stray one in `/tmp`) is no checkout. A home directory, or one above homes, is the checkout only
/// when it is `dir`: a dotfiles repository in `~`, or sessions run there, do not make every project below it one.
fn checkout_of(dir: &Path, stored: &BTreeSet<String>) -> String {
    let text = |a: &Path| a.to_string_lossy().into_owned();
    let candidates = || {
        dir.ancestors()
            .filter(move |a| *a == dir || !is_home_dir(&text(a)))
    };
    let git_root = candidates()
        .find(|a| a.join(".git").exists())
        .map(text)
        .filter(|root| stored.iter().any(|s| same_repository(s, root)));
    // Stored as written by the agent: a drive letter's case may differ from the current directory's.
    let stored_as = |a: &Path| {
        let a = text(a);
        stored.iter().find(|s| same_dir(s, &a)).cloned()
    };
    git_root
        .or_else(|| candidates().find_map(stored_as))
        .unwrap_or_else(|| text(dir))
}

/// The stored project paths `--here` covers from `dir`: those of the checkout it is in ([`checkout_of`]), its
/// repository's other worktrees, and the directories below them ([`within_repository`]).
fn here_paths(dir: &Path, stored: &BTreeSet<String>) -> Vec<String> {
    let checkout = checkout_of(dir, stored);
    stored
        .iter()
        .filter(|p| within_repository(p, &checkout))
        .cloned()
        .collect()
}

/// The stored session id `given` names: itself, or the one id it abbreviates (hits show a session by its first
/// eight characters).
fn resolve_session(corpus: &dyn Corpus, given: &str) -> Result<String, QueryError> {
    let given = given.trim();
    if given.is_empty() {
        return Err(FilterError::EmptySession.into());
    }
    let mut matches = corpus.sessions_starting_with(given)?;
    if let Some(whole) = matches.iter().find(|m| m.eq_ignore_ascii_case(given)) {
        return Ok(whole.clone());
    }
    match matches.len() {
        0 => Err(FilterError::Session(given.to_string()).into()),
        1 => Ok(matches.remove(0)),
        _ => Err(FilterError::AmbiguousSession {
            given: given.to_string(),
            matches,
        }
        .into()),
    }
}

/// Validates the options into a filter (unknown values list the valid ones).
fn filter_for(
    corpus: &dyn Corpus,
    projects: &mut StoredProjects,
    opts: &SearchOptions,
    now: SystemTime,
) -> Result<Filter, QueryError> {
    let mut filter = Filter {
        project: None,
        project_paths: Vec::new(),
        kinds: opts
            .kinds
            .iter()
            .map(|k| parse_kind(k))
            .collect::<Result<_, _>>()?,
        topic: opts.topic.as_deref().map(check_topic).transpose()?,
        has_code: opts.has_code,
        since: opts
            .since
            .as_deref()
            .map(|s| parse_time(s, true, now))
            .transpose()?,
        until: opts
            .until
            .as_deref()
            .map(|s| parse_time(s, false, now))
            .transpose()?,
        session: opts
            .session
            .as_deref()
            .map(|s| resolve_session(corpus, s))
            .transpose()?,
        uuid: opts.uuid.clone(),
        solutions: opts.solutions,
        agent: opts.agent.as_deref().map(parse_agent).transpose()?,
    };
    if let (Some(since), Some(until)) = (filter.since, filter.until) {
        if since >= until {
            return Err(FilterError::EmptyTimeRange {
                since: opts.since.clone().unwrap_or_default(),
                until: opts.until.clone().unwrap_or_default(),
            }
            .into());
        }
    }
    if let Some(p) = &opts.project {
        let known = corpus.project_names()?;
        if !known.iter().any(|k| k.eq_ignore_ascii_case(p)) && !projects.paths()?.contains(p) {
            return Err(FilterError::Project {
                given: p.clone(),
                valid: known,
            }
            .into());
        }
        filter.project = Some(p.clone());
    } else if let Some(dir) = &opts.here {
        filter.project_paths = projects.here(dir)?;
    }
    Ok(filter)
}

/// A search whose input has been checked: the query's length and the filter (with any session abbreviation and
/// project already looked up in the store). Made by [`validate`], so a caller can refuse bad input before it
/// loads the model, and the store is asked once.
#[derive(Debug)]
pub struct ValidSearch<'a> {
    opts: &'a SearchOptions,
    filter: Filter,
    /// The checkout of the caller's directory (the same-project boost).
    current_project: Option<String>,
    now: SystemTime,
}

/// Checks a search's input against the store: the query, then the filter (unknown values list the valid ones).
pub fn validate<'a>(
    corpus: &dyn Corpus,
    opts: &'a SearchOptions,
) -> Result<ValidSearch<'a>, QueryError> {
    if opts.query.trim().is_empty() {
        return Err(QueryError::EmptyQuery);
    }
    let chars = opts.query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::QueryTooLong { chars });
    }
    let now = SystemTime::now();
    let mut projects = StoredProjects::new(corpus);
    let filter = filter_for(corpus, &mut projects, opts, now)?;
    let current_project = match opts.cwd.as_deref() {
        Some(dir) => Some(projects.checkout(dir)?),
        None => None,
    };
    Ok(ValidSearch {
        opts,
        filter,
        current_project,
        now,
    })
}

/// Runs one search: the best `offset + limit` hits, and one more when there is one (so a page knows whether
/// another follows; see [`super::report::SearchReport::page`]).
pub fn run(
    corpus: &dyn Corpus,
    embedder: &mut Embedder,
    opts: &SearchOptions,
) -> Result<Ranked, QueryError> {
    validate(corpus, opts)?.run(corpus, embedder)
}

impl ValidSearch<'_> {
    /// Runs the search (see [`run`]) on the store it was validated against.
    pub fn run(self, corpus: &dyn Corpus, embedder: &mut Embedder) -> Result<Ranked, QueryError> {
        let ValidSearch {
            opts,
            filter,
            current_project,
            now,
        } = self;
        if let Some(stored) = corpus.embedding_model()? {
            if stored != embedder.id() {
                return Err(QueryError::Failure(crate::error::Error::ModelMismatch {
                    store: "the index".to_string(),
                    stored,
                    wanted: embedder.id().to_string(),
                }));
            }
        }
        let terms = super::expand::expansion(&opts.query);
        let second_phrasing = (!terms.is_empty() && opts.mode != SearchMode::Lexical)
            .then(|| super::expand::expanded_query(&opts.query, &terms));
        let texts: Vec<&str> = std::iter::once(opts.query.as_str())
            .chain(second_phrasing.as_deref())
            .collect();
        // With a second model for questions in plain words, the form decides which models the query is asked of.
        let plain = super::plain_question::is_plain_question(&opts.query);
        let mut vectors = embedder.embed_query(&texts, plain)?.into_iter();
        let query_vector = vectors.next().unwrap_or_default();
        let expansion = vectors.next().map(|vector| Expansion { terms, vector });
        let req = SearchRequest {
            query: opts.query.clone(),
            expansion,
            mode: opts.mode,
            limit: opts
                .offset
                .saturating_add(opts.limit.max(1))
                .saturating_add(1),
            filter,
            context: opts.context,
            current_project,
            now_unix: now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
            // Each model's cut-off is its own (`embed.model.weak_cosine`): cosines run on a model's own scale.
            weak_cosine: embedder
                .weak_cosine_for(plain)
                .filter(|_| !opts.include_weak),
        };
        let mut ranked = search(corpus, &query_vector, &req)?;
        // Shown and calibrated on the models' own scale.
        let scale = embedder.cosine_scale(plain);
        ranked.hits.iter_mut().for_each(|h| h.cosine *= scale);
        Ok(ranked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The filter a search's options validate into.
    fn filter_of(corpus: &dyn Corpus, opts: &SearchOptions) -> Result<Filter, QueryError> {
        validate(corpus, opts).map(|v| v.filter)
    }

    #[test]
    fn a_time_range_that_ends_before_it_starts_is_refused() {
        let empty = crate::search::SearchIndex::from_points(std::iter::empty());
        let opts = |since: &str, until: &str| SearchOptions {
            query: "x".into(),
            since: Some(since.into()),
            until: Some(until.into()),
            ..Default::default()
        };
        let err = filter_of(&empty, &opts("2026-02-12", "2026-02-01"))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("empty time range")),
            "{err:?}"
        );
        assert!(filter_of(&empty, &opts("2026-02-12", "2026-02-12")).is_err());
        assert!(filter_of(&empty, &opts("2026-02-01", "2026-02-12")).is_ok());
    }

    #[test]
    fn a_session_is_named_by_its_id_or_by_a_prefix_only_it_has() {
        use crate::store::embedded::tests::payload;
        use crate::store::StoredPoint;
        let sessions = [
            "c64cc478-0e1f-4c6a-9d0b-1",
            "c64cc478-0e1f-4c6a-9d0b-12",
            "d1e2f3a4-5b6c-4d7e-8f90-a",
        ];
        let index =
            crate::search::SearchIndex::from_points(sessions.iter().enumerate().map(|(i, s)| {
                let point = StoredPoint {
                    vector: vec![1.0, 0.0],
                    payload: payload(s, "u", 0, 1),
                };
                (uuid::Uuid::from_u128(i as u128 + 1), point)
            }));
        let session = |given: &str| {
            let opts = SearchOptions {
                query: "x".into(),
                session: Some(given.into()),
                ..Default::default()
            };
            filter_of(&index, &opts)
                .map(|f| f.session.unwrap_or_default())
                .map_err(|e| e.to_string())
        };
        assert_eq!(session("d1e2f3a4"), Ok(sessions[2].to_string()));
        assert_eq!(
            session("D1E2F3A4"),
            Ok(sessions[2].to_string()),
            "case aside"
        );
        assert_eq!(
            session("c64cc478-0e1f-4c6a-9d0b-1"),
            Ok(sessions[0].to_string()),
            "a whole id is itself even when it begins another"
        );
        let ambiguous = session("c64cc478").err().unwrap_or_default();
        assert!(
            ambiguous.contains("abbreviates 2") && ambiguous.contains(sessions[1]),
            "{ambiguous}"
        );
        let unknown = session("ffff").err().unwrap_or_default();
        assert!(unknown.contains("no stored session id"), "{unknown}");
        assert_eq!(session(" "), Err("the session id is empty".to_string()));
    }

    #[test]
    fn here_is_the_checkout_its_worktrees_and_below_never_a_whole_home() {
        let stored: BTreeSet<String> = [
            "/home/me",
            "/home/me/code/app",
            "/home/me/code/app/backend",
            "/home/me/code/app-worktrees/feat",
            "/home/me/code/ledger",
            "/home/other/app",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let here = |dir: &str| here_paths(Path::new(dir), &stored);
        let app = [
            "/home/me/code/app",
            "/home/me/code/app-worktrees/feat",
            "/home/me/code/app/backend",
        ];
        // From the main checkout's subdirectory, or a worktree: the repository.
        assert_eq!(here("/home/me/code/app/src"), app);
        assert_eq!(here("/home/me/code/app-worktrees/feat/lib"), app);
        // Sessions run in ~ do not make ~ the checkout of every project below it.
        assert_eq!(
            here("/home/me/code"),
            [
                "/home/me/code/app",
                "/home/me/code/app-worktrees/feat",
                "/home/me/code/app/backend",
                "/home/me/code/ledger"
            ]
        );
        assert_eq!(here("/home/me/notes"), Vec::<String>::new());
        // In ~ itself: the sessions run there, not every user's projects.
        assert_eq!(here("/home/me"), ["/home/me"]);
        assert_eq!(here("/home"), Vec::<String>::new());
    }
}
