//! The README's fault matrix again, with exactly-once creates
//! (`ClientBuilder::exactly_once(true)`, what `osm` does): for each fault, what the caller
//! gets, how many attempts were made, and how many tickets the emulator recorded. With
//! the default policy an ambiguous failure leaves the caller unsure (tests/fault_matrix.rs);
//! here every one of them ends with the one ticket, or with a definite refusal.

use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, NewCase, RetryPolicy};
use osm_emulator::{Emulator, Fault};

const TOKEN: &str = "matrix-token";

/// What a create ended with.
#[derive(Debug, PartialEq)]
enum End {
    /// The service answered with the ticket id.
    Answered,
    /// The answer was lost; the ticket was found by listing.
    Found,
    /// The service refused it; no ticket.
    Refused,
}

async fn run(fault: Fault) -> (End, u32, usize) {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .timeout(Duration::from_secs(2))
        .retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(1), Duration::from_millis(20)),
        )
        .exactly_once(true)
        .build()
        .unwrap();
    emu.faults().push(fault);
    let result = client
        .create_case(&NewCase::new("1", "fault matrix, exactly once"))
        .await;
    let tickets = emu.ticket_count();
    let recorded: Vec<String> = emu.tickets().into_iter().map(|t| t.incident_id).collect();
    emu.shutdown().await;
    match result {
        Ok(created) => {
            assert_eq!(
                recorded,
                std::slice::from_ref(&created.incident_id),
                "the id returned is the one recorded"
            );
            let end = if created.found_after.is_some() {
                End::Found
            } else {
                End::Answered
            };
            (end, created.attempts, tickets)
        }
        Err(e) => {
            assert!(!e.outcome_unknown(), "left unsure: {e}");
            (End::Refused, e.attempts(), tickets)
        }
    }
}

#[tokio::test]
async fn every_row_ends_with_one_ticket_or_a_refusal() {
    let rows: Vec<(&str, Fault, End, u32, usize)> = vec![
        (
            "500 OSM.0004",
            Fault::error(500, "OSM.0004", "internal error"),
            End::Answered,
            2,
            1,
        ),
        (
            "502 HTML",
            Fault::respond(502, "<html>502</html>"),
            End::Answered,
            2,
            1,
        ),
        (
            "503",
            Fault::error(503, "APIGW.0201", "unavailable"),
            End::Answered,
            2,
            1,
        ),
        (
            "dropped before recording",
            Fault::DropBeforeRecord,
            End::Answered,
            2,
            1,
        ),
        (
            "dropped after recording",
            Fault::DropAfterRecord,
            End::Found,
            1,
            1,
        ),
        (
            "delayed past the timeout",
            Fault::DelayAfterRecord(Duration::from_secs(10)),
            End::Found,
            1,
            1,
        ),
        ("truncated 200", Fault::TruncatedBody, End::Found, 1, 1),
        (
            "invalid JSON in a 200",
            Fault::respond(200, "{\"incident_id\": "),
            End::Answered,
            2,
            1,
        ),
        (
            "200 carrying OSM.01010003",
            Fault::error(200, "OSM.01010003", "urged too often"),
            End::Refused,
            1,
            0,
        ),
    ];
    for (name, fault, end, attempts, tickets) in rows {
        let seen = run(fault).await;
        assert_eq!(seen, (end, attempts, tickets), "{name}");
    }
}
