//! The server: opens the bank, mounts the question bank, health and
//! reflection services behind the call log and metrics, speaks gRPC-Web on
//! the same port, serves the metrics endpoint, and shuts down gracefully.

use std::{borrow::Cow, future::Future, sync::Arc, time::SystemTime};

use tokio::{
    net::TcpListener,
    sync::{Notify, watch},
    task::JoinSet,
};
use tonic::{server::NamedService, transport::Server};
use tonic_health::{ServingStatus, server::HealthReporter};
use tonic_web::GrpcWebLayer;
use tower::util::option_layer;

use crate::{
    api::{
        admission::AdmissionLayer,
        auth::AdminToken,
        call_telemetry::CallTelemetryLayer,
        convert,
        cors::{InvalidOrigin, cors_layer},
        panic_guard::PanicGuardLayer,
        service::QuestionBankService,
        wire::question_bank_server::QuestionBankServer,
    },
    bank::Bank,
    config::{Config, DEFAULT_MAX_CONNECTIONS, TlsFiles},
    domain::{
        bank_file::{self, BankFileError},
        question::Question,
    },
    incoming::{self, ConnectionPolicy, TlsError},
    metrics::{Metrics, serve_metrics},
    pb,
    store::{Store, StoreError, StoreSettings, WriteHealth},
};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The initial bank file cannot be read.
    #[error("cannot read the initial bank file {path}")]
    InitialBankUnreadable {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The initial bank file does not parse or breaks a rule.
    #[error("the initial bank is invalid")]
    InitialBank(#[source] BankFileError),
    /// The database could not be opened, migrated or seeded.
    #[error("cannot open the database {path}")]
    Database {
        /// The database file.
        path: String,
        /// What went wrong.
        #[source]
        source: StoreError,
    },
    /// The reflection service could not read the descriptor sets.
    #[error("cannot build the reflection service")]
    Reflection(#[source] tonic_reflection::server::Error),
    /// A TLS file cannot be read or used.
    #[error("cannot set up TLS")]
    Tls(#[source] TlsError),
    /// An origin allowed for gRPC-Web is not a valid header value.
    #[error("invalid gRPC-Web configuration")]
    GrpcWebOrigin(#[source] InvalidOrigin),
    /// The metrics endpoint cannot listen on its address.
    #[error("cannot listen for metrics on {addr}")]
    MetricsListen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The transport failed.
    #[error("the gRPC transport failed")]
    Transport(#[source] tonic::transport::Error),
}

/// The bank for a new database: the operator's file if configured, else the
/// bundled one. Parsed on every start, so a broken file fails fast even when
/// the database already has a bank.
fn initial_bank(config: &Config) -> Result<Vec<Question>, ServeError> {
    let text = match &config.initial_bank {
        Some(path) => std::fs::read_to_string(path)
            .map(Cow::Owned)
            .map_err(|source| ServeError::InitialBankUnreadable {
                path: path.display().to_string(),
                source,
            })?,
        None => Cow::Borrowed(bank_file::BUNDLED_BANK),
    };
    bank_file::parse(&text, SystemTime::now()).map_err(ServeError::InitialBank)
}

/// Runs the server on `listener` until `shutdown` completes, then lets
/// in-flight calls finish for up to `config.shutdown_timeout`. Serves metrics
/// on `config.metrics_listen` if it is set.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some(
            TcpListener::bind(addr)
                .await
                .map_err(|source| ServeError::MetricsListen { addr, source })?,
        ),
        None => None,
    };
    serve_with_metrics(config, listener, metrics_listener, shutdown).await
}

/// [`serve`], with the metrics endpoint on `metrics_listener` (bound by the
/// caller, e.g. on port 0 in tests) instead of `config.metrics_listen`.
pub async fn serve_with_metrics(
    config: Config,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let initial_bank = initial_bank(&config)?;
    let db_path = config.db_path.clone();
    // Opening migrates and may load the bank: file I/O, so off the async workers.
    let store_settings = StoreSettings {
        busy_timeout: config.limits.db_busy_timeout,
        card_format: Some(convert::card_format()),
    };
    let store = tokio::task::spawn_blocking(move || {
        Store::open_with(&db_path, &initial_bank, &store_settings)
    })
    .await
    .map_err(|join_error| StoreError::Internal(join_error.into()))
    .and_then(|opened| opened)
    .map_err(|source| ServeError::Database {
        path: config.db_path.display().to_string(),
        source,
    })?;

    let write_health = store.write_health();
    let metrics = Metrics::new(store.clone());
    // Dropped when serving ends, however it ends, which stops the endpoint.
    let mut metrics_endpoint = JoinSet::new();
    if let Some(metrics_listener) = metrics_listener {
        if let Ok(addr) = metrics_listener.local_addr() {
            tracing::info!(%addr, "serving metrics at /metrics");
        }
        let metrics = metrics.clone();
        metrics_endpoint.spawn(async move {
            if let Err(error) = serve_metrics(metrics_listener, metrics).await {
                tracing::error!(%error, "the metrics endpoint failed");
            }
        });
    }
    let admin_token = config.admin_token.as_deref().and_then(AdminToken::new);
    let service = QuestionBankServer::new(QuestionBankService::new(
        Bank::new(store).with_report_limit(config.limits.report_limit),
        admin_token,
        config.limits.max_import_bytes,
    ))
    // Checked on the encoded size before decoding: an oversized request
    // costs no allocation. tonic answers it with OUT_OF_RANGE.
    .max_decoding_message_size(config.limits.max_message_bytes);

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<QuestionBankServer<QuestionBankService>>()
        .await;
    // Both reflection versions: grpcurl 1.8 only speaks v1alpha. The
    // google.rpc types let reflection clients decode BadRequest details.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().map_err(ServeError::Reflection)?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(ServeError::Reflection)?;

    let health_follows_writes = tokio::spawn(report_write_health(health.clone(), write_health));

    let local_addr = listener.local_addr().ok();
    let incoming = incoming::accept(listener, connection_policy(&config)?);

    // When the signal arrives: report NOT_SERVING (so balancers stop sending),
    // then let tonic stop accepting and drain. `draining` starts the clock on
    // the shutdown deadline.
    let draining = Arc::new(Notify::new());
    let signal = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: draining in-flight calls");
            // A write succeeding during the drain must not report SERVING again.
            health_follows_writes.abort();
            health
                .set_not_serving::<QuestionBankServer<QuestionBankService>>()
                .await;
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            draining.notify_one();
        }
    };

    let cors = cors_layer(&config.grpc_web_allow_origins).map_err(ServeError::GrpcWebOrigin)?;
    let limits = &config.limits;
    let builder = Server::builder()
        // HTTP/1.1 for gRPC-Web from browsers; gRPC clients still get HTTP/2.
        .accept_http1(true)
        .timeout(limits.call_timeout)
        .max_concurrent_streams(Some(limits.max_concurrent_streams))
        .http2_max_header_list_size(Some(limits.max_header_list_bytes))
        .http2_keepalive_interval(Some(limits.keepalive_interval))
        .http2_keepalive_timeout(Some(limits.keepalive_timeout));
    // Outermost first: CORS answers browsers' preflight requests; gRPC-Web
    // is translated into gRPC before anything else sees the call; every call
    // is logged and counted, including those admission rejects; panics are
    // caught closest to the handlers.
    let server = builder
        .layer(option_layer(cors))
        .layer(GrpcWebLayer::new())
        .layer(CallTelemetryLayer::new(metrics))
        .layer(AdmissionLayer::new(limits))
        .layer(PanicGuardLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, signal);

    match local_addr {
        Some(addr) => tracing::info!(%addr, "serving qbank.v1.QuestionBank"),
        None => tracing::info!("serving qbank.v1.QuestionBank"),
    }
    tokio::select! {
        result = server => result.map_err(ServeError::Transport)?,
        () = async {
            draining.notified().await;
            tokio::time::sleep(config.shutdown_timeout).await;
        } => {
            tracing::warn!(
                timeout = ?config.shutdown_timeout,
                "in-flight calls did not finish before the shutdown timeout; stopping anyway"
            );
        }
    }
    // Waited for, not just aborted, so its handle on the store is closed
    // before `serve` returns and the database can be reopened at once.
    metrics_endpoint.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// How connections are accepted: the cap (after raising the process's file
/// limit, so the cap is what binds), the handshake deadline, and TLS.
fn connection_policy(config: &Config) -> Result<ConnectionPolicy, ServeError> {
    let file_limit = incoming::raise_file_limit()
        .map_err(|error| tracing::warn!(%error, "cannot read the file-descriptor limit"))
        .ok();
    let max_connections = match config.limits.max_connections {
        Some(max_connections) => {
            let max_connections = max_connections as usize;
            if let Some(limit) = file_limit
                && max_connections as u64 >= limit.soft
            {
                tracing::warn!(
                    max_connections,
                    file_limit = limit.soft,
                    "--max-connections is not below the file-descriptor limit: accepting \
                     fails (and backs off) before the cap is reached"
                );
            }
            max_connections
        }
        None => file_limit.map_or(DEFAULT_MAX_CONNECTIONS, |limit| {
            usize::try_from(limit.soft / 2)
                .unwrap_or(usize::MAX)
                .clamp(1, DEFAULT_MAX_CONNECTIONS)
        }),
    };
    tracing::info!(max_connections, "connection cap");
    Ok(ConnectionPolicy {
        max_connections,
        handshake_timeout: config.limits.handshake_timeout,
        tls: tls_acceptor(&config.tls)?,
    })
}

/// TLS for `files`, or `None` for plaintext.
fn tls_acceptor(files: &TlsFiles) -> Result<Option<tokio_rustls::TlsAcceptor>, ServeError> {
    let (Some(cert), Some(key)) = (&files.tls_cert, &files.tls_key) else {
        return Ok(None);
    };
    incoming::tls_acceptor(cert, key, files.tls_client_ca.as_deref())
        .map(Some)
        .map_err(ServeError::Tls)
}

/// Mirrors whether writes succeed in the question bank's health status, so
/// an operator sees a read-only file or a full disk without reading logs.
/// The overall status ("") stays SERVING: reads still work.
async fn report_write_health(
    health: HealthReporter,
    mut write_health: watch::Receiver<WriteHealth>,
) {
    loop {
        let status = match *write_health.borrow_and_update() {
            WriteHealth::Healthy => ServingStatus::Serving,
            WriteHealth::Failing => ServingStatus::NotServing,
        };
        health
            .set_service_status(
                <QuestionBankServer<QuestionBankService> as NamedService>::NAME,
                status,
            )
            .await;
        if write_health.changed().await.is_err() {
            return;
        }
    }
}
