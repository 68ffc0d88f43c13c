//! Quick diagnosis through the library, against the emulator (the `/v2.0/` paths): a job
//! started is shown with its checks, its checks' details read back by id, listed among
//! the records of its type (newest first, paged) and seen by its own account only; the
//! feedback is kept; jobs and feedback survive a restart with a state file; and input
//! over the spec's limits is refused before it is sent.

use std::collections::BTreeMap;

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, ErrorKind};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};
use serde_json::Value;

mod support;

const AK: &str = "AKDIAGNOSIS";
const SK: &str = "sk-diagnosis-secret";

fn builder() -> EmulatorBuilder {
    Emulator::builder().ak_sk(AK, SK)
}

fn client_for(emu: &RunningEmulator, domain: &str) -> Client {
    support::account_client(&emu.base_url(), AK, SK, domain)
}

async fn start(client: &Client, kind: i64, eip: &str) -> String {
    let params = BTreeMap::from([("eip", eip)]);
    let started = client
        .create_diagnose_job()
        .type_(kind)
        .params(params)
        .region_id("cn-north-4")
        .send()
        .await
        .unwrap();
    started.job_id.clone().expect("a job id").to_string()
}

#[tokio::test]
async fn a_started_job_is_shown_with_its_checks_and_their_details() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let id = start(&client, 1, "203.0.113.7").await;

    let job = client.list_diagnose_job().job_id(&id).send().await.unwrap();
    assert_eq!(job.job_id.map(|j| j.to_string()), Some(id.clone()));
    assert_eq!(job.status, Some(3), "a job of the emulator is done at once");
    assert_eq!(job.domain_id.as_deref(), Some("domain-a"));
    assert!(job.create_time.is_some_and(|t| t > 0));
    assert!(!job.items_result.is_empty());
    let problems: Vec<String> = job
        .items_result
        .iter()
        .filter(|c| c.problem_level == Some(4))
        .filter_map(|c| c.check_id.clone().map(|i| i.to_string()))
        .collect();
    assert_eq!(problems.len(), 1, "{:?}", job.items_result);

    // Without a job id: the account's latest job.
    let newer = start(&client, 2, "").await;
    let latest = client.list_diagnose_job().send().await.unwrap();
    assert_eq!(latest.job_id.map(|j| j.to_string()), Some(newer));

    // The details of the one check that found a problem, by its id.
    let details = client
        .list_diagnose_items()
        .job_id(&id)
        .item_ids(problems[0].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(details.item_results.len(), 1);
    let d = &details.item_results[0];
    assert_eq!(
        d.check_id.as_ref().map(ToString::to_string),
        Some(problems[0].clone())
    );
    assert_eq!(d.level, Some(4));
    assert!(d.suggestion.as_ref().is_some_and(|s| !s.is_empty()));
    assert!(d.check_name_en.is_some());
    // Every check when none is named.
    let all = client
        .list_diagnose_items()
        .job_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(all.item_results.len(), job.items_result.len());

    // A job that does not exist, and another account's job, are not found.
    let err = client
        .list_diagnose_job()
        .job_id("999999")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let other = client_for(&emu, "domain-b");
    let err = other
        .list_diagnose_job()
        .job_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let err = other.list_diagnose_items().send().await.unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn records_list_the_jobs_of_a_type_newest_first_and_paged() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let mut ecs = Vec::new();
    for i in 0..3 {
        ecs.push(start(&client, 1, &format!("203.0.113.{i}")).await);
    }
    let rds = start(&client, 2, "").await;
    start(&client_for(&emu, "domain-b"), 1, "198.51.100.1").await;

    // Type 1 is the spec's default.
    let default_type: i64 = rules::LIST_DIAGNOSE_RECORDS
        .param(Location::Query, "type")
        .and_then(|r| r.default)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(default_type, 1);
    let page = client.list_diagnose_records().send().await.unwrap();
    assert_eq!(page.total_count, Some(3), "only this account's ECS jobs");
    let listed: Vec<String> = page
        .records
        .iter()
        .map(|r| r.job_id.clone().unwrap())
        .collect();
    let newest_first: Vec<String> = ecs.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);
    let r = &page.records[0];
    assert_eq!(r.red_count, Some(1));
    assert_eq!(r.abnormal_items.len(), 1);
    assert_eq!(r.region.as_deref(), Some("cn-north-4"));
    assert_eq!(
        r.params
            .as_ref()
            .and_then(|p| p.get("eip"))
            .map(String::as_str),
        Some("203.0.113.2")
    );

    let second = client
        .list_diagnose_records()
        .page_size(2)
        .page_no(2)
        .send()
        .await
        .unwrap();
    assert_eq!(second.total_count, Some(3));
    let listed: Vec<String> = second
        .records
        .iter()
        .map(|r| r.job_id.clone().unwrap())
        .collect();
    assert_eq!(listed, [ecs[0].clone()]);

    let of_rds = client
        .list_diagnose_records()
        .type_(2)
        .send()
        .await
        .unwrap();
    assert_eq!(of_rds.total_count, Some(1));
    assert_eq!(of_rds.records[0].job_id.as_deref(), Some(rds.as_str()));
    emu.shutdown().await;
}

#[tokio::test]
async fn resources_answer_the_vendor_s_camel_case_members() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let answer = client
        .list_diagnose_resources()
        .project_id("project-1")
        .region("cn-north-4")
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.total_count.map(|n| n as usize),
        Some(answer.result.len())
    );
    let raw: Value = serde_json::from_slice(answer.raw_json()).unwrap();
    let vm = &raw["result"][0];
    for member in ["accessIPv4", "tenantId", "userId", "hostId"] {
        assert!(vm.get(member).is_some(), "{member} in {vm}");
    }
    assert_eq!(vm["tenantId"], "project-1");
    assert!(answer.result[0].access_i_pv4.is_some());
    emu.shutdown().await;
}

#[tokio::test]
async fn jobs_and_feedback_survive_a_restart_with_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let first = start(&client, 3, "").await;
    client
        .create_diagnose_feedback()
        .type_(3)
        .is_helpful(true)
        .content("the password check found it")
        .send()
        .await
        .unwrap();
    emu.shutdown().await;

    // The feedback is in the store's journal beside the state file.
    let mut journal = state.as_os_str().to_owned();
    journal.push(".collections");
    let journal = std::fs::read_to_string(&journal).unwrap();
    assert!(
        journal
            .lines()
            .any(|l| l.contains("diagnose_feedback") && l.contains("the password check found it")),
        "{journal}"
    );

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let job = client
        .list_diagnose_job()
        .job_id(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(job.status, Some(3));
    let records = client
        .list_diagnose_records()
        .type_(3)
        .send()
        .await
        .unwrap();
    assert_eq!(records.records[0].job_id.as_deref(), Some(first.as_str()));
    // Ids go on after the restart.
    let next = start(&client, 3, "").await;
    assert!(
        next.parse::<u64>().unwrap() > first.parse::<u64>().unwrap(),
        "{next} after {first}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_reset_clears_jobs_and_feedback() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    start(&client, 1, "").await;
    client
        .create_diagnose_feedback()
        .type_(1)
        .is_helpful(false)
        .send()
        .await
        .unwrap();
    let cleared = emu.reset().unwrap();
    assert_eq!(cleared.get("records"), Some(&2), "{cleared:?}");
    let records = client.list_diagnose_records().send().await.unwrap();
    assert_eq!(records.total_count, Some(0));
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");

    let kind = rules::CREATE_DIAGNOSE_JOB.body_field("type").unwrap();
    let top = kind.maximum.unwrap();
    let err = client
        .create_diagnose_job()
        .type_(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "type");
    assert!(err.to_string().contains(&top.to_string()), "{err}");
    // The type is required.
    let err = client.create_diagnose_job().send().await.unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "type");

    let content = rules::CREATE_DIAGNOSE_FEEDBACK
        .body_field("content")
        .unwrap();
    let max = content.max_length.unwrap();
    let err = client
        .create_diagnose_feedback()
        .type_(1)
        .is_helpful(true)
        .content("c".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "content");
    assert!(
        err.to_string().contains(&format!(
            "is {} characters long; the maximum length is {max}",
            max + 1
        )),
        "{err}"
    );
    // is_helpful is required.
    let err = client
        .create_diagnose_feedback()
        .type_(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "is_helpful");

    let size = rules::LIST_DIAGNOSE_RECORDS
        .param(Location::Query, "page_size")
        .unwrap();
    let top = size.maximum.unwrap();
    let err = client
        .list_diagnose_records()
        .page_size(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "page_size");
    assert!(err.to_string().contains(&top.to_string()), "{err}");
    let first = rules::LIST_DIAGNOSE_RECORDS
        .param(Location::Query, "page_no")
        .and_then(|r| r.minimum)
        .unwrap();
    let err = client
        .list_diagnose_records()
        .page_no(first - 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "page_no");

    let ids = rules::LIST_DIAGNOSE_ITEMS.body_field("item_ids").unwrap();
    let err = client
        .list_diagnose_items()
        .item_ids("i".repeat(ids.max_length.unwrap() + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "item_ids");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_diagnosis_paths_are_under_v2_0() {
    // The router finds the operations by the spec's paths, whatever their version segment.
    for op in [
        &rules::CREATE_DIAGNOSE_JOB,
        &rules::LIST_DIAGNOSE_JOB,
        &rules::LIST_DIAGNOSE_ITEMS,
        &rules::LIST_DIAGNOSE_RESOURCES,
        &rules::LIST_DIAGNOSE_RECORDS,
        &rules::CREATE_DIAGNOSE_FEEDBACK,
    ] {
        assert!(op.path.starts_with("/v2.0/"), "{}", op.path);
    }
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    start(&client, 4, "").await;
    let seen: Vec<String> = emu.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(seen, ["/v2.0/servicerequest/diagnose/job/start"]);
    emu.shutdown().await;
}
