//! Queries: dense and sparse ranking, batches, filters, facets.

use super::*;

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
            COLLECTION,
            &Filter::must([Condition::matches(
                "project",
                !qdrant_client::qdrant::r#match::MatchValue::Keyword("alpha".into())
            )])
        )
        .await,
        3
    );
    assert_eq!(
        count(&client, COLLECTION, &Filter::must([kw("project", "beta")])).await,
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
async fn a_query_batch_answers_each_query_as_alone_in_order() {
    use qdrant_client::qdrant::QueryBatchPointsBuilder;
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;
    let one = |slot: usize| {
        QueryPointsBuilder::new(COLLECTION)
            .query(dense(slot))
            .using("dense")
            .limit(2)
            .build()
    };
    let alone = |slot: usize| {
        let client = &client;
        async move {
            let hits = client.query(one(slot)).await.unwrap().result;
            hits.iter()
                .map(|h| id_string(h.id.as_ref()))
                .collect::<Vec<_>>()
        }
    };
    let batch = client
        .query_batch(QueryBatchPointsBuilder::new(
            COLLECTION,
            vec![one(2), one(4)],
        ))
        .await
        .unwrap()
        .result;
    let ids: Vec<Vec<String>> = batch
        .iter()
        .map(|r| r.result.iter().map(|h| id_string(h.id.as_ref())).collect())
        .collect();
    assert_eq!(ids, vec![alone(2).await, alone(4).await]);
    assert_ne!(ids[0], ids[1], "two different queries");

    let missing = client
        .query_batch(QueryBatchPointsBuilder::new(
            "no_such_collection",
            vec![one(2)],
        ))
        .await;
    assert!(missing.is_err(), "an unknown collection is an error");
}
