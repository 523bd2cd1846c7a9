//! Compiles `proto/` into Rust with protox, so building needs no system `protoc`.
//!
//! The encoded descriptor set is written next to the generated code because the
//! reflection service serves it; `compile_fds` does not write it for us.
//!
//! The server side of `qbank.v1.QuestionBank` is generated a second time, by
//! hand (`tonic_build::manual`), so that ListQuestions and GetQuestion can
//! answer with questions encoded before they were asked for (see
//! `src/api/wire.rs`): the same bytes on the wire as the contract's messages.

use std::{env, fs, path::PathBuf};

use prost::Message;

const PROTO_ROOT: &str = "proto";
const PROTO_FILES: &[&str] = &["proto/qbank/v1/question_bank.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    // protox resolves `google/protobuf/*.proto` imports from its own copies.
    let descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;
    fs::write(
        out_dir.join("qbank_descriptor.bin"),
        descriptors.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    tonic_build::manual::Builder::new()
        .build_client(false)
        .compile(&[question_bank_server()]);
    // Only the contract can change the generated code; without this line any
    // edit in the package would rerun the build script.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}

/// `qbank.v1.QuestionBank` as the contract declares it, but for the Rust type
/// ListQuestions answers with. Method and route names must match the proto.
fn question_bank_server() -> tonic_build::manual::Service {
    let method = |name: &str, route: &str, input: &str, output: &str, codec: &str| {
        tonic_build::manual::Method::builder()
            .name(name)
            .route_name(route)
            .input_type(input)
            .output_type(output)
            .codec_path(codec)
            .build()
    };
    tonic_build::manual::Service::builder()
        .name("QuestionBank")
        .package("qbank.v1")
        .method(method(
            "list_questions",
            "ListQuestions",
            "crate::pb::ListQuestionsRequest",
            "crate::api::wire::ListQuestionsReply",
            "tonic_prost::ProstCodec",
        ))
        .method(method(
            "get_question",
            "GetQuestion",
            "crate::pb::GetQuestionRequest",
            "crate::api::wire::EncodedQuestion",
            "crate::api::wire::PreEncodedCodec",
        ))
        .method(method(
            "submit_answer",
            "SubmitAnswer",
            "crate::pb::SubmitAnswerRequest",
            "crate::pb::SubmitAnswerResponse",
            "tonic_prost::ProstCodec",
        ))
        .build()
}
