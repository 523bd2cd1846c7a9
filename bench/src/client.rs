//! The load generator's gRPC client. It encodes requests as the generated
//! client does but never decodes a response: it only counts its bytes. Decoding
//! a page of 20 questions costs the generator about as much CPU as the
//! baseline spends answering it, which would make the generator, not the
//! server, the limit being measured.

use std::marker::PhantomData;

use bytes::Buf as _;
use tonic::{
    Request, Status,
    client::Grpc,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::http::uri::PathAndQuery,
    transport::Channel,
};

/// A client that sends typed requests and discards the responses.
#[derive(Debug, Clone)]
pub(crate) struct DiscardingClient {
    grpc: Grpc<Channel>,
}

impl DiscardingClient {
    /// A client over `channel`.
    pub(crate) fn new(channel: Channel) -> Self {
        Self {
            grpc: Grpc::new(channel),
        }
    }

    /// Calls the unary method at `path` (e.g.
    /// `/qbank.v1.QuestionBank/GetQuestion`) and returns the size of the
    /// response message in bytes.
    pub(crate) async fn call<M>(&mut self, path: &'static str, request: M) -> Result<usize, Status>
    where
        M: prost::Message + Send + Sync + 'static,
    {
        self.call_with(path, Request::new(request)).await
    }

    /// [`DiscardingClient::call`] with the bench's admin token.
    pub(crate) async fn call_as_admin<M>(
        &mut self,
        path: &'static str,
        request: M,
    ) -> Result<usize, Status>
    where
        M: prost::Message + Send + Sync + 'static,
    {
        let mut request = Request::new(request);
        request.metadata_mut().insert(
            "authorization",
            tonic::metadata::MetadataValue::from_static(concat!(
                "Bearer ",
                "qbank-bench-admin-token"
            )),
        );
        self.call_with(path, request).await
    }

    async fn call_with<M>(
        &mut self,
        path: &'static str,
        request: Request<M>,
    ) -> Result<usize, Status>
    where
        M: prost::Message + Send + Sync + 'static,
    {
        self.grpc
            .ready()
            .await
            .map_err(|error| Status::unavailable(format!("connection not ready: {error}")))?;
        let response = self
            .grpc
            .unary(
                request,
                PathAndQuery::from_static(path),
                DiscardingCodec(PhantomData),
            )
            .await?;
        Ok(response.into_inner())
    }
}

/// The admin token the bench's qbank server is started with.
pub(crate) const ADMIN_TOKEN: &str = "qbank-bench-admin-token";

/// Encodes `M` with prost; decodes any message as its length.
struct DiscardingCodec<M>(PhantomData<M>);

impl<M: prost::Message + Send + 'static> Codec for DiscardingCodec<M> {
    type Encode = M;
    type Decode = usize;
    type Encoder = PlainEncoder<M>;
    type Decoder = LengthDecoder;

    fn encoder(&mut self) -> Self::Encoder {
        PlainEncoder(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        LengthDecoder
    }
}

struct PlainEncoder<M>(PhantomData<M>);

impl<M: prost::Message> Encoder for PlainEncoder<M> {
    type Item = M;
    type Error = Status;

    fn encode(&mut self, item: M, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|error| Status::internal(format!("cannot encode the request: {error}")))
    }
}

struct LengthDecoder;

impl Decoder for LengthDecoder {
    type Item = usize;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<usize>, Status> {
        let length = src.remaining();
        src.advance(length);
        Ok(Some(length))
    }
}
