//! `osm partner …` end to end against the emulator: both commands of the tag, generated
//! from the spec; a value over the spec's limit refused before sending, naming the flag.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "partners-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

#[tokio::test]
async fn partner_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let out = osm(&emu, &["partner", "privilege"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    assert_eq!(common::json(&out)["has_privilege"], true);

    let out = osm(
        &emu,
        &[
            "partner",
            "service-info",
            "--product-id",
            "isv-1",
            "--language",
            "en-us",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    let info: Value = common::json(&out);
    let partner = &info["partners_service_info"];
    assert!(partner["customer_id"].is_string(), "{info}");
    assert!(partner["service_time_hour"].is_string(), "{info}");
    let sent = emu.requests().last().unwrap().clone();
    assert_eq!(sent.path, "/v2/servicerequest/cases/partners/service-info");
    assert!(
        sent.query
            .as_deref()
            .is_some_and(|q| q.contains("product_id=isv-1"))
    );

    let max = rules::SHOW_PARTNERS_SERVICE_INFO
        .param(Location::Query, "product_id")
        .and_then(|r| r.max_length)
        .unwrap();
    let before = emu.requests_seen();
    let long = "p".repeat(max + 1);
    let out = osm(&emu, &["partner", "service-info", "--product-id", &long]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--product-id") && err.contains(&max.to_string()),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
