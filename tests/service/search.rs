//! Full-text search (ListQuestionsRequest.query): Chinese by characters,
//! English by words, phrases, literal operators, relevance order and paging,
//! explanations only for FULL-view callers, and the index following every
//! write.

use qbank::pb;
use tonic::Status;

use crate::{
    authoring::{authorised, new_question},
    support::{TestApp, expect_invalid_field, spawn_app},
};

impl TestApp {
    /// One page of a search in the BASIC view.
    async fn search(&self, query: &str) -> Result<pb::ListQuestionsResponse, Status> {
        self.list(pb::ListQuestionsRequest {
            query: query.into(),
            page_size: 100,
            ..Default::default()
        })
        .await
    }

    /// One page of a search in the FULL view.
    async fn search_full(&self, query: &str) -> Result<pb::ListQuestionsResponse, Status> {
        self.client
            .clone()
            .list_questions(authorised(pb::ListQuestionsRequest {
                query: query.into(),
                page_size: 100,
                view: pb::QuestionView::Full.into(),
                ..Default::default()
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// The ids a BASIC search finds, in the order found.
    async fn found(&self, query: &str) -> Vec<String> {
        ids(&self.search(query).await.expect("search"))
    }

    /// The ids of the bundled questions whose text contains `text`: stems
    /// and choices in every language, explanations too when
    /// `with_explanations`. What a substring search would find.
    async fn containing(&self, text: &str, with_explanations: bool) -> Vec<String> {
        let mut found = Vec::new();
        for number in 1..=10 {
            let id = format!("llm-{number:03}");
            let question = self.get_full(&id).await.expect("full view");
            let mut texts = vec![question.stem.clone()];
            texts.extend(question.choices.iter().map(|c| c.text.clone()));
            for translation in &question.translations {
                texts.push(translation.stem.clone());
                texts.extend(translation.choices.iter().map(|c| c.text.clone()));
                if with_explanations {
                    texts.push(translation.explanation.clone());
                }
            }
            if with_explanations {
                texts.extend(question.answer.iter().map(|a| a.explanation.clone()));
            }
            if texts.iter().any(|t| t.to_lowercase().contains(text)) {
                found.push(id);
            }
        }
        found
    }
}

fn ids(page: &pb::ListQuestionsResponse) -> Vec<String> {
    page.questions.iter().map(|q| q.id.clone()).collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn a_two_character_chinese_word_finds_the_questions_that_contain_it() {
    let app = spawn_app().await;

    assert_eq!(app.found("偏见").await, ["llm-001"]);
    for word in ["梯度", "模型", "训练"] {
        let expected = app.containing(word, false).await;
        assert!(!expected.is_empty(), "{word} is in the bank");
        assert_eq!(sorted(app.found(word).await), expected, "{word}");
    }
}

#[tokio::test]
async fn a_one_character_chinese_query_works_too() {
    let app = spawn_app().await;

    for character in ["梯", "偏", "型"] {
        let expected = app.containing(character, false).await;
        assert!(!expected.is_empty(), "{character} is in the bank");
        assert_eq!(sorted(app.found(character).await), expected, "{character}");
    }
}

#[tokio::test]
async fn a_chinese_word_that_is_not_in_the_bank_finds_nothing() {
    let app = spawn_app().await;

    let page = app.search("熊猫").await.expect("search");

    assert!(page.questions.is_empty());
    assert_eq!(page.total_size, 0);
    assert!(page.next_page_token.is_empty());
}

#[tokio::test]
async fn english_matches_whole_words_ignoring_case() {
    let app = spawn_app().await;

    assert_eq!(
        app.found("reward").await,
        app.containing("reward", false).await
    );
    assert_eq!(app.found("REWARD Hacking").await, ["llm-004"]);
    assert!(app.found("rewar").await.is_empty(), "a word, not a prefix");
    assert!(
        app.found("reward zebra").await.is_empty(),
        "every term matches"
    );
}

#[tokio::test]
async fn a_quoted_phrase_matches_its_words_in_order() {
    let app = spawn_app().await;

    assert_eq!(app.found("\"prompt calibration\"").await, ["llm-001"]);
    assert!(app.found("\"calibration prompt\"").await.is_empty());
    assert_eq!(
        app.found("\"奖励黑客\"").await,
        app.containing("奖励黑客", false).await
    );
}

#[tokio::test]
async fn operators_and_special_characters_are_literal_and_never_an_error() {
    let app = spawn_app().await;
    let bias = app.found("bias").await;

    for query in [
        "bias*", "-bias", "^bias", "bias\"", "\"bias", "(bias)", "bias:",
    ] {
        assert_eq!(app.found(query).await, bias, "{query}");
    }
    // OR and NEAR are words to look for, not operators.
    assert!(app.found("bias OR zebra").await.is_empty());
    assert!(app.found("NEAR(bias zebra)").await.is_empty());
    for query in [
        "*",
        "-",
        "\"",
        "^",
        "OR",
        "NEAR",
        "AND",
        "\"\"",
        "{shown}:x",
        "'",
    ] {
        let page = app.search(query).await;
        assert!(page.is_ok(), "{query}: {page:?}");
    }
}

#[tokio::test]
async fn a_search_combines_with_the_filters() {
    let app = spawn_app().await;
    let created = app
        .create("q-layer", new_question())
        .await
        .expect("created");

    let in_llm = |category: &str, tags: &[&str]| pb::ListQuestionsRequest {
        query: "layernorm".into(),
        category: category.into(),
        tags: tags.iter().map(|tag| (*tag).into()).collect(),
        ..Default::default()
    };
    let hit = app
        .list(in_llm("llm", &["architecture"]))
        .await
        .expect("search");
    let other_category = app.list(in_llm("nlp", &[])).await.expect("search");
    let other_tag = app.list(in_llm("llm", &["rlhf"])).await.expect("search");

    assert_eq!(ids(&hit), [created.id]);
    assert_eq!(hit.total_size, 1);
    assert!(other_category.questions.is_empty());
    assert!(other_tag.questions.is_empty());
}

#[tokio::test]
async fn only_full_view_searches_match_explanations() {
    let app = spawn_app().await;

    let basic = app.found("梯度").await;
    let full = ids(&app.search_full("梯度").await.expect("search"));

    assert_eq!(basic, ["llm-001"]);
    assert_eq!(sorted(full), app.containing("梯度", true).await);
    assert!(
        app.containing("梯度", true)
            .await
            .contains(&"llm-010".to_owned())
    );
}

/// Questions about "quokka": `stem_mentions` times in a stem of otherwise
/// the same length.
fn quokka_question(stem_mentions: usize) -> pb::Question {
    let words: Vec<&str> = (0..6)
        .map(|index| {
            if index < stem_mentions {
                "quokka"
            } else {
                "animal"
            }
        })
        .collect();
    pb::Question {
        stem: format!("Which {}?", words.join(" ")),
        ..new_question()
    }
}

#[tokio::test]
async fn results_come_best_match_first_with_ties_in_id_order_and_page_with_tokens() {
    let app = spawn_app().await;
    for (id, mentions) in [("q-c", 1), ("q-a", 3), ("q-d", 1), ("q-b", 1), ("q-e", 2)] {
        app.create(id, quokka_question(mentions))
            .await
            .expect("created");
    }

    let whole = app.search("quokka").await.expect("search");
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .list(pb::ListQuestionsRequest {
                query: "quokka".into(),
                page_size: 2,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("a page");
        assert_eq!(page.total_size, 5);
        paged.extend(ids(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }

    assert_eq!(ids(&whole), ["q-a", "q-e", "q-b", "q-c", "q-d"]);
    assert_eq!(whole.total_size, 5);
    assert_eq!(paged, ids(&whole));
}

#[tokio::test]
async fn a_page_token_only_continues_the_search_it_came_from() {
    let app = spawn_app().await;
    let first = app
        .list(pb::ListQuestionsRequest {
            query: "模型".into(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("first page");
    assert!(!first.next_page_token.is_empty());

    let other_query = app
        .list(pb::ListQuestionsRequest {
            query: "训练".into(),
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await;
    let no_query = app
        .list(pb::ListQuestionsRequest {
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await;

    expect_invalid_field(other_query, "page_token");
    expect_invalid_field(no_query, "page_token");
}

#[tokio::test]
async fn a_query_longer_than_200_characters_is_refused() {
    let app = spawn_app().await;

    let long = app.search(&"模".repeat(201)).await;
    let longest = app.search(&"模".repeat(200)).await;

    expect_invalid_field(long, "query");
    assert!(longest.is_ok(), "{longest:?}");
}

#[tokio::test]
async fn the_index_follows_create_update_translation_and_delete() {
    let app = spawn_app().await;
    let created = app
        .create("q-wombat", quokka_question(1))
        .await
        .expect("created");
    assert_eq!(app.found("quokka").await, ["q-wombat"]);

    let renamed = app
        .update(
            pb::Question {
                id: "q-wombat".into(),
                stem: "Which wombat?".into(),
                ..Default::default()
            },
            &["stem"],
            created.revision,
        )
        .await
        .expect("updated");
    assert!(app.found("quokka").await.is_empty());
    assert_eq!(app.found("wombat").await, ["q-wombat"]);

    let mut translated = pb::QuestionTranslation {
        language: "zh".into(),
        stem: "哪只袋熊?".into(),
        choices: new_question().choices,
        explanation: "因为".into(),
    };
    translated.choices[0].text = "层归一化".into();
    app.update(
        pb::Question {
            id: "q-wombat".into(),
            translations: vec![translated],
            ..Default::default()
        },
        &["translations"],
        renamed.revision,
    )
    .await
    .expect("translated");
    assert_eq!(app.found("袋熊").await, ["q-wombat"]);
    assert_eq!(app.found("归一化").await, ["q-wombat"]);

    app.delete("q-wombat", 0).await.expect("deleted");
    assert!(app.found("wombat").await.is_empty());
    assert!(app.found("袋熊").await.is_empty());

    app.undelete("q-wombat").await.expect("restored");
    assert_eq!(app.found("袋熊").await, ["q-wombat"]);
}

#[tokio::test]
async fn the_index_survives_a_restart() {
    let app = spawn_app().await;
    app.create("q-wombat", quokka_question(1))
        .await
        .expect("created");

    let app = app.restart().await;

    assert_eq!(app.found("quokka").await, ["q-wombat"]);
    assert_eq!(app.found("偏见").await, ["llm-001"]);
}

#[tokio::test]
async fn a_question_changed_in_the_sqlite_shell_is_indexed_again_at_the_next_start() {
    let app = spawn_app().await;
    let shell = rusqlite::Connection::open(&app.db_path).expect("a connection of its own");
    shell
        .execute(
            "UPDATE questions SET stem = 'Which numbat?' WHERE id = 'llm-001'",
            [],
        )
        .expect("change a question");
    drop(shell);

    let app = app.restart().await;

    assert_eq!(app.found("numbat").await, ["llm-001"]);
}

#[tokio::test]
async fn paging_a_search_past_its_kept_best_matches_continues_in_order() {
    let app = crate::support::spawn_app_with_generated_bank(1_200).await;
    let search = |page_token: String, category: &str| pb::ListQuestionsRequest {
        query: "question".into(),
        category: category.into(),
        page_size: 100,
        page_token,
        ..Default::default()
    };

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = app.list(search(token, "")).await.expect("a page");
        assert_eq!(page.total_size, 1_200);
        seen.extend(ids(&page));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let in_llm = app
        .list(search(String::new(), "llm"))
        .await
        .expect("search");

    // Every question once: none repeated or skipped where the pages leave
    // the best matches kept in memory (the first 500) for the index.
    let expected: Vec<String> = (1..=1_200).map(|n| format!("q-{n:04}")).collect();
    assert_eq!(seen.len(), 1_200);
    assert!(sorted(seen) == expected, "a question repeated or skipped");
    assert_eq!(in_llm.total_size, 400);
    assert!(in_llm.questions.iter().all(|q| q.category == "llm"));
}

#[tokio::test]
async fn a_phrase_never_spans_two_texts_of_a_question() {
    let app = spawn_app().await;
    let mut question = new_question();
    question.stem = "这是哪一种偏?".into();
    question.choices[0].text = "见解".into();
    question.choices[1].text = "reward".into();
    question.answer = Some(pb::AnswerKey {
        correct_choice_keys: vec!["A".into()],
        explanation: "hacking 解释".into(),
    });
    app.create("q-apart", question).await.expect("created");

    assert!(!app.found("偏见").await.contains(&"q-apart".to_owned()));
    assert!(app.found("\"layernorm reward\"").await.is_empty());
    assert_eq!(app.found("见解").await, ["q-apart"]);
}
