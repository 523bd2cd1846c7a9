//! What the bank holds, counted: questions per category (by difficulty and
//! type) and per tag, so callers can see what to ask for before asking.
//! Only live questions count.

use super::question::{Difficulty, QuestionType};

/// The live questions of one category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCount {
    /// The category.
    pub category: String,
    /// How many live questions it has.
    pub question_count: u64,
    /// Non-zero counts by difficulty, easiest first.
    pub difficulties: Vec<(Difficulty, u64)>,
    /// Non-zero counts by type, in [`QuestionType`] order.
    pub types: Vec<(QuestionType, u64)>,
}

/// How many live questions carry one tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    /// The tag.
    pub tag: String,
    /// How many matching live questions carry it.
    pub question_count: u64,
}

/// Folds `(category, difficulty, type, count)` groups, in any order, into
/// one [`CategoryCount`] per category, sorted by name.
pub fn fold_categories(
    groups: impl IntoIterator<Item = (String, Difficulty, QuestionType, u64)>,
) -> Vec<CategoryCount> {
    let mut by_category = std::collections::BTreeMap::<String, CategoryCount>::new();
    for (category, difficulty, question_type, count) in groups {
        let entry = by_category
            .entry(category.clone())
            .or_insert_with(|| CategoryCount {
                category,
                question_count: 0,
                difficulties: Vec::new(),
                types: Vec::new(),
            });
        entry.question_count += count;
        add(&mut entry.difficulties, difficulty, count);
        add(&mut entry.types, question_type, count);
    }
    let mut categories: Vec<CategoryCount> = by_category.into_values().collect();
    for category in &mut categories {
        category
            .difficulties
            .sort_by_key(|(difficulty, _)| Difficulty::ALL.iter().position(|d| d == difficulty));
        category.types.sort_by_key(|(question_type, _)| {
            QuestionType::ALL.iter().position(|t| t == question_type)
        });
    }
    categories
}

fn add<T: PartialEq>(counts: &mut Vec<(T, u64)>, value: T, count: u64) {
    match counts.iter_mut().find(|(seen, _)| *seen == value) {
        Some((_, total)) => *total += count,
        None => counts.push((value, count)),
    }
}

/// Sorts tag counts most used first, ties by name.
pub fn sort_tags(tags: &mut [TagCount]) {
    tags.sort_by(|a, b| {
        b.question_count
            .cmp(&a.question_count)
            .then_with(|| a.tag.cmp(&b.tag))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_fold_into_sorted_categories_with_non_zero_breakdowns() {
        let folded = fold_categories([
            ("nlp".into(), Difficulty::Hard, QuestionType::TrueFalse, 1),
            (
                "llm".into(),
                Difficulty::Hard,
                QuestionType::SingleChoice,
                2,
            ),
            (
                "llm".into(),
                Difficulty::Easy,
                QuestionType::SingleChoice,
                3,
            ),
            ("llm".into(), Difficulty::Easy, QuestionType::TrueFalse, 1),
        ]);

        assert_eq!(
            folded,
            [
                CategoryCount {
                    category: "llm".into(),
                    question_count: 6,
                    difficulties: vec![(Difficulty::Easy, 4), (Difficulty::Hard, 2)],
                    types: vec![
                        (QuestionType::SingleChoice, 5),
                        (QuestionType::TrueFalse, 1)
                    ],
                },
                CategoryCount {
                    category: "nlp".into(),
                    question_count: 1,
                    difficulties: vec![(Difficulty::Hard, 1)],
                    types: vec![(QuestionType::TrueFalse, 1)],
                },
            ]
        );
    }

    #[test]
    fn tags_sort_most_used_first_then_by_name() {
        let tag = |tag: &str, question_count| TagCount {
            tag: tag.into(),
            question_count,
        };
        let mut tags = vec![tag("b", 1), tag("c", 2), tag("a", 1)];

        sort_tags(&mut tags);

        assert_eq!(tags, [tag("c", 2), tag("a", 1), tag("b", 1)]);
    }
}
