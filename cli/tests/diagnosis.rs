//! `osm diagnosis …` end to end against the emulator: every command of the tag,
//! generated from the spec (start a job, show it, read its checks, list the records and
//! the machines, give feedback); and a value over the spec's limit refused before
//! sending, naming the flag.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "diagnosis-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn diagnosis_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let started = ok(
        &emu,
        &[
            "diagnosis",
            "start",
            "--type",
            "1",
            "--params",
            "eip=\"203.0.113.7\"",
            "--region-id",
            "cn-north-4",
        ],
    )
    .await;
    let id = started["job_id"].as_str().unwrap().to_owned();

    let job = ok(&emu, &["diagnosis", "show", "--job-id", &id]).await;
    assert_eq!(job["job_id"].to_string(), id);
    assert_eq!(job["status"], 3);
    let problem = job["items_result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["problem_level"] == 4)
        .unwrap()["check_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let details = ok(
        &emu,
        &[
            "diagnosis",
            "items",
            "--job-id",
            &id,
            "--item-ids",
            &problem,
        ],
    )
    .await;
    assert_eq!(details["item_results"][0]["check_id"], problem.as_str());

    let records = ok(&emu, &["diagnosis", "records", "--type", "1"]).await;
    assert_eq!(records["total_count"], 1);
    assert_eq!(records["records"][0]["job_id"], id.as_str());
    assert_eq!(records["records"][0]["params"]["eip"], "203.0.113.7");
    assert_eq!(records["records"][0]["abnormal_items"][0], problem.as_str());

    let machines = ok(
        &emu,
        &[
            "diagnosis",
            "resources",
            "--project-id",
            "p1",
            "--region",
            "cn-north-4",
        ],
    )
    .await;
    assert_eq!(machines["result"][0]["tenantId"], "p1");

    let said = ok(
        &emu,
        &[
            "diagnosis",
            "feedback",
            "--type",
            "1",
            "--is-helpful",
            "true",
            "--content",
            "found the closed port",
        ],
    )
    .await;
    assert_eq!(said, serde_json::json!({}));
    let seen = emu.requests();
    let last = seen.last().unwrap();
    assert_eq!(last.path, "/v2.0/servicerequest/diagnose/feedback");
    let sent: Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(sent["is_helpful"], true);

    // A type over the spec's range, and a page over its size, are refused before
    // anything is sent, naming the flag and the limit.
    let top = rules::CREATE_DIAGNOSE_JOB
        .body_field("type")
        .and_then(|r| r.maximum)
        .unwrap();
    let before = emu.requests_seen();
    let over = (top + 1).to_string();
    let out = osm(&emu, &["diagnosis", "start", "--type", &over]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--type") && err.contains(&top.to_string()),
        "{err}"
    );
    let size = rules::LIST_DIAGNOSE_RECORDS
        .param(Location::Query, "page_size")
        .and_then(|r| r.maximum)
        .unwrap();
    let over = (size + 1).to_string();
    let out = osm(&emu, &["diagnosis", "records", "--page-size", &over]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--page-size") && err.contains(&size.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
