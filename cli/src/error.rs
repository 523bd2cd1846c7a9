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
  3  not found: no such question or report, or no question matches the quiz filters
  4  invalid argument: the server rejected the request, e.g. an unknown choice key
  5  unauthenticated or permission denied: missing or wrong --token
  6  unavailable: server unreachable, or no answer within --timeout
  7  health: the server answered but is not SERVING
  8  conflict: the question changed since it was read, its id is taken, or it is not in
     the state the command needs (e.g. undelete of a question that is not deleted, resolve
     of a report already resolved)";

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
    Conflict = 8,
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
    /// `resolve` named a report the server does not have (NOT_FOUND): the generic hint would
    /// point at question ids.
    UnknownReport(Status),
    /// An argument is unusable in a way clap cannot see: a question file that does not parse,
    /// an id that contradicts the command line, a file whose format is unknown.
    Usage(String),
    /// `$VISUAL`/`$EDITOR` could not be started or exited with a failure.
    Editor { command: String, reason: String },
    /// The question changed on the server while `edit` had it open (ABORTED).
    EditConflict { id: String, status: Status },
    /// The server refused an import file; `problems` are `FILE:LINE: reason` lines.
    ImportRejected { file: String, problems: Vec<String> },
    /// Reading standard input or writing standard output failed.
    Io(io::Error),
}

impl Error {
    /// The exit code documented for this failure.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::InvalidAddress { .. } | Self::InvalidToken | Self::Usage(_) => ExitCode::Usage,
            Self::Unavailable { .. }
            | Self::ServerUnavailable(_)
            | Self::DeadlineExceeded { .. } => ExitCode::Unavailable,
            Self::Rejected(status) => match status.code() {
                Code::NotFound => ExitCode::NotFound,
                Code::InvalidArgument => ExitCode::InvalidArgument,
                Code::Unauthenticated | Code::PermissionDenied => ExitCode::Unauthenticated,
                Code::Unavailable | Code::DeadlineExceeded => ExitCode::Unavailable,
                Code::Aborted | Code::AlreadyExists | Code::FailedPrecondition => {
                    ExitCode::Conflict
                }
                _ => ExitCode::Other,
            },
            Self::NotServing { .. } => ExitCode::NotServing,
            Self::NoMatchingQuestions | Self::UnknownReport(_) => ExitCode::NotFound,
            Self::EditConflict { .. } => ExitCode::Conflict,
            Self::ImportRejected { .. } => ExitCode::InvalidArgument,
            Self::Io(_) | Self::Editor { .. } => ExitCode::Other,
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
                Code::Aborted => Some(
                    "someone changed the question since you read it; read it again and retry"
                        .to_owned(),
                ),
                Code::AlreadyExists => Some(
                    "pick another id, or change the existing question with `qbank update`"
                        .to_owned(),
                ),
                _ => None,
            },
            Self::EditConflict { id, .. } => Some(format!(
                "someone changed {id} while you edited it; run `qbank edit {id}` again to start \
                 from their version"
            )),
            Self::Editor { .. } => Some(
                "set VISUAL or EDITOR to an editor that waits until you close the file, \
                 e.g. EDITOR=\"code --wait\""
                    .to_owned(),
            ),
            Self::NotServing { .. }
            | Self::Io(_)
            | Self::Usage(_)
            | Self::ImportRejected { .. } => None,
            Self::NoMatchingQuestions => Some(
                "loosen the filters; `qbank list` with the same filters shows what matches"
                    .to_owned(),
            ),
            Self::UnknownReport(_) => Some("`qbank reports` shows the report ids".to_owned()),
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
            Self::Rejected(status) | Self::UnknownReport(status) => {
                write!(f, "{} ({})", status.message(), code_name(status.code()))
            }
            Self::NotServing { status } => write!(f, "the server is not serving: {status}"),
            Self::NoMatchingQuestions => f.write_str("no question matches the filters"),
            Self::Usage(message) => f.write_str(message),
            Self::Editor { command, reason } => write!(f, "the editor {command:?} {reason}"),
            Self::EditConflict { id, status } => write!(
                f,
                "{id} was not saved: {} ({})",
                status.message(),
                code_name(status.code())
            ),
            // The problems follow on lines of their own, `FILE:LINE: reason` as compilers
            // print them, so editors and terminals can jump to each line.
            Self::ImportRejected { file, problems } => {
                write!(
                    f,
                    "{file} has {} error(s), nothing from it was imported (INVALID_ARGUMENT)",
                    problems.len()
                )?;
                problems
                    .iter()
                    .try_for_each(|problem| write!(f, "\n{problem}"))
            }
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
            (Code::Aborted, 8),
            (Code::AlreadyExists, 8),
            (Code::FailedPrecondition, 8),
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
    fn a_conflict_while_editing_says_to_edit_again() {
        let error = Error::EditConflict {
            id: "llm-001".to_owned(),
            status: Status::aborted("llm-001 is at revision 3, not 2"),
        };
        assert_eq!(error.exit_code(), ExitCode::Conflict);
        let hint = error.hint().expect("a hint");
        assert!(hint.contains("qbank edit llm-001"), "{hint}");
    }

    #[test]
    fn an_unknown_report_is_not_found_and_points_at_the_reports() {
        let error = Error::UnknownReport(Status::not_found("no report r-9"));
        assert_eq!(error.exit_code(), ExitCode::NotFound);
        assert_eq!(error.to_string(), "no report r-9 (NOT_FOUND)");
        let hint = error.hint().expect("a hint");
        assert!(hint.contains("qbank reports"), "{hint}");
    }

    #[test]
    fn only_a_closed_pipe_counts_as_a_broken_pipe() {
        assert!(Error::Io(io::ErrorKind::BrokenPipe.into()).is_broken_pipe());
        assert!(!Error::Io(io::ErrorKind::InvalidData.into()).is_broken_pipe());
    }

    #[test]
    fn the_help_text_documents_every_exit_code() {
        for code in 0..=8 {
            assert!(
                EXIT_CODES_HELP.contains(&format!("  {code}  ")),
                "exit code {code}"
            );
        }
    }
}
