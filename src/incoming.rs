//! Incoming connections, from `accept` until tonic serves them: a cap on
//! open connections, accept errors retried with a back-off, TLS, and a
//! deadline for the handshake.
//!
//! tonic serves whatever connection it is handed, for as long as the peer
//! keeps it open. A socket that never sends the HTTP/2 preface (or never
//! finishes its TLS handshake) would hold a file descriptor forever, and
//! enough of them exhaust the process's limit: `accept` then fails with
//! EMFILE at once on every try. So connections are counted against
//! `--max-connections` from `accept` until they close, and one that has not
//! sent its first bytes within `--handshake-timeout` is closed.

use std::{
    future::Future as _,
    io,
    path::Path,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use futures_util::Stream;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, mpsc},
    time::{Instant, Sleep},
};
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        self, RootCertStore, ServerConfig,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject as _},
        server::WebPkiClientVerifier,
    },
    server::TlsStream,
};
use tonic::transport::server::{Connected, TcpConnectInfo};

/// The HTTP/2 client preface is 24 bytes; any HTTP/1.1 request (gRPC-Web)
/// is longer. A connection that has sent this many bytes is past its
/// handshake.
const PREFACE_BYTES: usize = 24;
/// Connections handed to tonic but not yet taken: a short queue, since
/// tonic takes them as fast as they come.
const HANDED_OVER_QUEUE: usize = 64;
/// The first wait after a failed `accept`, doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// At most one log line per this interval about failing accepts, or about
/// the connection cap being reached.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// How connections are accepted.
#[derive(Clone)]
pub struct ConnectionPolicy {
    /// Connections open at once; beyond it new ones wait in the kernel's
    /// backlog until one closes.
    pub max_connections: usize,
    /// Time from `accept` to the end of the TLS handshake and the first
    /// bytes of HTTP.
    pub handshake_timeout: Duration,
    /// TLS, or `None` for plaintext.
    pub tls: Option<TlsAcceptor>,
}

impl std::fmt::Debug for ConnectionPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionPolicy")
            .field("max_connections", &self.max_connections)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

/// The connections `listener` accepts under `policy`, ready for tonic. The
/// listening socket closes when the stream is dropped (tonic drops it when
/// shutdown begins), so no client connects to a server that stopped
/// accepting.
pub fn accept(
    listener: TcpListener,
    policy: ConnectionPolicy,
) -> impl Stream<Item = io::Result<Connection>> {
    let (handed_over, mut taken) = mpsc::channel(HANDED_OVER_QUEUE);
    tokio::spawn(accept_loop(listener, policy, handed_over));
    futures_util::stream::poll_fn(move |cx| taken.poll_recv(cx).map(|next| next.map(Ok)))
}

async fn accept_loop(
    listener: TcpListener,
    policy: ConnectionPolicy,
    handed_over: mpsc::Sender<Connection>,
) {
    let slots = Arc::new(Semaphore::new(policy.max_connections));
    let mut at_cap_logged: Option<Instant> = None;
    let mut backoff = Backoff::default();
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if at_cap_logged.is_none_or(|at| at.elapsed() >= LOG_INTERVAL) {
                    tracing::warn!(
                        max_connections = policy.max_connections,
                        "at --max-connections: new connections wait until one closes"
                    );
                    at_cap_logged = Some(Instant::now());
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => return,
                    },
                    () = handed_over.closed() => return,
                }
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = handed_over.closed() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                backoff.succeeded();
                let policy = policy.clone();
                let handed_over = handed_over.clone();
                tokio::spawn(async move {
                    if let Some(connection) = handshake(stream, slot, &policy).await {
                        // Err: serving has ended; the connection just closes.
                        let _ = handed_over.send(connection).await;
                    }
                });
            }
            Err(error) if is_the_peers_fault(&error) => {}
            Err(error) => {
                // Out of file descriptors or memory: trying again at once
                // fails again at once, a busy loop.
                drop(slot);
                backoff.failed(&error).await;
            }
        }
    }
}

/// Errors that concern one connection that went away before it was
/// accepted, not the listener: the next accept may succeed at once.
fn is_the_peers_fault(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            // Linux reports a pending network error of the new connection.
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
    )
}

/// How long to wait after failing accepts, and when to say so.
#[derive(Debug, Default)]
struct Backoff {
    delay: Option<Duration>,
    failures_since_log: u64,
    logged_at: Option<Instant>,
}

impl Backoff {
    fn succeeded(&mut self) {
        self.delay = None;
    }

    async fn failed(&mut self, error: &io::Error) {
        let delay = self
            .delay
            .map_or(FIRST_BACKOFF, |delay| (delay * 2).min(MAX_BACKOFF));
        self.delay = Some(delay);
        self.failures_since_log += 1;
        if self.logged_at.is_none_or(|at| at.elapsed() >= LOG_INTERVAL) {
            tracing::error!(
                %error,
                failures = self.failures_since_log,
                retry_in_ms = delay.as_millis() as u64,
                "cannot accept connections"
            );
            self.failures_since_log = 0;
            self.logged_at = Some(Instant::now());
        }
        tokio::time::sleep(delay).await;
    }
}

/// The TLS handshake, if any, within the deadline; then the connection,
/// which enforces the rest of the deadline on its first bytes.
async fn handshake(
    stream: TcpStream,
    slot: OwnedSemaphorePermit,
    policy: &ConnectionPolicy,
) -> Option<Connection> {
    let deadline = Instant::now() + policy.handshake_timeout;
    // Small gRPC replies go out at once instead of waiting for an ACK.
    let _ = stream.set_nodelay(true);
    let connect_info = TcpConnectInfo {
        local_addr: stream.local_addr().ok(),
        remote_addr: stream.peer_addr().ok(),
    };
    let transport = match &policy.tls {
        None => Transport::Plain(stream),
        Some(acceptor) => match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
            Ok(Ok(tls)) => Transport::Tls(Box::new(tls)),
            Ok(Err(error)) => {
                tracing::debug!(peer = ?connect_info.remote_addr, %error, "TLS handshake failed");
                return None;
            }
            Err(_) => {
                tracing::debug!(peer = ?connect_info.remote_addr, "TLS handshake timed out");
                return None;
            }
        },
    };
    Some(Connection {
        transport,
        connect_info,
        preface: Some(Preface {
            missing: PREFACE_BYTES,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }),
        _slot: slot,
    })
}

/// An accepted connection, counted against `--max-connections` until it is
/// dropped.
#[derive(Debug)]
pub struct Connection {
    transport: Transport,
    connect_info: TcpConnectInfo,
    /// Until the first bytes have arrived: how many are missing, and when
    /// the connection is given up.
    preface: Option<Preface>,
    _slot: OwnedSemaphorePermit,
}

#[derive(Debug)]
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

#[derive(Debug)]
struct Preface {
    missing: usize,
    deadline: Pin<Box<Sleep>>,
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.connect_info.clone()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Polled with the same waker as the read below, so a peer that
        // sends nothing is still woken up, and closed, at the deadline.
        if let Some(preface) = &mut this.preface
            && preface.deadline.as_mut().poll(cx).is_ready()
        {
            tracing::debug!(peer = ?this.connect_info.remote_addr, "handshake timed out");
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client sent no request within --handshake-timeout",
            )));
        }
        let before = buf.filled().len();
        match &mut this.transport {
            Transport::Plain(stream) => ready!(Pin::new(stream).poll_read(cx, buf))?,
            Transport::Tls(stream) => ready!(Pin::new(stream.as_mut()).poll_read(cx, buf))?,
        }
        if let Some(preface) = &mut this.preface {
            preface.missing = preface.missing.saturating_sub(buf.filled().len() - before);
            if preface.missing == 0 {
                this.preface = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_write_vectored(cx, bufs),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.transport {
            Transport::Plain(stream) => stream.is_write_vectored(),
            Transport::Tls(stream) => stream.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_flush(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().transport {
            Transport::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            Transport::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The process's file-descriptor limits, after [`raise_file_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimit {
    /// The limit in force.
    pub soft: u64,
    /// The most it may be raised to.
    pub hard: u64,
}

/// Raises the soft file-descriptor limit to the hard one, so that
/// `--max-connections` is what bounds connections, not a default of 1024
/// the operator never chose. Logs both limits.
pub fn raise_file_limit() -> io::Result<FileLimit> {
    use rlimit::Resource;
    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE)?;
    if soft < hard
        && let Err(error) = rlimit::setrlimit(Resource::NOFILE, hard, hard)
    {
        tracing::warn!(%error, soft, hard, "cannot raise the file-descriptor limit");
    }
    let (soft, hard) = rlimit::getrlimit(Resource::NOFILE)?;
    tracing::info!(soft, hard, "file-descriptor limit");
    Ok(FileLimit { soft, hard })
}

/// Why TLS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read the TLS file {path}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file holds no usable PEM certificate or key.
    #[error("the TLS file {path} holds no PEM {what}")]
    NoPem {
        /// The file.
        path: String,
        /// What was looked for in it.
        what: &'static str,
    },
    /// rustls refused the certificate, key or CA bundle.
    #[error("invalid TLS configuration")]
    Invalid(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// TLS from PEM files: the certificate chain, its key, and, for mutual TLS,
/// the CAs that sign client certificates. Offers HTTP/2 and HTTP/1.1 (for
/// gRPC-Web) by ALPN.
pub fn tls_acceptor(
    cert: &Path,
    key: &Path,
    client_ca: Option<&Path>,
) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = pem_certificates(cert)?;
    let key = PrivateKeyDer::from_pem_slice(&read(key)?).map_err(|_| TlsError::NoPem {
        path: key.display().to_string(),
        what: "private key",
    })?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Invalid(error.into()))?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(client_ca) => {
            let mut roots = RootCertStore::empty();
            for certificate in pem_certificates(client_ca)? {
                roots
                    .add(certificate)
                    .map_err(|error| TlsError::Invalid(error.into()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .map_err(|error| TlsError::Invalid(error.into()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|error| TlsError::Invalid(error.into()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        path: path.display().to_string(),
        source,
    })
}

fn pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_slice_iter(&read(path)?)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_default();
    if certificates.is_empty() {
        return Err(TlsError::NoPem {
            path: path.display().to_string(),
            what: "certificate",
        });
    }
    Ok(certificates)
}
