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
    let server = question_bank_server(&descriptors)?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    tonic_build::manual::Builder::new()
        .build_client(false)
        .compile(&[server]);
    // Only the contract can change the generated code; without this line any
    // edit in the package would rerun the build script.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}

/// `qbank.v1.QuestionBank` as the contract declares it: every method, read
/// from the compiled descriptors so the two cannot drift apart, with the reply
/// types that carry questions encoded ahead of time swapped in.
fn question_bank_server(
    descriptors: &prost_types::FileDescriptorSet,
) -> Result<tonic_build::manual::Service, Box<dyn std::error::Error>> {
    let contract = descriptors
        .file
        .iter()
        .filter(|file| file.package() == PACKAGE)
        .flat_map(|file| &file.service)
        .find(|service| service.name() == SERVICE)
        .ok_or("the contract declares no qbank.v1.QuestionBank")?;
    let mut service = tonic_build::manual::Service::builder()
        .name(SERVICE)
        .package(PACKAGE);
    for method in &contract.method {
        let (output_type, codec) = match method.name() {
            "ListQuestions" => (
                "crate::api::wire::ListQuestionsReply".to_owned(),
                PROST_CODEC,
            ),
            "GetQuestion" => (
                "crate::api::wire::EncodedQuestion".to_owned(),
                "crate::api::wire::PreEncodedCodec",
            ),
            "BatchGetQuestions" => (
                "crate::api::wire::BatchGetQuestionsReply".to_owned(),
                PROST_CODEC,
            ),
            "DrawQuestions" => (
                "crate::api::wire::DrawQuestionsReply".to_owned(),
                PROST_CODEC,
            ),
            _ => (rust_type(method.output_type())?, PROST_CODEC),
        };
        let mut builder = tonic_build::manual::Method::builder()
            .name(snake_case(method.name()))
            .route_name(method.name())
            .input_type(rust_type(method.input_type())?)
            .output_type(output_type)
            .codec_path(codec);
        if method.client_streaming() {
            builder = builder.client_streaming();
        }
        if method.server_streaming() {
            builder = builder.server_streaming();
        }
        service = service.method(builder.build());
    }
    Ok(service.build())
}

const PACKAGE: &str = "qbank.v1";
const SERVICE: &str = "QuestionBank";
const PROST_CODEC: &str = "tonic_prost::ProstCodec";

/// `.qbank.v1.Question` -> `crate::pb::Question`; `google.protobuf.Empty`
/// is `()`, as prost maps it, named by a path (tonic-build wants one).
fn rust_type(proto_type: &str) -> Result<String, String> {
    if proto_type == ".google.protobuf.Empty" {
        return Ok("crate::api::wire::Empty".to_owned());
    }
    proto_type
        .strip_prefix(".qbank.v1.")
        .filter(|name| !name.contains('.'))
        .map(|name| format!("crate::pb::{name}"))
        .ok_or_else(|| format!("{proto_type} is not a top-level qbank.v1 message"))
}

/// `ListQuestions` -> `list_questions`, as tonic names the trait method.
fn snake_case(name: &str) -> String {
    let mut snake = String::new();
    for (index, character) in name.char_indices() {
        if character.is_ascii_uppercase() && index > 0 {
            snake.push('_');
        }
        snake.push(character.to_ascii_lowercase());
    }
    snake
}
