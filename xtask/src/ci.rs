//! `cargo xtask ci [STAGE…] [--plan]` and `cargo xtask msrv [--plan]`: what CI runs, in
//! order, stopping at the first failure. `.ci/run` and `.github/workflows/ci.yml` call
//! these commands and hold no logic of their own; `--plan` prints the commands without
//! running them (the tests check the workflows against it).
//!
//! The stages of `cargo xtask ci`, all by default, in this order:
//!
//! 1. `fmt`: `cargo fmt --all -- --check`
//! 2. `clippy`: `cargo clippy --workspace --all-targets --locked -- -D warnings`
//! 3. `generated`: `src/generated/` and `docs/reference/` match the spec
//!    ([`crate::generate::check`], called directly)
//! 4. `package`: `cargo package --workspace --locked` (the crates build from their
//!    packaged files)
//! 5. `licences`: the licence of every crate of the dependency tree against `deny.toml`,
//!    offline: `cargo deny --frozen --workspace check licenses` after `cargo fetch
//!    --locked` (cargo-deny is installed with `cargo install --locked` when missing; that
//!    takes about three minutes on two cores)
//! 6. `test`: the README's test command, [`crate::test`] (`cargo xtask test`)
//!
//! `cargo xtask msrv` checks that the workspace builds with the `rust-version` it
//! declares: it installs that toolchain with rustup and runs `cargo check --workspace
//! --locked` with it.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// The cargo-deny release the licence stage installs when none is there.
pub const CARGO_DENY_VERSION: &str = "0.20.2";

/// One step of a stage.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `cargo` with these arguments (the cargo that runs the xtask).
    Cargo(&'static [&'static str]),
    /// The check of everything the spec generates.
    Generated,
    /// `cargo deny`, installed first if missing.
    Deny(&'static [&'static str]),
    /// The README's test command.
    Test,
}

/// A stage of `cargo xtask ci`.
#[derive(Debug, Clone, Copy)]
pub struct Stage {
    /// Its name on the command line.
    pub name: &'static str,
    steps: &'static [Step],
}

/// Every stage, in the order `cargo xtask ci` runs them.
pub const STAGES: &[Stage] = &[
    Stage {
        name: "fmt",
        steps: &[Step::Cargo(&["fmt", "--all", "--", "--check"])],
    },
    Stage {
        name: "clippy",
        steps: &[Step::Cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ])],
    },
    Stage {
        name: "generated",
        steps: &[Step::Generated],
    },
    Stage {
        name: "package",
        steps: &[Step::Cargo(&["package", "--workspace", "--locked"])],
    },
    Stage {
        name: "licences",
        steps: &[
            Step::Cargo(&["fetch", "--locked"]),
            Step::Deny(&["--frozen", "--workspace", "check", "licenses"]),
        ],
    },
    Stage {
        name: "test",
        steps: &[Step::Test],
    },
];

impl Step {
    fn label(self) -> String {
        match self {
            Step::Cargo(args) => format!("cargo {}", args.join(" ")),
            Step::Generated => "cargo xtask generate --check".into(),
            Step::Deny(args) => format!("cargo deny {}", args.join(" ")),
            Step::Test => "cargo xtask test".into(),
        }
    }
}

fn cargo() -> std::ffi::OsString {
    // Under `cargo xtask`, CARGO is the cargo that runs us: use the same toolchain.
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn run_command(label: &str, cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{label}`"))?;
    if !status.success() {
        bail!("`{label}` failed ({status}); stopping");
    }
    Ok(())
}

fn run_step(step: Step, root: &Path) -> Result<()> {
    let label = step.label();
    match step {
        Step::Cargo(args) => {
            run_command(&label, Command::new(cargo()).args(args).current_dir(root))
        }
        Step::Generated => {
            let problems = crate::generate::check(root)?;
            if !problems.is_empty() {
                bail!(
                    "the check of the generated files failed:\n  {}\n{}",
                    problems.join("\n  "),
                    crate::generate::REGENERATE
                );
            }
            Ok(())
        }
        Step::Deny(args) => {
            let present = Command::new(cargo())
                .args(["deny", "--version"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !present {
                let install = format!("cargo install --locked cargo-deny@{CARGO_DENY_VERSION}");
                println!("ci: {install}");
                run_command(
                    &install,
                    Command::new(cargo()).args([
                        "install",
                        "--locked",
                        &format!("cargo-deny@{CARGO_DENY_VERSION}"),
                    ]),
                )?;
            }
            run_command(
                &label,
                Command::new(cargo())
                    .arg("deny")
                    .args(args)
                    .current_dir(root),
            )
        }
        Step::Test => crate::test::run(root, &[]),
    }
}

/// The stages `names` asks for (all when empty), in their order; an unknown name is an
/// error listing the known ones.
pub fn select(names: &[String]) -> Result<Vec<Stage>> {
    for n in names {
        if !STAGES.iter().any(|s| s.name == n) {
            bail!(
                "unknown stage `{n}` (stages: {})",
                STAGES.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            );
        }
    }
    Ok(STAGES
        .iter()
        .filter(|s| names.is_empty() || names.iter().any(|n| n == s.name))
        .copied()
        .collect())
}

/// What the stages run, one `stage: command` line each.
pub fn plan(stages: &[Stage]) -> String {
    let mut out = String::new();
    for s in stages {
        for step in s.steps {
            out.push_str(&format!("{}: {}\n", s.name, step.label()));
        }
    }
    out
}

/// Runs the stages in `root`; the error names the step that failed.
pub fn run_stages(stages: &[Stage], root: &Path) -> Result<()> {
    for s in stages {
        for step in s.steps {
            println!("ci: {}: {}", s.name, step.label());
            run_step(*step, root).with_context(|| format!("stage `{}`", s.name))?;
        }
    }
    println!("ci: all stages passed");
    Ok(())
}

/// Runs every stage (what `cargo xtask ci` without arguments does).
pub fn run(root: &Path) -> Result<()> {
    run_stages(STAGES, root)
}

/// The workspace's declared `rust-version` (the xtask shares it with every crate).
pub const RUST_VERSION: &str = env!("CARGO_PKG_RUST_VERSION");

/// The commands of `cargo xtask msrv`, as argument lists (program first).
pub fn msrv_commands() -> Vec<Vec<String>> {
    let v = RUST_VERSION.to_string();
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        words(&["rustup", "toolchain", "install", &v, "--profile", "minimal"]),
        words(&[
            "rustup",
            "run",
            &v,
            "cargo",
            "check",
            "--workspace",
            "--locked",
        ]),
    ]
}

/// `cargo xtask msrv`: builds the workspace with its declared `rust-version`.
pub fn msrv(root: &Path) -> Result<()> {
    if RUST_VERSION.is_empty() {
        bail!("the workspace declares no rust-version");
    }
    for c in msrv_commands() {
        let label = c.join(" ");
        println!("msrv: {label}");
        run_command(&label, Command::new(&c[0]).args(&c[1..]).current_dir(root))?;
    }
    println!("msrv: the workspace builds with Rust {RUST_VERSION}");
    Ok(())
}
