//! Compiles the qbank contract into a gRPC client with protox, so building needs no system
//! `protoc` and the CLI never depends on the server crate (which links SQLite).

const PROTO_ROOT: &str = "../proto";
const PROTO_FILES: &[&str] = &["../proto/qbank/v1/question_bank.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // protox resolves `google/protobuf/*.proto` imports from its own copies.
    let descriptors = protox::compile(PROTO_FILES, [PROTO_ROOT])?;
    tonic_prost_build::configure()
        .build_server(false)
        .compile_fds(descriptors)?;
    // Only the contract can change the generated code; without this line any
    // edit in the crate would rerun the build script.
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    Ok(())
}
