//! A [`Filter`] turned into tests on a segment's document columns, so a filtered search never decodes a payload
//! to decide.

use crate::search::filter::Filter;
use crate::store::index_file::read::{DocRecord, MappedIndex};
use crate::store::index_file::write::{agent_code, kind_code, topic_bit};
use crate::store::index_file::{FLAG_HAS_CODE, FLAG_SOLUTION_ATTEMPT, NONE, NO_TIME};

/// A [`Filter`] turned into tests on document records.
pub(super) struct Columns {
    projects: Option<Vec<u32>>,
    kinds: Option<Vec<u8>>,
    topic: Option<u64>,
    flags: u8,
    since: Option<i64>,
    until: Option<i64>,
    session: Option<u32>,
    messages: Option<Vec<u32>>,
    agent: Option<u8>,
}

impl Columns {
    pub(super) fn of(index: &MappedIndex, filter: &Filter) -> Self {
        let tables = index.tables();
        let projects = filter.filters_projects().then(|| {
            tables
                .projects
                .iter()
                .enumerate()
                .filter(|(_, (name, path))| {
                    filter.accepts_project(name.as_deref(), path.as_deref())
                })
                .map(|(i, _)| i as u32)
                .collect()
        });
        let session = filter.session.as_ref().map(|s| {
            tables
                .sessions
                .iter()
                .position(|x| x == s)
                .map_or(NONE - 1, |i| i as u32)
        });
        let mut messages = filter.uuid.as_ref().map(|u| index.uuid_messages(u));
        if let Some(m) = &mut messages {
            m.sort_unstable();
        }
        Columns {
            projects,
            kinds: (!filter.kinds.is_empty())
                .then(|| filter.kinds.iter().map(|k| kind_code(*k)).collect()),
            topic: filter.topic.as_ref().map(|t| topic_bit(t).unwrap_or(0)),
            flags: (if filter.has_code { FLAG_HAS_CODE } else { 0 })
                | (if filter.solutions {
                    FLAG_SOLUTION_ATTEMPT
                } else {
                    0
                }),
            since: filter.since,
            until: filter.until,
            session,
            messages,
            agent: filter.agent.map(agent_code),
        }
    }

    /// Whether every document passes (no filter is set).
    pub(super) fn accepts_all(&self) -> bool {
        self.projects.is_none()
            && self.kinds.is_none()
            && self.topic.is_none()
            && self.flags == 0
            && self.since.is_none()
            && self.until.is_none()
            && self.session.is_none()
            && self.messages.is_none()
            && self.agent.is_none()
    }

    pub(super) fn matches(&self, r: &DocRecord) -> bool {
        if self
            .projects
            .as_ref()
            .is_some_and(|p| !p.contains(&r.project))
        {
            return false;
        }
        if self.kinds.as_ref().is_some_and(|k| !k.contains(&r.kind)) {
            return false;
        }
        if self.topic.is_some_and(|bit| r.topics & bit == 0) {
            return false;
        }
        if r.flags & self.flags != self.flags {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            if r.timestamp == NO_TIME {
                return false;
            }
            if self.since.is_some_and(|s| r.timestamp < s)
                || self.until.is_some_and(|u| r.timestamp >= u)
            {
                return false;
            }
        }
        if self.agent.is_some_and(|a| a != r.agent) {
            return false;
        }
        if self.session.is_some_and(|s| s != r.session) {
            return false;
        }
        if let Some(m) = &self.messages {
            if m.binary_search(&r.message).is_err() {
                return false;
            }
        }
        true
    }
}
