//! Moodle's GIFT format: import and export of multiple-choice and true/false
//! questions, read the way Moodle's own importer
//! (`question/format/gift/format.php`) reads them.
//!
//! ```text
//! $CATEGORY: $course$/top/Large language models
//!
//! // Comments are lines that start with two slashes.
//! ::llm-001::Which technique reduces prompt bias?{
//!     ~Fine-tuning#Changes the model, not the prompt.
//!     =Prompt calibration
//!     ####Calibration adjusts the prompt itself.
//! }
//! ```
//!
//! What qbank keeps of a file, and what it does not:
//!
//! - A question is a run of non-blank lines; `//` lines are comments.
//! - `::title::` is the question's id when it is a valid id, so files qbank
//!   exported import to the same ids; any other title (Moodle titles are
//!   often sentences) is dropped, and the id comes from
//!   [`content_id`]`("gift", …)`.
//! - `$CATEGORY:` sets the category of the questions after it to the last
//!   segment of its path, with runs of whitespace made one `-`.
//! - `{=right ~wrong}` is single choice; `{~%50%a ~%50%b ~%-100%c}` is
//!   multiple choice, right where the weight is positive; `{T}`, `{TRUE}`,
//!   `{F}`, `{FALSE}` is true/false. Choices are keyed `A`, `B`, `C`… in
//!   file order.
//! - General feedback (`####…` last in the braces) is the explanation.
//!   Feedback on one answer (`#…` after it) has no place in a qbank
//!   question and is dropped.
//! - Every other GIFT question (short answer, numerical, matching, essay,
//!   missing word, description) is an error on its line: importing part of
//!   a file would leave a bank that silently lacks questions.

use std::time::SystemTime;

use super::{
    Exported, FileImport, ImportDefaults, LineError, Omission, ParsedQuestion, QuestionDraft,
    content_id, keyed_by_letters, letter_key,
};
use crate::domain::{
    limits,
    question::{Choice, Question, QuestionType},
    validation::{check_identifier, check_question_id},
};

/// Ends every "not supported" reason, so the author learns what would work.
const SUPPORTED_TYPES: &str = "qbank imports multiple choice and true/false";

/// The text formats Moodle lets a text name in front of it; qbank stores
/// plain text, so it strips the marker and keeps the text as written.
const TEXT_FORMAT_MARKERS: [&str; 4] = ["[html]", "[moodle]", "[plain]", "[markdown]"];

/// Reads a GIFT file. All or nothing: any error gives every error found (up
/// to [`MAX_REPORTED_ERRORS`](super::MAX_REPORTED_ERRORS)), each on its line.
pub fn parse(
    text: &str,
    defaults: &ImportDefaults,
    now: SystemTime,
) -> Result<Vec<ParsedQuestion>, Vec<LineError>> {
    let mut import = FileImport::new(defaults, now);
    let mut category = defaults.category.clone();
    for block in blocks(text) {
        if import.is_full() {
            break;
        }
        read_block(&block, &mut category, &mut import);
    }
    import.finish()
}

/// One line of a block: its number (1-based) and its text, trimmed.
type NumberedLine<'a> = (usize, &'a str);

/// The file's questions as Moodle splits them: runs of non-blank lines, each
/// line trimmed, comment lines left out (they do not end a block).
fn blocks(text: &str) -> Vec<Vec<NumberedLine<'_>>> {
    // Editors on Windows start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut blocks = Vec::new();
    let mut current = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
        } else if !line.starts_with("//") {
            current.push((index + 1, line));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// Reads one block: a `$CATEGORY:` line, a question, or (leniently, where
/// Moodle would take the question's lines as part of the category's name)
/// a category line followed by a question.
fn read_block(block: &[NumberedLine<'_>], category: &mut String, import: &mut FileImport<'_>) {
    let mut lines = block;
    if let Some((&(line, first), rest)) = lines.split_first()
        && let Some(path) = first.strip_prefix("$CATEGORY:")
    {
        match category_of_path(path) {
            Ok(name) => *category = name,
            Err(reason) => import.reject(line, reason),
        }
        lines = rest;
    }
    let Some(&(start_line, _)) = lines.first() else {
        return;
    };
    match read_question(&unescape(lines), start_line, category) {
        Ok(draft) => import.accept(start_line, draft),
        Err(error) => import.reject(error.line, error.reason),
    }
}

/// The category a `$CATEGORY:` path names: its last segment, as Moodle
/// splits paths (a lone `/` separates, `//` is a slash within a name), with
/// whitespace runs made `-` so the name is a qbank identifier.
fn category_of_path(path: &str) -> Result<String, String> {
    let bytes = path.as_bytes();
    let is_separator = |at: usize| {
        bytes[at] == b'/' && (at == 0 || bytes[at - 1] != b'/') && bytes.get(at + 1) != Some(&b'/')
    };
    // `/` is ASCII, so a byte position after it is a character boundary.
    let last_start = (0..bytes.len())
        .rev()
        .find(|&at| is_separator(at))
        .map_or(0, |at| at + 1);
    let name = path[last_start..]
        .replace("//", "/")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    check_identifier("category", &name, limits::CATEGORY_MAX_CHARS)
        .map_err(|error| format!("$CATEGORY names no usable category ({error})"))?;
    Ok(name)
}

/// A character of a question after escapes are read, and the line it is on.
/// An escaped character is always text, never syntax.
#[derive(Debug, Clone, Copy)]
struct GiftChar {
    ch: char,
    escaped: bool,
    line: usize,
}

impl GiftChar {
    fn is_syntax(self, ch: char) -> bool {
        !self.escaped && self.ch == ch
    }
}

/// The block's lines joined by newlines, with GIFT's escapes read: `\~ \= \#
/// \{ \} \:` and `\\` stand for the character, `\n` for a newline (Moodle's
/// exporter writes newlines so). Any other backslash is itself.
fn unescape(lines: &[NumberedLine<'_>]) -> Vec<GiftChar> {
    let mut text = Vec::new();
    for (index, &(line, content)) in lines.iter().enumerate() {
        if index > 0 {
            text.push(GiftChar {
                ch: '\n',
                escaped: false,
                line,
            });
        }
        let mut chars = content.chars().peekable();
        while let Some(ch) = chars.next() {
            let escaped = match (ch, chars.peek()) {
                ('\\', Some(&next @ ('\\' | '~' | '=' | '#' | '{' | '}' | ':'))) => Some(next),
                ('\\', Some('n')) => Some('\n'),
                _ => None,
            };
            match escaped {
                Some(meant) => {
                    chars.next();
                    text.push(GiftChar {
                        ch: meant,
                        escaped: true,
                        line,
                    });
                }
                None => text.push(GiftChar {
                    ch,
                    escaped: false,
                    line,
                }),
            }
        }
    }
    text
}

/// Whether `text` has the unescaped characters of `pattern` at `at`.
fn syntax_at(text: &[GiftChar], at: usize, pattern: &str) -> bool {
    let mut position = at;
    for expected in pattern.chars() {
        match text.get(position) {
            Some(found) if found.is_syntax(expected) => position += 1,
            _ => return false,
        }
    }
    true
}

/// The first position of `pattern` as syntax in `text`.
fn find_syntax(text: &[GiftChar], pattern: &str) -> Option<usize> {
    (0..text.len()).find(|&at| syntax_at(text, at, pattern))
}

/// The last position of `pattern` as syntax in `text`.
fn rfind_syntax(text: &[GiftChar], pattern: &str) -> Option<usize> {
    (0..text.len())
        .rev()
        .find(|&at| syntax_at(text, at, pattern))
}

/// `text` without unescaped whitespace at either end: an escaped newline is
/// content until the text is read ([`text_of`] trims it as Moodle does).
fn trim_syntax(text: &[GiftChar]) -> &[GiftChar] {
    let is_space = |c: &GiftChar| !c.escaped && c.ch.is_whitespace();
    let start = text.iter().position(|c| !is_space(c)).unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |at| at + 1);
    &text[start..end]
}

/// The characters of `text`, escapes read.
fn plain(text: &[GiftChar]) -> String {
    text.iter().map(|c| c.ch).collect()
}

/// A text as qbank stores it: trimmed, its format marker stripped.
fn text_of(text: &[GiftChar]) -> String {
    let plain = plain(text);
    let trimmed = plain.trim();
    TEXT_FORMAT_MARKERS
        .iter()
        .find_map(|marker| trimmed.strip_prefix(marker))
        .unwrap_or(trimmed)
        .trim()
        .to_owned()
}

/// Builds the error of a question type qbank cannot hold: its name, and the
/// shape that gave it away, since authors often know the shape but not the name.
fn unsupported(line: usize, question_type: &str, shape: &str) -> LineError {
    LineError {
        line,
        reason: format!("{question_type} questions ({shape}) are not supported; {SUPPORTED_TYPES}"),
    }
}

/// Reads one question (its category already known), deciding its type in
/// the order Moodle's importer does, so a file means the same in both.
fn read_question(
    text: &[GiftChar],
    start_line: usize,
    category: &str,
) -> Result<QuestionDraft, LineError> {
    let (title, body) = split_title(trim_syntax(text), start_line)?;
    let (open, close) = match (find_syntax(body, "{"), find_syntax(body, "}")) {
        (None, None) => {
            return Err(unsupported(
                start_line,
                "description",
                "text without `{…}` answers",
            ));
        }
        (Some(open), Some(close)) if open < close => (open, close),
        // The stray brace is the `}` before the `{`, or the only one.
        (Some(_), Some(at)) | (Some(at), None) | (None, Some(at)) => {
            return Err(LineError {
                line: body[at].line,
                reason: "the braces around the answers do not pair up; \
                         write `\\{` and `\\}` for literal braces"
                    .into(),
            });
        }
    };
    if !trim_syntax(&body[close + 1..]).is_empty() {
        return Err(unsupported(
            start_line,
            "missing-word",
            "text after the closing `}`",
        ));
    }
    let inside = &body[open + 1..close];
    if let Some(nested) = find_syntax(inside, "{") {
        return Err(LineError {
            line: inside[nested].line,
            reason: "a `{` inside the answers; write `\\{` for a literal brace".into(),
        });
    }
    let (answers, explanation) = match rfind_syntax(inside, "####") {
        Some(at) => (trim_syntax(&inside[..at]), Some(text_of(&inside[at + 4..]))),
        None => (trim_syntax(inside), None),
    };
    let stem = text_of(&body[..open]);
    let (question_type, choices, correct_choice_keys) = read_answers(answers, start_line)?;
    let usable_title = title.filter(|title| check_question_id("id", title).is_ok());
    let id_from_content = usable_title.is_none();
    let id = usable_title.unwrap_or_else(|| content_id("gift", &stem, &choices));
    Ok(QuestionDraft {
        id,
        question_type,
        stem,
        choices,
        correct_choice_keys,
        explanation,
        category: category.to_owned(),
        id_from_content,
    })
}

/// Splits a `::title::` off the question, if it has one.
fn split_title(
    text: &[GiftChar],
    start_line: usize,
) -> Result<(Option<String>, &[GiftChar]), LineError> {
    if !syntax_at(text, 0, "::") {
        return Ok((None, text));
    }
    // Moodle reads an unclosed title as no title and keeps the rest as the
    // stem; that hides a typo, so it is an error here.
    let Some(end) = find_syntax(&text[2..], "::").map(|at| at + 2) else {
        return Err(LineError {
            line: start_line,
            reason: "the title opened with `::` has no closing `::`".into(),
        });
    };
    let title = plain(&text[2..end]).trim().to_owned();
    Ok((Some(title), trim_syntax(&text[end + 2..])))
}

/// The type, choices and right keys that the text between the braces gives.
fn read_answers(
    answers: &[GiftChar],
    start_line: usize,
) -> Result<(QuestionType, Vec<Choice>, Vec<String>), LineError> {
    let Some(first) = answers.first() else {
        return Err(unsupported(start_line, "essay", "`{}`"));
    };
    if first.is_syntax('#') {
        return Err(unsupported(start_line, "numerical", "`{#…}`"));
    }
    if find_syntax(answers, "~").is_some() {
        return read_choices(answers, start_line);
    }
    if find_syntax(answers, "=").is_some() && find_syntax(answers, "->").is_some() {
        return Err(unsupported(start_line, "matching", "`=… -> …`"));
    }
    // Feedback may follow the truth value: `{T#Wrong, it is false.#Right.}`.
    let truth_end = find_syntax(answers, "#").unwrap_or(answers.len());
    let truth = match plain(trim_syntax(&answers[..truth_end])).as_str() {
        "T" | "TRUE" => true,
        "F" | "FALSE" => false,
        _ => {
            return Err(unsupported(
                start_line,
                "short-answer",
                "answers given only with `=`, no `~`",
            ));
        }
    };
    let choices = vec![
        Choice {
            key: "true".into(),
            text: "True".into(),
        },
        Choice {
            key: "false".into(),
            text: "False".into(),
        },
    ];
    let key = if truth { "true" } else { "false" };
    Ok((QuestionType::TrueFalse, choices, vec![key.to_owned()]))
}

/// How an answer of a multiple-choice question is marked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    /// `=`: the one right answer.
    Right,
    /// `~`, with its `%weight%` in percent (0 when it has none).
    Weight(f64),
}

/// One answer between the braces.
#[derive(Debug)]
struct GiftAnswer {
    line: usize,
    mark: Mark,
    text: String,
}

/// Reads `=`/`~` answers: one `=` makes a single-choice question, positive
/// weights without `=` a multiple-choice one. Partial credit cannot be
/// graded here, so `=` mixed with positive weights is an error.
fn read_choices(
    answers: &[GiftChar],
    start_line: usize,
) -> Result<(QuestionType, Vec<Choice>, Vec<String>), LineError> {
    let answers = split_answers(answers)?;
    let right: Vec<&GiftAnswer> = answers.iter().filter(|a| a.mark == Mark::Right).collect();
    let weighted_right = answers
        .iter()
        .filter(|a| matches!(a.mark, Mark::Weight(weight) if weight > 0.0))
        .count();
    let question_type = match (right.as_slice(), weighted_right) {
        ([_], 0) => QuestionType::SingleChoice,
        ([], 0) => {
            return Err(LineError {
                line: start_line,
                reason: "no answer is marked right: mark the right one with `=`, or give \
                         the right ones positive weights such as `~%50%`"
                    .into(),
            });
        }
        ([], _) => QuestionType::MultipleChoice,
        ([_], _) => {
            return Err(LineError {
                line: start_line,
                reason: "`=` mixed with positive `%weights%` gives partial credit, which qbank \
                         cannot grade; use one `=`, or weights alone"
                    .into(),
            });
        }
        ([_, second, ..], _) => {
            return Err(LineError {
                line: second.line,
                reason: format!(
                    "{} answers are marked right with `=`; a single-choice question has one, \
                     and a multiple-choice one marks its right answers with positive weights \
                     such as `~%50%`",
                    right.len()
                ),
            });
        }
    };
    let mut choices = Vec::with_capacity(answers.len());
    let mut correct_choice_keys = Vec::new();
    for (index, answer) in answers.into_iter().enumerate() {
        let key = letter_key(index);
        let is_right = match answer.mark {
            Mark::Right => true,
            Mark::Weight(weight) => weight > 0.0,
        };
        if is_right {
            correct_choice_keys.push(key.clone());
        }
        choices.push(Choice {
            key,
            text: answer.text,
        });
    }
    Ok((question_type, choices, correct_choice_keys))
}

/// Cuts the answers at each unescaped `=` or `~`.
fn split_answers(answers: &[GiftChar]) -> Result<Vec<GiftAnswer>, LineError> {
    let starts: Vec<usize> = (0..answers.len())
        .filter(|&at| answers[at].is_syntax('=') || answers[at].is_syntax('~'))
        .collect();
    let first_start = starts.first().copied().unwrap_or(answers.len());
    // Moodle would take such text as one more wrong answer; it is far more
    // likely a missing `~`.
    let stray = trim_syntax(&answers[..first_start]);
    if let Some(stray_start) = stray.first() {
        return Err(LineError {
            line: stray_start.line,
            reason: format!(
                "{:?} comes before the first answer; answers start with `=` or `~`",
                text_of(stray)
            ),
        });
    }
    starts
        .iter()
        .enumerate()
        .map(|(index, &start)| {
            let end = starts.get(index + 1).copied().unwrap_or(answers.len());
            read_answer(answers[start], &answers[start + 1..end])
        })
        .collect()
}

/// Reads one answer: its `=` or `~` marker, and the text up to the next.
fn read_answer(marker: GiftChar, rest: &[GiftChar]) -> Result<GiftAnswer, LineError> {
    let rest = trim_syntax(rest);
    let line = marker.line;
    // As in Moodle, only `~` answers carry weights: `=` is always 100%.
    let (mark, rest) = if marker.ch == '~' && rest.first().is_some_and(|c| c.is_syntax('%')) {
        let bad_weight = || LineError {
            line,
            reason: "a weight is a percentage from -100 to 100 between `%` signs, such as \
                     `~%50%` or `~%-100%`"
                .into(),
        };
        let close = rest[1..]
            .iter()
            .position(|c| c.is_syntax('%'))
            .map(|at| at + 1)
            .ok_or_else(bad_weight)?;
        let weight = parse_weight(&plain(&rest[1..close])).ok_or_else(bad_weight)?;
        (Mark::Weight(weight), &rest[close + 1..])
    } else if marker.ch == '~' {
        (Mark::Weight(0.0), rest)
    } else {
        (Mark::Right, rest)
    };
    // Feedback on this answer alone (`#…`) has no field in qbank: dropped.
    let text_end = find_syntax(rest, "#").unwrap_or(rest.len());
    Ok(GiftAnswer {
        line,
        mark,
        text: text_of(&rest[..text_end]),
    })
}

/// A weight such as `50`, `33.33333` or `-100`, in percent.
fn parse_weight(text: &str) -> Option<f64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let well_formed = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit());
    let weight: f64 = text.parse().ok().filter(|_| well_formed)?;
    (-100.0..=100.0).contains(&weight).then_some(weight)
}

/// Writes questions as GIFT that Moodle and [`parse`] both read back with
/// the same stems, choice texts and right answers, category by category as
/// they come.
///
/// Difficulty and language are not in GIFT and are never listed in
/// [`Exported::omitted`]: every question has them, so a line for each would
/// drown what matters. Listed, one entry per question and thing, is what
/// only some questions lose: tags, true/false choice texts other than "True"
/// and "False", and choice keys other than `A`, `B`, `C`… in order.
///
/// A multiple-choice question's `k` right answers weigh `100/k` percent each
/// (five decimals, `%33.33333%`), its wrong ones `%-100%`. Moodle matches
/// weights against its list of grades, which holds `100/k` for `k` up to 10
/// and 20; other counts import into Moodle only with its "nearest grade"
/// option, though [`parse`] reads them all.
pub fn export(questions: &[Question]) -> Exported {
    let mut text = String::new();
    let mut omitted = Vec::new();
    let mut category: Option<&str> = None;
    for question in questions {
        if category != Some(question.category.as_str()) {
            // A category is an identifier (no whitespace); only `/` needs
            // Moodle's doubling, or the path would split there.
            text.push_str("$CATEGORY: ");
            text.push_str(&question.category.replace('/', "//"));
            text.push_str("\n\n");
            category = Some(&question.category);
        }
        write_question(&mut text, question);
        text.push('\n');
        note_omissions(question, &mut omitted);
    }
    Exported { text, omitted }
}

/// Appends one question and the newline that ends it.
fn write_question(out: &mut String, question: &Question) {
    out.push_str("::");
    out.push_str(&escape(&question.id));
    out.push_str("::");
    out.push_str(&escape(&question.stem));
    out.push('{');
    let correct = &question.answer.correct_choice_keys;
    let is_correct = |choice: &Choice| correct.contains(&choice.key);
    match question.question_type {
        QuestionType::TrueFalse => {
            let truth = correct.iter().any(|key| key == "true");
            out.push_str(if truth { "TRUE" } else { "FALSE" });
            out.push('\n');
        }
        QuestionType::SingleChoice => {
            out.push('\n');
            for choice in &question.choices {
                out.push('\t');
                if is_correct(choice) {
                    out.push('=');
                } else {
                    out.push('~');
                    // A text starting with `%` would read as a weight.
                    if choice.text.starts_with('%') {
                        out.push_str("%0%");
                    }
                }
                out.push_str(&escape(&choice.text));
                out.push('\n');
            }
        }
        QuestionType::MultipleChoice => {
            out.push('\n');
            let right_weight = share_of_hundred(correct.len());
            for choice in &question.choices {
                let weight = if is_correct(choice) {
                    right_weight.as_str()
                } else {
                    "-100"
                };
                out.push_str("\t~%");
                out.push_str(weight);
                out.push('%');
                out.push_str(&escape(&choice.text));
                out.push('\n');
            }
        }
    }
    out.push_str("\t####");
    out.push_str(&escape(&question.answer.explanation));
    out.push_str("\n}\n");
}

/// `100 / parts` as Moodle reads a weight: at most five decimals, no
/// trailing zeros (`50`, `33.33333`, `12.5`).
fn share_of_hundred(parts: usize) -> String {
    let share = format!("{:.5}", 100.0 / parts.max(1) as f64);
    share.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `text` as GIFT writes it: the characters GIFT reads as syntax escaped,
/// newlines as `\n` (a raw one could make a blank line, which ends the
/// question), and a leading format marker shielded by `[moodle]`.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    // The importer strips one marker: a text that starts with one keeps it
    // behind another.
    if TEXT_FORMAT_MARKERS
        .iter()
        .any(|marker| text.trim_start().starts_with(marker))
    {
        escaped.push_str("[moodle]");
    }
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' | '~' | '=' | '#' | '{' | '}' | ':' => {
                escaped.push('\\');
                escaped.push(ch);
            }
            '\n' => escaped.push_str("\\n"),
            // `\r\n` is one line break; a lone `\r` is one too.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => escaped.push_str("\\n"),
            _ => escaped.push(ch),
        }
    }
    escaped
}

/// Lists what of `question` the GIFT text does not carry.
fn note_omissions(question: &Question, omitted: &mut Vec<Omission>) {
    let mut omit = |reason: String| {
        omitted.push(Omission {
            question_id: question.id.clone(),
            reason,
        });
    };
    if !question.tags.is_empty() {
        omit(format!("tags {} are not in GIFT", question.tags.join(", ")));
    }
    if !question.translations.is_empty() {
        omit(super::translations_left_out(question, "GIFT"));
    }
    if question.question_type == QuestionType::TrueFalse {
        let texts: Vec<&str> = question.choices.iter().map(|c| c.text.as_str()).collect();
        if texts != ["True", "False"] {
            omit(format!(
                "the true/false choice texts {texts:?} are not in GIFT, which imports them as \
                 \"True\" and \"False\""
            ));
        }
    } else if !keyed_by_letters(&question.choices) {
        let keys: Vec<&str> = question.choices.iter().map(|c| c.key.as_str()).collect();
        omit(format!(
            "the choice keys {keys:?} are not in GIFT, which keys choices A, B, C… in order"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        bank_file,
        bank_formats::{MAX_REPORTED_ERRORS, NO_EXPLANATION},
        question::Difficulty,
    };

    fn defaults() -> ImportDefaults {
        ImportDefaults {
            category: "imported".into(),
            difficulty: Difficulty::Medium,
            language: "en".into(),
        }
    }

    fn parse_ok(text: &str) -> Vec<Question> {
        match parse(text, &defaults(), SystemTime::UNIX_EPOCH) {
            Ok(parsed) => parsed.into_iter().map(|p| p.question).collect(),
            Err(errors) => panic!("expected questions, got {errors:?}"),
        }
    }

    fn parse_errors(text: &str) -> Vec<LineError> {
        match parse(text, &defaults(), SystemTime::UNIX_EPOCH) {
            Ok(parsed) => panic!("expected errors, got {parsed:?}"),
            Err(errors) => errors,
        }
    }

    /// The one error of a file whose first question (lines 1-2) is fine and
    /// whose second starts on line 4.
    fn error_after_a_good_question(bad: &str) -> LineError {
        let text = format!("// A good one first.\n::ok::Fine?{{T}}\n\n{bad}\n");
        let mut errors = parse_errors(&text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.remove(0)
    }

    fn texts(question: &Question) -> Vec<&str> {
        question.choices.iter().map(|c| c.text.as_str()).collect()
    }

    fn keys(question: &Question) -> Vec<&str> {
        question.choices.iter().map(|c| c.key.as_str()).collect()
    }

    #[test]
    fn a_single_choice_question_is_read_with_lettered_keys() {
        let questions =
            parse_ok("::q-1::Who is buried in Grant's tomb?{~Grant ~Jefferson =no one}");
        let question = &questions[0];
        assert_eq!(question.id, "q-1");
        assert_eq!(question.question_type, QuestionType::SingleChoice);
        assert_eq!(question.stem, "Who is buried in Grant's tomb?");
        assert_eq!(texts(question), ["Grant", "Jefferson", "no one"]);
        assert_eq!(keys(question), ["A", "B", "C"]);
        assert_eq!(question.answer.correct_choice_keys, ["C"]);
        assert_eq!(question.category, "imported");
        assert_eq!(question.difficulty, Difficulty::Medium);
        assert_eq!(question.language, "en");
        assert_eq!(question.revision, 1);
        assert!(question.tags.is_empty());
    }

    #[test]
    fn a_multiple_choice_question_is_right_where_weights_are_positive() {
        let questions =
            parse_ok("Which are primes?{\n~%50%two\n~%-100%four\n~%50%three\n~%0%one\n}");
        let question = &questions[0];
        assert_eq!(question.question_type, QuestionType::MultipleChoice);
        assert_eq!(texts(question), ["two", "four", "three", "one"]);
        assert_eq!(question.answer.correct_choice_keys, ["A", "C"]);
    }

    #[test]
    fn every_spelling_of_true_and_false_is_read() {
        for (answer, key) in [
            ("T", "true"),
            ("TRUE", "true"),
            ("F", "false"),
            ("FALSE", "false"),
        ] {
            let questions = parse_ok(&format!("The sky is blue.{{{answer}}}"));
            let question = &questions[0];
            assert_eq!(question.question_type, QuestionType::TrueFalse, "{answer}");
            assert_eq!(keys(question), ["true", "false"]);
            assert_eq!(texts(question), ["True", "False"]);
            assert_eq!(question.answer.correct_choice_keys, [key], "{answer}");
        }
    }

    #[test]
    fn general_feedback_is_the_explanation_and_answer_feedback_is_dropped() {
        let questions = parse_ok(
            "Pick one.{\n=right#Well done.\n~wrong#No.\n####Because it is.\n}\n\n\
             Grant is dead.{TRUE#It is not false.#Indeed.}",
        );
        assert_eq!(texts(&questions[0]), ["right", "wrong"]);
        assert_eq!(questions[0].answer.explanation, "Because it is.");
        assert_eq!(questions[1].answer.correct_choice_keys, ["true"]);
        assert_eq!(questions[1].answer.explanation, NO_EXPLANATION);
    }

    #[test]
    fn escaped_characters_are_text_and_not_syntax() {
        let questions = parse_ok(
            "::esc::What is 1 \\= 1 in \\{braces\\}\\: a\\~b \\#1 \\\\ end?{\n\
             =it is \\= and \\~#feedback\n~line\\none\n####a\\#b\n}",
        );
        let question = &questions[0];
        assert_eq!(question.stem, "What is 1 = 1 in {braces}: a~b #1 \\ end?");
        assert_eq!(texts(question), ["it is = and ~", "line\none"]);
        assert_eq!(question.answer.explanation, "a#b");
    }

    #[test]
    fn a_category_line_sets_the_last_path_segment_with_dashes() {
        let questions = parse_ok(
            "Before?{T}\n\n$CATEGORY: $course$/top/Large  language models\n\n\
             After?{T}\n\n$CATEGORY: a/b//c\n\nSlashed?{T}",
        );
        let categories: Vec<&str> = questions.iter().map(|q| q.category.as_str()).collect();
        assert_eq!(categories, ["imported", "Large-language-models", "b/c"]);
    }

    #[test]
    fn a_question_may_follow_its_category_line_without_a_blank_line() {
        let parsed = parse(
            "$CATEGORY: top/llm\n::q::Stem?{T}",
            &defaults(),
            SystemTime::UNIX_EPOCH,
        )
        .expect("valid");
        assert_eq!(parsed[0].line, 2);
        assert_eq!(parsed[0].question.category, "llm");
    }

    #[test]
    fn a_title_that_is_a_valid_id_becomes_the_id() {
        let questions = parse_ok("::llm-001::Stem?{T}");
        assert_eq!(questions[0].id, "llm-001");
    }

    #[test]
    fn a_question_without_a_usable_title_gets_the_same_content_id_every_time() {
        let text = "::Grant's tomb question::Who?{=no one ~Grant}\n\nWho else?{=no one ~Grant}";
        let first = parse_ok(text);
        let again = parse_ok(text);
        assert!(first[0].id.starts_with("gift-"), "{}", first[0].id);
        assert_eq!(first[0].id, content_id("gift", "Who?", &first[0].choices));
        assert_ne!(first[0].id, first[1].id);
        assert_eq!(
            first.iter().map(|q| &q.id).collect::<Vec<_>>(),
            again.iter().map(|q| &q.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn format_markers_and_comments_are_not_part_of_the_text() {
        let questions = parse_ok(
            "// [tag:ignored]\n::m::[markdown]Is *this* bold?{\n// between answers\n=[html]yes\n~no\n}",
        );
        assert_eq!(questions[0].stem, "Is *this* bold?");
        assert_eq!(texts(&questions[0]), ["yes", "no"]);
    }

    #[test]
    fn short_answer_questions_are_errors_on_their_line() {
        for bad in ["Who?{=no one =nobody}", "Who?{=no one}"] {
            let error = error_after_a_good_question(bad);
            assert_eq!(error.line, 4, "{bad}");
            assert!(
                error
                    .to_string()
                    .starts_with("line 4: short-answer questions ("),
                "{error}"
            );
            assert!(
                error
                    .reason
                    .ends_with("are not supported; qbank imports multiple choice and true/false"),
                "{error}"
            );
        }
    }

    #[test]
    fn numerical_questions_are_errors_on_their_line() {
        let error = error_after_a_good_question("When was Grant born?{#1822:5}");
        assert_eq!(error.line, 4);
        assert!(error.reason.starts_with("numerical questions"), "{error}");
    }

    #[test]
    fn matching_questions_are_errors_on_their_line() {
        let error = error_after_a_good_question("Match.{=Canada -> Ottawa =Italy -> Rome}");
        assert_eq!(error.line, 4);
        assert!(error.reason.starts_with("matching questions"), "{error}");
    }

    #[test]
    fn essay_questions_are_errors_on_their_line() {
        let error = error_after_a_good_question("Write about Grant.{}");
        assert_eq!(error.line, 4);
        assert!(error.reason.starts_with("essay questions"), "{error}");
    }

    #[test]
    fn missing_word_questions_are_errors_on_their_line() {
        let error = error_after_a_good_question("Grant is {~buried =entombed} in the tomb.");
        assert_eq!(error.line, 4);
        assert!(
            error.reason.starts_with("missing-word questions"),
            "{error}"
        );
    }

    #[test]
    fn descriptions_are_errors_on_their_line() {
        let error = error_after_a_good_question("Read this before the next questions.");
        assert_eq!(error.line, 4);
        assert!(error.reason.starts_with("description questions"), "{error}");
    }

    #[test]
    fn several_right_answers_with_equals_are_an_error_on_the_second() {
        let error = error_after_a_good_question("Pick.{\n=a\n~b\n=c\n}");
        assert_eq!(error.line, 7);
        assert!(
            error.reason.contains("2 answers are marked right"),
            "{error}"
        );
    }

    #[test]
    fn a_question_that_breaks_a_rule_names_the_field_on_its_line() {
        let error = error_after_a_good_question("Only one?{~%100%alone}");
        assert_eq!(error.line, 4);
        assert!(error.reason.starts_with("choices: needs 2 to"), "{error}");
    }

    #[test]
    fn one_bad_question_rejects_the_file_and_every_error_is_listed() {
        let text = "Good?{T}\n\nShort?{=a}\n\nGood too?{=a ~b}\n\n\
                    $CATEGORY: top/\n\nBad weight?{~%fifty%a ~b}\n\n::unclosed Title?{T}";
        let errors = parse_errors(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 7, 9, 11], "{errors:?}");
    }

    #[test]
    fn a_closing_brace_before_the_opening_one_is_an_error_on_its_line() {
        let error = error_after_a_good_question("Odd}\n{=a ~b");
        assert_eq!(error.line, 4);
        assert!(error.reason.contains("do not pair up"), "{error}");
    }

    #[test]
    fn errors_stop_at_the_reporting_limit() {
        let text = "Who?{=a}\n\n".repeat(MAX_REPORTED_ERRORS + 5);
        assert_eq!(parse_errors(&text).len(), MAX_REPORTED_ERRORS);
    }

    #[test]
    fn a_repeated_title_is_an_error_on_the_later_question() {
        let errors = parse_errors("::q::One?{T}\n\n::q::Two?{F}");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].reason.contains("line 1"), "{}", errors[0]);
    }

    #[test]
    fn the_bundled_bank_exported_as_gift_imports_back_the_same() {
        let bank = bank_file::parse(bank_file::BUNDLED_BANK, SystemTime::UNIX_EPOCH)
            .expect("the bundled bank loads");
        let exported = export(&bank);
        let imported = parse_ok(&exported.text);
        assert_eq!(imported.len(), bank.len());
        for (original, back) in bank.iter().zip(&imported) {
            assert_eq!(back.id, original.id);
            assert_eq!(
                back.question_type, original.question_type,
                "{}",
                original.id
            );
            assert_eq!(back.stem, original.stem, "{}", original.id);
            assert_eq!(back.category, original.category, "{}", original.id);
            assert_eq!(keys(back), keys(original), "{}", original.id);
            assert_eq!(back.answer, original.answer, "{}", original.id);
            if original.question_type != QuestionType::TrueFalse {
                assert_eq!(texts(back), texts(original), "{}", original.id);
            }
        }
    }

    #[test]
    fn the_bundled_bank_exported_as_gift_lists_its_tags_and_true_false_texts() {
        let bank = bank_file::parse(bank_file::BUNDLED_BANK, SystemTime::UNIX_EPOCH)
            .expect("the bundled bank loads");
        let omitted = export(&bank).omitted;
        let about = |id: &str| -> Vec<&str> {
            omitted
                .iter()
                .filter(|o| o.question_id == id)
                .map(|o| o.reason.as_str())
                .collect()
        };
        assert_eq!(
            about("llm-001"),
            [
                "tags prompting, bias are not in GIFT",
                "the translations (en) are not in GIFT"
            ]
        );
        let true_false = about("llm-002");
        assert_eq!(true_false.len(), 3, "{true_false:?}");
        assert!(true_false[2].contains("\"需要\""), "{true_false:?}");
    }

    fn multiple_choice(correct: &[&str], choice_texts: &[&str]) -> Question {
        Question {
            id: "multi:1".into(),
            question_type: QuestionType::MultipleChoice,
            stem: "[html]Which {of these}\nare right?".into(),
            choices: choice_texts
                .iter()
                .enumerate()
                .map(|(index, text)| Choice {
                    key: letter_key(index),
                    text: (*text).into(),
                })
                .collect(),
            difficulty: Difficulty::Hard,
            category: "a/b".into(),
            tags: Vec::new(),
            language: "en".into(),
            revision: 3,
            create_time: SystemTime::UNIX_EPOCH,
            update_time: SystemTime::UNIX_EPOCH,
            answer: crate::domain::question::AnswerKey {
                correct_choice_keys: correct.iter().map(|k| (*k).into()).collect(),
                explanation: "Line one.\n\nLine three # = ~".into(),
            },
            translations: Vec::new(),
        }
    }

    #[test]
    fn a_multiple_choice_export_weighs_right_answers_equally_and_imports_back() {
        let question = multiple_choice(&["A", "B", "D"], &["%1", "x:y", "z", "w\\"]);
        let exported = export(std::slice::from_ref(&question));
        assert!(
            exported.text.contains("\t~%33.33333%%1\n"),
            "{}",
            exported.text
        );
        assert!(exported.text.contains("\t~%-100%z\n"), "{}", exported.text);
        assert!(exported.omitted.is_empty(), "{:?}", exported.omitted);
        let back = &parse_ok(&exported.text)[0];
        assert_eq!(back.id, question.id);
        assert_eq!(back.stem, question.stem);
        assert_eq!(back.category, question.category);
        assert_eq!(back.choices, question.choices);
        assert_eq!(back.answer, question.answer);
    }

    #[test]
    fn a_wrong_single_choice_text_starting_with_a_percent_sign_is_not_read_as_a_weight() {
        let mut question = multiple_choice(&["A"], &["right", "%50%wrong"]);
        question.question_type = QuestionType::SingleChoice;
        let back = &parse_ok(&export(std::slice::from_ref(&question)).text)[0];
        assert_eq!(back.choices, question.choices);
        assert_eq!(back.answer.correct_choice_keys, ["A"]);
    }

    #[test]
    fn right_weights_are_written_as_moodle_reads_them() {
        assert_eq!(share_of_hundred(1), "100");
        assert_eq!(share_of_hundred(2), "50");
        assert_eq!(share_of_hundred(3), "33.33333");
        assert_eq!(share_of_hundred(8), "12.5");
    }

    #[test]
    fn choice_keys_that_are_not_letters_are_listed_as_omitted() {
        let mut question = multiple_choice(&["1"], &["one", "two"]);
        question.choices[0].key = "1".into();
        question.choices[1].key = "2".into();
        let omitted = export(std::slice::from_ref(&question)).omitted;
        assert_eq!(omitted.len(), 1, "{omitted:?}");
        assert!(omitted[0].reason.contains("[\"1\", \"2\"]"), "{omitted:?}");
    }
}
