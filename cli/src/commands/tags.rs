//! `qbank tags`: how many questions carry each tag, most used first, drawn as bars.

use std::io::Write;

use super::Format;
use crate::args::TagsArgs;
use crate::bar_chart::BarChart;
use crate::client::Client;
use crate::error::Error;
use crate::{json, pb, table};

/// Counts the questions carrying each tag and prints the counts in the server's order.
pub(super) async fn run(
    client: &mut Client,
    args: &TagsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let request = pb::ListTagsRequest {
        category: args.category.clone().unwrap_or_default(),
        language: args.language.clone().unwrap_or_default(),
    };
    let response = client.list_tags(request).await?;
    match format {
        Format::Json => json::write_document(out, &json::TagsJson::from(&response))?,
        Format::Text if response.tags.is_empty() => {
            eprintln!("No questions match these filters.");
        }
        Format::Text => {
            let mut chart = BarChart::new("TAG", "QUESTIONS", &[]);
            for tag in &response.tags {
                chart.push_count(&tag.tag, tag.question_count.into(), Vec::new());
            }
            chart.write_to(out, table::output_width())?;
        }
    }
    Ok(())
}
