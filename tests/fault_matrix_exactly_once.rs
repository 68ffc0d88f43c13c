//! The exactly-once fault matrix (`ClientBuilder::exactly_once(true)`, what `osm` does):
//! for each fault, what the caller gets, how many creates reached the service, and how
//! many tickets the emulator holds once every late ticket had time to land.
//!
//! The guarantees, in order: never a second ticket; never another call's ticket; "not
//! created" only when proven (a definite refusal, or nothing sent); then found within the
//! reconcile window; else unknown.

use std::collections::HashSet;
use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, Error, NewCase, RetryPolicy};
use osm_emulator::{Emulator, Fault, Matcher, RunningEmulator};
use serde_json::json;

mod support;

const TOKEN: &str = "matrix-token";

/// What a create ended with.
#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    /// The service answered with the ticket id.
    Answered,
    /// The answer was lost; the ticket was found by listing.
    Found,
    /// A definite refusal: no ticket.
    Refused,
    /// The outcome is unknown (the ticket may exist).
    Unknown,
}

/// What one row saw.
#[derive(Debug)]
struct Seen {
    end: End,
    /// The create requests the service received.
    creates: usize,
    /// The tickets held once late ones had time to land.
    tickets: usize,
    /// The id returned, if any.
    id: Option<String>,
    /// The ids the emulator holds.
    held: Vec<String>,
    error: Option<Error>,
}

fn client(emu: &RunningEmulator, timeout: Duration, window: Duration) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .language("en-us")
        .timeout(timeout)
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20)),
        )
        .exactly_once(true)
        .reconcile_window(window)
        .reconcile_first_look(Duration::from_millis(100))
        .build()
        .unwrap()
}

/// Consultation problem types (no region needed) as the emulator lists them.
async fn consultations(emu: &RunningEmulator) -> Vec<String> {
    let c = client(emu, Duration::from_secs(5), Duration::from_secs(1));
    c.list_problem_types()
        .send()
        .await
        .unwrap()
        .incident_business_type_list
        .iter()
        .filter(|p| p.case_type == Some(huaweicloud_osm::CaseType::Consultation))
        .filter_map(|p| p.business_type_id.clone())
        .collect()
}

fn creates(emu: &RunningEmulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.operation.as_deref() == Some("create_case"))
        .count()
}

/// Runs one create against a fresh emulator with `faults` queued, then waits `settle`
/// (time for late tickets to land) before counting.
async fn row(
    faults: impl FnOnce(&RunningEmulator),
    timeout: Duration,
    window: Duration,
    settle: Duration,
) -> Seen {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let problem = consultations(&emu).await.remove(0);
    faults(&emu);
    let started = std::time::Instant::now();
    let result = client(&emu, timeout, window)
        .create_case(&NewCase::new(problem, "fault matrix, exactly once"))
        .await;
    if let Some(left) = settle.checked_sub(started.elapsed()) {
        tokio::time::sleep(left).await;
    }
    let held: Vec<String> = emu.tickets().into_iter().map(|t| t.incident_id).collect();
    let seen = match result {
        Ok(created) => Seen {
            end: if created.found_after.is_some() {
                End::Found
            } else {
                End::Answered
            },
            creates: creates(&emu),
            tickets: held.len(),
            id: Some(created.incident_id),
            held,
            error: None,
        },
        Err(e) => Seen {
            end: if e.outcome_unknown() {
                End::Unknown
            } else {
                End::Refused
            },
            creates: creates(&emu),
            tickets: held.len(),
            id: None,
            held,
            error: Some(e),
        },
    };
    emu.shutdown().await;
    seen
}

fn late(delay: Duration, times: u32) -> impl FnOnce(&RunningEmulator) {
    move |emu| {
        emu.faults()
            .aim_times(
                Matcher::operation("create_case"),
                Fault::DelayBeforeRecord(delay),
                times,
            )
            .unwrap()
    }
}

fn push(fault: Fault) -> impl FnOnce(&RunningEmulator) {
    move |emu| {
        emu.faults()
            .aim(Matcher::operation("create_case"), fault)
            .unwrap()
    }
}

/// Every row: at most one ticket, the id returned is the one held, and an unknown
/// outcome is never "not created" — checked after the late tickets landed.
#[tokio::test]
async fn every_row_keeps_the_guarantees() {
    let s = Duration::from_secs;
    let short = s(1);
    type Setup = Box<dyn FnOnce(&RunningEmulator) + Send>;
    // (name, faults, client timeout, reconcile window, settle, end, creates, tickets)
    type Row = (
        &'static str,
        Setup,
        Duration,
        Duration,
        Duration,
        End,
        usize,
        usize,
    );
    let rows: Vec<Row> = vec![
        (
            "no fault",
            Box::new(|_: &RunningEmulator| {}),
            s(5),
            short,
            s(0),
            End::Answered,
            1,
            1,
        ),
        (
            "500 OSM.0004 before recording",
            Box::new(push(Fault::error(500, "OSM.0004", "internal error"))),
            s(5),
            short,
            s(0),
            End::Unknown,
            1,
            0,
        ),
        (
            "502 HTML",
            Box::new(push(Fault::respond(502, "<html>502</html>"))),
            s(5),
            short,
            s(0),
            End::Unknown,
            1,
            0,
        ),
        (
            "503",
            Box::new(push(Fault::error(503, "APIGW.0201", "unavailable"))),
            s(5),
            short,
            s(0),
            End::Unknown,
            1,
            0,
        ),
        (
            "dropped before recording",
            Box::new(push(Fault::DropBeforeRecord)),
            s(5),
            short,
            s(0),
            End::Unknown,
            1,
            0,
        ),
        (
            "invalid JSON in a 200",
            Box::new(push(Fault::respond(200, "{\"incident_id\": "))),
            s(5),
            short,
            s(0),
            End::Unknown,
            1,
            0,
        ),
        (
            "dropped after recording",
            Box::new(push(Fault::DropAfterRecord)),
            s(5),
            s(10),
            s(0),
            End::Found,
            1,
            1,
        ),
        (
            "delayed past the timeout after recording",
            Box::new(push(Fault::DelayAfterRecord(s(4)))),
            s(1),
            s(10),
            s(0),
            End::Found,
            1,
            1,
        ),
        (
            "truncated 200",
            Box::new(push(Fault::TruncatedBody)),
            s(5),
            s(10),
            s(0),
            End::Found,
            1,
            1,
        ),
        (
            "200 carrying OSM.01010003",
            Box::new(push(Fault::business_error(
                "OSM.01010003",
                "urged too often",
            ))),
            s(5),
            short,
            s(0),
            End::Refused,
            1,
            0,
        ),
        (
            "429 then success",
            Box::new(push(Fault::error(429, "APIGW.0308", "throttled"))),
            s(5),
            short,
            s(0),
            End::Answered,
            2,
            1,
        ),
        (
            "recorded 2 s late, once",
            Box::new(late(s(2), 1)),
            s(1),
            s(20),
            s(3),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 2 s late, every attempt",
            Box::new(late(s(2), 3)),
            s(1),
            s(20),
            s(3),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 8 s late, once",
            Box::new(late(s(8), 1)),
            s(1),
            s(20),
            s(9),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 8 s late, every attempt",
            Box::new(late(s(8), 3)),
            s(1),
            s(20),
            s(9),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 15 s late, once",
            Box::new(late(s(15), 1)),
            s(1),
            s(25),
            s(16),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 15 s late, every attempt",
            Box::new(late(s(15), 3)),
            s(1),
            s(25),
            s(16),
            End::Found,
            1,
            1,
        ),
        (
            "recorded 15 s late, after a 5 s window",
            Box::new(late(s(15), 3)),
            s(1),
            s(5),
            s(16),
            End::Unknown,
            1,
            1,
        ),
    ];
    let runs = rows.into_iter().map(
        |(name, faults, timeout, window, settle, end, creates, tickets)| async move {
            let seen = row(faults, timeout, window, settle).await;
            (name, seen, end, creates, tickets)
        },
    );
    let mut failures = Vec::new();
    for (name, seen, end, creates, tickets) in futures_join(runs).await {
        let summary = format!(
            "{name}: {:?}, {} create(s) sent, {} ticket(s) held ({:?}); error: {:?}",
            seen.end,
            seen.creates,
            seen.tickets,
            seen.held,
            seen.error.as_ref().map(ToString::to_string)
        );
        if (seen.end, seen.creates, seen.tickets) != (end, creates, tickets) {
            failures.push(format!(
                "expected {end:?}, {creates}, {tickets} — {summary}"
            ));
            continue;
        }
        assert!(seen.tickets <= 1, "{summary}");
        if let Some(id) = &seen.id {
            assert_eq!(seen.held, vec![id.clone()], "{summary}");
        }
        if let Some(e) = &seen.error
            && e.outcome_unknown()
        {
            let text = e.to_string();
            assert!(!text.contains("not created"), "{summary}");
            assert!(
                text.contains("may or may not have been created"),
                "{summary}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Runs futures concurrently (the rows wait on timers, not on the CPU).
async fn futures_join<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a row panicked"));
    }
    out
}

/// Run B must never report run A's ticket: same description, another problem type.
#[tokio::test]
async fn another_calls_ticket_is_never_returned() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let types = consultations(&emu).await;
    let (a, b) = (types[0].clone(), types[1].clone());
    let c = client(&emu, Duration::from_secs(5), Duration::from_secs(2));
    let first = c
        .create_case(&NewCase::new(a, "database down"))
        .await
        .unwrap();
    // B, another client, loses its create before anything is recorded.
    emu.faults()
        .aim(
            Matcher::operation("create_case"),
            Fault::error(500, "OSM.0004", "internal error"),
        )
        .unwrap();
    let other = client(&emu, Duration::from_secs(5), Duration::from_secs(2));
    let err = other
        .create_case(&NewCase::new(b.clone(), "database down"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert!(err.candidates().is_empty(), "{:?}", err.candidates());
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.tickets()[0].incident_id, first.incident_id);

    // A ticket of B's type opened before B sent (by A, with B's type) is not B's either.
    let c2 = client(&emu, Duration::from_secs(5), Duration::from_secs(2));
    c2.create_case(&NewCase::new(b.clone(), "database down"))
        .await
        .unwrap();
    emu.faults()
        .aim(
            Matcher::operation("create_case"),
            Fault::error(500, "OSM.0004", "internal error"),
        )
        .unwrap();
    let err = other
        .create_case(&NewCase::new(b, "database down"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
}

/// Two creates of one client with the same description and problem type at once, both
/// answers lost: neither can tell which ticket is its own, so neither claims one.
#[tokio::test]
async fn concurrent_twins_of_one_client_are_unknown() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let problem = consultations(&emu).await.remove(0);
    emu.faults()
        .aim_times(Matcher::operation("create_case"), Fault::DropAfterRecord, 2)
        .unwrap();
    let c = client(&emu, Duration::from_secs(5), Duration::from_secs(3));
    let case = NewCase::new(problem, "twins");
    let (x, y) = tokio::join!(c.create_case(&case), c.create_case(&case));
    let ids: HashSet<String> = emu.tickets().into_iter().map(|t| t.incident_id).collect();
    assert_eq!(ids.len(), 2);
    for r in [x, y] {
        let e = r.expect_err("neither can be told to be its own");
        assert!(e.outcome_unknown(), "{e}");
        let named: HashSet<String> = e.candidates().iter().cloned().collect();
        assert!(!named.is_empty() && named.is_subset(&ids), "{e}");
    }
    emu.shutdown().await;
}

/// List answers after a lost create that say nothing: no list member, an error body, a
/// 5xx, a hang. None is taken for "none": the outcome is unknown, nothing is resent.
#[tokio::test]
async fn a_list_that_cannot_be_read_is_never_absence() {
    let bodies: Vec<(&str, Fault)> = vec![
        ("200 {}", Fault::respond(200, "{}")),
        ("500", Fault::error(500, "OSM.0004", "internal error")),
        (
            "200 with an error and no list",
            Fault::respond(200, r#"{"error_msg": "busy"}"#),
        ),
        ("hang", Fault::DelayAfterRecord(Duration::from_secs(30))),
    ];
    let runs = bodies.into_iter().map(|(name, fault)| async move {
        let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
        let problem = consultations(&emu).await.remove(0);
        // The look before sending reads; every later look gets the fault.
        let mut sequence = vec![Fault::Pass];
        sequence.extend(std::iter::repeat_n(fault, 64));
        emu.faults()
            .aim_sequence(Matcher::operation("list_cases"), sequence)
            .unwrap();
        emu.faults()
            .aim(Matcher::operation("create_case"), Fault::DropBeforeRecord)
            .unwrap();
        let err = client(&emu, Duration::from_secs(1), Duration::from_secs(2))
            .create_case(&NewCase::new(problem, "list faults"))
            .await
            .unwrap_err();
        let seen = (
            name,
            err.outcome_unknown(),
            creates(&emu),
            emu.ticket_count(),
        );
        let why = err.reconciliation().unwrap_or_default().to_owned();
        emu.shutdown().await;
        (seen, why)
    });
    for ((name, unknown, creates, tickets), why) in futures_join(runs).await {
        assert_eq!((unknown, creates, tickets), (true, 1, 0), "{name}: {why}");
        assert!(why.contains("could not be read"), "{name}: {why}");
    }
}

/// A list answer that carries an error code in a 200 (the emulator refuses to aim one at
/// list_cases, which the spec does not mark with business errors): a server of the test's.
#[tokio::test]
async fn a_list_answer_with_an_error_code_is_never_absence() {
    use support::{Reply, Server};
    let server = Server::start(vec![
        Reply::json(200, json!({"total_count": 0, "incident_info_list": []})),
        Reply::json(500, json!({"error_code": "OSM.0004", "error_msg": "internal error"})),
        Reply::json(
            200,
            json!({"incident_business_type_list": [{"business_type_id": "P1", "business_type_name": "Login", "case_type": "0"}]}),
        ),
        Reply::json(200, json!({"error_code": "OSM.0004", "error_msg": "busy"})),
    ])
    .await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        .exactly_once(true)
        .reconcile_window(Duration::from_millis(600))
        .reconcile_first_look(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = client
        .create_case(&NewCase::new("P1", "list says error"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert!(
        err.reconciliation()
            .unwrap_or_default()
            .contains("could not be read"),
        "{err}"
    );
    let posts = server.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(posts, 1, "the create was not sent again");
    let lists = server
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.uri.path() == huaweicloud_osm::rules::LIST_CASES.path)
        .count();
    assert!(
        lists >= 2,
        "it kept looking within the window: {lists} list calls"
    );
}

/// Ids from the list are checked as a direct answer's are: one with a control character
/// is never returned (nor printed raw).
#[tokio::test]
async fn a_listed_id_with_control_characters_is_not_returned() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let problem = consultations(&emu).await.remove(0);
    let name = client(&emu, Duration::from_secs(5), Duration::from_secs(1))
        .list_problem_types()
        .send()
        .await
        .unwrap()
        .incident_business_type_list
        .iter()
        .find(|p| p.business_type_id.as_deref() == Some(&problem))
        .and_then(|p| p.business_type_name.clone())
        .unwrap();
    let listed = |id: &str| {
        json!({"total_count": 1, "incident_info_list": [{
            "status": 0, "incident_id": id, "business_type_name": name,
            "incident_type_name": "Consultation", "customer_id": "c", "dc_name": "",
            "simple_description": "hostile ids", "create_time": "2999-01-01T00:00:00Z"
        }]})
        .to_string()
    };
    emu.faults()
        .aim_sequence(
            Matcher::operation("list_cases"),
            [
                Fault::Pass,
                Fault::respond(200, listed("CS\u{1b}]0;pwned\u{7}")),
            ],
        )
        .unwrap();
    emu.faults()
        .aim(Matcher::operation("create_case"), Fault::DropBeforeRecord)
        .unwrap();
    let err = client(&emu, Duration::from_secs(5), Duration::from_secs(2))
        .create_case(&NewCase::new(problem, "hostile ids"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown());
    let text = err.to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(err.candidates().iter().all(|c| !c.contains('\u{1b}')));
    assert!(text.contains("control characters"), "{text}");
    emu.shutdown().await;
}

/// Uploads named by a create whose outcome is unknown are kept: the ticket may name them.
#[tokio::test]
async fn uploads_of_a_late_ticket_are_kept() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let problem = consultations(&emu).await.remove(0);
    emu.faults()
        .aim(
            Matcher::operation("create_case"),
            Fault::DelayBeforeRecord(Duration::from_secs(4)),
        )
        .unwrap();
    let c = client(&emu, Duration::from_secs(1), Duration::from_millis(500));
    let file = huaweicloud_osm::Attachment::new("log.txt", b"disk full".to_vec());
    let err = c
        .create_case_with_attachments(
            &NewCase::new(problem, "late with a log"),
            &[file],
            &huaweicloud_osm::ops::attachments::AttachOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.deleted().is_empty(), "{:?}", err.deleted());
    assert_eq!(err.kept().len(), 1);
    let e = err.into_error();
    assert!(e.outcome_unknown(), "{e}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(emu.ticket_count(), 1, "the late ticket landed");
    assert_eq!(emu.attachments().len(), 1, "its upload is still there");
    emu.shutdown().await;
}

/// "Open unless already open": the second run finds the first run's ticket; a closed one
/// does not count, another problem type does not count.
#[tokio::test]
async fn open_unless_already_open() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let types = consultations(&emu).await;
    let c = client(&emu, Duration::from_secs(5), Duration::from_secs(1));
    let day = Duration::from_secs(86_400);
    let case = NewCase::new(types[0].clone(), "[alert 7f3a] disk full on ecs-01");
    let first = c.create_case_unless_open(&case, day).await.unwrap();
    assert!(!first.already_open);
    let again = c.create_case_unless_open(&case, day).await.unwrap();
    assert!(again.already_open);
    assert_eq!(again.incident_id, first.incident_id);
    assert_eq!(emu.ticket_count(), 1);
    // Another problem type with the same words is another ticket.
    let other = NewCase::new(types[1].clone(), "[alert 7f3a] disk full on ecs-01");
    let second = c.create_case_unless_open(&other, day).await.unwrap();
    assert!(!second.already_open);
    assert_eq!(emu.ticket_count(), 2);
    // Once the first is completed, a new one is opened.
    emu.set_case_status(&first.incident_id, 3).unwrap();
    let third = c.create_case_unless_open(&case, day).await.unwrap();
    assert!(!third.already_open);
    assert_ne!(third.incident_id, first.incident_id);
    assert_eq!(emu.ticket_count(), 3);
    // A list answer that cannot be read is an error, not "none open": nothing is opened.
    emu.faults()
        .aim(Matcher::operation("list_cases"), Fault::respond(200, "{}"))
        .unwrap();
    let err = c.create_case_unless_open(&case, day).await.unwrap_err();
    assert!(!err.outcome_unknown(), "{err}");
    assert_eq!(emu.ticket_count(), 3);
    emu.shutdown().await;
}
