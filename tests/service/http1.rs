//! A bare HTTP/1.1 client (hyper's connection API, no tonic) for what speaks
//! plain HTTP: gRPC-Web calls and the metrics endpoint.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A response read to its end.
pub(crate) struct Reply {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: http::HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends `request` to `addr` on a fresh HTTP/1.1 connection and reads the
/// whole response.
pub(crate) async fn send(addr: SocketAddr, request: http::Request<Full<Bytes>>) -> Reply {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .expect("send the request");
    assert_eq!(response.version(), http::Version::HTTP_11);
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("read the body").to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET path` with no body.
pub(crate) async fn get(addr: SocketAddr, path: &str) -> Reply {
    let request = http::Request::get(path)
        .header(http::header::HOST, addr.to_string())
        .body(Full::default())
        .expect("request");
    send(addr, request).await
}
