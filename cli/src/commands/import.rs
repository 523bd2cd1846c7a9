//! `qbank import FILE...`: uploads bank files, each in chunks and all or nothing, and prints
//! what each did; a rejected file's errors print as `FILE:LINE: reason`.

use std::io::Write;
use std::path::Path;

use tonic::{Code, Status};
use tonic_types::StatusExt;

use super::Format;
use crate::args::{BankFormat, ImportArgs};
use crate::client::Client;
use crate::error::Error;
use crate::{json, pb};

/// Bytes per upload message: far under the server's message size limit, and large enough
/// that a bank takes only a few messages.
const CHUNK_SIZE: usize = 32 * 1024;

/// Imports the files in order, stopping at the first one the server refuses.
pub(super) async fn run(
    client: &mut Client,
    args: &ImportArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // Every format is settled before the first upload, so a misnamed last file does not
    // leave the files before it imported on their own.
    let files = args
        .files
        .iter()
        .map(|path| Ok((path, format_of(path, args.format)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    for (path, bank_format) in files {
        let content = std::fs::read(path)
            .map_err(|error| Error::Usage(format!("{}: {error}", path.display())))?;
        let counts = match client
            .import_questions(upload(content, bank_format, args))
            .await
        {
            Ok(counts) => counts,
            Err(Error::Rejected(status)) if status.code() == Code::InvalidArgument => {
                return Err(rejected(path, status));
            }
            Err(error) => return Err(error),
        };
        let file = path.display().to_string();
        match format {
            Format::Text => {
                let pb::ImportQuestionsResponse {
                    created,
                    updated,
                    unchanged,
                    skipped,
                } = counts;
                let dry = if args.dry_run {
                    " (dry run: nothing was changed)"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{file}: {created} created, {updated} updated, {unchanged} unchanged, \
                     {skipped} skipped{dry}"
                )?;
            }
            Format::Json => {
                json::write_line(out, &json::ImportJson::new(&file, args.dry_run, &counts))?
            }
        }
    }
    Ok(())
}

/// The format of `path`: `--format`, else its extension's.
fn format_of(path: &Path, format: Option<BankFormat>) -> Result<BankFormat, Error> {
    format.or_else(|| BankFormat::of_path(path)).ok_or_else(|| {
        Error::Usage(format!(
            "{}: cannot tell the format from the extension (.toml, .json, .gift, .aiken); \
             use --format",
            path.display()
        ))
    })
}

/// The upload of one file: the first message carries the format and the options, the rest
/// only content.
fn upload(
    content: Vec<u8>,
    format: BankFormat,
    args: &ImportArgs,
) -> Vec<pb::ImportQuestionsRequest> {
    let first = pb::ImportQuestionsRequest {
        content: Vec::new(),
        format: pb::BankFormat::from(format).into(),
        dry_run: args.dry_run,
        default_category: args.default_category.clone().unwrap_or_default(),
        default_difficulty: args
            .default_difficulty
            .map_or(pb::Difficulty::Unspecified, Into::into)
            .into(),
        default_language: args.default_language.clone().unwrap_or_default(),
    };
    // An empty file is still one message: the server needs the format to say it is empty.
    let mut chunks = content.chunks(CHUNK_SIZE);
    let mut messages = vec![pb::ImportQuestionsRequest {
        content: chunks.next().unwrap_or_default().to_vec(),
        ..first
    }];
    messages.extend(chunks.map(|chunk| pb::ImportQuestionsRequest {
        content: chunk.to_vec(),
        ..pb::ImportQuestionsRequest::default()
    }));
    messages
}

/// A refusal that lists the file's errors on their lines, when the server sent them.
fn rejected(path: &Path, status: Status) -> Error {
    let file = path.display().to_string();
    let problems: Vec<String> = status
        .get_details_bad_request()
        .map(|details| details.field_violations)
        .unwrap_or_default()
        .iter()
        .filter(|violation| violation.field == "content")
        .map(|violation| problem_line(&file, &violation.description))
        .collect();
    if problems.is_empty() {
        // Not about the file's content (a bad option, say): the server's message says it.
        Error::Rejected(status)
    } else {
        Error::ImportRejected { file, problems }
    }
}

/// `FILE:LINE: reason` from a violation's `line N: reason`; `FILE: reason` without a line.
fn problem_line(file: &str, description: &str) -> String {
    let located = description
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(line, _)| line.parse::<u64>().is_ok());
    match located {
        Some((line, reason)) => format!("{file}:{line}: {reason}"),
        None => format!("{file}: {description}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn import_args(arguments: &[&str]) -> ImportArgs {
        let cli =
            crate::args::Cli::try_parse_from(["qbank", "import"].iter().chain(arguments).copied())
                .expect("valid arguments");
        match cli.command {
            crate::args::Command::Import(args) => args,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn violations_become_file_and_line_locations() {
        assert_eq!(
            problem_line("bank.gift", "line 12: no answer is marked right"),
            "bank.gift:12: no answer is marked right"
        );
        assert_eq!(
            problem_line("bank.gift", "the file is not UTF-8"),
            "bank.gift: the file is not UTF-8"
        );
        assert_eq!(
            problem_line("bank.gift", "line x: odd"),
            "bank.gift: line x: odd"
        );
    }

    #[test]
    fn the_options_travel_in_the_first_chunk_only() {
        let args = import_args(&["--dry-run", "--default-category", "c", "bank.toml"]);
        let content = vec![b'x'; CHUNK_SIZE * 2 + 1];
        let messages = upload(content, BankFormat::Toml, &args);
        let sizes: Vec<usize> = messages
            .iter()
            .map(|message| message.content.len())
            .collect();
        assert_eq!(sizes, [CHUNK_SIZE, CHUNK_SIZE, 1]);
        assert!(messages[0].dry_run && messages[0].default_category == "c");
        assert_eq!(messages[0].format, pb::BankFormat::Toml as i32);
        assert!(
            messages[1..]
                .iter()
                .all(|message| message.format == 0 && !message.dry_run)
        );
    }

    #[test]
    fn an_empty_file_is_one_message_with_its_format() {
        let args = import_args(&["bank.json"]);
        let messages = upload(Vec::new(), BankFormat::Json, &args);
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].format, pb::BankFormat::Json as i32);
    }

    #[test]
    fn format_flag_overrides_the_extension_and_an_unknown_one_needs_it() {
        let path = Path::new("bank.txt");
        assert!(matches!(format_of(path, None), Err(Error::Usage(_))));
        assert_eq!(
            format_of(path, Some(BankFormat::Aiken)).ok(),
            Some(BankFormat::Aiken)
        );
    }
}
