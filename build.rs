//! Compiles `proto/` into Rust with protox, so building needs no system `protoc`.
//!
//! The encoded descriptor set is written next to the generated code because the
//! reflection service serves it; `compile_fds` does not write it for us.

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
    // Only the contract can change the generated code; without this line any
    // edit in the package would rerun the build script.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}
