//! `qbank quiz`: asks the questions that match the filters one at a time, in the first
//! preferred language each has, reads each answer as a line of standard input, shows the
//! verdict, and ends with the score.
//!
//! Answers are read line by line whether standard input is a terminal or a pipe, so a quiz
//! can be scripted: `printf 'C\nfalse\n' | qbank quiz --count 2`.

use std::io::{self, IsTerminal, Write};

use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tonic::Code;

use super::Format;
use super::answer::choice_keys;
use super::list::list_request;
use crate::args::QuizArgs;
use crate::client::Client;
use crate::error::Error;
use crate::language::PreferredLanguages;
use crate::{json, pb, render};

/// The server returns at most this many questions per page.
const MAX_PAGE_SIZE: usize = 100;

/// Runs the quiz and prints the score.
pub(super) async fn run(
    client: &mut Client,
    args: &QuizArgs,
    languages: &PreferredLanguages,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let count = usize::try_from(args.count).unwrap_or(usize::MAX);
    let questions = pick_questions(client, args, languages, count).await?;
    if questions.is_empty() {
        return Err(Error::NoMatchingQuestions);
    }

    // With --json, standard output carries only the final document; the conversation with
    // the person taking the quiz moves to standard error.
    let mut stderr = io::stderr();
    let screen: &mut dyn Write = match format {
        Format::Text => &mut *out,
        Format::Json => &mut stderr,
    };
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
        Format::Text => write_summary(screen, &answers, questions.len())?,
        Format::Json => {
            let summary = Summary::of(&answers);
            let document = json::QuizJson {
                asked: questions.len(),
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

/// Up to `count` questions that match the filters, in id order, each in the first of
/// `languages` it has.
async fn pick_questions(
    client: &mut Client,
    args: &QuizArgs,
    languages: &PreferredLanguages,
    count: usize,
) -> Result<Vec<pb::Question>, Error> {
    let mut questions = Vec::new();
    let mut token = String::new();
    while questions.len() < count {
        let page_size = (count - questions.len()).min(MAX_PAGE_SIZE);
        let page_size = i32::try_from(page_size).unwrap_or(100);
        let request = pb::ListQuestionsRequest {
            preferred_languages: languages.tags().to_vec(),
            ..list_request(&args.filter, page_size, token)
        };
        let page = client.list_questions(request).await?;
        questions.extend(page.questions);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    questions.truncate(count);
    Ok(questions)
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
