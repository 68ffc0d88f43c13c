//! `cargo xtask interop`: the vendor's official Python SDK against the emulator.
//!
//! 1. A Python virtual environment in `target/venv-interop` (created with
//!    `python3 -m venv` if absent) gets the vendor's SDK, pinned to [`PYTHON_SDK`] (the
//!    version the benchmarks and the recorded SDK requests use); the install is skipped
//!    when those versions are there already, and bounded by [`INSTALL_LIMIT`].
//! 2. The `osm-emulator` binary is built and started on an ephemeral loopback port,
//!    accepting the key pair [`AK`]/[`SK`]; its base URL is the first line of its
//!    standard output.
//! 3. `scripts/interop.py` drives the SDK's `OsmClient` against it, signing with AK/SK:
//!    every look-up, in English and in the default Chinese, two creates, a refused one,
//!    then the follow-up, attachment and verification operations. For each answer it
//!    compares the raw JSON, captured by a response handler on the SDK's own HTTP
//!    client, with the models the SDK read it into, and prints `ok`, `skip` (the
//!    operation answers 501 `EMULATOR.0501`: not served by the emulator yet) or `FAIL`
//!    with what was lost. It gets the spec's operations (`METHOD PATH ID`), and fails
//!    unless it called every one of them. Every call has a timeout (5 s to connect, 30 s
//!    to read), and the whole script [`DEFAULT_TIMEOUT_S`] (`--timeout SECS`): past it,
//!    the script is killed and the stage fails.
//! 4. The emulator is stopped with SIGTERM (killed if it does not stop within
//!    [`STOP_GRACE`]), on success and on error alike; the stage fails if it crashed.
//! 5. The Python example of `emulator/README.md` — the fenced block after the line
//!    [`README_EXAMPLE_MARKER`] — is written to `target/interop/readme_example.py` as it
//!    stands and run with the same Python, with the built `osm-emulator` first on the
//!    `PATH` (the example starts its own), under the same time limit; past it, the
//!    example and what it started are killed. The stage fails if the block is missing
//!    or the example fails: it never skips it.
//!
//! The command fails naming each operation that failed, and its summary lists the
//! operations the emulator does not serve yet. Files land in `target/interop/`: the
//! emulator's log, and `python-home/` (the SDK writes `~/.huaweicloud/` on import, so
//! `HOME` points there). No network but loopback, apart from the first `pip install`
//! from the package index.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

use crate::bench::PYTHON_SDK;
use crate::contract::{Emulator, build_bin, target_dir};

/// The access key the emulator accepts and the SDK signs with.
pub const AK: &str = "AKINTEROP00000000001";
/// Its secret key (a test value, not a secret).
const SK: &str = "sk-interop-0000000000000000000000000001";
/// The script's time limit, unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT_S: u64 = 300;
/// The time limit of creating the virtual environment and installing the SDK.
pub const INSTALL_LIMIT: Duration = Duration::from_secs(600);
/// How long the emulator may take to stop after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(10);
/// The line of `emulator/README.md` that the Python example follows.
pub const README_EXAMPLE_MARKER: &str = "<!-- interop: python example -->";

/// The Python example of a README: the fenced `python` block right after the line
/// [`README_EXAMPLE_MARKER`], which must appear once.
pub fn readme_example(readme: &str) -> anyhow::Result<&str> {
    let marker = format!("{README_EXAMPLE_MARKER}\n");
    let mut parts = readme.split(marker.as_str());
    let (Some(_), Some(after), None) = (parts.next(), parts.next(), parts.next()) else {
        bail!(
            "emulator/README.md must have the line {README_EXAMPLE_MARKER} once, before the Python example"
        );
    };
    let body = after.strip_prefix("```python\n").ok_or_else(|| {
        anyhow!("the line after {README_EXAMPLE_MARKER} must open a ```python block")
    })?;
    let end = body
        .find("\n```")
        .ok_or_else(|| anyhow!("the Python example after {README_EXAMPLE_MARKER} is not closed"))?;
    Ok(&body[..=end])
}

/// One result line of the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `ok <label>: …`
    Ok(String),
    /// `skip <operation>: not served by the emulator yet`
    Skip(String),
    /// `FAIL <label>: <what was lost>`
    Fail(String, String),
}

/// The script's result lines, in order; other lines (`note …`, `summary: …`) are left
/// out.
pub fn outcomes(output: &str) -> Vec<Outcome> {
    output
        .lines()
        .filter_map(|line| {
            let (kind, rest) = line.split_once(' ')?;
            let (label, detail) = rest.split_once(": ").unwrap_or((rest, ""));
            match kind {
                "ok" => Some(Outcome::Ok(label.to_owned())),
                "skip" => Some(Outcome::Skip(label.to_owned())),
                "FAIL" => Some(Outcome::Fail(label.to_owned(), detail.to_owned())),
                _ => None,
            }
        })
        .collect()
}

/// Judges a run from its result lines and exit status: `Ok` with the summary line, or
/// an error naming every failed operation.
pub fn judge(outcomes: &[Outcome], status: Option<ExitStatus>) -> anyhow::Result<String> {
    let ok = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Ok(_)))
        .count();
    let mut skipped: Vec<&str> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Skip(op) => Some(op.as_str()),
            _ => None,
        })
        .collect();
    skipped.sort_unstable();
    skipped.dedup();
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Fail(label, detail) => Some(format!("{label}: {detail}")),
            _ => None,
        })
        .collect();
    let not_served = if skipped.is_empty() {
        "0 not served by the emulator yet".to_owned()
    } else {
        format!(
            "{} not served by the emulator yet ({})",
            skipped.len(),
            skipped.join(", ")
        )
    };
    let summary = format!("interop: {ok} ok, {not_served}, {} failed", failed.len());
    if !failed.is_empty() {
        bail!(
            "{summary}; the vendor's SDK failed on:\n  {}",
            failed.join("\n  ")
        );
    }
    match status {
        None => bail!("{summary}; the script did not finish (killed at its time limit)"),
        Some(s) if !s.success() => {
            bail!("{summary}; the script failed ({s}) without a FAIL line: see its output above")
        }
        _ => {}
    }
    if ok == 0 {
        bail!("{summary}; the script reported nothing");
    }
    Ok(summary)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    timeout: Duration,
}

fn parse_args(args: &[String]) -> anyhow::Result<Options> {
    let mut o = Options {
        timeout: Duration::from_secs(DEFAULT_TIMEOUT_S),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--timeout" => {
                let secs: u64 = it
                    .next()
                    .ok_or_else(|| anyhow!("interop: --timeout needs a value"))?
                    .parse()
                    .context("interop: --timeout takes a positive number of seconds")?;
                if secs == 0 {
                    bail!("interop: --timeout takes a positive number of seconds");
                }
                o.timeout = Duration::from_secs(secs);
            }
            other => bail!("interop: unexpected argument `{other}` (options: --timeout SECS)"),
        }
    }
    Ok(o)
}

/// Runs the interop stage.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let options = parse_args(args)?;
    let started = Instant::now();
    let target = target_dir(root);
    let work = target.join("interop");
    let home = work.join("python-home");
    std::fs::create_dir_all(&home).with_context(|| format!("cannot create {}", home.display()))?;
    let python = ensure_sdk(&target.join("venv-interop"))?;

    let spec =
        osm_spec::Spec::load(root.join("spec").join("osm.yaml")).map_err(|e| anyhow!("{e}"))?;
    let binary = build_bin(root, "osm-emulator", &[])?;
    let log = work.join("emulator.log");
    let emulator = Emulator::start(
        &binary,
        &["--listen", "127.0.0.1:0", "--ak", AK, "--sk", SK],
        &log,
    )?;
    eprintln!(
        "interop: emulator at {} (log: {})",
        emulator.base_url,
        log.display()
    );

    let mut cmd = crate::bench::command(&python);
    cmd.arg(root.join("scripts").join("interop.py")).args([
        "--endpoint",
        &emulator.base_url,
        "--ak",
        AK,
        "--sk",
        SK,
    ]);
    for op in &spec.operations {
        cmd.arg("--spec-operation")
            .arg(format!("{} {}", op.signature(), op.id));
    }
    cmd.env("HOME", &home)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .current_dir(&work);
    let ran = run_bounded(&mut cmd, options.timeout, "scripts/interop.py", false);
    let stopped = emulator.terminate(STOP_GRACE);
    let (status, output) = ran?;
    let judged = judge(&outcomes(&output), status);
    let interop = match (judged, stopped) {
        (Ok(summary), Ok(())) => Ok(summary),
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(s)) => Err(s.context(format!("the emulator's log is {}", log.display()))),
        (Err(e), Err(s)) => Err(anyhow!(
            "{e:#}\nand the emulator: {s:#} (log: {})",
            log.display()
        )),
    };
    let example = run_readme_example(root, &work, &home, &python, &binary, options.timeout);
    eprintln!("interop: {:.1} s", started.elapsed().as_secs_f64());
    match (interop, example) {
        (Ok(summary), Ok(())) => {
            println!("{summary}; the README's Python example passed");
            Ok(())
        }
        (Err(e), Ok(())) => Err(e),
        (Ok(_), Err(x)) => Err(x),
        (Err(e), Err(x)) => Err(anyhow!("{e:#}\nand {x:#}")),
    }
}

/// Runs the Python example of `emulator/README.md` as written (see the module's step 5).
fn run_readme_example(
    root: &Path,
    work: &Path,
    home: &Path,
    python: &Path,
    emulator: &Path,
    limit: Duration,
) -> anyhow::Result<()> {
    let readme_path = root.join("emulator").join("README.md");
    let readme = std::fs::read_to_string(&readme_path)
        .with_context(|| format!("cannot read {}", readme_path.display()))?;
    let example = readme_example(&readme).context("the README's Python example")?;
    let script = work.join("readme_example.py");
    std::fs::write(&script, example)
        .with_context(|| format!("cannot write {}", script.display()))?;
    let bin_dir = emulator
        .parent()
        .context("the emulator binary has no directory")?;
    let path = std::env::join_paths(
        std::iter::once(bin_dir.to_path_buf()).chain(
            std::env::var_os("PATH")
                .iter()
                .flat_map(std::env::split_paths),
        ),
    )
    .context("cannot put the emulator's directory on PATH")?;
    eprintln!("interop: running the Python example of emulator/README.md");
    let mut cmd = crate::bench::command(python);
    cmd.arg(&script)
        .env("PATH", path)
        .env("HOME", home)
        .env("RUST_LOG", "warn")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .current_dir(work);
    match run_bounded(&mut cmd, limit, "the README's Python example", true)? {
        (Some(s), _) if s.success() => Ok(()),
        (Some(s), _) => bail!(
            "the Python example of emulator/README.md failed ({s}): see its output above; \
             it was run as {}",
            script.display()
        ),
        (None, _) => bail!(
            "the Python example of emulator/README.md did not finish within {limit:?} (killed)"
        ),
    }
}

/// Runs `cmd` with its standard output echoed line by line and collected, its standard
/// error inherited; kills it after `limit` (with `group`, on Unix, it runs in a process
/// group of its own, and the whole group is killed: what it started goes too). Returns
/// its exit status (`None` when it was killed) and its standard output.
fn run_bounded(
    cmd: &mut Command,
    limit: Duration,
    what: &str,
    group: bool,
) -> anyhow::Result<(Option<ExitStatus>, String)> {
    #[cfg(unix)]
    if group {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot run {what}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("{line}");
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the script")? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            eprintln!("interop: {what} still running after {limit:?}: killing it");
            #[cfg(unix)]
            if group {
                // The group's id is the child's pid; `kill -KILL -PGID` reaches every member.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
            }
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = reader
        .join()
        .map_err(|_| anyhow!("the reader of {what}'s output panicked"))?;
    Ok((status, output))
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// What the stage installs: the SDK, and `python-dateutil`, which the SDK's model
/// deserializer imports to read times (the follow-up answers' `create_time`) but does not
/// declare.
fn packages() -> Vec<&'static str> {
    let mut p = PYTHON_SDK.to_vec();
    p.push("python-dateutil==2.9.0.post0");
    p
}

/// The installed versions of the packages, one per line, in the order of [`packages`].
fn installed(python: &Path) -> Option<String> {
    let names: Vec<&str> = packages()
        .iter()
        .map(|p| p.split_once("==").map_or(*p, |(n, _)| n))
        .collect();
    let program = format!(
        "import importlib.metadata as m\nfor n in {names:?}:\n    print(n + '==' + m.version(n))"
    );
    crate::bench::command(python)
        .args(["-c", &program])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

/// Creates the virtual environment if needed and installs the pinned SDK in it, unless
/// those versions are there already. Returns the venv's Python.
fn ensure_sdk(venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv_python(venv);
    let wanted = packages().join("\n");
    if python.exists() && installed(&python).as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    let deadline = Instant::now() + INSTALL_LIMIT;
    let bounded = |cmd: &mut Command, what: &str| -> anyhow::Result<()> {
        let left = deadline.saturating_duration_since(Instant::now());
        match run_bounded(cmd, left, what, false)? {
            (Some(s), _) if s.success() => Ok(()),
            (Some(s), _) => bail!("{what} failed ({s})"),
            (None, _) => bail!("{what} did not finish within {INSTALL_LIMIT:?}"),
        }
    };
    if !python.exists() {
        let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        eprintln!("interop: creating {} with {system}", venv.display());
        bounded(
            Command::new(&system).args(["-m", "venv"]).arg(venv),
            &format!(
                "`{system} -m venv {}` (is Python 3 installed?)",
                venv.display()
            ),
        )?;
    }
    eprintln!(
        "interop: installing {} into {}",
        packages().join(" "),
        venv.display()
    );
    bounded(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(["--timeout", "60"])
            .args(packages()),
        &format!("pip install {}", packages().join(" ")),
    )?;
    match installed(&python) {
        Some(found) if found == wanted => Ok(python),
        found => bail!(
            "{} has {} after the install, not {}",
            venv.display(),
            found.as_deref().unwrap_or("no SDK").replace('\n', " "),
            packages().join(" ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
ok self-test: the comparison finds each of 5 kinds of loss
ok list_regions (en-us): 61 values compared
skip list_cases: not served by the emulator yet
skip show_case_status: not served by the emulator yet
note list_regions: int 1 read as bool True
FAIL list_severities (en-us, fault): severity_list[0].rank: 1 has no place in the SDK's SeverityV2Do
FAIL coverage: spec operations the script never calls: list_labels (GET /v2/x)
summary: 2 failed, 2 not served by the emulator yet
";

    #[test]
    fn reads_the_result_lines() {
        let o = outcomes(OUTPUT);
        assert_eq!(o.len(), 6, "{o:?}");
        assert_eq!(o[1], Outcome::Ok("list_regions (en-us)".into()));
        assert_eq!(o[2], Outcome::Skip("list_cases".into()));
        assert_eq!(
            o[4],
            Outcome::Fail(
                "list_severities (en-us, fault)".into(),
                "severity_list[0].rank: 1 has no place in the SDK's SeverityV2Do".into()
            )
        );
    }

    #[cfg(unix)]
    fn exit(code: i32) -> ExitStatus {
        use std::os::unix::process::ExitStatusExt;
        ExitStatus::from_raw(code << 8)
    }

    #[cfg(unix)]
    #[test]
    fn names_every_failed_operation() {
        let e = judge(&outcomes(OUTPUT), Some(exit(1)))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "2 ok, 2 not served by the emulator yet (list_cases, show_case_status), 2 failed"
            ),
            "{e}"
        );
        assert!(
            e.contains("list_severities (en-us, fault): severity_list[0].rank"),
            "{e}"
        );
        assert!(
            e.contains("coverage: spec operations the script never calls: list_labels"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn passes_with_skips_and_lists_them() {
        let clean: String = OUTPUT
            .lines()
            .filter(|l| !l.starts_with("FAIL"))
            .map(|l| format!("{l}\n"))
            .collect();
        let summary = judge(&outcomes(&clean), Some(exit(0))).unwrap();
        assert_eq!(
            summary,
            "interop: 2 ok, 2 not served by the emulator yet (list_cases, show_case_status), 0 failed"
        );
    }

    #[cfg(unix)]
    #[test]
    fn fails_on_a_crash_a_kill_or_silence() {
        let ok = outcomes("ok list_regions (en-us): 1 values compared\n");
        let e = judge(&ok, Some(exit(1))).unwrap_err().to_string();
        assert!(e.contains("without a FAIL line"), "{e}");
        let e = judge(&ok, None).unwrap_err().to_string();
        assert!(e.contains("killed at its time limit"), "{e}");
        let e = judge(&[], Some(exit(0))).unwrap_err().to_string();
        assert!(e.contains("reported nothing"), "{e}");
    }

    #[test]
    fn finds_the_readme_example() {
        let readme = format!(
            "intro\n```python\nnot this\n```\n{README_EXAMPLE_MARKER}\n```python\nimport json\nprint(1)\n```\nafter\n"
        );
        assert_eq!(readme_example(&readme).unwrap(), "import json\nprint(1)\n");
        for broken in [
            "no marker\n```python\nx\n```\n".to_owned(),
            format!("{README_EXAMPLE_MARKER}\n```python\nx\n```\n{README_EXAMPLE_MARKER}\n"),
            format!("{README_EXAMPLE_MARKER}\n```sh\nx\n```\n"),
            format!("{README_EXAMPLE_MARKER}\n```python\nnever closed\n"),
        ] {
            assert!(readme_example(&broken).is_err(), "{broken}");
        }
    }

    /// The emulator's README has the example the stage runs.
    #[test]
    fn the_emulator_readme_has_its_python_example() {
        let readme = include_str!("../../emulator/README.md");
        let example = readme_example(readme).unwrap();
        for needed in [
            "OsmClient",
            "GlobalCredentials",
            "with_endpoints",
            "\"create_case\"",
        ] {
            assert!(example.contains(needed), "the example lacks {needed}");
        }
    }

    #[test]
    fn options() {
        assert_eq!(
            parse_args(&[]).unwrap().timeout,
            Duration::from_secs(DEFAULT_TIMEOUT_S)
        );
        let args = ["--timeout".to_owned(), "7".to_owned()];
        assert_eq!(parse_args(&args).unwrap().timeout, Duration::from_secs(7));
        assert!(parse_args(&["--timeout".to_owned(), "0".to_owned()]).is_err());
        assert!(parse_args(&["--timeout".to_owned()]).is_err());
        assert!(parse_args(&["--bogus".to_owned()]).is_err());
    }
}
