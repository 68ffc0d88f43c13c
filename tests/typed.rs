//! Issue "Typed": the follow-up calls as typed as the create. An alert handler written
//! against the library, run against the emulator, with no string where the spec has an
//! enum, no `as_object().unwrap()` and no magic number; and the pieces it relies on:
//! enum setters (still taking checked text), open enums in answers with an `Unknown`
//! fallback and the spec's labels, the region rule decided by a cached look-up.

mod support;

use std::time::Duration;

use huaweicloud_osm::generated::types::{NewMessage, UpdateCaseActionId};
use huaweicloud_osm::ops::attachments::{Purpose, UploadOptions};
use huaweicloud_osm::{
    Attachment, AttachmentLimits, CaseStatus, CaseType, Client, Credentials, ErrorKind, NewCase,
};
use osm_emulator::Emulator;
use serde_json::json;

const AK: &str = "AKTYPED";
const SK: &str = "typed-secret";

async fn emulator() -> osm_emulator::RunningEmulator {
    Emulator::builder().ak_sk(AK, SK).start().await.unwrap()
}

fn client(emulator: &osm_emulator::RunningEmulator) -> huaweicloud_osm::ClientBuilder {
    Client::builder()
        .endpoint(emulator.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .language("en-us")
}

/// The handler of the issue: look up a problem type and a severity, attach a log, open
/// exactly once, post a follow-up, close.
async fn handle_alert(
    client: &Client,
    fingerprint: &str,
    log: &Attachment,
) -> Result<String, huaweicloud_osm::Error> {
    // A problem type that opens a fault report: matched on its case type, which does not
    // depend on the language of the names.
    let problems = client.list_problem_types().send().await?;
    let problem = problems
        .incident_business_type_list
        .iter()
        .find(|p| p.case_type == Some(CaseType::FaultReport))
        .and_then(|p| p.business_type_id.clone())
        .expect("a fault-report problem type");
    // The product category by its acronym, which no language changes.
    let categories = client.list_product_categories().send().await?;
    let ecs = categories
        .incident_product_category_list
        .iter()
        .find(|c| c.incident_product_category_acronym.as_deref() == Some("ECS"))
        .and_then(|c| c.incident_product_category_id.clone())
        .expect("the ECS category");
    // Severity names come in the client's language (en-us here; zh-cn by default).
    let severities = client
        .list_severities()
        .product_category_id(&ecs)
        .business_type_id(&problem)
        .send()
        .await?;
    let major = severities
        .severity_list
        .iter()
        .find(|s| s.severity_name.as_deref() == Some("Major"))
        .and_then(|s| s.severity_id.clone())
        .expect("a Major severity");
    let log_id = client
        .upload_attachment_with(log, &UploadOptions::default())
        .await?;
    let case = NewCase::new(problem, format!("[alert {fingerprint}] ecs-01: disk full"))
        .product_category_id(ecs)
        .severity_id(major)
        .region_id("ap-southeast-3")
        .accessory_ids([log_id]);
    let ticket = client
        .create_case_unless_open(&case, Duration::from_secs(24 * 3600))
        .await?;
    client
        .reply(&ticket.incident_id, "The disk filled up again at 09:12.")
        .await?;
    let status = client
        .show_case_status()
        .case_id(&ticket.incident_id)
        .send()
        .await?;
    if status.status.as_ref().is_some_and(CaseStatus::is_known) {
        client.close_case(&ticket.incident_id).await?;
    }
    Ok(ticket.incident_id)
}

#[tokio::test]
async fn the_alert_handler_runs_against_the_emulator_and_opens_one_ticket() {
    let emulator = emulator().await;
    let client = client(&emulator).build().unwrap();
    let log = Attachment::new("dmesg.log", "EXT4-fs error (device vda1)\n");
    let first = handle_alert(&client, "7f3a9c", &log).await.unwrap();
    assert_eq!(emulator.tickets().len(), 1);
    assert_eq!(
        emulator.case_status(&first),
        Some(CaseStatus::Completed.value())
    );
    // Run again for the same alert: the ticket is closed, so a new one opens (a closed
    // ticket is not "open"); the rest of the handler runs on it.
    let second = handle_alert(&client, "7f3a9c", &log).await.unwrap();
    assert_ne!(first, second);
    assert_eq!(emulator.tickets().len(), 2);
    emulator.shutdown().await;
}

#[tokio::test]
async fn setters_take_the_generated_enum_and_still_take_checked_text() {
    let emulator = emulator().await;
    let client = client(&emulator).build().unwrap();
    let id = client
        .create_case(&NewCase::new("1", "enum setters"))
        .await
        .unwrap()
        .incident_id;
    // The enum...
    client
        .update_case()
        .case_id(&id)
        .action_id(UpdateCaseActionId::Press)
        .send()
        .await
        .unwrap();
    let seen = emulator.requests();
    let last = seen.last().unwrap();
    assert_eq!(last.operation.as_deref(), Some("update_case"));
    assert_eq!(
        last.query.as_deref(),
        Some(format!("action_id={}", UpdateCaseActionId::Press).as_str())
    );
    // ...or text, checked against the spec's values before anything is sent.
    let before = emulator.requests_seen();
    let err = client
        .update_case()
        .case_id(&id)
        .action_id("shut")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("action_id"), "{err}");
    assert_eq!(emulator.requests_seen(), before);
    // An integer filter takes the open enum too, and sends its value.
    let listed = client
        .list_cases()
        .status(CaseStatus::WaitingToBeAccepted)
        .send()
        .await
        .unwrap();
    let query = emulator.requests().last().unwrap().query.clone().unwrap();
    assert!(
        query.contains(&format!(
            "status={}",
            CaseStatus::WaitingToBeAccepted.value()
        )),
        "{query}"
    );
    assert!(
        listed
            .incident_info_list
            .iter()
            .all(|t| t.status == Some(CaseStatus::WaitingToBeAccepted))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn close_cancel_urge_and_reply_helpers_act_on_a_case_id() {
    let emulator = emulator().await;
    let client = client(&emulator).build().unwrap();
    let open = |d: &'static str| {
        let client = client.clone();
        async move {
            client
                .create_case(&NewCase::new("1", d))
                .await
                .unwrap()
                .incident_id
        }
    };
    let a = open("to close").await;
    let b = open("to cancel").await;
    client.urge_case(&a).await.unwrap();
    client.reply(&a, "more detail").await.unwrap();
    let files = [Attachment::new("df.txt", "/dev/vda1 100%\n")];
    client
        .reply_with_attachments(&a, "here is df", &files)
        .await
        .unwrap();
    let messages = client
        .list_messages()
        .case_id(&a)
        .send()
        .await
        .unwrap()
        .into_inner()
        .message_list;
    let contents: Vec<_> = messages.iter().filter_map(|m| m.content.clone()).collect();
    assert!(contents.iter().any(|c| c == "more detail"), "{contents:?}");
    let with_file = messages
        .iter()
        .find(|m| m.content.as_deref() == Some("here is df"))
        .expect("the message with its file");
    assert_eq!(with_file.accessory_list.len(), 1);
    assert_eq!(emulator.attachments().len(), 1);
    client.close_case(&a).await.unwrap();
    client.cancel_case(&b).await.unwrap();
    assert_eq!(
        emulator.case_status(&a),
        Some(CaseStatus::Completed.value())
    );
    assert_eq!(
        emulator.case_status(&b),
        Some(CaseStatus::Withdrawn.value())
    );
    // A message breaking the spec's limits is refused before a byte is sent.
    let max = huaweicloud_osm::rules::CREATE_MESSAGE
        .body_field("message")
        .and_then(|m| m.properties.iter().find(|p| p.name == "content"))
        .and_then(|c| c.max_length)
        .unwrap();
    let before = emulator.requests_seen();
    let err = client.reply(&a, "x".repeat(max + 1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("content"), "{err}");
    assert_eq!(emulator.requests_seen(), before);
    emulator.shutdown().await;
}

#[test]
fn a_typed_message_body_names_what_is_wrong() {
    let max_ids = huaweicloud_osm::rules::CREATE_MESSAGE
        .body_field("message")
        .and_then(|m| m.properties.iter().find(|p| p.name == "accessory_ids"))
        .and_then(|c| c.max_items)
        .unwrap();
    let ok = NewMessage::with_attachments("hi", vec!["a"; max_ids]).unwrap();
    assert_eq!(ok.accessory_ids.map(|i| i.len()), Some(max_ids));
    let err = NewMessage::with_attachments("hi", vec!["a"; max_ids + 1]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert!(err.to_string().contains("accessory_ids"), "{err}");
}

#[test]
fn open_enums_carry_the_spec_values_and_labels() {
    let spec = osm_spec::Spec::load(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/osm.yaml")).unwrap();
    let status = spec
        .value_sets
        .iter()
        .find(|s| s.schema == "CaseStatus")
        .unwrap();
    assert_eq!(CaseStatus::ALL.len(), status.values.len());
    for v in &status.values {
        let n: i64 = v.value.parse().unwrap();
        let s = CaseStatus::from_value(n);
        assert!(s.is_known());
        assert_eq!(s.value(), n);
        assert_eq!(s.label(), Some(v.label.as_str()));
        assert_eq!(s.to_string(), v.label);
    }
    let types = spec
        .value_sets
        .iter()
        .find(|s| s.schema == "CaseType")
        .unwrap();
    for v in &types.values {
        let t = CaseType::from_value(&v.value);
        assert_eq!(
            (t.value(), t.label()),
            (v.value.as_str(), Some(v.label.as_str()))
        );
    }
    // A value the spec does not list: the largest listed plus one.
    let unlisted = status
        .values
        .iter()
        .map(|v| v.value.parse::<i64>().unwrap())
        .max()
        .unwrap()
        + 1;
    assert_eq!(
        CaseStatus::from_value(unlisted),
        CaseStatus::Unknown(unlisted)
    );
    assert_eq!(CaseStatus::Unknown(unlisted).label(), None);
    assert_eq!(
        CaseStatus::Unknown(unlisted).to_string(),
        unlisted.to_string()
    );
}

#[tokio::test]
async fn a_value_the_spec_does_not_list_does_not_break_a_call() {
    let status = CaseStatus::ALL.iter().map(CaseStatus::value).max().unwrap() + 1;
    let case_type = format!(
        "{}x",
        CaseType::ALL
            .iter()
            .map(|t| t.value().to_owned())
            .collect::<String>()
    );
    let server = support::Server::start(vec![
        support::Reply::json(200, json!({ "status": status })),
        support::Reply::json(
            200,
            json!({"incident_business_type_list": [
                {"business_type_id": "a", "case_type": case_type},
                {"business_type_id": "b", "case_type": CaseType::FaultReport.value()}
            ]}),
        ),
    ])
    .await;
    let client = support::client(&server.url);
    let answer = client
        .show_case_status()
        .case_id("CS1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status, Some(CaseStatus::Unknown(status)));
    let types = client.list_problem_types().send().await.unwrap();
    let read: Vec<_> = types
        .incident_business_type_list
        .iter()
        .map(|p| p.case_type.clone())
        .collect();
    assert_eq!(
        read,
        [
            Some(CaseType::Unknown(case_type)),
            Some(CaseType::FaultReport)
        ]
    );
}

#[tokio::test]
async fn a_fault_report_without_a_region_is_refused_from_a_cached_look_up() {
    let emulator = emulator().await;
    let plain = client(&emulator).build().unwrap();
    let problems = plain.list_problem_types().send().await.unwrap();
    let fault = problems
        .incident_business_type_list
        .iter()
        .find(|p| p.case_type == Some(CaseType::FaultReport))
        .and_then(|p| p.business_type_id.clone())
        .unwrap();
    let consultation = problems
        .incident_business_type_list
        .iter()
        .find(|p| p.case_type == Some(CaseType::Consultation))
        .and_then(|p| p.business_type_id.clone())
        .unwrap();
    let checked = client(&emulator)
        .check_fault_report_region(true)
        .build()
        .unwrap();
    let lookups = |e: &osm_emulator::RunningEmulator| {
        e.requests()
            .iter()
            .filter(|r| r.operation.as_deref() == Some("list_problem_types"))
            .count()
    };
    let before = lookups(&emulator);
    for _ in 0..2 {
        let err = checked
            .create_case(&NewCase::new(fault.clone(), "no region"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.validation().map(|v| v.field()), Some("region_id"));
        assert!(!err.outcome_unknown());
    }
    // One look-up for both creates, and no create sent.
    assert_eq!(lookups(&emulator), before + 1);
    assert_eq!(emulator.ticket_count(), 0);
    // With a region, or for a consultation, the create goes through.
    checked
        .create_case(&NewCase::new(fault.clone(), "with region").region_id("ap-southeast-3"))
        .await
        .unwrap();
    checked
        .create_case(&NewCase::new(consultation, "a question"))
        .await
        .unwrap();
    assert_eq!(emulator.ticket_count(), 2);
    assert_eq!(lookups(&emulator), before + 1);
    // Without the check, the service (here the emulator) is the one to refuse.
    let err = plain
        .create_case(&NewCase::new(fault, "no region"))
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::Validation);
    assert_eq!(emulator.ticket_count(), 2);
    emulator.shutdown().await;
}

#[tokio::test]
async fn attachments_read_without_blocking_and_options_at_the_root() {
    let dir = std::env::temp_dir().join(format!("osm-typed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("dmesg.log");
    std::fs::write(&path, "EXT4-fs error\n").unwrap();
    // On a current-thread runtime a blocking read would still work; what is checked is
    // that `read` is async (this compiles only if it is) and reads the file.
    let file = Attachment::read(&path, &AttachmentLimits::documented())
        .await
        .unwrap();
    assert_eq!(file.data().as_ref(), b"EXT4-fs error\n");
    let _options: huaweicloud_osm::AttachOptions = huaweicloud_osm::AttachOptions::new();
    let _purpose = Purpose::Message;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn typed_records_newtypes_read_as_str() {
    let body: huaweicloud_osm::generated::types::CreateCaseRequest = serde_json::from_value(
        NewCase::new("1", "x")
            .region_id("ap-southeast-3")
            .body()
            .clone()
            .into(),
    )
    .unwrap();
    // `Deref<Target = str>`: `as_deref()` is an `Option<&str>`, and `as_str()` works.
    assert_eq!(body.region_id.as_deref(), Some("ap-southeast-3"));
    assert_eq!(body.simple_description.as_str(), "x");
    assert_eq!(&*body.business_type_id, "1");
}
