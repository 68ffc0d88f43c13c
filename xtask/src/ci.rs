//! `cargo xtask ci`: what CI runs, in order, stopping at the first failure.
//!
//! 1. `cargo fmt --all -- --check`
//! 2. `cargo clippy --workspace --all-targets --locked -- -D warnings`
//! 3. `cargo test --workspace --locked`
//! 4. the docs check ([`crate::docs::check`], called directly rather than through cargo)

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The cargo steps, as argument lists.
pub const CARGO_STEPS: &[&[&str]] = &[
    &["fmt", "--all", "--", "--check"],
    &[
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ],
    &["test", "--workspace", "--locked"],
];

/// Runs every step in `root`; the error names the step that failed.
pub fn run(root: &Path, spec_path: &Path) -> Result<()> {
    // Under `cargo xtask`, CARGO is the cargo that runs us: use the same toolchain.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for args in CARGO_STEPS {
        let label = format!("cargo {}", args.join(" "));
        println!("ci: {label}");
        let status = Command::new(&cargo)
            .args(*args)
            .current_dir(root)
            .status()
            .with_context(|| format!("cannot start `{label}`"))?;
        if !status.success() {
            bail!("`{label}` failed ({status}); stopping");
        }
    }
    println!("ci: cargo xtask docs --check");
    let problems = crate::docs::check(root, spec_path)?;
    if !problems.is_empty() {
        bail!(
            "the docs check failed:\n  {}\n{}",
            problems.join("\n  "),
            crate::docs::REGENERATE
        );
    }
    println!("ci: all steps passed");
    Ok(())
}
