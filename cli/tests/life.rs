//! `osm case …` for a ticket's life, end to end against the emulator: the commands
//! generated from the spec for counts, the operation log, contact details, relations,
//! ratings and the export to a file (`--out`, `--max-bytes`), and `osm feedback create`;
//! a value over the spec's limit refused before anything is sent, naming the flag.

use huaweicloud_osm::rules;
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "life-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

async fn open(emu: &RunningEmulator, text: &str) -> String {
    let case = ok(
        emu,
        &[
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            text,
        ],
    )
    .await;
    case["incident_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_ticket_s_life_through_the_case_commands() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let a = open(&emu, "database slow").await;
    let b = open(&emu, "database slow again").await;

    let counts = ok(&emu, &["case", "counts"]).await;
    assert_eq!(counts["incident_status_counts"][0]["count"], 2, "{counts}");

    ok(
        &emu,
        &[
            "case",
            "set-contact",
            &a,
            "--remind-mail",
            "dba@example.com",
        ],
    )
    .await;
    let shown = ok(&emu, &["case", "show", &a]).await;
    assert_eq!(
        shown["incident_detail_info"]["ext_info"]["remind_mail"], "dba@example.com",
        "{shown}"
    );

    ok(&emu, &["case", "relate", &a, "--related-id-list", &b]).await;
    let rel = ok(&emu, &["case", "relations", &a]).await;
    assert_eq!(rel["case_relation_list"][0]["case_id"], b.as_str(), "{rel}");
    ok(&emu, &["case", "unrelate", &a, "--related-id", &b]).await;
    let rel = ok(&emu, &["case", "relations", &a]).await;
    assert_eq!(rel["case_relation_list"], Value::Array(vec![]));

    ok(
        &emu,
        &[
            "case",
            "submit-extends",
            &a,
            "--extends-map",
            "instance_id=i-1",
        ],
    )
    .await;
    ok(&emu, &["case", "show-extends", &a]).await;

    let dims = ok(&emu, &["case", "dimensions"]).await;
    let dim = dims["satisfaction_dimension_list"][0]["satisfaction_id"]
        .as_i64()
        .unwrap();
    ok(&emu, &["case", "close", &a]).await;
    let rating = format!(r#"{{"satisfaction_id":{dim},"satisfaction_value":5}}"#);
    ok(
        &emu,
        &[
            "case",
            "rate",
            &a,
            "--judgement",
            "fixed fast",
            "--incident-satisfaction-list",
            &rating,
        ],
    )
    .await;
    let shown = ok(&emu, &["case", "show", &a]).await;
    assert_eq!(shown["incident_detail_info"]["judgement"], "fixed fast");
    // A second rating: the service's business error, exit 1.
    let out = osm(
        &emu,
        &[
            "case",
            "rate",
            &a,
            "--judgement",
            "again",
            "--incident-satisfaction-list",
            &rating,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stderr).contains("OSM.01010001"));

    let logs = ok(&emu, &["case", "logs", &a]).await;
    let types: Vec<i64> = logs["incident_operate_log_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["operate_type"].as_i64().unwrap())
        .collect();
    assert_eq!(types, [0, 114, 3, 5], "{logs}");

    ok(&emu, &["case", "cc-emails"]).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn the_export_is_written_to_a_file() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let a = open(&emu, "exported").await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("cases.xlsx");
    let answer = ok(
        &emu,
        &[
            "case",
            "export",
            "--language",
            "en-us",
            "--timezone",
            "GMT+8",
            "--out",
            target.to_str().unwrap(),
        ],
    )
    .await;
    let bytes = std::fs::read(&target).unwrap();
    assert_eq!(answer["bytes"], bytes.len(), "{answer}");
    assert_eq!(answer["file_name"], "cases.xlsx");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    assert!(String::from_utf8_lossy(&bytes).contains(a.as_str()));

    // Over --max-bytes: exit 1, and no file.
    let refused = dir.path().join("refused.xlsx");
    let out = osm(
        &emu,
        &[
            "case",
            "export",
            "--language",
            "en-us",
            "--timezone",
            "GMT+8",
            "--out",
            refused.to_str().unwrap(),
            "--max-bytes",
            "100",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));
    assert!(!refused.exists());

    // A limit over the spec's maximum is refused before anything is sent, naming the flag.
    let top = rules::DOWNLOAD_CASES
        .param(rules::Location::Query, "limit")
        .and_then(|r| r.maximum)
        .unwrap();
    let before = emu.requests_seen();
    let over = (top + 1).to_string();
    let out = osm(
        &emu,
        &[
            "case",
            "export",
            "--language",
            "en-us",
            "--timezone",
            "GMT+8",
            "--limit",
            &over,
            "--out",
            refused.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out.stderr));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--limit") && err.contains(&top.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_report_is_filed_and_a_long_one_refused() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .check_references(false)
        .start()
        .await
        .unwrap();
    // An object flag takes its members one KEY=JSON at a time.
    let contacts = [
        "--contacts",
        "name=Jane Doe",
        "--contacts",
        r#"mobile="+86 100""#,
        "--contacts",
        "id_type=20",
        "--contacts",
        r#"id_files=["att-1"]"#,
    ];
    let mut args = vec![
        "feedback",
        "create",
        "--type",
        "copyright",
        "--title",
        "OBS;https://example.com",
        "--content",
        "a copy of my book",
        "--file",
        "att-1",
    ];
    args.extend(contacts);
    ok(&emu, &args).await;
    let max = rules::CREATE_FEEDBACK
        .body_field("content")
        .and_then(|r| r.max_length)
        .unwrap();
    let before = emu.requests_seen();
    let long = "c".repeat(max + 1);
    let mut args = vec![
        "feedback",
        "create",
        "--type",
        "copyright",
        "--title",
        "OBS",
        "--content",
        &long,
        "--file",
        "att-1",
    ];
    args.extend(contacts);
    let out = osm(&emu, &args).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--content") && err.contains(&max.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
