//! Everything that can make a `qbank` command fail, the exit code each failure maps to, and a
//! hint that tells the user what to do about it. `main` prints an error exactly once.

use std::fmt;
use std::io;
use std::time::Duration;

use tonic::{Code, Status};

/// The exit codes, listed in `qbank --help` and the README. Scripts branch on them, so a code
/// never changes meaning once released.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success (health: the server is SERVING)
  1  any other error
  2  usage: unknown flag, missing or malformed argument
  3  not found: no such question, or no question matches the quiz filters
  4  invalid argument: the server rejected the request, e.g. an unknown choice key
  5  unauthenticated or permission denied: missing or wrong --token
  6  unavailable: server unreachable, or no answer within --timeout
  7  health: the server answered but is not SERVING";

/// The process exit code of each kind of failure (see [`EXIT_CODES_HELP`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ExitCode {
    Other = 1,
    Usage = 2,
    NotFound = 3,
    InvalidArgument = 4,
    Unauthenticated = 5,
    Unavailable = 6,
    NotServing = 7,
}

/// Why a command failed.
#[derive(Debug)]
pub(crate) enum Error {
    /// `--addr` is not a URI we can connect to.
    InvalidAddress { addr: String, reason: String },
    /// `--token` cannot be sent as an HTTP header value.
    InvalidToken,
    /// The server could not be reached.
    Unavailable { addr: String, reason: String },
    /// The server answered, but cannot serve the call right now (UNAVAILABLE).
    ServerUnavailable(Status),
    /// No answer arrived before the `--timeout` deadline.
    DeadlineExceeded { timeout: Duration },
    /// The server answered the call with an error status.
    Rejected(Status),
    /// The health check answered with a status other than SERVING.
    NotServing { status: &'static str },
    /// `quiz` found no question to ask.
    NoMatchingQuestions,
    /// Reading standard input or writing standard output failed.
    Io(io::Error),
}

impl Error {
    /// The exit code documented for this failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::InvalidAddress { .. } | Self::InvalidToken => ExitCode::Usage,
            Self::Unavailable { .. }
            | Self::ServerUnavailable(_)
            | Self::DeadlineExceeded { .. } => ExitCode::Unavailable,
            Self::Rejected(status) => match status.code() {
                Code::NotFound => ExitCode::NotFound,
                Code::InvalidArgument => ExitCode::InvalidArgument,
                Code::Unauthenticated | Code::PermissionDenied => ExitCode::Unauthenticated,
                Code::Unavailable | Code::DeadlineExceeded => ExitCode::Unavailable,
                _ => ExitCode::Other,
            },
            Self::NotServing { .. } => ExitCode::NotServing,
            Self::NoMatchingQuestions => ExitCode::NotFound,
            Self::Io(_) => ExitCode::Other,
        }
    }

    /// True when standard output was closed by its reader (`qbank list --all | head -3`):
    /// the reader has all it wanted, so this is a normal end, not an error.
    pub(crate) fn is_broken_pipe(&self) -> bool {
        matches!(self, Self::Io(error) if error.kind() == io::ErrorKind::BrokenPipe)
    }

    /// What the user can do about it, if we know.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Self::InvalidAddress { .. } => {
                Some("pass --addr (or set QBANK_ADDR) like http://127.0.0.1:50051".to_owned())
            }
            Self::InvalidToken => {
                Some("the token must be printable ASCII; check --token or QBANK_TOKEN".to_owned())
            }
            Self::Unavailable { addr, .. } => Some(format!(
                "is the server running at {addr}? Start it, or point --addr (QBANK_ADDR) at it"
            )),
            Self::ServerUnavailable(_) => Some(
                "the server is running but cannot serve this now (its storage may be locked, \
                 read-only, full or failing); retry later, or ask its operator"
                    .to_owned(),
            ),
            Self::DeadlineExceeded { .. } => {
                Some("raise --timeout (QBANK_TIMEOUT), e.g. --timeout 30s".to_owned())
            }
            Self::Rejected(status) => match status.code() {
                Code::NotFound => Some("`qbank list` shows the question ids".to_owned()),
                Code::Unauthenticated | Code::PermissionDenied => Some(
                    "pass the admin token with --token or the QBANK_TOKEN environment variable"
                        .to_owned(),
                ),
                _ => None,
            },
            Self::NotServing { .. } | Self::Io(_) => None,
            Self::NoMatchingQuestions => Some(
                "loosen the filters; `qbank list` with the same filters shows what matches"
                    .to_owned(),
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAddress { addr, reason } => {
                write!(f, "invalid server address {addr:?}: {reason}")
            }
            Self::InvalidToken => f.write_str("invalid token"),
            Self::Unavailable { addr, reason } => {
                write!(
                    f,
                    "cannot reach the qbank server at {addr} (UNAVAILABLE): {reason}"
                )
            }
            Self::ServerUnavailable(status) => {
                write!(
                    f,
                    "the server is unavailable: {} (UNAVAILABLE)",
                    status.message()
                )
            }
            Self::DeadlineExceeded { timeout } => write!(
                f,
                "the server did not answer within {} (DEADLINE_EXCEEDED)",
                crate::args::format_duration(*timeout)
            ),
            Self::Rejected(status) => {
                write!(f, "{} ({})", status.message(), code_name(status.code()))
            }
            Self::NotServing { status } => write!(f, "the server is not serving: {status}"),
            Self::NoMatchingQuestions => f.write_str("no question matches the filters"),
            Self::Io(error) => write!(f, "{error}"),
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

/// The canonical gRPC name of a status code, as users find it in docs and server logs
/// (tonic's own `Display` gives a sentence instead).
pub(crate) fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_code_maps_to_its_documented_exit_code() {
        let cases = [
            (Code::NotFound, 3),
            (Code::InvalidArgument, 4),
            (Code::Unauthenticated, 5),
            (Code::PermissionDenied, 5),
            (Code::Unavailable, 6),
            (Code::Internal, 1),
        ];
        for (code, exit) in cases {
            let error = Error::Rejected(Status::new(code, "x"));
            assert_eq!(error.exit_code() as u8, exit, "{code:?}");
        }
    }

    #[test]
    fn an_unreachable_server_names_the_address_and_the_environment_variable() {
        let error = Error::Unavailable {
            addr: "http://127.0.0.1:1".to_owned(),
            reason: "connection refused".to_owned(),
        };
        assert!(error.to_string().contains("http://127.0.0.1:1"));
        let hint = error.hint().expect("a hint");
        assert!(hint.contains("QBANK_ADDR") && hint.contains("http://127.0.0.1:1"));
    }

    #[test]
    fn an_unavailable_server_is_not_taken_for_an_unreachable_one() {
        let error = Error::ServerUnavailable(Status::unavailable("the database is locked"));
        assert_eq!(error.exit_code(), ExitCode::Unavailable);
        let hint = error.hint().expect("a hint");
        assert!(!hint.contains("is the server running"), "{hint}");
        assert!(error.to_string().contains("the database is locked"));
    }

    #[test]
    fn only_a_closed_pipe_counts_as_a_broken_pipe() {
        assert!(Error::Io(io::ErrorKind::BrokenPipe.into()).is_broken_pipe());
        assert!(!Error::Io(io::ErrorKind::InvalidData.into()).is_broken_pipe());
    }

    #[test]
    fn the_help_text_documents_every_exit_code() {
        for code in 0..=7 {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {code}  ")),
                "exit code {code}"
            );
        }
    }
}
