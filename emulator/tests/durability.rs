//! Load and durability: many creates in flight, the state file across a restart and a
//! `kill -9`, and the `osm-emulator` binary itself.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::time::Instant;

use common::*;
use huaweicloud_osm::Credentials;
use osm_emulator::Emulator;

const TOTAL: usize = 2000;
const IN_FLIGHT: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_creates_in_flight() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let started = Instant::now();
    let ids = create_many(&client, TOTAL, IN_FLIGHT).await;
    eprintln!(
        "{TOTAL} creates, {IN_FLIGHT} in flight, memory: {:?}",
        started.elapsed()
    );
    assert_eq!(ids.len(), TOTAL);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), TOTAL);
    assert_eq!(emu.ticket_count(), TOTAL);
    assert_eq!(emu.requests_seen(), TOTAL as u64);
    let recorded: HashSet<String> = emu.tickets().into_iter().map(|t| t.incident_id).collect();
    assert_eq!(recorded, ids.into_iter().collect());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tickets.jsonl");
    let start = || Emulator::builder().token(TOKEN).state_file(&state).start();

    let emu = start().await.unwrap();
    let client = token_client(&emu);
    let started = Instant::now();
    let first = create_many(&client, TOTAL, IN_FLIGHT).await;
    eprintln!(
        "{TOTAL} creates, {IN_FLIGHT} in flight, state file: {:?}",
        started.elapsed()
    );
    assert_eq!(first.iter().collect::<HashSet<_>>().len(), TOTAL);
    assert_eq!(emu.ticket_count(), TOTAL);
    let before = emu.tickets();
    emu.shutdown().await;
    let text = std::fs::read_to_string(&state).unwrap();
    assert_eq!(text.lines().count(), TOTAL);

    let emu = start().await.unwrap();
    assert_eq!(emu.ticket_count(), TOTAL);
    assert_eq!(emu.tickets(), before);
    let client = token_client(&emu);
    let more = create_many(&client, 10, 4).await;
    let all: HashSet<&String> = first.iter().chain(&more).collect();
    assert_eq!(all.len(), TOTAL + 10, "ids never repeat across a restart");
    let seqs: Vec<u64> = emu.tickets().iter().map(|t| t.seq).collect();
    assert_eq!(seqs, (1..=TOTAL as u64 + 10).collect::<Vec<_>>());
    emu.shutdown().await;
}

#[tokio::test]
async fn binary_serves_and_stops_on_sigterm() {
    let mut bin = Binary::spawn(&["--listen", "127.0.0.1:0", "--token", "t"]);
    let client = client_at(&bin.url, Credentials::token("t"));
    let created = client.create_case(&case()).await.unwrap();
    assert!(created.incident_id.starts_with("CS"));
    let err = client_at(&bin.url, Credentials::token("other"))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.0002"));

    let killed = Command::new("kill")
        .args(["-TERM", &bin.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = bin.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn binary_refuses_to_start_without_credentials() {
    let out = Command::new(env!("CARGO_BIN_EXE_osm-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--accept-any-token"), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_osm-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--ak",
            "A",
            "--ak",
            "B",
            "--sk",
            "S",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pairs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_keeps_tickets_through_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let state = state.to_str().unwrap();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--ak",
        AK,
        "--sk",
        SK,
        "--state",
        state,
    ];

    let mut bin = Binary::spawn(&args);
    let client = client_at(&bin.url, Credentials::ak_sk(AK, SK));
    let first = create_many(&client, 50, 8).await;
    // SIGKILL: no shutdown, no flush. Every answered ticket was fsync'd already.
    bin.child.kill().unwrap();
    bin.child.wait().unwrap();
    drop(bin);

    let bin = Binary::spawn(&args);
    let tickets: serde_json::Value = raw()
        .get(format!("{}/__emulator/tickets", bin.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tickets["count"], 50);
    let recorded: HashSet<&str> = tickets["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["incident_id"].as_str().unwrap())
        .collect();
    assert_eq!(recorded, first.iter().map(String::as_str).collect());

    let client = client_at(&bin.url, Credentials::ak_sk(AK, SK));
    let next = client.create_case(&case()).await.unwrap();
    assert!(!recorded.contains(next.incident_id.as_str()));
}
