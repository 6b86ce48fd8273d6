use qdrant_client::qdrant::{Condition as C, Filter as F, Range};

use super::*;

fn point(payload: &[(&str, Value)]) -> Point {
    Point {
        vectors: BTreeMap::new(),
        payload: payload
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        version: 0,
    }
}

fn null() -> Value {
    Value {
        kind: Some(Kind::NullValue(0)),
    }
}

fn check(filter: F, point: &Point) -> bool {
    Filter::compile(Some(&filter))
        .unwrap()
        .matches(PointKey::Num(1), point)
}

#[test]
fn arrays_match_when_any_element_matches() {
    let p = point(&[("tags", Value::from(vec!["rust", "grpc"]))]);
    assert!(check(F::must([C::matches("tags", "grpc".to_string())]), &p));
    assert!(!check(
        F::must([C::matches("tags", "java".to_string())]),
        &p
    ));
    assert!(check(
        F::must([C::matches(
            "tags",
            vec!["java".to_string(), "rust".to_string()]
        )]),
        &p
    ));
}

#[test]
fn missing_keys_fail_match_and_range_but_are_empty() {
    let p = point(&[("n", Value::from(3_i64)), ("nothing", null())]);
    assert!(!check(F::must([C::matches("absent", 3_i64)]), &p));
    assert!(!check(
        F::must([C::range(
            "absent",
            Range {
                gte: Some(0.0),
                ..Default::default()
            }
        )]),
        &p
    ));
    assert!(check(F::must([C::is_empty("absent")]), &p));
    assert!(check(F::must([C::is_empty("nothing")]), &p));
    assert!(check(F::must([C::is_null("nothing")]), &p));
    assert!(!check(F::must([C::is_null("absent")]), &p));
    assert!(!check(F::must([C::is_empty("n")]), &p));
}

#[test]
fn should_must_not_and_min_should_combine() {
    let p = point(&[("lang", Value::from("rust")), ("n", Value::from(5_i64))]);
    let is_rust = C::matches("lang", "rust".to_string());
    let is_go = C::matches("lang", "go".to_string());
    let small = C::range(
        "n",
        Range {
            lt: Some(5.0),
            ..Default::default()
        },
    );
    assert!(check(F::should([is_go.clone(), is_rust.clone()]), &p));
    assert!(!check(F::should([is_go.clone(), small.clone()]), &p));
    assert!(!check(F::must_not([is_rust.clone()]), &p));
    let mut both = F::must([is_rust.clone()]);
    both.min_should = Some(qdrant_client::qdrant::MinShould {
        conditions: vec![is_rust, is_go, small],
        min_count: 2,
    });
    assert!(!check(both, &p));
}

#[test]
fn except_skips_nulls_and_listed_values() {
    let except = |key: &str| {
        C::matches(
            key,
            qdrant_client::qdrant::r#match::MatchValue::ExceptKeywords(
                qdrant_client::qdrant::RepeatedStrings {
                    strings: vec!["a".to_string()],
                },
            ),
        )
    };
    assert!(!check(
        F::must([except("k")]),
        &point(&[("k", Value::from("a"))])
    ));
    assert!(check(
        F::must([except("k")]),
        &point(&[("k", Value::from("b"))])
    ));
    assert!(!check(F::must([except("k")]), &point(&[("k", null())])));
    assert!(!check(F::must([except("k")]), &point(&[])));
}

#[test]
fn unsupported_conditions_are_errors() {
    let text = C::matches_text("body", "hello");
    let status = Filter::compile(Some(&F::must([text]))).unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
}
