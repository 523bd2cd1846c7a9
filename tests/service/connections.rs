//! Connections that never become calls: idle sockets, stalled handshakes
//! and a process out of file descriptors. Each is held by a raw TCP client
//! written here, bounded in count and time, on loopback.

use std::{
    io::Read as _,
    net::TcpStream,
    process::Child,
    time::{Duration, Instant},
};

use qbank::{config::Limits, pb};

use crate::support::{Options, send_signal, spawn_app_with, start_binary_under, wait_for_exit};

/// CPU seconds (user and system) the process has used so far.
fn cpu_seconds(child: &Child) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).expect("stat");
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("a command name")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // Linux reports in clock ticks of 1/100 s on every platform Rust targets.
    ticks as f64 / 100.0
}

/// Opens `count` connections that never send a byte.
fn idle_sockets(addr: &str, count: usize) -> Vec<TcpStream> {
    (0..count)
        .filter_map(|_| TcpStream::connect(addr).ok())
        .collect()
}

/// GetQuestion from a well-behaved client, with `deadline` for everything.
fn normal_call(addr: &str, deadline: Duration) -> Result<pb::Question, String> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        tokio::time::timeout(deadline, async {
            let mut client =
                pb::question_bank_client::QuestionBankClient::connect(format!("http://{addr}"))
                    .await
                    .map_err(|error| error.to_string())?;
            client
                .get_question(pb::GetQuestionRequest {
                    id: "llm-001".into(),
                    view: 0,
                    revision: 0,
                    ..Default::default()
                })
                .await
                .map(tonic::Response::into_inner)
                .map_err(|status| status.to_string())
        })
        .await
        .map_err(|_| format!("no answer within {deadline:?}"))?
    })
}

/// What a normal client met while `idle` sockets were held against the
/// server: its call's outcome and how long it waited, the CPU the server
/// used meanwhile, and the server's log once it stopped.
struct UnderSiege {
    served: Result<pb::Question, String>,
    waited: Duration,
    cpu_used: f64,
    log: Vec<String>,
}

/// Holds `idle` sockets that never send a byte against the server, makes a
/// normal call, then stops the server.
fn besiege(
    mut server: Child,
    addr: &str,
    lines: &std::sync::mpsc::Receiver<String>,
    idle: usize,
) -> UnderSiege {
    let cpu_before = cpu_seconds(&server);
    let idle = idle_sockets(addr, idle);
    let started = Instant::now();
    // Let the server meet the idle sockets before the normal client comes.
    std::thread::sleep(Duration::from_millis(500));
    let served = normal_call(addr, Duration::from_secs(20));
    let waited = started.elapsed();
    let cpu_used = cpu_seconds(&server) - cpu_before;
    send_signal(&server, "-TERM");
    wait_for_exit(&mut server);
    drop(idle);
    UnderSiege {
        served,
        waited,
        cpu_used,
        log: lines.try_iter().collect(),
    }
}

#[test]
fn idle_sockets_beyond_the_connection_cap_do_not_lock_out_a_normal_client() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A soft limit of 64 under a hard one of 128: the server raises it, and
    // caps connections at half of it by default.
    let (server, addr, lines) = start_binary_under(
        &["prlimit", "--nofile=64:128"],
        &dir.path().join("qbank.db"),
        &["--handshake-timeout", "1"],
        &[],
    );
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.id())).expect("limits");

    let UnderSiege {
        served,
        waited,
        cpu_used,
        log,
    } = besiege(server, &addr, &lines, 150);

    assert!(served.is_ok(), "{served:?} after {waited:?}");
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .expect("a file limit");
    assert_eq!(
        open_files.split_whitespace().collect::<Vec<_>>()[3..5],
        ["128", "128"],
        "the soft limit is raised to the hard one: {open_files}"
    );
    assert!(
        log.iter().any(
            |line| line.contains("at --max-connections") && line.contains("max_connections=64")
        ),
        "{log:#?}"
    );
    assert!(
        cpu_used < 1.0,
        "the server spun: {cpu_used} s of CPU in {waited:?}"
    );
}

#[test]
fn running_out_of_file_descriptors_backs_off_instead_of_spinning() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // A cap above the limit: accept itself runs out of descriptors.
    let (server, addr, lines) = start_binary_under(
        &["prlimit", "--nofile=64:64"],
        &dir.path().join("qbank.db"),
        &["--handshake-timeout", "1", "--max-connections", "1000"],
        &[],
    );

    let UnderSiege {
        served,
        waited,
        cpu_used,
        log,
    } = besiege(server, &addr, &lines, 120);

    assert!(served.is_ok(), "{served:?} after {waited:?}");
    assert!(
        log.iter()
            .any(|line| line.contains("cannot accept connections")),
        "accept errors are logged: {log:#?}"
    );
    assert!(
        cpu_used < 1.0,
        "the server spun: {cpu_used} s of CPU in {waited:?}"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_handshake_timeout() {
    let app = spawn_app_with(Options {
        limits: Limits {
            handshake_timeout: Duration::from_millis(300),
            ..Limits::default()
        },
        ..Options::default()
    })
    .await;
    let addr = app.addr;

    let closed_after = tokio::task::spawn_blocking(move || {
        let mut idle = TcpStream::connect(addr).expect("connect");
        idle.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("a read timeout");
        let started = Instant::now();
        let mut byte = [0_u8; 1];
        // The server closes the socket: end of stream (or a reset).
        let outcome = idle.read(&mut byte);
        (started.elapsed(), outcome.map_err(|error| error.kind()))
    })
    .await
    .expect("the idle client");

    let (waited, outcome) = closed_after;
    assert!(
        matches!(outcome, Ok(0) | Err(std::io::ErrorKind::ConnectionReset)),
        "{outcome:?}"
    );
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    app.get("llm-001")
        .await
        .expect("well-behaved clients are served");
}
