//! The Aiken format: single-choice questions as plain lines, the simplest
//! format quiz tools (Moodle among them) import and export.
//!
//! ```text
//! 哪种技术有助于减轻基于提示的学习中的偏见?
//! A. 微调 Fine-tuning
//! B) 提示校准 Prompt calibration
//! C、梯度裁剪 Gradient clipping
//! ANSWER：B
//! ```
//!
//! A question is a one-line stem, options lettered `A`, `B`, `C`… in order
//! (`A.` or `A)`, or the Chinese `A．`, `A、` and `A）`), and `ANSWER: X`
//! (the colon may be the fullwidth `：`, with spaces around it). Questions
//! are separated by blank lines, though one may also start on the line after
//! an `ANSWER` line. Aiken has no ids, explanations, categories,
//! difficulties, tags or languages: ids come from
//! [`content_id`]`("aiken", …)`, the explanation is
//! [`NO_EXPLANATION`](super::NO_EXPLANATION), and the rest come from
//! [`ImportDefaults`].

use std::time::SystemTime;

use super::{
    Exported, FileImport, ImportDefaults, LineError, Omission, ParsedQuestion, QuestionDraft,
    content_id, keyed_by_letters, letter_key,
};
use crate::domain::question::{Choice, Question, QuestionType, normalise_choice_key};

/// Reads an Aiken file. All or nothing: any error gives every error found
/// (up to [`MAX_REPORTED_ERRORS`](super::MAX_REPORTED_ERRORS)), each on its
/// line.
pub fn parse(
    text: &str,
    defaults: &ImportDefaults,
    now: SystemTime,
) -> Result<Vec<ParsedQuestion>, Vec<LineError>> {
    // Editors on Windows start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut import = FileImport::new(defaults, now);
    let mut open: Option<OpenQuestion> = None;
    for (index, line) in text.lines().enumerate() {
        if import.is_full() {
            break;
        }
        open = read_line(open, index + 1, line.trim(), &mut import);
    }
    if let Some(question) = open
        && !question.skipping
    {
        question.reject_missing_answer(&mut import);
    }
    import.finish()
}

/// A question whose `ANSWER` line has not been read yet.
struct OpenQuestion {
    /// The stem's line, which is the question's.
    line: usize,
    stem: String,
    options: Vec<Choice>,
    /// After an error in the question: its remaining lines are passed over
    /// up to its end, so one mistake is reported once.
    skipping: bool,
}

/// Reads one trimmed line, given the question it may belong to, and gives
/// the question still open after it.
fn read_line(
    open: Option<OpenQuestion>,
    line: usize,
    content: &str,
    import: &mut FileImport<'_>,
) -> Option<OpenQuestion> {
    let Some(mut question) = open else {
        if content.is_empty() {
            return None;
        }
        if answer_of(content).is_some() {
            import.reject(line, "an `ANSWER:` line with no question before it");
        } else if option_of(content).is_some() {
            // Moodle reads such a line as an option too, so a stem cannot
            // start with one; saying so beats a baffling later error.
            import.reject(
                line,
                "an option with no question before it; a question starts with its one-line stem",
            );
        } else {
            return Some(OpenQuestion {
                line,
                stem: content.to_owned(),
                options: Vec::new(),
                skipping: false,
            });
        }
        return None;
    };
    if question.skipping {
        let question_ends = content.is_empty() || answer_of(content).is_some();
        return (!question_ends).then_some(question);
    }
    if content.is_empty() {
        question.reject_missing_answer(import);
        return None;
    }
    if let Some(answer) = answer_of(content) {
        question.finish(answer, import);
        return None;
    }
    match option_of(content) {
        Some((letter, text)) => question.add_option(line, letter, text, import),
        None => {
            import.reject(
                line,
                "expected an option such as `A. text` or the `ANSWER:` line; an Aiken stem is \
                 one line, and a blank line separates questions",
            );
            question.skipping = true;
        }
    }
    Some(question)
}

/// The option a line gives, as its letter and its text: `A.`, `A)`, `A．`,
/// `A、` or `A）` and the text, with or without a space between.
fn option_of(content: &str) -> Option<(char, &str)> {
    let mut chars = content.char_indices();
    let (_, letter) = chars.next()?;
    let (at, mark) = chars.next()?;
    let is_option = letter.is_ascii_uppercase() && matches!(mark, '.' | ')' | '．' | '、' | '）');
    is_option.then(|| (letter, content[at + mark.len_utf8()..].trim()))
}

/// What an `ANSWER:` line names. `ANSWER` is upper case, as Moodle requires;
/// the colon may be fullwidth, and spaces may surround it.
fn answer_of(content: &str) -> Option<&str> {
    let rest = content.strip_prefix("ANSWER")?.trim_start();
    let named = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    Some(named.trim())
}

impl OpenQuestion {
    fn add_option(&mut self, line: usize, letter: char, text: &str, import: &mut FileImport<'_>) {
        let key = letter.to_string();
        let expected = letter_key(self.options.len());
        let problem = if self.options.iter().any(|option| option.key == key) {
            Some(format!("option {letter} is repeated"))
        } else if key != expected {
            // Moodle maps the answer's letter to an option by its position,
            // so letters must run A, B, C… for the answer to mean anything.
            Some(format!(
                "option {letter} is out of order: options are lettered A, B, C… in order, \
                 and {expected} comes next"
            ))
        } else {
            None
        };
        match problem {
            Some(reason) => {
                import.reject(line, reason);
                self.skipping = true;
            }
            None => self.options.push(Choice {
                key,
                text: text.to_owned(),
            }),
        }
    }

    fn reject_missing_answer(self, import: &mut FileImport<'_>) {
        import.reject(
            self.line,
            "the question has no `ANSWER:` line after its options",
        );
    }

    /// Completes the question with the option its `ANSWER` line names.
    fn finish(self, answer: &str, import: &mut FileImport<'_>) {
        if self.options.len() < 2 {
            import.reject(
                self.line,
                format!(
                    "the question has {} option(s); an Aiken question has at least 2",
                    self.options.len()
                ),
            );
            return;
        }
        let mut letters = answer.chars();
        let (Some(letter), None) = (letters.next(), letters.next()) else {
            let reason = if answer.is_empty() {
                "the `ANSWER:` line names no option".to_owned()
            } else {
                format!(
                    "`ANSWER: {answer}` must name one option letter; Aiken has one right answer"
                )
            };
            import.reject(self.line, reason);
            return;
        };
        // `b` and the fullwidth `Ｂ` name option B, as they do when graded.
        let wanted = normalise_choice_key(&letter.to_string());
        let Some(right) = self
            .options
            .iter()
            .find(|option| normalise_choice_key(&option.key) == wanted)
        else {
            let last = self
                .options
                .last()
                .map_or("A", |option| option.key.as_str());
            import.reject(
                self.line,
                format!("the answer {letter} is not among the options A to {last}"),
            );
            return;
        };
        let correct_choice_keys = vec![right.key.clone()];
        let id = content_id("aiken", &self.stem, &self.options);
        let draft = QuestionDraft {
            id,
            question_type: QuestionType::SingleChoice,
            stem: self.stem,
            choices: self.options,
            correct_choice_keys,
            explanation: None,
            category: import.defaults.category.clone(),
            id_from_content: true,
        };
        import.accept(self.line, draft);
    }
}

/// Writes the questions Aiken can hold: single-choice ones keyed `A`, `B`,
/// `C`… in order, with a one-line stem and one-line choices. Every other
/// question is left out and listed in [`Exported::omitted`] with the reason.
///
/// What Aiken never holds (id, explanation, category, difficulty, tags,
/// language) is lost for every question written and is not listed: a line
/// for each question would drown the questions missing altogether.
pub fn export(questions: &[Question]) -> Exported {
    let mut text = String::new();
    let mut omitted = Vec::new();
    for question in questions {
        if let Some(reason) = why_not_aiken(question) {
            omitted.push(Omission {
                question_id: question.id.clone(),
                reason,
            });
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&question.stem);
        text.push('\n');
        // `A)` is what Moodle's exporter writes.
        for choice in &question.choices {
            text.push_str(&choice.key);
            text.push_str(") ");
            text.push_str(&choice.text);
            text.push('\n');
        }
        text.push_str("ANSWER: ");
        text.push_str(&question.answer.correct_choice_keys.join(""));
        text.push('\n');
        if !question.translations.is_empty() {
            omitted.push(Omission {
                question_id: question.id.clone(),
                reason: super::translations_left_out(question, "Aiken"),
            });
        }
    }
    Exported { text, omitted }
}

/// Why `question` cannot be written as Aiken, if it cannot.
fn why_not_aiken(question: &Question) -> Option<String> {
    let has_line_break = |text: &str| text.contains(['\n', '\r']);
    if question.question_type != QuestionType::SingleChoice {
        return Some(format!(
            "a {} question; Aiken holds single-choice questions only",
            question.question_type.as_str()
        ));
    }
    if !keyed_by_letters(&question.choices) {
        let keys: Vec<&str> = question.choices.iter().map(|c| c.key.as_str()).collect();
        return Some(format!(
            "its choice keys {keys:?} are not A, B, C… in order, as Aiken letters options"
        ));
    }
    if has_line_break(&question.stem) {
        return Some("its stem has several lines; an Aiken stem is one line".into());
    }
    if let Some(choice) = question.choices.iter().find(|c| has_line_break(&c.text)) {
        return Some(format!(
            "choice {} has several lines; an Aiken option is one line",
            choice.key
        ));
    }
    // Importers, Moodle's too, would read such a stem as an option or as the
    // answer, and the question would come back broken.
    let stem = question.stem.trim();
    if option_of(stem).is_some() || answer_of(stem).is_some() {
        return Some("its stem starts like an option or an `ANSWER:` line".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        bank_file,
        bank_formats::NO_EXPLANATION,
        question::{AnswerKey, Difficulty},
    };

    fn defaults() -> ImportDefaults {
        ImportDefaults {
            category: "imported".into(),
            difficulty: Difficulty::Easy,
            language: "zh-CN".into(),
        }
    }

    fn parse_ok(text: &str) -> Vec<ParsedQuestion> {
        match parse(text, &defaults(), SystemTime::UNIX_EPOCH) {
            Ok(parsed) => parsed,
            Err(errors) => panic!("expected questions, got {errors:?}"),
        }
    }

    fn errors_of(text: &str) -> Vec<(usize, String)> {
        match parse(text, &defaults(), SystemTime::UNIX_EPOCH) {
            Ok(parsed) => panic!("expected errors, got {parsed:?}"),
            Err(errors) => errors.into_iter().map(|e| (e.line, e.reason)).collect(),
        }
    }

    fn texts(question: &Question) -> Vec<&str> {
        question.choices.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn a_question_is_read_with_its_letters_as_keys_and_the_defaults() {
        let parsed = parse_ok("\nWhat is 2 + 2?\nA. 3\nB) 4\nC.5\nANSWER: B\n");
        assert_eq!(parsed[0].line, 2);
        let question = &parsed[0].question;
        assert_eq!(question.question_type, QuestionType::SingleChoice);
        assert_eq!(question.stem, "What is 2 + 2?");
        assert_eq!(texts(question), ["3", "4", "5"]);
        let keys: Vec<&str> = question.choices.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", "C"]);
        assert_eq!(question.answer.correct_choice_keys, ["B"]);
        assert_eq!(question.answer.explanation, NO_EXPLANATION);
        assert_eq!(question.category, "imported");
        assert_eq!(question.difficulty, Difficulty::Easy);
        assert_eq!(question.language, "zh-CN");
        assert!(question.id.starts_with("aiken-"), "{}", question.id);
    }

    #[test]
    fn chinese_option_marks_and_a_fullwidth_colon_are_read() {
        let parsed = parse_ok(
            "哪种技术有助于减轻偏见?\nA．微调\nB、提示校准\nC） 梯度裁剪\nANSWER：B\n\n\
             第二题?\nA、是\nB、否\nANSWER ： A",
        );
        assert_eq!(texts(&parsed[0].question), ["微调", "提示校准", "梯度裁剪"]);
        assert_eq!(parsed[0].question.answer.correct_choice_keys, ["B"]);
        assert_eq!(parsed[1].question.answer.correct_choice_keys, ["A"]);
    }

    #[test]
    fn a_question_may_start_right_after_an_answer_line() {
        let parsed = parse_ok("One?\nA. x\nB. y\nANSWER: A\nTwo?\nA. x\nB. z\nANSWER: B");
        let lines: Vec<usize> = parsed.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 5]);
    }

    #[test]
    fn a_fullwidth_or_lower_case_answer_names_its_option() {
        let parsed = parse_ok("One?\nA. x\nB. y\nANSWER: Ｂ\n\nTwo?\nA. x\nB. z\nANSWER: a");
        assert_eq!(parsed[0].question.answer.correct_choice_keys, ["B"]);
        assert_eq!(parsed[1].question.answer.correct_choice_keys, ["A"]);
    }

    #[test]
    fn the_same_text_gives_the_same_ids() {
        let text = "One?\nA. x\nB. y\nANSWER: A";
        assert_eq!(parse_ok(text)[0].question.id, parse_ok(text)[0].question.id);
    }

    #[test]
    fn a_missing_answer_line_is_an_error_on_the_stem() {
        let errors = errors_of("One?\nA. x\nB. y\n\nTwo?\nA. x\nB. y\nANSWER: A\n\nThree?\nA. x");
        let lines: Vec<usize> = errors.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 10], "{errors:?}");
        assert!(errors[0].1.contains("no `ANSWER:` line"), "{errors:?}");
    }

    #[test]
    fn an_answer_that_is_not_an_option_is_an_error() {
        let errors = errors_of("Skip.\nA. x\nB. y\nANSWER: A\n\nOne?\nA. x\nB. y\nANSWER: D");
        assert_eq!(
            errors,
            [(6, "the answer D is not among the options A to B".to_owned())]
        );
    }

    #[test]
    fn fewer_than_two_options_is_an_error() {
        let errors = errors_of("One?\nA. only\nANSWER: A");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 1);
        assert!(errors[0].1.contains("at least 2"), "{errors:?}");
    }

    #[test]
    fn options_out_of_order_or_repeated_are_errors_on_their_lines() {
        let errors = errors_of("One?\nA. x\nC. y\nANSWER: A\n\nTwo?\nA. x\nB. y\nB. z\nANSWER: A");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].0, 3);
        assert!(errors[0].1.contains("out of order"), "{errors:?}");
        assert_eq!(errors[1].0, 9);
        assert!(errors[1].1.contains("repeated"), "{errors:?}");
    }

    #[test]
    fn a_second_stem_line_is_an_error_and_the_rest_of_the_file_is_still_checked() {
        let errors = errors_of(
            "Good?\nA. x\nB. y\nANSWER: A\n\nTwo lines\nof stem?\nA. x\nANSWER: A\n\n\
             Bad?\nA. x\nB. y\nANSWER: A, B",
        );
        assert_eq!(
            errors.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [7, 11],
            "{errors:?}"
        );
    }

    #[test]
    fn the_same_question_twice_is_an_error_on_the_second() {
        let errors = errors_of("One?\nA. x\nB. y\nANSWER: A\n\nOne?\nA. x\nB. y\nANSWER: B");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, 6);
        assert!(errors[0].1.contains("line 1"), "{errors:?}");
    }

    #[test]
    fn stray_options_and_answers_are_errors() {
        let errors = errors_of("A. x\n\nANSWER: A");
        assert_eq!(
            errors.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
            [1, 3]
        );
    }

    fn single_choice(id: &str, stem: &str) -> Question {
        Question {
            id: id.into(),
            question_type: QuestionType::SingleChoice,
            stem: stem.into(),
            choices: vec![
                Choice {
                    key: "A".into(),
                    text: "one".into(),
                },
                Choice {
                    key: "B".into(),
                    text: "two".into(),
                },
            ],
            difficulty: Difficulty::Hard,
            category: "c".into(),
            tags: vec!["t".into()],
            language: "en".into(),
            revision: 2,
            create_time: SystemTime::UNIX_EPOCH,
            update_time: SystemTime::UNIX_EPOCH,
            answer: AnswerKey {
                correct_choice_keys: vec!["B".into()],
                explanation: "why".into(),
            },
            translations: Vec::new(),
        }
    }

    #[test]
    fn a_single_choice_question_is_exported_as_moodle_writes_it() {
        let exported = export(&[single_choice("q-1", "Which?")]);
        assert_eq!(exported.text, "Which?\nA) one\nB) two\nANSWER: B\n");
        assert!(exported.omitted.is_empty());
    }

    #[test]
    fn questions_aiken_cannot_hold_are_omitted_with_the_reason() {
        let mut keyed_by_words = single_choice("words", "Which?");
        keyed_by_words.choices[0].key = "one".into();
        let bank = [
            single_choice("multi-line", "Which\nof these?"),
            keyed_by_words,
            single_choice("looks-like-an-option", "A. is it?"),
        ];
        let exported = export(&bank);
        assert_eq!(exported.text, "");
        let reasons: Vec<(&str, &str)> = exported
            .omitted
            .iter()
            .map(|o| (o.question_id.as_str(), o.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].1.contains("several lines"), "{reasons:?}");
        assert!(reasons[1].1.contains("[\"one\", \"B\"]"), "{reasons:?}");
        assert!(
            reasons[2].1.contains("starts like an option"),
            "{reasons:?}"
        );
    }

    #[test]
    fn the_bundled_bank_exports_its_single_choice_questions_and_omits_the_rest() {
        let bank = bank_file::parse(bank_file::BUNDLED_BANK, SystemTime::UNIX_EPOCH)
            .expect("the bundled bank loads");
        let exported = export(&bank);
        let (untranslated, left_out): (Vec<_>, Vec<_>) = exported
            .omitted
            .iter()
            .partition(|omission| omission.reason.contains("translations (en)"));
        assert_eq!(left_out.len(), 1, "{:?}", exported.omitted);
        assert_eq!(left_out[0].question_id, "llm-002");
        assert!(left_out[0].reason.contains("true_false"));
        // Every exported question is English too; none of that is Aiken.
        assert_eq!(untranslated.len(), 9, "{:?}", exported.omitted);
        let back = parse_ok(&exported.text);
        let single: Vec<&Question> = bank
            .iter()
            .filter(|q| q.question_type == QuestionType::SingleChoice)
            .collect();
        assert_eq!(back.len(), single.len());
        for (original, parsed) in single.iter().zip(&back) {
            assert_eq!(parsed.question.stem, original.stem);
            assert_eq!(parsed.question.choices, original.choices);
            assert_eq!(
                parsed.question.answer.correct_choice_keys,
                original.answer.correct_choice_keys
            );
        }
    }
}
