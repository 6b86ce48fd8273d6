//! The error statuses the fake returns, worded like real Qdrant's where we know the wording.
//!
//! Real Qdrant builds gRPC errors as `Status::new(code, format!("{storage_error}"))`, so the
//! messages carry the same prefixes as its REST errors ("Not found: ", "Wrong input: ", ...).

use tonic::Status;

/// Unknown collection: `Code::NotFound`, "Not found: Collection `x` doesn't exist!".
pub(crate) fn collection_not_found(name: &str) -> Status {
    Status::not_found(format!("Not found: Collection `{name}` doesn't exist!"))
}

/// Bad request content: `Code::InvalidArgument`, "Wrong input: ...".
pub(crate) fn wrong_input(description: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("Wrong input: {description}"))
}

/// Structurally bad request: `Code::InvalidArgument`, "Bad request: ...".
pub(crate) fn bad_request(description: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("Bad request: {description}"))
}

/// A feature of the real API the fake does not have: `Code::Unimplemented`.
pub(crate) fn not_implemented(what: impl std::fmt::Display) -> Status {
    Status::unimplemented(format!("qdrant-fake: {what} is not implemented"))
}
