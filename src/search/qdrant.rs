//! Search over a Qdrant collection: both candidate lists are computed by Qdrant with the filters pushed down
//! (the dense vector by cosine, the sparse `lexical` vector by BM25 with Qdrant's IDF), then ranked by the same
//! code as the embedded store's.

use super::corpus::{conversation_order, from_lists, Candidate, Corpus};
use super::rank::dot;
use super::Filter as SearchFilter;
use crate::error::Result;
use crate::lexical;
use crate::message::{Agent, MessageKind};
use crate::payload::Payload;
use crate::store::qdrant::client::{QdrantStore, Scored, SCROLL_PAGE};
use crate::store::qdrant::filter::{any_chunk_of, children_of, chunks_of, first_chunk_of, keyword};
use crate::store::qdrant::schema::{DENSE, LEXICAL, PROJECT_NAME_LC, TOPIC_NAMES};
use qdrant_client::qdrant::{Condition, Filter, Range, VectorInput};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use uuid::Uuid;

/// Most distinct projects listed (a facet request's limit).
const MAX_PROJECTS: u64 = 100_000;
/// Most session ids a facet request lists (an abbreviated `--session` is matched among them): the reply stays
/// under the client's 4 MiB message limit. A whole id is looked up on its own, whatever the number of sessions.
const MAX_SESSIONS: u64 = 50_000;

/// Search over a Qdrant collection (the [`Corpus`] of a data dir bound to Qdrant).
pub struct QdrantCorpus {
    store: Arc<QdrantStore>,
    /// The model id of the collection's vectors, once seen: a collection never changes model (the sink refuses
    /// vectors of another), so later searches skip the request. Not kept while the collection is empty.
    model: std::sync::OnceLock<String>,
}

impl QdrantCorpus {
    /// For messages with a chunk kept for lexical search only: the best cosine of their embedded chunks (one
    /// scroll for all of them), as the embedded store's index computes it.
    fn best_cosine_of_messages(
        &self,
        message_ids: &BTreeSet<&str>,
        query_vector: &[f32],
    ) -> Result<HashMap<String, f32>> {
        let mut best: HashMap<String, f32> = HashMap::new();
        if message_ids.is_empty() {
            return Ok(best);
        }
        for (_, p) in self
            .store
            .scroll_all_with_vectors(Some(any_chunk_of(message_ids.iter().copied())))?
        {
            if p.vector.is_empty() {
                continue;
            }
            let cosine = dot(&p.vector, query_vector);
            best.entry(p.payload.message_id)
                .and_modify(|b| *b = b.max(cosine))
                .or_insert(cosine);
        }
        Ok(best)
    }

    /// A corpus over `store`'s collection, which must exist with pipeline's shape.
    pub fn open(store: Arc<QdrantStore>) -> Result<Self> {
        store.verify_collection()?;
        Ok(QdrantCorpus {
            store,
            model: std::sync::OnceLock::new(),
        })
    }

    pub fn store(&self) -> &QdrantStore {
        &self.store
    }
}

/// Qdrant's order among equal scores is unspecified: order them by id, like the embedded store.
fn by_score_then_id(list: &mut [(Uuid, f32)]) {
    list.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

impl Corpus for QdrantCorpus {
    fn point_count(&self) -> Result<u64> {
        self.store.count(None)
    }

    fn project_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .store
            .facet("project_name", MAX_PROJECTS)?
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        names.sort();
        Ok(names)
    }

    fn project_paths(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .store
            .facet("project", MAX_PROJECTS)?
            .into_iter()
            .map(|(path, _)| path)
            .collect())
    }

    fn sessions_starting_with(&self, prefix: &str) -> Result<Vec<String>> {
        let exact = Filter::must([keyword("session_id", prefix)]);
        if self.store.count(Some(exact))? > 0 {
            return Ok(vec![prefix.to_string()]);
        }
        let ids = self.store.facet("session_id", MAX_SESSIONS)?;
        Ok(super::corpus::abbreviated(
            prefix,
            ids.iter().map(|(id, _)| id.as_str()),
        ))
    }

    fn candidates(
        &self,
        phrasings: &[&[f32]],
        query: &str,
        filter: &SearchFilter,
        per_list: usize,
    ) -> Result<Vec<Candidate>> {
        // Every list in one request: a dense query per phrasing, then the sparse one if the query has terms.
        let mut queries: Vec<(&str, VectorInput)> = phrasings
            .iter()
            .map(|v| (DENSE, VectorInput::new_dense(v.to_vec())))
            .collect();
        let (dims, weights) = lexical::sparse_query(query);
        let has_terms = !dims.is_empty();
        if has_terms {
            queries.push((LEXICAL, VectorInput::new_sparse(dims, weights)));
        }
        let mut lists = self
            .store
            .query_batch(&queries, to_qdrant(filter), per_list as u64)?;
        let lexical = if has_terms { lists.pop() } else { None }.unwrap_or_default();
        let semantic = lists;

        let keyed = |list: &[Scored]| -> Vec<(Uuid, f32)> {
            let mut list: Vec<(Uuid, f32)> = list.iter().map(|s| (s.id, s.score)).collect();
            by_score_then_id(&mut list);
            list
        };
        let sem: Vec<Vec<(Uuid, f32)>> = semantic.iter().map(|l| keyed(l)).collect();
        let lex = keyed(&lexical);
        let mut found: HashMap<Uuid, Scored> = HashMap::new();
        for s in lexical.into_iter().chain(semantic.into_iter().flatten()) {
            found.insert(s.id, s);
        }
        // A chunk without a vector is in the lexical list only, so only the query's own embedding scores it.
        let unembedded: BTreeSet<&str> = found
            .values()
            .filter(|s| s.vector.is_none())
            .map(|s| s.payload.message_id.as_str())
            .collect();
        let query_vector = phrasings.first().copied().unwrap_or_default();
        let by_message = self.best_cosine_of_messages(&unembedded, query_vector)?;
        Ok(from_lists(&sem, &lex, |id, phrasing, s, l| {
            let point = found.get(&id)?;
            let cosine = match point.vector.as_deref() {
                Some(v) => phrasings.get(phrasing).map(|q| dot(v, q)),
                None => by_message.get(&point.payload.message_id).copied(),
            };
            Some(Candidate::ranked(id, point.payload.clone(), s, l, || {
                cosine
            }))
        }))
    }

    fn embedding_model(&self) -> Result<Option<String>> {
        if let Some(model) = self.model.get() {
            return Ok(Some(model.clone()));
        }
        let page = self.store.scroll(None, None, 1, false)?;
        let model = page
            .points
            .into_iter()
            .next()
            .map(|(_, p)| p.payload.embedding_model);
        if let Some(m) = &model {
            let _ = self.model.set(m.clone());
        }
        Ok(model)
    }

    fn message(&self, message_id: &str) -> Result<Option<Payload>> {
        let page = self
            .store
            .scroll(Some(first_chunk_of(message_id)), None, 1, false)?;
        Ok(page.points.into_iter().next().map(|(_, p)| p.payload))
    }

    fn message_chunks(&self, message_id: &str) -> Result<Vec<Payload>> {
        let mut chunks: Vec<Payload> = self
            .store
            .scroll_all(Some(chunks_of(message_id)))?
            .into_iter()
            .map(|(_, p)| p.payload)
            .collect();
        chunks.sort_by_key(|p| p.chunk_index);
        Ok(chunks)
    }

    fn first_child(&self, message_id: &str) -> Result<Option<Payload>> {
        let children = self
            .store
            .scroll(Some(children_of(message_id)), None, SCROLL_PAGE, false)?
            .points
            .into_iter()
            .map(|(_, p)| p.payload);
        Ok(children.min_by(|a, b| conversation_order(a).cmp(&conversation_order(b))))
    }
}

fn kind_name(kind: MessageKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The Qdrant filter for a search filter (`None` when nothing is filtered).
pub(crate) fn to_qdrant(f: &SearchFilter) -> Option<Filter> {
    let mut must: Vec<Condition> = Vec::new();
    if let Some(project) = &f.project {
        must.push(
            Filter::should([
                keyword(PROJECT_NAME_LC, &project.to_ascii_lowercase()),
                keyword("project", project),
            ])
            .into(),
        );
    }
    if !f.project_paths.is_empty() {
        must.push(Condition::matches("project", f.project_paths.clone()));
    }
    if !f.kinds.is_empty() {
        let names: Vec<String> = f.kinds.iter().map(|k| kind_name(*k)).collect();
        must.push(Condition::matches("kind", names));
    }
    if let Some(topic) = &f.topic {
        must.push(keyword(TOPIC_NAMES, topic));
    }
    if f.has_code {
        must.push(Condition::matches("has_code", true));
    }
    if f.since.is_some() || f.until.is_some() {
        must.push(Condition::range(
            "timestamp_unix",
            Range {
                gte: f.since.map(|s| s as f64),
                lt: f.until.map(|u| u as f64),
                ..Default::default()
            },
        ));
    }
    if let Some(session) = &f.session {
        must.push(keyword("session_id", session));
    }
    if let Some(uuid) = &f.uuid {
        // Points written before `line_uuids` existed know only their first line's uuid.
        must.push(Filter::should([keyword("uuid", uuid), keyword("line_uuids", uuid)]).into());
    }
    if f.solutions {
        must.push(Condition::matches("is_solution_attempt", true));
    }
    if let Some(agent) = f.agent {
        let named = keyword("agent", agent.as_str());
        must.push(match agent {
            // Points written before `agent` existed are all Claude Code's.
            Agent::ClaudeCode => Filter::should([named, Condition::is_empty("agent")]).into(),
            _ => named,
        });
    }
    (!must.is_empty()).then(|| Filter::must(must))
}
