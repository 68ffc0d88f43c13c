//! `osm case query` (list_order_incident, the older query) end to end against the
//! emulator: the camelCase parameters as kebab-case flags (`--search-key`,
//! `--page-size`), the camelCase answer; a value over the spec's limit refused before
//! sending.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "orders-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn case_query_runs_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let mut ids = Vec::new();
    for text in [
        "kernel panic on ecs-07",
        "quota increase",
        "kernel update question",
    ] {
        let case = ok(
            &emu,
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
        ids.push(case["incident_id"].as_str().unwrap().to_owned());
    }
    let found = ok(
        &emu,
        &[
            "case",
            "query",
            "--search-key",
            "kernel",
            "--page-size",
            "1",
            "--page-no",
            "2",
        ],
    )
    .await;
    assert_eq!(found["totalCount"], 2, "{found}");
    assert_eq!(
        found["incidentInfoList"][0]["incidentId"],
        ids[0].as_str(),
        "{found}"
    );
    assert_eq!(
        found["incidentInfoList"][0]["simpleDescribe"],
        "kernel panic on ecs-07"
    );
    let one = ok(&emu, &["case", "query", "--incident-id", &ids[1]]).await;
    assert_eq!(one["incidentInfoList"][0]["incidentId"], ids[1].as_str());

    let before = emu.requests_seen();
    let top = rules::LIST_ORDER_INCIDENT
        .param(Location::Query, "pageSize")
        .and_then(|r| r.maximum)
        .unwrap();
    let over = (top + 1).to_string();
    let out = osm(&emu, &["case", "query", "--page-size", &over]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--page-size") && err.contains(&top.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
