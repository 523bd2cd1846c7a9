//! Contains a panic inside a handler to its own call.
//!
//! Without this, a panic unwinds through the connection's task and drops
//! every call multiplexed on that connection. Here the panicking call alone
//! fails with INTERNAL, the panic is logged, and the server keeps serving.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    task::{Context, Poll},
};

use futures_util::FutureExt as _;
use tonic::Status;
use tower::{Layer, Service};

/// Wraps a service in [`PanicGuard`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PanicGuardLayer;

impl<S> Layer<S> for PanicGuardLayer {
    type Service = PanicGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PanicGuard { inner }
    }
}

/// Turns a panicking call into an INTERNAL status.
#[derive(Debug, Clone)]
pub struct PanicGuard<S> {
    inner: S,
}

impl<S, RequestBody, ResponseBody> Service<http::Request<RequestBody>> for PanicGuard<S>
where
    S: Service<http::Request<RequestBody>, Response = http::Response<ResponseBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResponseBody: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<RequestBody>) -> Self::Future {
        let method = request.uri().path().to_owned();
        // Creating the future may run handler code too, so guard the call
        // itself as well as the polling.
        let response = match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(request)))
        {
            Ok(response) => response,
            Err(panic) => return Box::pin(std::future::ready(Ok(internal(&method, &*panic)))),
        };
        Box::pin(async move {
            match AssertUnwindSafe(response).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => Ok(internal(&method, &*panic)),
            }
        })
    }
}

fn internal<ResponseBody: Default>(
    method: &str,
    panic: &(dyn std::any::Any + Send),
) -> http::Response<ResponseBody> {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)");
    tracing::error!(
        method,
        panic = message,
        "a handler panicked; the call failed with INTERNAL"
    );
    Status::internal("internal error").into_http()
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::{ServiceExt as _, service_fn};

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_fails_only_its_call_with_internal() {
        let handler = service_fn(|request: http::Request<()>| async move {
            if request.uri().path() == "/panics" {
                panic!("handler bug");
            }
            Ok::<_, Infallible>(http::Response::new(String::from("fine")))
        });
        let guarded = PanicGuardLayer.layer(handler);

        let failed = guarded
            .clone()
            .oneshot(http::Request::get("/panics").body(()).expect("request"))
            .await
            .expect("a response, not an unwinding panic");
        let served = guarded
            .oneshot(http::Request::get("/fine").body(()).expect("request"))
            .await
            .expect("response");

        assert_eq!(failed.headers()["grpc-status"], "13");
        assert_eq!(served.into_body(), "fine");
    }
}
