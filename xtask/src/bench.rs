//! `cargo xtask bench`: benchmarks against baselines measured in the same run.

use std::path::Path;

/// Runs the command.
pub fn run(_root: &Path, _args: &[String]) -> anyhow::Result<()> {
    anyhow::bail!("not written yet")
}
