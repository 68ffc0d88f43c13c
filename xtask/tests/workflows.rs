//! The GitHub workflows (`.github/workflows/*.yml`) parse, run when they should, and only
//! call `cargo xtask` commands whose logic the tests run: each of their commands is run
//! here with `--plan`, which prints what it would do. `.ci/run` calls the same stages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_yaml::Value;

fn root() -> PathBuf {
    xtask::project_root()
}

fn workflow(name: &str) -> Value {
    let path = root().join(".github/workflows").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()))
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every step of every job: (job, step).
fn steps(w: &Value) -> Vec<(String, Value)> {
    let jobs = w["jobs"].as_mapping().expect("a workflow has jobs");
    let mut out = Vec::new();
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or_default().to_string();
        let list = job["steps"].as_sequence().expect("a job has steps");
        assert!(
            job["timeout-minutes"].as_u64().is_some(),
            "job {name} has no timeout"
        );
        out.extend(list.iter().map(|s| (name.clone(), s.clone())));
    }
    out
}

/// The `run:` commands, split into words; each must be `cargo xtask …`.
fn xtask_commands(w: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (job, step) in steps(w) {
        let Some(run) = step["run"].as_str() else {
            continue;
        };
        for line in run.lines().filter(|l| !l.trim().is_empty()) {
            let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
            assert!(
                words.len() > 2 && words[0] == "cargo" && words[1] == "xtask",
                "job {job}: `{line}` is not a `cargo xtask` command; put the logic in the xtask"
            );
            out.push(words[2..].to_vec());
        }
    }
    out
}

/// Runs each command with `--plan` and returns what it printed.
fn plans(commands: &[Vec<String>]) -> Vec<String> {
    commands
        .iter()
        .map(|c| {
            let mut args: Vec<&str> = c.iter().map(String::as_str).collect();
            args.push("--plan");
            let out = xtask(&args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "`cargo xtask {}` --plan: {}",
                c.join(" "),
                text(&out.stderr)
            );
            text(&out.stdout)
        })
        .collect()
}

fn triggers(w: &Value) -> Vec<String> {
    w["on"]
        .as_mapping()
        .expect("`on` is a mapping")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect()
}

#[test]
fn ci_runs_the_stages_of_ci_run_on_push_and_pull_request_with_a_cache() {
    let w = workflow("ci.yml");
    let on = triggers(&w);
    assert!(
        on.contains(&"push".into()) && on.contains(&"pull_request".into()),
        "{on:?}"
    );
    let commands = xtask_commands(&w);
    assert!(commands.contains(&vec!["ci".to_string()]), "{commands:?}");
    assert!(commands.contains(&vec!["msrv".to_string()]), "{commands:?}");
    let printed = plans(&commands).join("");
    // Every stage, the README's test command and the licence check among them.
    for stage in xtask::ci::STAGES {
        assert!(
            printed
                .lines()
                .any(|l| l.starts_with(&format!("{}: ", stage.name))),
            "{printed}"
        );
    }
    assert!(printed.contains("test: cargo xtask test"), "{printed}");
    assert!(
        printed.contains("licences: cargo deny --frozen --workspace check licenses"),
        "{printed}"
    );
    // The MSRV job builds with the rust-version the workspace declares.
    let v = env!("CARGO_PKG_RUST_VERSION");
    assert!(!v.is_empty());
    assert!(
        printed.contains(&format!(
            "msrv: rustup run {v} cargo check --workspace --locked"
        )),
        "{printed}"
    );
    // The job that builds the workspace restores a cache keyed by Cargo.lock.
    let cached = steps(&w).iter().any(|(job, s)| {
        job == "ci"
            && s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/cache@"))
            && s["with"]["key"]
                .as_str()
                .is_some_and(|k| k.contains("hashFiles('Cargo.lock')"))
    });
    assert!(cached, "the ci job has no cache keyed by Cargo.lock");
    // .ci/run calls the same stages.
    let ci_run = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci_run.lines().any(|l| l.trim() == "cargo xtask ci"),
        "{ci_run}"
    );
    // The licence policy the stage reads is committed.
    assert!(Path::new(&root().join("deny.toml")).is_file());
}

#[test]
fn drift_runs_weekly_and_on_demand_and_fails_on_drift() {
    let w = workflow("drift.yml");
    let on = triggers(&w);
    assert!(on.contains(&"workflow_dispatch".into()), "{on:?}");
    let cron = w["on"]["schedule"][0]["cron"].as_str().expect("a schedule");
    // Minute, hour, any day of the month, any month, one day of the week.
    let fields: Vec<&str> = cron.split_whitespace().collect();
    assert_eq!(fields.len(), 5, "{cron}");
    assert_eq!(&fields[2..4], ["*", "*"], "{cron}");
    assert!(fields[4].parse::<u8>().is_ok_and(|d| d < 7), "{cron}");
    let commands = xtask_commands(&w);
    assert_eq!(
        commands,
        vec![vec!["drift".to_string(), "--from-spec".to_string()]]
    );
    // Its plan fetches every page the spec records; no step may swallow the exit status.
    let printed = plans(&commands).join("");
    let recorded: usize = xtask::spec::Spec::load(&xtask::default_spec_path())
        .unwrap()
        .model
        .operations
        .iter()
        .map(|o| o.vendor_pages.len())
        .sum();
    assert!(recorded > 0);
    assert_eq!(
        printed.lines().filter(|l| l.starts_with("fetch ")).count(),
        recorded
    );
    for (job, step) in steps(&w) {
        assert!(
            step["continue-on-error"].as_bool() != Some(true),
            "job {job}: a step continues on error, so drift would not fail the run"
        );
    }
}

#[test]
fn unknown_stages_are_refused() {
    let out = xtask(&["ci", "lint", "--plan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown stage `lint`"));
    let out = xtask(&["ci", "fmt", "--plan"]);
    assert_eq!(text(&out.stdout), "fmt: cargo fmt --all -- --check\n");
}
