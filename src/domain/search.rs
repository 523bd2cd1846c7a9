//! Full-text search: how text is cut into the terms an index holds, and what
//! a caller's query asks for.
//!
//! Chinese has no spaces, and its commonest search words are two characters
//! long, so Chinese (and Japanese kana) text is cut into single characters
//! and a Chinese word matches as the phrase of its characters: a one-, two-
//! or ten-character word finds exactly the texts that contain it. Other
//! scripts are cut into words, compared in lower case. Everything else
//! (punctuation, symbols, `"` that closes no phrase) only separates terms,
//! so no character of a query is an operator. Both the index and the query
//! go through [`terms`], which is what makes them agree; a storage backend
//! only stores and matches the terms.
//!
//! The index also holds each question's listing facets (category, tags,
//! difficulty, type, languages) as terms of their own, so a search with
//! filters is one lookup in the index instead of a walk of its matches.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization as _;

use super::{
    limits,
    listing::QuestionFilter,
    question::Question,
    validation::{FieldError, check_length},
};

/// A question's text as the index holds it, in terms separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    /// The facets a listing filters on, as [`facet_terms`] spells them.
    pub facets: String,
    /// Stems and choice texts in every language: what any caller may match.
    pub shown: String,
    /// Explanations in every language: matched for FULL-view callers only.
    pub explained: String,
}

impl SearchDocument {
    /// What the index holds of `question`.
    pub fn of(question: &Question) -> Self {
        let mut shown = String::new();
        let mut explained = String::new();
        let add = |into: &mut String, text: &str| {
            for term in terms(text) {
                if !into.is_empty() {
                    into.push(' ');
                }
                into.push_str(&term.text);
            }
        };
        add(&mut shown, &question.stem);
        for choice in &question.choices {
            add(&mut shown, &choice.text);
        }
        add(&mut explained, &question.answer.explanation);
        for translation in &question.translations {
            add(&mut shown, &translation.stem);
            for choice in &translation.choices {
                add(&mut shown, &choice.text);
            }
            add(&mut explained, &translation.explanation);
        }
        let mut facets = vec![
            facet('c', &question.category),
            facet('d', question.difficulty.as_str()),
            facet('y', question.question_type.as_str()),
        ];
        facets.extend(question.tags.iter().map(|tag| facet('t', tag)));
        facets.extend(
            question
                .languages()
                .map(|language| facet('l', &language.to_ascii_lowercase())),
        );
        Self {
            facets: facets.join(" "),
            shown,
            explained,
        }
    }
}

/// The facet terms a question must all have to pass `filter`.
pub fn facet_terms(filter: &QuestionFilter) -> Vec<String> {
    let mut terms = Vec::new();
    if let Some(category) = &filter.category {
        terms.push(facet('c', category));
    }
    terms.extend(filter.tags.iter().map(|tag| facet('t', tag)));
    if let Some(difficulty) = filter.difficulty {
        terms.push(facet('d', difficulty.as_str()));
    }
    if let Some(question_type) = filter.question_type {
        terms.push(facet('y', question_type.as_str()));
    }
    if let Some(language) = &filter.language {
        // BCP-47 tags ignore case; the listing filter compares ASCII case
        // alone, as SQLite's NOCASE does.
        terms.push(facet('l', &language.to_ascii_lowercase()));
    }
    terms
}

/// One facet as a term: a letter naming the facet, then the value's bytes
/// in hex, so any value (`vector-store`, `提示`) is one term of letters and
/// digits that no text term can equal (text terms are lowercase, and hex
/// digits after a letter never spell a word of the text by accident: the
/// facets live in a column of their own).
fn facet(kind: char, value: &str) -> String {
    const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut term = String::with_capacity(1 + 2 * value.len());
    term.push(kind);
    for byte in value.bytes() {
        term.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
        term.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
    }
    term
}

/// A ListQuestions query: phrases that must all match, each a sequence of
/// terms that must appear next to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// As the caller wrote it, trimmed: page tokens are signed for it.
    text: String,
    phrases: Vec<Vec<String>>,
}

impl SearchQuery {
    /// The query in the request field `query`; `None` when it is empty or
    /// blank (no search). Longer than [`limits::QUERY_MAX_CHARS`] is an
    /// error; nothing else is.
    pub fn parse(query: &str) -> Result<Option<Self>, FieldError> {
        check_length("query", query, limits::QUERY_MAX_CHARS)?;
        let text = query.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let mut phrases = Vec::new();
        // Text between a pair of quotes is one phrase; a quote that closes
        // nothing is an ordinary character (a separator).
        let quotes = text.matches('"').count();
        let paired = quotes - quotes % 2;
        let mut quoted = false;
        let mut seen_quotes = 0;
        for (index, part) in text.split('"').enumerate() {
            if index > 0 {
                seen_quotes += 1;
                if seen_quotes <= paired {
                    quoted = !quoted;
                }
            }
            if quoted {
                let phrase: Vec<String> = terms(part).map(|term| term.text).collect();
                if !phrase.is_empty() {
                    phrases.push(phrase);
                }
            } else {
                for word in part.split_whitespace() {
                    phrases.extend(word_phrases(word));
                }
            }
        }
        Ok(Some(Self {
            text: text.to_owned(),
            phrases,
        }))
    }

    /// The query as written (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The phrases that must all match. Empty when the query holds no term
    /// at all (only punctuation): it then matches nothing.
    pub fn phrases(&self) -> &[Vec<String>] {
        &self.phrases
    }
}

/// The phrases one space-separated word of a query asks for. A run of
/// Chinese longer than a word is split into words by a segmenter, each its
/// own phrase, so `奖励黑客问题` finds texts that contain 奖励, 黑客 and 问题;
/// a run of other terms joined by punctuation (`gpt-4`) is one phrase.
fn word_phrases(word: &str) -> Vec<Vec<String>> {
    let mut phrases = Vec::new();
    let mut run: Vec<Term> = Vec::new();
    let mut flush = |run: &mut Vec<Term>| {
        let Some(first) = run.first() else {
            return;
        };
        if first.chinese && run.len() > 2 {
            let chinese: String = run.iter().map(|term| term.text.as_str()).collect();
            for segment in segmenter().cut(&chinese, false) {
                phrases.push(segment.word.chars().map(String::from).collect());
            }
        } else {
            phrases.push(run.iter().map(|term| term.text.clone()).collect());
        }
        run.clear();
    };
    for term in terms(word) {
        if run.last().is_some_and(|last| last.chinese != term.chinese) {
            flush(&mut run);
        }
        run.push(term);
    }
    flush(&mut run);
    phrases
}

/// jieba's dictionary, loaded on first use: it takes tens of megabytes and
/// a tenth of a second, which only servers searched in Chinese should pay.
fn segmenter() -> &'static jieba_rs::Jieba {
    static SEGMENTER: LazyLock<jieba_rs::Jieba> = LazyLock::new(jieba_rs::Jieba::new);
    &SEGMENTER
}

/// One term of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    text: String,
    /// A single Chinese character (or kana), not a word.
    chinese: bool,
}

/// The terms of `text`, in order: after compatibility normalisation (so
/// fullwidth `ＲＬＨＦ` is `rlhf`), each Chinese character alone, and each
/// run of other letters and digits as one lowercase word.
fn terms(text: &str) -> impl Iterator<Item = Term> {
    let mut normalised = text.nfkc().peekable();
    std::iter::from_fn(move || {
        loop {
            let character = normalised.next()?;
            if is_chinese(character) {
                return Some(Term {
                    text: character.to_string(),
                    chinese: true,
                });
            }
            if !character.is_alphanumeric() {
                continue;
            }
            let mut word: String = character.to_lowercase().collect();
            while let Some(next) =
                normalised.next_if(|next| next.is_alphanumeric() && !is_chinese(*next))
            {
                word.extend(next.to_lowercase());
            }
            return Some(Term {
                text: word,
                chinese: false,
            });
        }
    })
}

/// Han characters and Japanese kana: scripts written without spaces.
fn is_chinese(character: char) -> bool {
    matches!(character,
        '\u{3040}'..='\u{30FF}'      // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'    // CJK Extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK Unified Ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK Compatibility Ideographs
        | '\u{20000}'..='\u{3134F}') // CJK Extensions B to G
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(query: &str) -> Vec<Vec<String>> {
        SearchQuery::parse(query)
            .expect("valid")
            .expect("a query")
            .phrases
    }

    fn all_terms(text: &str) -> Vec<String> {
        terms(text).map(|term| term.text).collect()
    }

    #[test]
    fn chinese_is_cut_into_characters_and_other_text_into_lowercase_words() {
        assert_eq!(
            all_terms("什么是RLHF中的Reward-Model?"),
            ["什", "么", "是", "rlhf", "中", "的", "reward", "model"]
        );
        assert_eq!(all_terms("ＲＬＨＦ，café"), ["rlhf", "café"]);
    }

    #[test]
    fn a_short_chinese_word_is_one_phrase_of_its_characters() {
        assert_eq!(phrases("偏见"), [["偏", "见"]]);
        assert_eq!(phrases("梯"), [["梯"]]);
    }

    #[test]
    fn a_long_chinese_run_is_split_into_words() {
        assert_eq!(
            phrases("奖励黑客问题"),
            [vec!["奖", "励"], vec!["黑", "客"], vec!["问", "题"]]
        );
    }

    #[test]
    fn a_quoted_phrase_stays_one_phrase() {
        assert_eq!(
            phrases("\"reward hacking\" 偏见"),
            [vec!["reward", "hacking"], vec!["偏", "见"]]
        );
        assert_eq!(
            phrases("\"奖励黑客问题\""),
            [["奖", "励", "黑", "客", "问", "题"]]
        );
    }

    #[test]
    fn operators_and_stray_quotes_are_literal() {
        assert_eq!(
            phrases("reward OR hacking"),
            [["reward"], ["or"], ["hacking"]]
        );
        assert_eq!(phrases("\"reward hacking"), [["reward"], ["hacking"]]);
        assert_eq!(
            phrases("NEAR(a b) -c ^d e*"),
            [
                vec!["near", "a"],
                vec!["b"],
                vec!["c"],
                vec!["d"],
                vec!["e"]
            ]
        );
        assert_eq!(phrases("gpt-4"), [["gpt", "4"]]);
        assert!(phrases("* - ^ \"").is_empty());
    }

    #[test]
    fn a_filter_asks_for_the_facet_terms_its_questions_are_indexed_with() {
        let question = crate::domain::bank_file::parse(
            crate::domain::bank_file::BUNDLED_BANK,
            std::time::SystemTime::UNIX_EPOCH,
        )
        .expect("bundled bank")
        .remove(0);
        let document = SearchDocument::of(&question);
        let indexed: Vec<&str> = document.facets.split(' ').collect();
        let filter = QuestionFilter::new(
            "llm".into(),
            vec!["bias".into()],
            Some(question.difficulty),
            Some(question.question_type),
            "EN".into(),
        )
        .expect("valid filter");

        let wanted = facet_terms(&filter);

        assert_eq!(wanted.len(), 5);
        assert!(
            wanted.iter().all(|term| indexed.contains(&term.as_str())),
            "{wanted:?} in {indexed:?}"
        );
        assert!(facet_terms(&QuestionFilter::default()).is_empty());
        assert!(
            indexed
                .iter()
                .all(|term| term.chars().all(|c| c.is_ascii_alphanumeric()))
        );
    }

    #[test]
    fn a_blank_query_is_no_query_and_a_long_one_is_refused() {
        assert_eq!(SearchQuery::parse("  "), Ok(None));
        assert_eq!(
            SearchQuery::parse(&"a".repeat(201)).map_err(|error| error.field),
            Err("query".into())
        );
        assert!(SearchQuery::parse(&"字".repeat(200)).is_ok());
    }
}
