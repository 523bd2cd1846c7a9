//! Crash safety: SIGKILL in the middle of a submit load loses no acknowledged
//! attempt, and retrying the unanswered requests records none twice.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use qbank::{pb, store::Store};
use tonic::transport::Channel;

use crate::support::{send_signal, start_binary, wait_for_exit};

const WORKERS: usize = 8;
const MAX_SUBMITS_PER_WORKER: usize = 400;

#[derive(Default)]
struct Ledger {
    /// Every request id sent, whether or not its response arrived.
    sent: BTreeSet<String>,
    /// The responses that reached the client, by request id.
    acknowledged: BTreeMap<String, pb::SubmitAnswerResponse>,
}

fn request(request_id: &str, n: usize) -> pb::SubmitAnswerRequest {
    pb::SubmitAnswerRequest {
        question_id: "llm-001".into(),
        choice_keys: vec![["A", "B", "C", "D"][n % 4].into()],
        respondent_id: "crash-test".into(),
        request_id: request_id.into(),
        ..Default::default()
    }
}

async fn connect(addr: &str) -> pb::question_bank_client::QuestionBankClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    pb::question_bank_client::QuestionBankClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_no_acknowledged_attempt_and_retries_record_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("qbank.db");
    let (mut server, addr, _logs) = start_binary(&db, &[]);
    let client = connect(&addr).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    // Bounded load: each worker stops at its first failure (the kill) or
    // after MAX_SUBMITS_PER_WORKER submissions.
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let mut client = client.clone();
            let ledger = ledger.clone();
            tokio::spawn(async move {
                for n in 0..MAX_SUBMITS_PER_WORKER {
                    let request_id = format!("crash-{worker}-{n}");
                    ledger
                        .lock()
                        .expect("ledger")
                        .sent
                        .insert(request_id.clone());
                    match client.submit_answer(request(&request_id, n)).await {
                        Ok(response) => {
                            let mut ledger = ledger.lock().expect("ledger");
                            ledger
                                .acknowledged
                                .insert(request_id, response.into_inner());
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    // Kill once a good number of attempts are acknowledged, mid-load.
    for _ in 0..500 {
        if ledger.lock().expect("ledger").acknowledged.len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    send_signal(&server, "-KILL");
    for worker in workers {
        worker.await.expect("worker");
    }
    wait_for_exit(&mut server);
    let Ledger { sent, acknowledged } = std::mem::take(&mut *ledger.lock().expect("ledger"));
    assert!(
        acknowledged.len() >= 100,
        "the load was too small to mean anything"
    );
    assert!(
        acknowledged.len() < WORKERS * MAX_SUBMITS_PER_WORKER,
        "the kill came after the load finished"
    );

    let (mut restarted, addr, _logs) = start_binary(&db, &[]);
    let mut client = connect(&addr).await;

    // Every acknowledged attempt is stored: its retry returns the original.
    for (request_id, original) in &acknowledged {
        let n: usize = request_id
            .rsplit('-')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("n");
        let retry = client
            .submit_answer(request(request_id, n))
            .await
            .expect("retry of an acknowledged request")
            .into_inner();
        assert_eq!(&retry, original, "{request_id} changed after the crash");
    }
    // The unanswered ones are retried too, as a careful client would.
    for request_id in sent.difference(&acknowledged.keys().cloned().collect()) {
        let n: usize = request_id
            .rsplit('-')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("n");
        client
            .submit_answer(request(request_id, n))
            .await
            .expect("retry of an unanswered request");
    }

    let stored = Store::open(&db, &[])
        .expect("open")
        .attempts_for_question("llm-001")
        .expect("attempts");
    let stored_ids: Vec<String> = stored
        .iter()
        .map(|attempt| {
            attempt
                .answer
                .request_id
                .clone()
                .expect("every attempt had an id")
        })
        .collect();
    let distinct: BTreeSet<String> = stored_ids.iter().cloned().collect();
    assert_eq!(
        stored_ids.len(),
        distinct.len(),
        "an attempt was recorded twice"
    );
    assert_eq!(
        distinct, sent,
        "stored attempts differ from the requests sent"
    );

    send_signal(&restarted, "-TERM");
    assert_eq!(wait_for_exit(&mut restarted).code(), Some(0));
}
