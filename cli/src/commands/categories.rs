//! `qbank categories`: how many questions each category has, drawn as bars, with how many of
//! them have each difficulty and each type.

use std::io::Write;

use super::Format;
use crate::args::CategoriesArgs;
use crate::bar_chart::BarChart;
use crate::client::Client;
use crate::error::Error;
use crate::{json, pb, render, table};

/// Separates the counts of one breakdown, as `question_summary` separates its parts.
const BREAKDOWN_SEPARATOR: &str = " · ";

/// Counts the questions of each category and prints the counts.
pub(super) async fn run(
    client: &mut Client,
    args: &CategoriesArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let request = pb::ListCategoriesRequest {
        language: args.language.clone().unwrap_or_default(),
    };
    let response = client.list_categories(request).await?;
    match format {
        Format::Json => json::write_document(out, &json::CategoriesJson::from(&response))?,
        Format::Text if response.categories.is_empty() => {
            eprintln!("No questions match these filters.");
        }
        Format::Text => {
            let mut chart = BarChart::new("CATEGORY", "QUESTIONS", &["DIFFICULTY", "TYPE"]);
            for category in &response.categories {
                chart.push_count(
                    &category.category,
                    category.question_count.into(),
                    vec![
                        difficulty_breakdown(&category.difficulties),
                        type_breakdown(&category.types),
                    ],
                );
            }
            chart.write_to(out, table::output_width())?;
        }
    }
    Ok(())
}

/// `easy 5 · medium 4 · hard 1`, in the server's (difficulty) order, spelt as `--difficulty`
/// takes them so that a count can be listed with `qbank list --difficulty`.
fn difficulty_breakdown(counts: &[pb::DifficultyCount]) -> String {
    counts
        .iter()
        .map(|count| {
            let label = render::difficulty_label(count.difficulty);
            format!("{label} {}", count.question_count)
        })
        .collect::<Vec<_>>()
        .join(BREAKDOWN_SEPARATOR)
}

/// `single-choice 9 · true-false 1`, in the server's (type) order, spelt as `--type` takes
/// them.
fn type_breakdown(counts: &[pb::TypeCount]) -> String {
    counts
        .iter()
        .map(|count| {
            let label = render::type_label(count.r#type);
            format!("{label} {}", count.question_count)
        })
        .collect::<Vec<_>>()
        .join(BREAKDOWN_SEPARATOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breakdown_names_each_value_as_the_filter_flags_spell_it() {
        let difficulties = [
            pb::DifficultyCount {
                difficulty: pb::Difficulty::Easy.into(),
                question_count: 5,
            },
            pb::DifficultyCount {
                difficulty: pb::Difficulty::Hard.into(),
                question_count: 1,
            },
        ];
        let types = [pb::TypeCount {
            r#type: pb::QuestionType::TrueFalse.into(),
            question_count: 1,
        }];
        assert_eq!(difficulty_breakdown(&difficulties), "easy 5 · hard 1");
        assert_eq!(type_breakdown(&types), "true-false 1");
        assert_eq!(type_breakdown(&[]), "");
    }
}
