//! `osm authorization …` end to end against the emulator: every command of the tag,
//! generated from the spec (list, show, check a host's login, grant with a host's login,
//! reject, the login type, support's sessions, commands and file transfers); the host
//! password is never printed; and a value over the spec's limit refused before sending,
//! naming the flag.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{AuthorizationRequest, Emulator, RunningEmulator, SupportHost, SupportSession};
use serde_json::{Value, json};

mod common;

const TOKEN: &str = "authorization-cli-token";
const PASSWORD: &str = "cli-host-password";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer; the host password is
/// in neither of its outputs.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn authorization_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    // Support asks (a token's calls are the account emulator-account).
    let asked = emu
        .request_authorization(&AuthorizationRequest {
            incident_id: "CS-1".into(),
            simple_description: "disk full".into(),
            hosts: vec![SupportHost {
                instance_name: "db-01".into(),
                port: 22,
                account: "root".into(),
                ..SupportHost::default()
            }],
            ..AuthorizationRequest::default()
        })
        .unwrap();
    let detail = asked.detail_ids[0].to_string();

    let listed = ok(&emu, &["authorization", "list", "--status", "0"]).await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["incident_auth_list"][0]["id"], asked.id.as_str());

    let shown = ok(&emu, &["authorization", "show", &asked.id]).await;
    assert_eq!(shown["status"], 0);
    assert_eq!(
        shown["incident_auth_detail_list"][0]["id"].to_string(),
        detail
    );

    ok(
        &emu,
        &[
            "authorization",
            "check-host",
            &detail,
            "--port",
            "22",
            "--account",
            "root",
            "--password",
            PASSWORD,
        ],
    )
    .await;
    let login = json!({"auth_detail_id": asked.detail_ids[0], "port": 2222, "account": "support", "password": PASSWORD})
        .to_string();
    ok(
        &emu,
        &[
            "authorization",
            "confirm",
            &asked.id,
            "--auth-detail-list",
            &login,
        ],
    )
    .await;
    let sent: Value = serde_json::from_str(&emu.requests().last().unwrap().body).unwrap();
    assert_eq!(sent["auth_detail_list"][0]["port"], 2222);
    // The request record keeps no host password.
    assert_eq!(
        sent["auth_detail_list"][0]["password"],
        osm_emulator::REDACTED
    );
    assert!(emu.requests().iter().all(|r| !r.body.contains(PASSWORD)));
    // A dry run shows each request, but not a password in it (the spec's format: password).
    let dry_runs: [&[&str]; 2] = [
        &[
            "--dry-run",
            "authorization",
            "confirm",
            asked.id.as_str(),
            "--auth-detail-list",
            login.as_str(),
        ],
        &[
            "--dry-run",
            "authorization",
            "check-host",
            detail.as_str(),
            "--port",
            "22",
            "--account",
            "root",
            "--password",
            PASSWORD,
        ],
    ];
    for args in dry_runs {
        let out = osm(&emu, args).await;
        let all = format!("{}{}", common::text(&out.stdout), common::text(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{all}");
        assert!(!all.contains(PASSWORD), "{all}");
        assert!(all.contains("[REDACTED]"), "{all}");
    }
    let shown = ok(&emu, &["authorization", "show", &asked.id]).await;
    assert_eq!(shown["status"], 1);
    assert_eq!(shown["incident_auth_detail_list"][0]["account"], "support");

    let session = emu
        .record_support_session(
            &asked.id,
            &SupportSession {
                detail_id: asked.detail_ids[0],
                commands: vec!["df -h".into(), "uptime".into()],
                ..SupportSession::default()
            },
        )
        .unwrap()
        .to_string();
    let sessions = ok(&emu, &["authorization", "sessions", &asked.id, &detail]).await;
    assert_eq!(
        sessions["session_list"][0]["session_id"].to_string(),
        session
    );
    let commands = ok(
        &emu,
        &[
            "authorization",
            "commands",
            &asked.id,
            &detail,
            &session,
            "--sort",
            "1",
        ],
    )
    .await;
    assert_eq!(commands["ops_list"][0]["oper"], "df -h");
    let transfers = ok(
        &emu,
        &["authorization", "transfers", &asked.id, &detail, &session],
    )
    .await;
    assert_eq!(transfers["total_count"], 0);

    let login_type = ok(&emu, &["authorization", "login-type"]).await;
    assert_eq!(login_type["login_type"], "password");

    // Cancelled by the customer, then shown so.
    ok(
        &emu,
        &["authorization", "act", &asked.id, "--action-id", "cancel"],
    )
    .await;
    let shown = ok(&emu, &["authorization", "show", &asked.id]).await;
    assert_eq!(shown["status"], 5);

    // A reason over the spec's length, and a page over its size, are refused before
    // anything is sent, naming the flag and the limit.
    let before = emu.requests_seen();
    let reason = rules::UPDATE_AUTHORIZATIONS
        .body_field("reject_reason")
        .and_then(|r| r.max_length)
        .unwrap();
    let long = "r".repeat(reason + 1);
    let out = osm(
        &emu,
        &[
            "authorization",
            "act",
            &asked.id,
            "--action-id",
            "reject",
            "--reject-reason",
            &long,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--reject-reason") && err.contains(&reason.to_string()),
        "{err}"
    );
    let limit = rules::LIST_AUTHORIZATIONS
        .param(Location::Query, "limit")
        .and_then(|r| r.maximum)
        .unwrap();
    let over = (limit + 1).to_string();
    let out = osm(&emu, &["authorization", "list", "--limit", &over]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--limit") && err.contains(&limit.to_string()),
        "{err}"
    );
    // An action the spec does not list is refused too.
    let out = osm(
        &emu,
        &["authorization", "act", &asked.id, "--action-id", "approve"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out.stderr));
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
