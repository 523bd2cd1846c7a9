//! `qbank edit ID`: opens the question, as a TOML question file, in `$VISUAL` or `$EDITOR`,
//! and saves what comes back as the next revision, unless someone else saved one first.

use std::io::Write;
use std::path::{Path, PathBuf};

use tonic::Code;

use super::Format;
use crate::args::EditArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::pb;
use crate::question_file::{EVERY_FIELD, QuestionFile};

/// Edits the question and prints it as saved, or says that nothing changed.
pub(super) async fn run(
    client: &mut Client,
    args: &EditArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    // In its original language: the file is what gets saved, so it must never be a translation.
    let opened = client
        .get_question(
            &args.id,
            pb::QuestionView::Full,
            &PreferredLanguages::none(),
        )
        .await?;
    let original = QuestionFile::of_question(&opened);
    let text = edit_text(&original.to_toml()?).await?;
    let edited = QuestionFile::parse(&text)
        .map_err(|reason| Error::Usage(format!("the edited question: {reason}")))?;
    // Compared as questions, not as text, so reformatting the file is no change.
    if edited == original {
        match format {
            Format::Text => writeln!(
                out,
                "{} unchanged, still at revision {}.",
                opened.id, opened.revision
            )?,
            Format::Json => super::write_question(out, &opened, format)?,
        }
        return Ok(());
    }
    edited.check_id(&args.id)?;
    // The file is the whole question: a field deleted from it is emptied, not kept.
    let fields = EVERY_FIELD.iter().map(|&field| field.to_owned()).collect();
    let question = edited.to_question(&args.id)?;
    match client
        .update_question(question, fields, opened.revision)
        .await
    {
        Ok(saved) => super::write_question(out, &saved, format),
        Err(Error::Rejected(status)) if status.code() == Code::Aborted => {
            Err(Error::EditConflict {
                id: args.id.clone(),
                status,
            })
        }
        Err(error) => Err(error),
    }
}

/// `text` as the editor leaves it, edited in a file of our own that is removed afterwards.
async fn edit_text(text: &str) -> Result<String, Error> {
    let path =
        std::env::temp_dir().join(format!("qbank-edit-{}.toml", uuid::Uuid::new_v4().simple()));
    let written = create_private_file(&path)?.write_all(text.as_bytes());
    let edited = match written {
        Ok(()) => match run_editor(path.clone()).await {
            Ok(()) => std::fs::read_to_string(&path).map_err(Error::from),
            Err(error) => Err(error),
        },
        Err(error) => Err(error.into()),
    };
    // Removed on every path once created: the file holds the answer key.
    let _ = std::fs::remove_file(&path);
    edited
}

/// Creates `path` readable by its owner only (the answer key is in it), failing rather than
/// opening anything already there, since the temporary directory is shared.
fn create_private_file(path: &Path) -> Result<std::fs::File, Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    Ok(options.open(path)?)
}

/// Runs the editor on `path` and waits for it to exit.
async fn run_editor(path: PathBuf) -> Result<(), Error> {
    let (program, arguments) = editor_command();
    let failed = |reason: String| Error::Editor {
        command: std::iter::once(&program)
            .chain(&arguments)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        reason,
    };
    let mut editor = std::process::Command::new(&program);
    editor.args(&arguments).arg(path);
    // On a thread of its own, so the runtime keeps the server connection alive meanwhile.
    let status = tokio::task::spawn_blocking(move || editor.status())
        .await
        .map_err(|error| failed(format!("could not be waited for: {error}")))?
        .map_err(|error| failed(format!("could not be started: {error}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("failed ({status}); nothing was saved")))
    }
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, split on whitespace so that `EDITOR="code --wait"`
/// runs `code` with `--wait`.
fn editor_command() -> (String, Vec<String>) {
    let chosen = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|variable| std::env::var(variable).ok())
        .find(|value| !value.trim().is_empty());
    split_command(chosen.as_deref().unwrap_or("vi"))
}

/// The program and its arguments.
fn split_command(command: &str) -> (String, Vec<String>) {
    let mut words = command.split_whitespace().map(str::to_owned);
    let program = words.next().unwrap_or_else(|| "vi".to_owned());
    (program, words.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_editor_with_arguments_is_split_into_its_words() {
        let words = |program: &str, arguments: &[&str]| {
            (
                program.to_owned(),
                arguments.iter().map(|&word| word.to_owned()).collect(),
            )
        };
        assert_eq!(split_command("code  --wait"), words("code", &["--wait"]));
        assert_eq!(split_command("vim"), words("vim", &[]));
        assert_eq!(split_command("  "), words("vi", &[]));
    }
}
