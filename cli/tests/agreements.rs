//! `osm agreement …` end to end against the emulator: every command of the tag,
//! generated from the spec (the latest agreement of a type, signing it, whether it is
//! signed, a configuration item); a value outside the spec's range refused
//! before sending, naming the flag.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "agreements-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn agreement_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let latest = ok(&emu, &["agreement", "show", "--agreement-type", "2"]).await;
    let agreement = &latest["case_agreement"];
    assert_eq!(agreement["agreement_type"], "2");
    let id = agreement["id"].as_str().unwrap().to_owned();
    let signed = ["agreement", "signed", "--agreement-type", "2"];
    assert_eq!(ok(&emu, &signed).await["is_signed_latest"], false);

    let record = ok(&emu, &["agreement", "sign", &id, "--relation-id", "auth-7"]).await;
    assert!(
        record["agreement_signed_record_id"].as_u64().is_some(),
        "{record}"
    );
    let sent = emu.requests().last().unwrap().clone();
    assert_eq!(
        sent.path,
        format!("/v2/servicerequest/agreements/{id}/signed")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&sent.body).unwrap()["relation_id"],
        "auth-7"
    );
    assert_eq!(ok(&emu, &signed).await["is_signed_latest"], true);
    let other = ok(&emu, &["agreement", "signed", "--agreement-type", "0"]).await;
    assert_eq!(other["is_signed_latest"], false);

    let item = ok(
        &emu,
        &["agreement", "configuration", "case_agreement_required"],
    )
    .await;
    assert_eq!(item["config_key"], "case_agreement_required");
    assert!(item["config_value"].is_string());

    // An id under the spec's minimum is refused before anything is sent.
    let least = rules::SIGN_PUBLISHED_AGREEMENT
        .param(Location::Path, "id")
        .and_then(|r| r.minimum)
        .unwrap();
    let before = emu.requests_seen();
    let under = (least - 1).to_string();
    let out = osm(&emu, &["agreement", "sign", &under]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("(flag ID)") && err.contains(&format!("the minimum is {least}")),
        "{err}"
    );
    let out = osm(&emu, &["agreement", "show", "--agreement-type", "5"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(common::text(&out.stderr).contains("--agreement-type"));
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
