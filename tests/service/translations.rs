//! Translations: a question served in the caller's preferred language (by
//! BCP-47 lookup, else its original), translations written with
//! UpdateQuestion and shown only in the FULL view, the language filter, and
//! SubmitAnswer explaining in the preferred language.

use qbank::pb;
use tonic::{Code, Status};

use crate::{
    authoring::{authorised, new_question},
    support::{TestApp, expect_code, expect_invalid_field, spawn_app, submission},
};

/// `new_question()`'s content in `language`, each text prefixed with it.
fn translation(language: &str) -> pb::QuestionTranslation {
    let original = new_question();
    pb::QuestionTranslation {
        language: language.into(),
        stem: format!("[{language}] {}", original.stem),
        // In reverse order: the server serves them in the question's.
        choices: original
            .choices
            .iter()
            .rev()
            .map(|choice| pb::Choice {
                key: choice.key.clone(),
                text: format!("[{language}] {}", choice.text),
            })
            .collect(),
        explanation: format!("[{language}] explained"),
    }
}

/// `translation` as the server sends it back: choices in the question's
/// order.
fn as_served(mut translation: pb::QuestionTranslation) -> pb::QuestionTranslation {
    translation.choices.reverse();
    translation
}

/// An English question translated into `zh-Hans`, `zh` and `fr-CA`.
async fn translated_question(app: &TestApp) -> pb::Question {
    let question = pb::Question {
        translations: ["zh-Hans", "zh", "fr-CA"]
            .into_iter()
            .map(translation)
            .collect(),
        ..new_question()
    };
    app.create("q-translated", question).await.expect("created")
}

impl TestApp {
    async fn get_in(&self, id: &str, languages: &[&str]) -> Result<pb::Question, Status> {
        self.client
            .clone()
            .get_question(pb::GetQuestionRequest {
                id: id.into(),
                preferred_languages: languages.iter().map(|l| (*l).into()).collect(),
                ..Default::default()
            })
            .await
            .map(tonic::Response::into_inner)
    }
}

#[tokio::test]
async fn the_first_preferred_language_found_by_bcp47_lookup_is_served() {
    let app = spawn_app().await;
    translated_question(&app).await;
    let served = async |languages: &[&str]| {
        app.get_in("q-translated", languages)
            .await
            .expect("served")
            .language
    };

    assert_eq!(served(&["zh-Hans-CN"]).await, "zh-Hans");
    assert_eq!(served(&["zh-Hant-TW"]).await, "zh");
    assert_eq!(served(&["de-AT", "FR-ca"]).await, "fr-CA");
    // Lookup truncates the caller's range, never extends it: `fr` is not
    // `fr-CA`, so the original is served.
    assert_eq!(served(&["fr"]).await, "en");
    assert_eq!(served(&["de", "ja-JP"]).await, "en");
    assert_eq!(served(&[]).await, "en");
}

#[tokio::test]
async fn a_translation_is_served_whole_with_the_question_s_keys_in_order() {
    let app = spawn_app().await;
    translated_question(&app).await;

    let question = app.get_in("q-translated", &["zh"]).await.expect("served");

    assert_eq!(question.stem, format!("[zh] {}", new_question().stem));
    let choices: Vec<(&str, &str)> = question
        .choices
        .iter()
        .map(|choice| (choice.key.as_str(), choice.text.as_str()))
        .collect();
    assert_eq!(choices, [("A", "[zh] LayerNorm"), ("B", "[zh] Dropout")]);
    assert_eq!(
        question.available_languages,
        ["en", "zh-Hans", "zh", "fr-CA"]
    );
    assert!(question.answer.is_none());
    assert!(question.translations.is_empty());
}

#[tokio::test]
async fn translations_are_sent_only_in_the_full_view() {
    let app = spawn_app().await;
    translated_question(&app).await;

    let basic = app.get("q-translated").await.expect("basic");
    let full = app.get_full("q-translated").await.expect("full");
    let listed = app
        .list(pb::ListQuestionsRequest {
            category: "llm".into(),
            ..Default::default()
        })
        .await
        .expect("list");

    assert!(basic.translations.is_empty());
    assert_eq!(basic.available_languages.len(), 4);
    assert_eq!(full.translations.len(), 3);
    assert_eq!(full.translations[0], as_served(translation("zh-Hans")));
    assert!(listed.questions.iter().all(|q| q.translations.is_empty()));
}

#[tokio::test]
async fn a_full_view_served_in_a_translation_still_holds_the_original() {
    let app = spawn_app().await;
    translated_question(&app).await;

    let full = app
        .client
        .clone()
        .get_question(authorised(pb::GetQuestionRequest {
            id: "q-translated".into(),
            view: pb::QuestionView::Full.into(),
            preferred_languages: vec!["zh".into()],
            ..Default::default()
        }))
        .await
        .expect("full view")
        .into_inner();

    let others: Vec<&str> = full
        .translations
        .iter()
        .map(|translation| translation.language.as_str())
        .collect();
    assert_eq!(full.language, "zh");
    assert_eq!(
        full.answer.map(|a| a.explanation),
        Some("[zh] explained".into())
    );
    assert_eq!(others, ["zh-Hans", "en", "fr-CA"]);
    assert_eq!(full.translations[1].stem, new_question().stem);
}

#[tokio::test]
async fn the_bundled_bank_is_served_in_english_to_those_who_prefer_it() {
    let app = spawn_app().await;

    let page = app
        .list(pb::ListQuestionsRequest {
            preferred_languages: vec!["en-US".into()],
            ..Default::default()
        })
        .await
        .expect("list");
    let chinese = app.get("llm-001").await.expect("original");

    assert_eq!(page.questions.len(), 10);
    assert!(page.questions.iter().all(|q| q.language == "en"));
    assert!(page.questions.iter().all(|q| q.stem.is_ascii()));
    assert_eq!(
        page.questions[0].stem,
        "Which technique helps mitigate bias in prompt-based learning?"
    );
    assert_eq!(chinese.language, "zh-CN");
    assert_eq!(chinese.available_languages, ["zh-CN", "en"]);
}

#[tokio::test]
async fn the_language_filter_matches_originals_and_translations() {
    let app = spawn_app().await;
    translated_question(&app).await;
    let count = async |language: &str| {
        app.list(pb::ListQuestionsRequest {
            language: language.into(),
            ..Default::default()
        })
        .await
        .expect("list")
        .total_size
    };

    assert_eq!(count("zh-CN").await, 10);
    assert_eq!(count("EN").await, 11);
    assert_eq!(count("fr-ca").await, 1);
    assert_eq!(count("fr").await, 0);
}

#[tokio::test]
async fn a_translation_change_is_a_new_revision_served_at_once() {
    let app = spawn_app().await;
    let created = translated_question(&app).await;
    app.get_in("q-translated", &["zh"]).await.expect("cached");
    let mut changed = translation("zh");
    changed.stem = "哪一层对激活做归一化?".into();

    let updated = app
        .update(
            pb::Question {
                id: "q-translated".into(),
                translations: vec![changed.clone()],
                ..Default::default()
            },
            &["translations"],
            created.revision,
        )
        .await
        .expect("updated");
    let served = app.get_in("q-translated", &["zh"]).await.expect("served");
    let before = app
        .client
        .clone()
        .get_question(authorised(pb::GetQuestionRequest {
            id: "q-translated".into(),
            view: pb::QuestionView::Full.into(),
            revision: created.revision,
            ..Default::default()
        }))
        .await
        .expect("the first revision")
        .into_inner();

    assert_eq!(updated.revision, created.revision + 1);
    assert_eq!(updated.translations, [as_served(changed)]);
    assert_eq!(served.stem, "哪一层对激活做归一化?");
    assert_eq!(served.available_languages, ["en", "zh"]);
    assert_eq!(before.translations.len(), 3);
}

#[tokio::test]
async fn a_translation_that_does_not_fit_the_question_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let created = translated_question(&app).await;
    let mut missing_a_key = translation("de");
    missing_a_key.choices.pop();
    let mut same_language = translation("EN");
    same_language.stem = "again".into();

    for (bad, field) in [
        (missing_a_key, "question.translations[0].choices"),
        (same_language, "question.translations[0].language"),
    ] {
        let result = app
            .update(
                pb::Question {
                    id: "q-translated".into(),
                    translations: vec![bad],
                    ..Default::default()
                },
                &["translations"],
                0,
            )
            .await;
        expect_invalid_field(result, field);
    }

    let after = app.get_full("q-translated").await.expect("still there");
    assert_eq!(after.revision, created.revision);
    assert_eq!(after.translations.len(), 3);
}

#[tokio::test]
async fn malformed_preferred_languages_are_invalid_arguments() {
    let app = spawn_app().await;

    let blank = app.get_in("llm-001", &["en", ""]).await;
    let spaced = app
        .list(pb::ListQuestionsRequest {
            preferred_languages: vec!["zh CN".into()],
            ..Default::default()
        })
        .await;
    let too_many = app
        .submit(pb::SubmitAnswerRequest {
            preferred_languages: vec!["en".into(); 17],
            ..submission("llm-001", &["C"])
        })
        .await;

    expect_invalid_field(blank, "preferred_languages[1]");
    expect_invalid_field(spaced, "preferred_languages[0]");
    expect_invalid_field(too_many, "preferred_languages");
    assert_eq!(app.attempts_stored("llm-001"), 0);
}

#[tokio::test]
async fn an_answer_is_explained_in_the_preferred_language_also_on_retry() {
    let app = spawn_app().await;
    let answer = |languages: &[&str]| pb::SubmitAnswerRequest {
        request_id: "r-1".into(),
        preferred_languages: languages.iter().map(|l| (*l).into()).collect(),
        ..submission("llm-001", &["C"])
    };

    let english = app.submit(answer(&["en-GB"])).await.expect("answered");
    let retried = app.submit(answer(&[])).await.expect("retried");
    let full = app.get_full("llm-001").await.expect("full");

    assert_eq!(english.explanation_language, "en");
    assert!(
        english.explanation.starts_with("Prompt calibration"),
        "{}",
        english.explanation
    );
    assert_eq!(retried.attempt_id, english.attempt_id);
    assert_eq!(retried.explanation_language, "zh-CN");
    assert_eq!(
        Some(retried.explanation),
        full.answer.map(|a| a.explanation)
    );
    assert_eq!(app.attempts_stored("llm-001"), 1);
}

#[tokio::test]
async fn an_unknown_question_stays_not_found_in_every_language() {
    let app = spawn_app().await;

    let status = expect_code(app.get_in("nope", &["en"]).await, Code::NotFound);

    assert!(status.message().contains("nope"), "{}", status.message());
}
