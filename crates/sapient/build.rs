//! Compiles Picket's own SAPIENT `.proto` files (in `proto/`) with `protox` (pure Rust, no
//! `protoc`), generates prost types, and keeps the descriptor set for the protobuf JSON mapping.

use protox::prost::Message;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/common.proto",
        "proto/registration.proto",
        "proto/status_report.proto",
        "proto/detection_report.proto",
        "proto/task.proto",
        "proto/alert.proto",
        "proto/sapient_message.proto",
    ];
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("sapient_descriptor.bin"), fds.encode_to_vec())?;
    prost_build::Config::new().compile_fds(fds)?;
    Ok(())
}
