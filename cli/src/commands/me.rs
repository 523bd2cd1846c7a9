//! `qbank me --respondent R`: how a respondent is doing over their first attempt at each
//! question, overall and by category and by tag, weakest first, with a bar of the mean score
//! per row.

use std::io::{self, Write};

use super::Format;
use crate::args::MeArgs;
use crate::bar_chart::BarChart;
use crate::client::Client;
use crate::error::Error;
use crate::{json, pb, render, table};

/// Fetches the respondent's progress and prints it.
pub(super) async fn run(
    client: &mut Client,
    args: &MeArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let stats = client.get_respondent_stats(&args.respondent).await?;
    match format {
        Format::Json => json::write_document(out, &json::RespondentStatsJson::from(&stats))?,
        Format::Text => write_progress(out, &stats, table::output_width())?,
    }
    Ok(())
}

/// The overall line, then a chart by category and one by tag, in the server's order
/// (weakest first), so the first rows say what to practise.
fn write_progress(
    out: &mut dyn Write,
    stats: &pb::RespondentStats,
    max_width: Option<usize>,
) -> io::Result<()> {
    // The server answers an unknown respondent with zeros: an id is opaque, so it cannot
    // tell one that never answered from one that does not exist.
    if stats.questions_answered == 0 {
        return writeln!(
            out,
            "{} has not answered any question yet.",
            stats.respondent_id
        );
    }
    writeln!(
        out,
        "{} · {} answered · {} · {} correct · mean score {}",
        stats.respondent_id,
        render::count_of(stats.questions_answered, "question"),
        render::count_of(stats.attempts, "attempt"),
        render::format_share(stats.correct_share),
        render::format_score(stats.mean_score),
    )?;
    for (name_header, groups) in [("CATEGORY", &stats.by_category), ("TAG", &stats.by_tag)] {
        if groups.is_empty() {
            continue;
        }
        writeln!(out)?;
        group_chart(name_header, groups).write_to(out, max_width)?;
    }
    Ok(())
}

/// A row per group: its mean score as a bar out of 1, then how many questions and how many
/// of them answered right the first time.
fn group_chart(name_header: &str, groups: &[pb::GroupStats]) -> BarChart {
    let mut chart = BarChart::new(name_header, "MEAN SCORE", &["QUESTIONS", "CORRECT"]).out_of(1.0);
    for group in groups {
        chart.push_row(
            &group.name,
            group.mean_score,
            render::format_score(group.mean_score),
            vec![
                group.questions_answered.to_string(),
                render::format_share(group.correct_share),
            ],
        );
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, questions_answered: i64, mean_score: f64) -> pb::GroupStats {
        pb::GroupStats {
            name: name.to_owned(),
            questions_answered,
            correct_share: mean_score,
            mean_score,
        }
    }

    fn render(stats: &pb::RespondentStats) -> String {
        let mut out = Vec::new();
        write_progress(&mut out, stats, None).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("UTF-8")
    }

    /// alice got llm-001 right and llm-004 wrong, each at the first attempt, and then
    /// llm-004 right at the second.
    fn alice() -> pb::RespondentStats {
        pb::RespondentStats {
            respondent_id: "alice".to_owned(),
            questions_answered: 2,
            attempts: 3,
            correct_share: 0.5,
            mean_score: 0.5,
            by_category: vec![group("llm", 2, 0.5)],
            by_tag: vec![
                group("alignment", 1, 0.0),
                group("reward-hacking", 1, 0.0),
                group("bias", 1, 1.0),
            ],
        }
    }

    #[test]
    fn the_overall_line_counts_questions_attempts_and_the_first_attempts_scores() {
        let text = render(&alice());
        assert_eq!(
            text.lines().next(),
            Some("alice · 2 questions answered · 3 attempts · 50% correct · mean score 0.5")
        );
    }

    #[test]
    fn categories_then_tags_come_in_the_servers_order_with_a_bar_out_of_one() {
        let text = render(&alice());
        let names: Vec<&str> = text
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        assert_eq!(
            names,
            [
                "CATEGORY",
                "llm",
                "TAG",
                "alignment",
                "reward-hacking",
                "bias"
            ],
            "{text}"
        );
        let blocks_of = |name: &str| {
            text.lines()
                .find(|line| line.starts_with(&format!("{name} ")))
                .map(|line| line.matches('█').count())
        };
        assert_eq!(blocks_of("llm"), Some(20), "{text}");
        assert_eq!(blocks_of("alignment"), Some(0), "{text}");
        assert_eq!(blocks_of("bias"), Some(40), "{text}");
    }

    #[test]
    fn each_row_says_how_many_questions_and_how_many_were_right() {
        let text = render(&alice());
        let bias = text
            .lines()
            .find(|line| line.starts_with("bias "))
            .expect("a bias row");
        assert!(bias.ends_with("1          100%"), "{text}");
        assert!(text.contains("TAG             MEAN SCORE"), "{text}");
    }

    #[test]
    fn a_respondent_without_attempts_is_told_so_without_tables() {
        let stats = pb::RespondentStats {
            respondent_id: "bob".to_owned(),
            ..pb::RespondentStats::default()
        };
        assert_eq!(render(&stats), "bob has not answered any question yet.\n");
    }
}
