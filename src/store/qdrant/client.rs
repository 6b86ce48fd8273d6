//! A connection to one collection on one Qdrant server, with every request under the retry policy.
//!
//! The methods are synchronous: they run the request on the tokio runtime whose handle the store was given, so
//! they may be called from plain threads and from `spawn_blocking`, never from inside an async task.

use super::encode::{self, dense_of, from_payload, uuid_of};
use super::retry::{RetryPolicy, Target};
use super::schema;
use crate::config::SinkConfig;
use crate::error::{Error, Result};
use crate::payload::Payload;
use crate::store::StoredPoint;
use qdrant_client::qdrant::with_vectors_selector::SelectorOptions;
use qdrant_client::qdrant::VectorsSelector;
use qdrant_client::qdrant::{
    facet_value, CountPointsBuilder, CreateFieldIndexCollectionBuilder, DeletePointsBuilder,
    FacetCountsBuilder, Filter, GetPointsBuilder, NamedVectors, PointId, PointStruct, PointVectors,
    QueryBatchPointsBuilder, QueryPoints, QueryPointsBuilder, ScoredPoint, ScrollPointsBuilder,
    SetPayloadPointsBuilder, UpdatePointVectorsBuilder, UpsertPointsBuilder, Vector, VectorInput,
};
use qdrant_client::Qdrant;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use uuid::Uuid;

/// Points per upsert request (keeps each request well under gRPC's message size limits).
const UPSERT_CHUNK: usize = 128;
/// Points per scroll page.
pub const SCROLL_PAGE: u32 = 256;

/// Only the dense vector (the sparse one is never read back).
fn dense_only() -> VectorsSelector {
    VectorsSelector {
        names: vec![schema::DENSE.to_string()],
    }
}

/// A connection to one collection on one Qdrant server.
pub struct QdrantStore {
    client: Qdrant,
    handle: Handle,
    url: String,
    /// Where the API key comes from, named in authentication errors (the key itself never is).
    key_source: String,
    collection: String,
    policy: RetryPolicy,
}

/// What [`QdrantStore::ensure_collection`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionState {
    pub created: bool,
    pub points: u64,
}

/// A page of points read back.
pub struct Page {
    pub points: Vec<(Uuid, StoredPoint)>,
    pub next: Option<PointId>,
}

/// A scored point read back by a query.
pub struct Scored {
    pub id: Uuid,
    pub score: f32,
    pub payload: Payload,
    pub vector: Option<Vec<f32>>,
}

impl QdrantStore {
    /// Prepares a client (no request is made yet). `handle` is the runtime requests run on.
    pub fn connect(cfg: &SinkConfig, handle: Handle) -> Result<Self> {
        let url = cfg.effective_url();
        let timeout = Duration::from_millis(cfg.timeout_ms);
        // No compatibility check: it blocks on a request and prints to stdout (the MCP server's channel).
        let key = cfg.api_key();
        let key_source = match &key {
            Some(_) => format!(
                "the API key is read from ${}, which is set (its value is never shown); check it",
                cfg.api_key_env
            ),
            None => format!(
                "the API key is read from ${} (sink.api_key_env), which is not set",
                cfg.api_key_env
            ),
        };
        let client = Qdrant::from_url(&url)
            .api_key(key)
            .timeout(timeout)
            .connect_timeout(Duration::from_millis(cfg.connect_timeout_ms))
            .skip_compatibility_check()
            .build()
            .map_err(|e| Error::Config(format!("Qdrant URL {url:?}: {e}")))?;
        Ok(QdrantStore {
            client,
            handle,
            url,
            key_source,
            collection: cfg.collection.clone(),
            policy: RetryPolicy {
                retries: cfg.retries,
                backoff: Duration::from_millis(cfg.backoff_ms),
                timeout,
            },
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// "Qdrant at URL, collection NAME".
    pub fn describe(&self) -> String {
        format!("Qdrant at {}, collection {:?}", self.url, self.collection)
    }

    fn call<T, Fut>(
        &self,
        operation: &str,
        deadline: Option<Instant>,
        attempt: impl FnMut() -> Fut,
    ) -> Result<T>
    where
        Fut: Future<Output = std::result::Result<T, qdrant_client::QdrantError>>,
    {
        let target = Target {
            url: &self.url,
            operation,
            key_source: &self.key_source,
        };
        self.handle
            .block_on(self.policy.run(target, deadline, attempt))
    }

    fn decode_error(&self, message: String) -> Error {
        Error::Store {
            path: format!("{} ({})", self.url, self.collection).into(),
            message,
        }
    }

    /// The server's version (a request that proves it is reachable and the key is accepted).
    pub fn server_version(&self) -> Result<String> {
        let reply = self.call("health check", None, || self.client.health_check())?;
        Ok(reply.version)
    }

    /// Creates the collection, for vectors of `dimension` floats, and its payload indexes if missing; refuses a
    /// collection of another shape or dimension. No request runs past `deadline`.
    pub fn ensure_collection(
        &self,
        deadline: Option<Instant>,
        dimension: usize,
    ) -> Result<CollectionState> {
        let name = self.collection.as_str();
        let exists = self.call("check the collection", deadline, || {
            self.client.collection_exists(name)
        })?;
        let mut created = false;
        if !exists {
            let made = self.call("create the collection", deadline, || {
                self.client
                    .create_collection(schema::create_request(name, dimension))
            });
            match made {
                Ok(_) => created = true,
                // Created meanwhile by another process: check its shape below like any existing collection.
                Err(Error::Qdrant { ref message, .. }) if message.contains("already exists") => {}
                Err(e) => return Err(e),
            }
        }
        let info = self.verify_collection_by(deadline, Some(dimension))?;
        for (field, kind) in schema::missing_indexes(&info) {
            self.call(
                &format!("create the payload index on {field}"),
                deadline,
                || {
                    self.client.create_field_index(
                        CreateFieldIndexCollectionBuilder::new(name, field, kind).wait(true),
                    )
                },
            )?;
        }
        Ok(CollectionState {
            created,
            points: info.points_count.unwrap_or(0),
        })
    }

    /// Checks that the collection exists and has pipeline's shape, of any dimension (for readers: nothing is
    /// created).
    pub fn verify_collection(&self) -> Result<qdrant_client::qdrant::CollectionInfo> {
        self.verify_collection_by(None, None)
    }

    fn verify_collection_by(
        &self,
        deadline: Option<Instant>,
        dimension: Option<usize>,
    ) -> Result<qdrant_client::qdrant::CollectionInfo> {
        let name = self.collection.as_str();
        let info = self
            .call("read the collection", deadline, || {
                self.client.collection_info(name)
            })
            .map_err(|e| match e {
                Error::Qdrant { ref message, .. } if message.starts_with("NotFound") => {
                    Error::Config(format!(
                        "{} does not exist; `pipeline run` with this sink creates it",
                        self.describe()
                    ))
                }
                e => e,
            })?;
        let info = info.result.unwrap_or_default();
        if let Some(problem) = schema::mismatch(name, &info, dimension) {
            return Err(Error::Config(format!("Qdrant at {}: {problem}", self.url)));
        }
        Ok(info)
    }

    /// Deletes the collection and every point in it.
    pub fn drop_collection(&self) -> Result<()> {
        self.call("delete the collection", None, || {
            self.client.delete_collection(self.collection.as_str())
        })?;
        Ok(())
    }

    /// Exact number of points matching `filter` (all points without one).
    pub fn count(&self, filter: Option<Filter>) -> Result<u64> {
        let reply = self.call("count points", None, || {
            let mut req = CountPointsBuilder::new(self.collection.as_str()).exact(true);
            if let Some(f) = filter.clone() {
                req = req.filter(f);
            }
            self.client.count(req)
        })?;
        Ok(reply.result.map_or(0, |r| r.count))
    }

    /// Writes points and waits until Qdrant has applied them.
    pub fn upsert(&self, points: Vec<PointStruct>, deadline: Option<Instant>) -> Result<()> {
        for chunk in points.chunks(UPSERT_CHUNK) {
            let n = chunk.len();
            self.call(&format!("upsert {n} points"), deadline, || {
                self.client.upsert_points(
                    UpsertPointsBuilder::new(self.collection.as_str(), chunk.to_vec()).wait(true),
                )
            })?;
        }
        Ok(())
    }

    /// Which of `ids` exist in the collection.
    pub fn existing(&self, ids: &[Uuid]) -> Result<std::collections::HashSet<Uuid>> {
        let wanted: Vec<PointId> = ids.iter().map(|id| encode::point_id(*id)).collect();
        let reply = self.call("get points", None, || {
            self.client.get_points(
                GetPointsBuilder::new(self.collection.as_str(), wanted.clone())
                    .with_payload(false)
                    .with_vectors(false),
            )
        })?;
        reply
            .result
            .iter()
            .map(|p| uuid_of(p.id.as_ref()).map_err(|e| self.decode_error(e)))
            .collect()
    }

    /// Sets the dense vector of existing points (their payloads and lexical vectors stay) and waits until
    /// Qdrant has applied it.
    pub fn update_vectors(
        &self,
        vectors: &[(Uuid, Vec<f32>)],
        deadline: Option<Instant>,
    ) -> Result<()> {
        for chunk in vectors.chunks(UPSERT_CHUNK) {
            let points: Vec<PointVectors> = chunk
                .iter()
                .map(|(id, v)| PointVectors {
                    id: Some(encode::point_id(*id)),
                    vectors: Some(
                        NamedVectors::default()
                            .add_vector(schema::DENSE, Vector::new_dense(v.clone()))
                            .into(),
                    ),
                })
                .collect();
            let n = points.len();
            self.call(&format!("update {n} vectors"), deadline, || {
                self.client.update_vectors(
                    UpdatePointVectorsBuilder::new(self.collection.as_str(), points.clone())
                        .wait(true),
                )
            })?;
        }
        Ok(())
    }

    /// Deletes the points matching `filter` and waits until it is applied.
    pub fn delete(&self, filter: Filter, deadline: Option<Instant>) -> Result<()> {
        self.call("delete points", deadline, || {
            self.client.delete_points(
                DeletePointsBuilder::new(self.collection.as_str())
                    .points(filter.clone())
                    .wait(true),
            )
        })?;
        Ok(())
    }

    /// Sets payload fields on the points matching `filter` and waits until it is applied.
    pub fn set_payload(
        &self,
        filter: Filter,
        payload: qdrant_client::Payload,
        deadline: Option<Instant>,
    ) -> Result<()> {
        self.call("set payload", deadline, || {
            self.client.set_payload(
                SetPayloadPointsBuilder::new(self.collection.as_str(), payload.clone())
                    .points_selector(filter.clone())
                    .wait(true),
            )
        })?;
        Ok(())
    }

    /// One page of points in id order from `offset`, with their vectors if asked.
    pub fn scroll(
        &self,
        filter: Option<Filter>,
        offset: Option<PointId>,
        limit: u32,
        with_vectors: bool,
    ) -> Result<Page> {
        let reply = self.call("scroll points", None, || {
            let mut req = ScrollPointsBuilder::new(self.collection.as_str())
                .limit(limit)
                .with_payload(true)
                .with_vectors(if with_vectors {
                    SelectorOptions::from(dense_only())
                } else {
                    SelectorOptions::Enable(false)
                });
            if let Some(f) = filter.clone() {
                req = req.filter(f);
            }
            if let Some(o) = offset.clone() {
                req = req.offset(o);
            }
            self.client.scroll(req)
        })?;
        let mut points = Vec::with_capacity(reply.result.len());
        for p in reply.result {
            let id = uuid_of(p.id.as_ref()).map_err(|m| self.decode_error(m))?;
            let payload = from_payload(p.payload)
                .map_err(|m| self.decode_error(format!("point {id}: {m}")))?;
            let vector = dense_of(p.vectors).unwrap_or_default();
            points.push((id, StoredPoint { vector, payload }));
        }
        Ok(Page {
            points,
            next: reply.next_page_offset,
        })
    }

    /// Every point matching `filter`, in id order, without vectors.
    pub fn scroll_all(&self, filter: Option<Filter>) -> Result<Vec<(Uuid, StoredPoint)>> {
        self.scroll_every(filter, false)
    }

    /// Every point matching `filter`, in id order, with its dense vector (empty for a lexical-only chunk).
    pub fn scroll_all_with_vectors(
        &self,
        filter: Option<Filter>,
    ) -> Result<Vec<(Uuid, StoredPoint)>> {
        self.scroll_every(filter, true)
    }

    fn scroll_every(
        &self,
        filter: Option<Filter>,
        with_vectors: bool,
    ) -> Result<Vec<(Uuid, StoredPoint)>> {
        let mut out = Vec::new();
        let mut offset = None;
        loop {
            let page = self.scroll(filter.clone(), offset, SCROLL_PAGE, with_vectors)?;
            out.extend(page.points);
            match page.next {
                Some(next) => offset = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Nearest points to a dense vector (`DENSE`) or to a sparse query (`LEXICAL`), best first.
    pub fn query(
        &self,
        using: &str,
        input: VectorInput,
        filter: Option<Filter>,
        limit: u64,
    ) -> Result<Vec<Scored>> {
        let request = self.query_request(using, input, filter, limit);
        let reply = self.call("query", None, || self.client.query(request.clone()))?;
        reply.result.into_iter().map(|p| self.scored(p)).collect()
    }

    /// A query on one vector (`using`) of this collection, with payloads and dense vectors in the answer.
    fn query_request(
        &self,
        using: &str,
        input: VectorInput,
        filter: Option<Filter>,
        limit: u64,
    ) -> QueryPoints {
        let mut req = QueryPointsBuilder::new(self.collection.as_str())
            .query(input)
            .using(using)
            .limit(limit)
            .with_payload(true)
            .with_vectors(dense_only());
        if let Some(f) = filter {
            req = req.filter(f);
        }
        req.build()
    }

    /// Several queries (`using`, input) under one filter and limit, in one request: each one's points, best first.
    pub fn query_batch(
        &self,
        queries: &[(&str, VectorInput)],
        filter: Option<Filter>,
        limit: u64,
    ) -> Result<Vec<Vec<Scored>>> {
        if queries.is_empty() {
            return Ok(Vec::new());
        }
        let requests: Vec<QueryPoints> = queries
            .iter()
            .map(|(using, input)| self.query_request(using, input.clone(), filter.clone(), limit))
            .collect();
        let reply = self.call(&format!("query ({} lists)", queries.len()), None, || {
            self.client.query_batch(QueryBatchPointsBuilder::new(
                self.collection.as_str(),
                requests.clone(),
            ))
        })?;
        if reply.result.len() != queries.len() {
            return Err(self.decode_error(format!(
                "a batch of {} queries got {} answers",
                queries.len(),
                reply.result.len()
            )));
        }
        reply
            .result
            .into_iter()
            .map(|list| list.result.into_iter().map(|p| self.scored(p)).collect())
            .collect()
    }

    fn scored(&self, p: ScoredPoint) -> Result<Scored> {
        let id = uuid_of(p.id.as_ref()).map_err(|m| self.decode_error(m))?;
        let payload =
            from_payload(p.payload).map_err(|m| self.decode_error(format!("point {id}: {m}")))?;
        Ok(Scored {
            id,
            score: p.score,
            payload,
            vector: dense_of(p.vectors),
        })
    }

    /// Distinct string values of a keyword field with their point counts (most frequent first).
    pub fn facet(&self, key: &str, limit: u64) -> Result<Vec<(String, u64)>> {
        self.facet_where(key, None, limit)
    }

    /// Like [`Self::facet`], over the points matching `filter`.
    pub fn facet_filtered(
        &self,
        key: &str,
        filter: Filter,
        limit: u64,
    ) -> Result<Vec<(String, u64)>> {
        self.facet_where(key, Some(filter), limit)
    }

    fn facet_where(
        &self,
        key: &str,
        filter: Option<Filter>,
        limit: u64,
    ) -> Result<Vec<(String, u64)>> {
        let reply = self.call(&format!("facet {key}"), None, || {
            let mut req = FacetCountsBuilder::new(self.collection.as_str(), key)
                .limit(limit)
                .exact(true);
            if let Some(f) = filter.clone() {
                req = req.filter(f);
            }
            self.client.facet(req)
        })?;
        Ok(reply
            .hits
            .into_iter()
            .filter_map(|h| match h.value.and_then(|v| v.variant) {
                Some(facet_value::Variant::StringValue(s)) => Some((s, h.count)),
                _ => None,
            })
            .collect())
    }

    /// Points for an upsert, built from stored points.
    pub fn points_of<'a>(
        &self,
        items: impl IntoIterator<Item = (Uuid, &'a StoredPoint)>,
    ) -> Result<Vec<PointStruct>> {
        items
            .into_iter()
            .map(|(id, p)| {
                encode::to_point(id, p).map_err(|m| self.decode_error(format!("point {id}: {m}")))
            })
            .collect()
    }
}
