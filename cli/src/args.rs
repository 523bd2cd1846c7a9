//! The command line: global connection options (each also read from a `QBANK_*` environment
//! variable) and one subcommand per task.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_CODES_HELP;
use crate::language::PreferredLanguages;
use crate::pb;

/// Browse the qbank question bank, answer questions, take a quiz, follow your progress and
/// report problems and, with the admin token, write questions, import or export banks and see
/// how each question performs, from the terminal.
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

    /// Admin token, sent as `authorization: Bearer <token>` (needed by `get --full`, by the
    /// commands that write or export questions, and by `stats`, `reports` and `resolve`).
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

    /// Languages to read questions and explanations in, most preferred first, e.g.
    /// zh-Hans-CN,en (a question that has none of them comes in its original language)
    /// [default: QBANK_LANG, else the locale: LANGUAGE, LC_ALL or LANG]
    // No `env = "QBANK_LANG"`: the fallback to the locale is ours, in `language`, and clap
    // would show the default as empty.
    #[arg(
        long,
        help_heading = "Global options",
        value_name = "LANGS",
        value_parser = PreferredLanguages::parse,
        global = true
    )]
    pub(crate) lang: Option<PreferredLanguages>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List questions: id, type, difficulty, tags, language and stem.
    List(ListArgs),
    /// Search the stems and choices, in every language, best match first.
    #[command(
        after_help = "Every word must match, and a phrase in double quotes matches as a phrase: \
                      qbank search '\"reward hacking\"'. Chinese matches by characters (偏见 \
                      finds every question containing it), other scripts by whole words, \
                      ignoring case. Questions come best match first."
    )]
    Search(SearchArgs),
    /// Count the questions of each category, by difficulty and type.
    Categories(CategoriesArgs),
    /// Count the questions carrying each tag, most used first.
    Tags(TagsArgs),
    /// Show one question with its choices.
    Get(GetArgs),
    /// Draw questions at random from those that match the filters.
    Draw(DrawArgs),
    /// Answer a question and see whether it was right.
    Answer(AnswerArgs),
    /// Answer questions drawn at random one at a time, then see the score.
    #[command(
        after_help = "With --respondent, questions that respondent has answered are left out, so \
                      each quiz brings new ones until none are left. --seed repeats a quiz: the \
                      same seed with the same filters asks the same questions in the same order."
    )]
    Quiz(QuizArgs),
    /// Show how a respondent is doing, overall and by category and tag, weakest first.
    Me(MeArgs),
    /// Report a problem with a question: a wrong answer, an ambiguity, a typo.
    Report(ReportArgs),
    /// Show the server's health status (exit code 0 only when SERVING).
    Health(HealthArgs),
    /// Add a question from a TOML file (one question, in the bank-file shape).
    Create(CreateArgs),
    /// Replace the fields a TOML file gives of a question.
    Update(UpdateArgs),
    /// Change a question in $VISUAL or $EDITOR, refused if someone changes it meanwhile.
    Edit(EditArgs),
    /// Delete a question (it can be restored with `undelete`).
    Delete(DeleteArgs),
    /// Restore a deleted question as it was.
    Undelete(UndeleteArgs),
    /// List every revision of a question, newest first.
    History(HistoryArgs),
    /// Import bank files: each file all or nothing.
    #[command(
        after_help = "The format comes from each file's extension (.toml, .json, .gift, .aiken) \
                      unless --format names it."
    )]
    Import(ImportArgs),
    /// Export the questions that match the filters as a bank file.
    #[command(
        after_help = "The format comes from --output's extension unless --format names it; \
                      TOML otherwise."
    )]
    Export(ExportArgs),
    /// Show how a question's attempts went and how its choices spread.
    Stats(StatsArgs),
    /// List the reports about questions, newest first.
    Reports(ReportsArgs),
    /// Mark a report resolved.
    Resolve(ResolveArgs),
}

/// Which questions `list`, `search`, `draw`, `quiz` and `export` take; unset filters match
/// everything.
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

    /// Only questions available in this language (BCP-47), originally or translated, e.g.
    /// zh-CN.
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

/// Arguments of `qbank search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// What to search for, in stems and choices; every word must match.
    #[arg(required = true, value_name = "QUERY", value_parser = parse_query_word)]
    pub(crate) words: Vec<String>,

    /// The filters and paging of `list`, which search pages through the same way.
    #[command(flatten)]
    pub(crate) list: ListArgs,
}

impl SearchArgs {
    /// The query as the server takes it: the words, separated by spaces.
    pub(crate) fn query(&self) -> String {
        self.words.join(" ")
    }
}

/// Arguments of `qbank categories`.
#[derive(Debug, Args)]
pub(crate) struct CategoriesArgs {
    /// Only count questions available in this language (BCP-47), e.g. en.
    #[arg(long)]
    pub(crate) language: Option<String>,
}

/// Arguments of `qbank tags`.
#[derive(Debug, Args)]
pub(crate) struct TagsArgs {
    /// Only count questions of this category, e.g. llm.
    #[arg(long)]
    pub(crate) category: Option<String>,

    /// Only count questions available in this language (BCP-47), e.g. en.
    #[arg(long)]
    pub(crate) language: Option<String>,
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

/// The most questions one draw (and so one quiz) can ask for: the server's limit.
const MAX_DRAW_COUNT: i64 = 100;

/// Arguments of `qbank draw`.
#[derive(Debug, Args)]
pub(crate) struct DrawArgs {
    #[command(flatten)]
    pub(crate) filter: QuestionFilter,

    /// How many questions to draw.
    #[arg(
        long,
        default_value_t = 10,
        value_parser = clap::value_parser!(i32).range(1..=MAX_DRAW_COUNT)
    )]
    pub(crate) count: i32,

    /// Draw the same questions in the same order as every draw with this seed and the same
    /// filters (while the bank does not change).
    #[arg(long)]
    pub(crate) seed: Option<String>,

    /// Who the questions are for (see --exclude-answered).
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: Option<String>,

    /// Leave out every question --respondent has answered.
    #[arg(long, requires = "respondent")]
    pub(crate) exclude_answered: bool,
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
    #[arg(
        long,
        default_value_t = 10,
        value_parser = clap::value_parser!(i32).range(1..=MAX_DRAW_COUNT)
    )]
    pub(crate) count: i32,

    /// Ask the same questions in the same order as every quiz with this seed and the same
    /// filters (while the bank does not change).
    #[arg(long)]
    pub(crate) seed: Option<String>,

    /// Who answers: stored with each attempt, and the questions they have answered before
    /// are not asked again.
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: Option<String>,
}

/// Arguments of `qbank me`.
#[derive(Debug, Args)]
pub(crate) struct MeArgs {
    /// The respondent, as `answer` and `quiz` took it.
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: String,
}

/// Arguments of `qbank report`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,

    /// What is wrong with it.
    #[arg(long, value_enum)]
    pub(crate) reason: ReportReason,

    /// What you found, in your words (at most 2,000 characters).
    #[arg(long, value_name = "TEXT")]
    pub(crate) comment: Option<String>,

    /// Who reports; stored with the report.
    #[arg(long, env = "QBANK_RESPONDENT")]
    pub(crate) respondent: Option<String>,
}

/// Arguments of `qbank stats`.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// The question's id, e.g. llm-001; deleted questions have statistics too.
    pub(crate) id: String,

    /// Count only the attempts at this revision, instead of at every revision.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) revision: Option<i64>,
}

/// Arguments of `qbank reports`.
#[derive(Debug, Args)]
pub(crate) struct ReportsArgs {
    /// Only reports that are not resolved yet.
    #[arg(long)]
    pub(crate) open: bool,

    /// Only reports about this question.
    #[arg(long, value_name = "ID")]
    pub(crate) question: Option<String>,

    /// Reports per page (the server's default is 20).
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=100))]
    pub(crate) page_size: Option<i32>,

    /// Continue from the page this token points to (printed at the end of a page).
    #[arg(long, conflicts_with = "all")]
    pub(crate) page_token: Option<String>,

    /// Follow the pages to the end instead of printing only the first.
    #[arg(long)]
    pub(crate) all: bool,
}

/// Arguments of `qbank resolve`.
#[derive(Debug, Args)]
pub(crate) struct ResolveArgs {
    /// The report's id, as `qbank reports` lists it.
    pub(crate) report_id: String,

    /// What was done about it, e.g. "Fixed the key in revision 3".
    #[arg(long, value_name = "TEXT")]
    pub(crate) note: Option<String>,
}

/// Arguments of `qbank health`.
#[derive(Debug, Args)]
pub(crate) struct HealthArgs {
    /// Check one service (e.g. qbank.v1.QuestionBank) instead of the whole server.
    #[arg(long, default_value = "")]
    pub(crate) service: String,
}

/// Arguments of `qbank create`.
#[derive(Debug, Args)]
pub(crate) struct CreateArgs {
    /// The question, as a TOML file; without an id the server picks one.
    #[arg(long, value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// Arguments of `qbank update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,

    /// The fields to replace, as a TOML file; fields it leaves out stay as they are.
    #[arg(long, value_name = "FILE")]
    pub(crate) file: PathBuf,

    /// Refuse the change (exit code 8) unless the question is still at this revision.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) expected_revision: Option<i64>,
}

/// Arguments of `qbank edit`.
#[derive(Debug, Args)]
pub(crate) struct EditArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,
}

/// Arguments of `qbank delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The question's id, e.g. llm-001.
    pub(crate) id: String,

    /// Refuse to delete (exit code 8) unless the question is still at this revision.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub(crate) expected_revision: Option<i64>,
}

/// Arguments of `qbank undelete`.
#[derive(Debug, Args)]
pub(crate) struct UndeleteArgs {
    /// The deleted question's id, e.g. llm-001.
    pub(crate) id: String,
}

/// Arguments of `qbank history`.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// The question's id, e.g. llm-001; deleted questions have a history too.
    pub(crate) id: String,
}

/// Arguments of `qbank import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The bank files, imported one after the other.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,

    /// The files' format, instead of their extensions'.
    #[arg(long, value_enum)]
    pub(crate) format: Option<BankFormat>,

    /// Check the files and count what would change, changing nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// The category of questions whose file gives none (GIFT before any $CATEGORY, Aiken).
    #[arg(long, value_name = "CATEGORY")]
    pub(crate) default_category: Option<String>,

    /// The difficulty of questions whose format has none (GIFT, Aiken); medium if unset.
    #[arg(long, value_enum, value_name = "DIFFICULTY")]
    pub(crate) default_difficulty: Option<Difficulty>,

    /// The language (BCP-47) of questions whose format has none (GIFT, Aiken).
    #[arg(long, value_name = "LANGUAGE")]
    pub(crate) default_language: Option<String>,
}

/// Arguments of `qbank export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) filter: QuestionFilter,

    /// The file's format, instead of --output's extension's.
    #[arg(long, value_enum)]
    pub(crate) format: Option<BankFormat>,

    /// Write the file here instead of to standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
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

impl From<Difficulty> for pb::Difficulty {
    fn from(difficulty: Difficulty) -> Self {
        match difficulty {
            Difficulty::Easy => Self::Easy,
            Difficulty::Medium => Self::Medium,
            Difficulty::Hard => Self::Hard,
        }
    }
}

impl From<QuestionType> for pb::QuestionType {
    fn from(question_type: QuestionType) -> Self {
        match question_type {
            QuestionType::SingleChoice => Self::SingleChoice,
            QuestionType::MultipleChoice => Self::MultipleChoice,
            QuestionType::TrueFalse => Self::TrueFalse,
        }
    }
}

/// Why a question is reported, as typed on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportReason {
    /// The answer key is wrong.
    WrongAnswer,
    /// More than one answer could be right, or none.
    Ambiguous,
    /// A typo or a formatting problem.
    Typo,
    /// No longer true.
    Outdated,
    /// Something else: say what with --comment.
    Other,
}

impl From<ReportReason> for pb::ReportReason {
    fn from(reason: ReportReason) -> Self {
        match reason {
            ReportReason::WrongAnswer => Self::WrongAnswer,
            ReportReason::Ambiguous => Self::Ambiguous,
            ReportReason::Typo => Self::Typo,
            ReportReason::Outdated => Self::Outdated,
            ReportReason::Other => Self::Other,
        }
    }
}

/// The formats of a bank file, as `--format` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum BankFormat {
    Toml,
    Json,
    Gift,
    Aiken,
}

impl BankFormat {
    /// The format `path`'s extension names, if it names one; `--format` overrides it.
    pub(crate) fn of_path(path: &Path) -> Option<Self> {
        Self::from_str(path.extension()?.to_str()?, true).ok()
    }
}

impl From<BankFormat> for pb::BankFormat {
    fn from(format: BankFormat) -> Self {
        match format {
            BankFormat::Toml => Self::Toml,
            BankFormat::Json => Self::Json,
            BankFormat::Gift => Self::Gift,
            BankFormat::Aiken => Self::Aiken,
        }
    }
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

/// Checks one word of `search`'s query: a blank one is refused, since an empty query would
/// quietly list every question instead of searching.
fn parse_query_word(word: &str) -> Result<String, String> {
    if word.trim().is_empty() {
        return Err("the query is empty; give a word to search for".to_owned());
    }
    Ok(word.to_owned())
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
    fn bank_formats_come_from_the_extension_in_any_case() {
        assert_eq!(
            BankFormat::of_path(Path::new("dir/bank.GIFT")),
            Some(BankFormat::Gift)
        );
        assert_eq!(
            BankFormat::of_path(Path::new("q.aiken")),
            Some(BankFormat::Aiken)
        );
        assert_eq!(BankFormat::of_path(Path::new("bank.txt")), None);
        assert_eq!(BankFormat::of_path(Path::new("toml")), None);
    }

    #[test]
    fn lang_is_global_and_comma_separated() {
        let cli = Cli::try_parse_from(["qbank", "get", "llm-001", "--lang", "zh-Hans-CN,en"])
            .expect("valid arguments");
        let tags = cli.lang.as_ref().map(PreferredLanguages::tags);
        assert_eq!(tags, Some(&["zh-Hans-CN".to_owned(), "en".to_owned()][..]));
    }

    #[test]
    fn a_malformed_lang_is_a_usage_error() {
        let error = Cli::try_parse_from(["qbank", "--lang", "en US", "list"])
            .expect_err("a space inside a tag");
        assert_eq!(error.exit_code(), 2);
    }

    #[test]
    fn search_takes_the_words_and_the_filters_of_list() {
        let cli = Cli::try_parse_from([
            "qbank",
            "search",
            "reward",
            "hacking",
            "--category",
            "llm",
            "--page-size",
            "5",
        ])
        .expect("valid arguments");
        let Command::Search(search) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(search.query(), "reward hacking");
        assert_eq!(search.list.filter.category.as_deref(), Some("llm"));
        assert_eq!(search.list.page_size, Some(5));
    }

    #[test]
    fn search_without_a_query_or_with_a_blank_one_is_a_usage_error() {
        for args in [
            &["qbank", "search"][..],
            &["qbank", "search", ""],
            &["qbank", "search", " "],
        ] {
            let error = Cli::try_parse_from(args).expect_err("no query");
            assert_eq!(error.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn draw_exclude_answered_needs_a_respondent() {
        let error = Cli::try_parse_from(["qbank", "draw", "--exclude-answered"])
            .expect_err("no respondent");
        assert_eq!(error.exit_code(), 2);
        let cli = Cli::try_parse_from([
            "qbank",
            "draw",
            "--exclude-answered",
            "--respondent",
            "alice",
            "--tag",
            "rlhf",
        ])
        .expect("valid arguments");
        let Command::Draw(draw) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert!(draw.exclude_answered);
        assert_eq!(draw.count, 10);
        assert_eq!(draw.filter.tags, ["rlhf"]);
    }

    #[test]
    fn draws_and_quizzes_ask_for_1_to_100_questions() {
        for command in ["draw", "quiz"] {
            for count in ["0", "101"] {
                let error = Cli::try_parse_from(["qbank", command, "--count", count])
                    .expect_err("out of range");
                assert_eq!(error.exit_code(), 2, "{command} --count {count}");
            }
            assert!(Cli::try_parse_from(["qbank", command, "--count", "100"]).is_ok());
        }
    }

    #[test]
    fn report_reasons_are_lowercase_words() {
        let cli = Cli::try_parse_from(["qbank", "report", "llm-001", "--reason", "wrong-answer"])
            .expect("valid arguments");
        let Command::Report(report) = cli.command else {
            panic!("parsed as {:?}", cli.command);
        };
        assert_eq!(
            pb::ReportReason::from(report.reason),
            pb::ReportReason::WrongAnswer
        );
        assert!(Cli::try_parse_from(["qbank", "report", "llm-001"]).is_err());
    }

    #[test]
    fn global_options_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from(["qbank", "health", "--json", "--timeout", "2s"])
            .expect("valid arguments");
        assert!(cli.json);
        assert_eq!(cli.timeout, Duration::from_secs(2));
    }
}
