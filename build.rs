//! Checks that `src/generated/` was written from the `spec/osm.yaml` beside it.
//!
//! The library's generated code is committed (written by `cargo xtask generate`, see
//! `codegen/`), so that building the crate needs none of the generator. A spec edited
//! without regenerating would otherwise build silently with the old code: this compares
//! the spec's hash with the one recorded in `src/generated/SPEC_HASH` (FNV-1a, the same
//! function as `huaweicloud_osm_codegen::spec_hash`) and fails with the command to run.
//! Without a spec beside it (a vendored copy trimmed of it), there is nothing to compare.

use std::path::Path;

const SPEC: &str = "spec/osm.yaml";
const HASH_FILE: &str = "src/generated/SPEC_HASH";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed={HASH_FILE}");
    let Ok(spec) = std::fs::read(SPEC) else {
        return;
    };
    let recorded = std::fs::read_to_string(HASH_FILE).unwrap_or_default();
    let now = spec_hash(&spec);
    if recorded.trim() != now {
        eprintln!(
            "error: {SPEC} changed since {} was written from it (hash {now}, recorded {}): \
             run `cargo xtask generate`",
            Path::new(HASH_FILE)
                .parent()
                .map_or(HASH_FILE.into(), |p| p.display().to_string()),
            if recorded.trim().is_empty() {
                "none"
            } else {
                recorded.trim()
            }
        );
        std::process::exit(1);
    }
}

/// FNV-1a, 64 bits, as 16 hex digits, ignoring `\r` (a checkout with CRLF line endings
/// hashes as the committed file).
fn spec_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes.iter().filter(|&&b| b != b'\r') {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
