//! `qbank stats ID [--revision N]`: how the attempts at a question went, the spread of the
//! choices as bars with the key marked, and a hint when the numbers suggest a flawed
//! question. Needs the admin token: the spread gives the key away.

use std::io::{self, Write};

use tonic::Code;

use super::Format;
use crate::args::StatsArgs;
use crate::bar_chart::BarChart;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::table::{self, pad_to_width};
use crate::{json, pb, render};

/// Below this, a question hardly tells respondents who know the subject from those who do
/// not (a common rule of thumb in item analysis).
const WEAK_DISCRIMINATION: f64 = 0.2;

/// The fewest respondents the server computes a discrimination for.
const DISCRIMINATION_RESPONDENTS: i64 = 30;

/// The width of the labels in the list of figures.
const LABEL_WIDTH: usize = 16;

/// Fetches the statistics and prints them.
pub(super) async fn run(
    client: &mut Client,
    args: &StatsArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let revision = args.revision.unwrap_or(0);
    let stats = client.get_question_stats(&args.id, revision).await?;
    match format {
        // The statistics as the server sends them; `get --full` has the key for a script.
        Format::Json => json::write_document(out, &json::QuestionStatsJson::from(&stats))?,
        Format::Text => {
            let keys = correct_keys(client, &args.id, revision).await?;
            write_stats(out, &stats, &keys, table::output_width())?;
        }
    }
    Ok(())
}

/// The correct keys of the question at `revision` (0: its latest), which the statistics do
/// not carry. A deleted question has statistics but no GetQuestion: its revisions still
/// have its key.
async fn correct_keys(client: &mut Client, id: &str, revision: i64) -> Result<Vec<String>, Error> {
    // In the original language: only the keys are read, and they are the same in every one.
    let original = PreferredLanguages::none();
    let not_found = match client
        .get_question_at(id, revision, pb::QuestionView::Full, &original)
        .await
    {
        Ok(question) => return Ok(answer_keys(&question)),
        Err(Error::Rejected(status)) if status.code() == Code::NotFound => status,
        Err(error) => return Err(error),
    };
    let mut token = String::new();
    loop {
        let page = client.list_question_revisions(id, token).await?;
        // Newest first, so with no revision asked for the first one is the latest.
        if let Some(question) = page
            .revisions
            .iter()
            .find(|question| revision == 0 || question.revision == revision)
        {
            return Ok(answer_keys(question));
        }
        if page.next_page_token.is_empty() {
            return Err(Error::Rejected(not_found));
        }
        token = page.next_page_token;
    }
}

fn answer_keys(question: &pb::Question) -> Vec<String> {
    question
        .answer
        .as_ref()
        .map(|answer| answer.correct_choice_keys.clone())
        .unwrap_or_default()
}

/// The figures, the spread of the choices with `keys` marked `✓`, then any hints.
fn write_stats(
    out: &mut dyn Write,
    stats: &pb::QuestionStats,
    keys: &[String],
    max_width: Option<usize>,
) -> io::Result<()> {
    let counted = if stats.revision == 0 {
        "all revisions".to_owned()
    } else {
        format!("revision {}", stats.revision)
    };
    writeln!(out, "{} · {counted}", stats.id)?;
    let discrimination = match stats.discrimination {
        Some(discrimination) => render::format_score(discrimination),
        None if stats.respondents < DISCRIMINATION_RESPONDENTS => {
            "not enough data (fewer than 30 respondents)".to_owned()
        }
        // Enough respondents here, but too few of them answered other questions too, or
        // their scores do not vary.
        None => "not enough data (too few respondents who answered other questions, \
                 or scores that do not vary)"
            .to_owned(),
    };
    let figures = [
        ("Attempts", stats.attempts.to_string()),
        ("Respondents", stats.respondents.to_string()),
        ("First attempts", stats.first_attempts.to_string()),
        ("Facility", render::format_score(stats.facility)),
        ("Mean score", render::format_score(stats.mean_score)),
        ("Discrimination", discrimination),
    ];
    for (label, value) in figures {
        writeln!(out, "{}{value}", pad_to_width(label, LABEL_WIDTH))?;
    }
    if !stats.choices.is_empty() {
        writeln!(out)?;
        choice_chart(stats, keys).write_to(out, max_width)?;
    }
    let hints = hints(stats, keys);
    if !hints.is_empty() {
        writeln!(out)?;
    }
    for hint in hints {
        writeln!(out, "Hint: {hint}.")?;
    }
    Ok(())
}

/// A bar per choice, each out of every attempt counted: with several keys per answer the
/// shares can add up to more than 100%.
fn choice_chart(stats: &pb::QuestionStats, keys: &[String]) -> BarChart {
    let mut chart = BarChart::new("CHOICE", "CHOSEN", &[]).out_of(stats.attempts as f64);
    for choice in &stats.choices {
        let name = if is_key(keys, &choice.key) {
            format!("{} ✓", choice.key)
        } else {
            choice.key.clone()
        };
        let value = format!(
            "{} ({})",
            choice.chosen,
            render::format_share(choice.chosen_share)
        );
        chart.push_row(&name, choice.chosen as f64, value, Vec::new());
    }
    chart
}

/// What the figures suggest looking into: a wrong choice that draws more answers than every
/// correct one (the key may be wrong, or the question misleading), and a question that
/// strong and weak respondents answer alike.
fn hints(stats: &pb::QuestionStats, keys: &[String]) -> Vec<String> {
    let mut hints = Vec::new();
    let most_chosen_key = stats
        .choices
        .iter()
        .filter(|choice| is_key(keys, &choice.key))
        .map(|choice| choice.chosen)
        .max();
    if let Some(most_chosen_key) = most_chosen_key {
        let the_key = if keys.len() > 1 {
            "any of the keys"
        } else {
            "the key"
        };
        for choice in &stats.choices {
            if !is_key(keys, &choice.key) && choice.chosen > most_chosen_key {
                hints.push(format!(
                    "distractor {} is chosen more often than {the_key}",
                    choice.key
                ));
            }
        }
    }
    if stats
        .discrimination
        .is_some_and(|discrimination| discrimination < WEAK_DISCRIMINATION)
    {
        hints.push(
            "discrimination below 0.2: the question may not tell strong from weak respondents"
                .to_owned(),
        );
    }
    hints
}

/// Whether `key` is one of `keys`, ignoring case as grading does.
fn is_key(keys: &[String], key: &str) -> bool {
    keys.iter().any(|correct| correct.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(key: &str, chosen: i64, attempts: i64) -> pb::ChoiceStats {
        pb::ChoiceStats {
            key: key.to_owned(),
            chosen,
            chosen_share: chosen as f64 / attempts as f64,
        }
    }

    /// llm-004 after three respondents answered A, A and B: the key B drew one answer.
    fn misleading() -> pb::QuestionStats {
        pb::QuestionStats {
            id: "llm-004".to_owned(),
            revision: 0,
            attempts: 3,
            respondents: 3,
            first_attempts: 3,
            facility: 1.0 / 3.0,
            mean_score: 1.0 / 3.0,
            choices: vec![choice("A", 2, 3), choice("B", 1, 3)],
            discrimination: None,
        }
    }

    fn render(stats: &pb::QuestionStats, keys: &[&str]) -> String {
        let keys: Vec<String> = keys.iter().map(|&key| key.to_owned()).collect();
        let mut out = Vec::new();
        write_stats(&mut out, stats, &keys, None).expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_figures_come_first_then_the_choices_with_the_key_marked() {
        let text = render(&misleading(), &["B"]);
        let expected_start = "\
llm-004 · all revisions
Attempts        3
Respondents     3
First attempts  3
Facility        0.33
Mean score      0.33
Discrimination  not enough data (fewer than 30 respondents)

CHOICE   CHOSEN
A       2 (67%)  ";
        assert!(text.starts_with(expected_start), "{text}");
        let bar_of = |prefix: &str| {
            let line = text
                .lines()
                .find(|line| line.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix:?} row in:\n{text}"));
            line.matches('█').count()
        };
        // Out of every attempt: two of three draw two thirds of the 40-block bar.
        assert_eq!(bar_of("A "), 27, "{text}");
        assert_eq!(bar_of("B ✓"), 13, "{text}");
    }

    #[test]
    fn a_distractor_chosen_more_than_the_key_gets_a_hint() {
        let text = render(&misleading(), &["B"]);
        assert!(
            text.ends_with("\n\nHint: distractor A is chosen more often than the key.\n"),
            "{text}"
        );
    }

    #[test]
    fn a_distractor_must_beat_every_key_of_a_multiple_choice_question() {
        let mut stats = misleading();
        stats.choices = vec![choice("A", 5, 10), choice("B", 3, 10), choice("C", 4, 10)];
        assert_eq!(
            hints(&stats, &["A".to_owned(), "C".to_owned()]),
            Vec::<String>::new()
        );
        stats.choices[1].chosen = 6;
        assert_eq!(
            hints(&stats, &["A".to_owned(), "c".to_owned()]),
            ["distractor B is chosen more often than any of the keys"]
        );
    }

    #[test]
    fn a_weak_discrimination_gets_a_hint_and_a_strong_one_none() {
        let mut stats = misleading();
        stats.choices.clear();
        stats.discrimination = Some(0.15);
        let text = render(&stats, &["B"]);
        assert!(text.contains("Discrimination  0.15\n"), "{text}");
        assert!(
            text.ends_with(
                "Hint: discrimination below 0.2: the question may not tell strong from weak \
                 respondents.\n"
            ),
            "{text}"
        );
        stats.discrimination = Some(0.45);
        assert!(!render(&stats, &["B"]).contains("Hint:"));
    }

    #[test]
    fn a_question_without_attempts_draws_empty_bars_and_no_hint() {
        let stats = pb::QuestionStats {
            id: "llm-001".to_owned(),
            revision: 2,
            choices: vec![choice("A", 0, 1), choice("C", 0, 1)],
            ..pb::QuestionStats::default()
        };
        let text = render(&stats, &["C"]);
        assert!(
            text.starts_with("llm-001 · revision 2\nAttempts        0\n"),
            "{text}"
        );
        assert!(text.contains("\nC ✓     0 (0%)\n"), "{text}");
        assert!(!text.contains('█') && !text.contains("Hint:"), "{text}");
    }

    #[test]
    fn many_respondents_without_a_discrimination_are_told_why_apart() {
        let mut stats = misleading();
        stats.respondents = 40;
        let text = render(&stats, &["B"]);
        assert!(
            text.contains("Discrimination  not enough data (too few respondents who"),
            "{text}"
        );
    }
}
