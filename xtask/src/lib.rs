//! Maintainer tasks for `huaweicloud-osm`, run as `cargo xtask <command>`
//! (matklad's xtask pattern: plain Rust, no tools to install).
//!
//! Everything here reads `spec/osm.yaml`, the project's single source of truth; nothing in
//! the project reads the xtask. The commands live in one module each and `main.rs` only
//! dispatches:
//!
//! - [`docs`]: renders the reference tables in `docs/` from the spec (`cargo xtask docs`),
//!   or checks that they are current (`--check`).
//! - [`drift`]: compares the vendor's reference pages (saved, or fetched) with the spec, and
//!   with `--apply` corrects the spec's pure facts in place. The page reader is [`page`]
//!   (every layout the vendor's sites serve), [`render`] writes pages in those layouts from
//!   the spec (the tests' fixtures), the facts read from the spec are [`spec`], and the
//!   line-level YAML editing is [`yaml_edit`].
//! - [`watch`]: `drift --from-spec`, the vendor's page of every operation fetched from the
//!   sites the spec records (`x-vendor-pages`) and compared.
//! - [`ci`]: runs what CI runs, in order, stopping at the first failure.
//! - [`test`]: the whole test suite (`cargo test`, then [`contract`], [`interop`] and
//!   [`soak`]).
//! - [`interop`]: the vendor's official Python SDK against the emulator.
//! - [`bench`]: the benchmarks and their summary.
//!
//! The library half exists so that the tests in `xtask/tests/` can call the same functions
//! the binary does.

#![warn(missing_docs)]

pub mod bench;
pub mod build_vs_aws;
pub mod ci;
pub mod contract;
pub mod docs;
pub mod drift;
pub mod generate;
pub mod interop;
pub mod page;
pub mod render;
pub mod soak;
pub mod spec;
pub mod test;
pub mod watch;
pub mod yaml_edit;

use std::path::{Path, PathBuf};

/// The workspace root: the directory holding `spec/`, `docs/` and the root `Cargo.toml`.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The spec every command reads unless told otherwise: `<root>/spec/osm.yaml`.
pub fn default_spec_path() -> PathBuf {
    project_root().join("spec").join("osm.yaml")
}
