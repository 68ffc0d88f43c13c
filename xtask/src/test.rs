//! `cargo xtask test`: the whole test suite, the README's test command.
//!
//! 1. `cargo test --workspace --locked`: unit, integration, snapshot, CLI and doc tests;
//! 2. [`crate::contract`]: schemathesis against the emulator, driven by the spec;
//! 3. [`crate::interop`]: the vendor's official Python SDK against the emulator;
//! 4. [`crate::soak`]: 50,000 creates against the emulator with a state file.
//!
//! It prints a last line `N passed, N failed` counting the four stages.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// Runs the suite, stopping at the first failing stage.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        bail!("test: unexpected argument `{a}`");
    }
    let mut passed = 0;
    let stages: [(&str, &dyn Fn() -> anyhow::Result<()>); 4] = [
        ("cargo test --workspace --locked", &|| cargo_test(root)),
        ("contract test (schemathesis)", &|| {
            crate::contract::run(root, &[])
        }),
        ("interop (the vendor's Python SDK)", &|| {
            crate::interop::run(root, &[])
        }),
        ("soak", &|| crate::soak::run(root, &[])),
    ];
    let total = stages.len();
    for (name, stage) in stages {
        eprintln!("==> {name}");
        if let Err(e) = stage() {
            println!("stages: {passed} passed, 1 failed");
            return Err(e.context(format!("stage `{name}` failed")));
        }
        passed += 1;
    }
    println!("stages: {passed} passed, {} failed", total - passed);
    Ok(())
}

fn cargo_test(root: &Path) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "--workspace", "--locked"])
        .current_dir(root)
        .status()
        .context("cannot run cargo test")?;
    if !status.success() {
        bail!("cargo test failed ({status})");
    }
    Ok(())
}
