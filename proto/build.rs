//! Compiles the .proto files with protox (a pure-Rust protobuf compiler), so a fresh machine
//! builds with cargo alone, and keeps the encoded descriptor set of the services the hub
//! serves (not the connector protocol) for gRPC reflection. The hub's own server stubs are
//! generated a second time (`served`), with `Asset` kept encoded (see `src/encoded.rs`).
use prost::Message;
use std::{env, fs, path::PathBuf};

const PROTOS: &[&str] = &[
    "assethub/v1/assethub.proto",
    "assethub/v1/orders.proto",
    "assethub/v1/audit.proto",
    "assethub/v1/cases.proto",
    "assethub/v1/tokens.proto",
    "assethub/v1/sweeps.proto",
    "assethub/v1/notices.proto",
    "assethub/connector/v1/connector.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    // Reflection describes what the hub serves: not the connector protocol (the hub is its
    // client).
    let mut served = descriptors.clone();
    served.file.retain(|f| f.name().starts_with("assethub/v1/"));
    fs::write(
        out_dir.join("assethub_descriptor.bin"),
        served.encode_to_vec(),
    )?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    // The hub's own stubs of the same services (`served`): an `Asset` in them is kept encoded
    // (`crate::encoded::EncodedAsset`), the same bytes on the wire.
    let served_dir = out_dir.join("served");
    fs::create_dir_all(&served_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .out_dir(&served_dir)
        .extern_path(".assethub.v1.Asset", "crate::encoded::EncodedAsset")
        .compile_fds(served)?;
    Ok(())
}
