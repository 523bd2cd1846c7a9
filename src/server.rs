//! The server: opens the bank, mounts the question bank, health and
//! reflection services behind the call log, and shuts down gracefully.

use std::{borrow::Cow, future::Future, sync::Arc, time::SystemTime};

use tokio::{net::TcpListener, sync::Notify};
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::ServingStatus;

use crate::{
    api::{auth::AdminToken, call_log::CallLogLayer, service::QuestionBankService},
    config::Config,
    domain::{
        bank::Bank,
        bank_file::{self, BankFileError},
        question::Question,
    },
    pb::{self, question_bank_server::QuestionBankServer},
    store::{Store, StoreError},
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
/// in-flight calls finish for up to `config.shutdown_timeout`.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let initial_bank = initial_bank(&config)?;
    let db_path = config.db_path.clone();
    // Opening migrates and may load the bank: file I/O, so off the async workers.
    let store = tokio::task::spawn_blocking(move || Store::open(&db_path, &initial_bank))
        .await
        .map_err(|join_error| StoreError::Internal(join_error.into()))
        .and_then(|opened| opened)
        .map_err(|source| ServeError::Database {
            path: config.db_path.display().to_string(),
            source,
        })?;

    let admin_token = config.admin_token.as_deref().and_then(AdminToken::new);
    let service = QuestionBankServer::new(QuestionBankService::new(Bank::new(store), admin_token));

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

    let local_addr = listener.local_addr().ok();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));

    // When the signal arrives: report NOT_SERVING (so balancers stop sending),
    // then let tonic stop accepting and drain. `draining` starts the clock on
    // the shutdown deadline.
    let draining = Arc::new(Notify::new());
    let signal = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: draining in-flight calls");
            health
                .set_not_serving::<QuestionBankServer<QuestionBankService>>()
                .await;
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            draining.notify_one();
        }
    };

    let server = Server::builder()
        .layer(CallLogLayer)
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
    tracing::info!("stopped");
    Ok(())
}
