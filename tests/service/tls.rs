//! Optional TLS and mutual TLS, with certificates made for each test.

use std::{path::Path, time::Duration};

use qbank::{
    config::{Config, TlsFiles},
    pb::{self, question_bank_client::QuestionBankClient},
    server::serve,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
};
use tokio::{net::TcpListener, sync::oneshot};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// A CA, a server certificate for `localhost`, and a client certificate.
struct Pki {
    ca_pem: String,
    server: (String, String),
    client: (String, String),
}

fn make_pki() -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key"))
        .expect("CA certificate");
    let leaf = |name: &str, purpose: ExtendedKeyUsagePurpose| {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(vec![name.to_owned()]).expect("params");
        params.extended_key_usages = vec![purpose];
        let cert = params.signed_by(&key, &ca).expect("sign");
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca_pem: ca.pem(),
        server: leaf("localhost", ExtendedKeyUsagePurpose::ServerAuth),
        client: leaf("client", ExtendedKeyUsagePurpose::ClientAuth),
    }
}

struct TlsServer {
    addr: std::net::SocketAddr,
    _dir: tempfile::TempDir,
    _stop: oneshot::Sender<()>,
}

async fn start_tls_server(pki: &Pki, require_client_certificate: bool) -> TlsServer {
    start_tls_server_with(pki, require_client_certificate, Duration::from_secs(10)).await
}

async fn start_tls_server_with(
    pki: &Pki,
    require_client_certificate: bool,
    handshake_timeout: Duration,
) -> TlsServer {
    let dir = tempfile::tempdir().expect("temporary directory");
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write a PEM file");
        path
    };
    let tls = TlsFiles {
        tls_cert: Some(write("server.pem", &pki.server.0)),
        tls_key: Some(write("server.key", &pki.server.1)),
        tls_client_ca: require_client_certificate.then(|| write("ca.pem", &pki.ca_pem)),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let mut config = Config {
        listen: addr,
        tls,
        ..Config::with_defaults(dir.path().join("qbank.db"))
    };
    config.limits.handshake_timeout = handshake_timeout;
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(config, listener, async {
        let _ = stopped.await;
    }));
    TlsServer {
        addr,
        _dir: dir,
        _stop: stop,
    }
}

async fn tls_client(
    addr: std::net::SocketAddr,
    pki: &Pki,
    client_identity: bool,
) -> Result<QuestionBankClient<Channel>, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&pki.ca_pem))
        .domain_name("localhost");
    if client_identity {
        tls = tls.identity(Identity::from_pem(&pki.client.0, &pki.client.1));
    }
    let channel = Channel::from_shared(format!("https://{addr}"))
        .expect("endpoint")
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await?;
    Ok(QuestionBankClient::new(channel))
}

fn get_request() -> pb::GetQuestionRequest {
    pb::GetQuestionRequest {
        id: "llm-001".into(),
        view: 0,
        revision: 0,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_tls_server_answers_clients_that_trust_its_certificate() {
    let pki = make_pki();
    let server = start_tls_server(&pki, false).await;

    let mut client = tls_client(server.addr, &pki, false).await.expect("connect");
    let question = client.get_question(get_request()).await.expect("get");

    assert_eq!(question.into_inner().id, "llm-001");
}

#[tokio::test]
async fn a_tls_server_does_not_answer_plaintext() {
    let pki = make_pki();
    let server = start_tls_server(&pki, false).await;

    let plaintext = async {
        let channel = Channel::from_shared(format!("http://{}", server.addr))
            .expect("endpoint")
            .connect()
            .await?;
        let answer = QuestionBankClient::new(channel)
            .get_question(get_request())
            .await;
        Ok::<_, tonic::transport::Error>(answer)
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), plaintext)
        .await
        .expect("no hang");

    assert!(
        !matches!(outcome, Ok(Ok(_))),
        "plaintext was served: {outcome:?}"
    );
}

#[tokio::test]
async fn mutual_tls_refuses_a_client_without_a_certificate() {
    let pki = make_pki();
    let server = start_tls_server(&pki, true).await;

    let anonymous = async {
        let mut client = tls_client(server.addr, &pki, false).await?;
        Ok::<_, tonic::transport::Error>(client.get_question(get_request()).await)
    };
    let outcome = tokio::time::timeout(Duration::from_secs(10), anonymous)
        .await
        .expect("no hang");

    assert!(
        !matches!(outcome, Ok(Ok(_))),
        "an anonymous client was served"
    );
}

#[tokio::test]
async fn mutual_tls_serves_a_client_with_a_certificate_from_the_trusted_ca() {
    let pki = make_pki();
    let server = start_tls_server(&pki, true).await;

    let mut client = tls_client(server.addr, &pki, true).await.expect("connect");
    let question = client.get_question(get_request()).await.expect("get");

    assert_eq!(question.into_inner().id, "llm-001");
}

#[test]
fn a_missing_tls_file_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing = dir.path().join("missing.pem");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_qbank-server"))
        .args(["--listen", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("qbank.db"))
        .arg("--tls-cert")
        .arg(&missing)
        .arg("--tls-key")
        .arg(&missing)
        .output()
        .expect("run qbank-server");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot read the TLS file"), "{stderr}");
    assert!(
        stderr.contains(&*Path::new(&missing).display().to_string()),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_tls_handshake_that_never_finishes_is_closed_after_the_handshake_timeout() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let pki = make_pki();
    let server = start_tls_server_with(&pki, false, Duration::from_millis(300)).await;
    let mut stalled = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    // The first bytes of a ClientHello record, then nothing more.
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .expect("write");

    let mut byte = [0_u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(3), stalled.read(&mut byte)).await;

    assert!(
        matches!(closed, Ok(Ok(0) | Err(_))),
        "the stalled handshake is closed: {closed:?}"
    );
    let mut client = tls_client(server.addr, &pki, false)
        .await
        .expect("a real TLS client connects");
    client
        .get_question(get_request())
        .await
        .expect("and is served");
}
