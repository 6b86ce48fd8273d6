//! Encoding stored records (bincode for checkpoints and points, JSON for run metadata) with errors that say what
//! failed. An encoding failure must never become an empty, valid-looking record: an empty parser state decodes
//! as a fresh start, i.e. lost carry-over state.

use crate::error::{Error, Result};
use serde::Serialize;

/// bincode (standard configuration) of `value`; `what` names the record in the error.
pub fn bincode_bytes<T: Serialize + ?Sized>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).map_err(|source| {
        Error::Encode {
            what,
            source: Box::new(source),
        }
    })
}

/// JSON of `value`; `what` names the record in the error.
pub fn json_bytes<T: Serialize + ?Sized>(what: &'static str, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|source| Error::Encode {
        what,
        source: Box::new(source),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value whose serialization fails, as a type with a bad `Serialize` impl (or a map with non-string keys
    /// for JSON) would.
    struct Unencodable;

    impl Serialize for Unencodable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> std::result::Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refuses to be encoded"))
        }
    }

    #[test]
    fn an_encoding_failure_is_an_error_naming_the_record_never_empty_bytes() {
        for result in [
            bincode_bytes("parser state", &Unencodable),
            json_bytes("parser state", &Unencodable),
        ] {
            let err = result.err();
            let text = err.as_ref().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                text.contains("parser state") && text.contains("refuses to be encoded"),
                "{text}"
            );
            let cause = err.as_ref().and_then(std::error::Error::source);
            assert!(cause.is_some(), "the encoder's error is kept as the source");
        }
    }

    #[test]
    fn encodes_like_the_libraries() {
        let v = vec![1u32, 2, 3];
        assert_eq!(
            bincode_bytes("v", &v).ok(),
            bincode::serde::encode_to_vec(&v, bincode::config::standard()).ok()
        );
        assert_eq!(json_bytes("v", &v).ok(), Some(b"[1,2,3]".to_vec()));
    }
}
