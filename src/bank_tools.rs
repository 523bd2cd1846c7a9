//! `qbank-server import` and `qbank-server export`: bank files into and out
//! of a database, directly, also while a server runs on it (which sees an
//! import within a second, as it sees any other process's change).
//!
//! An import on a database that does not exist yet creates it holding only
//! the imported questions: a server started on it later does not add the
//! bundled bank, since a bank was loaded already.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Parser, ValueEnum};

use crate::{
    api::convert::{DEFAULT_IMPORT_CATEGORY, DEFAULT_IMPORT_LANGUAGE, card_format},
    bank::Bank,
    config::parse_seconds,
    domain::{
        bank_formats::{BankFormat, ImportDefaults},
        listing::QuestionFilter,
        question::{Difficulty, QuestionType},
    },
    error::{Error, error_chain},
    store::{Store, StoreSettings},
};

/// The first argument that selects an import instead of the server.
pub const IMPORT: &str = "import";
/// The first argument that selects an export instead of the server.
pub const EXPORT: &str = "export";

/// A bank file's format, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// qbank's bank file (README, "Bank files").
    Toml,
    /// The same fields in JSON.
    Json,
    /// Moodle's GIFT.
    Gift,
    /// Aiken.
    Aiken,
}

impl From<FormatArg> for BankFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Toml => Self::Toml,
            FormatArg::Json => Self::Json,
            FormatArg::Gift => Self::Gift,
            FormatArg::Aiken => Self::Aiken,
        }
    }
}

/// A difficulty, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DifficultyArg {
    /// Easy.
    Easy,
    /// Medium.
    Medium,
    /// Hard.
    Hard,
}

impl From<DifficultyArg> for Difficulty {
    fn from(difficulty: DifficultyArg) -> Self {
        match difficulty {
            DifficultyArg::Easy => Self::Easy,
            DifficultyArg::Medium => Self::Medium,
            DifficultyArg::Hard => Self::Hard,
        }
    }
}

/// A question type, as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TypeArg {
    /// Single choice.
    SingleChoice,
    /// Multiple choice.
    MultipleChoice,
    /// True or false.
    TrueFalse,
}

impl From<TypeArg> for QuestionType {
    fn from(question_type: TypeArg) -> Self {
        match question_type {
            TypeArg::SingleChoice => Self::SingleChoice,
            TypeArg::MultipleChoice => Self::MultipleChoice,
            TypeArg::TrueFalse => Self::TrueFalse,
        }
    }
}

/// Flags of `qbank-server import`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "qbank-server import",
    bin_name = "qbank-server import",
    version,
    about = "Imports bank files into a qbank database, all or nothing",
    after_help = "The format comes from each file's extension (.toml, .json, .gift, .aiken) \
                  unless --format names it. Errors are printed as FILE:LINE: reason, and then \
                  nothing is imported. Exit status: 0 on success, 1 otherwise."
)]
pub struct ImportArgs {
    /// The SQLite database; created if it does not exist.
    #[arg(long = "db", env = "QBANK_DB", default_value = "./qbank.db")]
    pub db_path: PathBuf,

    /// The files' format, instead of their extensions'.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Check the files and count what would change, changing nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The category of questions the format gives none (GIFT, Aiken).
    #[arg(long, default_value = DEFAULT_IMPORT_CATEGORY)]
    pub default_category: String,

    /// The difficulty of questions whose format has none (GIFT, Aiken).
    #[arg(long, value_enum, default_value_t = DifficultyArg::Medium)]
    pub default_difficulty: DifficultyArg,

    /// The BCP-47 language of questions whose format has none (GIFT, Aiken).
    #[arg(long, default_value = DEFAULT_IMPORT_LANGUAGE)]
    pub default_language: String,

    /// Seconds to wait for a lock another process holds.
    #[arg(long, default_value = "5", value_parser = parse_seconds, hide = true)]
    pub db_busy_timeout: std::time::Duration,

    /// The bank files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Flags of `qbank-server export`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "qbank-server export",
    bin_name = "qbank-server export",
    version,
    about = "Exports the questions of a qbank database as a bank file",
    after_help = "The format comes from --output's extension unless --format names it; TOML \
                  otherwise. What the format cannot express is listed on standard error."
)]
pub struct ExportArgs {
    /// The SQLite database.
    #[arg(long = "db", env = "QBANK_DB", default_value = "./qbank.db")]
    pub db_path: PathBuf,

    /// The file's format.
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Where to write the file; standard output without it.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only questions of this category.
    #[arg(long)]
    pub category: Option<String>,

    /// Only questions with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,

    /// Only questions of this difficulty.
    #[arg(long, value_enum)]
    pub difficulty: Option<DifficultyArg>,

    /// Only questions of this type.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub question_type: Option<TypeArg>,

    /// Only questions in this language.
    #[arg(long)]
    pub language: Option<String>,
}

/// Why a subcommand failed, printed once by [`run_import`] or [`run_export`].
#[derive(Debug, thiserror::Error)]
enum ToolError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    /// Errors already printed, one line each.
    #[error("{0} error(s); nothing was imported")]
    InvalidFiles(usize),
    #[error("cannot open the database {path}: {cause}")]
    Database { path: String, cause: String },
    #[error("{}", error_chain(.0))]
    Bank(#[from] Error),
}

/// Runs `qbank-server import`.
pub async fn run_import(args: &ImportArgs) -> ExitCode {
    exit(import(args).await)
}

/// Runs `qbank-server export`.
pub async fn run_export(args: &ExportArgs) -> ExitCode {
    exit(export(args).await)
}

fn exit(outcome: Result<(), ToolError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The format of `path`: `--format`, else its extension's.
fn format_of(path: &Path, format: Option<FormatArg>) -> Result<BankFormat, ToolError> {
    format.map(BankFormat::from).map_or_else(
        || {
            path.extension()
                .and_then(|extension| extension.to_str())
                .and_then(BankFormat::from_extension)
                .ok_or_else(|| {
                    ToolError::Usage(format!(
                        "{}: cannot tell the format from the extension; use --format",
                        path.display()
                    ))
                })
        },
        Ok,
    )
}

async fn import(args: &ImportArgs) -> Result<(), ToolError> {
    let defaults = ImportDefaults {
        category: args.default_category.clone(),
        difficulty: args.default_difficulty.into(),
        language: args.default_language.clone(),
    };
    // Every file is read and checked before anything is imported.
    let mut files = Vec::with_capacity(args.files.len());
    let mut errors = 0;
    for path in &args.files {
        let format = format_of(path, args.format)?;
        let text = std::fs::read_to_string(path).map_err(|source| ToolError::Read {
            path: path.display().to_string(),
            source,
        })?;
        if let Err(file_errors) = format.parse(&text, &defaults, std::time::SystemTime::now()) {
            for error in &file_errors {
                eprintln!("{}:{}: {}", path.display(), error.line, error.reason);
            }
            errors += file_errors.len();
        }
        files.push((path, format, text));
    }
    if errors > 0 {
        return Err(ToolError::InvalidFiles(errors));
    }
    let bank = open_bank(&args.db_path, args.db_busy_timeout)?;
    for (path, format, text) in files {
        let counts = bank.import(format, &text, &defaults, args.dry_run).await?;
        println!(
            "{}: {} created, {} updated, {} unchanged, {} skipped (deleted){}",
            path.display(),
            counts.created,
            counts.updated,
            counts.unchanged,
            counts.skipped,
            if args.dry_run {
                " — dry run, nothing changed"
            } else {
                ""
            }
        );
    }
    Ok(())
}

async fn export(args: &ExportArgs) -> Result<(), ToolError> {
    let format = match (&args.output, args.format) {
        (_, Some(format)) => format.into(),
        (Some(output), None) => format_of(output, None)?,
        (None, None) => BankFormat::Toml,
    };
    // An export reads what exists; it must not create an empty database.
    if !args.db_path.exists() {
        return Err(ToolError::Usage(format!(
            "{} does not exist",
            args.db_path.display()
        )));
    }
    let filter = QuestionFilter::new(
        args.category.clone().unwrap_or_default(),
        args.tags.clone(),
        args.difficulty.map(Difficulty::from),
        args.question_type.map(QuestionType::from),
        args.language.clone().unwrap_or_default(),
    )
    .map_err(|error| ToolError::Usage(error.to_string()))?;
    let bank = open_bank(&args.db_path, std::time::Duration::from_secs(5))?;
    let exported = bank.export(format, filter).await?;
    match &args.output {
        Some(path) => std::fs::write(path, &exported.text).map_err(|source| ToolError::Write {
            path: path.display().to_string(),
            source,
        })?,
        None => std::io::stdout()
            .write_all(exported.text.as_bytes())
            .map_err(|source| ToolError::Write {
                path: "standard output".into(),
                source,
            })?,
    }
    for omission in exported.omitted {
        eprintln!(
            "left out of {}: {}: {}",
            args.output
                .as_deref()
                .map_or("the file".into(), |path| path.display().to_string()),
            omission.question_id,
            omission.reason
        );
    }
    Ok(())
}

/// The bank on `path`, with no initial bank: a new database holds only what
/// is imported into it.
fn open_bank(path: &Path, busy_timeout: std::time::Duration) -> Result<Bank, ToolError> {
    let settings = StoreSettings {
        busy_timeout,
        card_format: Some(card_format()),
    };
    Store::open_with(path, &[], &settings)
        .map(Bank::new)
        .map_err(|error| ToolError::Database {
            path: path.display().to_string(),
            cause: error_chain(&error),
        })
}
