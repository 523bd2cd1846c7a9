//! What the search index holds of a question: its text cut into terms
//! (`domain::search`), in the columns a search matches, and its listing
//! facets (category, tags, difficulty, type, languages) as terms of their
//! own, so a search with filters is one lookup in the index instead of a
//! walk of its matches. The layout every backend stores.

use crate::domain::{listing::QuestionFilter, question::Question, search::terms};

/// Written between two texts of a column, so that no phrase matches across
/// them (a stem ending in 偏 and a choice starting with 见 do not make 偏见).
/// A private-use character: [`terms`] never yields it, so no query term
/// equals it.
const TEXT_BOUNDARY: &str = "\u{E000}";

/// A question as the index holds it, in terms separated by spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SearchDocument {
    /// The facets a listing filters on, as [`facet_terms`] spells them.
    pub(super) facets: String,
    /// Stems and choice texts in every language: what any caller may match.
    pub(super) shown: String,
    /// Explanations in every language: matched for FULL-view callers only.
    pub(super) explained: String,
}

impl SearchDocument {
    /// What the index holds of `question`.
    pub(super) fn of(question: &Question) -> Self {
        let mut shown = Vec::new();
        let mut explained = Vec::new();
        shown.push(column_text(&question.stem));
        shown.extend(
            question
                .choices
                .iter()
                .map(|choice| column_text(&choice.text)),
        );
        explained.push(column_text(&question.answer.explanation));
        for translation in &question.translations {
            shown.push(column_text(&translation.stem));
            shown.extend(
                translation
                    .choices
                    .iter()
                    .map(|choice| column_text(&choice.text)),
            );
            explained.push(column_text(&translation.explanation));
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
        let separator = format!(" {TEXT_BOUNDARY} ");
        Self {
            facets: facets.join(" "),
            shown: shown.join(&separator),
            explained: explained.join(&separator),
        }
    }
}

/// One text's terms, separated by spaces.
fn column_text(text: &str) -> String {
    terms(text).collect::<Vec<_>>().join(" ")
}

/// The facet terms a question must all have to pass `filter`.
pub(super) fn facet_terms(filter: &QuestionFilter) -> Vec<String> {
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
/// in hex, so any value (`vector-store`, `提示`) is one term of ASCII letters
/// and digits. A facet term may well equal a text term (`c6c6c6d` is a word
/// someone could type); they never meet because facets have a column of
/// their own, which query phrases never search.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn bundled_question() -> Question {
        crate::domain::bank_file::parse(
            crate::domain::bank_file::BUNDLED_BANK,
            std::time::SystemTime::UNIX_EPOCH,
        )
        .expect("bundled bank")
        .remove(0)
    }

    #[test]
    fn a_filter_asks_for_the_facet_terms_its_questions_are_indexed_with() {
        let question = bundled_question();
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
    fn texts_of_a_column_are_kept_apart() {
        let mut question = bundled_question();
        question.stem = "有偏".into();
        question.choices[0].text = "见解".into();

        let shown = SearchDocument::of(&question).shown;

        assert!(
            shown.starts_with(&format!("有 偏 {TEXT_BOUNDARY} 见 解")),
            "{shown}"
        );
    }
}
