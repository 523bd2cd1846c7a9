//! The bundled LLM interview bank: loaded at first start, transcribed
//! faithfully, and graded right for every question.

use qbank::pb;

use crate::support::{ADMIN_TOKEN, spawn_app, with_token};

async fn all_questions_full(app: &crate::support::TestApp) -> Vec<pb::Question> {
    let request = pb::ListQuestionsRequest {
        page_size: 100,
        view: pb::QuestionView::Full.into(),
        ..Default::default()
    };
    app.client
        .clone()
        .list_questions(with_token(request, ADMIN_TOKEN))
        .await
        .expect("list in the FULL view")
        .into_inner()
        .questions
}

#[tokio::test]
async fn a_new_database_serves_the_ten_bundled_questions_in_seed_order() {
    let app = spawn_app().await;

    let questions = all_questions_full(&app).await;

    let ids: Vec<&str> = questions.iter().map(|q| q.id.as_str()).collect();
    let expected: Vec<String> = (1..=10).map(|n| format!("llm-{n:03}")).collect();
    assert_eq!(ids, expected);
    for question in &questions {
        assert_eq!(question.language, "zh-CN", "{}", question.id);
        assert_eq!(question.category, "llm", "{}", question.id);
        assert_eq!(question.revision, 1, "{}", question.id);
        assert!(!question.tags.is_empty(), "{} has no tags", question.id);
        assert_ne!(
            question.difficulty,
            pb::Difficulty::Unspecified as i32,
            "{}",
            question.id
        );
        assert!(question.create_time.is_some() && question.update_time.is_some());
        let answer = question
            .answer
            .as_ref()
            .expect("FULL view carries the answer");
        assert!(
            !answer.explanation.is_empty(),
            "{} has no explanation",
            question.id
        );
    }
}

#[tokio::test]
async fn the_first_question_keeps_the_seeds_stem_options_and_answer() {
    let app = spawn_app().await;

    let question = app.get_full("llm-001").await.expect("llm-001");

    assert_eq!(question.r#type, pb::QuestionType::SingleChoice as i32);
    assert_eq!(question.stem, "哪种技术有助于减轻基于提示的学习中的偏见?");
    let choices: Vec<(&str, &str)> = question
        .choices
        .iter()
        .map(|choice| (choice.key.as_str(), choice.text.as_str()))
        .collect();
    assert_eq!(
        choices,
        [
            ("A", "微调 Fine-tuning"),
            ("B", "数据增强 Data augmentation"),
            ("C", "提示校准 Prompt calibration"),
            ("D", "梯度裁剪 Gradient clipping"),
        ]
    );
    let answer = question.answer.expect("FULL view");
    assert_eq!(answer.correct_choice_keys, ["C"]);
    assert!(answer.explanation.starts_with("提示校准包括调整提示"));
}

#[tokio::test]
async fn question_two_is_true_false_with_its_whole_explanation() {
    let app = spawn_app().await;

    let question = app.get_full("llm-002").await.expect("llm-002");

    assert_eq!(question.r#type, pb::QuestionType::TrueFalse as i32);
    let choices: Vec<(&str, &str)> = question
        .choices
        .iter()
        .map(|choice| (choice.key.as_str(), choice.text.as_str()))
        .collect();
    assert_eq!(choices, [("true", "需要"), ("false", "不需要")]);
    let answer = question.answer.expect("FULL view");
    assert_eq!(answer.correct_choice_keys, ["false"]);
    // Both paragraphs and the numbered list that follows belong to it.
    assert!(
        answer
            .explanation
            .starts_with("向量存储用于存储单词或句子的向量表示。")
    );
    assert!(
        answer
            .explanation
            .contains("\n并非所有基于文本的LLM用例都需要矢量存储。")
    );
    assert!(answer.explanation.ends_with("而不是单独的向量存储。"));
    assert_eq!(answer.explanation.lines().count(), 5);
}

#[tokio::test]
async fn two_paragraph_explanations_are_kept_whole() {
    let app = spawn_app().await;

    let question = app.get_full("llm-010").await.expect("llm-010");

    let answer = question.answer.expect("FULL view");
    assert_eq!(answer.correct_choice_keys, ["B"]);
    let paragraphs: Vec<&str> = answer.explanation.lines().collect();
    assert_eq!(paragraphs.len(), 2);
    assert!(paragraphs[0].starts_with("FSDP(Fully Sharded Data Parallel)"));
    assert!(paragraphs[1].starts_with("DDP(分布式数据并行)"));
}

#[tokio::test]
async fn every_bundled_key_grades_correct_and_every_other_choice_incorrect() {
    let app = spawn_app().await;

    for question in all_questions_full(&app).await {
        let correct_keys = question.answer.expect("FULL view").correct_choice_keys;
        let correct: Vec<&str> = correct_keys.iter().map(String::as_str).collect();
        let graded = app
            .answer(&question.id, &correct)
            .await
            .expect("submit the key");
        assert!(
            graded.correct,
            "{}: its own key graded incorrect",
            question.id
        );
        assert_eq!(graded.score, 1.0, "{}", question.id);

        for choice in question
            .choices
            .iter()
            .filter(|c| !correct_keys.contains(&c.key))
        {
            let graded = app
                .answer(&question.id, &[&choice.key])
                .await
                .expect("submit");
            assert!(
                !graded.correct,
                "{}: {} graded correct",
                question.id, choice.key
            );
            assert_eq!(graded.score, 0.0, "{}: {}", question.id, choice.key);
        }
    }
}
