//! `cargo xtask soak [N]`: N creates (default [`DEFAULT_CREATES`]) through one library
//! client, 64 in flight, against the `osm-emulator` binary with a state file.
//!
//! Both the emulator binary and the driver (`emulator/examples/soak.rs`) are built in
//! release mode, for realistic speed. The driver runs the emulator as a separate process
//! so that the emulator's memory is measured on its own (`/proc/<pid>/status`), every
//! 10,000 creates. It asserts no failed create, N distinct incident ids, the emulator's
//! ticket count, a state file of exactly N lines with the same ids, and a restart (after
//! SIGKILL) on that file that loads N tickets and continues the ids; it fails on a
//! memory growth of more than 10 KiB per ticket. No timing thresholds.
//!
//! The state file lives in `target/soak/run-<pid>/` and is removed after a successful
//! run (kept for inspection after a failure). The figures are printed, and written to
//! `target/soak/summary.json`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::contract::target_dir;

/// Creates per soak unless the first argument says otherwise.
pub const DEFAULT_CREATES: usize = 50_000;
/// Calls in flight at any time.
pub const IN_FLIGHT: usize = 64;

fn parse_creates(args: &[String]) -> anyhow::Result<usize> {
    match args {
        [] => Ok(DEFAULT_CREATES),
        [n] => {
            let creates: usize = n
                .replace(['_', ','], "")
                .parse()
                .with_context(|| format!("soak: N must be a positive number, not `{n}`"))?;
            if creates == 0 {
                bail!("soak: N must be a positive number");
            }
            Ok(creates)
        }
        [_, extra, ..] => bail!("soak: unexpected argument `{extra}` (usage: soak [N])"),
    }
}

/// Runs the soak.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let creates = parse_creates(args)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("soak: building osm-emulator and the soak driver (release)");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "osm-emulator",
            "--bin",
            "osm-emulator",
            "--example",
            "soak",
        ])
        .current_dir(root)
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p osm-emulator failed ({status})");
    }
    let release = target_dir(root).join("release");
    let exe = std::env::consts::EXE_SUFFIX;
    let emulator = release.join(format!("osm-emulator{exe}"));
    let driver = release.join("examples").join(format!("soak{exe}"));

    let soak_dir = target_dir(root).join("soak");
    let run_dir = soak_dir.join(format!("run-{}", std::process::id()));
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)
            .with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    std::fs::create_dir_all(&run_dir)
        .with_context(|| format!("cannot create {}", run_dir.display()))?;
    let state = run_dir.join("state.jsonl");
    let summary = soak_dir.join("summary.json");

    let status = Command::new(&driver)
        .arg(creates.to_string())
        .arg(&state)
        .arg("--emulator")
        .arg(&emulator)
        .args(["--in-flight", &IN_FLIGHT.to_string()])
        .arg("--summary")
        .arg(&summary)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot run {}", driver.display()))?;
    if !status.success() {
        bail!(
            "the soak failed ({status}); its state file is kept in {}",
            run_dir.display()
        );
    }
    std::fs::remove_dir_all(&run_dir)
        .with_context(|| format!("cannot remove {}", run_dir.display()))?;
    eprintln!("soak: figures in {}", summary.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_argument() {
        assert_eq!(parse_creates(&[]).unwrap(), DEFAULT_CREATES);
        assert_eq!(parse_creates(&["1_000".into()]).unwrap(), 1000);
        assert_eq!(parse_creates(&["20,000".into()]).unwrap(), 20_000);
        assert!(parse_creates(&["0".into()]).is_err());
        assert!(parse_creates(&["many".into()]).is_err());
        assert!(parse_creates(&["1".into(), "2".into()]).is_err());
    }
}
