//! The complete tests the README shows under "As a test double": the README's block is
//! this file from the marker line on, and a test here checks that it stays so.

/// The README's test-double section shows this file's tests, as they are.
#[test]
fn the_readme_shows_these_tests() {
    let readme = include_str!("../README.md");
    let this = include_str!("readme.rs");
    let shown = this.split_once("// README:\n").expect("the marker").1;
    let section = readme
        .split_once("## As a test double")
        .expect("the section")
        .1;
    let block = section
        .split_once("```rust\n")
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .expect("a rust block")
        .0;
    assert_eq!(
        block, shown,
        "the README's block differs from tests/readme.rs"
    );
}

// README:
use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use osm_emulator::testing::*;

fn client_for(emulator: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emulator.base_url())
        .credentials(Credentials::token("dev-token"))
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(10), Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn one_emulator_many_cases() {
    let emulator = Emulator::builder()
        .token("dev-token")
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    for description in ["disk full", "cannot log in"] {
        emulator.reset().unwrap(); // tickets, states, faults, record: as new
        client
            .create_case(&NewCase::new("1", description))
            .await
            .unwrap();

        // Typed records: the generated body type, as the emulator validated it.
        let ticket: CreateCaseRequest = emulator.tickets()[0].request().unwrap();
        assert_eq!(ticket.simple_description.to_string(), description);
        // Every request, refused ones included, secrets redacted.
        let request = &emulator.requests()[0];
        assert_eq!(request.operation.as_deref(), Some("create_case"));
        assert_eq!(request.header("x-auth-token"), Some("[REDACTED]"));
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_lookup_fails_once_while_creates_succeed() {
    let emulator = Emulator::builder()
        .token("dev-token")
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    emulator
        .faults()
        .aim_sequence(
            Matcher::operation("list_problem_types").header("x-language", "en-us"),
            [Fault::error(503, "OSM.0004", "busy"), Fault::Pass],
        )
        .unwrap();

    client
        .create_case(&NewCase::new("1", "disk full"))
        .await
        .unwrap();
    let english = client
        .list_problem_types()
        .language("en-us")
        .send()
        .await
        .unwrap();
    assert!(!english.incident_business_type_list.is_empty()); // retried after the 503

    let statuses: Vec<_> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(200), Some(503), Some(200)]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_create_is_expected() {
    let emulator = Emulator::builder()
        .token("dev-token")
        .start()
        .await
        .unwrap();
    let client = client_for(&emulator);
    let _once = emulator.expect(
        Expectation::operation("create_case")
            .matching(|r| r.json().is_some_and(|b| b["business_type_id"] == "1"))
            .times(1),
    ); // checked when dropped: a panic with the report if not met

    client
        .create_case(&NewCase::new("1", "disk full"))
        .await
        .unwrap();
    assert!(emulator.verify().is_ok());
}
