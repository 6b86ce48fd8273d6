//! Collections and points: lifecycle, upsert, count, get, scroll, ids.

use super::*;

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
    assert_eq!(count(&client, COLLECTION, &Filter::default()).await, 5);

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
