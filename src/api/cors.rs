//! CORS for gRPC-Web: which browser origins may call the server, and what
//! their pages may send and read.
//!
//! A page calls another origin only after the browser's preflight `OPTIONS`
//! request is answered, and it cannot read response headers that are not
//! exposed: without `grpc-status` and `grpc-message` exposed, a gRPC-Web
//! client in the browser cannot tell how a call ended.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// How long a browser may reuse a preflight answer: the policy only changes
/// with a restart.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// What grpc-web clients send: the framing, their version, a deadline, and
/// the admin token for the FULL view.
const ALLOWED_HEADERS: [HeaderName; 5] = [
    header::CONTENT_TYPE,
    header::AUTHORIZATION,
    HeaderName::from_static("x-grpc-web"),
    HeaderName::from_static("x-user-agent"),
    HeaderName::from_static("grpc-timeout"),
];

/// How a call ended, including the error details of INVALID_ARGUMENT.
const EXPOSED_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("grpc-status"),
    HeaderName::from_static("grpc-message"),
    HeaderName::from_static("grpc-status-details-bin"),
];

/// An allowed origin that cannot be sent as a header.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a valid origin for --grpc-web-allow-origin")]
pub struct InvalidOrigin(pub String);

/// The CORS layer for pages from `origins` (`*`: any origin), or `None`
/// when there are none, so the server answers exactly as without CORS.
pub fn cors_layer(origins: &[String]) -> Result<Option<CorsLayer>, InvalidOrigin> {
    // An empty variable in a compose file, or a stray comma, names no origin.
    let origins: Vec<&str> = origins
        .iter()
        .map(|origin| origin.trim())
        .filter(|origin| !origin.is_empty())
        .collect();
    if origins.is_empty() {
        return Ok(None);
    }
    let allow_origin = if origins.contains(&"*") {
        AllowOrigin::any()
    } else {
        let origins = origins
            .into_iter()
            .map(|origin| {
                HeaderValue::from_str(origin).map_err(|_| InvalidOrigin(origin.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(origins)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([Method::POST])
            .allow_headers(ALLOWED_HEADERS)
            .expose_headers(EXPOSED_HEADERS)
            .max_age(PREFLIGHT_MAX_AGE),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_origins_means_no_cors_layer() {
        assert!(cors_layer(&[]).expect("valid").is_none());
        assert!(
            cors_layer(&["".into(), " ".into()])
                .expect("valid")
                .is_none()
        );
    }

    #[test]
    fn an_origin_that_is_no_header_value_is_rejected() {
        let error = cors_layer(&["https://bad\norigin".into()]).expect_err("invalid");
        assert!(error.to_string().contains("bad"));
    }
}
