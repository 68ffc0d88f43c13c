//! `cargo xtask contract`: schemathesis against the emulator with the spec.

use std::path::Path;

/// Runs the command.
pub fn run(_root: &Path, _args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
