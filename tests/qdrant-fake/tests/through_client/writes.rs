//! Writes: set_payload, delete by filter, upserts that replace or are refused.

use super::*;

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
            COLLECTION,
            &Filter::must([Condition::matches("archived", true)])
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
