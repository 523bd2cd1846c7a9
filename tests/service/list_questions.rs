//! ListQuestions: ordering, page sizes, keyset page tokens, filters and views.

use qbank::pb;
use tonic::Code;

use crate::support::{
    ADMIN_TOKEN, expect_code, expect_invalid_field, spawn_app, spawn_app_with_generated_bank,
    with_token,
};

fn ids(response: &pb::ListQuestionsResponse) -> Vec<&str> {
    response.questions.iter().map(|q| q.id.as_str()).collect()
}

fn page(page_size: i32, page_token: &str) -> pb::ListQuestionsRequest {
    pb::ListQuestionsRequest {
        page_size,
        page_token: page_token.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn list_returns_the_bank_in_id_order_with_its_total_size() {
    let app = spawn_app().await;

    let response = app.list(page(0, "")).await.expect("list");

    let expected: Vec<String> = (1..=10).map(|n| format!("llm-{n:03}")).collect();
    assert_eq!(ids(&response), expected);
    assert_eq!(response.total_size, 10);
    assert_eq!(response.next_page_token, "");
}

#[tokio::test]
async fn page_size_zero_means_twenty() {
    let app = spawn_app_with_generated_bank(150).await;

    let response = app.list(page(0, "")).await.expect("list");

    assert_eq!(response.questions.len(), 20);
    assert_eq!(response.total_size, 150);
}

#[tokio::test]
async fn page_sizes_above_a_hundred_are_served_a_hundred() {
    let app = spawn_app_with_generated_bank(150).await;

    let response = app.list(page(1_000, "")).await.expect("list");

    assert_eq!(response.questions.len(), 100);
    assert_ne!(response.next_page_token, "");
}

#[tokio::test]
async fn a_negative_page_size_is_invalid_argument() {
    let app = spawn_app().await;

    expect_invalid_field(app.list(page(-1, "")).await, "page_size");
}

#[tokio::test]
async fn following_next_page_token_visits_every_question_once_in_order() {
    let app = spawn_app_with_generated_bank(45).await;
    let mut seen = Vec::new();
    let mut token = String::new();

    loop {
        let response = app.list(page(10, &token)).await.expect("page");
        assert_eq!(response.total_size, 45);
        seen.extend(ids(&response).into_iter().map(str::to_owned));
        if response.next_page_token.is_empty() {
            break;
        }
        token = response.next_page_token;
    }

    let expected: Vec<String> = (1..=45).map(|n| format!("q-{n:04}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_token_is_empty_only_on_the_last_page_even_when_it_is_full() {
    let app = spawn_app_with_generated_bank(20).await;

    let first = app.list(page(10, "")).await.expect("first page");
    let second = app
        .list(page(10, &first.next_page_token))
        .await
        .expect("second page");

    assert_ne!(first.next_page_token, "");
    assert_eq!(second.questions.len(), 10);
    assert_eq!(second.next_page_token, "");
}

#[tokio::test]
async fn a_garbage_page_token_is_invalid_argument() {
    let app = spawn_app().await;

    expect_invalid_field(app.list(page(5, "not-a-token")).await, "page_token");
}

#[tokio::test]
async fn a_tampered_page_token_is_invalid_argument() {
    let app = spawn_app().await;
    let token = app
        .list(page(3, ""))
        .await
        .expect("first page")
        .next_page_token;
    // Change one character in the middle, where the position is encoded.
    let mut tampered: Vec<char> = token.chars().collect();
    let middle = tampered.len() / 2;
    tampered[middle] = if tampered[middle] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();

    expect_invalid_field(app.list(page(3, &tampered)).await, "page_token");
}

#[tokio::test]
async fn a_page_token_from_another_filter_is_invalid_argument() {
    let app = spawn_app_with_generated_bank(30).await;
    let by_math = pb::ListQuestionsRequest {
        page_size: 2,
        category: "math".into(),
        ..Default::default()
    };
    let token = app.list(by_math).await.expect("first page").next_page_token;

    let by_history = pb::ListQuestionsRequest {
        page_size: 2,
        category: "history".into(),
        page_token: token,
        ..Default::default()
    };
    let status = expect_invalid_field(app.list(by_history).await, "page_token");
    assert!(
        status.message().contains("different filters"),
        "{}",
        status.message()
    );
}

#[tokio::test]
async fn a_page_token_stays_valid_across_a_restart() {
    let app = spawn_app().await;
    let token = app
        .list(page(4, ""))
        .await
        .expect("first page")
        .next_page_token;

    let app = app.restart().await;
    let second = app
        .list(page(4, &token))
        .await
        .expect("second page after restart");

    assert_eq!(ids(&second), ["llm-005", "llm-006", "llm-007", "llm-008"]);
}

#[tokio::test]
async fn filters_combine_with_and() {
    let app = spawn_app_with_generated_bank(120).await;
    let request = pb::ListQuestionsRequest {
        page_size: 100,
        category: "math".into(),
        tags: vec!["every-2".into()],
        difficulty: pb::Difficulty::Medium.into(),
        r#type: pb::QuestionType::SingleChoice.into(),
        language: "en".into(),
        ..Default::default()
    };

    let response = app.list(request).await.expect("list");

    // The generator: category math when n % 3 == 0, medium when (n / 3) % 3 == 1,
    // single choice when n % 4 is 2 or 3, English and every-2 when n is even.
    let expected: Vec<String> = (1..=120)
        .filter(|n| n % 3 == 0 && (n / 3) % 3 == 1 && n % 4 == 2 && n % 2 == 0)
        .map(|n| format!("q-{n:04}"))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(ids(&response), expected);
    assert_eq!(response.total_size as usize, expected.len());
}

#[tokio::test]
async fn paging_a_category_and_tag_visits_each_match_once_in_order() {
    let app = spawn_app_with_generated_bank(200).await;
    let filtered = |page_token: String| pb::ListQuestionsRequest {
        page_size: 7,
        page_token,
        category: "llm".into(),
        tags: vec!["every-5".into()],
        ..Default::default()
    };
    // The generator: category llm when n % 3 == 2, every-5 when 5 divides n.
    let expected: Vec<String> = (1..=200)
        .filter(|n| n % 3 == 2 && n % 5 == 0)
        .map(|n| format!("q-{n:04}"))
        .collect();
    let mut seen = Vec::new();
    let mut token = String::new();

    loop {
        let response = app.list(filtered(token)).await.expect("page");
        assert_eq!(response.total_size as usize, expected.len());
        seen.extend(ids(&response).into_iter().map(str::to_owned));
        if response.next_page_token.is_empty() {
            break;
        }
        token = response.next_page_token;
    }

    assert_eq!(seen, expected);
}

#[tokio::test]
async fn a_question_must_carry_every_requested_tag() {
    let app = spawn_app_with_generated_bank(30).await;
    let request = pb::ListQuestionsRequest {
        tags: vec!["every-3".into(), "every-2".into()],
        ..Default::default()
    };

    let response = app.list(request).await.expect("list");

    assert_eq!(
        ids(&response),
        ["q-0006", "q-0012", "q-0018", "q-0024", "q-0030"]
    );
}

#[tokio::test]
async fn the_language_filter_ignores_case() {
    let app = spawn_app().await;
    let request = pb::ListQuestionsRequest {
        language: "ZH-cn".into(),
        ..Default::default()
    };

    let response = app.list(request).await.expect("list");

    assert_eq!(response.total_size, 10);
}

#[tokio::test]
async fn a_filter_matching_nothing_is_an_empty_last_page() {
    let app = spawn_app().await;
    let request = pb::ListQuestionsRequest {
        category: "cooking".into(),
        ..Default::default()
    };

    let response = app.list(request).await.expect("list");

    assert!(response.questions.is_empty());
    assert_eq!(response.total_size, 0);
    assert_eq!(response.next_page_token, "");
}

#[tokio::test]
async fn unknown_enum_values_are_invalid_argument() {
    let app = spawn_app().await;

    let by_difficulty = pb::ListQuestionsRequest {
        difficulty: 42,
        ..Default::default()
    };
    expect_invalid_field(app.list(by_difficulty).await, "difficulty");
    let by_type = pb::ListQuestionsRequest {
        r#type: 42,
        ..Default::default()
    };
    expect_invalid_field(app.list(by_type).await, "type");
    let by_view = pb::ListQuestionsRequest {
        view: 42,
        ..Default::default()
    };
    expect_invalid_field(app.list(by_view).await, "view");
}

#[tokio::test]
async fn an_empty_tag_is_invalid_argument() {
    let app = spawn_app().await;
    let request = pb::ListQuestionsRequest {
        tags: vec!["llm".into(), String::new()],
        ..Default::default()
    };

    expect_invalid_field(app.list(request).await, "tags[1]");
}

#[tokio::test]
async fn the_basic_view_never_carries_answers() {
    let app = spawn_app().await;

    let response = app.list(page(100, "")).await.expect("list");

    assert!(response.questions.iter().all(|q| q.answer.is_none()));
}

#[tokio::test]
async fn a_listed_question_is_exactly_its_full_view_without_the_answer() {
    let app = spawn_app_with_generated_bank(40).await;
    let unfiltered = pb::ListQuestionsRequest {
        page_size: 100,
        ..Default::default()
    };
    let tagged = pb::ListQuestionsRequest {
        page_size: 100,
        category: "llm".into(),
        tags: vec!["every-2".into()],
        ..Default::default()
    };

    for request in [unfiltered, tagged] {
        let listed = app.list(request).await.expect("list").questions;
        assert!(!listed.is_empty());
        for question in listed {
            let fetched = app
                .get(&question.id)
                .await
                .expect("get the listed question");
            assert_eq!(question, fetched);
        }
    }
}

#[tokio::test]
async fn a_page_served_again_from_memory_is_still_the_full_view_without_the_answer() {
    // The first listing reads each card from the database and keeps it in
    // memory; the second, and GetQuestion after them, serve the kept cards.
    // All must agree with the FULL view, which decodes the stored question.
    let app = spawn_app_with_generated_bank(40).await;
    let tagged = |view: pb::QuestionView| pb::ListQuestionsRequest {
        page_size: 100,
        category: "llm".into(),
        tags: vec!["every-2".into()],
        view: view.into(),
        ..Default::default()
    };
    let full = app
        .client
        .clone()
        .list_questions(with_token(tagged(pb::QuestionView::Full), ADMIN_TOKEN))
        .await
        .expect("list the full view")
        .into_inner()
        .questions;
    let without_answers: Vec<pb::Question> = full
        .into_iter()
        .map(|mut question| {
            assert!(question.answer.take().is_some());
            question
        })
        .collect();

    let first = app
        .list(tagged(pb::QuestionView::Basic))
        .await
        .expect("list");
    let again = app
        .list(tagged(pb::QuestionView::Basic))
        .await
        .expect("list again");

    assert!(!without_answers.is_empty());
    assert_eq!(first.questions, without_answers);
    assert_eq!(again.questions, without_answers);
    for question in &without_answers {
        assert_eq!(&app.get(&question.id).await.expect("get"), question);
    }
}

#[tokio::test]
async fn the_full_view_needs_the_admin_token() {
    let app = spawn_app().await;
    let full = pb::ListQuestionsRequest {
        view: pb::QuestionView::Full.into(),
        ..Default::default()
    };

    expect_code(app.list(full.clone()).await, Code::Unauthenticated);
    let response = app
        .client
        .clone()
        .list_questions(with_token(full, ADMIN_TOKEN))
        .await
        .expect("list with the token")
        .into_inner();
    assert!(response.questions.iter().all(|q| q.answer.is_some()));
}
