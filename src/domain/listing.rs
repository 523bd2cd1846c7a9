//! What a ListQuestions call asks for: filters and the page size rules.

use super::{
    limits,
    question::{Difficulty, QuestionType},
    validation::{FieldError, check_identifier},
};

/// Page size when the caller asks for 0.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Larger requests are served this many questions, not rejected.
pub const MAX_PAGE_SIZE: usize = 100;

/// Which questions to list. Every set field must match (AND); unset fields
/// match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuestionFilter {
    /// Only this category.
    pub category: Option<String>,
    /// Only questions carrying all of these tags; sorted and distinct.
    pub tags: Vec<String>,
    /// Only this difficulty.
    pub difficulty: Option<Difficulty>,
    /// Only this type.
    pub question_type: Option<QuestionType>,
    /// Only this language, compared case-insensitively.
    pub language: Option<String>,
}

impl QuestionFilter {
    /// Validates the filter fields; empty strings mean "no filter".
    pub fn new(
        category: String,
        tags: Vec<String>,
        difficulty: Option<Difficulty>,
        question_type: Option<QuestionType>,
        language: String,
    ) -> Result<Self, FieldError> {
        let category = non_empty(category);
        if let Some(category) = &category {
            check_identifier("category", category, limits::CATEGORY_MAX_CHARS)?;
        }
        let language = non_empty(language);
        if let Some(language) = &language {
            check_identifier("language", language, limits::LANGUAGE_MAX_CHARS)?;
        }
        if tags.len() > limits::FILTER_TAGS_MAX {
            return Err(FieldError::new(
                "tags",
                format!("at most {} tags are allowed", limits::FILTER_TAGS_MAX),
            ));
        }
        for (index, tag) in tags.iter().enumerate() {
            check_identifier(&format!("tags[{index}]"), tag, limits::TAG_MAX_CHARS)?;
        }
        // "Carries all of these tags" is a set question: order and repeats do
        // not change the answer, so they must not change the page token either.
        let mut tags = tags;
        tags.sort();
        tags.dedup();
        Ok(Self {
            category,
            tags,
            difficulty,
            question_type,
            language,
        })
    }

    /// A canonical byte encoding: equal filters, and only those, encode equally.
    /// Page tokens carry its digest so a token cannot be used with other filters.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let mut field = |value: &str| {
            // Length-prefixed, so ("ab","c") and ("a","bc") differ.
            bytes.extend_from_slice(&(value.len() as u64).to_be_bytes());
            bytes.extend_from_slice(value.as_bytes());
        };
        field(self.category.as_deref().unwrap_or(""));
        field(&self.tags.len().to_string());
        for tag in &self.tags {
            field(tag);
        }
        field(self.difficulty.map_or("", Difficulty::as_str));
        field(self.question_type.map_or("", QuestionType::as_str));
        field(&self.language.as_deref().unwrap_or("").to_ascii_lowercase());
        bytes
    }
}

/// Applies the page size rules: 0 means the default, anything above the
/// maximum is served the maximum, negative is an error.
pub fn page_size(requested: i32) -> Result<usize, FieldError> {
    match usize::try_from(requested) {
        Err(_) => Err(FieldError::new("page_size", "must not be negative")),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
    }
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(tags: &[&str]) -> QuestionFilter {
        QuestionFilter::new(
            String::new(),
            tags.iter().map(|tag| (*tag).into()).collect(),
            None,
            None,
            String::new(),
        )
        .expect("valid filter")
    }

    #[test]
    fn page_size_zero_means_twenty_and_large_sizes_are_capped() {
        assert_eq!(page_size(0), Ok(20));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(1_000), Ok(100));
        assert_eq!(page_size(-1).map_err(|e| e.field), Err("page_size".into()));
    }

    #[test]
    fn tag_order_and_repeats_do_not_change_the_filter() {
        assert_eq!(filter(&["b", "a", "b"]), filter(&["a", "b"]));
        assert_eq!(
            filter(&["b", "a"]).canonical_bytes(),
            filter(&["a", "b"]).canonical_bytes()
        );
    }

    #[test]
    fn different_filters_encode_differently() {
        assert_ne!(
            filter(&["ab"]).canonical_bytes(),
            filter(&["a", "b"]).canonical_bytes()
        );
        let by_category = QuestionFilter {
            category: Some("a".into()),
            ..QuestionFilter::default()
        };
        let by_language = QuestionFilter {
            language: Some("a".into()),
            ..QuestionFilter::default()
        };
        assert_ne!(by_category.canonical_bytes(), by_language.canonical_bytes());
    }
}
