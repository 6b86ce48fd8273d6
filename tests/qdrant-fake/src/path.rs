//! Payload key paths as Qdrant reads them: `a`, `a.b`, `a[]`, `a[].b`, `a[0]`, `"dotted.key"`.
//!
//! A `.key` step only enters objects: `a.b` finds nothing when `a` is an array (write `a[].b`).
//! The values found are returned as they are; conditions then look one array level deep.

use std::collections::HashMap;

use qdrant_client::qdrant::{value::Kind, Value};
use tonic::Status;

use crate::errors;

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
    Every,
}

/// A parsed payload key.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Path {
    first: String,
    rest: Vec<Step>,
}

impl Path {
    pub(crate) fn parse(raw: &str) -> Result<Path, Status> {
        let bad = || errors::wrong_input(format!("Invalid payload key `{raw}`"));
        let mut chars = raw.chars().peekable();
        let first = parse_key(&mut chars).ok_or_else(bad)?;
        let mut rest = Vec::new();
        while let Some(c) = chars.next() {
            match c {
                '.' => rest.push(Step::Key(parse_key(&mut chars).ok_or_else(bad)?)),
                '[' => {
                    let mut digits = String::new();
                    loop {
                        match chars.next() {
                            Some(']') => break,
                            Some(d) if d.is_ascii_digit() => digits.push(d),
                            _ => return Err(bad()),
                        }
                    }
                    if digits.is_empty() {
                        rest.push(Step::Every);
                    } else {
                        rest.push(Step::Index(digits.parse().map_err(|_| bad())?));
                    }
                }
                _ => return Err(bad()),
            }
        }
        Ok(Path { first, rest })
    }

    /// The key itself when the path is a plain top-level key.
    pub(crate) fn top_level_key(&self) -> Option<&str> {
        self.rest.is_empty().then_some(self.first.as_str())
    }

    /// `key[]`: the path Qdrant's nested condition iterates over.
    pub(crate) fn every_element(&self) -> Path {
        let mut path = self.clone();
        path.rest.push(Step::Every);
        path
    }

    /// `f` of [`Path::values`], without allocating for a plain top-level key.
    pub(crate) fn with_values<'a, R>(
        &self,
        payload: &'a HashMap<String, Value>,
        f: impl FnOnce(&[&'a Value]) -> R,
    ) -> R {
        if self.rest.is_empty() {
            match payload.get(&self.first) {
                Some(value) => f(&[value]),
                None => f(&[]),
            }
        } else {
            f(&self.values(payload))
        }
    }

    /// The values at this path in a payload (empty when absent).
    pub(crate) fn values<'a>(&self, payload: &'a HashMap<String, Value>) -> Vec<&'a Value> {
        let mut found = Vec::new();
        if let Some(value) = payload.get(&self.first) {
            walk(&self.rest, value, &mut found);
        }
        found
    }
}

fn parse_key(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<String> {
    let mut key = String::new();
    if chars.peek() == Some(&'"') {
        chars.next();
        loop {
            match chars.next()? {
                '"' => break,
                c => key.push(c),
            }
        }
        if !matches!(chars.peek(), None | Some('.') | Some('[')) {
            return None;
        }
    } else {
        while let Some(&c) = chars.peek() {
            if matches!(c, '.' | '[' | ']' | '"') {
                break;
            }
            key.push(c);
            chars.next();
        }
    }
    (!key.is_empty()).then_some(key)
}

fn walk<'a>(steps: &[Step], value: &'a Value, found: &mut Vec<&'a Value>) {
    let Some((step, tail)) = steps.split_first() else {
        found.push(value);
        return;
    };
    match (step, &value.kind) {
        (Step::Key(key), Some(Kind::StructValue(object))) => {
            if let Some(inner) = object.fields.get(key) {
                walk(tail, inner, found);
            }
        }
        (Step::Index(index), Some(Kind::ListValue(list))) => {
            if let Some(inner) = list.values.get(*index) {
                walk(tail, inner, found);
            }
        }
        (Step::Every, Some(Kind::ListValue(list))) => {
            for inner in &list.values {
                walk(tail, inner, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> HashMap<String, Value> {
        let chunk = |n: i64| {
            let mut fields = HashMap::new();
            fields.insert("n".to_string(), Value::from(n));
            Value {
                kind: Some(Kind::StructValue(qdrant_client::qdrant::Struct { fields })),
            }
        };
        let mut payload = HashMap::new();
        payload.insert("chunks".to_string(), Value::from(vec![chunk(1), chunk(2)]));
        payload.insert("tags".to_string(), Value::from(vec!["a", "b"]));
        payload.insert("a.b".to_string(), Value::from(7_i64));
        payload
    }

    #[test]
    fn walks_objects_arrays_and_quoted_keys() {
        let payload = payload();
        let ints = |raw: &str| -> Vec<i64> {
            Path::parse(raw)
                .unwrap()
                .values(&payload)
                .into_iter()
                .filter_map(|v| match v.kind {
                    Some(Kind::IntegerValue(i)) => Some(i),
                    _ => None,
                })
                .collect()
        };
        assert_eq!(ints("chunks[].n"), vec![1, 2]);
        assert_eq!(ints("chunks[1].n"), vec![2]);
        assert_eq!(ints("chunks.n"), Vec::<i64>::new());
        assert_eq!(ints("\"a.b\""), vec![7]);
        assert_eq!(Path::parse("tags").unwrap().values(&payload).len(), 1);
        assert_eq!(Path::parse("tags[]").unwrap().values(&payload).len(), 2);
    }

    #[test]
    fn rejects_malformed_keys() {
        for raw in ["", "a..b", "a[x]", "a[", ".a", "\"a\"b"] {
            assert!(Path::parse(raw).is_err(), "{raw} should be rejected");
        }
    }
}
