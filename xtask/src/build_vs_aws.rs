//! `cargo xtask build-vs-aws [--rounds N]`: how long a small program that opens a ticket
//! takes to build cold with this crate, against the same program written with the AWS
//! SDK (`aws-config` + `aws-sdk-support`, a `CreateCase` call).
//!
//! Both programs live under `target/build-vs-aws/` (written here, nothing committed), are
//! fetched first (the download is not timed), then built side by side, at the same time,
//! each with an empty target directory of its own and `CARGO_INCREMENTAL=0`, so that the
//! machine's noise falls on both. The figure is the ratio of the wall times,
//! osm / aws, per round and its median; `target/bench/build_vs_aws.json` keeps them.
//! Fetching the AWS crates needs crates.io; the build itself runs `--offline`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;

const OSM_MAIN: &str = r#"use huaweicloud_osm::{Client, NewCase};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let endpoint = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:8086".into());
    let client = Client::builder().endpoint(endpoint).exactly_once(true).build()?;
    let created = client.create_case(&NewCase::new("1", "disk full on ecs-01")).await?;
    println!("{}", created.incident_id);
    Ok(())
}
"#;

const AWS_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_support::Client::new(&config);
    let created = client
        .create_case()
        .subject("disk full on ecs-01")
        .communication_body("disk full on ecs-01")
        .send()
        .await?;
    println!("{:?}", created.case_id());
    Ok(())
}
"#;

fn manifest(name: &str, deps: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\n{deps}tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [workspace]\n"
    )
}

fn write_program(dir: &Path, name: &str, deps: &str, main: &str) -> Result<()> {
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest(name, deps))?;
    std::fs::write(dir.join("src/main.rs"), main)?;
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs the command; fails with its output when it fails.
fn run(cmd: &mut std::process::Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("cannot run {what}"))?;
    if !out.status.success() {
        bail!("{what} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// Runs `cargo xtask build-vs-aws`.
pub fn run_command(root: &Path, args: &[String]) -> Result<()> {
    let mut rounds = 1usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| (1..=20).contains(&n))
                    .context("--rounds takes a number from 1 to 20")?;
            }
            other => bail!("build-vs-aws: unexpected argument `{other}` (option: --rounds N)"),
        }
    }
    let base = root.join("target").join("build-vs-aws");
    let osm = base.join("osm");
    let aws = base.join("aws");
    let lib = root.display().to_string().replace('\\', "/");
    write_program(
        &osm,
        "open-ticket-osm",
        &format!("huaweicloud-osm = {{ path = {lib:?} }}\n"),
        OSM_MAIN,
    )?;
    write_program(
        &aws,
        "open-ticket-aws",
        "aws-config = \"1\"\naws-sdk-support = \"1\"\n",
        AWS_MAIN,
    )?;
    for dir in [&osm, &aws] {
        eprintln!("build-vs-aws: cargo fetch in {}", dir.display());
        run(
            std::process::Command::new(cargo())
                .arg("fetch")
                .current_dir(dir),
            "cargo fetch",
        )?;
    }
    let mut results = Vec::new();
    for round in 1..=rounds {
        let targets: Vec<PathBuf> = [&osm, &aws].iter().map(|d| d.join("target")).collect();
        for t in &targets {
            if t.exists() {
                std::fs::remove_dir_all(t)
                    .with_context(|| format!("cannot remove {}", t.display()))?;
            }
        }
        eprintln!("build-vs-aws: round {round}/{rounds}, both builds at once");
        let spawn = |dir: &Path, target: &Path| {
            std::process::Command::new(cargo())
                .args(["build", "--offline", "--quiet"])
                .current_dir(dir)
                .env("CARGO_TARGET_DIR", target)
                .env("CARGO_INCREMENTAL", "0")
                .env_remove("RUSTC_WRAPPER")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
        };
        let t0 = Instant::now();
        let mut children = [
            spawn(&osm, &targets[0]).context("cannot start cargo build")?,
            spawn(&aws, &targets[1]).context("cannot start cargo build")?,
        ];
        let mut secs = [0f64; 2];
        let mut done = [false; 2];
        while done.iter().any(|d| !d) {
            for (i, child) in children.iter_mut().enumerate() {
                if !done[i]
                    && let Some(status) = child.try_wait()?
                {
                    secs[i] = t0.elapsed().as_secs_f64();
                    done[i] = true;
                    if !status.success() {
                        let mut err = String::new();
                        if let Some(mut e) = child.stderr.take() {
                            use std::io::Read as _;
                            let _ = e.read_to_string(&mut err);
                        }
                        bail!(
                            "cargo build of the {} program failed:\n{err}",
                            ["osm", "aws"][i]
                        );
                    }
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let ratio = secs[0] / secs[1];
        println!(
            "round {round}: osm {:.1} s, aws {:.1} s, ratio {ratio:.2}",
            secs[0], secs[1]
        );
        results.push(json!({ "osm_s": secs[0], "aws_s": secs[1], "ratio": ratio }));
    }
    let mut ratios: Vec<f64> = results.iter().filter_map(|r| r["ratio"].as_f64()).collect();
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("median ratio osm / aws: {median:.2} ({rounds} round(s), side by side, cold)");
    let out = root.join("target").join("bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(
        out.join("build_vs_aws.json"),
        serde_json::to_string_pretty(&json!({
            "rounds": results,
            "median_ratio": median,
            "osm_program": OSM_MAIN,
            "aws_program": AWS_MAIN,
            "command": "cargo build --offline (dev, CARGO_INCREMENTAL=0, empty target dirs, both at once)",
        }))?,
    )?;
    Ok(())
}
