//! `qbank-server healthcheck`: asks a running server's gRPC health service
//! whether it is SERVING, and turns the answer into an exit code.
//!
//! It lives in the server binary so a container image needs no separate probe
//! program (such as grpc_health_probe): Docker's `HEALTHCHECK` and compose's
//! `healthcheck` run `qbank-server healthcheck` with the container's own
//! environment, so by default it probes the address in `QBANK_LISTEN`.

use std::{
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    process::ExitCode,
    time::Duration,
};

use clap::Parser;
use tonic::transport::Endpoint;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

use crate::config::{DEFAULT_LISTEN, parse_seconds};

/// The first argument that selects the health probe instead of the server.
pub const SUBCOMMAND: &str = "healthcheck";

/// Flags of `qbank-server healthcheck`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "qbank-server healthcheck",
    // Usage lines name the real command, not the argv[0] the binary passes.
    bin_name = "qbank-server healthcheck",
    version,
    about = "Asks a qbank server's gRPC health service whether it is SERVING",
    after_help = "Exit status: 0 when the server answers SERVING, 1 otherwise (not serving, \
                  unreachable, or no answer within --timeout)."
)]
pub struct HealthcheckArgs {
    /// Server to ask, as `host:port` or `http://host:port`. Default: the
    /// server's own --listen address (QBANK_LISTEN), with 0.0.0.0 or `[::]`
    /// replaced by loopback, so inside a container no flag is needed.
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<String>,

    /// The address the server listens on; only read to default --addr.
    #[arg(long, env = "QBANK_LISTEN", default_value = DEFAULT_LISTEN, hide = true)]
    pub listen: SocketAddr,

    /// Service whose status to ask; empty asks about the server as a whole.
    #[arg(long, default_value = "")]
    pub service: String,

    /// Seconds to wait for the connection and for the answer.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_seconds)]
    pub timeout: Duration,
}

impl HealthcheckArgs {
    /// The URI to probe: `--addr`, else the listen address made reachable.
    pub fn target(&self) -> String {
        let addr = match &self.addr {
            Some(addr) => addr.clone(),
            None => reachable(self.listen).to_string(),
        };
        if addr.contains("://") {
            addr
        } else {
            format!("http://{addr}")
        }
    }
}

/// A wildcard listen address accepts connections on every interface, but it
/// cannot be connected to: probe the loopback of the same family instead.
fn reachable(listen: SocketAddr) -> SocketAddr {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(match listen {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    addr
}

/// Why no health status could be had.
#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    /// The address is not a valid URI.
    #[error("invalid server address {addr:?}")]
    InvalidAddress {
        /// The address given.
        addr: String,
        /// Why it is invalid.
        #[source]
        source: tonic::transport::Error,
    },
    /// Nothing answered at the address.
    #[error("cannot reach {addr}")]
    Unreachable {
        /// The address probed.
        addr: String,
        /// The transport's reason.
        #[source]
        source: tonic::transport::Error,
    },
    /// The health service answered with an error, e.g. NOT_FOUND for an
    /// unknown service, or the deadline passed.
    #[error("the health check failed: {0}")]
    Call(#[source] tonic::Status),
}

/// Asks the health service at `addr` about `service`, giving up after
/// `timeout` for the connection and again for the answer.
pub async fn check(
    addr: &str,
    service: &str,
    timeout: Duration,
) -> Result<ServingStatus, HealthcheckError> {
    let endpoint = Endpoint::from_shared(addr.to_owned())
        .map_err(|source| HealthcheckError::InvalidAddress {
            addr: addr.to_owned(),
            source,
        })?
        .connect_timeout(timeout)
        .timeout(timeout);
    let channel = endpoint
        .connect()
        .await
        .map_err(|source| HealthcheckError::Unreachable {
            addr: addr.to_owned(),
            source,
        })?;
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .map_err(HealthcheckError::Call)?;
    Ok(response.into_inner().status())
}

/// Runs the probe: prints the status (or the error, to standard error) and
/// succeeds only when it is SERVING.
pub async fn run(args: &HealthcheckArgs) -> ExitCode {
    match check(&args.target(), &args.service, args.timeout).await {
        Ok(ServingStatus::Serving) => {
            println!("{}", ServingStatus::Serving.as_str_name());
            ExitCode::SUCCESS
        }
        Ok(status) => {
            println!("{}", status.as_str_name());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: {}", crate::error::error_chain(&error));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flags: &[&str]) -> HealthcheckArgs {
        let mut argv = vec!["qbank-server healthcheck"];
        argv.extend_from_slice(flags);
        HealthcheckArgs::try_parse_from(argv).expect("flags parse")
    }

    #[test]
    fn a_wildcard_listen_address_is_probed_on_loopback() {
        assert_eq!(
            args(&["--listen", "0.0.0.0:50051"]).target(),
            "http://127.0.0.1:50051"
        );
        assert_eq!(
            args(&["--listen", "[::]:7000"]).target(),
            "http://[::1]:7000"
        );
    }

    #[test]
    fn a_specific_listen_address_is_probed_as_it_is() {
        assert_eq!(
            args(&["--listen", "10.1.2.3:50051"]).target(),
            "http://10.1.2.3:50051"
        );
    }

    #[test]
    fn addr_wins_over_listen_and_gets_a_scheme_when_it_has_none() {
        let probe = args(&["--listen", "0.0.0.0:1", "--addr", "qbank:50051"]);
        assert_eq!(probe.target(), "http://qbank:50051");
        let probe = args(&["--addr", "http://qbank.internal:8080"]);
        assert_eq!(probe.target(), "http://qbank.internal:8080");
    }
}
