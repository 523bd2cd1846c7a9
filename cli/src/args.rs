//! The command line: global connection options (each also read from a `QBANK_*` environment
//! variable) and one subcommand per task.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_CODES_HELP;

/// Browse the qbank question bank, answer questions and take a quiz from the terminal.
#[derive(Debug, Parser)]
#[command(name = "qbank", version, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// Address of the qbank server.
    #[arg(
        long,
        env = "QBANK_ADDR",
        default_value = "http://127.0.0.1:50051",
        global = true
    )]
    pub(crate) addr: String,

    /// Admin token, sent as `authorization: Bearer <token>` (needed by `get --full`).
    #[arg(
        long,
        help_heading = "Global options",
        env = "QBANK_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub(crate) token: Option<String>,

    /// Deadline of each call, and of connecting, e.g. 500ms, 5s, 1m.
    #[arg(
        long,
        help_heading = "Global options",
        env = "QBANK_TIMEOUT",
        default_value = "10s",
        value_parser = parse_duration,
        global = true
    )]
    pub(crate) timeout: Duration,

    /// Print machine-readable JSON instead of text.
    // Boolish, so that QBANK_JSON=1 (or yes, on, true) works as scripts usually write it.
    #[arg(
        long,
        help_heading = "Global options",
        env = "QBANK_JSON",
        global = true,
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub(crate) json: bool,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List questions: id, type, difficulty, tags and stem.
    List(ListArgs),
    /// Show one question with its choices.
    Get(GetArgs),
    /// Answer a question and see whether it was right.
    Answer(AnswerArgs),
    /// Answer questions one at a time, then see the score.
    Quiz(QuizArgs),
    /// Show the server's health status (exit code 0 only when SERVING).
    Health(HealthArgs),
}

/// Which questions `list` and `quiz` take; unset filters match everything.
#[derive(Debug, Args)]
pub(crate) struct QuestionFilter {
    /// Only questions of this category, e.g. llm.
    #[arg(long)]
    pub(crate) category: Option<String>,

    /// Only questions with this tag; repeat to require several.
    #[arg(long = "tag", value_name = "TAG")]
    pub(crate) tags: Vec<String>,

    /// Only questions of this difficulty.
    #[arg(long, value_enum)]
    pub(crate) difficulty: Option<Difficulty>,

    /// Only questions of this type.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub(crate) question_type: Option<QuestionType>,

    /// Only questions in this language (BCP-47), e.g. zh-CN.
    #[arg(long)]
    pub(crate) language: Option<String>,
}

/// Arguments of `qbank list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) filter: QuestionFilter,

    /// Questions per page (the server's default is 20).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub(crate) page_size: Option<i32>,

    /// Continue from the page this token points to (printed at the end of a page).
    #[arg(long, conflicts_with = "all")]
    pub(crate) page_token: Option<String>,

    /// Follow the pages to the end instead of printing only the first.
    #[arg(long)]
    pub(crate) all: bool,
}

/// Arguments of `qbank get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,

    /// Also show the answer and explanation (needs --token).
    #[arg(long)]
    pub(crate) full: bool,
}

/// Arguments of `qbank answer`.
#[derive(Debug, Args)]
pub(crate) struct AnswerArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,

    /// The chosen choice key(s), e.g. `C`, or `A C` / `A,C` for several.
    #[arg(required = true, value_name = "KEY")]
    pub(crate) keys: Vec<String>,

    /// Who answers; stored with the attempt.
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: Option<String>,
}

/// Arguments of `qbank quiz`.
#[derive(Debug, Args)]
pub(crate) struct QuizArgs {
    #[command(flatten)]
    pub(crate) filter: QuestionFilter,

    /// How many questions to ask.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) count: u32,

    /// Who answers; stored with each attempt.
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: Option<String>,
}

/// Arguments of `qbank health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// Check one service (e.g. qbank.v1.QuestionBank) instead of the whole server.
    #[arg(long, default_value = "")]
    pub(crate) service: String,
}

/// How hard a question is, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Difficulty {
    Easy,
    Medium,
    Hard,
}

/// How a question is answered, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum QuestionType {
    SingleChoice,
    MultipleChoice,
    TrueFalse,
}

/// Parses `--timeout`: a whole number followed by `ms`, `s` or `m`. A bare number is refused
/// rather than guessed at, since `5` could mean seconds or milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let usage = || format!("{text:?} is not a duration; use e.g. 500ms, 5s or 1m");
    let amount: u64 = number.parse().map_err(|_| usage())?;
    let duration = match unit {
        "ms" => Duration::from_millis(amount),
        "s" => Duration::from_secs(amount),
        "m" => Duration::from_secs(amount.saturating_mul(60)),
        _ => return Err(usage()),
    };
    if duration.is_zero() {
        return Err("the timeout must be longer than zero".to_owned());
    }
    Ok(duration)
}

/// Formats a duration the way `--timeout` takes it, for messages.
pub(crate) fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(1000) {
        format!("{}s", millis / 1000)
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_take_milliseconds_seconds_and_minutes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    }

    #[test]
    fn durations_without_a_known_unit_or_of_zero_are_refused() {
        for text in ["5", "s", "1h", "-1s", "1.5s", "0s", ""] {
            assert!(parse_duration(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn durations_format_back_the_way_they_are_typed() {
        assert_eq!(format_duration(Duration::from_secs(10)), "10s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn filter_values_are_lowercase_words() {
        let cli = Cli::try_parse_from([
            "qbank",
            "list",
            "--difficulty",
            "hard",
            "--type",
            "true-false",
            "--tag",
            "rag",
            "--tag",
            "rlhf",
        ])
        .expect("valid arguments");
        let Command::List(list) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(list.filter.difficulty, Some(Difficulty::Hard));
        assert_eq!(list.filter.question_type, Some(QuestionType::TrueFalse));
        assert_eq!(list.filter.tags, ["rag", "rlhf"]);
    }

    #[test]
    fn global_options_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from(["qbank", "health", "--json", "--timeout", "2s"])
            .expect("valid arguments");
        assert!(cli.json);
        assert_eq!(cli.timeout, Duration::from_secs(2));
    }
}
