//! `osm privilege …` end to end against the emulator: every command of the tag,
//! generated from the spec (grant and withdraw a privilege, check it, the restriction
//! switch, the sub-users, agencies and regions); and a value outside the spec's values
//! or limits refused before sending, naming the flag.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "privileges-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn privilege_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let check = ["privilege", "check", "--privilege", "export"];
    assert_eq!(ok(&emu, &check).await["has_privilege"], 0);
    let granted = ok(
        &emu,
        &[
            "privilege",
            "change",
            "--operation",
            "create",
            "--privilege",
            "export",
        ],
    )
    .await;
    assert_eq!(granted, serde_json::json!({}));
    assert_eq!(ok(&emu, &check).await["has_privilege"], 1);
    ok(
        &emu,
        &[
            "privilege",
            "change",
            "--operation",
            "delete",
            "--privilege",
            "export",
        ],
    )
    .await;
    assert_eq!(ok(&emu, &check).await["has_privilege"], 0);

    let policy = ok(&emu, &["privilege", "policy"]).await;
    assert_eq!(policy["policy_switch"], false);
    let users = ok(
        &emu,
        &["privilege", "sub-users", "--sub-customer-name", "ops"],
    )
    .await;
    let users = users["sub_customer_infos"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    assert_eq!(users[0]["domain_id"], "emulator-account");
    let agencies = ok(&emu, &["privilege", "agencies"]).await;
    assert_eq!(
        agencies["total_count"].as_u64(),
        agencies["agency_list"].as_array().map(|a| a.len() as u64)
    );
    let regions = ok(&emu, &["privilege", "regions"]).await;
    assert!(
        regions["count"].as_u64().is_some_and(|n| n > 0),
        "{regions}"
    );
    assert_eq!(
        emu.requests().last().map(|r| r.path.clone()).as_deref(),
        Some("/v2/servicerequest/customers/regions")
    );

    // A privilege the spec does not list, and a name over its limit, are refused before
    // anything is sent, naming the flag.
    let before = emu.requests_seen();
    let out = osm(&emu, &["privilege", "check", "--privilege", "admin"]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(err.contains("--privilege"), "{err}");
    let max = rules::LIST_SUB_CUSTOMERS
        .param(Location::Query, "sub_customer_name")
        .and_then(|r| r.max_length)
        .unwrap();
    let long = "n".repeat(max + 1);
    let out = osm(
        &emu,
        &["privilege", "sub-users", "--sub-customer-name", &long],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--sub-customer-name") && err.contains(&max.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
