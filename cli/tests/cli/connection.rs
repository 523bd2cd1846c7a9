//! Global options and failures that are not about one command: where the server is, the
//! deadline, the token from the environment, and usage errors.

use std::net::TcpListener;

use crate::support::{ADMIN_TOKEN, qbank_command, run, spawn_server};

#[test]
fn an_unreachable_server_exits_with_the_unavailable_code_and_names_the_address() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("find a free port")
        .port();
    let addr = format!("http://127.0.0.1:{port}");
    let mut command = qbank_command();
    command.args(["--addr", &addr, "list"]);

    let run = run(command, "").failure(6);

    assert!(run.stderr.contains(&addr), "{}", run.stderr);
    assert!(run.stderr.contains("UNAVAILABLE"), "{}", run.stderr);
    assert!(
        run.stderr.contains("QBANK_ADDR"),
        "the hint names the variable: {}",
        run.stderr
    );
}

#[test]
fn a_server_that_does_not_answer_in_time_exits_with_the_unavailable_code() {
    // Bound but never accepting: the connection queues and no answer ever comes.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = format!("http://{}", silent.local_addr().expect("the bound address"));
    let mut command = qbank_command();
    command.args(["--addr", &addr, "--timeout", "300ms", "health"]);

    let run = run(command, "").failure(6);

    assert!(run.stderr.contains("300ms"), "{}", run.stderr);
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
}

#[test]
fn the_address_and_token_can_come_from_the_environment() {
    let server = spawn_server();
    let mut command = qbank_command();
    command
        .env("QBANK_ADDR", &server.addr)
        .env("QBANK_TOKEN", ADMIN_TOKEN)
        .args(["get", "llm-002", "--full"]);

    let run = run(command, "").success();

    assert!(run.stdout.contains("Answer: false"), "{}", run.stdout);
}

#[test]
fn json_output_can_be_chosen_by_the_environment() {
    let server = spawn_server();
    let mut command = qbank_command();
    command
        .env("QBANK_JSON", "1")
        .args(["--addr", &server.addr, "health"]);

    let run = run(command, "").success();

    assert_eq!(run.json()["status"], "SERVING");
}

#[test]
fn an_address_without_a_scheme_means_http() {
    let server = spawn_server();
    let bare = server.addr.trim_start_matches("http://").to_owned();
    let mut command = qbank_command();
    command.args(["--addr", &bare, "health"]);

    run(command, "").success();
}

#[test]
fn an_address_of_another_scheme_is_a_usage_error() {
    let mut command = qbank_command();
    command.args(["--addr", "ftp://x", "list"]);

    let run = run(command, "").failure(2);

    assert!(run.stderr.contains("ftp://x"), "{}", run.stderr);
    assert!(run.stderr.contains("http://"), "{}", run.stderr);
}

#[test]
fn an_unknown_flag_exits_with_the_usage_code() {
    let mut command = qbank_command();
    command.args(["list", "--colour"]);

    let run = run(command, "");

    assert_eq!(run.code, 2, "{run:#?}");
    assert!(run.stderr.contains("--colour"), "{}", run.stderr);
}

#[test]
fn a_timeout_without_a_unit_exits_with_the_usage_code() {
    let mut command = qbank_command();
    command.args(["--timeout", "5", "health"]);

    let run = run(command, "");

    assert_eq!(run.code, 2, "{run:#?}");
    assert!(
        run.stderr.contains("500ms"),
        "the message shows valid forms: {}",
        run.stderr
    );
}

#[test]
fn help_documents_the_exit_codes() {
    let mut command = qbank_command();
    command.arg("--help");

    let run = run(command, "").success();

    for line in [
        "3  not found",
        "4  invalid argument",
        "5  unauthenticated",
        "6  unavailable",
    ] {
        assert!(
            run.stdout.contains(line),
            "{line:?} missing from:\n{}",
            run.stdout
        );
    }
}

#[test]
fn an_https_address_is_spoken_to_over_tls_never_in_plaintext() {
    use std::io::Read as _;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("the bound address").port();
    let first_bytes = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the CLI connects");
        let mut bytes = [0_u8; 3];
        stream.read_exact(&mut bytes).expect("its first bytes");
        bytes
    });
    let mut command = qbank_command();
    command.args([
        "--addr",
        &format!("https://127.0.0.1:{port}"),
        "--token",
        ADMIN_TOKEN,
        "--timeout",
        "1s",
        "health",
    ]);

    let run = run(command, "");

    let bytes = first_bytes.join().expect("the listening thread");
    // A TLS handshake record (0x16, version 3.x), not the HTTP/2 preface
    // that would carry the token in the clear.
    assert_eq!(bytes[..2], [0x16, 0x03], "{bytes:?}");
    assert_ne!(run.code, 0, "{run:#?}");
}
