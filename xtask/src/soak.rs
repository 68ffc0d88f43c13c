//! `cargo xtask soak [N]`: many creates against the emulator with a state file.

use std::path::Path;

/// Runs the command.
pub fn run(_root: &Path, _args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
