//! Replies that carry questions encoded before they were asked for (stored
//! cards, see `domain::card`), and the server generated for them.
//!
//! `ListQuestionsReply` encodes to exactly the bytes of a
//! `pb::ListQuestionsResponse` with the same content: protobuf encodes an
//! embedded message and a `bytes` field the same way (a length-delimited
//! field), so a question encoded once, when it is stored, is copied into each
//! page that shows it instead of being rebuilt and re-encoded. GetQuestion's
//! `EncodedQuestion` goes out as its bytes through [`PreEncodedCodec`].
//! Clients still decode the contract's messages.

use std::marker::PhantomData;

use bytes::{BufMut as _, Bytes};
use tonic::{
    Status,
    codec::{Codec, EncodeBuf, Encoder},
};
use tonic_prost::ProstDecoder;

/// `qbank.v1.ListQuestionsResponse`, with each question already encoded as a
/// `qbank.v1.Question`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListQuestionsReply {
    /// Each an encoded `qbank.v1.Question`, in id order.
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub questions: Vec<Bytes>,
    /// As in `ListQuestionsResponse`.
    #[prost(string, tag = "2")]
    pub next_page_token: String,
    /// As in `ListQuestionsResponse`.
    #[prost(int32, tag = "3")]
    pub total_size: i32,
}

/// `qbank.v1.BatchGetQuestionsResponse`, with each question already encoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BatchGetQuestionsReply {
    /// Each an encoded `qbank.v1.Question`, in the request's order.
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub questions: Vec<Bytes>,
}

/// `qbank.v1.DrawQuestionsResponse`, with each question already encoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DrawQuestionsReply {
    /// Each an encoded `qbank.v1.Question`, in the order drawn.
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub questions: Vec<Bytes>,
    /// As in `DrawQuestionsResponse`.
    #[prost(bool, tag = "2")]
    pub exhausted: bool,
    /// As in `DrawQuestionsResponse`.
    #[prost(int32, tag = "3")]
    pub available: i32,
}

/// `google.protobuf.Empty`, which prost maps to `()`: a path for the
/// generated server to name.
pub type Empty = ();

/// A `qbank.v1.Question`, already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedQuestion(pub Bytes);

/// GetQuestion's codec: requests decode with prost as usual; the reply, an
/// [`EncodedQuestion`], is sent as it is.
#[derive(Debug)]
pub struct PreEncodedCodec<T, U>(PhantomData<fn() -> (T, U)>);

impl<T, U> Default for PreEncodedCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<U: prost::Message + Default + Send + 'static> Codec for PreEncodedCodec<EncodedQuestion, U> {
    type Encode = EncodedQuestion;
    type Decode = U;
    type Encoder = CopyEncoder;
    type Decoder = ProstDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        CopyEncoder
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::default()
    }
}

/// Writes an [`EncodedQuestion`]'s bytes unchanged.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyEncoder;

impl Encoder for CopyEncoder {
    type Item = EncodedQuestion;
    type Error = Status;

    fn encode(&mut self, item: EncodedQuestion, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        buf.put_slice(&item.0);
        Ok(())
    }
}

#[allow(missing_docs, unreachable_pub, missing_debug_implementations)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/qbank.v1.QuestionBank.rs"));
}

pub use generated::question_bank_server;

#[cfg(test)]
mod tests {
    use prost::Message as _;

    use super::*;
    use crate::pb;

    #[test]
    fn a_reply_encodes_exactly_as_the_contract_s_response() {
        let questions = vec![
            pb::Question {
                id: "q-1".into(),
                stem: "什么是 RLHF？".into(),
                tags: vec!["rlhf".into()],
                ..Default::default()
            },
            pb::Question {
                id: "q-2".into(),
                choices: vec![pb::Choice {
                    key: "A".into(),
                    text: "对".into(),
                }],
                ..Default::default()
            },
        ];
        let response = pb::ListQuestionsResponse {
            questions: questions.clone(),
            next_page_token: "token".into(),
            total_size: 7,
        };
        let reply = ListQuestionsReply {
            questions: questions
                .iter()
                .map(|q| Bytes::from(q.encode_to_vec()))
                .collect(),
            next_page_token: "token".into(),
            total_size: 7,
        };

        assert_eq!(reply.encode_to_vec(), response.encode_to_vec());
    }

    #[test]
    fn batch_and_draw_replies_encode_exactly_as_the_contract_s_responses() {
        let question = pb::Question {
            id: "q-1".into(),
            stem: "什么是 RLHF？".into(),
            ..Default::default()
        };
        let encoded = Bytes::from(question.encode_to_vec());
        let batch = pb::BatchGetQuestionsResponse {
            questions: vec![question.clone(), question.clone()],
        };
        let draw = pb::DrawQuestionsResponse {
            questions: vec![question],
            exhausted: true,
            available: 1,
        };

        assert_eq!(
            BatchGetQuestionsReply {
                questions: vec![encoded.clone(), encoded.clone()]
            }
            .encode_to_vec(),
            batch.encode_to_vec()
        );
        assert_eq!(
            DrawQuestionsReply {
                questions: vec![encoded],
                exhausted: true,
                available: 1
            }
            .encode_to_vec(),
            draw.encode_to_vec()
        );
    }
}
