//! `qbank health`: the server's gRPC health status; succeeds only when it is SERVING, so it
//! can gate a deployment script.

use std::io::Write;

use tonic_health::pb::health_check_response::ServingStatus;

use super::Format;
use crate::args::HealthArgs;
use crate::client::Client;
use crate::error::Error;
use crate::json;

/// Asks the health service and prints the status it reports.
pub(super) async fn run(
    client: &mut Client,
    args: &HealthArgs,
    format: Format,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let status = client.check_health(&args.service).await?;
    let name = status.as_str_name();
    match format {
        Format::Text => writeln!(out, "{name}")?,
        Format::Json => json::write_document(out, &json::HealthJson { status: name })?,
    }
    if status == ServingStatus::Serving {
        Ok(())
    } else {
        Err(Error::NotServing { status: name })
    }
}
