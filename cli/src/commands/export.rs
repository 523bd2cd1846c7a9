//! `qbank export`: the questions that match the filters as one bank file, to standard output
//! or `--output`; what the format cannot express is listed on standard error.

use std::io::{self, Write};

use super::list::list_request;
use crate::args::{BankFormat, ExportArgs};
use crate::client::Client;
use crate::error::Error;
use crate::pb;

/// Exports the questions and writes the file.
pub(super) async fn run(
    client: &mut Client,
    args: &ExportArgs,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let format = args
        .format
        .or_else(|| args.output.as_deref().and_then(BankFormat::of_path))
        .unwrap_or(BankFormat::Toml);
    // The same filters as `list`, so `qbank list` shows what an export will hold.
    let pb::ListQuestionsRequest {
        category,
        tags,
        difficulty,
        r#type,
        language,
        ..
    } = list_request(&args.filter, 0, String::new());
    let request = pb::ExportQuestionsRequest {
        format: pb::BankFormat::from(format).into(),
        category,
        tags,
        difficulty,
        r#type,
        language,
    };
    let export = client.export_questions(request).await?;
    match &args.output {
        // Written only once the whole file has arrived, so a failed export leaves no half
        // file behind.
        Some(path) => std::fs::write(path, &export.content).map_err(|error| {
            Error::Io(io::Error::new(
                error.kind(),
                format!("{}: {error}", path.display()),
            ))
        })?,
        None => out.write_all(&export.content)?,
    }
    for omitted in &export.omitted {
        eprintln!("left out: {omitted}");
    }
    Ok(())
}
