//! The Prometheus endpoint, scraped over plain HTTP after real calls.

use tonic::Code;

use crate::{
    http1,
    support::{expect_code, spawn_app},
};

/// The scrape's text, after checking it is a successful OpenMetrics reply.
async fn scrape(app: &crate::support::TestApp) -> String {
    let reply = http1::get(app.metrics_addr, "/metrics").await;
    assert_eq!(reply.status, http::StatusCode::OK);
    let content_type = reply.headers[http::header::CONTENT_TYPE]
        .to_str()
        .expect("ascii");
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    String::from_utf8(reply.body.to_vec()).expect("UTF-8 text")
}

/// The value of the sample named exactly `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("a number"))
}

#[tokio::test]
async fn calls_are_counted_by_method_and_code() {
    let app = spawn_app().await;
    app.get("llm-001").await.expect("found");
    app.get("llm-002").await.expect("found");
    expect_code(app.get("no-such-question").await, Code::NotFound);

    let text = scrape(&app).await;

    let get_question = "grpc_service=\"qbank.v1.QuestionBank\",grpc_method=\"GetQuestion\"";
    assert_eq!(
        sample(
            &text,
            &format!("grpc_server_handled_total{{{get_question},grpc_code=\"OK\"}}")
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("grpc_server_handled_total{{{get_question},grpc_code=\"NotFound\"}}")
        ),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn each_method_has_a_latency_histogram() {
    let app = spawn_app().await;
    app.get("llm-001").await.expect("found");
    app.answer("llm-001", &["C"]).await.expect("graded");

    let text = scrape(&app).await;

    for method in ["GetQuestion", "SubmitAnswer"] {
        let labels = format!("grpc_service=\"qbank.v1.QuestionBank\",grpc_method=\"{method}\"");
        assert_eq!(
            sample(
                &text,
                &format!("grpc_server_handling_seconds_count{{{labels}}}")
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            sample(
                &text,
                &format!("grpc_server_handling_seconds_bucket{{le=\"+Inf\",{labels}}}")
            ),
            Some(1.0),
            "{text}"
        );
        assert!(
            sample(
                &text,
                &format!("grpc_server_handling_seconds_sum{{{labels}}}")
            )
            .is_some_and(|seconds| seconds > 0.0),
            "{text}"
        );
    }
}

#[tokio::test]
async fn the_store_gauges_show_the_read_pool_and_the_write_queue() {
    let app = spawn_app().await;
    app.get("llm-001").await.expect("found");

    let text = scrape(&app).await;

    let connections = sample(&text, "qbank_db_read_connections").expect("pool size");
    let idle = sample(&text, "qbank_db_read_connections_idle").expect("idle connections");
    assert!(connections >= 1.0 && idle <= connections, "{text}");
    assert!(sample(&text, "qbank_db_read_connections_max").is_some_and(|max| max >= connections));
    assert_eq!(
        sample(&text, "qbank_db_write_queue_depth"),
        Some(0.0),
        "{text}"
    );
    assert!(sample(&text, "qbank_db_write_queue_capacity").is_some_and(|capacity| capacity > 0.0));
}

#[tokio::test]
async fn other_paths_of_the_metrics_port_are_not_found() {
    let app = spawn_app().await;

    let reply = http1::get(app.metrics_addr, "/").await;

    assert_eq!(reply.status, http::StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_the_client_cancels_is_counted_as_cancelled() {
    let app = spawn_app().await;
    // A submission waits for the database lock until the client gives up.
    let other_process = rusqlite::Connection::open(&app.db_path).expect("open");
    other_process
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let mut client = app.client.clone();
    let call = tokio::spawn(async move {
        client
            .submit_answer(crate::support::submission("llm-001", &["C"]))
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    // Dropping the call resets its stream, as a client that gives up does.
    call.abort();

    let submit = "grpc_service=\"qbank.v1.QuestionBank\",grpc_method=\"SubmitAnswer\"";
    let mut text = String::new();
    for _ in 0..100 {
        text = scrape(&app).await;
        if text.contains(&format!("{submit},grpc_code=\"Canceled\"")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        sample(
            &text,
            &format!("grpc_server_handled_total{{{submit},grpc_code=\"Canceled\"}}")
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains("grpc_code=\"Unknown\""), "{text}");
    other_process.execute_batch("ROLLBACK").expect("release");
}

#[tokio::test]
async fn paths_the_server_does_not_route_share_one_series_however_their_calls_end() {
    let app = crate::support::spawn_app_with(crate::support::with_limits(qbank::config::Limits {
        request_read_timeout: std::time::Duration::from_millis(100),
        ..qbank::config::Limits::default()
    }))
    .await;
    let tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let (mut client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2");
    tokio::spawn(connection);
    let mut responses = Vec::new();
    let mut bodies = Vec::new();
    for n in 0..3 {
        // Headers only: the call ends at the read timeout, before routing.
        let request = http::Request::post(format!("http://{}/made.Up{n}/Method", app.addr))
            .header("content-type", "application/grpc")
            .body(())
            .expect("request");
        let (response, body) = client.send_request(request, false).expect("send");
        responses.push(response);
        bodies.push(body);
    }
    for response in responses {
        response.await.expect("a response");
    }

    let text = scrape(&app).await;

    assert!(!text.contains("made.Up"), "{text}");
    assert!(
        text.contains(
            "grpc_service=\"unknown\",grpc_method=\"unknown\",grpc_code=\"DeadlineExceeded\""
        ),
        "{text}"
    );
    drop(bodies);
}
