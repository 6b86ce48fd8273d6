//! Search filters. Every filter is optional and they always combine with AND. Values are checked against what
//! exists, and an unknown value is an error that lists the valid ones.

use crate::enhance::topics::TOPICS;
use crate::message::{Agent, MessageKind};
use crate::payload::Payload;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a search is restricted to (project, kinds, topic, time, session, ...); the default accepts everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Project name (last path component) or full project path.
    pub project: Option<String>,
    /// The project path is one of these (`--here`: the checkout, its repository's other worktrees and the
    /// directories below them). Empty: any.
    pub project_paths: Vec<String>,
    /// Any of these kinds (empty: all kinds).
    pub kinds: Vec<MessageKind>,
    pub topic: Option<String>,
    pub has_code: bool,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
    pub session: Option<String>,
    /// The message one of whose transcript lines has this uuid.
    pub uuid: Option<String>,
    /// Assistant solution attempts only.
    pub solutions: bool,
    /// One agent's history only.
    pub agent: Option<Agent>,
}

/// Most session ids an ambiguous abbreviation's error lists.
const MAX_LISTED_SESSIONS: usize = 5;

/// A filter value that names nothing valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("unknown kind {0:?}; valid kinds: human, assistant, tool_call, tool_result, summary, hook_feedback")]
    Kind(String),
    #[error("unknown topic {given:?}; valid topics: {}", valid.join(", "))]
    Topic { given: String, valid: Vec<String> },
    #[error("unknown project {given:?}; projects in the store: {}", if valid.is_empty() { "(none)".to_string() } else { valid.join(", ") })]
    Project { given: String, valid: Vec<String> },
    #[error("unknown agent {0:?}; valid agents: claude-code, codex, gemini-cli")]
    Agent(String),
    #[error("invalid time {0:?}: use a date (2026-01-31), an RFC 3339 time (2026-01-31T12:00:00Z) or, for --since, a duration such as 7d or 12h")]
    Time(String),
    #[error("no stored session id is or starts with {0:?} (each hit shows the first characters of its session id; session_id in JSON results holds it whole)")]
    Session(String),
    #[error("the session id is empty")]
    EmptySession,
    #[error("{given:?} abbreviates {} stored session ids, give more of it: {}{}", matches.len(), matches.iter().take(MAX_LISTED_SESSIONS).cloned().collect::<Vec<_>>().join(", "), if matches.len() > MAX_LISTED_SESSIONS { ", ..." } else { "" })]
    AmbiguousSession { given: String, matches: Vec<String> },
    #[error("empty time range: since {since:?} is not before until {until:?}")]
    EmptyTimeRange { since: String, until: String },
}

impl Filter {
    /// Whether a project filter is set (`project` or `project_paths`).
    pub fn filters_projects(&self) -> bool {
        self.project.is_some() || !self.project_paths.is_empty()
    }

    /// True when the project named `name` at `path` passes the project filters: `project` names it (case aside)
    /// or is its path, and `project_paths`, when given, lists its path.
    pub fn accepts_project(&self, name: Option<&str>, path: Option<&str>) -> bool {
        let named = self.project.as_deref().is_none_or(|wanted| {
            name.is_some_and(|n| n.eq_ignore_ascii_case(wanted)) || path == Some(wanted)
        });
        let listed = self.project_paths.is_empty()
            || path.is_some_and(|p| self.project_paths.iter().any(|listed| listed == p));
        named && listed
    }

    /// True when `p` passes every filter that is set.
    pub fn matches(&self, p: &Payload) -> bool {
        if !self.accepts_project(p.project_name.as_deref(), p.project.as_deref()) {
            return false;
        }
        if !self.kinds.is_empty() && !self.kinds.contains(&p.kind) {
            return false;
        }
        if let Some(topic) = &self.topic {
            if !p.topics.iter().any(|t| &t.topic == topic) {
                return false;
            }
        }
        if self.has_code && !p.has_code {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(ts) = p.timestamp_unix else {
                return false;
            };
            if self.since.is_some_and(|s| ts < s) || self.until.is_some_and(|u| ts >= u) {
                return false;
            }
        }
        if let Some(session) = &self.session {
            if &p.session_id != session {
                return false;
            }
        }
        if let Some(uuid) = &self.uuid {
            if !p.has_uuid(uuid) {
                return false;
            }
        }
        if self.solutions && !p.is_solution_attempt {
            return false;
        }
        if self.agent.is_some_and(|a| a != p.agent) {
            return false;
        }
        true
    }
}

pub fn parse_kind(s: &str) -> Result<MessageKind, FilterError> {
    MessageKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| FilterError::Kind(s.to_string()))
}

pub fn parse_agent(s: &str) -> Result<Agent, FilterError> {
    Agent::parse(s).ok_or_else(|| FilterError::Agent(s.to_string()))
}

pub fn check_topic(s: &str) -> Result<String, FilterError> {
    if TOPICS.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(FilterError::Topic {
            given: s.to_string(),
            valid: TOPICS.iter().map(|t| t.to_string()).collect(),
        })
    }
}

/// A date, an RFC 3339 time, or (when `allow_duration`) a duration back from now, as Unix seconds.
pub fn parse_time(s: &str, allow_duration: bool, now: SystemTime) -> Result<i64, FilterError> {
    let err = || FilterError::Time(s.to_string());
    let t = s.trim();
    let as_unix = |st: SystemTime| {
        st.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .map_err(|_| err())
    };
    if let Ok(st) = humantime::parse_rfc3339_weak(t) {
        return as_unix(st);
    }
    if t.len() == 10 {
        if let Ok(st) = humantime::parse_rfc3339_weak(&format!("{t}T00:00:00Z")) {
            return as_unix(st);
        }
    }
    if allow_duration {
        if let Ok(d) = humantime::parse_duration(t) {
            return as_unix(now.checked_sub(d).unwrap_or(UNIX_EPOCH));
        }
    }
    Err(err())
}

/// Seconds in a day, for recency.
pub const DAY: Duration = Duration::from_secs(86_400);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_dates_times_and_durations() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(parse_time("2026-01-01", false, now), Ok(1_767_225_600));
        assert_eq!(
            parse_time("2026-01-01T01:00:00Z", false, now),
            Ok(1_767_229_200)
        );
        assert_eq!(parse_time("7d", true, now), Ok(1_800_000_000 - 7 * 86_400));
        assert!(parse_time("7d", false, now).is_err());
        assert!(parse_time("yesterday-ish", true, now).is_err());
    }

    #[test]
    fn unknown_values_list_the_valid_ones() {
        let e = check_topic("astrology")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("debugging") && e.contains("astrology"), "{e}");
        let e = parse_kind("robot")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("tool_result"), "{e}");
        assert_eq!(parse_kind("tool_call"), Ok(MessageKind::ToolCall));
    }
}
