//! The fake driven through the real qdrant-client 1.20: collections, points, search, filters.

mod common;

use std::collections::BTreeSet;

use common::*;
use qdrant_client::qdrant::{
    facet_value, value::Kind, vector_output, vectors_config::Config, Condition, CountPointsBuilder,
    CreateCollectionBuilder, DeletePointsBuilder, Distance, FacetCountsBuilder, Filter,
    GetPointsBuilder, Modifier, PayloadSchemaType, PointStruct, QueryPointsBuilder, Range,
    ScrollPointsBuilder, SetPayloadPointsBuilder, UpsertPointsBuilder, Vector, VectorInput,
    VectorParamsBuilder,
};
use qdrant_client::Payload;
use qdrant_fake::FakeQdrant;
use serde_json::json;
use tonic::Code;

async fn count(client: &qdrant_client::Qdrant, filter: Filter) -> u64 {
    client
        .count(
            CountPointsBuilder::new(COLLECTION)
                .filter(filter)
                .exact(true),
        )
        .await
        .expect("count")
        .result
        .expect("count result")
        .count
}

#[tokio::test]
async fn health_and_collection_lifecycle() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());

    let health = client.health_check().await.unwrap();
    assert_eq!(health.title, "qdrant-fake");
    assert_eq!(health.version, "1.20.0");

    assert!(!client.collection_exists(COLLECTION).await.unwrap());
    create_collection(&client).await;
    assert!(client.collection_exists(COLLECTION).await.unwrap());
    assert!(fake.has_collection(COLLECTION));

    let again = client
        .create_collection(CreateCollectionBuilder::new(COLLECTION))
        .await
        .unwrap_err();
    let again = status(again);
    assert_eq!(again.code(), Code::AlreadyExists);
    assert_eq!(
        again.message(),
        "Wrong input: Collection `chats` already exists!"
    );

    let info = client
        .collection_info(COLLECTION)
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!(
        info.status,
        qdrant_client::qdrant::CollectionStatus::Green as i32
    );
    assert_eq!(info.segments_count, 1);
    assert_eq!(info.points_count, Some(0));
    let params = info.config.unwrap().params.unwrap();
    match params.vectors_config.unwrap().config.unwrap() {
        Config::ParamsMap(map) => {
            let dense = &map.map["dense"];
            assert_eq!(dense.size, 384);
            assert_eq!(dense.distance, Distance::Cosine as i32);
        }
        other => panic!("expected named vectors, got {other:?}"),
    }
    let sparse = params.sparse_vectors_config.unwrap();
    assert_eq!(sparse.map["lexical"].modifier, Some(Modifier::Idf as i32));
    let schema = info.payload_schema;
    assert_eq!(
        schema["project"].data_type,
        PayloadSchemaType::Keyword as i32
    );
    assert_eq!(schema["turn"].data_type, PayloadSchemaType::Integer as i32);
    assert_eq!(schema["archived"].data_type, PayloadSchemaType::Bool as i32);

    let names: Vec<String> = client
        .list_collections()
        .await
        .unwrap()
        .collections
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, vec![COLLECTION.to_string()]);

    assert!(client.delete_collection(COLLECTION).await.unwrap().result);
    assert!(!client.collection_exists(COLLECTION).await.unwrap());
    assert!(!client.delete_collection(COLLECTION).await.unwrap().result);

    let missing = status(
        client
            .count(CountPointsBuilder::new("nope"))
            .await
            .unwrap_err(),
    );
    assert_eq!(missing.code(), Code::NotFound);
    assert!(
        missing
            .message()
            .contains("Collection `nope` doesn't exist!"),
        "{}",
        missing.message()
    );
    assert_eq!(fake.calls("create_collection"), 2);
    assert_eq!(fake.calls("create_field_index"), 4);
    assert_eq!(fake.calls("collection_exists"), 3);
}

#[tokio::test]
async fn upsert_count_get_and_read_vectors_back() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    assert_eq!(fake.point_count(COLLECTION), 5);
    assert_eq!(count(&client, Filter::default()).await, 5);

    // Indexes were created again: idempotent.
    create_index_again(&client).await;

    let info = client
        .collection_info(COLLECTION)
        .await
        .unwrap()
        .result
        .unwrap();
    assert_eq!(info.points_count, Some(5));
    assert_eq!(info.payload_schema["project"].points, Some(5));
    assert_eq!(info.payload_schema["archived"].points, Some(4));

    let got = client
        .get_points(
            GetPointsBuilder::new(
                COLLECTION,
                vec![
                    P2.into(),
                    P4.into(),
                    "00000000-0000-4000-8000-00000000dead".into(),
                ],
            )
            .with_payload(true)
            .with_vectors(true),
        )
        .await
        .unwrap()
        .result;
    let ids: Vec<String> = got.iter().map(|p| id_string(p.id.as_ref())).collect();
    assert_eq!(
        ids,
        vec![P2, P4],
        "found points in request order, missing skipped"
    );

    let p2 = &got[0];
    assert_eq!(
        p2.payload["project"].as_str().map(String::as_str),
        Some("beta")
    );
    assert_eq!(p2.payload["score"].kind, Some(Kind::DoubleValue(0.75)));
    let stored = dense_vector(p2.vectors.as_ref(), "dense");
    assert_eq!(stored.len(), DIM);
    let norm: f32 = stored.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-5,
        "Cosine vectors are stored normalised, norm {norm}"
    );
    assert!(stored[2] > 0.9);
    match p2.vectors.as_ref().unwrap().get_vector_by_name("lexical") {
        Some(vector_output::Vector::Sparse(sparse)) => {
            assert_eq!(sparse.indices, vec![1, 4]);
            assert_eq!(sparse.values, vec![1.0, 1.0]);
        }
        other => panic!("expected sparse vector, got {other:?}"),
    }

    // Without selectors: `get` returns neither payload nor vectors (as Qdrant does).
    let bare = client
        .get_points(GetPointsBuilder::new(COLLECTION, vec![P1.into()]))
        .await
        .unwrap()
        .result;
    assert_eq!(bare.len(), 1);
    assert!(bare[0].payload.is_empty());
    assert!(bare[0].vectors.is_none());
}

async fn create_index_again(client: &qdrant_client::Qdrant) {
    let response = client
        .create_field_index(
            qdrant_client::qdrant::CreateFieldIndexCollectionBuilder::new(
                COLLECTION,
                "project",
                qdrant_client::qdrant::FieldType::Keyword,
            )
            .wait(true),
        )
        .await
        .unwrap();
    assert_eq!(
        response.result.unwrap().status,
        qdrant_client::qdrant::UpdateStatus::Completed as i32
    );
}

#[tokio::test]
async fn scroll_pages_in_id_order() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    let mut seen = Vec::new();
    let mut offset = None;
    loop {
        let mut request = ScrollPointsBuilder::new(COLLECTION).limit(2);
        if let Some(offset) = offset.take() {
            request = request.offset(offset);
        }
        let page = client.scroll(request).await.unwrap();
        assert!(page.result.len() <= 2);
        // Scroll returns payload unless told otherwise.
        assert!(page
            .result
            .iter()
            .all(|p| p.payload.contains_key("project")));
        seen.extend(page.result.iter().map(|p| id_string(p.id.as_ref())));
        match page.next_page_offset {
            Some(next) => offset = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, SORTED);

    // The offset is inclusive.
    let from_p2 = client
        .scroll(
            ScrollPointsBuilder::new(COLLECTION)
                .offset(P2)
                .limit(2)
                .with_payload(false),
        )
        .await
        .unwrap();
    let ids: Vec<String> = from_p2
        .result
        .iter()
        .map(|p| id_string(p.id.as_ref()))
        .collect();
    assert_eq!(ids, vec![P2, P4]);
    assert_eq!(id_string(from_p2.next_page_offset.as_ref()), P0);
    assert!(from_p2.result[0].payload.is_empty());
}

#[tokio::test]
async fn numeric_ids_sort_before_uuids_and_unnamed_vectors_come_back_single() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    client
        .create_collection(
            CreateCollectionBuilder::new("plain")
                .vectors_config(VectorParamsBuilder::new(2, Distance::Dot)),
        )
        .await
        .unwrap();
    let points = vec![
        PointStruct::new(
            "6B2F1B2A-8B7B-4C5E-9F0A-0123456789AB",
            vec![1.0, 0.0],
            Payload::new(),
        ),
        PointStruct::new(7, vec![0.0, 2.0], Payload::new()),
        PointStruct::new(3, vec![3.0, 1.0], Payload::new()),
    ];
    client
        .upsert_points(UpsertPointsBuilder::new("plain", points).wait(true))
        .await
        .unwrap();
    let page = client
        .scroll(ScrollPointsBuilder::new("plain").with_vectors(true))
        .await
        .unwrap();
    let ids: Vec<String> = page
        .result
        .iter()
        .map(|p| id_string(p.id.as_ref()))
        .collect();
    assert_eq!(ids, vec!["3", "7", "6b2f1b2a-8b7b-4c5e-9f0a-0123456789ab"]);
    match page.result[0].vectors.as_ref().unwrap().get_vector() {
        Some(vector_output::Vector::Dense(dense)) => assert_eq!(dense.data, vec![3.0, 1.0]),
        other => panic!("expected the single dense vector, got {other:?}"),
    }

    // Dot product, not normalised.
    let hits = client
        .query(QueryPointsBuilder::new("plain").query(vec![0.0, 1.0]))
        .await
        .unwrap()
        .result;
    assert_eq!(id_string(hits[0].id.as_ref()), "7");
    assert_eq!(hits[0].score, 2.0);
}

#[tokio::test]
async fn dense_query_ranks_best_match_first() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    // Closest to P2, then P4, then P0; P1 and P3 tie last.
    let mut query = dense(2);
    query[4] = 0.3;
    query[0] = 0.1;
    let hits = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(query.clone())
                .using("dense")
                .limit(3)
                .with_payload(true)
                .with_vectors(true),
        )
        .await
        .unwrap()
        .result;
    assert_eq!(hits.len(), 3);
    assert_eq!(id_string(hits[0].id.as_ref()), P2);
    assert!(
        hits[0].score > 0.9 && hits[0].score <= 1.0 + 1e-6,
        "{}",
        hits[0].score
    );
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(
        hits[0].payload["project"].as_str().map(String::as_str),
        Some("beta")
    );
    assert_eq!(dense_vector(hits[0].vectors.as_ref(), "dense").len(), DIM);
    assert_eq!(id_string(hits[1].id.as_ref()), P4);
    assert_eq!(id_string(hits[2].id.as_ref()), P0);

    let alpha = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(query.clone())
                .using("dense")
                .filter(Filter::must([Condition::matches(
                    "project",
                    "alpha".to_string(),
                )])),
        )
        .await
        .unwrap()
        .result;
    let ids: BTreeSet<String> = alpha.iter().map(|p| id_string(p.id.as_ref())).collect();
    assert_eq!(ids, BTreeSet::from([P0.to_string(), P1.to_string()]));
    assert!(
        alpha.iter().all(|p| p.payload.is_empty()),
        "query returns no payload by default"
    );

    let above = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(query.clone())
                .using("dense")
                .score_threshold(0.9),
        )
        .await
        .unwrap()
        .result;
    assert_eq!(above.len(), 1);

    let offset = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(query)
                .using("dense")
                .offset(1)
                .limit(1),
        )
        .await
        .unwrap()
        .result;
    assert_eq!(offset.len(), 1);
    assert_eq!(id_string(offset[0].id.as_ref()), P4);

    let wrong_dim = status(
        client
            .query(
                QueryPointsBuilder::new(COLLECTION)
                    .query(vec![1.0, 2.0, 3.0])
                    .using("dense"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(wrong_dim.code(), Code::InvalidArgument);
    assert_eq!(
        wrong_dim.message(),
        "Wrong input: Vector dimension error: expected dim: 384, got 3"
    );

    let unnamed = status(
        client
            .query(QueryPointsBuilder::new(COLLECTION).query(dense(1)))
            .await
            .unwrap_err(),
    );
    assert_eq!(unnamed.code(), Code::InvalidArgument);
    assert!(unnamed.message().contains("Not existing vector name"));
}

#[tokio::test]
async fn sparse_query_weights_rare_terms_with_idf() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    let hits = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(VectorInput::new_sparse(vec![4, 1], vec![1.0, 1.0]))
                .using("lexical")
                .limit(10),
        )
        .await
        .unwrap()
        .result;
    let ids: Vec<String> = hits.iter().map(|p| id_string(p.id.as_ref())).collect();
    // P4 shares no index with the query: not a result at all.
    assert_eq!(ids, vec![P2, P3, P1, P0]);
    // N = 5 points with "lexical"; index 1 is in 4 of them, index 4 in 1.
    let idf = |n: f64| (1.0 + (5.0 - n + 0.5) / (n + 0.5)).ln();
    let expected_p2 = (idf(4.0) + idf(1.0)) as f32;
    let expected_rest = idf(4.0) as f32;
    assert!(
        (hits[0].score - expected_p2).abs() < 1e-5,
        "{} vs {expected_p2}",
        hits[0].score
    );
    assert!((hits[1].score - expected_rest).abs() < 1e-5);

    // The `(index, value)` slice conversion encodes the same query.
    let same = client
        .query(
            QueryPointsBuilder::new(COLLECTION)
                .query(vec![(4_u32, 1.0_f32), (1, 1.0)])
                .using("lexical")
                .limit(1),
        )
        .await
        .unwrap()
        .result;
    assert_eq!(id_string(same[0].id.as_ref()), P2);

    let dense_as_sparse = status(
        client
            .query(
                QueryPointsBuilder::new(COLLECTION)
                    .query(dense(1))
                    .using("lexical"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(dense_as_sparse.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn filters_follow_qdrant_semantics() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;
    let kw = |key: &str, value: &str| Condition::matches(key, value.to_string());

    // An array field matches when any element does.
    assert_eq!(
        scroll_ids(&client, Filter::must([kw("tags", "rust")])).await,
        vec![P1, P4, P0]
    );
    assert_eq!(
        scroll_ids(
            &client,
            Filter::must([Condition::matches(
                "tags",
                vec!["python".to_string(), "nope".to_string()]
            )])
        )
        .await,
        vec![P2]
    );
    // Integer range.
    let turns = Range {
        gte: Some(2.0),
        lt: Some(5.0),
        ..Default::default()
    };
    assert_eq!(
        scroll_ids(&client, Filter::must([Condition::range("turn", turns)])).await,
        vec![P3, P1, P2]
    );
    // Float range on a double payload value.
    let high = Range {
        gt: Some(0.5),
        ..Default::default()
    };
    assert_eq!(
        scroll_ids(&client, Filter::must([Condition::range("score", high)])).await,
        vec![P2]
    );
    // must_not: a missing field does not match, so P4 (no "archived") passes.
    assert_eq!(
        scroll_ids(
            &client,
            Filter::must_not([Condition::matches("archived", true)])
        )
        .await,
        vec![P3, P2, P4, P0]
    );
    // is_empty: [] and missing both count as empty.
    assert_eq!(
        scroll_ids(&client, Filter::must([Condition::is_empty("tags")])).await,
        vec![P3]
    );
    assert_eq!(
        scroll_ids(&client, Filter::must([Condition::is_empty("archived")])).await,
        vec![P4]
    );
    // should = any; combined with must by AND.
    let either = Filter {
        should: vec![kw("project", "beta"), Condition::matches("turn", 1)],
        must: vec![Condition::matches("archived", false)],
        ..Default::default()
    };
    assert_eq!(scroll_ids(&client, either).await, vec![P3, P2, P0]);
    // Nested paths: dotted object keys and arrays of objects.
    assert_eq!(
        scroll_ids(&client, Filter::must([kw("meta.lang", "en")])).await,
        vec![P4]
    );
    assert_eq!(
        scroll_ids(&client, Filter::must([kw("chunks[].kind", "code")])).await,
        vec![P4]
    );
    assert!(
        scroll_ids(&client, Filter::must([kw("chunks.kind", "code")]))
            .await
            .is_empty()
    );
    let nested = Filter::must([Condition::nested(
        "chunks",
        Filter::must([
            kw("kind", "text"),
            Condition::range(
                "lines",
                Range {
                    gte: Some(5.0),
                    ..Default::default()
                },
            ),
        ]),
    )]);
    assert!(
        scroll_ids(&client, nested).await.is_empty(),
        "nested: one element must satisfy all"
    );
    // Nested Filter condition, has_id, min_should.
    let inner = Filter::must([Condition::from(Filter::should([
        kw("project", "gamma"),
        kw("project", "alpha"),
    ]))]);
    assert_eq!(scroll_ids(&client, inner).await, vec![P1, P4, P0]);
    assert_eq!(
        scroll_ids(&client, Filter::must([Condition::has_id([P0, P3])])).await,
        vec![P3, P0]
    );
    let two_of = Filter::min_should(
        2,
        [
            kw("project", "alpha"),
            kw("tags", "grpc"),
            Condition::matches("turn", 1),
        ],
    );
    assert_eq!(scroll_ids(&client, two_of).await, vec![P0]);
    // except (`!` on a match value).
    assert_eq!(
        count(
            &client,
            Filter::must([Condition::matches(
                "project",
                !qdrant_client::qdrant::r#match::MatchValue::Keyword("alpha".into())
            )])
        )
        .await,
        3
    );
    assert_eq!(
        count(&client, Filter::must([kw("project", "beta")])).await,
        2
    );

    // A filter the fake cannot evaluate is an error, not a silent miss.
    let text = status(
        client
            .count(
                CountPointsBuilder::new(COLLECTION)
                    .filter(Filter::must([Condition::matches_text("text", "fir")])),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(text.code(), Code::Unimplemented);
}

#[tokio::test]
async fn facet_counts_points_per_value() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;
    let hits = |response: qdrant_client::qdrant::FacetResponse| -> Vec<(String, u64)> {
        response
            .hits
            .into_iter()
            .map(|hit| match hit.value.unwrap().variant.unwrap() {
                facet_value::Variant::StringValue(s) => (s, hit.count),
                facet_value::Variant::IntegerValue(i) => (i.to_string(), hit.count),
                facet_value::Variant::BoolValue(b) => (b.to_string(), hit.count),
            })
            .collect()
    };

    let projects = hits(
        client
            .facet(FacetCountsBuilder::new(COLLECTION, "project"))
            .await
            .unwrap(),
    );
    assert_eq!(
        projects,
        vec![("alpha".into(), 2), ("beta".into(), 2), ("gamma".into(), 1)]
    );
    // P4's ["rust", "rust"] counts once.
    let tags = hits(
        client
            .facet(FacetCountsBuilder::new(COLLECTION, "tags"))
            .await
            .unwrap(),
    );
    assert_eq!(
        tags,
        vec![("rust".into(), 3), ("grpc".into(), 2), ("python".into(), 1)]
    );
    let filtered = hits(
        client
            .facet(
                FacetCountsBuilder::new(COLLECTION, "tags")
                    .filter(Filter::must([Condition::matches(
                        "project",
                        "alpha".to_string(),
                    )]))
                    .limit(1),
            )
            .await
            .unwrap(),
    );
    assert_eq!(filtered, vec![("rust".into(), 2)]);
    let flags = hits(
        client
            .facet(FacetCountsBuilder::new(COLLECTION, "archived"))
            .await
            .unwrap(),
    );
    assert_eq!(flags, vec![("false".into(), 3), ("true".into(), 1)]);

    let unindexed = status(
        client
            .facet(FacetCountsBuilder::new(COLLECTION, "text"))
            .await
            .unwrap_err(),
    );
    assert_eq!(unindexed.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn set_payload_and_delete_by_filter() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    let beta = Filter::must([Condition::matches("project", "beta".to_string())]);
    client
        .set_payload(
            SetPayloadPointsBuilder::new(
                COLLECTION,
                Payload::try_from(json!({"archived": true, "reviewed": "yes"})).unwrap(),
            )
            .points_selector(beta)
            .wait(true),
        )
        .await
        .unwrap();
    assert_eq!(
        count(
            &client,
            Filter::must([Condition::matches("archived", true)])
        )
        .await,
        3
    );
    let p2 = client
        .get_points(GetPointsBuilder::new(COLLECTION, vec![P2.into()]).with_payload(true))
        .await
        .unwrap()
        .result
        .remove(0);
    assert_eq!(
        p2.payload["reviewed"].as_str().map(String::as_str),
        Some("yes")
    );
    assert_eq!(
        p2.payload["turn"].as_integer(),
        Some(3),
        "other keys are kept (merge)"
    );

    // A null value removes the key.
    client
        .set_payload(
            SetPayloadPointsBuilder::new(
                COLLECTION,
                Payload::try_from(json!({"text": null})).unwrap(),
            )
            .points_selector(vec![P0])
            .wait(true),
        )
        .await
        .unwrap();
    assert!(
        scroll_ids(&client, Filter::must([Condition::is_empty("text")]))
            .await
            .contains(&P0.to_string())
    );

    let missing = status(
        client
            .set_payload(
                SetPayloadPointsBuilder::new(
                    COLLECTION,
                    Payload::try_from(json!({"x": 1})).unwrap(),
                )
                .points_selector(vec!["00000000-0000-4000-8000-00000000dead"]),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(missing.code(), Code::NotFound);

    client
        .delete_points(
            DeletePointsBuilder::new(COLLECTION)
                .points(Filter::must([Condition::matches(
                    "project",
                    "alpha".to_string(),
                )]))
                .wait(true),
        )
        .await
        .unwrap();
    assert_eq!(
        scroll_ids(&client, Filter::default()).await,
        vec![P3, P2, P4]
    );
    client
        .delete_points(
            DeletePointsBuilder::new(COLLECTION)
                .points(vec![P4, P1])
                .wait(true),
        )
        .await
        .unwrap();
    assert_eq!(fake.point_count(COLLECTION), 2);
    assert_eq!(fake.calls("delete"), 2);
    assert_eq!(fake.calls("set_payload"), 3);
}

#[tokio::test]
async fn upsert_replaces_points_and_rejects_bad_vectors() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    let replacement = PointStruct::new(
        P0,
        qdrant_client::qdrant::NamedVectors::default()
            .add_vector("dense", Vector::new_dense(dense(9))),
        Payload::try_from(json!({"project": "delta"})).unwrap(),
    );
    let response = client
        .upsert_points(UpsertPointsBuilder::new(COLLECTION, vec![replacement]).wait(true))
        .await
        .unwrap();
    let result = response.result.unwrap();
    assert_eq!(
        result.status,
        qdrant_client::qdrant::UpdateStatus::Completed as i32
    );
    assert!(result.operation_id.is_some());

    let p0 = client
        .get_points(
            GetPointsBuilder::new(COLLECTION, vec![P0.into()])
                .with_payload(true)
                .with_vectors(true),
        )
        .await
        .unwrap()
        .result
        .remove(0);
    let keys: BTreeSet<&str> = p0.payload.keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["project"]));
    let vectors = p0.vectors.as_ref().unwrap();
    assert!(
        vectors.get_vector_by_name("lexical").is_none(),
        "old sparse vector replaced"
    );
    assert!(dense_vector(Some(vectors), "dense")[9] > 0.9);

    let short = PointStruct::new(
        "00000000-0000-4000-8000-000000000001",
        qdrant_client::qdrant::NamedVectors::default()
            .add_vector("dense", Vector::new_dense(vec![1.0, 2.0, 3.0])),
        Payload::new(),
    );
    let ok = common::point(&docs()[1]);
    let rejected = status(
        client
            .upsert_points(UpsertPointsBuilder::new(COLLECTION, vec![ok, short]).wait(true))
            .await
            .unwrap_err(),
    );
    assert_eq!(rejected.code(), Code::InvalidArgument);
    assert_eq!(
        rejected.message(),
        "Wrong input: Vector dimension error: expected dim: 384, got 3"
    );
    assert_eq!(
        fake.point_count(COLLECTION),
        5,
        "a rejected batch writes nothing"
    );

    let unknown = PointStruct::new(
        "00000000-0000-4000-8000-000000000002",
        qdrant_client::qdrant::NamedVectors::default()
            .add_vector("image", Vector::new_dense(vec![1.0])),
        Payload::new(),
    );
    let unknown = status(
        client
            .upsert_points(UpsertPointsBuilder::new(COLLECTION, vec![unknown]))
            .await
            .unwrap_err(),
    );
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert_eq!(
        unknown.message(),
        "Wrong input: Not existing vector name error: image"
    );
}
