//! Labels through the library, against the emulator: the account's labels (create,
//! list, update, delete), the labels on a ticket (put on, list, filter list_cases by
//! them, take off), kept across a restart with a state file, cleared by a reset,
//! bounded by the emulator's records limit; and input refused before it is sent.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};
use serde_json::{Value, json};

const AK: &str = "AKLABELS";
const SK: &str = "sk-labels-secret";

fn builder() -> EmulatorBuilder {
    Emulator::builder().ak_sk(AK, SK)
}

fn client_for(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .build()
        .unwrap()
}

/// Creates a label and finds its id by its name (create_labels does not answer it).
async fn label(client: &Client, name: &str, color: &str) -> i64 {
    client
        .create_labels()
        .name(name)
        .color(color)
        .send()
        .await
        .unwrap();
    let found = client.list_labels().name(name).send().await.unwrap();
    let hit = found
        .label_list
        .iter()
        .find(|l| l.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("label {name} not listed: {:?}", found.label_list));
    hit.label_id.unwrap()
}

async fn open_case(client: &Client, text: &str) -> String {
    client
        .create_case(&NewCase::new("1", text))
        .await
        .unwrap()
        .incident_id
}

fn ids(list: &[impl serde::Serialize]) -> Vec<i64> {
    list.iter()
        .map(|l| {
            serde_json::to_value(l).unwrap()["label_id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn labels_are_created_listed_renamed_and_deleted() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let urgent = label(&client, "urgent", "#ff0000").await;
    let billing = label(&client, "billing-team", "#00ff00").await;
    assert_ne!(urgent, billing);

    let all = client.list_labels().send().await.unwrap();
    assert_eq!(all.total_count, Some(2));
    assert_eq!(ids(&all.label_list), [urgent, billing]);
    assert_eq!(all.label_list[0].color.as_deref(), Some("#ff0000"));
    // Name filter: a part of the name; id filter; paging.
    let part = client.list_labels().name("team").send().await.unwrap();
    assert_eq!(ids(&part.label_list), [billing]);
    let one = client.list_labels().label_id(urgent).send().await.unwrap();
    assert_eq!(ids(&one.label_list), [urgent]);
    let page = client
        .list_labels()
        .offset(1)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(ids(&page.label_list), [billing]);

    client
        .update_labels()
        .label_id(urgent)
        .name("very urgent")
        .color("#aa0000")
        .send()
        .await
        .unwrap();
    let one = client.list_labels().label_id(urgent).send().await.unwrap();
    assert_eq!(one.label_list[0].name.as_deref(), Some("very urgent"));
    assert_eq!(one.label_list[0].color.as_deref(), Some("#aa0000"));

    client
        .delete_labels()
        .label_id(billing)
        .send()
        .await
        .unwrap();
    let all = client.list_labels().send().await.unwrap();
    assert_eq!(ids(&all.label_list), [urgent]);
    // A deleted label is gone: changing it again is refused, and its id is not reused.
    let err = client
        .delete_labels()
        .label_id(billing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let third = label(&client, "third", "#0000ff").await;
    assert!(third > billing, "{third} after {billing}");
    emu.shutdown().await;
}

#[tokio::test]
async fn labels_on_a_ticket_follow_it_into_list_cases() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let red = label(&client, "red", "#ff0000").await;
    let blue = label(&client, "blue", "#0000ff").await;
    let marked = open_case(&client, "disk full on ecs-01").await;
    let plain = open_case(&client, "question about billing").await;

    client
        .create_case_labels()
        .case_id(&marked)
        .label_ids([json!(red), json!(blue)])
        .send()
        .await
        .unwrap();
    // Putting a label on twice keeps it once.
    client
        .create_case_labels()
        .case_id(&marked)
        .label_ids([json!(red)])
        .send()
        .await
        .unwrap();
    let on = client
        .list_case_labels()
        .case_id(&marked)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&on.case_label_list), [red, blue]);
    assert_eq!(on.case_label_list[1].name.as_deref(), Some("blue"));
    let none = client
        .list_case_labels()
        .case_id(&plain)
        .send()
        .await
        .unwrap();
    assert!(none.case_label_list.is_empty());

    // list_cases: each ticket's label_list, and the label_id_list filter.
    let listed = client.list_cases().send().await.unwrap();
    assert_eq!(listed.total_count, Some(2));
    for case in &listed.incident_info_list {
        let want = if case.incident_id.as_deref() == Some(marked.as_str()) {
            vec![red, blue]
        } else {
            vec![]
        };
        assert_eq!(ids(&case.label_list), want, "{:?}", case.incident_id);
    }
    let filtered = client
        .list_cases()
        .label_id_list([blue.to_string()])
        .send()
        .await
        .unwrap();
    let found: Vec<&str> = filtered
        .incident_info_list
        .iter()
        .filter_map(|c| c.incident_id.as_deref())
        .collect();
    assert_eq!(found, [marked.as_str()]);

    // A renamed label shows its new name on the ticket.
    client
        .update_labels()
        .label_id(blue)
        .name("navy")
        .color("#000080")
        .send()
        .await
        .unwrap();
    let on = client
        .list_case_labels()
        .case_id(&marked)
        .send()
        .await
        .unwrap();
    assert_eq!(on.case_label_list[1].name.as_deref(), Some("navy"));

    // Taking one off; deleting the other takes it off the ticket too.
    client
        .delete_case_labels()
        .case_id(&marked)
        .label_ids([json!(red)])
        .send()
        .await
        .unwrap();
    let on = client
        .list_case_labels()
        .case_id(&marked)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&on.case_label_list), [blue]);
    client.delete_labels().label_id(blue).send().await.unwrap();
    let on = client
        .list_case_labels()
        .case_id(&marked)
        .send()
        .await
        .unwrap();
    assert!(on.case_label_list.is_empty(), "{:?}", on.case_label_list);
    let filtered = client
        .list_cases()
        .label_id_list([blue.to_string()])
        .send()
        .await
        .unwrap();
    assert_eq!(filtered.total_count, Some(0));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_ticket_carries_at_most_the_spec_s_number_of_labels() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let max = rules::CREATE_CASE_LABELS
        .param(Location::Query, "label_ids")
        .and_then(|r| r.max_items)
        .unwrap();
    let case = open_case(&client, "many labels").await;
    let mut all = Vec::new();
    for i in 0..=max {
        all.push(label(&client, &format!("l{i}"), "#000000").await);
    }
    client
        .create_case_labels()
        .case_id(&case)
        .label_ids(all[..max].iter().map(|id| json!(id)))
        .send()
        .await
        .unwrap();
    // One more, in a second request (the request itself is within the limit).
    let err = client
        .create_case_labels()
        .case_id(&case)
        .label_ids([json!(all[max])])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    assert!(
        err.error_msg()
            .is_some_and(|m| m.contains(&format!("at most {max}"))),
        "{err}"
    );
    let on = client
        .list_case_labels()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&on.case_label_list), all[..max]);
    // Unknown labels and tickets are refused.
    let err = client
        .create_case_labels()
        .case_id(&case)
        .label_ids([json!(all[max] + 1000)])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let err = client
        .list_case_labels()
        .case_id("no-such-ticket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_restart_with_a_state_file_keeps_labels_and_their_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    let kept = label(&client, "kept", "#123456").await;
    let dropped = label(&client, "dropped", "#654321").await;
    let case = open_case(&client, "survives a restart").await;
    client
        .create_case_labels()
        .case_id(&case)
        .label_ids([json!(kept), json!(dropped)])
        .send()
        .await
        .unwrap();
    client
        .delete_labels()
        .label_id(dropped)
        .send()
        .await
        .unwrap();
    // A reset is refused with a state file, and clears nothing.
    assert!(emu.reset().is_err());
    emu.shutdown().await;

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    let all = client.list_labels().send().await.unwrap();
    assert_eq!(ids(&all.label_list), [kept]);
    assert_eq!(all.label_list[0].color.as_deref(), Some("#123456"));
    let on = client
        .list_case_labels()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&on.case_label_list), [kept]);
    let filtered = client
        .list_cases()
        .label_id_list([kept.to_string()])
        .send()
        .await
        .unwrap();
    assert_eq!(
        filtered.incident_info_list[0].incident_id.as_deref(),
        Some(case.as_str())
    );
    // Ids go on after the restart: none is given twice.
    let next = label(&client, "next", "#000000").await;
    assert!(next > dropped, "{next} after {dropped}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_reset_clears_labels_and_their_tickets() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let id = label(&client, "gone", "#ffffff").await;
    let case = open_case(&client, "reset").await;
    client
        .create_case_labels()
        .case_id(&case)
        .label_ids([json!(id)])
        .send()
        .await
        .unwrap();
    let cleared = emu.reset().unwrap();
    // The label and the ticket's list of labels.
    assert_eq!(cleared.get("records"), Some(&2), "{cleared:?}");
    let all = client.list_labels().send().await.unwrap();
    assert_eq!(all.total_count, Some(0));
    assert!(all.label_list.is_empty());
    // Over HTTP too.
    label(&client, "again", "#ffffff").await;
    let answer = post_reset(&emu).await;
    assert_eq!(answer["cleared"]["records"], 1, "{answer}");
    assert_eq!(
        client.list_labels().send().await.unwrap().total_count,
        Some(0)
    );
    emu.shutdown().await;
}

/// `POST /__emulator/reset` over a plain connection, and its JSON answer.
async fn post_reset(emu: &RunningEmulator) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(emu.local_addr())
        .await
        .unwrap();
    conn.write_all(
        b"POST /__emulator/reset HTTP/1.1\r\nHost: emulator\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

#[tokio::test]
async fn the_emulator_keeps_at_most_max_records() {
    let emu = builder().max_records(2).start().await.unwrap();
    let client = client_for(&emu);
    label(&client, "one", "#000000").await;
    label(&client, "two", "#000000").await;
    let err = client
        .create_labels()
        .name("three")
        .color("#000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(500), "{err}");
    assert_eq!(err.error_code(), Some("OSM.0004"));
    assert!(
        err.error_msg().is_some_and(|m| m.contains("max_records")),
        "{err}"
    );
    assert_eq!(
        client.list_labels().send().await.unwrap().total_count,
        Some(2)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);

    let name = rules::CREATE_LABELS.body_field("name").unwrap();
    let max = name.max_length.unwrap();
    let err = client
        .create_labels()
        .name("n".repeat(max + 1))
        .color("#000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "name");
    assert!(
        err.to_string().contains(&format!(
            "is {} characters long; the maximum length is {max}",
            max + 1
        )),
        "{err}"
    );
    // The colour is required.
    let err = client.create_labels().name("x").send().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "color");

    let items = rules::DELETE_CASE_LABELS
        .param(Location::Query, "label_ids")
        .unwrap();
    let max_items = items.max_items.unwrap();
    let err = client
        .delete_case_labels()
        .case_id("c")
        .label_ids((0..=max_items).map(|i| json!(i)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "label_ids");
    assert!(
        err.to_string().contains(&max_items.to_string())
            && err.to_string().contains(&(max_items + 1).to_string()),
        "{err}"
    );

    let limit = rules::LIST_LABELS.param(Location::Query, "limit").unwrap();
    let top = limit.maximum.unwrap();
    let err = client
        .list_labels()
        .limit(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "limit");
    assert!(err.to_string().contains(&top.to_string()), "{err}");

    let id = rules::UPDATE_LABELS
        .param(Location::Path, "label_id")
        .unwrap();
    let err = client
        .update_labels()
        .label_id(id.maximum.unwrap() + 1)
        .name("x")
        .color("#000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "label_id");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
