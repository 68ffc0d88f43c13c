//! `cargo xtask bench`: the performance figures, each a ratio to a baseline measured in
//! the same run, on the same machine, against the same server.
//!
//! The timing loops live in `examples/bench_calls.rs` (built in release mode) and
//! `scripts/bench_python_sdk.py`; this module builds, runs and summarises them:
//!
//! | figure | ours | baseline |
//! |---|---|---|
//! | `prepare_us` | validate + serialise + sign one request | serde_json + the same canonical request and HMAC, by hand |
//! | `client_vs_raw_reqwest` | one create, AK/SK signed and validated, keep-alive loopback | raw reqwest posting the same pre-built bytes to the same minimal server |
//! | `client_cpu_vs_raw_reqwest` | CPU (user+sys, `getrusage`) per create of a process using the client | the same of a process using raw reqwest with pre-built bytes; emulator in another process |
//! | `lookup_vs_raw_reqwest` | one `list_problem_types`, signed, answer read into its type | raw reqwest sending the very request the client sent (captured by the server) |
//! | `python_sdk_cpu_vs_client` | CPU per create of a process using the vendor's Python SDK | CPU per create of a process using our client (the ratio is theirs over ours) |
//! | `emulator_vs_minimal_server` | `osm-emulator` (in memory) creates/s, 64 in flight | a bare axum server answering the same bytes, same runtime, same load generator |
//! | emulator handler | a pre-signed create against the emulator | the same request against the minimal server |
//! | `cli_oneshot_vs_python` | one `osm case create` process | one Python process opening the same ticket through the SDK |
//! | `concurrent_creates_per_s` | 10,000 creates, 64 in flight, against the emulator | (error count must be 0) |
//! | `build_s` | clean dev build of the library; rebuild after a spec edit | |
//!
//! A/B figures alternate their two sides in rounds so that the machine's noise falls on
//! both, and compare medians. The Python SDK goes into `target/venv-bench` (created on
//! first use); without `python3`, the two Python figures are skipped with a message.
//! Build times are measured on a copy of the workspace in `target/bench-build/`, so the
//! spec edit never touches `spec/osm.yaml` itself (and a concurrent `cargo test` in the
//! real tree never sees it). Results: a table on standard output and
//! `target/bench/summary.json`.
//!
//! Options: `--quick` (fewer rounds, for a try), `--no-python`, `--no-build-time`.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// The vendor's Python SDK, pinned to the version `tests/data/python_sdk/` was recorded
/// with.
pub const PYTHON_SDK: [&str; 2] = ["huaweicloudsdkcore==3.1.219", "huaweicloudsdkosm==3.1.219"];
/// The key pair `examples/bench_calls.rs` signs with.
const AK: &str = "AKBENCH0000000000001";
const SK: &str = "sk-bench-secret-0000000000000000000001";

struct Options {
    quick: bool,
    python: bool,
    build_time: bool,
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut o = Options {
        quick: false,
        python: true,
        build_time: true,
    };
    for a in args {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-python" => o.python = false,
            "--no-build-time" => o.build_time = false,
            other => bail!(
                "bench: unexpected argument `{other}` (options: --quick, --no-python, --no-build-time)"
            ),
        }
    }
    Ok(o)
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => root.join(d),
        _ => root.join("target"),
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// A command with no proxy for loopback (reqwest and requests both honour `*_proxy`).
pub(crate) fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    for v in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        c.env_remove(v);
    }
    c.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    c
}

fn check(status: std::process::ExitStatus, what: &str) -> anyhow::Result<()> {
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Runs a command and parses the last line of its standard output as JSON.
fn run_json(cmd: &mut Command, what: &str) -> anyhow::Result<Value> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    check(out.status, what)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .with_context(|| format!("{what} printed nothing"))?;
    serde_json::from_str(line).with_context(|| format!("{what} printed no JSON: {line}"))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn num(v: &Value, path: &[&str]) -> anyhow::Result<f64> {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(p)
            .with_context(|| format!("no `{}` in {v}", path.join(".")))?;
    }
    cur.as_f64()
        .with_context(|| format!("`{}` is not a number", path.join(".")))
}

fn samples(v: &Value) -> anyhow::Result<Vec<f64>> {
    v.get("samples_us")
        .and_then(Value::as_array)
        .context("no samples_us")?
        .iter()
        .map(|x| x.as_f64().context("a sample is not a number"))
        .collect()
}

/// A server process (`osm-emulator`, or the timing binary's minimal server) that prints
/// its base URL on its first line; killed on drop.
struct ServerProcess {
    child: Child,
    base_url: String,
}

impl ServerProcess {
    /// `osm-emulator` in memory, with the bench's key pair.
    fn emulator(bin: &Path, log: &Path) -> anyhow::Result<Self> {
        let mut cmd = command(bin);
        cmd.args(["--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK])
            // The benchmark's case names attachments and a contact the emulator has not
            // seen: measure the create path, not the reference checks.
            .arg("--no-check-references")
            .env("RUST_LOG", "warn");
        Self::start(cmd, log)
    }

    fn start(mut cmd: Command, log: &Path) -> anyhow::Result<Self> {
        let what = format!("{:?}", cmd.get_program());
        let log = std::fs::File::create(log).context("cannot create a server's log")?;
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {what}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("no stdout")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .with_context(|| format!("cannot read the base URL of {what}"))?;
        let base_url = line.trim().trim_end_matches('/').to_owned();
        if !base_url.starts_with("http://") {
            let _ = child.kill();
            bail!("{what} printed {line:?} instead of its base URL");
        }
        Ok(Self { child, base_url })
    }

    /// CPU time (user + system) the process has used so far (Linux only).
    fn cpu_time_s(&self) -> Option<f64> {
        cpu_time_of(self.child.id())
    }
}

/// CPU time (user + system) process `pid` has used so far, in seconds, from
/// `/proc/PID/stat`; `None` where there is no such file.
fn cpu_time_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces:
    // utime and stime are the 14th and 15th fields of the line.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / clock_ticks_per_s())
}

/// The kernel's clock tick (`getconf CLK_TCK`), 100 where it cannot be asked.
fn clock_ticks_per_s() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python with the vendor's SDK importable, creating it if needed; `None`
/// (with a message) when there is no `python3` or the SDK cannot be installed.
fn python_with_sdk(target: &Path) -> Option<PathBuf> {
    let venv = target.join("venv-bench");
    let python = venv.join("bin").join("python");
    let importable = |python: &Path| {
        command(python)
            .args(["-c", "import huaweicloudsdkcore, huaweicloudsdkosm"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if python.exists() && importable(&python) {
        return Some(python);
    }
    let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    if !command(&system)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!(
            "bench: {system} not found: skipping python_sdk_cpu_vs_client and cli_oneshot_vs_python"
        );
        return None;
    }
    eprintln!(
        "bench: installing the vendor's Python SDK into {}",
        venv.display()
    );
    let ok = command(&system)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && command(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PYTHON_SDK)
            .status()
            .is_ok_and(|s| s.success());
    if ok && importable(&python) {
        Some(python)
    } else {
        eprintln!(
            "bench: cannot install {} into {}: skipping the Python figures",
            PYTHON_SDK.join(" "),
            venv.display()
        );
        None
    }
}

/// Wall time of one process, in milliseconds; fails if the process fails.
fn wall_ms(cmd: &mut Command, what: &str) -> anyhow::Result<f64> {
    let t0 = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(ms)
}

/// The same ticket as `benches/common/mod.rs`, as `osm` flags.
const CLI_CASE: &[&str] = &[
    "case",
    "create",
    "--business-type-id",
    "5",
    "--region-id",
    "ap-southeast-3",
    "--severity-id",
    "2",
    "--remind-mail",
    "ops@example.com",
    "--accessory-id",
    "att-1",
    "--accessory-id",
    "att-2",
    "--simple-description",
    "ECS instance ecs-01 in ap-southeast-3 stopped answering on port 443 after a resize",
];

/// Copies the workspace (without `target/`, `.git/` and virtual environments) to `to`.
fn copy_tree(from: &Path, to: &Path, top: bool) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if top && matches!(name.as_ref(), "target" | ".git" | ".venv" | "venv") {
            continue;
        }
        let ty = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &dest, false)?;
        } else if ty.is_file() {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Restores a file's exact bytes when dropped.
struct Restore {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.bytes) {
            eprintln!("bench: cannot restore {}: {e}", self.path.display());
        }
    }
}

/// The body field whose description the build benchmark edits.
const EDITED_FIELD: &str = "simple_description";

/// Appends " (edited)" to the description of the body field [`EDITED_FIELD`] of
/// create_case, found through the spec's model and edited with the drift editor (one
/// reader of the spec, one line editor). The description lands in the generated code and
/// the rules table, so the edit rebuilds the library.
fn edit_a_description(spec: &str) -> anyhow::Result<String> {
    let model =
        crate::spec::Spec::from_text(std::path::Path::new("spec/osm.yaml"), spec.to_owned())?;
    let field = model
        .model
        .operation("create_case")
        .and_then(|op| op.body.as_ref())
        .and_then(|b| b.field(EDITED_FIELD))
        .ok_or_else(|| anyhow::anyhow!("the spec has no create_case body field {EDITED_FIELD}"))?;
    let mut doc = crate::yaml_edit::Doc::new(spec);
    doc.set_scalar(
        &field.schema_path,
        "description",
        Some(&crate::yaml_edit::yaml_string(&format!(
            "{} (edited)",
            field.description
        ))),
        &[],
    )?;
    Ok(doc.text())
}

/// Clean dev build of the library, then `cargo xtask generate` and its rebuild after a
/// one-line spec edit, both on a copy of the workspace with a target directory of its own.
fn build_times(root: &Path, target: &Path) -> anyhow::Result<Value> {
    let base = target.join("bench-build");
    let ws = base.join("ws");
    let build_target = base.join("target");
    for dir in [&ws, &build_target] {
        if dir.exists() {
            std::fs::remove_dir_all(dir)
                .with_context(|| format!("cannot remove {}", dir.display()))?;
        }
    }
    copy_tree(root, &ws, true).context("cannot copy the workspace")?;
    let build = |what: &str| -> anyhow::Result<(f64, String)> {
        let t0 = Instant::now();
        let out = command(cargo())
            .args(["build", "--locked", "-p", "huaweicloud-osm"])
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", &build_target)
            .env_remove("RUSTC_WRAPPER")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("cannot run cargo build ({what})"))?;
        let secs = t0.elapsed().as_secs_f64();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            bail!("cargo build ({what}) failed:\n{log}");
        }
        Ok((secs, log))
    };
    eprintln!(
        "bench: clean build of huaweicloud-osm (dev) in {}",
        ws.display()
    );
    let (clean, _) = build("clean")?;
    let spec = ws.join("spec").join("osm.yaml");
    let original = std::fs::read(&spec).context("cannot read the copied spec")?;
    let _restore = Restore {
        path: spec.clone(),
        bytes: original.clone(),
    };
    let edited = edit_a_description(&String::from_utf8(original)?)?;
    std::fs::write(&spec, edited)?;
    eprintln!("bench: regenerate and rebuild after a spec edit");
    let t0 = Instant::now();
    crate::generate::write(&ws).context("cargo xtask generate on the edited copy")?;
    let generate = t0.elapsed().as_secs_f64();
    let (rebuild, log) = build("after a spec edit")?;
    let incremental = generate + rebuild;
    if !log.contains("Compiling huaweicloud-osm")
        || !std::fs::read_to_string(ws.join("src/generated/codegen.rs"))
            .is_ok_and(|code| code.contains("(edited)"))
    {
        bail!("the spec edit did not reach the generated code:\n{log}");
    }
    Ok(json!({
        "clean": clean,
        "incremental_after_spec_edit": incremental,
        "generate_after_spec_edit": generate,
        "profile": "dev",
        "command": "cargo build --locked -p huaweicloud-osm",
    }))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn loadavg() -> String {
    let mut s = String::new();
    let _ = std::fs::File::open("/proc/loadavg").and_then(|mut f| f.read_to_string(&mut s));
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn fmt_ratio(v: Option<f64>) -> String {
    v.map(|r| format!("{r:.2}×"))
        .unwrap_or_else(|| "skipped".into())
}

/// Runs the benchmarks.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let opts = parse(args)?;
    let started = Instant::now();
    let target = target_dir(root);
    let out_dir = target.join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let load_before = loadavg();

    eprintln!("bench: building the timing binary, osm and osm-emulator (release)");
    let t0 = Instant::now();
    check(
        command(cargo())
            .args(["build", "--release", "--locked", "-p", "huaweicloud-osm"])
            .args(["--example", "bench_calls"])
            .current_dir(root)
            .status()?,
        "cargo build --example bench_calls",
    )?;
    check(
        command(cargo())
            .args(["build", "--release", "--locked", "-p", "osm-cli", "-p"])
            .args(["osm-emulator", "--bins"])
            .current_dir(root)
            .status()?,
        "cargo build -p osm-cli -p osm-emulator",
    )?;
    let release_build_s = t0.elapsed().as_secs_f64();
    let release = target.join("release");
    let bench_calls = release.join("examples").join("bench_calls");
    let osm = release.join("osm");
    let emulator_bin = release.join("osm-emulator");

    let (rounds, repeats) = if opts.quick { (8, 1) } else { (30, 3) };

    // 1. Preparing one request.
    eprintln!("bench: prepare");
    let prepare = run_json(
        command(&bench_calls).args(["prepare", "--rounds", &(rounds * 10).to_string()]),
        "bench_calls prepare",
    )?;
    let prepare_us = num(&prepare, &["client", "median_us"])?;
    let prepare_base_us = num(&prepare, &["baseline", "median_us"])?;

    // 2. One create call vs raw reqwest; `repeats` processes, the median ratio wins.
    eprintln!("bench: create call vs raw reqwest");
    let mut creates = Vec::new();
    for _ in 0..repeats {
        creates.push(run_json(
            command(&bench_calls).args(["create", "--rounds", &rounds.to_string()]),
            "bench_calls create",
        )?);
    }
    creates.sort_by(|a, b| {
        num(a, &["ratio"])
            .unwrap_or(f64::NAN)
            .total_cmp(&num(b, &["ratio"]).unwrap_or(f64::NAN))
    });
    let create = creates[creates.len() / 2].clone();
    let client_vs_raw = num(&create, &["ratio"])?;

    // 2b. One GET look-up vs raw reqwest sending the same signed request.
    eprintln!("bench: look-up (list_problem_types) vs raw reqwest");
    let mut lookups = Vec::new();
    for _ in 0..repeats {
        lookups.push(run_json(
            command(&bench_calls).args(["lookup", "--rounds", &rounds.to_string()]),
            "bench_calls lookup",
        )?);
    }
    lookups.sort_by(|a, b| {
        num(a, &["ratio"])
            .unwrap_or(f64::NAN)
            .total_cmp(&num(b, &["ratio"]).unwrap_or(f64::NAN))
    });
    let lookup = lookups[lookups.len() / 2].clone();
    let lookup_vs_raw = num(&lookup, &["ratio"])?;

    // 3. The emulator's handler vs the minimal server.
    eprintln!("bench: emulator handler vs minimal server");
    let handler = run_json(
        command(&bench_calls).args(["emulator", "--rounds", &rounds.to_string()]),
        "bench_calls emulator",
    )?;

    // 4–6. Against one running emulator process.
    let emulator = ServerProcess::emulator(&emulator_bin, &out_dir.join("emulator.log"))?;
    let url = emulator.base_url.clone();
    let python = if opts.python {
        python_with_sdk(&target)
    } else {
        eprintln!("bench: --no-python: skipping the Python figures");
        None
    };
    let script = root.join("scripts").join("bench_python_sdk.py");
    let py_home = out_dir.join("python-home");
    std::fs::create_dir_all(&py_home)?;
    let py_at = |python: &Path, url: &str| {
        let mut c = command(python);
        c.arg(&script)
            .args(["--endpoint", url, "--ak", AK, "--sk", SK])
            .env("HOME", &py_home);
        c
    };
    let py_cmd = |python: &Path| py_at(python, &url);

    let mut python_vs_client = None;
    let mut sequential = Value::Null;
    if let Some(python) = &python {
        eprintln!("bench: Python SDK vs our client, sequential creates");
        let (seq_rounds, calls) = if opts.quick { (2, "100") } else { (6, "200") };
        let (mut ours, mut floor, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..seq_rounds {
            let mut rust = || -> anyhow::Result<()> {
                let v = run_json(
                    command(&bench_calls).args([
                        "sequential",
                        "--endpoint",
                        &url,
                        "--calls",
                        calls,
                    ]),
                    "bench_calls sequential",
                )?;
                ours.extend(samples(&v)?);
                floor.extend(
                    v.get("raw_samples_us")
                        .and_then(Value::as_array)
                        .context("no raw_samples_us")?
                        .iter()
                        .filter_map(Value::as_f64),
                );
                Ok(())
            };
            let mut py = || -> anyhow::Result<()> {
                let v = run_json(
                    py_cmd(python).args(["--calls", calls]),
                    "bench_python_sdk.py",
                )?;
                theirs.extend(samples(&v)?);
                Ok(())
            };
            if round % 2 == 0 {
                rust()?;
                py()?;
            } else {
                py()?;
                rust()?;
            }
        }
        let (o, f, t) = (median(&ours), median(&floor), median(&theirs));
        python_vs_client = Some(t / o);
        sequential = json!({
            "client_median_us": o,
            "raw_reqwest_median_us": f,
            "python_sdk_median_us": t,
            "python_sdk_vs_raw_reqwest": t / f,
            "client_samples": ours.len(),
            "python_sdk_samples": theirs.len(),
        });
    }

    // CPU time per create, from the OS: a process using our client, one using raw
    // reqwest (pre-signed bytes), one using the vendor's Python SDK, in alternation,
    // all against this emulator process.
    eprintln!("bench: CPU time per create (client, raw reqwest, Python SDK)");
    let (cpu_rounds, cpu_calls, py_calls) = if opts.quick {
        (2, "1500", "300")
    } else {
        (5, "4000", "800")
    };
    let (mut cpu_client, mut cpu_raw, mut cpu_py) = (Vec::new(), Vec::new(), Vec::new());
    let mut cpu_runs = Vec::new();
    for round in 0..cpu_rounds {
        let mut sides: Vec<&str> = vec!["client", "raw"];
        if python.is_some() {
            sides.push("python_sdk");
        }
        if round % 2 == 1 {
            sides.reverse();
        }
        for side in sides {
            let v = match (side, &python) {
                ("python_sdk", Some(python)) => run_json(
                    py_cmd(python).args(["--cpu", "--calls", py_calls]),
                    "bench_python_sdk.py --cpu",
                )?,
                _ => run_json(
                    command(&bench_calls).args([
                        "cpu",
                        "--endpoint",
                        &url,
                        "--side",
                        side,
                        "--calls",
                        cpu_calls,
                    ]),
                    "bench_calls cpu",
                )?,
            };
            let per_call = num(&v, &["cpu_us_per_call"])?;
            match side {
                "client" => cpu_client.push(per_call),
                "raw" => cpu_raw.push(per_call),
                _ => cpu_py.push(per_call),
            }
            cpu_runs.push(v);
        }
    }
    let (cpu_c, cpu_r) = (median(&cpu_client), median(&cpu_raw));
    let client_cpu_vs_raw = cpu_c / cpu_r;
    let python_cpu_vs_client = (!cpu_py.is_empty()).then(|| median(&cpu_py) / cpu_c);

    // A fresh emulator: `osm case create` lists the last 15 minutes' tickets with the
    // same description before it sends (exactly-once), and the runs above opened
    // thousands with this one's.
    eprintln!("bench: one-shot processes");
    let oneshot_emulator =
        ServerProcess::emulator(&emulator_bin, &out_dir.join("emulator-oneshot.log"))?;
    let oneshot_url = oneshot_emulator.base_url.clone();
    let py_cmd = |python: &Path| py_at(python, &oneshot_url);
    let runs = if opts.quick { 3 } else { 9 };
    let cli = |osm: &Path| {
        let mut c = command(osm);
        c.args(["--endpoint", &oneshot_url, "--output", "json"])
            .args(CLI_CASE)
            .env("HUAWEICLOUD_SDK_AK", AK)
            .env("HUAWEICLOUD_SDK_SK", SK)
            .env_remove("HUAWEICLOUD_SDK_SECURITY_TOKEN")
            .env_remove("HUAWEICLOUD_SDK_DOMAIN_ID")
            .env_remove("HUAWEICLOUD_AUTH_TOKEN");
        c
    };
    // One untimed run of each, so that both start from a warm page cache.
    wall_ms(&mut cli(&osm), "osm case create")?;
    if let Some(python) = &python {
        wall_ms(
            py_cmd(python).arg("--oneshot"),
            "bench_python_sdk.py --oneshot",
        )?;
    }
    let (mut cli_ms, mut py_ms) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let mut one_cli = || -> anyhow::Result<()> {
            cli_ms.push(wall_ms(&mut cli(&osm), "osm case create")?);
            Ok(())
        };
        let mut one_py = || -> anyhow::Result<()> {
            if let Some(python) = &python {
                py_ms.push(wall_ms(
                    py_cmd(python).arg("--oneshot"),
                    "bench_python_sdk.py --oneshot",
                )?);
            }
            Ok(())
        };
        if run % 2 == 0 {
            one_cli()?;
            one_py()?;
        } else {
            one_py()?;
            one_cli()?;
        }
    }
    let cli_oneshot_vs_python = python.as_ref().map(|_| median(&py_ms) / median(&cli_ms));
    drop(oneshot_emulator);

    eprintln!("bench: 10,000 creates, 64 in flight");
    let concurrent = run_json(
        command(&bench_calls).args([
            "concurrent",
            "--endpoint",
            &url,
            "--total",
            "10000",
            "--in-flight",
            "64",
        ]),
        "bench_calls concurrent",
    )?;
    drop(emulator);
    let concurrent_errors = num(&concurrent, &["errors"])? as u64;

    // The emulator's throughput vs a bare server's: both in processes of their own on
    // the same runtime, both driven by the same load generator (raw reqwest posting
    // pre-signed creates, 64 in flight), in alternation; a fresh in-memory emulator.
    eprintln!("bench: emulator vs minimal server, 64 in flight");
    let emulator = ServerProcess::emulator(&emulator_bin, &out_dir.join("emulator-load.log"))?;
    let mut minimal_cmd = command(&bench_calls);
    minimal_cmd.arg("minimal-server");
    let minimal = ServerProcess::start(minimal_cmd, &out_dir.join("minimal-server.log"))?;
    let (load_rounds, load_total) = if opts.quick {
        (2, "5000")
    } else {
        (4, "20000")
    };
    let (mut rps_e, mut rps_m, mut cpu_e, mut cpu_m) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..load_rounds {
        let mut servers = [(&emulator, true), (&minimal, false)];
        if round % 2 == 1 {
            servers.reverse();
        }
        for (server, is_emulator) in servers {
            let before = server.cpu_time_s();
            let v = run_json(
                command(&bench_calls).args([
                    "load",
                    "--endpoint",
                    &server.base_url,
                    "--total",
                    load_total,
                    "--in-flight",
                    "64",
                ]),
                "bench_calls load",
            )?;
            let rps = num(&v, &["requests_per_s"])?;
            let total = num(&v, &["total"])?;
            let cpu = match (before, server.cpu_time_s()) {
                (Some(a), Some(b)) => Some((b - a) * 1e6 / total),
                _ => None,
            };
            if is_emulator {
                rps_e.push(rps);
                cpu_e.extend(cpu);
            } else {
                rps_m.push(rps);
                cpu_m.extend(cpu);
            }
        }
    }
    drop((emulator, minimal));
    let emulator_vs_minimal = median(&rps_e) / median(&rps_m);
    let server_cpu = |v: &[f64]| (!v.is_empty()).then(|| median(v));
    let emulator_load = json!({
        "emulator_requests_per_s": median(&rps_e),
        "minimal_server_requests_per_s": median(&rps_m),
        "emulator_cpu_us_per_request": server_cpu(&cpu_e),
        "minimal_server_cpu_us_per_request": server_cpu(&cpu_m),
        "rounds": load_rounds,
        "requests_per_round": load_total,
        "in_flight": 64,
    });
    let creates_per_s = num(&concurrent, &["creates_per_s"])?;

    // 7. Build times.
    let build = if opts.build_time {
        Some(build_times(root, &target)?)
    } else {
        eprintln!("bench: --no-build-time: skipping build_s");
        None
    };

    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    let summary = json!({
        "client_vs_raw_reqwest": client_vs_raw,
        "client_cpu_vs_raw_reqwest": client_cpu_vs_raw,
        "lookup_vs_raw_reqwest": lookup_vs_raw,
        "python_sdk_cpu_vs_client": python_cpu_vs_client,
        "emulator_vs_minimal_server": emulator_vs_minimal,
        "prepare_us": prepare_us,
        "cli_oneshot_vs_python": cli_oneshot_vs_python,
        "concurrent_creates_per_s": creates_per_s,
        "concurrent_errors": concurrent_errors,
        "build_s": build,
        "details": {
            "prepare": prepare,
            "create_call": create,
            "create_call_ratios_all_runs": creates.iter().map(|c| c["ratio"].clone()).collect::<Vec<_>>(),
            "lookup_call": lookup,
            "lookup_call_ratios_all_runs": lookups.iter().map(|c| c["ratio"].clone()).collect::<Vec<_>>(),
            "cpu_per_create": {
                "client_us": cpu_c,
                "raw_reqwest_us": cpu_r,
                "python_sdk_us": if cpu_py.is_empty() { Value::Null } else { json!(median(&cpu_py)) },
                // What is left of the client's CPU once validating, serialising and
                // signing (prepare_us) is set aside, against raw reqwest's.
                "client_minus_prepare_vs_raw_reqwest": (cpu_c - prepare_us) / cpu_r,
                "runs": cpu_runs,
            },
            "emulator_load": emulator_load,
            "emulator_handler": handler,
            // Wall time per sequential create: bounded by loopback and the emulator, so
            // not a measure of the client (python_sdk_cpu_vs_client is).
            "sequential_vs_python_sdk": sequential,
            "python_sdk_wall_vs_client": python_vs_client,
            "oneshot": {
                "cli_median_ms": median(&cli_ms),
                "python_sdk_median_ms": if py_ms.is_empty() { Value::Null } else { json!(median(&py_ms)) },
                "runs": runs,
            },
            "concurrent": concurrent,
        },
        "machine": {
            "nproc": nproc,
            "cpu": cpu_model(),
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
            "os": std::env::consts::OS,
            "arch": std::env::consts::ARCH,
        },
        "quick": opts.quick,
        "release_build_s": release_build_s,
        "total_s": started.elapsed().as_secs_f64(),
    });
    let path = out_dir.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;

    let e = &handler;
    let rows: Vec<[String; 4]> = vec![
        [
            "prepare one signed request (validate, serialise, sign)".into(),
            format!("{prepare_us:.2} µs"),
            format!("{prepare_base_us:.2} µs serde_json + same HMAC by hand"),
            format!("{:.2}×", prepare_us / prepare_base_us),
        ],
        [
            "one create, keep-alive loopback (client_vs_raw_reqwest)".into(),
            format!("{:.1} µs", num(&create, &["client", "median_us"])?),
            format!(
                "{:.1} µs raw reqwest, same bytes",
                num(&create, &["raw_reqwest", "median_us"])?
            ),
            format!("{client_vs_raw:.2}×"),
        ],
        [
            "CPU per create, user+sys (client_cpu_vs_raw_reqwest)".into(),
            format!("{cpu_c:.1} µs"),
            format!("{cpu_r:.1} µs raw reqwest, pre-signed bytes"),
            format!("{client_cpu_vs_raw:.2}×"),
        ],
        [
            "one look-up, list_problem_types (lookup_vs_raw_reqwest)".into(),
            format!("{:.1} µs", num(&lookup, &["client", "median_us"])?),
            format!(
                "{:.1} µs raw reqwest, same request",
                num(&lookup, &["raw_reqwest", "median_us"])?
            ),
            format!("{lookup_vs_raw:.2}×"),
        ],
        [
            "CPU per create, vendor Python SDK (python_sdk_cpu_vs_client)".into(),
            format!("{cpu_c:.1} µs"),
            if cpu_py.is_empty() {
                "skipped".into()
            } else {
                format!("{:.1} µs Python SDK", median(&cpu_py))
            },
            fmt_ratio(python_cpu_vs_client),
        ],
        [
            "creates/s at 64 in flight (emulator_vs_minimal_server)".into(),
            format!("{:.0}/s emulator", median(&rps_e)),
            format!("{:.0}/s minimal server", median(&rps_m)),
            format!("{emulator_vs_minimal:.2}×"),
        ],
        [
            "emulator create handler, one request".into(),
            format!("{:.1} µs", num(e, &["emulator", "median_us"])?),
            format!(
                "{:.1} µs minimal server",
                num(e, &["minimal_server", "median_us"])?
            ),
            format!("+{:.1} µs", num(e, &["handler_overhead_us"])?),
        ],
        [
            "one-shot process: osm case create (cli_oneshot_vs_python)".into(),
            format!("{:.1} ms", median(&cli_ms)),
            if py_ms.is_empty() {
                "skipped".into()
            } else {
                format!("{:.1} ms Python SDK script", median(&py_ms))
            },
            fmt_ratio(cli_oneshot_vs_python),
        ],
        [
            "10,000 creates, 64 in flight, vs emulator".into(),
            format!("{creates_per_s:.0} creates/s"),
            format!("errors: {concurrent_errors}"),
            String::new(),
        ],
        match &build {
            Some(b) => [
                "build huaweicloud-osm (dev): clean / after spec edit".into(),
                format!("{:.1} s", num(b, &["clean"])?),
                format!("{:.1} s rebuild", num(b, &["incremental_after_spec_edit"])?),
                String::new(),
            ],
            None => [
                "build huaweicloud-osm".into(),
                "skipped".into(),
                String::new(),
                String::new(),
            ],
        },
    ];
    let header = ["figure", "ours", "baseline", "ratio"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 4]| {
        let mut s = String::from("|");
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            s.push_str(&format!(" {c}{} |", " ".repeat(pad)));
        }
        s
    };
    println!("{}", line(header));
    println!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in &rows {
        println!("{}", line([&r[0], &r[1], &r[2], &r[3]]));
    }
    println!(
        "machine: {nproc} CPUs, {}; load average before/after: {load_before} / {}",
        cpu_model(),
        loadavg()
    );
    let mut headline = summary.clone();
    if let Some(m) = headline.as_object_mut() {
        m.remove("details");
    }
    println!("{}", serde_json::to_string_pretty(&headline)?);
    println!("full summary: {}", path.display());
    if concurrent_errors > 0 {
        bail!(
            "{concurrent_errors} of 10,000 concurrent creates failed (first: {})",
            concurrent["first_error"]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_the_description_of_simple_description_only() {
        let spec = "openapi: 3.0.3\ninfo:\n  title: t\n  description: plain zero\n  version: \"1\"\npaths:\n  /cases:\n    post:\n      operationId: create_case\n      requestBody:\n        content:\n          application/json:\n            schema:\n              $ref: \"#/components/schemas/Body\"\n      responses:\n        \"200\":\n          description: ok\ncomponents:\n  schemas:\n    Body:\n      type: object\n      properties:\n        simple_description:\n          type: string\n          description: plain one\n        y:\n          type: string\n          description: plain two\n";
        let edited = edit_a_description(spec).unwrap();
        assert_eq!(
            edited,
            spec.replace("description: plain one", "description: plain one (edited)")
        );
        assert!(edit_a_description(&spec.replace("simple_description", "other")).is_err());
    }

    #[test]
    fn the_real_spec_has_the_description_to_edit() {
        let spec = std::fs::read_to_string(crate::default_spec_path()).unwrap();
        let edited = edit_a_description(&spec).unwrap();
        assert_eq!(edited.len(), spec.len() + " (edited)".len());
    }

    #[test]
    fn the_cpu_time_of_a_process_grows_as_it_works() {
        let linux = std::path::Path::new("/proc/self/stat").exists();
        let Some(before) = cpu_time_of(std::process::id()) else {
            assert!(!linux, "a system with /proc/PID/stat reads it");
            return;
        };
        // Work until the clock tick (10 ms) moves, at most a few seconds.
        let t0 = Instant::now();
        let mut x = 0u64;
        let mut after = before;
        while after <= before && t0.elapsed().as_secs() < 5 {
            for i in 0..1_000_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
            std::hint::black_box(x);
            after = cpu_time_of(std::process::id()).expect("still readable");
        }
        assert!(after > before, "{before} s then {after} s");
        assert_eq!(cpu_time_of(u32::MAX), None, "no such process");
    }

    #[test]
    fn median_of_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
