//! `osm label …` end to end against the emulator: every command of the tag, generated
//! from the spec, creating, listing, renaming and deleting labels and putting them on
//! and off a ticket; and a value over the spec's limit refused before sending.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "labels-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

fn label_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["label_id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn label_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    ok(
        &emu,
        &["label", "create", "--name", "db", "--color", "#112233"],
    )
    .await;
    ok(
        &emu,
        &["label", "create", "--name", "network", "--color", "#445566"],
    )
    .await;
    let all = ok(&emu, &["label", "list"]).await;
    assert_eq!(all["total_count"], 2, "{all}");
    let ids = label_ids(&all["label_list"]);
    let (db, network) = (ids[0].to_string(), ids[1].to_string());
    let found = ok(&emu, &["label", "list", "--name", "net"]).await;
    assert_eq!(label_ids(&found["label_list"]), [ids[1]]);

    ok(
        &emu,
        &[
            "label", "update", &db, "--name", "database", "--color", "#000000",
        ],
    )
    .await;
    let case = ok(
        &emu,
        &[
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "slow queries",
        ],
    )
    .await;
    let case = case["incident_id"].as_str().unwrap().to_owned();
    ok(
        &emu,
        &[
            "label",
            "attach",
            &case,
            "--label-id",
            &db,
            "--label-id",
            &network,
        ],
    )
    .await;
    let on = ok(&emu, &["label", "on-case", &case]).await;
    assert_eq!(label_ids(&on["case_label_list"]), ids);
    assert_eq!(on["case_label_list"][0]["name"], "database");
    let listed = ok(&emu, &["case", "list", "--label-id-list", &network]).await;
    assert_eq!(
        listed["incident_info_list"][0]["incident_id"],
        case.as_str()
    );
    assert_eq!(
        listed["incident_info_list"][0]["label_list"][1]["name"],
        "network"
    );

    ok(&emu, &["label", "detach", &case, "--label-id", &db]).await;
    let on = ok(&emu, &["label", "on-case", &case]).await;
    assert_eq!(label_ids(&on["case_label_list"]), [ids[1]]);
    ok(&emu, &["label", "delete", &network]).await;
    let on = ok(&emu, &["label", "on-case", &case]).await;
    assert_eq!(on["case_label_list"], Value::Array(vec![]));
    let all = ok(&emu, &["label", "list"]).await;
    assert_eq!(label_ids(&all["label_list"]), [ids[0]]);

    // A name over the spec's limit is refused before anything is sent, naming the flag.
    let max = rules::CREATE_LABELS
        .body_field("name")
        .unwrap()
        .max_length
        .unwrap();
    let before = emu.requests_seen();
    let long = "n".repeat(max + 1);
    let out = osm(
        &emu,
        &["label", "create", "--name", &long, "--color", "#000000"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--name") && err.contains(&max.to_string()),
        "{err}"
    );
    // So is a ticket given more labels than a request may name.
    let most = rules::CREATE_CASE_LABELS
        .param(Location::Query, "label_ids")
        .and_then(|r| r.max_items)
        .unwrap();
    let mut args = vec!["label".to_owned(), "attach".to_owned(), case.clone()];
    for i in 0..=most {
        args.extend(["--label-id".to_owned(), i.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = osm(&emu, &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out.stderr));
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
