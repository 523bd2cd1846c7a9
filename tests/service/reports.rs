//! ReportQuestion, ListQuestionReports and ResolveQuestionReport: reports
//! recorded against the current revision, bad input that records nothing,
//! idempotent retries, the per-reporter limit, and review with the token.

use std::time::{Duration, SystemTime};

use qbank::{
    config::Limits,
    domain::report::{QuestionReport, ReportFilter},
    pb::{self, question_bank_client::QuestionBankClient},
};
use tonic::{Code, Status, transport::Channel};

use crate::{
    authoring::authorised,
    support::{
        Options, TestApp, expect_code, expect_invalid_field, spawn_app, spawn_app_with,
        with_limits, with_token,
    },
};

/// An anonymous report of `question_id` without a comment or request id.
fn report(question_id: &str, reason: pb::ReportReason) -> pb::ReportQuestionRequest {
    pb::ReportQuestionRequest {
        question_id: question_id.into(),
        reason: reason.into(),
        ..Default::default()
    }
}

/// A typo report of `question_id` by `respondent_id` under `request_id`.
fn report_by(
    question_id: &str,
    respondent_id: &str,
    request_id: &str,
) -> pb::ReportQuestionRequest {
    pb::ReportQuestionRequest {
        respondent_id: respondent_id.into(),
        request_id: request_id.into(),
        ..report(question_id, pb::ReportReason::Typo)
    }
}

/// A listing of every report, `page_size` at a time.
fn every_report(page_size: i32) -> pb::ListQuestionReportsRequest {
    pb::ListQuestionReportsRequest {
        page_size,
        ..Default::default()
    }
}

/// A server that accepts `per_hour` reports an hour from each reporter.
async fn spawn_app_with_report_limit(per_hour: u32) -> TestApp {
    spawn_app_with(with_limits(Limits {
        report_limit: per_hour,
        ..Limits::default()
    }))
    .await
}

impl TestApp {
    async fn report(
        &self,
        request: pb::ReportQuestionRequest,
    ) -> Result<pb::QuestionReport, Status> {
        self.client
            .clone()
            .report_question(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn reports(
        &self,
        request: pb::ListQuestionReportsRequest,
    ) -> Result<pb::ListQuestionReportsResponse, Status> {
        self.client
            .clone()
            .list_question_reports(authorised(request))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn resolve(&self, id: &str, note: &str) -> Result<pb::QuestionReport, Status> {
        self.client
            .clone()
            .resolve_question_report(authorised(pb::ResolveQuestionReportRequest {
                id: id.into(),
                resolution_note: note.into(),
            }))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every report stored, newest first, read from the database itself.
    fn reports_stored(&self) -> Vec<QuestionReport> {
        self.store()
            .reports(&ReportFilter::default(), None, 1_000)
            .expect("read reports")
    }
}

/// The ids of a page of reports, in order.
fn ids(reports: &[pb::QuestionReport]) -> Vec<&str> {
    reports.iter().map(|report| report.id.as_str()).collect()
}

#[tokio::test]
async fn a_report_is_recorded_open_against_the_question_s_current_revision() {
    let app = spawn_app().await;
    app.update(
        pb::Question {
            id: "llm-001".into(),
            stem: "A new stem?".into(),
            ..Default::default()
        },
        &["stem"],
        1,
    )
    .await
    .expect("updated to revision 2");
    let before = SystemTime::now();

    let reported = app
        .report(pb::ReportQuestionRequest {
            comment: "B is right too".into(),
            respondent_id: "candidate-7".into(),
            ..report("llm-001", pb::ReportReason::Ambiguous)
        })
        .await
        .expect("reported");

    let uuid = uuid::Uuid::parse_str(&reported.id).expect("the id is a UUID");
    assert_eq!(uuid.get_version_num(), 7);
    assert_eq!(uuid.hyphenated().to_string(), reported.id);
    assert_eq!(reported.question_id, "llm-001");
    assert_eq!(reported.question_revision, 2);
    assert_eq!(reported.reason(), pb::ReportReason::Ambiguous);
    assert_eq!(reported.comment, "B is right too");
    assert_eq!(reported.respondent_id, "candidate-7");
    assert_eq!(reported.state(), pb::ReportState::Open);
    assert_eq!(reported.resolution_note, "");
    let create_time: SystemTime = reported
        .create_time
        .expect("a create time")
        .try_into()
        .expect("a valid time");
    assert!(create_time >= before - Duration::from_secs(1));
    let stored = app.reports_stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, reported.id);
    assert_eq!(stored[0].question_revision, 2);
    assert_eq!(stored[0].create_time, create_time);
}

#[tokio::test]
async fn reporting_an_unknown_or_deleted_question_is_not_found_naming_it() {
    let app = spawn_app().await;
    app.delete("llm-002", 0).await.expect("deleted");

    let unknown = expect_code(
        app.report(report("no-such-question", pb::ReportReason::Typo))
            .await,
        Code::NotFound,
    );
    let deleted = expect_code(
        app.report(report("llm-002", pb::ReportReason::Typo)).await,
        Code::NotFound,
    );

    assert!(
        unknown.message().contains("no-such-question"),
        "{unknown:?}"
    );
    assert!(deleted.message().contains("llm-002"), "{deleted:?}");
    assert!(app.reports_stored().is_empty());
}

#[tokio::test]
async fn an_unspecified_or_unknown_reason_is_invalid_argument_and_stores_nothing() {
    let app = spawn_app().await;

    expect_invalid_field(
        app.report(report("llm-001", pb::ReportReason::Unspecified))
            .await,
        "reason",
    );
    expect_invalid_field(
        app.report(pb::ReportQuestionRequest {
            reason: 99,
            ..report("llm-001", pb::ReportReason::Typo)
        })
        .await,
        "reason",
    );

    assert!(app.reports_stored().is_empty());
}

#[tokio::test]
async fn a_comment_may_hold_two_thousand_characters_and_no_more() {
    let app = spawn_app().await;
    // Characters, not bytes: each of these is three bytes in UTF-8.
    let longest = "错".repeat(2_000);

    let accepted = app
        .report(pb::ReportQuestionRequest {
            comment: longest.clone(),
            ..report("llm-001", pb::ReportReason::Typo)
        })
        .await
        .expect("2,000 characters are accepted");
    expect_invalid_field(
        app.report(pb::ReportQuestionRequest {
            comment: format!("{longest}!"),
            ..report("llm-001", pb::ReportReason::Typo)
        })
        .await,
        "comment",
    );

    assert_eq!(ids_of_stored(&app), [accepted.id]);
}

fn ids_of_stored(app: &TestApp) -> Vec<String> {
    app.reports_stored()
        .into_iter()
        .map(|report| report.id)
        .collect()
}

#[tokio::test]
async fn respondent_and_request_ids_are_checked_as_submit_answer_checks_them() {
    let app = spawn_app().await;

    expect_invalid_field(
        app.report(report_by("llm-001", "bell\u{7}", "")).await,
        "respondent_id",
    );
    expect_invalid_field(
        app.report(report_by("llm-001", "", &"r".repeat(129))).await,
        "request_id",
    );
    expect_invalid_field(app.report(report_by("bad id", "", "")).await, "question_id");

    assert!(app.reports_stored().is_empty());
}

#[tokio::test]
async fn a_retry_with_the_same_request_id_returns_the_original_report_and_stores_one() {
    let app = spawn_app().await;
    let request = report_by("llm-001", "candidate-7", "report-1");

    let first = app.report(request.clone()).await.expect("reported");
    let retried = app.report(request).await.expect("retried");

    assert_eq!(retried, first);
    assert_eq!(ids_of_stored(&app), [first.id]);
}

#[tokio::test]
async fn a_different_report_under_a_used_request_id_is_invalid_argument() {
    let app = spawn_app().await;
    app.report(report_by("llm-001", "candidate-7", "report-1"))
        .await
        .expect("reported");

    expect_invalid_field(
        app.report(report_by("llm-002", "candidate-7", "report-1"))
            .await,
        "request_id",
    );
    expect_invalid_field(
        app.report(pb::ReportQuestionRequest {
            comment: "another comment".into(),
            ..report_by("llm-001", "candidate-7", "report-1")
        })
        .await,
        "request_id",
    );

    assert_eq!(app.reports_stored().len(), 1);
}

#[tokio::test]
async fn a_retry_still_returns_its_report_after_the_question_was_deleted() {
    let app = spawn_app().await;
    let request = report_by("llm-003", "candidate-7", "before-delete");
    let original = app.report(request.clone()).await.expect("reported");
    app.delete("llm-003", 0).await.expect("deleted");

    let retried = app.report(request).await.expect("retried");

    assert_eq!(retried, original);
    assert_eq!(app.reports_stored().len(), 1);
}

#[tokio::test]
async fn a_respondent_over_the_limit_is_refused_but_others_and_retries_are_not() {
    let app = spawn_app_with_report_limit(3).await;
    let mut first = None;
    for n in 1..=3 {
        let reported = app
            .report(report_by("llm-001", "eager", &format!("eager-{n}")))
            .await
            .expect("within the limit");
        first.get_or_insert(reported);
    }

    let refused = expect_code(
        app.report(report_by("llm-001", "eager", "eager-4")).await,
        Code::ResourceExhausted,
    );
    let other_respondent = app
        .report(report_by("llm-001", "calm", "calm-1"))
        .await
        .expect("another respondent has a quota of its own");
    let retry = app
        .report(report_by("llm-001", "eager", "eager-1"))
        .await
        .expect("a retry of a recorded report is not a new one");

    assert!(
        refused.message().contains("at most 3 reports an hour"),
        "{refused:?}"
    );
    assert_eq!(Some(retry), first);
    let stored = app.reports_stored();
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|report| report.request_id.as_deref() != Some("eager-4"))
    );
    assert!(stored.iter().any(|report| report.id == other_respondent.id));
}

/// A client whose connections come from `address` (any 127/8 address
/// reaches the loopback listener).
async fn client_from(app: &TestApp, address: [u8; 4]) -> QuestionBankClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .expect("endpoint")
        .local_address(Some(address.into()))
        .connect()
        .await
        .expect("connect from another loopback address");
    QuestionBankClient::new(channel)
}

#[tokio::test]
async fn anonymous_reports_are_limited_per_client_address() {
    let app = spawn_app_with_report_limit(2).await;
    for _ in 0..2 {
        app.report(report("llm-001", pb::ReportReason::Typo))
            .await
            .expect("within the limit");
    }

    let refused = app.report(report("llm-001", pb::ReportReason::Typo)).await;
    let from_another_address = client_from(&app, [127, 0, 0, 2])
        .await
        .report_question(report("llm-001", pb::ReportReason::Typo))
        .await;
    let with_a_respondent = app.report(report_by("llm-001", "named", "")).await;

    expect_code(refused, Code::ResourceExhausted);
    from_another_address.expect("another address has a quota of its own");
    with_a_respondent.expect("a respondent is counted apart from its address");
    assert_eq!(app.reports_stored().len(), 4);
}

#[tokio::test]
async fn listing_and_resolving_reports_need_the_admin_token_before_any_validation() {
    let app = spawn_app().await;
    let reported = app
        .report(report("llm-001", pb::ReportReason::Typo))
        .await
        .expect("reported");
    let mut client = app.client.clone();

    let statuses = [
        client
            .list_question_reports(pb::ListQuestionReportsRequest {
                page_size: -1,
                ..Default::default()
            })
            .await
            .map(drop),
        client
            .resolve_question_report(pb::ResolveQuestionReportRequest {
                id: reported.id.clone(),
                resolution_note: String::new(),
            })
            .await
            .map(drop),
        client
            .list_question_reports(with_token(every_report(0), "wrong-token"))
            .await
            .map(drop),
        client
            .resolve_question_report(with_token(
                pb::ResolveQuestionReportRequest {
                    id: reported.id.clone(),
                    resolution_note: String::new(),
                },
                "wrong-token",
            ))
            .await
            .map(drop),
    ];

    for status in statuses {
        expect_code(status, Code::Unauthenticated);
    }
    assert_eq!(
        app.reports(every_report(0)).await.expect("listed").reports[0].state(),
        pb::ReportState::Open
    );
}

#[tokio::test]
async fn a_server_without_an_admin_token_refuses_report_review_with_permission_denied() {
    let app = spawn_app_with(Options {
        admin_token: None,
        ..Options::default()
    })
    .await;

    let reported = app
        .report(report("llm-001", pb::ReportReason::Typo))
        .await
        .expect("reporting needs no token");

    expect_code(app.reports(every_report(0)).await, Code::PermissionDenied);
    expect_code(app.resolve(&reported.id, "").await, Code::PermissionDenied);
}

#[tokio::test]
async fn reports_are_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    let mut filed = Vec::new();
    for question_id in ["llm-001", "llm-002", "llm-003", "llm-004", "llm-005"] {
        let reported = app
            .report(report(question_id, pb::ReportReason::Other))
            .await
            .expect("reported");
        filed.push(reported.id);
    }
    filed.reverse();

    let first = app.reports(every_report(2)).await.expect("first page");
    let second = app
        .reports(pb::ListQuestionReportsRequest {
            page_token: first.next_page_token.clone(),
            ..every_report(2)
        })
        .await
        .expect("second page");
    let third = app
        .reports(pb::ListQuestionReportsRequest {
            page_token: second.next_page_token.clone(),
            ..every_report(2)
        })
        .await
        .expect("third page");

    assert_eq!(ids(&first.reports), filed[0..2]);
    assert_eq!(ids(&second.reports), filed[2..4]);
    assert_eq!(ids(&third.reports), filed[4..]);
    assert!(!first.next_page_token.is_empty());
    assert_eq!(third.next_page_token, "");
}

#[tokio::test]
async fn a_page_token_is_refused_with_other_filters_or_altered() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.report(report("llm-001", pb::ReportReason::Typo))
            .await
            .expect("reported");
    }
    let token = app
        .reports(every_report(1))
        .await
        .expect("first page")
        .next_page_token;

    expect_invalid_field(
        app.reports(pb::ListQuestionReportsRequest {
            state: pb::ReportState::Open.into(),
            page_token: token.clone(),
            ..every_report(1)
        })
        .await,
        "page_token",
    );
    expect_invalid_field(
        app.reports(pb::ListQuestionReportsRequest {
            page_token: format!("{token}x"),
            ..every_report(1)
        })
        .await,
        "page_token",
    );
}

#[tokio::test]
async fn reports_are_filtered_by_question_and_by_state() {
    let app = spawn_app().await;
    let on_one = app
        .report(report("llm-001", pb::ReportReason::Typo))
        .await
        .expect("reported");
    let resolved_on_one = app
        .report(report("llm-001", pb::ReportReason::Outdated))
        .await
        .expect("reported");
    let on_two = app
        .report(report("llm-002", pb::ReportReason::WrongAnswer))
        .await
        .expect("reported");
    app.resolve(&resolved_on_one.id, "fixed")
        .await
        .expect("resolved");
    let listed = |question_id: &str, state: pb::ReportState| {
        app.reports(pb::ListQuestionReportsRequest {
            question_id: question_id.into(),
            state: state.into(),
            ..every_report(0)
        })
    };

    let of_one = listed("llm-001", pb::ReportState::Unspecified)
        .await
        .expect("listed");
    let open = listed("", pb::ReportState::Open).await.expect("listed");
    let open_of_one = listed("llm-001", pb::ReportState::Open)
        .await
        .expect("listed");
    let resolved = listed("", pb::ReportState::Resolved).await.expect("listed");

    assert_eq!(
        ids(&of_one.reports),
        [resolved_on_one.id.as_str(), on_one.id.as_str()]
    );
    assert_eq!(ids(&open.reports), [on_two.id.as_str(), on_one.id.as_str()]);
    assert_eq!(ids(&open_of_one.reports), [on_one.id.as_str()]);
    assert_eq!(ids(&resolved.reports), [resolved_on_one.id.as_str()]);
    assert_eq!(resolved.reports[0].resolution_note, "fixed");
}

#[tokio::test]
async fn page_size_zero_lists_twenty_and_a_negative_one_is_invalid_argument() {
    let app = spawn_app().await;
    // Each from a respondent of its own, so no quota runs out.
    for n in 0..21 {
        app.report(report_by("llm-001", &format!("respondent-{n}"), ""))
            .await
            .expect("reported");
    }

    let page = app.reports(every_report(0)).await.expect("listed");

    assert_eq!(page.reports.len(), 20);
    assert!(!page.next_page_token.is_empty());
    expect_invalid_field(app.reports(every_report(-1)).await, "page_size");
}

#[tokio::test]
async fn a_report_is_resolved_once_with_its_note() {
    let app = spawn_app().await;
    let reported = app
        .report(report("llm-001", pb::ReportReason::WrongAnswer))
        .await
        .expect("reported");

    let resolved = app
        .resolve(&reported.id, "The key is C; it was right.")
        .await
        .expect("resolved");
    let again = expect_code(
        app.resolve(&reported.id, "a second opinion").await,
        Code::FailedPrecondition,
    );

    assert_eq!(resolved.state(), pb::ReportState::Resolved);
    assert_eq!(resolved.resolution_note, "The key is C; it was right.");
    assert_eq!(
        pb::QuestionReport {
            state: pb::ReportState::Open.into(),
            resolution_note: String::new(),
            ..resolved
        },
        reported,
        "nothing else changes"
    );
    assert!(again.message().contains(&reported.id), "{again:?}");
    let stored = app.reports_stored();
    assert_eq!(stored[0].resolution_note, "The key is C; it was right.");
}

#[tokio::test]
async fn resolving_an_unknown_report_is_not_found_and_a_long_note_invalid_argument() {
    let app = spawn_app().await;
    let reported = app
        .report(report("llm-001", pb::ReportReason::Typo))
        .await
        .expect("reported");

    let unknown = expect_code(
        app.resolve("0190a1b2-0000-7000-8000-000000000000", "")
            .await,
        Code::NotFound,
    );
    expect_invalid_field(
        app.resolve(&reported.id, &"n".repeat(2_001)).await,
        "resolution_note",
    );
    expect_invalid_field(app.resolve("", "").await, "id");

    assert!(unknown.message().contains("0190a1b2"), "{unknown:?}");
    assert_eq!(
        app.reports(every_report(0)).await.expect("listed").reports[0].state(),
        pb::ReportState::Open
    );
}
