//! The emulator as a test double: reset, the request record, aimed faults,
//! expectations and typed records.

mod common;

use std::io::Read;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use common::*;
use huaweicloud_osm::{Client, Credentials, RetryPolicy};
use osm_emulator::REDACTED;
use osm_emulator::testing::*;
use serde_json::{Value, json};

/// The library's client with its default retries, but short waits between attempts.
fn retrying_client(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

async fn admin(
    emu: &RunningEmulator,
    method: reqwest::Method,
    route: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = raw().request(method, format!("{}/__emulator/{route}", emu.base_url()));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let answer = Answer::from(req.send().await.unwrap()).await;
    (
        answer.status,
        serde_json::from_str(&answer.text).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn one_emulator_reset_between_cases() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let mut ids = Vec::new();
    for case_no in 0..3 {
        // Each case starts from nothing, as a fresh emulator would.
        assert_eq!(emu.ticket_count(), 0, "case {case_no}");
        assert_eq!(emu.requests_seen(), 0, "case {case_no}");
        assert!(emu.requests().is_empty(), "case {case_no}");
        assert!(emu.faults().is_empty(), "case {case_no}");

        let created = client.create_case(&case()).await.unwrap();
        emu.set_case_status(&created.incident_id, 2).unwrap();
        emu.faults().push(Fault::DropAfterRecord);
        emu.faults()
            .aim(
                Matcher::operation("list_regions"),
                Fault::error(503, "OSM.0004", "busy"),
            )
            .unwrap();
        ids.push(created.incident_id);

        let cleared = if case_no == 1 {
            // Over HTTP, as a script would.
            let (status, body) = admin(&emu, reqwest::Method::POST, "reset", None).await;
            assert_eq!(status, 200, "{body}");
            body["cleared"].clone()
        } else {
            serde_json::to_value(emu.reset().unwrap()).unwrap()
        };
        assert_eq!(cleared["tickets"], 1, "{cleared}");
        assert_eq!(cleared["ticket_states"], 1, "{cleared}");
        assert_eq!(cleared["faults"], 2, "{cleared}");
        assert_eq!(cleared["requests"], 1, "{cleared}");
        assert_eq!(emu.case_status(&ids[case_no]), None, "the ticket is gone");
    }
    // Ids are never given twice, even across resets.
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");

    // DELETE /__emulator/tickets, which used to answer 405, is the same reset.
    client.create_case(&case()).await.unwrap();
    let (status, body) = admin(&emu, reqwest::Method::DELETE, "tickets", None).await;
    assert_eq!(
        (status, body["cleared"]["tickets"].clone()),
        (200, json!(1)),
        "{body}"
    );
    assert_eq!(emu.ticket_count(), 0);
    let (status, body) = admin(&emu, reqwest::Method::PUT, "tickets", None).await;
    assert_eq!(status, 405, "{body}");
    emu.shutdown().await;
}

#[tokio::test]
async fn an_emulator_with_a_state_file_is_not_reset() {
    let dir = tempfile::tempdir().unwrap();
    let emu = Emulator::builder()
        .token(TOKEN)
        .state_file(dir.path().join("tickets.jsonl"))
        .start()
        .await
        .unwrap();
    token_client(&emu).create_case(&case()).await.unwrap();
    let err = emu.reset().unwrap_err();
    assert!(err.contains("state file"), "{err}");
    assert_eq!(emu.ticket_count(), 1, "nothing was cleared");
    assert_eq!(emu.requests().len(), 1, "nothing was cleared");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_fault_aimed_at_one_lookup_leaves_creates_alone_and_is_retried() {
    let emu = emulator().await;
    let client = retrying_client(&emu);
    emu.faults()
        .aim(
            Matcher::operation("list_problem_types"),
            Fault::error(503, "OSM.0004", "busy for a moment"),
        )
        .unwrap();

    // Creates succeed: the fault is not theirs.
    let created = client.create_case(&case()).await.unwrap();
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.faults().remaining(), 1);

    // The look-up is idempotent: the 503 is retried, and the second attempt succeeds.
    let problems = client.list_problem_types().send().await.unwrap();
    assert!(!problems.incident_business_type_list.is_empty());
    assert!(emu.faults().is_empty());

    let record = emu.requests();
    type Seen<'a> = (
        Option<&'a str>,
        Option<u16>,
        Option<&'a str>,
        Option<&'a str>,
    );
    let summary: Vec<Seen> = record
        .iter()
        .map(|r| {
            (
                r.operation.as_deref(),
                r.status,
                r.error_code.as_deref(),
                r.fault.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("create_case"), Some(200), None, None),
            (
                Some("list_problem_types"),
                Some(503),
                Some("OSM.0004"),
                Some("respond")
            ),
            (Some("list_problem_types"), Some(200), None, None),
        ],
        "{record:#?}"
    );
    assert_eq!(record[0].method, "POST");
    assert_eq!(record[1].method, "GET");
    assert_eq!(emu.tickets()[0].incident_id, created.incident_id);
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_aimed_over_http_by_header_and_body_in_sequence() {
    let emu = emulator().await;
    let base = emu.base_url();
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "faults",
        Some(json!([
            {"fault": "respond", "status": 503, "body": {"error_code": "OSM.0004", "error_msg": "busy"},
             "match": {"operation": "list_problem_types", "headers": {"x-language": "en-us"}}},
            {"fault": "pass", "match": {"operation": "create_case", "body": {"simple_description": "second"}}},
            {"fault": "business_error", "error_code": "OSM.01010003", "error_msg": "too often",
             "match": {"operation": "create_case", "body": {"simple_description": "second"}}},
        ])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["pending"][0]["match"]["headers"]["x-language"], "en-us",
        "{body}"
    );

    let lookup = |lang: &'static str| {
        raw()
            .get(format!("{base}/v2/servicerequest/config/problems"))
            .header("X-Auth-Token", TOKEN)
            .header("X-Language", lang)
            .send()
    };
    // Another language is not aimed at; English is, once.
    assert_eq!(lookup("zh-cn").await.unwrap().status(), 200);
    assert_eq!(lookup("en-us").await.unwrap().status(), 503);
    assert_eq!(lookup("en-us").await.unwrap().status(), 200);

    let create = |description: &'static str| {
        let mut b = common::body();
        b["simple_description"] = json!(description);
        raw()
            .post(format!("{base}/v2/servicerequest/cases"))
            .header("X-Auth-Token", TOKEN)
            .json(&b)
            .send()
    };
    // The body matcher picks "second" only: pass, then the business error.
    assert_eq!(create("first").await.unwrap().status(), 200);
    assert_eq!(create("second").await.unwrap().status(), 200);
    let refused = Answer::from(create("second").await.unwrap()).await;
    assert_eq!(refused.status, 200);
    assert!(refused.text.contains("OSM.01010003"), "{}", refused.text);
    assert_eq!(emu.ticket_count(), 2);
    assert!(emu.faults().is_empty());

    // A business error aimed at an operation without x-business-errors is refused.
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "faults",
        Some(
            json!({"fault": "business_error", "error_code": "OSM.01010003", "error_msg": "x",
                    "match": {"operation": "list_problem_types"}}),
        ),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let msg = body["error_msg"].as_str().unwrap();
    assert!(
        msg.contains("x-business-errors") && msg.contains("list_problem_types"),
        "{msg}"
    );
    // reset_on_accept cannot be aimed.
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "faults",
        Some(json!({"fault": "reset_on_accept", "match": {"operation": "create_case"}})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(emu.faults().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_closure_aims_a_fault_at_the_requests_it_picks() {
    let emu = emulator().await;
    let client = token_client(&emu);
    emu.faults()
        .aim(
            Matcher::any().when(|r| r.json().is_some_and(|b| b["simple_description"] == "boom")),
            Fault::DropBeforeRecord,
        )
        .unwrap();
    client.create_case(&case()).await.unwrap();
    let err = client
        .create_case(&huaweicloud_osm::NewCase::new("1", "boom"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert_eq!(emu.ticket_count(), 1);
    let last = emu.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.fault.as_deref()),
        (None, Some("drop_before_record"))
    );
    assert!(last.finished);
    assert!(last.summary().contains("no answer"), "{}", last.summary());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_record_holds_refused_requests_without_secrets() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .ak_sk(AK, SK)
        .record_limit(3)
        .start()
        .await
        .unwrap();
    let base = emu.base_url();
    // Refused: a wrong token, and a body breaking the spec.
    let wrong = raw()
        .post(format!("{base}/v2/servicerequest/cases"))
        .header("X-Auth-Token", "wrong-token-marker")
        .json(&body())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let too_long = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap()
        + 1;
    let mut long = body();
    long["simple_description"] = json!("x".repeat(too_long));
    let bad = raw()
        .post(format!("{base}/v2/servicerequest/cases"))
        .header("X-Auth-Token", TOKEN)
        .json(&long)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // Signed with AK/SK, and a path of no operation.
    client(&emu, Credentials::ak_sk(AK, SK))
        .create_case(&case())
        .await
        .unwrap();
    let missing = raw()
        .get(format!("{base}/v2/nothing?x=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    let record = emu.requests();
    assert_eq!(record.len(), 3, "the oldest is forgotten: {record:#?}");
    assert_eq!(record.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(record[0].status, Some(400));
    assert_eq!(record[0].error_code.as_deref(), Some("OSM.0001"));
    assert_eq!(record[0].header("x-auth-token"), Some(REDACTED));
    assert_eq!(
        record[0].json().unwrap()["simple_description"]
            .as_str()
            .unwrap()
            .len(),
        too_long
    );
    assert_eq!(record[1].header("authorization"), Some(REDACTED));
    assert!(record[1].header("x-sdk-date").is_some());
    assert_eq!(record[2].operation, None);
    assert_eq!(
        (record[2].path.as_str(), record[2].query.as_deref()),
        ("/v2/nothing", Some("x=1"))
    );
    assert_eq!(record[2].error_code.as_deref(), Some("APIGW.0101"));

    // Over HTTP too, and never a secret.
    let (status, json) = admin(&emu, reqwest::Method::GET, "requests", None).await;
    assert_eq!((status, json["count"].clone()), (200, json!(3)));
    let text = json.to_string();
    assert!(
        !text.contains(TOKEN) && !text.contains("marker") && !text.contains(SK),
        "{text}"
    );
    assert!(!format!("{record:?}").contains(TOKEN));
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unmet_expectation_explains_itself() {
    let emu = emulator().await;
    let client = retrying_client(&emu);
    let guard = emu.expect(
        Expectation::operation("create_case")
            .header("x-language", "en-us")
            .matching(|r| r.json().is_some_and(|b| b["business_type_id"] == "1"))
            .times(1),
    );
    let lookups = emu.expect(Expectation::operation("list_problem_types").at_least(1));
    client.list_problem_types().send().await.unwrap();
    client.create_case(&case()).await.unwrap(); // without X-Language

    assert_eq!((guard.seen(), lookups.seen()), (0, 1));
    assert!(lookups.verify().is_ok());
    let report = emu.verify().unwrap_err();
    println!("{report}");
    assert_eq!(report.unmet(), 1);
    let text = report.to_string();
    assert!(
        text.contains("1 of 2 expectations of the emulator not met"),
        "{text}"
    );
    assert!(
        text.contains(
            "operation create_case and header x-language: en-us and the closure given to matching()"
        ),
        "{text}"
    );
    assert!(
        text.contains("expected exactly 1 time, seen 0 times"),
        "{text}"
    );
    assert!(text.contains("closest requests:"), "{text}");
    // The create comes first (it fails only the header); the look-up after it.
    let create_at = text.find("(create_case) → 200").expect(&text);
    let lookup_at = text.find("(list_problem_types) → 200").expect(&text);
    assert!(create_at < lookup_at, "{text}");
    assert!(
        text.contains("expected header x-language: en-us, was none"),
        "{text}"
    );
    assert!(
        text.contains("expected operation create_case, was list_problem_types"),
        "{text}"
    );

    // Over HTTP, the same report.
    let (status, json) = admin(&emu, reqwest::Method::GET, "expectations", None).await;
    assert_eq!((status, json["ok"].clone()), (200, json!(false)));
    assert_eq!(json["report"].as_str(), Some(text.as_str()));

    // Dropping the guard panics with the report, like wiremock's expect(1).
    let panic = std::panic::catch_unwind(AssertUnwindSafe(|| drop(guard))).unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    assert!(
        message.contains("expected exactly 1 time, seen 0 times"),
        "{message}"
    );
    // Met once the guard is gone; the met one drops quietly.
    assert!(emu.verify().is_ok());
    drop(lookups);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_call_seen_too_often_is_listed() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let once = emu.expect(Expectation::operation("create_case").status(200).times(1));
    client.create_case(&case()).await.unwrap();
    client.create_case(&case()).await.unwrap();
    let text = once.verify().unwrap_err().to_string();
    assert!(
        text.contains("expected exactly 1 time, seen 2 times"),
        "{text}"
    );
    assert!(text.contains("matching requests:\n    #1 POST"), "{text}");
    assert!(text.contains("#2 POST"), "{text}");
    std::mem::forget(once); // its panic on drop is shown above
    emu.shutdown().await;
}

#[tokio::test]
async fn expectations_over_http() {
    let emu = emulator().await;
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "expectations",
        Some(json!({"name": "one create of type 1", "match": {"operation": "create_case", "body": {"business_type_id": "1"}}, "times": 1})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, v) = admin(&emu, reqwest::Method::GET, "expectations", None).await;
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["report"]
            .as_str()
            .unwrap()
            .contains("one create of type 1"),
        "{v}"
    );
    token_client(&emu).create_case(&case()).await.unwrap();
    let (_, v) = admin(&emu, reqwest::Method::GET, "expectations", None).await;
    assert_eq!(
        (v["ok"].clone(), v["expectations"][0]["seen"].clone()),
        (json!(true), json!(1)),
        "{v}"
    );
    let (status, body) = admin(
        &emu,
        reqwest::Method::POST,
        "expectations",
        Some(json!({"match": {"operation": "create_cases"}})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .contains("not an operation of the spec"),
        "{body}"
    );
    let cleared = emu.reset().unwrap();
    assert_eq!(cleared["expectations"], 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn records_are_typed() {
    let emu = emulator().await;
    let created = token_client(&emu)
        .create_case(&huaweicloud_osm::NewCase::new("1", "typed record"))
        .await
        .unwrap();
    let ticket = &emu.tickets()[0];
    assert_eq!(ticket.incident_id, created.incident_id);
    let request: CreateCaseRequest = ticket.request().unwrap();
    assert_eq!(request.simple_description.to_string(), "typed record");
    let recorded: CreateCaseRequest = emu.requests()[0].body_as().unwrap();
    assert_eq!(recorded.simple_description.to_string(), "typed record");
    emu.shutdown().await;
}

#[tokio::test]
async fn slow_bodies_and_delays_before_recording() {
    let emu = emulator().await;
    emu.faults()
        .aim(
            Matcher::operation("list_problem_types"),
            Fault::SlowBody {
                bytes_per_second: 2000,
            },
        )
        .unwrap();
    let answer = Answer::from(
        raw()
            .get(format!(
                "{}/v2/servicerequest/config/problems",
                emu.base_url()
            ))
            .header("X-Auth-Token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200);
    let whole: Value = serde_json::from_str(&answer.text).expect("the whole body, slowly");
    assert!(whole["incident_business_type_list"].is_array(), "{whole}");
    assert_eq!(emu.requests()[0].fault.as_deref(), Some("slow_body"));

    // Held before recording: the request is in the record, the ticket not yet.
    emu.faults()
        .push(Fault::DelayBeforeRecord(Duration::from_secs(600)));
    let client = token_client(&emu);
    let pending = tokio::spawn(async move { client.create_case(&case()).await });
    let mut waited = 0;
    while !emu
        .requests()
        .iter()
        .any(|r| r.fault.as_deref() == Some("delay_before_record"))
    {
        waited += 1;
        assert!(waited < 3000, "the create never arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(emu.ticket_count(), 0);
    assert!(!emu.requests().last().unwrap().finished);
    // Shutting down cuts the wait short; the ticket is then opened and answered.
    emu.shutdown().await;
    let created = pending.await.unwrap().unwrap();
    assert!(created.incident_id.starts_with("CS"), "{created:?}");
}

#[tokio::test]
async fn reset_on_accept() {
    let emu = emulator().await;
    emu.faults().push(Fault::ResetOnAccept);
    let addr = emu.local_addr();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // Nothing is written: a failed write would take the reset's error for itself.
        let mut buf = [0u8; 64];
        s.read(&mut buf)
    })
    .await
    .unwrap();
    let err = outcome.expect_err("a reset, not an answer");
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
    assert!(emu.faults().is_empty());
    assert!(emu.requests().is_empty(), "no request was read");
    // The next connection is served.
    let ok = token_client(&emu).create_case(&case()).await;
    assert!(ok.is_ok(), "{ok:?}");
    emu.shutdown().await;
}
