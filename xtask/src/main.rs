//! `cargo xtask <command>`: see `xtask/README.md`, or run `cargo xtask help`.

use std::path::PathBuf;
use std::process::ExitCode;

use xtask::{ci, default_spec_path, docs, drift, generate, project_root, watch};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  generate [--check]                   write src/generated/ (the library's generated
                                       code) and docs/reference/ from spec/osm.yaml;
                                       --check: exit 1 if any is stale
  docs [--check]                       render docs/reference/ from spec/osm.yaml;
                                       --check: exit 1 if docs/ is stale
  drift PAGE... [--url URL...] [--apply] [--spec PATH]
                                       compare the vendor's pages (files, folders, or
                                       fetched; an http(s):// argument is a URL) with
                                       the spec, each with the operation of its URI;
                                       exit 0 no drift, 1 drift, 2 a page cannot be
                                       read; --apply: write the pure facts into the spec
  drift --from-spec [--site SITE...] [--base-url URL] [--plan] [--spec PATH]
                                       fetch every operation's page recorded in the
                                       spec (x-vendor-pages; SITE: intl, eu, cn) and
                                       compare it; --base-url replaces scheme and host;
                                       --plan lists the URLs; exit codes as above;
                                       bounds: --timeout SECS (30 a page), --deadline
                                       SECS (1200 in all), --retries N (2), --pause
                                       SECS (1 between requests)
  ci [STAGE...] [--plan]               what CI runs (.ci/run, ci.yml): fmt, clippy,
                                       docs, package, licences (cargo deny, offline),
                                       test (the README's test command); stops at the
                                       first failure; --plan prints the commands
  msrv [--plan]                        cargo check with the declared rust-version
                                       (installed with rustup)
  test                                 the whole test suite: cargo test --workspace
                                       --locked, then the contract test, the interop
                                       stage and the soak
  contract                             schemathesis (in target/venv-contract) against
                                       the emulator with spec/osm.yaml
  interop [--timeout SECS]             the vendor's Python SDK (in target/venv-interop)
                                       against the emulator: every answer read into
                                       its models without losing a field
  soak [N]                             N creates (default 50,000) with 64 in flight
                                       against the emulator with a state file
  bench [--quick] [--no-python] [--no-build-time]
                                       benchmarks against baselines measured in the
                                       same run; table + target/bench/summary.json
  build-vs-aws [--rounds N]            a small ticket-opening program built cold with
                                       this crate and with aws-config +
                                       aws-sdk-support, side by side; ratio of times
  help                                 this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let code = match command {
        "generate" => generate_command(rest),
        "docs" => docs_command(rest),
        "drift" => drift_command(rest),
        "ci" => ci_command(rest),
        "msrv" => msrv_command(rest),
        "test" => report(xtask::test::run(&project_root(), rest)),
        "contract" => report(xtask::contract::run(&project_root(), rest)),
        "interop" => report(xtask::interop::run(&project_root(), rest)),
        "soak" => report(xtask::soak::run(&project_root(), rest)),
        "bench" => report(xtask::bench::run(&project_root(), rest)),
        "build-vs-aws" => report(xtask::build_vs_aws::run_command(&project_root(), rest)),
        // New commands go here, each in its own module.
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            0
        }
        other => usage_error(&format!("unknown command `{other}`")),
    };
    ExitCode::from(code)
}

/// Exit status of a command that returns `anyhow::Result`.
fn report(result: anyhow::Result<()>) -> u8 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn usage_error(message: &str) -> u8 {
    eprintln!("error: {message}\n\n{USAGE}");
    2
}

fn generate_command(args: &[String]) -> u8 {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            other => return usage_error(&format!("generate: unexpected argument `{other}`")),
        }
    }
    let root = project_root();
    if check {
        match generate::check(&root) {
            Ok(problems) if problems.is_empty() => {
                println!("src/generated/ and docs/reference/ match spec/osm.yaml");
                0
            }
            Ok(problems) => {
                for p in &problems {
                    eprintln!("{p}");
                }
                eprintln!("{}", generate::REGENERATE);
                1
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        }
    } else {
        match generate::write(&root) {
            Ok(messages) => {
                for m in &messages {
                    println!("{m}");
                }
                if messages.is_empty() {
                    println!("src/generated/ and docs/reference/ were up to date");
                }
                0
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        }
    }
}

fn docs_command(args: &[String]) -> u8 {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            other => return usage_error(&format!("docs: unexpected argument `{other}`")),
        }
    }
    docs::run(&project_root(), &default_spec_path(), check)
}

fn drift_command(args: &[String]) -> u8 {
    if args.iter().any(|a| a == "--from-spec") {
        return from_spec_command(args);
    }
    let mut parsed = drift::Args::default();
    let mut spec: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--apply" => parsed.apply = true,
            "--spec" => match it.next() {
                Some(p) => spec = Some(PathBuf::from(p)),
                None => return usage_error("drift: --spec needs a path"),
            },
            s if s.starts_with("--spec=") => spec = Some(PathBuf::from(&s["--spec=".len()..])),
            "--url" => match it.next() {
                Some(u) => parsed.urls.push(u.clone()),
                None => return usage_error("drift: --url needs a URL"),
            },
            s if s.starts_with("--url=") => parsed.urls.push(s["--url=".len()..].to_string()),
            s if s.starts_with('-') && s != "-" => {
                return usage_error(&format!("drift: unknown option `{s}`"));
            }
            s if s.starts_with("http://") || s.starts_with("https://") => {
                parsed.urls.push(s.to_string())
            }
            s => parsed.pages.push(PathBuf::from(s)),
        }
    }
    if parsed.pages.is_empty() && parsed.urls.is_empty() {
        return usage_error("drift: which PAGE (a file or a folder), or --url URL?");
    }
    parsed.spec = spec.unwrap_or_else(default_spec_path);
    drift::run(&parsed)
}

fn ci_command(args: &[String]) -> u8 {
    let plan = args.iter().any(|a| a == "--plan");
    let names: Vec<String> = args.iter().filter(|a| *a != "--plan").cloned().collect();
    let stages = match ci::select(&names) {
        Ok(s) => s,
        Err(e) => return usage_error(&format!("ci: {e}")),
    };
    if plan {
        print!("{}", ci::plan(&stages));
        return 0;
    }
    match ci::run_stages(&stages, &project_root()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

fn msrv_command(args: &[String]) -> u8 {
    match args {
        [] => report(ci::msrv(&project_root())),
        [p] if p == "--plan" => {
            for c in ci::msrv_commands() {
                println!("msrv: {}", c.join(" "));
            }
            0
        }
        [a, ..] => usage_error(&format!("msrv: unexpected argument `{a}`")),
    }
}

fn from_spec_command(args: &[String]) -> u8 {
    let mut parsed = watch::Args {
        spec: default_spec_path(),
        ..watch::Args::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(name.to_string())
        };
        match flag {
            "--from-spec" => {}
            "--plan" => parsed.plan = true,
            "--spec" => match value("--spec") {
                Ok(p) => parsed.spec = PathBuf::from(p),
                Err(_) => return usage_error("drift: --spec needs a path"),
            },
            "--base-url" => match value("--base-url") {
                Ok(u) => parsed.base_url = Some(u),
                Err(_) => return usage_error("drift: --base-url needs a URL"),
            },
            "--pause" | "--timeout" | "--deadline" | "--retries" => {
                let Ok(Ok(n)) = value(flag).map(|v| v.parse::<u32>()) else {
                    return usage_error(&format!("drift: {flag} needs a whole number"));
                };
                let secs = std::time::Duration::from_secs(u64::from(n));
                match flag {
                    "--pause" => parsed.limits.pause = secs,
                    "--timeout" => parsed.limits.timeout = secs,
                    "--deadline" => parsed.limits.deadline = secs,
                    _ => parsed.limits.retries = n.min(10),
                }
            }
            "--site" => match value("--site") {
                Ok(s) => match osm_spec::DocSite::from_key(&s) {
                    Some(site) => parsed.sites.push(site),
                    None => {
                        return usage_error(&format!(
                            "drift: unknown site `{s}` (known: {})",
                            osm_spec::DocSite::ALL.map(|s| s.key()).join(", ")
                        ));
                    }
                },
                Err(_) => return usage_error("drift: --site needs a site"),
            },
            other => {
                return usage_error(&format!(
                    "drift --from-spec: unexpected argument `{other}` (pages come from the spec)"
                ));
            }
        }
    }
    watch::run(&parsed)
}
