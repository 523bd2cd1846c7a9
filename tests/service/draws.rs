//! DrawQuestions: distinct random questions, repeatable with a seed, never
//! repeating what a respondent answered until the pool is used up.

use std::collections::HashSet;

use qbank::pb;
use tonic::{Code, Status};

use crate::support::{TestApp, expect_code, expect_invalid_field, spawn_app, submission};

/// A draw of `count` for `respondent`, leaving out what they answered.
fn for_respondent(count: i32, respondent: &str) -> pb::DrawQuestionsRequest {
    pb::DrawQuestionsRequest {
        count,
        respondent_id: respondent.into(),
        exclude_answered: true,
        ..Default::default()
    }
}

impl TestApp {
    async fn draw(
        &self,
        request: pb::DrawQuestionsRequest,
    ) -> Result<pb::DrawQuestionsResponse, Status> {
        self.client
            .clone()
            .draw_questions(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn drawn_ids(&self, request: pb::DrawQuestionsRequest) -> Vec<String> {
        ids(&self.draw(request).await.expect("draw"))
    }

    /// Answers `question_id` as `respondent` (wrongly, it does not matter).
    async fn answer_as(&self, respondent: &str, question_id: &str) {
        let question = self.get(question_id).await.expect("question");
        self.submit(pb::SubmitAnswerRequest {
            respondent_id: respondent.into(),
            ..submission(question_id, &[&question.choices[0].key])
        })
        .await
        .expect("answered");
    }
}

fn ids(response: &pb::DrawQuestionsResponse) -> Vec<String> {
    response.questions.iter().map(|q| q.id.clone()).collect()
}

fn seeded(count: i32, seed: &str) -> pb::DrawQuestionsRequest {
    pb::DrawQuestionsRequest {
        count,
        seed: seed.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_seed_repeats_a_draw_and_no_seed_draws_afresh() {
    let app = spawn_app().await;

    let first = app.drawn_ids(seeded(5, "interview-42")).await;
    let again = app.drawn_ids(seeded(5, "interview-42")).await;
    let mut fresh = HashSet::new();
    for _ in 0..10 {
        fresh.insert(app.drawn_ids(seeded(5, "")).await);
    }

    assert_eq!(first, again);
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), 5, "distinct");
    assert!(fresh.len() > 1, "ten unseeded draws were all the same");
}

#[tokio::test]
async fn a_draw_holds_distinct_questions_matching_the_filters() {
    let app = spawn_app().await;
    let tagged = app
        .list(pb::ListQuestionsRequest {
            tags: vec!["rlhf".into()],
            ..Default::default()
        })
        .await
        .expect("list");
    let expected: HashSet<String> = tagged.questions.iter().map(|q| q.id.clone()).collect();

    let drawn = app
        .draw(pb::DrawQuestionsRequest {
            count: 10,
            tags: vec!["rlhf".into()],
            ..Default::default()
        })
        .await
        .expect("draw");

    assert_eq!(ids(&drawn).into_iter().collect::<HashSet<_>>(), expected);
    assert_eq!(drawn.questions.len(), expected.len());
    assert_eq!(drawn.available as usize, expected.len());
    assert!(drawn.exhausted);
    assert!(drawn.questions.iter().all(|q| q.answer.is_none()));
}

#[tokio::test]
async fn count_zero_means_ten_and_bad_counts_are_invalid() {
    let app = spawn_app().await;

    let default = app
        .draw(pb::DrawQuestionsRequest::default())
        .await
        .expect("draw");

    assert_eq!(default.questions.len(), 10);
    assert!(!default.exhausted);
    assert_eq!(default.available, 10);
    expect_invalid_field(app.draw(seeded(101, "")).await, "count");
    expect_invalid_field(app.draw(seeded(-1, "")).await, "count");
    assert_eq!(app.drawn_ids(seeded(100, "")).await.len(), 10);
}

#[tokio::test]
async fn leaving_out_answered_questions_needs_a_respondent() {
    let app = spawn_app().await;

    let without = app
        .draw(pb::DrawQuestionsRequest {
            exclude_answered: true,
            ..Default::default()
        })
        .await;
    let full_without_token = app
        .draw(pb::DrawQuestionsRequest {
            view: pb::QuestionView::Full.into(),
            ..Default::default()
        })
        .await;

    expect_invalid_field(without, "respondent_id");
    expect_code(full_without_token, Code::Unauthenticated);
}

#[tokio::test]
async fn a_respondent_never_draws_a_question_twice_until_the_pool_is_used_up() {
    let app = spawn_app().await;
    let mut seen = Vec::new();

    for round in 0..4 {
        let drawn = app.draw(for_respondent(3, "alice")).await.expect("draw");
        assert_eq!(drawn.available as usize, 10 - seen.len(), "round {round}");
        assert_eq!(drawn.exhausted, 10 - seen.len() < 3, "round {round}");
        for id in ids(&drawn) {
            assert!(!seen.contains(&id), "{id} drawn twice");
            app.answer_as("alice", &id).await;
            seen.push(id);
        }
    }
    let used_up = app.draw(for_respondent(3, "alice")).await.expect("draw");
    let someone_else = app.draw(for_respondent(3, "bob")).await.expect("draw");

    assert_eq!(seen.len(), 10);
    assert!(used_up.questions.is_empty());
    assert!(used_up.exhausted);
    assert_eq!(used_up.available, 0);
    assert_eq!(someone_else.questions.len(), 3);
    assert_eq!(someone_else.available, 10);
}

#[tokio::test]
async fn a_deleted_question_leaves_the_pool_at_once() {
    let app = spawn_app().await;
    app.drawn_ids(seeded(10, "")).await;

    app.delete("llm-005", 0).await.expect("deleted");
    let drawn = app.draw(seeded(10, "")).await.expect("draw");

    assert_eq!(drawn.available, 9);
    assert!(!ids(&drawn).contains(&"llm-005".to_owned()));
}
