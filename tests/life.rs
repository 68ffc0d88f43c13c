//! A ticket's life through the library, against the emulator: counts by state, the
//! operation log of what was done, contact details changed and shown back, extra fields
//! submitted, relations created, listed and undone, one rating per completed ticket and
//! the dimensions it covers, the export as a workbook, the copied addresses and a report
//! of abuse; kept across a restart with a state file; and input refused before it is
//! sent, naming the field and the spec's limit.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::values::{CaseOperateType, CaseStatus};
use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};
use serde_json::{Value, json};

const AK: &str = "AKLIFE";
const SK: &str = "sk-life-secret";

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

async fn open_case(client: &Client, text: &str) -> String {
    client
        .create_case(&NewCase::new("1", text))
        .await
        .unwrap()
        .incident_id
}

async fn log_types(client: &Client, case: &str) -> Vec<CaseOperateType> {
    let logs = client
        .list_case_operate_logs()
        .case_id(case)
        .limit(100)
        .send()
        .await
        .unwrap();
    assert_eq!(
        logs.total_count,
        Some(logs.incident_operate_log_list.len() as i32)
    );
    logs.incident_operate_log_list
        .iter()
        .map(|l| l.operate_type.clone().unwrap())
        .collect()
}

async fn related(client: &Client, case: &str) -> Vec<String> {
    client
        .list_relation()
        .case_id(case)
        .send()
        .await
        .unwrap()
        .case_relation_list
        .iter()
        .map(|r| r.case_id.clone().unwrap())
        .collect()
}

#[tokio::test]
async fn counts_follow_the_tickets_states() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let a = open_case(&client, "first").await;
    let _b = open_case(&client, "second").await;
    let c = open_case(&client, "third").await;
    emu.set_case_status(&a, 1).unwrap();
    client
        .update_case()
        .case_id(&c)
        .action_id("cancel")
        .send()
        .await
        .unwrap();

    let counts = client.list_case_counts().send().await.unwrap();
    let got: Vec<(CaseStatus, i32)> = counts
        .incident_status_counts
        .iter()
        .map(|c| (c.status.clone().unwrap(), c.count.unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (CaseStatus::WaitingToBeAccepted, 1),
            (CaseStatus::BeingHandled, 1),
            (CaseStatus::Withdrawn, 1)
        ]
    );
    // One state asked for: answered even when no ticket is in it.
    let one = client.list_case_counts().status(4).send().await.unwrap();
    assert_eq!(one.incident_status_counts.len(), 1);
    assert_eq!(one.incident_status_counts[0].count, Some(1));
    let none = client.list_case_counts().status(3).send().await.unwrap();
    assert_eq!(none.incident_status_counts[0].count, Some(0));
    // The problem type filter (zh .md only): the tickets were opened with "1".
    let other = client
        .list_case_counts()
        .business_type_id("2")
        .send()
        .await
        .unwrap();
    assert!(other.incident_status_counts.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_log_records_what_was_done_and_contact_changes_show_in_the_detail() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let case = open_case(&client, "disk full on ecs-01").await;
    assert_eq!(log_types(&client, &case).await, [CaseOperateType::Created]);

    client
        .update_case_contact_info()
        .case_id(&case)
        .remind_mail("oncall@example.com")
        .remind_time("09:00-18:00")
        .send()
        .await
        .unwrap();
    let detail = client
        .show_case_detail()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    let ext = detail
        .incident_detail_info
        .as_ref()
        .unwrap()
        .ext_info
        .clone()
        .unwrap();
    assert_eq!(ext.remind_mail.as_deref(), Some("oncall@example.com"));
    assert_eq!(ext.remind_time.as_deref(), Some("09:00-18:00"));

    client
        .update_case()
        .case_id(&case)
        .action_id("press")
        .send()
        .await
        .unwrap();
    // A reply while support waits for feedback is logged as such; another is not.
    emu.reply(&case, "which disk?", Some(17)).unwrap();
    client
        .create_message()
        .case_id(&case)
        .message(json!({ "content": "the data disk" }))
        .send()
        .await
        .unwrap();
    client
        .create_message()
        .case_id(&case)
        .message(json!({ "content": "and the system disk" }))
        .send()
        .await
        .unwrap();
    client
        .update_case()
        .case_id(&case)
        .action_id("close")
        .send()
        .await
        .unwrap();
    assert_eq!(
        log_types(&client, &case).await,
        [
            CaseOperateType::Created,
            CaseOperateType::ContactChanged,
            CaseOperateType::Urged,
            CaseOperateType::FeedbackGiven,
            CaseOperateType::Closed,
        ]
    );
    // Paged, oldest first; each entry names the ticket, and its times read.
    let page = client
        .list_case_operate_logs()
        .case_id(&case)
        .offset(1)
        .limit(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(5));
    assert_eq!(page.incident_operate_log_list.len(), 2);
    let entry = &page.incident_operate_log_list[0];
    assert_eq!(entry.incident_id.as_deref(), Some(case.as_str()));
    assert_eq!(entry.operate_type, Some(CaseOperateType::ContactChanged));
    assert!(entry.operate_time.is_some() && entry.timestamp_operate_time.is_some());
    // A deleted ticket's log still shows its deletion.
    client
        .update_case()
        .case_id(&case)
        .action_id("delete")
        .send()
        .await
        .unwrap();
    assert_eq!(
        log_types(&client, &case).await.last(),
        Some(&CaseOperateType::Deleted)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn relations_are_created_listed_and_undone() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let max = rules::CREATE_RELATIONS
        .body_field("related_id_list")
        .and_then(|r| r.max_items)
        .unwrap();
    let main = open_case(&client, "main").await;
    let mut others = Vec::new();
    for i in 0..=max {
        others.push(open_case(&client, &format!("other {i}")).await);
    }
    client
        .create_relations()
        .case_id(&main)
        .related_id_list(&others[..2])
        .send()
        .await
        .unwrap();
    // Relating one again keeps it once.
    client
        .create_relations()
        .case_id(&main)
        .related_id_list([&others[0]])
        .send()
        .await
        .unwrap();
    assert_eq!(related(&client, &main).await, others[..2]);
    let list = client.list_relation().case_id(&main).send().await.unwrap();
    assert_eq!(
        list.case_relation_list[0].simple_description.as_deref(),
        Some("other 0")
    );
    assert_eq!(
        list.case_relation_list[0].user_name.as_deref(),
        Some(AK),
        "the account that opened it"
    );

    // Up to the spec's number, then refused.
    client
        .create_relations()
        .case_id(&main)
        .related_id_list(&others[2..max])
        .send()
        .await
        .unwrap();
    let err = client
        .create_relations()
        .case_id(&main)
        .related_id_list([&others[max]])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    assert!(err.to_string().contains(&format!("at most {max}")), "{err}");
    // Not to itself, nor to a ticket that does not exist.
    let err = client
        .create_relations()
        .case_id(&others[max])
        .related_id_list([&others[max]])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    let err = client
        .create_relations()
        .case_id(&others[max])
        .related_id_list(["no-such-ticket"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");

    client
        .delete_relation()
        .case_id(&main)
        .related_id(&others[0])
        .send()
        .await
        .unwrap();
    assert_eq!(related(&client, &main).await, others[1..max]);
    // Undoing a relation that does not exist is passed over.
    client
        .delete_relation()
        .case_id(&main)
        .related_id(&others[0])
        .send()
        .await
        .unwrap();
    // A related ticket that is deleted drops out of the list.
    client
        .update_case()
        .case_id(&others[1])
        .action_id("cancel")
        .send()
        .await
        .unwrap();
    client
        .update_case()
        .case_id(&others[1])
        .action_id("delete")
        .send()
        .await
        .unwrap();
    assert_eq!(related(&client, &main).await, others[2..max]);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_completed_ticket_is_rated_once_and_the_detail_shows_it() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let dims = client.list_satisfaction_dimensions().send().await.unwrap();
    assert_eq!(
        dims.total_count,
        Some(dims.satisfaction_dimension_list.len() as i32)
    );
    let dim = &dims.satisfaction_dimension_list[0];
    let (id, top) = (dim.satisfaction_id.unwrap(), dim.value.unwrap());
    let case = open_case(&client, "slow disk").await;
    let ratings = || [json!({ "satisfaction_id": id, "satisfaction_value": top })];

    // Not before the ticket is completed: a business error, the ticket's state named.
    let err = client
        .create_scores()
        .case_id(&case)
        .judgement("quick")
        .incident_satisfaction_list(ratings())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    assert!(err.to_string().contains("completed"), "{err}");

    client
        .update_case()
        .case_id(&case)
        .action_id("close")
        .send()
        .await
        .unwrap();
    // A score above the dimension's highest one, or of an unknown dimension, is refused.
    let err = client
        .create_scores()
        .case_id(&case)
        .judgement("quick")
        .incident_satisfaction_list([
            json!({ "satisfaction_id": id, "satisfaction_value": top + 1 }),
        ])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    client
        .create_scores()
        .case_id(&case)
        .judgement("quick and right")
        .incident_satisfaction_list(ratings())
        .send()
        .await
        .unwrap();
    let detail = client
        .show_case_detail()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    let info = detail.incident_detail_info.as_ref().unwrap();
    assert_eq!(info.judgement.as_deref(), Some("quick and right"));
    assert_eq!(info.incident_satisfaction.len(), 1);
    assert_eq!(
        info.incident_satisfaction[0].satisfaction_id,
        Some(id.into())
    );
    assert_eq!(
        info.incident_satisfaction[0].satisfaction_value,
        Some(top.into())
    );
    assert_eq!(
        info.incident_satisfaction[0].satisfaction_name,
        dim.satisfaction_name
    );
    // Once only.
    let err = client
        .create_scores()
        .case_id(&case)
        .judgement("changed my mind")
        .incident_satisfaction_list(ratings())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    assert!(err.to_string().contains("rated already"), "{err}");
    assert_eq!(
        log_types(&client, &case).await,
        [
            CaseOperateType::Created,
            CaseOperateType::Closed,
            CaseOperateType::Rated
        ]
    );

    // Closing with a verdict rates the ticket too.
    let other = open_case(&client, "closed with a verdict").await;
    client
        .update_case()
        .case_id(&other)
        .action_id("close")
        .judgement("fine")
        .incident_satisfaction_list(ratings())
        .send()
        .await
        .unwrap();
    let detail = client
        .show_case_detail()
        .case_id(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(
        detail
            .incident_detail_info
            .as_ref()
            .unwrap()
            .judgement
            .as_deref(),
        Some("fine")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_export_is_a_workbook_of_the_matching_tickets() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let a = open_case(&client, "exported one").await;
    let b = open_case(&client, "exported two").await;
    let c = open_case(&client, "left out").await;

    let mut file = Vec::new();
    let got = client
        .download_cases()
        .language("en-us")
        .timezone("GMT+8")
        .incident_id(format!("{a},{b}"))
        .send_to(&mut file, 1 << 20)
        .await
        .unwrap();
    assert_eq!(got.bytes, file.len() as u64);
    assert_eq!(got.file_name.as_deref(), Some("cases.xlsx"));
    // A zip archive (its parts are stored, so their text can be read as it is).
    assert!(file.starts_with(b"PK\x03\x04"), "{:?}", &file[..4]);
    let text = String::from_utf8_lossy(&file);
    assert!(text.contains("xl/worksheets/sheet1.xml"));
    assert!(text.contains("Ticket ID") && text.contains(a.as_str()) && text.contains(b.as_str()));
    assert!(!text.contains(c.as_str()));
    // Each exported ticket's log notes the export; the other's does not.
    assert_eq!(
        log_types(&client, &a).await.last(),
        Some(&CaseOperateType::Exported)
    );
    assert_eq!(log_types(&client, &c).await, [CaseOperateType::Created]);

    // Saved to a file, in Chinese, filtered by a keyword.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.xlsx");
    client
        .download_cases()
        .language("zh-cn")
        .timezone("GMT+8")
        .search_key("left")
        .save(&path, 1 << 20)
        .await
        .unwrap();
    let saved = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&saved);
    assert!(text.contains("工单编号") && text.contains(c.as_str()));
    assert!(!text.contains(a.as_str()));
    // A limit smaller than the file refuses it.
    let err = client
        .download_cases()
        .language("en-us")
        .timezone("GMT+8")
        .send_to(&mut Vec::new(), 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn extra_fields_cc_addresses_and_reports_are_accepted() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);
    let case = open_case(&client, "extra fields").await;
    client
        .create_case_extends_param()
        .case_id(&case)
        .extends_map(json!({ "instance_id": "i-1" }))
        .send()
        .await
        .unwrap();
    client
        .create_case_extends_param()
        .case_id(&case)
        .extends_map(json!({ "az": "az1" }))
        .message_id("m-1")
        .send()
        .await
        .unwrap();
    client
        .show_case_extends_param()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    // The service answers no values; the emulator's admin route shows what it holds.
    let stored = admin_get(&emu, &format!("tickets/{case}/extends-param")).await;
    assert_eq!(
        stored,
        json!({ "extends_map": { "instance_id": "i-1", "az": "az1" }, "message_id": "m-1" })
    );
    let err = client
        .show_case_extends_param()
        .case_id("no-such-ticket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");

    let cc = client.list_case_cc_emails().send().await.unwrap();
    assert_eq!(
        cc.cc_email_info.as_ref().unwrap().customer_id.as_deref(),
        Some(AK)
    );
    assert!(cc.mc_email_infos.is_empty());

    // A report names uploaded attachments only.
    let proof = client
        .upload_json_attachment()
        .accessory_name("proof.txt")
        .accessory_from("incident")
        .accessory_data(base64_of(b"proof"))
        .send()
        .await
        .unwrap()
        .accessory_id
        .clone()
        .unwrap();
    let contacts = |files: &str| json!({ "name": "Jane Doe", "mobile": "+86 100 0000", "id_type": 20, "id_files": [files] });
    client
        .create_feedback()
        .type_("copyright")
        .title("OBS;https://example.com/copy")
        .content("a copy of my book")
        .files([&proof])
        .contacts(contacts(&proof))
        .send()
        .await
        .unwrap();
    let err = client
        .create_feedback()
        .type_("copyright")
        .title("OBS")
        .content("a copy of my book")
        .files(["no-such-file"])
        .contacts(contacts(&proof))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    assert!(err.to_string().contains("files"), "{err}");
    emu.shutdown().await;
}

/// `GET /__emulator/ROUTE` over a plain connection, and its JSON answer.
async fn admin_get(emu: &RunningEmulator, route: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(emu.local_addr())
        .await
        .unwrap();
    let request =
        format!("GET /__emulator/{route} HTTP/1.1\r\nHost: emulator\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    serde_json::from_str(body).unwrap()
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn a_restart_with_a_state_file_keeps_relations_ratings_contacts_and_logs() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    let a = open_case(&client, "kept a").await;
    let b = open_case(&client, "kept b").await;
    client
        .create_relations()
        .case_id(&a)
        .related_id_list([&b])
        .send()
        .await
        .unwrap();
    client
        .update_case_contact_info()
        .case_id(&a)
        .remind_mobile("13800000000")
        .area_code("86")
        .send()
        .await
        .unwrap();
    client
        .update_case()
        .case_id(&a)
        .action_id("close")
        .send()
        .await
        .unwrap();
    client
        .create_scores()
        .case_id(&a)
        .judgement("kept")
        .incident_satisfaction_list([json!({ "satisfaction_id": 1, "satisfaction_value": 4 })])
        .send()
        .await
        .unwrap();
    emu.shutdown().await;

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu);
    assert_eq!(related(&client, &a).await, std::slice::from_ref(&b));
    let detail = client.show_case_detail().case_id(&a).send().await.unwrap();
    let info = detail.incident_detail_info.as_ref().unwrap();
    assert_eq!(info.judgement.as_deref(), Some("kept"));
    assert_eq!(
        info.ext_info.as_ref().unwrap().remind_mobile.as_deref(),
        Some("13800000000")
    );
    assert_eq!(
        log_types(&client, &a).await,
        [
            CaseOperateType::Created,
            CaseOperateType::ContactChanged,
            CaseOperateType::Closed,
            CaseOperateType::Rated
        ]
    );
    // The rating is still the only one.
    let err = client
        .create_scores()
        .case_id(&a)
        .judgement("again")
        .incident_satisfaction_list([json!({ "satisfaction_id": 1, "satisfaction_value": 4 })])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu);

    let items = rules::CREATE_RELATIONS
        .body_field("related_id_list")
        .unwrap();
    let max = items.max_items.unwrap();
    let err = client
        .create_relations()
        .case_id("c")
        .related_id_list((0..=max).map(|i| format!("t{i}")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "related_id_list");
    assert!(
        err.to_string().contains(&max.to_string())
            && err.to_string().contains(&(max + 1).to_string()),
        "{err}"
    );

    let judgement = rules::CREATE_SCORES.body_field("judgement").unwrap();
    let top = judgement.max_length.unwrap();
    let err = client
        .create_scores()
        .case_id("c")
        .judgement("j".repeat(top + 1))
        .incident_satisfaction_list([])
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "judgement");
    assert!(
        err.to_string().contains(&format!(
            "is {} characters long; the maximum length is {top}",
            top + 1
        )),
        "{err}"
    );

    let mail = rules::UPDATE_CASE_CONTACT_INFO
        .body_field("remind_mail")
        .unwrap();
    let top = mail.max_length.unwrap();
    let err = client
        .update_case_contact_info()
        .case_id("c")
        .remind_mail("m".repeat(top + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "remind_mail");

    // download_cases: language and timezone are required; a limit over the spec's.
    let err = client
        .download_cases()
        .timezone("GMT+8")
        .send_to(&mut Vec::new(), 1024)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "language");
    let limit = rules::DOWNLOAD_CASES
        .param(Location::Query, "limit")
        .unwrap();
    let top = limit.maximum.unwrap();
    let err = client
        .list_case_operate_logs()
        .case_id("c")
        .limit(
            rules::LIST_CASE_OPERATE_LOGS
                .param(Location::Query, "limit")
                .unwrap()
                .maximum
                .unwrap()
                + 1,
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "limit");
    let err = client
        .download_cases()
        .language("en-us")
        .timezone("GMT+8")
        .limit(top + 1)
        .send_to(&mut Vec::new(), 1024)
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "limit");
    assert!(err.to_string().contains(&top.to_string()), "{err}");

    // A report's contact must carry the required members.
    let err = client
        .create_feedback()
        .type_("copyright")
        .title("t")
        .content("c")
        .files(["f"])
        .contacts(json!({ "name": "n", "mobile": "1", "id_type": 20 }))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("id_files"), "{err}");
    let files = rules::CREATE_FEEDBACK.body_field("files").unwrap();
    let err = client
        .create_feedback()
        .type_("copyright")
        .title("t")
        .content("c")
        .files((0..=files.max_items.unwrap()).map(|i| format!("f{i}")))
        .contacts(json!({ "name": "n", "mobile": "1", "id_type": 20, "id_files": ["f"] }))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "files");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
