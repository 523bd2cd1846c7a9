//! Streams that hold the server without giving it work: calls whose request
//! message never arrives, and open-ended streams (Health.Watch, reflection)
//! kept open. The attacks
//! use a raw HTTP/2 client written here, bounded in count and time, on
//! loopback.

use std::time::Duration;

use qbank::config::Limits;
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::support::{connect, expect_code, spawn_app_with, with_limits};

/// Opens `streams` GetQuestion calls on one new connection, sending their
/// headers but never their request message. Returns the connection's
/// handle (the streams live as long as it does) and their responses.
async fn headers_only_calls(
    addr: std::net::SocketAddr,
    streams: usize,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    Vec<h2::client::ResponseFuture>,
    Vec<h2::SendStream<bytes::Bytes>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    let mut responses = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..streams {
        client = client.ready().await.expect("room for a stream");
        let request =
            http::Request::post(format!("http://{addr}/qbank.v1.QuestionBank/GetQuestion"))
                .header("content-type", "application/grpc")
                .header("te", "trailers")
                .body(())
                .expect("request");
        let (response, body) = client.send_request(request, false).expect("send headers");
        responses.push(response);
        bodies.push(body);
    }
    (client, responses, bodies)
}

/// Opens `count` Health.Watch streams, each on a connection of its own.
async fn open_watches(
    app: &crate::support::TestApp,
    count: usize,
) -> Vec<tonic::Response<tonic::Streaming<tonic_health::pb::HealthCheckResponse>>> {
    let mut watches = Vec::new();
    for _ in 0..count {
        let watch = HealthClient::new(connect(app).await)
            .watch(HealthCheckRequest::default())
            .await
            .expect("a watch within the limits");
        watches.push(watch);
    }
    watches
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_whose_request_never_arrives_do_not_take_the_call_budget() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_calls: 32,
        client_call_share: 100,
        request_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    }))
    .await;
    // Nine connections of 100 streams each: far more than the budget.
    let mut attack = Vec::new();
    for _ in 0..9 {
        attack.push(headers_only_calls(app.addr, 100).await);
    }

    let mut served = Vec::new();
    for _ in 0..20 {
        served.push(app.get("llm-001").await.map(|_| ()).map_err(|s| s.code()));
    }
    let (_client, responses, _bodies) = attack.pop().expect("an attacking connection");
    let first = tokio::time::timeout(
        Duration::from_secs(5),
        responses.into_iter().next().expect("a stream"),
    )
    .await
    .expect("the held stream is ended")
    .expect("a response");

    assert!(served.iter().all(Result::is_ok), "{served:?}");
    assert_eq!(
        first
            .headers()
            .get("grpc-status")
            .map(|value| value.as_bytes()),
        Some(b"4".as_slice()),
        "DEADLINE_EXCEEDED: {first:?}"
    );
}

#[tokio::test]
async fn a_connection_may_keep_only_a_few_health_watches_open() {
    let app = spawn_app_with(with_limits(Limits {
        max_streaming_calls_per_connection: 2,
        ..Limits::default()
    }))
    .await;
    let channel = connect(&app).await;
    let mut health = HealthClient::new(channel);
    let first = health
        .watch(HealthCheckRequest::default())
        .await
        .expect("a first watch");
    let second = health
        .watch(HealthCheckRequest::default())
        .await
        .expect("a second watch");

    let third = health.watch(HealthCheckRequest::default()).await;
    let status = expect_code(third, Code::ResourceExhausted);
    let on_another_connection = HealthClient::new(connect(&app).await)
        .watch(HealthCheckRequest::default())
        .await;

    assert!(status.message().contains("Health.Watch"), "{status:?}");
    assert!(on_another_connection.is_ok(), "{on_another_connection:?}");
    drop((first, second));
}

#[tokio::test]
async fn open_ended_streams_are_capped_in_total() {
    let app = spawn_app_with(with_limits(Limits {
        max_streaming_calls: 2,
        ..Limits::default()
    }))
    .await;
    let watches = open_watches(&app, 2).await;

    let third = HealthClient::new(connect(&app).await)
        .watch(HealthCheckRequest::default())
        .await;
    let reflection = tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(
        connect(&app).await,
    )
    .server_reflection_info(tokio_stream::iter([
        tonic_reflection::pb::v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                    String::new(),
                ),
            ),
        },
    ]))
    .await;

    let status = expect_code(third, Code::ResourceExhausted);
    assert!(status.message().contains("open-ended"), "{status:?}");
    expect_code(reflection, Code::ResourceExhausted);
    app.get("llm-001").await.expect("other calls are served");
    drop(watches);
}

#[tokio::test]
async fn health_watches_count_as_calls_while_they_are_open() {
    let app = spawn_app_with(with_limits(Limits {
        max_concurrent_calls: 2,
        client_call_share: 100,
        ..Limits::default()
    }))
    .await;
    let watches = open_watches(&app, 2).await;

    let status = expect_code(app.get("llm-001").await, Code::ResourceExhausted);

    assert!(status.message().contains("calls in progress"), "{status:?}");
    drop(watches);
    // Closed watches give their slots back.
    crate::support::wait_until_served(&app).await;
}

#[tokio::test]
async fn health_checks_do_not_count_against_the_rate_limit() {
    let app = spawn_app_with(with_limits(Limits {
        rate_limit: 2,
        ..Limits::default()
    }))
    .await;
    let mut health = HealthClient::new(app.channel.clone());

    for _ in 0..20 {
        health
            .check(HealthCheckRequest::default())
            .await
            .expect("probes are never throttled");
    }
    let mut outcomes = Vec::new();
    for _ in 0..10 {
        outcomes.push(app.get("llm-001").await.map(|_| ()).map_err(|s| s.code()));
    }

    assert!(
        outcomes.contains(&Err(Code::ResourceExhausted)),
        "{outcomes:?}"
    );
}
