//! Deterministic identities. Every id is a UUIDv5 of stable transcript identity, never of processing state,
//! so a replayed line overwrites the point it produced before.

use uuid::Uuid;

/// Namespace of all `pipeline` ids (a fixed random UUID; changing it changes every id).
const NAMESPACE: Uuid = Uuid::from_u128(0x6c3a_91f2_7d0e_4b8a_9f35_2e61_c4d8_a017);

/// Id of a conversation message: `session_id:uuid`.
pub fn message_id(session_id: &str, uuid: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{session_id}:{uuid}").as_bytes())
}

/// Id of one chunk of a message: `session_id:uuid:chunk_index`.
pub fn point_id(session_id: &str, uuid: &str, chunk_index: u32) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("{session_id}:{uuid}:{chunk_index}").as_bytes(),
    )
}

/// Fallback identity for a conversation line without a `uuid` (very old formats): the file and the line's byte
/// offset. Stable for append-only files; a rewritten file gets new ids for such lines.
pub fn fallback_uuid(source_path: &str, line_offset: u64) -> String {
    format!("line:{source_path}:{line_offset}")
}

/// A compact key for a line uuid in the parser's link window.
pub fn line_key(uuid: &str) -> u128 {
    match Uuid::parse_str(uuid) {
        Ok(u) => u.as_u128(),
        Err(_) => {
            let h = blake3::hash(uuid.as_bytes());
            let mut b = [0u8; 16];
            b.copy_from_slice(&h.as_bytes()[..16]);
            u128::from_le_bytes(b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(message_id("s", "u"), message_id("s", "u"));
        assert_ne!(message_id("s", "u"), message_id("s2", "u"));
        assert_ne!(point_id("s", "u", 0), point_id("s", "u", 1));
        assert_eq!(
            point_id("s", "u", 0).to_string(),
            Uuid::new_v5(&NAMESPACE, b"s:u:0").to_string()
        );
    }

    #[test]
    fn line_keys_parse_uuids_and_hash_others() {
        let u = "4d5611e5-241a-462a-8d15-5122611a9569";
        assert_eq!(
            line_key(u),
            Uuid::parse_str(u).map(|u| u.as_u128()).unwrap_or(0)
        );
        assert_ne!(line_key("not-a-uuid"), line_key("not-a-uuid-2"));
    }
}
