//! Payload indexes: recorded (for `payload_schema` and facets), and for keyword indexes the
//! postings (which points hold which keyword) that let filters skip the points that cannot match.
//! An index changes how fast a filter is answered, never what it answers: the postings only
//! narrow down the candidates, which are then checked against the whole filter.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use qdrant_client::qdrant::{
    payload_index_params::IndexParams, value::Kind, CreateFieldIndexCollection, FieldType,
    PayloadSchemaType, Value,
};
use tonic::Status;

use crate::errors;
use crate::path::Path;
use crate::state::{Collection, FastMap, FieldIndex, Point, PointKey};

/// Creating an index that already exists succeeds; a different type replaces it.
pub(crate) fn create(
    collection: &mut Collection,
    request: &CreateFieldIndexCollection,
) -> Result<(), Status> {
    Path::parse(&request.field_name)?;
    let from_type = match request.field_type {
        None => None,
        Some(raw) => {
            Some(schema_type(FieldType::try_from(raw).map_err(|_| {
                errors::wrong_input(format!("Unknown field type {raw}"))
            })?))
        }
    };
    let from_params = request
        .field_index_params
        .as_ref()
        .and_then(|params| params.index_params.as_ref())
        .map(params_type);
    let data_type = match (from_type, from_params) {
        (Some(a), Some(b)) if a != b => {
            return Err(errors::wrong_input(format!(
                "Index params for `{}` do not match field type {}",
                request.field_name,
                a.as_str_name()
            )))
        }
        (Some(t), _) | (None, Some(t)) => t,
        (None, None) => {
            return Err(errors::wrong_input(format!(
                "Field type of `{}` is not specified",
                request.field_name
            )))
        }
    };
    collection.set_index(
        request.field_name.clone(),
        FieldIndex {
            data_type,
            params: request.field_index_params.clone(),
        },
    );
    Ok(())
}

fn schema_type(field_type: FieldType) -> PayloadSchemaType {
    match field_type {
        FieldType::Keyword => PayloadSchemaType::Keyword,
        FieldType::Integer => PayloadSchemaType::Integer,
        FieldType::Float => PayloadSchemaType::Float,
        FieldType::Geo => PayloadSchemaType::Geo,
        FieldType::Text => PayloadSchemaType::Text,
        FieldType::Bool => PayloadSchemaType::Bool,
        FieldType::Datetime => PayloadSchemaType::Datetime,
        FieldType::Uuid => PayloadSchemaType::Uuid,
    }
}

fn params_type(params: &IndexParams) -> PayloadSchemaType {
    match params {
        IndexParams::KeywordIndexParams(_) => PayloadSchemaType::Keyword,
        IndexParams::IntegerIndexParams(_) => PayloadSchemaType::Integer,
        IndexParams::FloatIndexParams(_) => PayloadSchemaType::Float,
        IndexParams::GeoIndexParams(_) => PayloadSchemaType::Geo,
        IndexParams::TextIndexParams(_) => PayloadSchemaType::Text,
        IndexParams::BoolIndexParams(_) => PayloadSchemaType::Bool,
        IndexParams::DatetimeIndexParams(_) => PayloadSchemaType::Datetime,
        IndexParams::UuidIndexParams(_) => PayloadSchemaType::Uuid,
    }
}

/// Whether an index of `data_type` would index this (non-array) value.
pub(crate) fn accepts(data_type: PayloadSchemaType, value: &Value) -> bool {
    match (data_type, &value.kind) {
        (
            PayloadSchemaType::Keyword | PayloadSchemaType::Text | PayloadSchemaType::Datetime,
            Some(Kind::StringValue(_)),
        ) => true,
        (PayloadSchemaType::Uuid, Some(Kind::StringValue(s))) => uuid::Uuid::parse_str(s).is_ok(),
        (PayloadSchemaType::Integer, Some(Kind::IntegerValue(_))) => true,
        (PayloadSchemaType::Float, Some(Kind::IntegerValue(_) | Kind::DoubleValue(_))) => true,
        (PayloadSchemaType::Bool, Some(Kind::BoolValue(_))) => true,
        (PayloadSchemaType::Geo, Some(Kind::StructValue(s))) => {
            s.fields.contains_key("lon") && s.fields.contains_key("lat")
        }
        _ => false,
    }
}

/// Values at `path`, with one level of arrays flattened (as conditions and indexes see them).
pub(crate) fn flat_values<'a>(path: &Path, payload: &'a HashMap<String, Value>) -> Vec<&'a Value> {
    path.values(payload)
        .into_iter()
        .flat_map(|value| match &value.kind {
            Some(Kind::ListValue(list)) => list.values.iter().collect(),
            _ => vec![value],
        })
        .collect()
}

/// How many points have at least one value the index would hold (`PayloadSchemaInfo.points`).
pub(crate) fn indexed_points(
    collection: &Collection,
    key: &str,
    data_type: PayloadSchemaType,
) -> u64 {
    let Ok(path) = Path::parse(key) else {
        return 0;
    };
    collection
        .points()
        .values()
        .filter(|point| {
            flat_values(&path, &point.payload)
                .into_iter()
                .any(|value| accepts(data_type, value))
        })
        .count() as u64
}

/// The postings of the keyword indexes: for each indexed key, the points holding each string at
/// it (a string value, or a string element of an array value: what a keyword `match` sees).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct KeywordIndex {
    /// By index name (the `field_name` it was created with).
    fields: BTreeMap<String, Postings>,
}

#[derive(Clone, Debug, PartialEq)]
struct Postings {
    path: Path,
    points: FastMap<String, BTreeSet<PointKey>>,
}

/// Calls `f` with each string a keyword `match` on `path` compares with: the strings among
/// [`flat_values`].
fn for_each_keyword<'a>(
    path: &Path,
    payload: &'a HashMap<String, Value>,
    mut f: impl FnMut(&'a str),
) {
    path.with_values(payload, |values| {
        for value in values {
            match &value.kind {
                Some(Kind::StringValue(s)) => f(s),
                Some(Kind::ListValue(list)) => {
                    for element in &list.values {
                        if let Some(Kind::StringValue(s)) = &element.kind {
                            f(s);
                        }
                    }
                }
                _ => {}
            }
        }
    });
}

fn keywords<'a>(path: &Path, payload: &'a HashMap<String, Value>) -> Vec<&'a str> {
    let mut found = Vec::new();
    for_each_keyword(path, payload, |keyword| found.push(keyword));
    found
}

impl Postings {
    fn add(&mut self, key: PointKey, payload: &HashMap<String, Value>) {
        let Postings { path, points } = self;
        for_each_keyword(path, payload, |keyword| add_keyword(points, key, keyword));
    }

    fn remove(&mut self, key: PointKey, payload: &HashMap<String, Value>) {
        let Postings { path, points } = self;
        for_each_keyword(path, payload, |keyword| {
            remove_keyword(points, key, keyword)
        });
    }

    /// The point at `key` had `old` as payload and now has `new`: only the keywords that differ
    /// are touched.
    fn replace(
        &mut self,
        key: PointKey,
        old: &HashMap<String, Value>,
        new: &HashMap<String, Value>,
    ) {
        let before = keywords(&self.path, old);
        let after = keywords(&self.path, new);
        if before == after {
            return;
        }
        for keyword in before.iter().filter(|keyword| !after.contains(keyword)) {
            remove_keyword(&mut self.points, key, keyword);
        }
        for keyword in after.iter().filter(|keyword| !before.contains(keyword)) {
            add_keyword(&mut self.points, key, keyword);
        }
    }
}

fn add_keyword(points: &mut FastMap<String, BTreeSet<PointKey>>, key: PointKey, keyword: &str) {
    match points.get_mut(keyword) {
        Some(keys) => {
            keys.insert(key);
        }
        None => {
            points.insert(keyword.to_string(), BTreeSet::from([key]));
        }
    }
}

fn remove_keyword(points: &mut FastMap<String, BTreeSet<PointKey>>, key: PointKey, keyword: &str) {
    if let Some(keys) = points.get_mut(keyword) {
        keys.remove(&key);
        if keys.is_empty() {
            points.remove(keyword);
        }
    }
}

impl KeywordIndex {
    /// (Re)builds the postings of the index `name` on `path` from every point.
    pub(crate) fn build(&mut self, name: &str, path: Path, points: &BTreeMap<PointKey, Point>) {
        let mut postings = Postings {
            path,
            points: FastMap::default(),
        };
        for (key, point) in points {
            postings.add(*key, &point.payload);
        }
        self.fields.insert(name.to_string(), postings);
    }

    pub(crate) fn drop_field(&mut self, name: &str) {
        self.fields.remove(name);
    }

    pub(crate) fn add(&mut self, key: PointKey, payload: &HashMap<String, Value>) {
        for postings in self.fields.values_mut() {
            postings.add(key, payload);
        }
    }

    pub(crate) fn remove(&mut self, key: PointKey, payload: &HashMap<String, Value>) {
        for postings in self.fields.values_mut() {
            postings.remove(key, payload);
        }
    }

    /// The payload of the point at `key` changes from `old` to `new`.
    pub(crate) fn replace(
        &mut self,
        key: PointKey,
        old: &HashMap<String, Value>,
        new: &HashMap<String, Value>,
    ) {
        for postings in self.fields.values_mut() {
            postings.replace(key, old, new);
        }
    }

    /// For the keyword index `name`: each keyword with how many points hold it.
    pub(crate) fn counts(&self, name: &str) -> Option<impl Iterator<Item = (&str, u64)>> {
        let postings = self.fields.get(name)?;
        Some(
            postings
                .points
                .iter()
                .map(|(keyword, points)| (keyword.as_str(), points.len() as u64)),
        )
    }

    /// The points a keyword `match` of `keyword` on `path` selects, when a keyword index
    /// covers `path` (`None`: not indexed, every point has to be checked).
    pub(crate) fn points_with(&self, path: &Path, keyword: &str) -> Option<&BTreeSet<PointKey>> {
        static NONE: BTreeSet<PointKey> = BTreeSet::new();
        let postings = self
            .fields
            .values()
            .find(|postings| postings.path == *path)?;
        Some(postings.points.get(keyword).unwrap_or(&NONE))
    }
}
