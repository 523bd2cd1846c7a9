//! The service's one error type, and its one mapping to a gRPC `Status`.
//!
//! Variants are named by what the caller should do. Internal causes are logged
//! here with their whole chain and never sent to the client: a status message
//! carries no SQL, no paths and no answer keys.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};

use crate::{
    domain::{bank_formats::LineError, validation::FieldError},
    store::StoreError,
};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One request field is at fault: fix it and retry.
    #[error("{0}")]
    InvalidArgument(#[from] FieldError),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Credentials are missing or wrong.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The credentials cannot allow this at all on this server.
    #[error("{0}")]
    PermissionDenied(&'static str),
    /// The named thing is damaged in storage; other things still serve.
    #[error("{0}")]
    DataLoss(String),
    /// The thing to create exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// A concurrent change came first (a stale expected revision): read
    /// again and retry.
    #[error("{0}")]
    Aborted(String),
    /// The thing is not in the state the call needs.
    #[error("{0}")]
    FailedPrecondition(String),
    /// An uploaded file has errors, each on its line; nothing was imported.
    #[error("the file has {} error(s)", .0.len())]
    InvalidFile(Vec<LineError>),
    /// The call asks for more than a limit allows.
    #[error("{0}")]
    ResourceExhausted(String),
    /// Storage hit a limit of its own (busy, read-only, full): retry later.
    #[error("storage is unavailable")]
    Storage(#[from] StoreError),
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidArgument(FieldError { field, reason }) => Status::with_error_details(
                Code::InvalidArgument,
                format!("{field}: {reason}"),
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            Error::NotFound(message) => Status::not_found(message),
            Error::Unauthenticated(message) => Status::unauthenticated(message),
            Error::PermissionDenied(message) => Status::permission_denied(message),
            Error::DataLoss(message) => Status::data_loss(message),
            Error::AlreadyExists(message) => Status::already_exists(message),
            Error::Aborted(message) => Status::aborted(message),
            Error::FailedPrecondition(message) => Status::failed_precondition(message),
            Error::InvalidFile(errors) => invalid_file_status(&errors),
            Error::ResourceExhausted(message) => Status::resource_exhausted(message),
            Error::Storage(error) => storage_status(&error),
        }
    }
}

/// INVALID_ARGUMENT with one `BadRequest` violation on `content` for each
/// error, and the first few in the message for people reading it.
fn invalid_file_status(errors: &[LineError]) -> Status {
    const IN_MESSAGE: usize = 3;
    let mut message = format!(
        "the file has {} error(s), nothing was imported: ",
        errors.len()
    );
    let shown: Vec<String> = errors
        .iter()
        .take(IN_MESSAGE)
        .map(ToString::to_string)
        .collect();
    message.push_str(&shown.join("; "));
    if errors.len() > IN_MESSAGE {
        message.push_str("; …");
    }
    let violations: Vec<FieldViolation> = errors
        .iter()
        .map(|error| FieldViolation::new("content", error.to_string()))
        .collect();
    Status::with_error_details(
        Code::InvalidArgument,
        message,
        ErrorDetails::with_bad_request(violations),
    )
}

fn storage_status(error: &StoreError) -> Status {
    match error {
        StoreError::Busy(_) | StoreError::ReadOnly(_) | StoreError::WriterStopped => {
            tracing::warn!(error = %error_chain(error), "storage unavailable");
            Status::unavailable("the question bank is temporarily unavailable; retry later")
        }
        // Faults an operator must fix (a failing disk, a deleted database);
        // nothing was recorded, so a retry after the fix is safe.
        StoreError::Io(_) | StoreError::Replaced { .. } => {
            tracing::error!(error = %error_chain(error), "storage failed");
            Status::unavailable(
                "the question bank cannot use its storage right now; nothing was recorded, \
                 retry later",
            )
        }
        StoreError::DataLoss(_) => {
            tracing::error!(error = %error_chain(error), "stored data is damaged");
            Status::data_loss("stored data is damaged")
        }
        StoreError::DiskFull(_) => {
            tracing::error!(error = %error_chain(error), "storage full");
            Status::resource_exhausted(
                "the question bank is out of storage space; nothing was recorded",
            )
        }
        StoreError::SchemaTooNew { .. } | StoreError::Internal(_) => {
            tracing::error!(error = %error_chain(error), "internal error");
            Status::internal("internal error")
        }
    }
}

/// `error: cause: cause ...`, for log lines.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
