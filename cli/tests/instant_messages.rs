//! `osm message …` end to end against the emulator: every command of the tag, generated
//! from the spec: polling, unread counts, marking read, earlier history, withdrawing a
//! message; and values over the spec's limits refused before sending.

use huaweicloud_osm::rules::{self, Location};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::Value;

mod common;

const TOKEN: &str = "instant-cli-token";

async fn osm(emu: &RunningEmulator, args: &[&str]) -> std::process::Output {
    common::osm_json(&emu.base_url(), TOKEN, args).await
}

/// Runs a command that must succeed, and reads its JSON answer.
async fn ok(emu: &RunningEmulator, args: &[&str]) -> Value {
    common::ok_json(&emu.base_url(), TOKEN, args).await
}

fn contents(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn message_commands_run_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let case = ok(
        &emu,
        &[
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "dns lookups time out",
        ],
    )
    .await;
    let case = case["incident_id"].as_str().unwrap().to_owned();
    ok(&emu, &["case", "reply", &case, "--content", "wrong paste"]).await;
    emu.reply(&case, "which resolver?", Some(17)).unwrap();

    let unread = ok(&emu, &["message", "unread", "--case-id", &case]).await;
    assert_eq!(unread["imunread"][0]["unread_num"], 1, "{unread}");
    assert_eq!(unread["imunread"][0]["status"], 17, "{unread}");
    let polled = ok(&emu, &["message", "poll", "--case-id", &case]).await;
    assert_eq!(
        contents(&polled["immsg"][0]["message_list"]),
        ["dns lookups time out", "wrong paste", "which resolver?"]
    );
    assert_eq!(polled["imstatus"][0]["status"], 0, "{polled}");
    let cursor = polled["last_message_time_id"].as_str().unwrap().to_owned();
    let again = ok(
        &emu,
        &[
            "message",
            "poll",
            "--case-id",
            &case,
            "--last-message-time-id",
            &cursor,
        ],
    )
    .await;
    assert!(
        again
            .get("immsg")
            .is_none_or(|m| m == &Value::Array(vec![])),
        "{again}"
    );

    ok(&emu, &["message", "mark-read", &case]).await;
    let unread = ok(&emu, &["message", "unread", "--case-id", &case]).await;
    assert_eq!(unread["imunread"][0]["unread_num"], 0, "{unread}");

    let earlier = ok(
        &emu,
        &[
            "message",
            "earlier",
            &case,
            "--create-time",
            &cursor,
            "--type",
            "1",
            "--limit",
            "1",
        ],
    )
    .await;
    assert_eq!(earlier["count"], 2, "{earlier}");
    assert_eq!(contents(&earlier["message_list"]), ["wrong paste"]);

    let detail = ok(&emu, &["case", "show", &case]).await;
    let id = detail["incident_detail_info"]["message_list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["content"] == "wrong paste")
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .unwrap();
    ok(&emu, &["message", "revoke", &case, &id]).await;
    let messages = ok(&emu, &["case", "messages", &case]).await;
    assert_eq!(
        contents(&messages["message_list"]),
        ["dns lookups time out", "which resolver?"]
    );
    // Withdrawing it again is a business error, exit code 1.
    let out = osm(&emu, &["message", "revoke", &case, &id]).await;
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));

    // Values over the spec's limits are refused before anything is sent.
    let before = emu.requests_seen();
    let top = rules::LIST_MORE_INSTANT_MESSAGES
        .param(Location::Query, "limit")
        .and_then(|r| r.maximum)
        .unwrap();
    let over = (top + 1).to_string();
    let out = osm(
        &emu,
        &[
            "message",
            "earlier",
            &case,
            "--create-time",
            &cursor,
            "--type",
            "1",
            "--limit",
            &over,
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = common::text(&out.stderr);
    assert!(
        err.contains("--limit") && err.contains(&top.to_string()),
        "{err}"
    );
    let most = rules::LIST_UNREAD_NEW_INSTANT_MESSAGES
        .param(Location::Query, "case_ids")
        .and_then(|r| r.max_items)
        .unwrap();
    let mut args = vec!["message".to_owned(), "unread".to_owned()];
    for i in 0..=most {
        args.extend(["--case-id".to_owned(), format!("CS{i}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = osm(&emu, &args).await;
    assert_eq!(out.status.code(), Some(2), "{}", common::text(&out.stderr));
    assert!(common::text(&out.stderr).contains("--case-id"));
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
