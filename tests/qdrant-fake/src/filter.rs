//! `qdrant.Filter`, checked up front (unsupported conditions are errors, not silent misses) and
//! then evaluated against points with Qdrant's payload semantics:
//!
//! * `must`: all match; `should`: at least one matches (when non-empty); `must_not`: none
//!   matches; `min_should`: at least `min_count` match. All parts combine with AND.
//! * A field condition looks at every value found at the key; an array value matches when any
//!   element matches. A missing key never matches `match`/`range` (but satisfies `is_empty`).

use std::collections::{BTreeMap, HashMap, HashSet};

use qdrant_client::qdrant::{
    self as proto, condition::ConditionOneOf, r#match::MatchValue, value::Kind, Value,
};
use tonic::Status;

use crate::convert;
use crate::errors;
use crate::path::Path;
use crate::state::{Point, PointKey, StoredVector};

#[derive(Debug, Default)]
pub(crate) struct Filter {
    must: Vec<Condition>,
    should: Vec<Condition>,
    must_not: Vec<Condition>,
    min_should: Option<(Vec<Condition>, usize)>,
}

#[derive(Debug)]
enum Condition {
    Field(FieldCondition),
    IsEmpty(Path),
    IsNull(Path),
    HasId(HashSet<PointKey>),
    HasVector(String),
    Filter(Filter),
    Nested(Path, Filter),
}

/// The parts of a `FieldCondition` that are set; a value matches if any set part matches.
#[derive(Debug)]
struct FieldCondition {
    path: Path,
    matcher: Option<Matcher>,
    range: Option<proto::Range>,
    values_count: Option<proto::ValuesCount>,
    is_empty: Option<bool>,
    is_null: Option<bool>,
}

#[derive(Debug)]
enum Matcher {
    Keyword(String),
    Integer(i64),
    Bool(bool),
    AnyKeyword(Vec<String>),
    AnyInteger(Vec<i64>),
    ExceptKeyword(Vec<String>),
    ExceptInteger(Vec<i64>),
}

/// What a condition is evaluated against: a point, or an object inside a `nested` condition.
struct Subject<'a> {
    id: Option<PointKey>,
    payload: &'a HashMap<String, Value>,
    vectors: Option<&'a BTreeMap<String, StoredVector>>,
}

impl Filter {
    /// `None` (no filter) matches everything.
    pub(crate) fn compile(filter: Option<&proto::Filter>) -> Result<Filter, Status> {
        let Some(filter) = filter else {
            return Ok(Filter::default());
        };
        let list = |conditions: &[proto::Condition]| -> Result<Vec<Condition>, Status> {
            conditions.iter().map(Condition::compile).collect()
        };
        Ok(Filter {
            must: list(&filter.must)?,
            should: list(&filter.should)?,
            must_not: list(&filter.must_not)?,
            min_should: match &filter.min_should {
                None => None,
                Some(min) => Some((
                    list(&min.conditions)?,
                    usize::try_from(min.min_count).unwrap_or(usize::MAX),
                )),
            },
        })
    }

    pub(crate) fn matches(&self, id: PointKey, point: &Point) -> bool {
        self.check(&Subject {
            id: Some(id),
            payload: &point.payload,
            vectors: Some(&point.vectors),
        })
    }

    fn check(&self, subject: &Subject<'_>) -> bool {
        self.must.iter().all(|c| c.check(subject))
            && (self.should.is_empty() || self.should.iter().any(|c| c.check(subject)))
            && !self.must_not.iter().any(|c| c.check(subject))
            && self.min_should.as_ref().is_none_or(|(conditions, min)| {
                conditions.iter().filter(|c| c.check(subject)).count() >= *min
            })
    }
}

impl Condition {
    fn compile(condition: &proto::Condition) -> Result<Condition, Status> {
        match &condition.condition_one_of {
            None => Err(errors::wrong_input("Empty condition")),
            Some(ConditionOneOf::Field(field)) => {
                Ok(Condition::Field(FieldCondition::compile(field)?))
            }
            Some(ConditionOneOf::IsEmpty(c)) => Ok(Condition::IsEmpty(Path::parse(&c.key)?)),
            Some(ConditionOneOf::IsNull(c)) => Ok(Condition::IsNull(Path::parse(&c.key)?)),
            Some(ConditionOneOf::HasId(c)) => Ok(Condition::HasId(
                convert::point_keys(&c.has_id)?.into_iter().collect(),
            )),
            Some(ConditionOneOf::HasVector(c)) => Ok(Condition::HasVector(c.has_vector.clone())),
            Some(ConditionOneOf::Filter(inner)) => {
                Ok(Condition::Filter(Filter::compile(Some(inner))?))
            }
            Some(ConditionOneOf::Nested(nested)) => Ok(Condition::Nested(
                Path::parse(&nested.key)?.every_element(),
                Filter::compile(nested.filter.as_ref())?,
            )),
            Some(ConditionOneOf::Slice(_)) => Err(errors::not_implemented("the slice condition")),
        }
    }

    fn check(&self, subject: &Subject<'_>) -> bool {
        match self {
            Condition::Field(field) => field.check(&field.path.values(subject.payload)),
            Condition::IsEmpty(path) => path.values(subject.payload).iter().all(|v| {
                is_null(v) || matches!(&v.kind, Some(Kind::ListValue(l)) if l.values.is_empty())
            }),
            Condition::IsNull(path) => path.values(subject.payload).iter().any(|v| is_null(v)),
            Condition::HasId(ids) => subject.id.is_some_and(|id| ids.contains(&id)),
            Condition::HasVector(name) => subject
                .vectors
                .is_some_and(|vectors| vectors.contains_key(name)),
            Condition::Filter(filter) => filter.check(subject),
            Condition::Nested(path, filter) => {
                path.values(subject.payload)
                    .iter()
                    .any(|value| match &value.kind {
                        Some(Kind::StructValue(object)) => filter.check(&Subject {
                            id: None,
                            payload: &object.fields,
                            vectors: None,
                        }),
                        _ => false,
                    })
            }
        }
    }
}

impl FieldCondition {
    fn compile(field: &proto::FieldCondition) -> Result<FieldCondition, Status> {
        let unsupported = |what: &str| {
            Err(errors::not_implemented(format!(
                "the {what} condition (on `{}`)",
                field.key
            )))
        };
        if field.geo_bounding_box.is_some() || field.geo_radius.is_some() {
            return unsupported("geo");
        }
        if field.geo_polygon.is_some() {
            return unsupported("geo polygon");
        }
        if field.datetime_range.is_some() {
            return unsupported("datetime range");
        }
        let matcher = match field.r#match.as_ref().and_then(|m| m.match_value.as_ref()) {
            None => None,
            Some(MatchValue::Keyword(k)) => Some(Matcher::Keyword(k.clone())),
            Some(MatchValue::Integer(i)) => Some(Matcher::Integer(*i)),
            Some(MatchValue::Boolean(b)) => Some(Matcher::Bool(*b)),
            Some(MatchValue::Keywords(list)) => Some(Matcher::AnyKeyword(list.strings.clone())),
            Some(MatchValue::Integers(list)) => Some(Matcher::AnyInteger(list.integers.clone())),
            Some(MatchValue::ExceptKeywords(list)) => {
                Some(Matcher::ExceptKeyword(list.strings.clone()))
            }
            Some(MatchValue::ExceptIntegers(list)) => {
                Some(Matcher::ExceptInteger(list.integers.clone()))
            }
            Some(
                MatchValue::Text(_)
                | MatchValue::Phrase(_)
                | MatchValue::TextAny(_)
                | MatchValue::Prefix(_)
                | MatchValue::Substring(_),
            ) => return unsupported("full-text match"),
        };
        let compiled = FieldCondition {
            path: Path::parse(&field.key)?,
            matcher,
            range: field.range,
            values_count: field.values_count,
            is_empty: field.is_empty,
            is_null: field.is_null,
        };
        if compiled.matcher.is_none()
            && compiled.range.is_none()
            && compiled.values_count.is_none()
            && compiled.is_empty.is_none()
            && compiled.is_null.is_none()
        {
            return Err(errors::wrong_input(format!(
                "Field condition on `{}` sets no condition",
                field.key
            )));
        }
        Ok(compiled)
    }

    fn check(&self, values: &[&Value]) -> bool {
        if values.is_empty() {
            // Qdrant's "empty" check: only these can match a missing key.
            if let Some(is_empty) = self.is_empty {
                return is_empty;
            }
            if let Some(is_null) = self.is_null {
                return !is_null;
            }
            return self.values_count.is_some_and(|count| count_ok(&count, 0));
        }
        values.iter().any(|value| self.check_value(value))
    }

    fn check_value(&self, value: &Value) -> bool {
        if let Some(count) = &self.values_count {
            return count_ok(count, value_count(value));
        }
        if let Some(want) = self.is_empty {
            return check_is_empty(want, value);
        }
        if let Some(want) = self.is_null {
            return check_is_null(want, value);
        }
        match &value.kind {
            Some(Kind::ListValue(list)) => list.values.iter().any(|x| self.check_one(x)),
            _ => self.check_one(value),
        }
    }

    fn check_one(&self, value: &Value) -> bool {
        self.matcher.as_ref().is_some_and(|m| m.check(value))
            || self.range.as_ref().is_some_and(|r| range_ok(r, value))
    }
}

impl Matcher {
    fn check(&self, value: &Value) -> bool {
        let kind = value.kind.as_ref();
        match self {
            Matcher::Keyword(k) => matches!(kind, Some(Kind::StringValue(s)) if s == k),
            Matcher::Integer(i) => matches!(kind, Some(Kind::IntegerValue(n)) if n == i),
            Matcher::Bool(b) => matches!(kind, Some(Kind::BoolValue(x)) if x == b),
            Matcher::AnyKeyword(list) => {
                matches!(kind, Some(Kind::StringValue(s)) if list.contains(s))
            }
            Matcher::AnyInteger(list) => {
                matches!(kind, Some(Kind::IntegerValue(n)) if list.contains(n))
            }
            // Qdrant: anything that is not null and not one of the listed values.
            Matcher::ExceptKeyword(list) => match kind {
                Some(Kind::StringValue(s)) => !list.contains(s),
                None | Some(Kind::NullValue(_)) => false,
                Some(_) => true,
            },
            Matcher::ExceptInteger(list) => match kind {
                Some(Kind::IntegerValue(n)) => !list.contains(n),
                None | Some(Kind::NullValue(_)) => false,
                Some(_) => true,
            },
        }
    }
}

fn is_null(value: &Value) -> bool {
    matches!(value.kind, None | Some(Kind::NullValue(_)))
}

fn number(value: &Value) -> Option<f64> {
    match value.kind {
        Some(Kind::IntegerValue(i)) => Some(i as f64),
        Some(Kind::DoubleValue(d)) => Some(d),
        _ => None,
    }
}

fn range_ok(range: &proto::Range, value: &Value) -> bool {
    number(value).is_some_and(|x| {
        range.lt.is_none_or(|b| x < b)
            && range.gt.is_none_or(|b| x > b)
            && range.lte.is_none_or(|b| x <= b)
            && range.gte.is_none_or(|b| x >= b)
    })
}

fn value_count(value: &Value) -> u64 {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => 0,
        Some(Kind::ListValue(list)) => list.values.len() as u64,
        Some(_) => 1,
    }
}

fn count_ok(count: &proto::ValuesCount, n: u64) -> bool {
    count.lt.is_none_or(|b| n < b)
        && count.gt.is_none_or(|b| n > b)
        && count.lte.is_none_or(|b| n <= b)
        && count.gte.is_none_or(|b| n >= b)
}

fn check_is_empty(want: bool, value: &Value) -> bool {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => want,
        Some(Kind::ListValue(list)) => list.values.is_empty() == want,
        Some(_) => !want,
    }
}

fn check_is_null(want: bool, value: &Value) -> bool {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => want,
        Some(Kind::ListValue(list)) => list.values.iter().any(is_null) == want,
        Some(_) => !want,
    }
}

#[cfg(test)]
mod tests {
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
}
