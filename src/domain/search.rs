//! Full-text search: how text is cut into the terms an index holds, and what
//! a caller's query asks for.
//!
//! Chinese has no spaces, and its commonest search words are two characters
//! long, so Chinese (and Japanese kana) text is cut into single characters
//! and a Chinese word matches as the phrase of its characters: a one- or
//! two-character word finds exactly the texts that contain it (quoted, so
//! does a longer one; unquoted, a longer run is split into words). Other
//! scripts are cut into words, compared in lower case. Everything else
//! (punctuation, symbols, `"` that closes no phrase) only separates terms,
//! so no character of a query is an operator. Both the index and the query
//! go through [`terms`], which is what makes them agree; a storage backend
//! only stores and matches the terms.

use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization as _;

use super::{
    limits,
    listing::QuestionFilter,
    validation::{FieldError, check_length},
};

/// A ListQuestions query: phrases that must all match, each a sequence of
/// terms that must appear next to each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
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
                let phrase: Vec<String> = terms(part).collect();
                if !phrase.is_empty() {
                    phrases.push(phrase);
                }
            } else {
                for word in part.split_whitespace() {
                    phrases.extend(word_phrases(word));
                }
            }
        }
        Ok(Some(Self { phrases }))
    }

    /// The phrases that must all match. Empty when the query holds no term
    /// at all (only punctuation): it then matches nothing.
    pub fn phrases(&self) -> &[Vec<String>] {
        &self.phrases
    }
}

/// Bytes that tell searches apart by what decides their matches and their
/// order: whether explanations match, the filter, and the query's phrases
/// (not its spelling: `a  b` and `a b` are one search). Each part is
/// length-prefixed, so no two searches share them.
pub fn search_key(filter: &QuestionFilter, query: &SearchQuery, explanations: bool) -> Vec<u8> {
    let mut key = vec![u8::from(explanations)];
    let mut part = |bytes: &[u8]| {
        key.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        key.extend_from_slice(bytes);
    };
    part(&filter.canonical_bytes());
    for phrase in &query.phrases {
        part(&phrase.len().to_be_bytes());
        for term in phrase {
            part(term.as_bytes());
        }
    }
    key
}

/// The terms of `text` as an index stores them, in order.
pub fn terms(text: &str) -> impl Iterator<Item = String> {
    classified_terms(text).map(|term| term.text)
}

/// The phrases one space-separated word of a query asks for. A run of Han
/// characters longer than two is split into words by a segmenter, each its
/// own phrase, so `奖励黑客问题` finds texts that contain 奖励, 黑客 and 问题
/// (quoted, it must appear whole); a run with kana, or of other terms joined
/// by punctuation (`gpt-4`), is one phrase.
fn word_phrases(word: &str) -> Vec<Vec<String>> {
    let mut phrases = Vec::new();
    let mut run: Vec<Term> = Vec::new();
    let mut flush = |run: &mut Vec<Term>| {
        let Some(first) = run.first() else {
            return;
        };
        let han = run.iter().all(|term| !is_kana(&term.text));
        if first.chinese && han && run.len() > 2 {
            let chinese: String = run.iter().map(|term| term.text.as_str()).collect();
            for segment in segmenter().cut(&chinese, false) {
                phrases.push(segment.word.chars().map(String::from).collect());
            }
        } else {
            phrases.push(run.iter().map(|term| term.text.clone()).collect());
        }
        run.clear();
    };
    for term in classified_terms(word) {
        if run.last().is_some_and(|last| last.chinese != term.chinese) {
            flush(&mut run);
        }
        run.push(term);
    }
    flush(&mut run);
    phrases
}

/// jieba's dictionary, loaded on first use: its memory and load time
/// (BENCHMARKS.md) are only worth paying on servers searched in Chinese.
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
fn classified_terms(text: &str) -> impl Iterator<Item = Term> {
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

/// Whether a one-character term is Japanese kana.
fn is_kana(term: &str) -> bool {
    term.chars()
        .all(|character| matches!(character, '\u{3040}'..='\u{30FF}'))
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
        terms(text).collect()
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
    fn kana_stays_one_phrase() {
        assert_eq!(phrases("トークン"), [["ト", "ー", "ク", "ン"]]);
    }

    #[test]
    fn searches_differ_by_phrases_not_spelling() {
        let key = |text: &str, explanations| {
            let query = SearchQuery::parse(text).expect("valid").expect("a query");
            search_key(&QuestionFilter::default(), &query, explanations)
        };
        assert_eq!(key("reward  model", false), key(" reward model", false));
        assert_ne!(key("reward model", false), key("\"reward model\"", false));
        assert_ne!(key("reward model", false), key("reward model", true));
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
