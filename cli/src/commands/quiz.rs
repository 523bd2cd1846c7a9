//! `qbank quiz`: draws questions at random from those that match the filters (with
//! `--respondent`, from those the respondent has not answered yet), asks them one at a time
//! in the first preferred language each has, reads each answer as a line of standard input,
//! shows the verdict, and ends with the score.
//!
//! Answers are read line by line whether standard input is a terminal or a pipe, so a quiz
//! can be scripted: `printf 'C\nfalse\n' | qbank quiz --count 2 --seed 7`.

use std::io::{self, IsTerminal, Write};

use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tonic::Code;

use super::Format;
use super::answer::choice_keys;
use super::draw::draw_request;
use super::list::list_request;
use crate::args::QuizArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::{json, pb, render};

/// Runs the quiz and prints the score.
pub(super) async fn run(
    client: &mut Client,
    args: &QuizArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let draw = draw_questions(client, args, languages).await?;
    let questions = &draw.questions;
    // With --respondent an empty draw may only mean that they have answered everything,
    // which is the end of their quiz rather than a mistake in the filters.
    if questions.is_empty()
        && (args.respondent.is_none() || !any_question_matches(client, args).await?)
    {
        return Err(Error::NoMatchingQuestions);
    }

    // With --json, standard output carries only the final document; the conversation with
    // the person taking the quiz moves to standard error.
    let mut stderr = io::stderr();
    let screen: &mut dyn Write = match format {
        Format::Text => &mut *out,
        Format::Json => &mut stderr,
    };
    if let Some(notice) = pool_notice(&draw, args.respondent.is_some()) {
        writeln!(screen, "{notice}")?;
    }
    let mut input = AnswerInput::from_stdin();
    let mut answers = Vec::new();
    for (index, question) in questions.iter().enumerate() {
        writeln!(
            screen,
            "Question {} of {} · {}",
            index + 1,
            questions.len(),
            render::question_summary(question)
        )?;
        render::write_stem_and_choices(screen, question)?;
        let respondent = args.respondent.as_deref();
        match ask(client, question, respondent, languages, &mut input, screen).await? {
            Some(answer) => answers.push(answer),
            None => break,
        }
    }

    match format {
        // Nothing was asked when the respondent had answered everything: no score to give.
        Format::Text if questions.is_empty() => {}
        Format::Text => write_summary(screen, &answers, questions.len())?,
        Format::Json => {
            let summary = Summary::of(&answers);
            let document = json::QuizJson {
                asked: questions.len(),
                available: draw.available,
                exhausted: draw.exhausted,
                answered: answers.len(),
                correct: summary.correct,
                score: summary.score,
                results: answers
                    .iter()
                    .map(|answer| json::QuizAnswerJson {
                        question_id: answer.question_id,
                        choice_keys: &answer.keys,
                        grade: json::GradeJson::from(&answer.grade),
                    })
                    .collect(),
            };
            json::write_document(out, &document)?;
        }
    }
    Ok(())
}

/// Prompts for an answer to `question` until the server grades one, and shows the grade.
/// `None` when the person ends the quiz: an empty line, or the end of the input.
async fn ask<'q>(
    client: &mut Client,
    question: &'q pb::Question,
    respondent: Option<&str>,
    languages: &PreferredLanguages,
    input: &mut AnswerInput,
    screen: &mut dyn Write,
) -> Result<Option<QuizAnswer<'q>>, Error> {
    loop {
        write!(screen, "{}", prompt(question))?;
        screen.flush()?;
        let Some(line) = input.next_line(screen).await? else {
            return Ok(None);
        };
        let keys = choice_keys([line.as_str()]);
        if keys.is_empty() {
            return Ok(None);
        }
        match client
            .submit_answer(&question.id, keys.clone(), respondent, languages)
            .await
        {
            Ok(grade) => {
                render::write_grade(screen, &grade)?;
                writeln!(screen)?;
                return Ok(Some(QuizAnswer {
                    question_id: &question.id,
                    keys,
                    grade,
                }));
            }
            // A key the question does not have, or one key too many: say why and ask again
            // rather than end the quiz over a typo.
            Err(Error::Rejected(status)) if status.code() == Code::InvalidArgument => {
                writeln!(screen, "Not accepted: {}. Try again.", status.message())?;
            }
            Err(error) => return Err(error),
        }
    }
}

/// `Score: 2/3 (2.5 points)`, after saying so if the quiz ended early.
fn write_summary(
    screen: &mut dyn Write,
    answers: &[QuizAnswer<'_>],
    asked: usize,
) -> io::Result<()> {
    if answers.len() < asked {
        writeln!(
            screen,
            "Quiz ended after {} of {asked} questions.",
            answers.len()
        )?;
    }
    let summary = Summary::of(answers);
    let score = render::format_score(summary.score);
    let unit = if score == "1" { "point" } else { "points" };
    writeln!(
        screen,
        "Score: {}/{} ({score} {unit})",
        summary.correct,
        answers.len()
    )
}

/// Up to `--count` questions drawn at random from those that match the filters, each in the
/// first of `languages` it has; with `--respondent`, only questions they have not answered.
async fn draw_questions(
    client: &mut Client,
    args: &QuizArgs,
    languages: &PreferredLanguages,
) -> Result<pb::DrawQuestionsResponse, Error> {
    let request = pb::DrawQuestionsRequest {
        seed: args.seed.clone().unwrap_or_default(),
        respondent_id: args.respondent.clone().unwrap_or_default(),
        exclude_answered: args.respondent.is_some(),
        ..draw_request(&args.filter, args.count, languages)
    };
    client.draw_questions(request).await
}

/// Whether any question matches the filters, answered or not: one question of one page
/// tells, without drawing.
async fn any_question_matches(client: &mut Client, args: &QuizArgs) -> Result<bool, Error> {
    let page = client
        .list_questions(list_request(&args.filter, 1, String::new()))
        .await?;
    Ok(!page.questions.is_empty())
}

/// What to tell a respondent whose unanswered questions run out: fewer than they asked for
/// are left, or none. Without a respondent a short draw only means few questions match, which
/// `Question 1 of N` already shows.
fn pool_notice(draw: &pb::DrawQuestionsResponse, for_respondent: bool) -> Option<String> {
    if !(for_respondent && draw.exhausted) {
        return None;
    }
    let left = i64::try_from(draw.questions.len()).unwrap_or(i64::MAX);
    Some(if left == 0 {
        "You have answered every question that matches.".to_owned()
    } else {
        format!(
            "Only {} left that you have not answered.",
            render::count_of(left, "question")
        )
    })
}

/// What to type, e.g. `Your answer (A/B/C, empty line ends the quiz): `.
fn prompt(question: &pb::Question) -> String {
    let keys: Vec<&str> = question
        .choices
        .iter()
        .map(|choice| choice.key.as_str())
        .collect();
    let several = if question.r#type == pb::QuestionType::MultipleChoice as i32 {
        "; one or more, e.g. A C"
    } else {
        ""
    };
    format!(
        "Your answer ({}{several}; empty line ends the quiz): ",
        keys.join("/")
    )
}

/// One graded answer of the quiz.
#[derive(Debug)]
struct QuizAnswer<'a> {
    question_id: &'a str,
    keys: Vec<String>,
    grade: pb::SubmitAnswerResponse,
}

/// The totals over the answered questions.
#[derive(Debug, PartialEq)]
struct Summary {
    correct: usize,
    /// Partial credit included, so it can exceed `correct`.
    score: f64,
}

impl Summary {
    fn of(answers: &[QuizAnswer<'_>]) -> Self {
        Self {
            correct: answers.iter().filter(|answer| answer.grade.correct).count(),
            score: answers.iter().map(|answer| answer.grade.score).sum(),
        }
    }
}

/// The answers, one line each, from standard input.
#[derive(Debug)]
struct AnswerInput {
    lines: Lines<BufReader<Stdin>>,
    /// A piped answer is not shown by a terminal, so it is echoed after the prompt to keep the
    /// transcript readable.
    echo: bool,
}

impl AnswerInput {
    fn from_stdin() -> Self {
        Self {
            lines: BufReader::new(tokio::io::stdin()).lines(),
            echo: !io::stdin().is_terminal(),
        }
    }

    /// The next line, or `None` at the end of the input.
    async fn next_line(&mut self, screen: &mut dyn Write) -> io::Result<Option<String>> {
        let line = self.lines.next_line().await?;
        match &line {
            Some(line) if self.echo => writeln!(screen, "{line}")?,
            // End of input on a terminal (Ctrl-D) leaves the cursor after the prompt.
            None => writeln!(screen)?,
            Some(_) => {}
        }
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(correct: bool, score: f64) -> QuizAnswer<'static> {
        QuizAnswer {
            question_id: "llm-001",
            keys: vec!["A".to_owned()],
            grade: pb::SubmitAnswerResponse {
                correct,
                score,
                ..pb::SubmitAnswerResponse::default()
            },
        }
    }

    #[test]
    fn the_summary_counts_correct_answers_and_adds_partial_scores() {
        let answers = [answer(true, 1.0), answer(false, 0.5), answer(false, 0.0)];
        assert_eq!(
            Summary::of(&answers),
            Summary {
                correct: 1,
                score: 1.5
            }
        );
    }

    fn draw_of(count: usize, exhausted: bool) -> pb::DrawQuestionsResponse {
        pb::DrawQuestionsResponse {
            questions: vec![pb::Question::default(); count],
            exhausted,
            available: i32::try_from(count).unwrap_or(i32::MAX),
        }
    }

    #[test]
    fn a_respondent_hears_when_fewer_questions_are_left_than_asked_for() {
        assert_eq!(
            pool_notice(&draw_of(3, true), true).as_deref(),
            Some("Only 3 questions left that you have not answered.")
        );
        assert_eq!(
            pool_notice(&draw_of(1, true), true).as_deref(),
            Some("Only 1 question left that you have not answered.")
        );
        assert_eq!(
            pool_notice(&draw_of(0, true), true).as_deref(),
            Some("You have answered every question that matches.")
        );
    }

    #[test]
    fn a_full_draw_or_one_for_no_respondent_needs_no_notice() {
        assert_eq!(pool_notice(&draw_of(10, false), true), None);
        assert_eq!(pool_notice(&draw_of(2, true), false), None);
    }

    #[test]
    fn the_prompt_lists_the_choice_keys() {
        let question = pb::Question {
            r#type: pb::QuestionType::TrueFalse as i32,
            choices: vec![
                pb::Choice {
                    key: "true".to_owned(),
                    text: String::new(),
                },
                pb::Choice {
                    key: "false".to_owned(),
                    text: String::new(),
                },
            ],
            ..pb::Question::default()
        };
        assert_eq!(
            prompt(&question),
            "Your answer (true/false; empty line ends the quiz): "
        );
    }
}
