//! Payload indexes change how fast the fake answers, never what it answers: the same random
//! points and the same writes go to a collection with keyword indexes and to one without, and
//! every filtered read (count, paged scroll, query, facet) and filtered write (delete,
//! set_payload) has to agree.

mod common;

use common::{client, count, id_string};
use qdrant_client::qdrant::{
    r#match::MatchValue, Condition, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FacetCountsBuilder, FieldType, Filter, MinShould, PointStruct,
    QueryPointsBuilder, Range, RepeatedStrings, ScrollPointsBuilder, SetPayloadPointsBuilder,
    UpsertPointsBuilder, VectorParamsBuilder,
};
use qdrant_client::{Payload, Qdrant};
use qdrant_fake::FakeQdrant;
use serde_json::json;

const INDEXED: &str = "indexed";
const PLAIN: &str = "plain";
const WORDS: &[&str] = &["a", "b", "c", "d"];

/// xorshift64*, seeded: the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
}

fn keyword(key: &str, value: &str) -> Condition {
    Condition::matches(key, MatchValue::Keyword(value.to_string()))
}

fn any(key: &str, values: &[&str]) -> Condition {
    Condition::matches(
        key,
        MatchValue::Keywords(RepeatedStrings {
            strings: values.iter().map(|v| v.to_string()).collect(),
        }),
    )
}

fn at_least(key: &str, n: f64) -> Condition {
    Condition::range(
        key,
        Range {
            gte: Some(n),
            ..Default::default()
        },
    )
}

/// A chunk of a message, shaped like pipeline's payload.
fn point(rng: &mut Rng, i: u64) -> PointStruct {
    let tags: Vec<&str> = (0..rng.below(3)).map(|_| rng.word()).collect();
    let mut payload = json!({
        "session_id": format!("s{}", i / 20),
        "uuid": format!("u{}", i / 2),
        "chunk_index": i % 2,
        "tags": tags,
        "meta": {"owner": rng.word()},
    });
    if rng.below(4) == 0 {
        payload["kind"] = json!(rng.word());
    }
    PointStruct::new(
        i,
        vec![1.0, (i % 7) as f32],
        Payload::try_from(payload).expect("object"),
    )
}

async fn create(client: &Qdrant, name: &str, indexed: bool) {
    client
        .create_collection(
            CreateCollectionBuilder::new(name)
                .vectors_config(VectorParamsBuilder::new(2, Distance::Dot)),
        )
        .await
        .expect("create collection");
    let fields = [
        ("session_id", FieldType::Keyword),
        ("uuid", FieldType::Keyword),
        ("tags", FieldType::Keyword),
        ("meta.owner", FieldType::Keyword),
        ("kind", FieldType::Keyword),
    ];
    for (field, field_type) in fields.into_iter().filter(|_| indexed) {
        client
            .create_field_index(
                CreateFieldIndexCollectionBuilder::new(name, field, field_type).wait(true),
            )
            .await
            .expect("create index");
    }
}

async fn upsert(client: &Qdrant, points: &[PointStruct]) {
    for name in [INDEXED, PLAIN] {
        for chunk in points.chunks(64) {
            client
                .upsert_points(UpsertPointsBuilder::new(name, chunk.to_vec()).wait(true))
                .await
                .expect("upsert");
        }
    }
}

/// Every matching id, read in pages of 7 (so offsets land inside the candidates).
async fn scroll(client: &Qdrant, name: &str, filter: &Filter) -> Vec<String> {
    let mut ids = Vec::new();
    let mut offset = None;
    loop {
        let mut request = ScrollPointsBuilder::new(name)
            .filter(filter.clone())
            .limit(7);
        if let Some(offset) = offset.take() {
            request = request.offset(offset);
        }
        let page = client.scroll(request).await.expect("scroll");
        ids.extend(page.result.iter().map(|p| id_string(p.id.as_ref())));
        match page.next_page_offset {
            Some(next) => offset = Some(next),
            None => return ids,
        }
    }
}

async fn query(client: &Qdrant, name: &str, filter: &Filter) -> Vec<(String, f32)> {
    client
        .query(
            QueryPointsBuilder::new(name)
                .query(vec![0.5, 1.0])
                .filter(filter.clone())
                .limit(15),
        )
        .await
        .expect("query")
        .result
        .iter()
        .map(|p| (id_string(p.id.as_ref()), p.score))
        .collect()
}

async fn assert_alike(client: &Qdrant, filter: &Filter) {
    let ids = scroll(client, INDEXED, filter).await;
    assert_eq!(ids, scroll(client, PLAIN, filter).await, "{filter:?}");
    assert_eq!(count(client, INDEXED, filter).await, ids.len() as u64);
    assert_eq!(count(client, PLAIN, filter).await, ids.len() as u64);
    assert_eq!(
        query(client, INDEXED, filter).await,
        query(client, PLAIN, filter).await,
        "{filter:?}"
    );
}

/// A filter of the shapes clients send: keyword matches on indexed and unindexed keys, mixed
/// with ranges, negations, nested filters, `min_should` and `has_id`.
fn filter(rng: &mut Rng) -> Filter {
    let condition = |rng: &mut Rng| -> Condition {
        let i = rng.below(40) as u64;
        match rng.below(9) {
            0 => keyword("tags", rng.word()),
            1 => keyword("meta.owner", rng.word()),
            2 => any("tags", &["zzz", rng.word(), rng.word()]),
            3 => keyword("session_id", &format!("s{}", i / 4)),
            4 => Filter::must([
                keyword("session_id", &format!("s{}", i / 10)),
                keyword("uuid", &format!("u{i}")),
                at_least("chunk_index", 1.0),
            ])
            .into(),
            5 => keyword("kind", rng.word()),
            6 => Condition::is_empty("kind"),
            7 => Condition::has_id([i, i + 1, 1000]),
            _ => Filter::must_not([keyword("tags", rng.word())]).into(),
        }
    };
    let pick = |rng: &mut Rng| -> Vec<Condition> {
        let n = rng.below(3);
        (0..n).map(|_| condition(rng)).collect()
    };
    let (must, should, must_not) = (pick(rng), pick(rng), pick(rng));
    let mut filter = Filter {
        must,
        should,
        must_not,
        min_should: None,
    };
    if rng.below(5) == 0 {
        filter.min_should = Some(MinShould {
            conditions: pick(rng),
            min_count: rng.below(2) as u64 + 1,
        });
    }
    filter
}

#[tokio::test]
async fn indexed_and_plain_collections_answer_alike() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    create(&client, INDEXED, true).await;
    create(&client, PLAIN, false).await;

    let points: Vec<PointStruct> = (0..400).map(|i| point(&mut rng, i)).collect();
    upsert(&client, &points).await;
    // Upserted again, changed: the indexes have to follow.
    let changed: Vec<PointStruct> = (0..400)
        .filter(|i| i % 3 == 0)
        .map(|i| point(&mut rng, i))
        .collect();
    upsert(&client, &changed).await;
    for _ in 0..60 {
        assert_alike(&client, &filter(&mut rng)).await;
    }

    // The sink's stale-chunk delete: a `should` of one filter per message.
    let stale = Filter::should((40..104).map(|i| -> Condition {
        Filter::must([
            keyword("session_id", &format!("s{}", i / 10)),
            keyword("uuid", &format!("u{i}")),
            at_least("chunk_index", 1.0),
        ])
        .into()
    }));
    let before = count(&client, INDEXED, &stale).await;
    assert_eq!(before, 64, "one stale chunk per message");
    for name in [INDEXED, PLAIN] {
        client
            .delete_points(
                DeletePointsBuilder::new(name)
                    .points(stale.clone())
                    .wait(true),
            )
            .await
            .expect("delete");
    }
    assert_eq!(count(&client, INDEXED, &stale).await, 0);
    assert_eq!(fake.point_count(INDEXED), 400 - 64);
    assert_eq!(fake.point_count(PLAIN), 400 - 64);

    // A payload change by filter moves points between keywords.
    for name in [INDEXED, PLAIN] {
        client
            .set_payload(
                SetPayloadPointsBuilder::new(
                    name,
                    Payload::try_from(json!({"tags": ["moved"], "kind": null})).unwrap(),
                )
                .points_selector(Filter::must([keyword("meta.owner", "a")]))
                .wait(true),
            )
            .await
            .expect("set payload");
    }
    assert_eq!(
        count(&client, INDEXED, &Filter::must([keyword("tags", "moved")])).await,
        count(&client, PLAIN, &Filter::must([keyword("meta.owner", "a")])).await
    );
    for _ in 0..60 {
        assert_alike(&client, &filter(&mut rng)).await;
    }

    // Facets: the counts kept by the keyword index equal those counted point by point (a
    // filter that keeps every point makes the fake count them one by one).
    let everything = Filter::must_not([Condition::has_id([100_000])]);
    for key in ["tags", "meta.owner", "kind"] {
        let facet = |filter: Option<Filter>| {
            let client = &client;
            async move {
                let mut request = FacetCountsBuilder::new(INDEXED, key).limit(100).exact(true);
                if let Some(filter) = filter {
                    request = request.filter(filter);
                }
                client.facet(request).await.expect("facet").hits
            }
        };
        assert_eq!(facet(None).await, facet(Some(everything.clone())).await);
    }
}
