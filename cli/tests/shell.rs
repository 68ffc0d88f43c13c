//! The whole ticket workflow from a shell (issue "Shell"): the README's walkthrough run
//! as written from an empty home, the emulator that remembers between `osm --emulator`
//! commands and is shared safely by commands run at once, `osm emulator …`, `--raw`,
//! every field a flag, the uniform dry run, statuses with labels, and the small things.
//! Every command is the real `osm` binary; servers are on loopback.

mod common;

use std::path::PathBuf;
use std::process::{Command as StdCommand, Output, Stdio};

use assert_cmd::Command;
use common::text;
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

/// A home of its own, empty, for one test.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        std::fs::create_dir(dir.path().join("work")).unwrap();
        Self { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The state directory `osm --emulator` uses with this home.
    fn state_dir(&self) -> PathBuf {
        self.home().join(".local/state/osm/emulator")
    }

    /// `osm` with nothing from the developer's environment: this home, no XDG_*.
    fn osm(&self) -> Command {
        let mut cmd = Command::cargo_bin("osm").unwrap();
        cmd.env_clear()
            .env("HOME", self.home())
            .current_dir(self.work());
        cmd
    }

    fn std_osm(&self) -> StdCommand {
        let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("osm"));
        cmd.env_clear()
            .env("HOME", self.home())
            .current_dir(self.work());
        cmd
    }
}

fn ok(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&ok(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

/// The shell block of the README that follows `<!-- walkthrough -->`.
fn walkthrough() -> String {
    let readme = include_str!("../../README.md");
    let (_, after) = readme
        .split_once("<!-- walkthrough -->\n```sh\n")
        .expect("the README has the walkthrough");
    let (block, _) = after.split_once("\n```").unwrap();
    block.to_owned()
}

/// Point 1 and the "Done when": the README's walkthrough — look up, create with
/// `--attach`, show, support replies, watch sees it, reply, close — every command with
/// `--emulator`, run as written by bash from an empty home.
#[test]
fn the_readme_walkthrough_runs_as_written_from_an_empty_home() {
    let home = Home::new();
    let osm = assert_cmd::cargo::cargo_bin("osm");
    let path = format!(
        "{}:{}",
        osm.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    let script = walkthrough();
    let out = StdCommand::new("bash")
        .args(["-e", "-u", "-o", "pipefail", "-v", "-c", &script])
        .env_clear()
        .env("HOME", home.home())
        .env("PATH", path)
        .current_dir(home.work())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    // The transcript, for the record (`cargo test … -- --nocapture`).
    println!("{}\n{stdout}", text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // create → show: the ticket, its first message with the attachment.
    assert!(
        stdout.contains("simple_description: disk full on ecs-01"),
        "{stdout}"
    );
    assert!(
        stdout.contains("status: 0 (waiting to be accepted)"),
        "{stdout}"
    );
    // support replies → watch sees it: old → new, and the newest message.
    assert!(
        stdout.contains(
            "status 0 (waiting to be accepted) → 17 (waiting for the customer's feedback)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("newest message (support, ")
            && stdout.contains("Please send the output of df -h."),
        "{stdout}"
    );
    // reply with a file, close, and the final status.
    assert!(
        stdout.contains("done: reply with 1 attachment(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("done: close"), "{stdout}");
    assert!(
        stdout.trim_end().ends_with("status: 3 (completed)"),
        "{stdout}"
    );
    // The state is where the README says, and holds the whole conversation.
    assert!(home.state_dir().join("tickets.jsonl").is_file());
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("  incident_id: "))
        .expect("show printed the id")
        .to_owned();
    let messages = json_of(
        &home
            .osm()
            .args(["--emulator", "-o", "json", "case", "messages", &id])
            .output()
            .unwrap(),
    );
    let list = messages["message_list"].as_array().unwrap();
    let contents: Vec<&str> = list.iter().filter_map(|m| m["content"].as_str()).collect();
    for c in [
        "disk full on ecs-01",
        "Please send the output of df -h.",
        "Here it is.",
    ] {
        assert!(contents.contains(&c), "{contents:?}");
    }
}

/// Point 1: commands run at once take turns on the state, and none loses another's
/// ticket.
#[test]
fn commands_run_at_once_never_lose_each_others_tickets() {
    let home = Home::new();
    let n = 6;
    let children: Vec<_> = (0..n)
        .map(|i| {
            home.std_osm()
                .args([
                    "--emulator",
                    "--raw",
                    "--query",
                    "incident_id",
                    "case",
                    "create",
                ])
                .args(["--business-type-id", "1", "--simple-description"])
                .arg(format!("concurrent {i}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids: Vec<String> = children
        .into_iter()
        .map(|c| ok(&c.wait_with_output().unwrap()).trim().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "{ids:?}");
    let listed = json_of(
        &home
            .osm()
            .args([
                "--emulator",
                "-o",
                "json",
                "case",
                "list",
                "--search-key",
                "concurrent",
            ])
            .output()
            .unwrap(),
    );
    let mut seen: Vec<String> = listed["incident_info_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["incident_id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    assert_eq!(seen, ids);
}

/// Point 1: `osm emulator` plays the support side on the state `--emulator` uses; a
/// status it does not know and a ticket it does not hold are refused; `reset` starts
/// afresh; `--emulator-state` without `--emulator` is refused.
#[test]
fn the_emulator_family_plays_support_and_starts_afresh() {
    let home = Home::new();
    let id = ok(&home
        .osm()
        .args([
            "--emulator",
            "--raw",
            "--query",
            "incident_id",
            "case",
            "create",
        ])
        .args(["--business-type-id", "1", "--simple-description", "x"])
        .output()
        .unwrap())
    .trim()
    .to_owned();
    let out = home
        .osm()
        .args(["emulator", "set-status", &id, "2"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["status"], 2);
    let status = json_of(
        &home
            .osm()
            .args(["--emulator", "case", "status", &id])
            .output()
            .unwrap(),
    );
    assert_eq!(status["status"], 2);
    // 6 is not one of the spec's statuses: refused before anything is touched.
    let out = home
        .osm()
        .args(["emulator", "set-status", &id, "6"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = home
        .osm()
        .args(["emulator", "reply", "CS00000000000000", "--content", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no ticket"),
        "{}",
        text(&out.stderr)
    );
    let out = home
        .osm()
        .args(["--emulator-state", "elsewhere.jsonl", "case", "show", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--emulator-state goes with --emulator"));
    // Reset: the ticket is gone.
    ok(&home.osm().args(["emulator", "reset"]).output().unwrap());
    let out = home
        .osm()
        .args(["--emulator", "case", "show", &id])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

/// Point 1: a code sent by one `osm --emulator` command is checked by a later one (the
/// emulator keeps the codes it sent in its own state), and the contact so verified is
/// named by a ticket opened by a third; the state lives under `$XDG_STATE_HOME`, and a
/// wrong code is refused there as by the service.
#[test]
fn a_code_sent_in_one_command_verifies_in_the_next() {
    let home = Home::new();
    let xdg = home.dir.path().join("xdg-state");
    let osm = || {
        let mut cmd = home.osm();
        cmd.env("XDG_STATE_HOME", &xdg);
        cmd
    };
    let mail = "oncall@example.com";
    let sent = osm()
        .args(["--emulator", "contact", "send-code", "--email", mail])
        .output()
        .unwrap();
    ok(&sent);
    assert!(
        text(&sent.stderr).contains("osm emulator codes"),
        "{}",
        text(&sent.stderr)
    );
    let codes = json_of(&osm().args(["emulator", "codes"]).output().unwrap());
    let codes = codes["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(codes[0]["contact_value"], mail);
    let code = codes[0]["verify_code"].as_str().unwrap().to_owned();
    assert!(
        xdg.join("osm/emulator/tickets.jsonl.codes.json").is_file(),
        "the emulator's codes are not under XDG_STATE_HOME"
    );
    assert!(
        !home.state_dir().exists(),
        "HOME's state directory was used"
    );

    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = osm()
        .args(["--emulator", "contact", "verify", "--email", mail])
        .args(["--code", &wrong])
        .output()
        .unwrap();
    assert_ne!(refused.status.code(), Some(0), "a wrong code was accepted");
    assert!(
        text(&refused.stderr).contains("OSM.01010010"),
        "{}",
        text(&refused.stderr)
    );

    let verified = json_of(
        &osm()
            .args(["--emulator", "contact", "verify", "--email", mail])
            .args(["--code", &code])
            .output()
            .unwrap(),
    );
    assert_eq!(verified["contact_value"], mail, "{verified}");
    let id = verified["verified_id"].as_str().unwrap().to_owned();

    let created = json_of(
        &osm()
            .args(["--emulator", "case", "create"])
            .args([
                "--business-type-id",
                "1",
                "--simple-description",
                "disk full",
            ])
            .args(["--remind-mail", mail, "--email-verifiedid", &id])
            .output()
            .unwrap(),
    );
    let ticket = created["incident_id"].as_str().unwrap().to_owned();
    let shown = json_of(
        &osm()
            .args(["--emulator", "case", "show", &ticket])
            .output()
            .unwrap(),
    );
    assert!(shown.to_string().contains(mail), "{shown}");

    // The code is used: another check with it is refused, and codes says so.
    let again = osm()
        .args(["--emulator", "contact", "verify", "--email", mail])
        .args(["--code", &code])
        .output()
        .unwrap();
    assert_ne!(again.status.code(), Some(0), "a used code was accepted");
    let codes = json_of(&osm().args(["emulator", "codes"]).output().unwrap());
    assert_eq!(codes["codes"][0]["used"], true, "{codes}");
    assert_eq!(codes["codes"][0]["failed_checks"], 1, "{codes}");
}

/// Point 1: `osm emulator serve` serves the same state on an address, for any client.
#[test]
fn serve_shares_the_state_with_other_clients() {
    let home = Home::new();
    let id = ok(&home
        .osm()
        .args([
            "--emulator",
            "--raw",
            "--query",
            "incident_id",
            "case",
            "create",
        ])
        .args(["--business-type-id", "1", "--simple-description", "served"])
        .output()
        .unwrap())
    .trim()
    .to_owned();
    let mut child = home
        .std_osm()
        .args(["emulator", "serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let out = home
        .osm()
        .env("HUAWEICLOUD_AUTH_TOKEN", "any-token")
        .args(["--endpoint", &url, "-o", "json", "case", "show", &id])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let shown = json_of(&out);
    assert_eq!(shown["incident_detail_info"]["incident_id"], id.as_str());
}

/// Point 2: `--raw` prints a string as its text and a list of scalars one per line.
#[test]
fn raw_output_for_scalars() {
    let home = Home::new();
    let create = |raw: bool| {
        let mut cmd = home.osm();
        cmd.args(["--emulator", "--query", "incident_id"]);
        if raw {
            cmd.arg("--raw");
        }
        ok(&cmd
            .args([
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "raw",
            ])
            .output()
            .unwrap())
    };
    let quoted = create(false);
    assert!(quoted.trim().starts_with("\"CS"), "{quoted}");
    let raw = create(true);
    assert!(raw.trim().starts_with("CS") && !raw.contains('"'), "{raw}");
    // The id passes on as is.
    ok(&home
        .osm()
        .args(["--emulator", "case", "show", raw.trim()])
        .output()
        .unwrap());
    let lines = ok(&home
        .osm()
        .args([
            "--emulator",
            "-r",
            "--query",
            "incident_info_list[].incident_id",
            "case",
            "list",
        ])
        .output()
        .unwrap());
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(lines.lines().all(|l| l.starts_with("CS")), "{lines}");
}

async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .token("shell-test-token")
        .start()
        .await
        .unwrap()
}

fn osm_at(home: &Home, emu: &RunningEmulator) -> Command {
    let mut cmd = home.osm();
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", "shell-test-token").args([
        "--endpoint",
        &emu.base_url(),
        "-o",
        "json",
    ]);
    cmd
}

/// Point 3: `case close --operate-desc --judgement` and `case reply --attach FILE` send
/// what they say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_a_flag_and_reply_attach() {
    let home = Home::new();
    let emu = emulator().await;
    let mut cmd = osm_at(&home, &emu);
    cmd.args([
        "case",
        "create",
        "--business-type-id",
        "1",
        "--simple-description",
        "x",
    ]);
    let id = json_of(&common::run(cmd).await)["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::write(home.work().join("df.txt"), "Filesystem 100%\n").unwrap();
    let mut cmd = osm_at(&home, &emu);
    cmd.args([
        "case",
        "reply",
        &id,
        "--content",
        "see attached",
        "--attach",
        "df.txt",
    ]);
    let reply = json_of(&common::run(cmd).await);
    let uploaded = reply["accessory_ids"][0].as_str().unwrap().to_owned();
    let mut cmd = osm_at(&home, &emu);
    cmd.args([
        "case",
        "close",
        &id,
        "--operate-desc",
        "fixed it",
        "--judgement",
        "quick",
    ]);
    ok(&common::run(cmd).await);
    let requests = emu.requests();
    let message = requests
        .iter()
        .find(|r| r.operation.as_deref() == Some("create_message"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        message["message"]["accessory_ids"],
        serde_json::json!([uploaded])
    );
    assert_eq!(message["message"]["content"], "see attached");
    let close = requests
        .iter()
        .find(|r| r.operation.as_deref() == Some("update_case"))
        .unwrap();
    assert_eq!(close.query_param("action_id").as_deref(), Some("close"));
    let body = close.json().unwrap();
    assert_eq!(body["operate_desc"], "fixed it");
    assert_eq!(body["judgement"], "quick");
    assert_eq!(emu.attachments().len(), 1);
    emu.shutdown().await;
}

/// Point 4: every command's dry run prints the request as it would go — the URL with
/// its values and query, the headers with credentials redacted, the body — and sends
/// nothing; under `--emulator` it names the embedded emulator, not the real endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_every_request_as_it_would_go() {
    let home = Home::new();
    let emu = emulator().await;
    std::fs::write(home.work().join("df.txt"), "x\n").unwrap();
    let secret = "LEAKMARK-secret-key-value";
    let id = "CS20261201000001";
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["case", "close", id, "--operate-desc", "done"],
            "/cases/CS20261201000001/action?action_id=close",
            "operate_desc",
        ),
        (
            &["case", "reply", id, "--content", "hello"],
            "/cases/CS20261201000001/message",
            "hello",
        ),
        (
            &["case", "reply", id, "--content", "hi", "--attach", "df.txt"],
            "/accessorys",
            "[the id upload 1 answers]",
        ),
        (&["case", "show", id], "/cases/CS20261201000001", "X-Site"),
        (
            &["case", "list", "--search-key", "ecs 01"],
            "/cases?search_key=ecs%2001",
            "X-Site",
        ),
        (
            &[
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "d",
            ],
            "/v2/servicerequest/cases",
            "simple_description",
        ),
        (
            &[
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "d",
                "--attach",
                "df.txt",
            ],
            "/accessorys",
            "[the id upload 1 answers]",
        ),
        (&["attachment", "upload", "df.txt"], "/accessorys", "df.txt"),
        (
            &[
                "lookup",
                "severities",
                "--product-category-id",
                "3",
                "--business-type-id",
                "7",
            ],
            "business_type_id=7",
            "X-Site",
        ),
    ];
    for (args, url_part, body_part) in cases {
        let out = home
            .osm()
            .env("HUAWEICLOUD_SDK_AK", "AKDRYRUN")
            .env("HUAWEICLOUD_SDK_SK", secret)
            .args(["--endpoint", &emu.base_url(), "--dry-run", "-o", "text"])
            .args(*args)
            .output()
            .unwrap();
        let stdout = ok(&out);
        let all = format!("{stdout}{}", text(&out.stderr));
        assert!(stdout.contains(&emu.base_url()), "{args:?}: {stdout}");
        assert!(stdout.contains(url_part), "{args:?}: {stdout}");
        assert!(stdout.contains(body_part), "{args:?}: {stdout}");
        assert!(stdout.contains("Access=AKDRYRUN"), "{args:?}: {stdout}");
        common::assert_no_secret(&all, &[secret]);
    }
    // Under --emulator: the embedded emulator's address, a redacted token.
    let out = home
        .osm()
        .args([
            "--emulator",
            "--dry-run",
            "-o",
            "json",
            "case",
            "close",
            id,
            "--judgement",
            "ok",
        ])
        .output()
        .unwrap();
    let dry = json_of(&out);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        dry["url"],
        format!("http://127.0.0.1:PORT/v2/servicerequest/cases/{id}/action?action_id=close")
    );
    assert_eq!(dry["headers"]["X-Auth-Token"], "[REDACTED]");
    assert_eq!(dry["body"]["judgement"], "ok");
    assert_eq!(emu.requests_seen(), 0);
    assert!(
        !home.state_dir().exists(),
        "a dry run touched the emulator's state"
    );
    emu.shutdown().await;
}

/// Point 5: statuses with labels; `watch` gives up with its own exit code, 6, and each
/// command's help lists its own exit codes.
#[test]
fn statuses_with_labels_and_exit_codes_per_command() {
    let home = Home::new();
    let id = ok(&home
        .osm()
        .args([
            "--emulator",
            "-r",
            "--query",
            "incident_id",
            "case",
            "create",
        ])
        .args(["--business-type-id", "1", "--simple-description", "labels"])
        .output()
        .unwrap())
    .trim()
    .to_owned();
    ok(&home
        .osm()
        .args(["emulator", "set-status", &id, "17"])
        .output()
        .unwrap());
    let shown = ok(&home
        .osm()
        .args(["--emulator", "-o", "text", "case", "status", &id])
        .output()
        .unwrap());
    assert_eq!(
        shown.trim(),
        "status: 17 (waiting for the customer's feedback)"
    );
    let out = home
        .osm()
        .args([
            "--emulator",
            "case",
            "watch",
            &id,
            "--interval",
            "0.05",
            "--max-polls",
            "2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("gave up"),
        "{}",
        text(&out.stderr)
    );
    let help = |args: &[&str]| ok(&home.osm().args(args).arg("--help").output().unwrap());
    let watch = help(&["case", "watch"]);
    assert!(watch.contains("  6  gave up"), "{watch}");
    assert!(!watch.contains("outcome unknown"), "{watch}");
    let show = help(&["case", "show"]);
    assert!(
        !show.contains("outcome unknown") && !show.contains("  6 "),
        "{show}"
    );
    assert!(!show.contains("the ticket was created"), "{show}");
    let close = help(&["case", "close"]);
    assert!(
        close.contains("  3  outcome unknown") && !close.contains("the ticket was created"),
        "{close}"
    );
}

/// Point 6: `OSM_EMULATOR=1`; usage lines without the flags the environment set; the
/// global flags listed once, in `osm --help`.
#[test]
fn small_things() {
    let home = Home::new();
    let out = home
        .osm()
        .env("OSM_EMULATOR", "1")
        .args(["lookup", "problem-types", "-o", "json"])
        .output()
        .unwrap();
    assert!(json_of(&out)["incident_business_type_list"].is_array());
    let out = home
        .osm()
        .env("OSM_PROFILE", "work")
        .env("OSM_CREDENTIALS", "env")
        .args(["case", "show"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Usage: osm case show <CASE_ID>"),
        "{stderr}"
    );
    let sub = ok(&home
        .osm()
        .args(["case", "show", "--help"])
        .output()
        .unwrap());
    for global in [
        "--max-attempts",
        "--reconcile-window",
        "--emulator-state",
        "--no-reconcile",
    ] {
        assert!(!sub.contains(global), "{global} repeated:\n{sub}");
    }
    assert!(sub.contains("see osm --help"), "{sub}");
    let top = ok(&home.osm().arg("--help").output().unwrap());
    for global in [
        "--endpoint",
        "--max-attempts",
        "--reconcile-window",
        "--emulator-state",
        "--raw",
    ] {
        assert!(top.contains(global), "{global} missing:\n{top}");
    }
    // Still accepted after the subcommand.
    let out = home
        .osm()
        .args(["case", "show", "X", "--emulator", "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["method"], "GET");
}

/// Point 7: an aimed `business_error` is recorded as one, and the request record's JSON
/// is what emulator/README.md documents (headers as `[name, value]` pairs, the body as a
/// string, the spec's operation id).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aimed_business_error_is_recorded_as_one() {
    let home = Home::new();
    let emu = emulator().await;
    let mut cmd = osm_at(&home, &emu);
    cmd.args([
        "case",
        "create",
        "--business-type-id",
        "1",
        "--simple-description",
        "x",
    ]);
    let id = json_of(&common::run(cmd).await)["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    emu.faults()
        .aim(
            osm_emulator::Matcher::operation("update_case"),
            osm_emulator::Fault::business_error("OSM.01010003", "urged too often"),
        )
        .unwrap();
    let mut cmd = osm_at(&home, &emu);
    cmd.args(["case", "urge", &id]);
    let out = common::run(cmd).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let record = serde_json::to_value(emu.requests().last().unwrap()).unwrap();
    assert_eq!(record["operation"], "update_case");
    assert_eq!(record["fault"], "business_error");
    assert_eq!(record["error_code"], "OSM.01010003");
    assert!(record["body"].is_string(), "{record}");
    let headers = record["headers"].as_array().unwrap();
    assert!(
        headers.iter().all(|h| h
            .as_array()
            .is_some_and(|p| p.len() == 2 && p[0].is_string())),
        "{record}"
    );
    emu.shutdown().await;
}
