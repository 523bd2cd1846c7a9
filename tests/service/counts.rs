//! ListCategories and ListTags: what the bank holds, counted over live
//! questions, following every write at once (and another process's within a
//! second).

use std::time::{Duration, Instant};

use qbank::pb;

use crate::{
    authoring::new_question,
    support::{TestApp, expect_invalid_field, spawn_app},
};

impl TestApp {
    async fn categories(&self, language: &str) -> Vec<pb::CategoryCount> {
        self.client
            .clone()
            .list_categories(pb::ListCategoriesRequest {
                language: language.into(),
            })
            .await
            .expect("ListCategories")
            .into_inner()
            .categories
    }

    async fn tags(&self, category: &str, language: &str) -> Vec<(String, i32)> {
        self.client
            .clone()
            .list_tags(pb::ListTagsRequest {
                category: category.into(),
                language: language.into(),
            })
            .await
            .expect("ListTags")
            .into_inner()
            .tags
            .into_iter()
            .map(|tag| (tag.tag, tag.question_count))
            .collect()
    }

    /// Every live question, whole.
    async fn every_question(&self) -> Vec<pb::Question> {
        self.list(pb::ListQuestionsRequest {
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("list")
        .questions
    }
}

fn category_names(categories: &[pb::CategoryCount]) -> Vec<(&str, i32)> {
    categories
        .iter()
        .map(|category| (category.category.as_str(), category.question_count))
        .collect()
}

#[tokio::test]
async fn the_bundled_bank_counts_ten_llm_questions_by_difficulty_and_type() {
    let app = spawn_app().await;
    let questions = app.every_question().await;
    let with = |keep: &dyn Fn(&pb::Question) -> bool| {
        i32::try_from(questions.iter().filter(|q| keep(q)).count()).expect("small")
    };

    let categories = app.categories("").await;

    assert_eq!(category_names(&categories), [("llm", 10)]);
    let llm = &categories[0];
    let expected_difficulties: Vec<(i32, i32)> = [
        pb::Difficulty::Easy,
        pb::Difficulty::Medium,
        pb::Difficulty::Hard,
    ]
    .into_iter()
    .map(|difficulty| {
        (
            difficulty as i32,
            with(&|q| q.difficulty == difficulty as i32),
        )
    })
    .filter(|(_, count)| *count > 0)
    .collect();
    let difficulties: Vec<(i32, i32)> = llm
        .difficulties
        .iter()
        .map(|d| (d.difficulty, d.question_count))
        .collect();
    assert_eq!(difficulties, expected_difficulties);
    let types: Vec<(i32, i32)> = llm
        .types
        .iter()
        .map(|t| (t.r#type, t.question_count))
        .collect();
    let expected_types: Vec<(i32, i32)> = [
        pb::QuestionType::SingleChoice,
        pb::QuestionType::MultipleChoice,
        pb::QuestionType::TrueFalse,
    ]
    .into_iter()
    .map(|question_type| {
        (
            question_type as i32,
            with(&|q| q.r#type == question_type as i32),
        )
    })
    .filter(|(_, count)| *count > 0)
    .collect();
    assert_eq!(types, expected_types);
}

#[tokio::test]
async fn tags_come_most_used_first_then_by_name() {
    let app = spawn_app().await;
    let mut expected: Vec<(String, i32)> = Vec::new();
    for question in app.every_question().await {
        for tag in question.tags {
            match expected.iter_mut().find(|(seen, _)| *seen == tag) {
                Some((_, count)) => *count += 1,
                None => expected.push((tag, 1)),
            }
        }
    }
    expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let tags = app.tags("", "").await;

    assert_eq!(tags, expected);
    assert_eq!(tags[..2], [("alignment".into(), 2), ("rlhf".into(), 2)]);
    assert_eq!(app.tags("llm", "").await, expected);
    assert!(app.tags("nlp", "").await.is_empty());
}

#[tokio::test]
async fn counts_filter_by_language_originals_and_translations_alike() {
    let app = spawn_app().await;

    assert_eq!(
        category_names(&app.categories("zh-CN").await),
        [("llm", 10)]
    );
    assert_eq!(category_names(&app.categories("en").await), [("llm", 10)]);
    assert!(app.categories("fr").await.is_empty());
    assert_eq!(app.tags("", "EN").await, app.tags("", "").await);
    assert!(app.tags("llm", "fr").await.is_empty());
}

#[tokio::test]
async fn counts_follow_create_category_change_and_delete_at_once() {
    let app = spawn_app().await;
    app.categories("").await;
    app.tags("", "").await;

    let created = app
        .create(
            "q-nlp",
            pb::Question {
                category: "nlp".into(),
                tags: vec!["rlhf".into(), "zz-new".into()],
                ..new_question()
            },
        )
        .await
        .expect("created");
    assert_eq!(
        category_names(&app.categories("").await),
        [("llm", 10), ("nlp", 1)]
    );
    assert_eq!(app.tags("", "").await[0], ("rlhf".into(), 3));
    assert_eq!(
        app.tags("nlp", "").await,
        [("rlhf".into(), 1), ("zz-new".into(), 1)]
    );

    app.update(
        pb::Question {
            id: "q-nlp".into(),
            category: "llm".into(),
            ..Default::default()
        },
        &["category"],
        created.revision,
    )
    .await
    .expect("moved");
    assert_eq!(category_names(&app.categories("").await), [("llm", 11)]);
    assert!(app.tags("nlp", "").await.is_empty());
    assert_eq!(app.tags("llm", "").await[0], ("rlhf".into(), 3));

    app.delete("q-nlp", 0).await.expect("deleted");
    app.delete("llm-001", 0).await.expect("deleted");
    assert_eq!(category_names(&app.categories("").await), [("llm", 9)]);
    let tags = app.tags("", "").await;
    assert!(
        tags.iter().all(|(tag, _)| tag != "zz-new" && tag != "bias"),
        "{tags:?}"
    );
}

#[tokio::test]
async fn counts_follow_another_process_s_writes_within_a_second() {
    let app = spawn_app().await;
    assert_eq!(category_names(&app.categories("").await), [("llm", 10)]);
    let other = app.store();

    other
        .change_question(qbank::store::QuestionChange::Delete {
            id: "llm-002".into(),
            expected_revision: 0,
            now: std::time::SystemTime::now(),
        })
        .await
        .expect("stored")
        .expect("deleted");

    let started = Instant::now();
    while category_names(&app.categories("").await) != [("llm", 9)] {
        assert!(started.elapsed() < Duration::from_secs(1), "still stale");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn malformed_count_filters_are_invalid_arguments() {
    let app = spawn_app().await;

    let categories = app
        .client
        .clone()
        .list_categories(pb::ListCategoriesRequest {
            language: "zh CN".into(),
        })
        .await;
    let tags = app
        .client
        .clone()
        .list_tags(pb::ListTagsRequest {
            category: "a\tb".into(),
            language: String::new(),
        })
        .await;

    expect_invalid_field(categories, "language");
    expect_invalid_field(tags, "category");
}

#[tokio::test]
async fn categories_differing_only_in_case_are_counted_apart() {
    let app = spawn_app().await;

    let lower = app.tags("llm", "").await;
    let upper = app.tags("LLM", "").await;
    let lower_again = app.tags("llm", "").await;

    assert!(!lower.is_empty());
    assert!(upper.is_empty(), "{upper:?}");
    assert_eq!(lower_again, lower);
}
