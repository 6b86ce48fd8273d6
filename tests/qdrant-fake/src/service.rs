//! The gRPC services, on the server traits qdrant-client generates. Every RPC first counts the
//! call, sleeps any injected delay and returns any injected failure; then it does the work
//! against the in-memory store (or answers `Unimplemented`).

use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use qdrant_client::qdrant::{
    self as pb, collections_server::Collections, points_server::Points, qdrant_server::Qdrant,
    UpdateStatus,
};
use tonic::{Request, Response, Status};

use crate::faults::Faults;
use crate::state::Store;
use crate::{collections, errors, facet, index, points, query};

/// Reported by `health_check`: the API level this fake imitates.
pub const FAKE_VERSION: &str = "1.20.0";

/// What the server tasks and the `FakeQdrant` handle share.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) store: RwLock<Store>,
    pub(crate) faults: Faults,
    /// The API key every request must carry (`api-key` metadata), as a Qdrant started with one requires.
    pub(crate) api_key: RwLock<Option<String>>,
}

impl Shared {
    /// Qdrant's answer to a request without the right key (its messages, as of 1.x).
    pub(crate) fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let required = self.api_key.read().unwrap_or_else(PoisonError::into_inner);
        let Some(key) = required.as_deref() else {
            return Ok(());
        };
        match request.metadata().get("api-key").map(|v| v.to_str()) {
            None => Err(Status::unauthenticated(
                "Must provide an API key or an Authorization bearer token",
            )),
            Some(Ok(given)) if given == key => Ok(()),
            Some(_) => Err(Status::unauthenticated("Invalid API key or JWT")),
        }
    }
}

#[derive(Clone)]
pub(crate) struct FakeService {
    shared: Arc<Shared>,
}

impl FakeService {
    pub(crate) fn new(shared: Arc<Shared>) -> FakeService {
        FakeService { shared }
    }

    /// Counts the call, applies the injected delay and failure. Returns the start time.
    async fn enter(&self, rpc: &'static str) -> Result<Instant, Status> {
        let started = Instant::now();
        let verdict = self.shared.faults.on_call(rpc);
        if !verdict.delay.is_zero() {
            tokio::time::sleep(verdict.delay).await;
        }
        match verdict.failure {
            Some(status) => Err(status),
            None => Ok(started),
        }
    }

    async fn not_implemented<T>(&self, rpc: &'static str) -> Result<Response<T>, Status> {
        self.enter(rpc).await?;
        Err(errors::not_implemented(rpc))
    }

    fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.shared
            .store
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.shared
            .store
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Real Qdrant answers `Completed` when the client waited, `Acknowledged` otherwise.
fn points_response(
    started: Instant,
    operation: u64,
    wait: Option<bool>,
) -> pb::PointsOperationResponse {
    let status = if wait.unwrap_or(false) {
        UpdateStatus::Completed
    } else {
        UpdateStatus::Acknowledged
    };
    pb::PointsOperationResponse {
        result: Some(pb::UpdateResult {
            operation_id: Some(operation),
            status: status as i32,
        }),
        time: seconds(started),
        usage: None,
    }
}

/// Writes the trait impl: the implemented methods as given, plus one
/// `Unimplemented("qdrant-fake: <rpc> is not implemented")` method per listed RPC
/// (still counted and subject to injected delays and faults).
macro_rules! fake_service {
    (
        impl $trait:ident { $($implemented:tt)* }
        not_implemented { $($method:ident as $rpc:literal: $request:ident => $response:ident;)* }
    ) => {
        #[tonic::async_trait]
        impl $trait for FakeService {
            $($implemented)*
            $(
                async fn $method(
                    &self,
                    _request: Request<pb::$request>,
                ) -> Result<Response<pb::$response>, Status> {
                    self.not_implemented($rpc).await
                }
            )*
        }
    };
}

fake_service! {
    impl Qdrant {
        async fn health_check(
            &self,
            _request: Request<pb::HealthCheckRequest>,
        ) -> Result<Response<pb::HealthCheckReply>, Status> {
            self.enter("health_check").await?;
            Ok(Response::new(pb::HealthCheckReply {
                title: "qdrant-fake".to_string(),
                version: FAKE_VERSION.to_string(),
                commit: None,
            }))
        }
    }
    not_implemented {}
}

fake_service! {
    impl Collections {
        async fn get(
            &self,
            request: Request<pb::GetCollectionInfoRequest>,
        ) -> Result<Response<pb::GetCollectionInfoResponse>, Status> {
            let started = self.enter("get_collection").await?;
            let store = self.read();
            let collection = store.collection(&request.get_ref().collection_name)?;
            Ok(Response::new(pb::GetCollectionInfoResponse {
                result: Some(collections::info(collection)),
                time: seconds(started),
            }))
        }

        async fn list(
            &self,
            _request: Request<pb::ListCollectionsRequest>,
        ) -> Result<Response<pb::ListCollectionsResponse>, Status> {
            let started = self.enter("list_collections").await?;
            let names = self.read().collections.keys().cloned().collect::<Vec<_>>();
            Ok(Response::new(pb::ListCollectionsResponse {
                collections: names
                    .into_iter()
                    .map(|name| pb::CollectionDescription { name })
                    .collect(),
                time: seconds(started),
            }))
        }

        async fn create(
            &self,
            request: Request<pb::CreateCollection>,
        ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
            let started = self.enter("create_collection").await?;
            collections::create(&mut self.write(), request.into_inner())?;
            Ok(Response::new(pb::CollectionOperationResponse {
                result: true,
                time: seconds(started),
            }))
        }

        /// Deleting a missing collection is not an error; `result` says whether one existed.
        async fn delete(
            &self,
            request: Request<pb::DeleteCollection>,
        ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
            let started = self.enter("delete_collection").await?;
            let existed = self
                .write()
                .collections
                .remove(&request.get_ref().collection_name)
                .is_some();
            Ok(Response::new(pb::CollectionOperationResponse {
                result: existed,
                time: seconds(started),
            }))
        }

        async fn collection_exists(
            &self,
            request: Request<pb::CollectionExistsRequest>,
        ) -> Result<Response<pb::CollectionExistsResponse>, Status> {
            let started = self.enter("collection_exists").await?;
            let exists = self
                .read()
                .collections
                .contains_key(&request.get_ref().collection_name);
            Ok(Response::new(pb::CollectionExistsResponse {
                result: Some(pb::CollectionExists { exists }),
                time: seconds(started),
            }))
        }
    }
    not_implemented {
        update as "update_collection": UpdateCollection => CollectionOperationResponse;
        update_aliases as "update_aliases": ChangeAliases => CollectionOperationResponse;
        list_collection_aliases as "list_collection_aliases": ListCollectionAliasesRequest => ListAliasesResponse;
        list_aliases as "list_aliases": ListAliasesRequest => ListAliasesResponse;
        collection_cluster_info as "collection_cluster_info": CollectionClusterInfoRequest => CollectionClusterInfoResponse;
        update_collection_cluster_setup as "update_collection_cluster_setup": UpdateCollectionClusterSetupRequest => UpdateCollectionClusterSetupResponse;
        create_shard_key as "create_shard_key": CreateShardKeyRequest => CreateShardKeyResponse;
        delete_shard_key as "delete_shard_key": DeleteShardKeyRequest => DeleteShardKeyResponse;
        list_shard_keys as "list_shard_keys": ListShardKeysRequest => ListShardKeysResponse;
    }
}

fake_service! {
    impl Points {
        async fn upsert(
            &self,
            request: Request<pb::UpsertPoints>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("upsert").await?;
            let request = request.into_inner();
            let wait = request.wait;
            let operation = points::upsert(&mut self.write(), request)?;
            Ok(Response::new(points_response(started, operation, wait)))
        }

        async fn update_vectors(
            &self,
            request: Request<pb::UpdatePointVectors>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("update_vectors").await?;
            let request = request.into_inner();
            let wait = request.wait;
            let operation = points::update_vectors(&mut self.write(), request)?;
            Ok(Response::new(points_response(started, operation, wait)))
        }

        async fn delete(
            &self,
            request: Request<pb::DeletePoints>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("delete").await?;
            let operation = points::delete(&mut self.write(), request.get_ref())?;
            Ok(Response::new(points_response(started, operation, request.get_ref().wait)))
        }

        async fn get(
            &self,
            request: Request<pb::GetPoints>,
        ) -> Result<Response<pb::GetResponse>, Status> {
            let started = self.enter("get").await?;
            let result = points::get(&self.read(), request.get_ref())?;
            Ok(Response::new(pb::GetResponse {
                result,
                time: seconds(started),
                usage: None,
            }))
        }

        async fn set_payload(
            &self,
            request: Request<pb::SetPayloadPoints>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("set_payload").await?;
            let request = request.into_inner();
            let wait = request.wait;
            let operation = points::set_payload(&mut self.write(), request)?;
            Ok(Response::new(points_response(started, operation, wait)))
        }

        async fn create_field_index(
            &self,
            request: Request<pb::CreateFieldIndexCollection>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("create_field_index").await?;
            let request = request.get_ref();
            let mut store = self.write();
            index::create(store.collection_mut(&request.collection_name)?, request)?;
            let operation = store.next_operation();
            Ok(Response::new(points_response(started, operation, request.wait)))
        }

        async fn delete_field_index(
            &self,
            request: Request<pb::DeleteFieldIndexCollection>,
        ) -> Result<Response<pb::PointsOperationResponse>, Status> {
            let started = self.enter("delete_field_index").await?;
            let request = request.get_ref();
            let mut store = self.write();
            let collection = store.collection_mut(&request.collection_name)?;
            crate::path::Path::parse(&request.field_name)?;
            collection.remove_index(&request.field_name);
            let operation = store.next_operation();
            Ok(Response::new(points_response(started, operation, request.wait)))
        }

        async fn scroll(
            &self,
            request: Request<pb::ScrollPoints>,
        ) -> Result<Response<pb::ScrollResponse>, Status> {
            let started = self.enter("scroll").await?;
            let (result, next_page_offset) = points::scroll(&self.read(), request.get_ref())?;
            Ok(Response::new(pb::ScrollResponse {
                next_page_offset,
                result,
                time: seconds(started),
                usage: None,
            }))
        }

        async fn count(
            &self,
            request: Request<pb::CountPoints>,
        ) -> Result<Response<pb::CountResponse>, Status> {
            let started = self.enter("count").await?;
            let count = points::count(&self.read(), request.get_ref())?;
            Ok(Response::new(pb::CountResponse {
                result: Some(pb::CountResult { count }),
                time: seconds(started),
                usage: None,
            }))
        }

        async fn query(
            &self,
            request: Request<pb::QueryPoints>,
        ) -> Result<Response<pb::QueryResponse>, Status> {
            let started = self.enter("query").await?;
            let request = request.get_ref();
            let result = {
                let store = self.read();
                query::query(store.collection(&request.collection_name)?, request)?
            };
            Ok(Response::new(pb::QueryResponse {
                result,
                time: seconds(started),
                usage: None,
            }))
        }

        async fn query_batch(
            &self,
            request: Request<pb::QueryBatchPoints>,
        ) -> Result<Response<pb::QueryBatchResponse>, Status> {
            let started = self.enter("query_batch").await?;
            let request = request.get_ref();
            let result = {
                let store = self.read();
                // Qdrant answers every query of the batch from the batch's collection.
                let collection = store.collection(&request.collection_name)?;
                request
                    .query_points
                    .iter()
                    .map(|q| Ok(pb::BatchResult { result: query::query(collection, q)? }))
                    .collect::<Result<Vec<_>, Status>>()?
            };
            Ok(Response::new(pb::QueryBatchResponse {
                result,
                time: seconds(started),
                usage: None,
            }))
        }

        async fn facet(
            &self,
            request: Request<pb::FacetCounts>,
        ) -> Result<Response<pb::FacetResponse>, Status> {
            let started = self.enter("facet").await?;
            let request = request.get_ref();
            let hits = {
                let store = self.read();
                facet::facet(store.collection(&request.collection_name)?, request)?
            };
            Ok(Response::new(pb::FacetResponse {
                hits,
                time: seconds(started),
                usage: None,
            }))
        }
    }
    not_implemented {
        delete_vectors as "delete_vectors": DeletePointVectors => PointsOperationResponse;
        overwrite_payload as "overwrite_payload": SetPayloadPoints => PointsOperationResponse;
        delete_payload as "delete_payload": DeletePayloadPoints => PointsOperationResponse;
        clear_payload as "clear_payload": ClearPayloadPoints => PointsOperationResponse;
        create_vector_name as "create_vector_name": CreateVectorNameRequest => PointsOperationResponse;
        delete_vector_name as "delete_vector_name": DeleteVectorNameRequest => PointsOperationResponse;
        search as "search": SearchPoints => SearchResponse;
        search_batch as "search_batch": SearchBatchPoints => SearchBatchResponse;
        search_groups as "search_groups": SearchPointGroups => SearchGroupsResponse;
        recommend as "recommend": RecommendPoints => RecommendResponse;
        recommend_batch as "recommend_batch": RecommendBatchPoints => RecommendBatchResponse;
        recommend_groups as "recommend_groups": RecommendPointGroups => RecommendGroupsResponse;
        discover as "discover": DiscoverPoints => DiscoverResponse;
        discover_batch as "discover_batch": DiscoverBatchPoints => DiscoverBatchResponse;
        update_batch as "update_batch": UpdateBatchPoints => UpdateBatchResponse;
        query_groups as "query_groups": QueryPointGroups => QueryGroupsResponse;
        search_matrix_pairs as "search_matrix_pairs": SearchMatrixPoints => SearchMatrixPairsResponse;
        search_matrix_offsets as "search_matrix_offsets": SearchMatrixPoints => SearchMatrixOffsetsResponse;
    }
}
