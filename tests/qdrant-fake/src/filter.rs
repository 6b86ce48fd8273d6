//! `qdrant.Filter`, checked up front (unsupported conditions are errors, not silent misses) and
//! then evaluated against points with Qdrant's payload semantics:
//!
//! * `must`: all match; `should`: at least one matches (when non-empty); `must_not`: none
//!   matches; `min_should`: at least `min_count` match. All parts combine with AND.
//! * A field condition looks at every value found at the key; an array value matches when any
//!   element matches. A missing key never matches `match`/`range` (but satisfies `is_empty`).
//!
//! [`Filter::select`] answers a filter over a collection. Like Qdrant, it does not look at every
//! point when it need not: keyword matches on keys with a keyword index and `has_id` conditions
//! narrow the candidates down (see [`Filter::narrow`]); every candidate is still checked
//! against the whole filter, so the answer is the same as checking every point.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use qdrant_client::qdrant::{
    self as proto, condition::ConditionOneOf, r#match::MatchValue, value::Kind, Value,
};
use tonic::Status;

use crate::convert;
use crate::errors;
use crate::index::KeywordIndex;
use crate::path::Path;
use crate::state::{Collection, Point, PointKey, StoredVector};

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
    HasId(BTreeSet<PointKey>),
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

    /// Whether this filter has no condition at all (it matches every point).
    pub(crate) fn is_empty(&self) -> bool {
        self.must.is_empty()
            && self.should.is_empty()
            && self.must_not.is_empty()
            && self.min_should.is_none()
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

    /// The points of `collection` that match, in ascending id order, from `from` (inclusive)
    /// on. Only the candidates [`Filter::narrow`] leaves are checked, when it leaves fewer
    /// than the collection holds.
    pub(crate) fn select<'a>(
        &'a self,
        collection: &'a Collection,
        from: Option<PointKey>,
    ) -> Box<dyn Iterator<Item = (PointKey, &'a Point)> + 'a> {
        match self.narrow(collection.keywords()) {
            Some(narrowed) if narrowed.size < collection.points().len() => {
                self.check_candidates(collection, narrowed, from)
            }
            _ => self.scan(collection, from),
        }
    }

    /// [`Filter::select`] through the index whenever it narrows anything (`None` if not).
    #[cfg(test)]
    pub(crate) fn select_by_index<'a>(
        &'a self,
        collection: &'a Collection,
        from: Option<PointKey>,
    ) -> Option<Box<dyn Iterator<Item = (PointKey, &'a Point)> + 'a>> {
        let narrowed = self.narrow(collection.keywords())?;
        Some(self.check_candidates(collection, narrowed, from))
    }

    /// How many candidates the index leaves (`None`: it does not narrow this filter).
    #[cfg(test)]
    pub(crate) fn candidates(&self, collection: &Collection) -> Option<usize> {
        Some(self.narrow(collection.keywords())?.size)
    }

    /// The candidates that exist and match.
    fn check_candidates<'a>(
        &'a self,
        collection: &'a Collection,
        narrowed: Narrowed<'a>,
        from: Option<PointKey>,
    ) -> Box<dyn Iterator<Item = (PointKey, &'a Point)> + 'a> {
        let points = collection.points();
        Box::new(narrowed.keys(from).filter_map(move |key| {
            let point = points.get(&key)?;
            self.matches(key, point).then_some((key, point))
        }))
    }

    /// [`Filter::select`] by checking every point.
    pub(crate) fn scan<'a>(
        &'a self,
        collection: &'a Collection,
        from: Option<PointKey>,
    ) -> Box<dyn Iterator<Item = (PointKey, &'a Point)> + 'a> {
        let lower = from.map_or(Bound::Unbounded, Bound::Included);
        Box::new(
            collection
                .points()
                .range((lower, Bound::Unbounded))
                .filter(|(key, point)| self.matches(**key, point))
                .map(|(key, point)| (*key, point)),
        )
    }

    /// A set of ids that holds every point this filter can match (more, possibly), taken from
    /// the keyword postings and `has_id` lists; `None` when nothing narrows it down.
    ///
    /// `must`: any one condition's set will do (the smallest is kept); `should` (and
    /// `min_should` with a count of at least 1): the union of its conditions' sets, if every one
    /// has a set; `must_not` never narrows.
    fn narrow<'a>(&'a self, index: &'a KeywordIndex) -> Option<Narrowed<'a>> {
        let mut best = None;
        for condition in &self.must {
            keep_smaller(&mut best, condition.narrow(index));
        }
        if !self.should.is_empty() {
            keep_smaller(&mut best, union(&self.should, index));
        }
        if let Some((conditions, min)) = &self.min_should {
            if *min >= 1 {
                keep_smaller(&mut best, union(conditions, index));
            }
        }
        best
    }
}

/// A union of sorted id sets; `size` is the sum of their sizes (at least the union's).
struct Narrowed<'a> {
    sets: Vec<&'a BTreeSet<PointKey>>,
    size: usize,
}

impl<'a> Narrowed<'a> {
    fn of(sets: Vec<&'a BTreeSet<PointKey>>) -> Narrowed<'a> {
        let size = sets.iter().map(|set| set.len()).sum();
        Narrowed { sets, size }
    }

    /// The ids in ascending order, each once, from `from` (inclusive) on.
    fn keys(self, from: Option<PointKey>) -> Box<dyn Iterator<Item = PointKey> + 'a> {
        let lower = from.map_or(Bound::Unbounded, Bound::Included);
        match self.sets.as_slice() {
            [set] => Box::new(set.range((lower, Bound::Unbounded)).copied()),
            sets => {
                let mut keys: Vec<PointKey> = sets
                    .iter()
                    .flat_map(|set| set.range((lower, Bound::Unbounded)).copied())
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                Box::new(keys.into_iter())
            }
        }
    }
}

fn keep_smaller<'a>(best: &mut Option<Narrowed<'a>>, candidate: Option<Narrowed<'a>>) {
    if let Some(candidate) = candidate {
        if best.as_ref().is_none_or(|best| candidate.size < best.size) {
            *best = Some(candidate);
        }
    }
}

/// The union of the conditions' sets, if each of them has one.
fn union<'a>(conditions: &'a [Condition], index: &'a KeywordIndex) -> Option<Narrowed<'a>> {
    let mut sets = Vec::new();
    for condition in conditions {
        sets.extend(condition.narrow(index)?.sets);
    }
    Some(Narrowed::of(sets))
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
            Condition::Field(field) => field
                .path
                .with_values(subject.payload, |values| field.check(values)),
            Condition::IsEmpty(path) => path.with_values(subject.payload, |values| {
                values.iter().all(|v| {
                    is_null(v) || matches!(&v.kind, Some(Kind::ListValue(l)) if l.values.is_empty())
                })
            }),
            Condition::IsNull(path) => {
                path.with_values(subject.payload, |values| values.iter().any(|v| is_null(v)))
            }
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

    /// See [`Filter::narrow`].
    fn narrow<'a>(&'a self, index: &'a KeywordIndex) -> Option<Narrowed<'a>> {
        match self {
            Condition::Field(field) => {
                let keywords = field.keywords()?;
                let sets = keywords
                    .iter()
                    .map(|keyword| index.points_with(&field.path, keyword))
                    .collect::<Option<Vec<_>>>()?;
                Some(Narrowed::of(sets))
            }
            Condition::HasId(ids) => Some(Narrowed::of(vec![ids])),
            Condition::Filter(filter) => filter.narrow(index),
            // A nested filter looks at objects inside the payload, not at points.
            Condition::Nested(..)
            | Condition::IsEmpty(_)
            | Condition::IsNull(_)
            | Condition::HasVector(_) => None,
        }
    }
}

impl FieldCondition {
    /// The keywords this condition matches, when it is a plain keyword match (one keyword or
    /// any of a list) and nothing else: a point matches exactly when it holds one of them.
    fn keywords(&self) -> Option<&[String]> {
        if self.range.is_some()
            || self.values_count.is_some()
            || self.is_empty.is_some()
            || self.is_null.is_some()
        {
            return None;
        }
        match self.matcher.as_ref()? {
            Matcher::Keyword(keyword) => Some(std::slice::from_ref(keyword)),
            Matcher::AnyKeyword(keywords) => Some(keywords),
            _ => None,
        }
    }

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
mod tests;
