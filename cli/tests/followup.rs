//! Following tickets up and exactly-once creates, through the real `osm` binary against
//! the real `osm-emulator` binary (faults queued over its admin route, as a script would).

use std::process::{Command as StdCommand, Output, Stdio};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::{Value, json};

const TOKEN: &str = "followup-test-token-0123";

/// An emulator on an ephemeral loopback port, on a runtime of its own, driven over HTTP
/// (its admin routes) as a script drives the `osm-emulator` binary.
struct EmulatorProcess {
    runtime: Option<tokio::runtime::Runtime>,
    emulator: Option<osm_emulator::RunningEmulator>,
    base: String,
}

impl EmulatorProcess {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let emulator = runtime
            .block_on(osm_emulator::Emulator::builder().token(TOKEN).start())
            .unwrap();
        let base = emulator.base_url();
        Self {
            runtime: Some(runtime),
            emulator: Some(emulator),
            base,
        }
    }

    fn admin(&self) -> ureq_like::Client {
        ureq_like::Client::new(&self.base)
    }

    fn tickets(&self) -> Vec<Value> {
        let v = self.admin().get("/__emulator/tickets");
        v["tickets"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        if let (Some(rt), Some(emu)) = (self.runtime.take(), self.emulator.take()) {
            rt.block_on(emu.shutdown());
        }
    }
}

/// A tiny blocking HTTP client for the admin routes (plain HTTP/1.1 on loopback).
mod ureq_like {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use serde_json::Value;

    pub struct Client {
        addr: String,
    }

    impl Client {
        pub fn new(base: &str) -> Self {
            Self {
                addr: base.trim_start_matches("http://").to_owned(),
            }
        }

        fn call(&self, method: &str, path: &str, body: &str) -> Value {
            let mut s = TcpStream::connect(&self.addr).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            write!(
                s,
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.addr,
                body.len()
            )
            .unwrap();
            let mut out = Vec::new();
            s.take(16 * 1024 * 1024).read_to_end(&mut out).unwrap();
            let text = String::from_utf8_lossy(&out);
            let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
            assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
        }

        pub fn get(&self, path: &str) -> Value {
            self.call("GET", path, "")
        }

        pub fn post(&self, path: &str, body: &Value) -> Value {
            self.call("POST", path, &body.to_string())
        }
    }
}

fn osm(emu: &EmulatorProcess) -> Command {
    let mut cmd = Command::cargo_bin("osm").unwrap();
    // Nothing from the developer's environment or home: no credentials, no OSM_*
    // variable, no configuration or credentials file.
    cmd.env_clear()
        .env("HOME", std::env::temp_dir().join("osm-cli-tests-no-home"));
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args(["--endpoint", &emu.base, "-o", "json"]);
    cmd
}

fn out_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn create(emu: &EmulatorProcess, description: &str, extra: &[&str]) -> Output {
    osm(emu)
        .args(extra)
        .args([
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            description,
        ])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// A consultation problem type (no region needed), as `osm lookup problem-types` lists
/// it: the look-ups after a lost answer compare problem types by their listed names.
fn consultation(emu: &EmulatorProcess, nth: usize) -> String {
    let out = osm(emu).args(["lookup", "problem-types"]).output().unwrap();
    out_json(&out)["incident_business_type_list"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["case_type"] == "0")
        .nth(nth)
        .and_then(|p| p["business_type_id"].as_str())
        .unwrap()
        .to_owned()
}

fn create_as(emu: &EmulatorProcess, problem: &str, description: &str, extra: &[&str]) -> Output {
    osm(emu)
        .args([
            "case",
            "create",
            "--business-type-id",
            problem,
            "--simple-description",
            description,
        ])
        .args(extra)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

impl EmulatorProcess {
    /// The create requests the emulator received.
    fn creates(&self) -> usize {
        self.emulator
            .as_ref()
            .unwrap()
            .requests()
            .iter()
            .filter(|r| r.operation.as_deref() == Some("create_case"))
            .count()
    }
}

/// The exactly-once matrix through the CLI: each row's exit code, the id printed, the
/// creates sent and the tickets held once late tickets had time to land.
#[test]
fn exactly_once_matrix_through_the_cli() {
    // (fault, extra flags, seconds to let late tickets land, exit, found_after, creates, tickets)
    type Row<'a> = (Value, Vec<&'a str>, u64, i32, bool, usize, usize);
    let rows: Vec<Row> = vec![
        (
            json!({"fault": "drop_after_record"}),
            vec![],
            0,
            0,
            true,
            1,
            1,
        ),
        (
            json!({"fault": "delay_after_record", "delay_ms": 8000}),
            vec!["--timeout", "1.5"],
            0,
            0,
            true,
            1,
            1,
        ),
        (json!({"fault": "truncated_body"}), vec![], 0, 0, true, 1, 1),
        (
            json!({"fault": "drop_before_record"}),
            vec!["--reconcile-window", "2"],
            0,
            3,
            false,
            1,
            0,
        ),
        (
            json!({"fault": "respond", "status": 500, "body": {"error_code": "OSM.0004", "error_msg": "internal error"}}),
            vec!["--reconcile-window", "2"],
            0,
            3,
            false,
            1,
            0,
        ),
        (
            json!({"fault": "delay_before_record", "delay_ms": 4000}),
            vec!["--timeout", "1"],
            5,
            0,
            true,
            1,
            1,
        ),
        (
            json!({"fault": "delay_before_record", "delay_ms": 8000, "times": 3}),
            vec!["--timeout", "1"],
            9,
            0,
            true,
            1,
            1,
        ),
        (
            json!({"fault": "delay_before_record", "delay_ms": 15000, "times": 3}),
            vec!["--timeout", "1", "--reconcile-window", "5"],
            16,
            3,
            false,
            1,
            1,
        ),
    ];
    std::thread::scope(|scope| {
        let runs: Vec<_> = rows
            .into_iter()
            .map(|(fault, extra, settle, exit, found, creates, tickets)| {
                scope.spawn(move || {
                    let emu = EmulatorProcess::start();
                    let problem = consultation(&emu, 0);
                    emu.admin().post("/__emulator/faults", &fault);
                    let started = std::time::Instant::now();
                    let out = create_as(&emu, &problem, "disk full on ecs-01", &extra);
                    if let Some(left) = Duration::from_secs(settle).checked_sub(started.elapsed()) {
                        std::thread::sleep(left);
                    }
                    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                    let row = format!("{fault} {extra:?}: {stderr}");
                    assert_eq!(out.status.code(), Some(exit), "{row}");
                    let held = emu.tickets();
                    assert_eq!(
                        (emu.creates(), held.len()),
                        (creates, tickets),
                        "{row}: creates sent, tickets held: {held:?}"
                    );
                    let answer = out_json(&out);
                    if exit == 0 {
                        assert_eq!(answer["incident_id"], held[0]["incident_id"], "{row}");
                        assert_eq!(answer["found_after"].is_string(), found, "{row}: {answer}");
                    } else {
                        assert_eq!(answer["error"]["outcome_unknown"], true, "{row}");
                        assert!(answer.get("incident_id").is_none(), "{row}");
                        assert!(!stderr.contains("not created"), "{row}");
                        assert!(stderr.contains("--unless-open"), "{row}: says how to go on");
                    }
                })
            })
            .collect();
        for r in runs {
            r.join().unwrap();
        }
    });
}

/// Run A opens "database down" with one problem type; run B sends the same words with
/// another, and its create fails before anything is recorded: B must not print A's
/// ticket as its own.
#[test]
fn another_runs_ticket_is_never_printed_as_this_one() {
    let emu = EmulatorProcess::start();
    let (a, b) = (consultation(&emu, 0), consultation(&emu, 1));
    let first = out_json(&create_as(&emu, &a, "database down", &[]));
    emu.admin().post(
        "/__emulator/faults",
        &json!({"fault": "respond", "status": 500, "body": {"error_code": "OSM.0004", "error_msg": "internal error"}}),
    );
    let out = create_as(&emu, &b, "database down", &["--reconcile-window", "2"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = out_json(&out);
    assert_eq!(answer["error"]["candidates"], json!([]));
    let first_id = first["incident_id"].as_str().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(first_id));
    assert_eq!(emu.tickets().len(), 1);
}

/// `--unless-open`: a second run finds the first run's open ticket and opens none.
#[test]
fn unless_open_reuses_the_open_ticket() {
    let emu = EmulatorProcess::start();
    let problem = consultation(&emu, 0);
    let args = ["--unless-open", "24h"];
    let first = out_json(&create_as(&emu, &problem, "[alert 7f3a] disk full", &args));
    assert!(first.get("already_open").is_none(), "{first}");
    let out = create_as(&emu, &problem, "[alert 7f3a] disk full", &args);
    assert_eq!(out.status.code(), Some(0));
    let second = out_json(&out);
    assert_eq!(second["already_open"], true, "{second}");
    assert_eq!(second["incident_id"], first["incident_id"]);
    assert_eq!(emu.tickets().len(), 1);
    // In text, it says so.
    let out = Command::cargo_bin("osm")
        .unwrap()
        .env_clear()
        .env("HOME", std::env::temp_dir().join("osm-cli-tests-no-home"))
        .env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args(["--endpoint", &emu.base, "-o", "text"])
        .args(["case", "create", "--business-type-id", &problem])
        .args([
            "--simple-description",
            "[alert 7f3a] disk full",
            "--unless-open",
            "1d",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("already open"), "{text}{err}");
    assert_eq!(emu.tickets().len(), 1);
    // A window that is not a duration is refused before anything is sent.
    let out = create_as(&emu, &problem, "x", &["--unless-open", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(emu.tickets().len(), 1);
}

#[test]
fn two_identical_creates_in_a_row_leave_two_tickets() {
    let emu = EmulatorProcess::start();
    let problem = consultation(&emu, 0);
    let create =
        |emu: &EmulatorProcess, words: &str, extra: &[&str]| create_as(emu, &problem, words, extra);
    let a = out_json(&create(&emu, "same words", &[]));
    let b = out_json(&create(&emu, "same words", &[]));
    assert_ne!(a["incident_id"], b["incident_id"]);
    assert_eq!(emu.tickets().len(), 2);
    // Also when the second one's answer is lost: the first existed before it was sent.
    emu.admin()
        .post("/__emulator/faults", &json!({"fault": "drop_after_record"}));
    let out = create(&emu, "same words", &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = out_json(&out);
    let tickets = emu.tickets();
    assert_eq!(tickets.len(), 3);
    assert_eq!(c["incident_id"], tickets[2]["incident_id"]);
    assert_ne!(c["incident_id"], a["incident_id"]);
    assert_ne!(c["incident_id"], b["incident_id"]);
}

#[test]
fn without_reconciliation_the_same_fault_exits_3() {
    let emu = EmulatorProcess::start();
    emu.admin()
        .post("/__emulator/faults", &json!({"fault": "drop_after_record"}));
    let out = create(&emu, "x", &["--no-reconcile"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out_json(&out)["error"]["outcome_unknown"], true);
    assert_eq!(emu.tickets().len(), 1);
}

#[test]
fn a_ticket_is_followed_through_its_life() {
    let emu = EmulatorProcess::start();
    let id = out_json(&create(&emu, "ecs-01 reboots every hour", &[]))["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = |args: &[&str]| {
        let out = osm(&emu)
            .args(args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        (out.status.code(), out)
    };
    // The list finds it by a word of its description and by its id.
    let (code, out) = run(&["case", "list", "--search-key", "reboots"]);
    assert_eq!(code, Some(0));
    let list = out_json(&out);
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["incident_info_list"][0]["incident_id"], id.as_str());
    let (_, out) = run(&["case", "list", "--search-key", "nothing like it"]);
    assert_eq!(out_json(&out)["total_count"], 0);
    let (_, out) = run(&["case", "status", &id]);
    assert_eq!(out_json(&out), json!({"status": 0}));

    // Support answers and asks for more; the customer replies.
    emu.admin().post(
        &format!("/__emulator/tickets/{id}/reply"),
        &json!({"content": "Please send the console log.", "status": 17}),
    );
    let (code, _) = run(&["case", "reply", &id, "--content", "Log attached."]);
    assert_eq!(code, Some(0));
    let (_, out) = run(&["case", "messages", &id]);
    let messages = out_json(&out);
    assert_eq!(messages["count"], 3);
    let contents: Vec<&str> = messages["message_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        contents,
        [
            "ecs-01 reboots every hour",
            "Please send the console log.",
            "Log attached."
        ]
    );
    // The reply put the ticket back into processing.
    let (_, out) = run(&["case", "status", &id]);
    assert_eq!(out_json(&out)["status"], 1);
    let (_, out) = run(&["case", "show", &id]);
    let detail = out_json(&out);
    assert_eq!(
        detail["incident_detail_info"]["message_list"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Urging twice within a minute is refused, as the service documents.
    let (code, _) = run(&["case", "urge", &id]);
    assert_eq!(code, Some(0));
    let (code, out) = run(&["case", "urge", &id]);
    assert_eq!(code, Some(1));
    assert_eq!(out_json(&out)["error"]["error_code"], "OSM.01010004");

    // Closing completes it; a completed ticket cannot be cancelled.
    let (code, _) = run(&["case", "close", &id]);
    assert_eq!(code, Some(0));
    let (code, out) = run(&["case", "cancel", &id]);
    assert_eq!(code, Some(1));
    let err = out_json(&out);
    assert!(
        err["error"]["error_msg"]
            .as_str()
            .unwrap()
            .contains("cannot be cancelled"),
        "{err}"
    );
    let (_, out) = run(&["case", "status", &id]);
    assert_eq!(out_json(&out)["status"], 3);
}

#[test]
fn watch_returns_when_the_status_changes() {
    let emu = EmulatorProcess::start();
    let id = out_json(&create(&emu, "watch me", &[]))["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let child = StdCommand::new(assert_cmd::cargo::cargo_bin("osm"))
        .env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args([
            "--endpoint",
            &emu.base,
            "-o",
            "json",
            "case",
            "watch",
            &id,
            "--interval",
            "0.2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    emu.admin().post(
        &format!("/__emulator/tickets/{id}/status"),
        &json!({"status": 1}),
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let watched = out_json(&out);
    assert_eq!(
        (
            watched["previous_status"].clone(),
            watched["status"].clone()
        ),
        (json!(0), json!(1))
    );

    // A status that never changes: give up after the polls allowed, exit 6 (not 3,
    // which is "outcome unknown").
    let out = osm(&emu)
        .args([
            "case",
            "watch",
            &id,
            "--interval",
            "0.05",
            "--max-polls",
            "3",
        ])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
}

#[test]
fn follow_up_flags_are_checked_before_sending() {
    let emu = EmulatorProcess::start();
    let long = "x".repeat(65);
    let out = osm(&emu).args(["case", "status", &long]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("case_id is 65 characters long"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = osm(&emu)
        .args(["case", "list", "--limit", "101"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(emu.admin().get("/__emulator/status")["requests_seen"], 0);
}

/// `--attach` with a ticket recorded late: the uploads it names are never deleted while
/// the outcome is unknown, and with a window long enough the late ticket is found.
#[test]
fn attachments_of_a_late_ticket_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("dmesg.log");
    std::fs::write(&log, "disk full").unwrap();
    let log = log.to_str().unwrap();
    for (window, exit) in [("1", 3), ("20", 0)] {
        let emu = EmulatorProcess::start();
        let problem = consultation(&emu, 0);
        emu.admin().post(
            "/__emulator/faults",
            &json!({"fault": "delay_before_record", "delay_ms": 4000}),
        );
        let started = std::time::Instant::now();
        let out = create_as(
            &emu,
            &problem,
            "late, with a log",
            &[
                "--attach",
                log,
                "--timeout",
                "1",
                "--reconcile-window",
                window,
            ],
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(exit), "window {window}: {stderr}");
        if let Some(left) = Duration::from_secs(5).checked_sub(started.elapsed()) {
            std::thread::sleep(left);
        }
        let tickets = emu.tickets();
        assert_eq!(
            tickets.len(),
            1,
            "window {window}: the late ticket landed once"
        );
        let held = emu.admin().get("/__emulator/attachments");
        let held = held.as_array().cloned().unwrap_or_default();
        assert_eq!(
            held.len(),
            1,
            "window {window}: the upload is kept: {held:?}"
        );
        let answer = out_json(&out);
        if exit == 0 {
            assert_eq!(answer["incident_id"], tickets[0]["incident_id"]);
        } else {
            assert_eq!(
                answer["error"]["attachments_deleted"],
                json!([]),
                "{answer}"
            );
            assert_eq!(
                answer["error"]["attachments_kept"].as_array().map(Vec::len),
                Some(1)
            );
        }
    }
}
