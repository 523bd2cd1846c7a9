//! gRPC-Web on the gRPC port: frames built by hand and sent over HTTP/1.1,
//! the way a browser's grpc-web client sends them.

use std::collections::HashMap;

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};
use http_body_util::Full;
use prost::Message as _;
use qbank::pb;

use crate::{
    http1,
    support::{send_signal, spawn_app, start_binary, wait_for_exit},
};

const CONTENT_TYPE: &str = "application/grpc-web+proto";

/// A gRPC-Web response taken apart: its messages and its status, which
/// comes in the headers (trailers-only) or in a trailer frame.
struct GrpcWebReply {
    http_status: http::StatusCode,
    headers: http::HeaderMap,
    content_type: String,
    messages: Vec<Bytes>,
    trailers: HashMap<String, String>,
}

impl GrpcWebReply {
    fn grpc_status(&self) -> &str {
        self.trailers
            .get("grpc-status")
            .map(String::as_str)
            .expect("a grpc-status in the headers or the trailer frame")
    }
}

/// Calls `path` with `message` in one length-prefixed frame.
async fn call(
    addr: std::net::SocketAddr,
    path: &str,
    message: &impl prost::Message,
) -> GrpcWebReply {
    call_with_headers(addr, path, message, &[]).await
}

/// [`call`], with extra request headers.
async fn call_with_headers(
    addr: std::net::SocketAddr,
    path: &str,
    message: &impl prost::Message,
    headers: &[(&str, &str)],
) -> GrpcWebReply {
    let encoded = message.encode_to_vec();
    let mut frame = BytesMut::with_capacity(5 + encoded.len());
    frame.put_u8(0); // an uncompressed data frame
    frame.put_u32(u32::try_from(encoded.len()).expect("small message"));
    frame.put_slice(&encoded);
    let mut request = http::Request::post(path)
        .header(http::header::HOST, addr.to_string())
        .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
        .header("x-grpc-web", "1");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(frame.freeze())).expect("request");

    let reply = http1::send(addr, request).await;

    let mut trailers: HashMap<String, String> = reply
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("grpc-"))
        .map(|(name, value)| {
            let value = value.to_str().expect("ascii header").to_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let mut messages = Vec::new();
    let mut body = reply.body;
    while body.has_remaining() {
        let flags = body.get_u8();
        let length = body.get_u32() as usize;
        let payload = body.split_to(length);
        // The high bit marks the trailer frame: HTTP/1-style header lines.
        if flags & 0x80 != 0 {
            let text = std::str::from_utf8(&payload).expect("trailers are text");
            for line in text.split("\r\n").filter(|line| !line.is_empty()) {
                let (name, value) = line.split_once(':').expect("name: value");
                trailers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        } else {
            messages.push(payload);
        }
    }
    GrpcWebReply {
        http_status: reply.status,
        headers: reply.headers.clone(),
        content_type: reply
            .headers
            .get(http::header::CONTENT_TYPE)
            .map(|value| value.to_str().expect("ascii").to_owned())
            .unwrap_or_default(),
        messages,
        trailers,
    }
}

#[tokio::test]
async fn grpc_web_over_http1_gets_a_question() {
    let app = spawn_app().await;

    let reply = call(
        app.addr,
        "/qbank.v1.QuestionBank/GetQuestion",
        &pb::GetQuestionRequest {
            id: "llm-001".into(),
            view: pb::QuestionView::Basic.into(),
            revision: 0,
            ..Default::default()
        },
    )
    .await;

    assert_eq!(reply.http_status, http::StatusCode::OK);
    assert!(
        reply.content_type.starts_with("application/grpc-web"),
        "{}",
        reply.content_type
    );
    assert_eq!(reply.grpc_status(), "0");
    let [message] = reply.messages.as_slice() else {
        panic!("expected one message, got {}", reply.messages.len());
    };
    let question = pb::Question::decode(message.clone()).expect("a Question");
    assert_eq!(question.id, "llm-001");
    assert!(
        question.answer.is_none(),
        "the BASIC view has no answer key"
    );
}

#[tokio::test]
async fn grpc_web_reports_an_unknown_question_as_not_found() {
    let app = spawn_app().await;

    let reply = call(
        app.addr,
        "/qbank.v1.QuestionBank/GetQuestion",
        &pb::GetQuestionRequest {
            id: "no-such-question".into(),
            view: pb::QuestionView::Basic.into(),
            revision: 0,
            ..Default::default()
        },
    )
    .await;

    assert_eq!(reply.http_status, http::StatusCode::OK);
    assert!(reply.messages.is_empty());
    assert_eq!(
        reply.grpc_status(),
        (tonic::Code::NotFound as i32).to_string()
    );
}

#[tokio::test]
async fn grpc_web_answers_are_graded_and_recorded() {
    let app = spawn_app().await;

    let reply = call(
        app.addr,
        "/qbank.v1.QuestionBank/SubmitAnswer",
        &crate::support::submission("llm-001", &["C"]),
    )
    .await;

    assert_eq!(reply.grpc_status(), "0");
    let graded = pb::SubmitAnswerResponse::decode(reply.messages[0].clone()).expect("a response");
    assert!(graded.correct);
    assert_eq!(app.attempts_stored("llm-001"), 1);
}

/// A page's origin that a test server allows.
const PAGE_ORIGIN: &str = "https://quiz.example.com";

/// The value of `name` in `headers`, lower-cased; empty if absent.
fn header_text(headers: &http::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .map(|value| value.to_str().expect("ascii").to_ascii_lowercase())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_passes_the_preflight_and_can_read_the_status() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut child, addr, _lines) = start_binary(
        &dir.path().join("qbank.db"),
        &["--grpc-web-allow-origin", PAGE_ORIGIN],
    );
    let addr: std::net::SocketAddr = addr.parse().expect("a socket address");
    let path = "/qbank.v1.QuestionBank/GetQuestion";
    let preflight = http::Request::builder()
        .method(http::Method::OPTIONS)
        .uri(path)
        .header(http::header::HOST, addr.to_string())
        .header(http::header::ORIGIN, PAGE_ORIGIN)
        .header(http::header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            http::header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,x-grpc-web,authorization",
        )
        .body(Full::default())
        .expect("request");

    let answer = http1::send(addr, preflight).await;
    let call = call_with_headers(
        addr,
        path,
        &pb::GetQuestionRequest {
            id: "no-such-question".into(),
            view: pb::QuestionView::Basic.into(),
            revision: 0,
            ..Default::default()
        },
        &[("origin", PAGE_ORIGIN)],
    )
    .await;
    let other_origin = call_with_headers(
        addr,
        path,
        &pb::GetQuestionRequest::default(),
        &[("origin", "https://elsewhere.example")],
    )
    .await;
    send_signal(&child, "-TERM");
    assert_eq!(wait_for_exit(&mut child).code(), Some(0));

    assert!(answer.status.is_success(), "{}", answer.status);
    let allow_origin = header_text(&answer.headers, "access-control-allow-origin");
    assert_eq!(allow_origin, PAGE_ORIGIN);
    let allow_headers = header_text(&answer.headers, "access-control-allow-headers");
    assert!(allow_headers.contains("x-grpc-web"), "{allow_headers}");
    assert!(allow_headers.contains("authorization"), "{allow_headers}");
    assert_eq!(
        call.grpc_status(),
        (tonic::Code::NotFound as i32).to_string()
    );
    let exposed = header_text(&call.headers, "access-control-expose-headers");
    assert!(exposed.contains("grpc-status"), "{exposed}");
    assert!(exposed.contains("grpc-message"), "{exposed}");
    assert!(
        other_origin
            .headers
            .get("access-control-allow-origin")
            .is_none(),
        "another origin must not be allowed"
    );
}
