//! Instant messages through the library, against the emulator: polling tickets for new
//! messages with the answer's cursor, counting unread ones, marking them read (a message
//! read stays read), paging back through history, withdrawing one's own message (gone
//! from every listing); read marks and withdrawals kept across a restart with a state
//! file; and input refused before it is sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};

const AK: &str = "AKINSTANT";
const SK: &str = "sk-instant-secret";

/// An emulator whose clock moves on 10 ms at every reading (from the time it is built),
/// so that each message has a time of its own.
fn builder(ticks: &Arc<AtomicU64>) -> EmulatorBuilder {
    let ticks = Arc::clone(ticks);
    let start = SystemTime::now();
    Emulator::builder()
        .ak_sk(AK, SK)
        .clock(move || start + Duration::from_millis(10 * ticks.fetch_add(1, Ordering::SeqCst)))
}

fn client_for(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .build()
        .unwrap()
}

async fn open_case(client: &Client, text: &str) -> String {
    client
        .create_case(&NewCase::new("1", text))
        .await
        .unwrap()
        .incident_id
}

/// The contents of the messages of ticket `case` that list_messages shows.
async fn listed(client: &Client, case: &str) -> Vec<String> {
    let answer = client
        .list_messages()
        .case_id(case)
        .limit(100)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.count, Some(answer.message_list.len() as i64));
    answer
        .message_list
        .iter()
        .filter_map(|m| m.content.clone())
        .collect()
}

/// The unread count of each ticket, as list_unread_new_instant_messages answers it.
async fn unread(client: &Client, cases: &[&str]) -> Vec<(String, i32)> {
    client
        .list_unread_new_instant_messages()
        .case_ids(cases)
        .send()
        .await
        .unwrap()
        .into_inner()
        .imunread
        .iter()
        .map(|u| (u.incident_id.clone().unwrap(), u.unread_num.unwrap()))
        .collect()
}

/// The id show_case_detail gives the message of ticket `case` with this content.
async fn message_id(client: &Client, case: &str, content: &str) -> String {
    let detail = client
        .show_case_detail()
        .case_id(case)
        .send()
        .await
        .unwrap()
        .into_inner();
    let messages = detail.incident_detail_info.unwrap().message_list;
    messages
        .iter()
        .find(|m| m.content.as_deref() == Some(content))
        .and_then(|m| m.message_id.clone())
        .unwrap_or_else(|| panic!("no message {content:?} in {messages:?}"))
}

#[tokio::test]
async fn polls_answer_what_is_new_and_read_marks_stay() {
    let ticks = Arc::new(AtomicU64::new(0));
    let emu = builder(&ticks).start().await.unwrap();
    let client = client_for(&emu);
    let a = open_case(&client, "disk full on ecs-01").await;
    let b = open_case(&client, "billing question").await;
    client.reply(&a, "df output attached").await.unwrap();
    emu.reply(&a, "please run du -sh /var", Some(17)).unwrap();
    emu.reply(&a, "and send the output", None).unwrap();

    // Support's two messages are unread; b has none.
    assert_eq!(
        unread(&client, &[&a, &b]).await,
        [(a.clone(), 2), (b.clone(), 0)]
    );
    let counts = client
        .list_unread_new_instant_messages()
        .case_ids([&a])
        .send()
        .await
        .unwrap();
    assert_eq!(counts.imunread[0].status, Some(17), "the ticket's state");

    // The first poll answers the whole conversations and a cursor.
    let first = client
        .list_new_instant_messages()
        .case_ids([a.as_str(), b.as_str(), "no-such-ticket"])
        .send()
        .await
        .unwrap()
        .into_inner();
    let states: Vec<(Option<String>, Option<i32>)> = first
        .imstatus
        .iter()
        .map(|s| (s.incident_id.clone(), s.status))
        .collect();
    assert_eq!(
        states,
        [(Some(a.clone()), Some(0)), (Some(b.clone()), Some(1))],
        "unread, read; the unknown ticket is passed over"
    );
    let of_a = first
        .immsg
        .iter()
        .find(|m| m.incident_id.as_deref() == Some(a.as_str()))
        .unwrap();
    let contents: Vec<&str> = of_a
        .message_list
        .iter()
        .filter_map(|m| m.content.as_deref())
        .collect();
    assert_eq!(
        contents,
        [
            "disk full on ecs-01",
            "df output attached",
            "please run du -sh /var",
            "and send the output"
        ]
    );
    assert_eq!(of_a.message_list[2].type_, Some(1));
    let cursor = first.last_message_time_id.clone().unwrap();
    assert!(!cursor.is_empty());

    // With the cursor, nothing is new until support writes again.
    let again = client
        .list_new_instant_messages()
        .case_ids([&a, &b])
        .last_message_time_id(&cursor)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(again.immsg.is_empty(), "{:?}", again.immsg);
    assert_eq!(again.last_message_time_id.as_deref(), Some(cursor.as_str()));
    emu.reply(&b, "your invoice is attached", None).unwrap();
    let fresh = client
        .list_new_instant_messages()
        .case_ids([&a, &b])
        .last_message_time_id(&cursor)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fresh.immsg.len(), 1, "{:?}", fresh.immsg);
    assert_eq!(fresh.immsg[0].incident_id.as_deref(), Some(b.as_str()));
    assert_eq!(
        fresh.immsg[0].message_list[0].content.as_deref(),
        Some("your invoice is attached")
    );
    assert_ne!(fresh.last_message_time_id, Some(cursor));

    // Marking a ticket read; a later message is unread, the earlier stay read.
    client
        .update_new_instant_messages_read()
        .case_id(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(
        unread(&client, &[&a, &b]).await,
        [(a.clone(), 0), (b.clone(), 1)]
    );
    emu.reply(&a, "any news?", None).unwrap();
    assert_eq!(unread(&client, &[&a]).await, [(a.clone(), 1)]);
    let polled = client
        .list_new_instant_messages()
        .case_ids([&a])
        .send()
        .await
        .unwrap();
    assert_eq!(polled.imstatus[0].status, Some(0));
    client
        .update_new_instant_messages_read()
        .case_id(&a)
        .group_id("")
        .send()
        .await
        .unwrap();
    assert_eq!(unread(&client, &[&a]).await, [(a.clone(), 0)]);

    // A ticket the emulator does not hold cannot be marked read.
    let err = client
        .update_new_instant_messages_read()
        .case_id("no-such-ticket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn earlier_messages_page_back_through_the_history() {
    let ticks = Arc::new(AtomicU64::new(0));
    let emu = builder(&ticks).start().await.unwrap();
    let client = client_for(&emu);
    let case = open_case(&client, "m0").await;
    for i in 1..=4 {
        if i % 2 == 0 {
            emu.reply(&case, &format!("m{i}"), None).unwrap();
        } else {
            client.reply(&case, format!("m{i}")).await.unwrap();
        }
    }
    let all = client
        .list_messages()
        .case_id(&case)
        .send()
        .await
        .unwrap()
        .into_inner()
        .message_list;
    let newest = all.last().unwrap();
    let before = |time: String, limit: i64| {
        let client = &client;
        let case = &case;
        async move {
            client
                .list_more_instant_messages()
                .case_id(case)
                .create_time(time)
                .type_(1)
                .limit(limit)
                .send()
                .await
                .unwrap()
                .into_inner()
        }
    };
    // The time as the answers show it.
    let page = before(newest.create_time.clone().unwrap(), 2).await;
    assert_eq!(page.count, Some(4), "m0 to m3 are earlier than m4");
    let contents: Vec<_> = page
        .message_list
        .iter()
        .filter_map(|m| m.content.clone())
        .collect();
    assert_eq!(contents, ["m2", "m3"], "the latest two, oldest first");
    // And as a timestamp in milliseconds, from the oldest message of the page.
    let cursor = client
        .list_new_instant_messages()
        .case_ids([&case])
        .send()
        .await
        .unwrap()
        .into_inner()
        .last_message_time_id
        .unwrap();
    let millis: u128 = cursor.parse().expect("the cursor is a timestamp in ms");
    let page = before(millis.to_string(), 10).await;
    assert_eq!(page.count, Some(4), "strictly before the newest message");
    let page = before((millis + 1).to_string(), 0).await;
    assert_eq!(page.count, Some(5));
    assert!(page.message_list.is_empty(), "a limit of 0 answers none");
    let err = client
        .list_more_instant_messages()
        .case_id(&case)
        .create_time("yesterday")
        .type_(0)
        .limit(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    assert!(
        err.error_msg().is_some_and(|m| m.contains("create_time")),
        "{err}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_withdrawn_message_is_gone_from_every_listing() {
    let ticks = Arc::new(AtomicU64::new(0));
    let emu = builder(&ticks).start().await.unwrap();
    let client = client_for(&emu);
    let case = open_case(&client, "vpn down").await;
    client.reply(&case, "oops, wrong ticket").await.unwrap();
    client.reply(&case, "tunnel 2 is down").await.unwrap();
    emu.reply(&case, "looking into it", None).unwrap();
    assert_eq!(
        listed(&client, &case).await,
        [
            "vpn down",
            "oops, wrong ticket",
            "tunnel 2 is down",
            "looking into it"
        ]
    );
    let oops = message_id(&client, &case, "oops, wrong ticket").await;
    let kept = message_id(&client, &case, "tunnel 2 is down").await;
    client
        .revoke_message()
        .case_id(&case)
        .message_id(&oops)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed(&client, &case).await,
        ["vpn down", "tunnel 2 is down", "looking into it"]
    );
    // The other ids stay as they were.
    assert_eq!(message_id(&client, &case, "tunnel 2 is down").await, kept);
    let polled = client
        .list_new_instant_messages()
        .case_ids([&case])
        .send()
        .await
        .unwrap();
    assert!(
        polled.immsg[0]
            .message_list
            .iter()
            .all(|m| m.content.as_deref() != Some("oops, wrong ticket"))
    );

    // Refusals: twice; the description; support's message; no such message.
    let err = client
        .revoke_message()
        .case_id(&case)
        .message_id(&oops)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    let first = message_id(&client, &case, "vpn down").await;
    let err = client
        .revoke_message()
        .case_id(&case)
        .message_id(&first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    let theirs = message_id(&client, &case, "looking into it").await;
    let err = client
        .revoke_message()
        .case_id(&case)
        .message_id(&theirs)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    let err = client
        .revoke_message()
        .case_id(&case)
        .message_id(format!("{case}-99"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn read_marks_and_withdrawals_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let ticks = Arc::new(AtomicU64::new(0));
    let emu = builder(&ticks).state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    let case = open_case(&client, "kept across restarts").await;
    client.reply(&case, "withdraw me").await.unwrap();
    emu.reply(&case, "read me", None).unwrap();
    let gone = message_id(&client, &case, "withdraw me").await;
    client
        .revoke_message()
        .case_id(&case)
        .message_id(&gone)
        .send()
        .await
        .unwrap();
    client
        .update_new_instant_messages_read()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    assert!(emu.reset().is_err(), "a reset is refused with a state file");
    emu.shutdown().await;

    let emu = builder(&ticks).state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    assert_eq!(unread(&client, &[&case]).await, [(case.clone(), 0)]);
    assert_eq!(
        listed(&client, &case).await,
        ["kept across restarts", "read me"]
    );
    emu.reply(&case, "after the restart", None).unwrap();
    assert_eq!(unread(&client, &[&case]).await, [(case.clone(), 1)]);
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let ticks = Arc::new(AtomicU64::new(0));
    let emu = builder(&ticks).start().await.unwrap();
    let client = client_for(&emu);

    let ids = rules::LIST_NEW_INSTANT_MESSAGES
        .param(Location::Query, "case_ids")
        .unwrap();
    let most = ids.max_items.unwrap();
    let many: Vec<String> = (0..=most).map(|i| format!("CS{i}")).collect();
    let err = client
        .list_new_instant_messages()
        .case_ids(&many)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "case_ids");
    assert!(
        err.to_string().contains(&most.to_string())
            && err.to_string().contains(&(most + 1).to_string()),
        "{err}"
    );
    // case_ids is required.
    let err = client
        .list_unread_new_instant_messages()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "case_ids");

    let limit = rules::LIST_MORE_INSTANT_MESSAGES
        .param(Location::Query, "limit")
        .unwrap();
    let top = limit.maximum.unwrap();
    let err = client
        .list_more_instant_messages()
        .case_id("CS1")
        .create_time("1")
        .type_(0)
        .limit(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "limit");
    assert!(err.to_string().contains(&top.to_string()), "{err}");

    let message = rules::REVOKE_MESSAGE
        .param(Location::Path, "message_id")
        .unwrap();
    let max = message.max_length.unwrap();
    let err = client
        .revoke_message()
        .case_id("CS1")
        .message_id("m".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "message_id");
    assert!(
        err.to_string().contains(&format!(
            "is {} characters long; the maximum length is {max}",
            max + 1
        )),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
