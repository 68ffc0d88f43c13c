//! The real `osm` binary against the emulator on loopback.

mod common;

use common::{assert_no_secret, json, run, text};
use std::time::Duration;

use assert_cmd::Command;
use osm_emulator::{Emulator, Fault, RunningEmulator};

const TOKEN: &str = "cli-test-token-LEAKMARK-0123456789";
/// The secret key the test emulator knows; like every secret here it holds `LEAKMARK`.
const SK: &str = "sk-cli-secret-LEAKMARK";
/// The smallest valid `case create`.
const MIN_CASE: [&str; 6] = [
    "case",
    "create",
    "--business-type-id",
    "1",
    "--simple-description",
    "x",
];
const CRED_VARS: [&str; 5] = [
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_DOMAIN_ID",
    "HUAWEICLOUD_AUTH_TOKEN",
];

/// `osm` with no credentials in its environment.
fn osm() -> Command {
    let mut cmd = Command::cargo_bin("osm").unwrap();
    // Nothing from the developer's environment or home: no credentials, no OSM_*
    // variable, no configuration or credentials file.
    cmd.env_clear()
        .env("HOME", std::env::temp_dir().join("osm-cli-tests-no-home"));
    cmd
}

/// `osm --endpoint <emulator> --output json` with a token.
fn osm_at(emulator: &RunningEmulator) -> Command {
    let mut cmd = osm();
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args(["--endpoint", &emulator.base_url()]);
    cmd
}

async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .token(TOKEN)
        .ak_sk("AKCLITEST", SK)
        .start()
        .await
        .unwrap()
}

#[test]
fn main_job_with_the_embedded_emulator() {
    let out = osm()
        .args([
            "--emulator",
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "disk full on ecs-01",
        ])
        .args(["--output", "text"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Created ticket "), "{stdout}");
    assert!(stdout.contains("request id: "), "{stdout}");
    assert!(
        text(&out.stderr).contains("embedded emulator"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn emulator_state_persists_between_runs() {
    let dir = std::env::temp_dir().join(format!("osm-cli-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("tickets.jsonl");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let out = osm()
            .args([
                "--emulator",
                "--emulator-state",
                state.to_str().unwrap(),
                "--output",
                "json",
            ])
            .args([
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "x",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        ids.push(json(&out)["incident_id"].as_str().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let lines = std::fs::read_to_string(&state).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_as_json_and_text() {
    // Made-up attachment ids: the emulator is told not to look them up.
    let emu = Emulator::builder()
        .token(TOKEN)
        .check_references(false)
        .start()
        .await
        .unwrap();
    let mut cmd = osm_at(&emu);
    cmd.args([
        "--output",
        "json",
        "case",
        "create",
        "--business-type-id",
        "5",
        "--region-id",
        "ap-southeast-3",
    ])
    .args([
        "--simple-description",
        "disk full",
        "--accessory-id",
        "a1",
        "--accessory-id",
        "a2",
    ])
    .args([
        "--extends-map",
        "channel=alerting",
        "--extends-map",
        "n=12",
        "--language",
        "en-us",
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j = json(&out);
    let tickets = emu.tickets();
    assert_eq!(tickets.len(), 1);
    assert_eq!(j["incident_id"], tickets[0].incident_id.as_str());
    assert_eq!(j["attempts"], 1);
    let body = &tickets[0].body;
    assert_eq!(body["accessory_ids"], serde_json::json!(["a1", "a2"]));
    assert_eq!(
        body["extends_map"],
        serde_json::json!({"channel": "alerting", "n": 12})
    );
    assert_eq!(body["source_id"], "83aeb0f2834c4df49826c781d32a963e");

    let mut cmd = osm_at(&emu);
    cmd.args(["--output", "text"]).args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains(&emu.tickets()[1].incident_id));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_exits_2_before_sending() {
    let emu = emulator().await;
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let mut cmd = osm_at(&emu);
    cmd.args([
        "case",
        "create",
        "--business-type-id",
        "1",
        "--simple-description",
        &"x".repeat(max + 1),
    ]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "simple_description is {} characters long; the maximum length is {max} (flag --simple-description)",
            max + 1
        )),
        "{stderr}"
    );
    assert_eq!(emu.requests_seen(), 0);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_error_exits_1_with_code_message_and_request_id() {
    let emu = emulator().await;
    emu.faults()
        .push(Fault::business_error("OSM.01010003", "urged too often"));
    let mut cmd = osm_at(&emu);
    cmd.args(["--output", "text"]).args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error_code: OSM.01010003"), "{stderr}");
    assert!(stderr.contains("error_msg: urged too often"), "{stderr}");
    assert!(stderr.contains("request id: "), "{stderr}");
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_timeout_exits_3_and_says_the_ticket_may_exist() {
    let emu = emulator().await;
    emu.faults()
        .push(Fault::DelayAfterRecord(Duration::from_secs(5)));
    let mut cmd = osm_at(&emu);
    // Without reconciliation (on by default: see tests/followup.rs).
    cmd.args(["--timeout", "0.3", "--output", "json", "--no-reconcile"])
        .args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("the ticket may exist"),
        "{}",
        text(&out.stderr)
    );
    let j = json(&out);
    assert_eq!(j["error"]["outcome_unknown"], true);
    assert_eq!(j["error"]["kind"], "Timeout");
    assert_eq!(
        emu.ticket_count(),
        1,
        "the ticket was recorded once, and not retried"
    );
    emu.shutdown().await;
}

#[test]
fn no_credentials_exits_4_naming_the_variables() {
    let out = osm()
        .args([
            "--endpoint",
            "http://127.0.0.1:9",
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    for var in CRED_VARS {
        assert!(stderr.contains(var), "{stderr}");
    }
    assert!(stderr.contains("--emulator"), "{stderr}");
}

#[test]
fn connection_refused_exits_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = osm()
        .env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args(["--endpoint", &format!("http://127.0.0.1:{port}")])
        .args([
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("nothing was sent"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_nothing_and_redacts() {
    let emu = emulator().await;
    let mut cmd = osm_at(&emu);
    cmd.args(["--dry-run", "--output", "json"]).args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j = json(&out);
    assert_eq!(j["dry_run"], true);
    assert_eq!(
        j["url"],
        format!("{}/v2/servicerequest/cases", emu.base_url())
    );
    assert_eq!(j["headers"]["X-Auth-Token"], "[REDACTED]");
    assert_eq!(j["body"]["simple_description"], "x");
    assert!(!text(&out.stdout).contains(TOKEN));
    assert_eq!(emu.requests_seen(), 0);
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_from_stdin_and_flags_override_it() {
    let emu = emulator().await;
    let body =
        r#"{"business_type_id": "1", "simple_description": "from stdin", "severity_id": "3"}"#;
    let mut cmd = osm_at(&emu);
    cmd.args([
        "--output",
        "json",
        "case",
        "create",
        "--body",
        "-",
        "--severity-id",
        "1",
    ])
    .write_stdin(body);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = &emu.tickets()[0];
    assert_eq!(t.body["simple_description"], "from stdin");
    assert_eq!(t.body["severity_id"], "1", "the flag overrides the body");
    assert_eq!(t.body["source_id"], "83aeb0f2834c4df49826c781d32a963e");

    let mut cmd = osm_at(&emu);
    cmd.args(["case", "create", "--body", "-"])
        .write_stdin("[1, 2]");
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("must be a JSON object"),
        "{}",
        text(&out.stderr)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_output_at_the_most_verbose_level() {
    let emu = emulator().await;
    let security_token = "st-cli-security-token-LEAKMARK-value";
    // A key pair (with a security token), then a token alone, so that each secret is
    // really used; a 500 and a dropped connection each time.
    let sources: [&[(&str, &str)]; 2] = [
        &[
            ("HUAWEICLOUD_SDK_AK", "AKCLITEST"),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", security_token),
        ],
        &[("HUAWEICLOUD_AUTH_TOKEN", TOKEN)],
    ];
    for vars in sources {
        for fault in [
            Fault::error(500, "OSM.0004", "internal error"),
            Fault::DropAfterRecord,
        ] {
            emu.faults().push(fault);
            let mut cmd = osm();
            for (k, v) in vars {
                cmd.env(k, v);
            }
            // Without reconciliation, so that both faults end in a failure.
            cmd.args([
                "-vvv",
                "--output",
                "json",
                "--no-reconcile",
                "--endpoint",
                &emu.base_url(),
            ])
            .args([
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "x",
            ]);
            let out = run(cmd).await;
            assert_ne!(out.status.code(), Some(0));
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(
                all.contains("osm.call{operation=\"create_case\""),
                "tracing was not on: {all}"
            );
            // The request was authenticated with the secret (the emulator saw the fault,
            // not a 401).
            assert!(
                !all.contains("APIGW.0301") && !all.contains("OSM.0002"),
                "{all}"
            );
            assert_no_secret(&all, &[SK, security_token, TOKEN]);
        }
    }
    emu.shutdown().await;
}

#[test]
fn completions_for_bash() {
    let out = osm().args(["completions", "bash"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let script = text(&out.stdout);
    assert!(script.contains("--simple-description"), "{script}");
}

fn help(args: &[&str]) -> String {
    // A fixed width, whatever the terminal or the environment says.
    let out = osm()
        .env("COLUMNS", "100")
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    text(&out.stdout)
}

#[test]
fn help_snapshots() {
    insta::assert_snapshot!("osm_help", help(&[]));
    insta::assert_snapshot!("osm_case_help", help(&["case"]));
    insta::assert_snapshot!("osm_case_create_help", help(&["case", "create"]));
    insta::assert_snapshot!("osm_completions_help", help(&["completions"]));
}
