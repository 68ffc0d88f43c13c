//! The state file under abuse: files that are not state files, a last line that lost
//! only its newline, two emulators on one file, duplicate and exhausted sequence
//! numbers, and tickets that nest as deep as the validator allows.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use huaweicloud_osm::{Credentials, validation};
use osm_emulator::{Emulator, RunningEmulator, StartError};
use serde_json::{Value, json};

async fn start(path: &Path) -> Result<RunningEmulator, StartError> {
    Emulator::builder()
        .token(TOKEN)
        .state_file(path)
        .start()
        .await
}

/// The message, as the binary and `osm --emulator` print it (`Display` alone).
fn message(e: &StartError) -> String {
    e.to_string()
}

/// Creates `n` tickets on a fresh emulator over `path`, then shuts it down.
async fn fill(path: &Path, n: usize) -> Vec<String> {
    let emu = start(path).await.expect("starts");
    let ids = create_many(&token_client(&emu), n, 1).await;
    emu.shutdown().await;
    ids
}

#[tokio::test]
async fn a_file_that_is_not_a_state_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [
        // A ticket body saved without a final newline, passed as --state by mistake.
        (
            "ticket.json",
            r#"{"business_type_id":"1","simple_description":"disk full"}"#,
        ),
        ("pretty.json", "{\n  \"business_type_id\": \"1\"\n}"),
        ("notes.txt", "remember to open a ticket"),
        ("seq.json", r#"{"seq":1}"#),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = start(&path).await.expect_err(name);
        let msg = message(&err);
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            content,
            "{name} was changed"
        );
    }
}

#[tokio::test]
async fn a_last_ticket_that_lost_only_its_newline_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    let first = fill(&path, 3).await;
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.trim_end_matches('\n')).unwrap();

    let emu = start(&path).await.expect("starts");
    assert_eq!(emu.ticket_count(), 3, "the last ticket is kept");
    let next = token_client(&emu).create_case(&case()).await.unwrap();
    assert!(
        !first.contains(&next.incident_id),
        "{} again",
        next.incident_id
    );
    emu.shutdown().await;
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

#[tokio::test]
async fn a_torn_last_line_left_by_a_crash_is_still_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    fill(&path, 2).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let last = text.lines().last().unwrap();
    // The first half of a third line, as a crash mid-write leaves it.
    let torn = last.replace("\"seq\":2", "\"seq\":3");
    let torn = &torn[..torn.len() / 2];
    std::fs::write(&path, format!("{text}{torn}")).unwrap();

    let emu = start(&path).await.expect("starts");
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[tokio::test]
async fn two_emulators_cannot_share_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    let first = start(&path).await.expect("the first starts");
    token_client(&first).create_case(&case()).await.unwrap();

    let err = start(&path).await.expect_err("the second must not start");
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    let msg = message(&err);
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "names the holder: {msg}"
    );
    // The first still works, and its file is intact.
    token_client(&first).create_case(&case()).await.unwrap();
    first.shutdown().await;

    // Once the first is gone, the file is free again.
    let again = start(&path).await.expect("starts after the first stopped");
    assert_eq!(again.ticket_count(), 2);
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_binary_on_a_locked_file_refuses_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    let state = path.to_str().unwrap();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--state",
        state,
    ];
    let first = Binary::spawn(&args);
    let client = client_at(&first.url, Credentials::token(TOKEN));
    client.create_case(&case()).await.unwrap();

    let mut second = Command::new(env!("CARGO_BIN_EXE_osm-emulator"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A started emulator prints its URL; a refusing one exits, closing standard output.
    let mut line = String::new();
    BufReader::new(second.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if !line.is_empty() {
        let _ = second.kill();
        let _ = second.wait();
        panic!("a second emulator started on a locked state file: {line}");
    }
    let status = second.wait().unwrap();
    assert!(!status.success());
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(stderr.contains(state), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.child.id())),
        "{stderr}"
    );
    // The first was not disturbed.
    client.create_case(&case()).await.unwrap();
}

#[tokio::test]
async fn duplicate_sequence_numbers_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    fill(&path, 2).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let second = text.lines().nth(1).unwrap().to_owned();
    // What two emulators writing at once leave behind.
    std::fs::write(&path, format!("{text}{second}\n")).unwrap();
    let err = start(&path).await.expect_err("duplicates are refused");
    let msg = message(&err);
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("seq 2"), "{msg}");
    assert!(msg.contains("lines 2 and 3"), "{msg}");
}

/// A state file whose only ticket has sequence number `seq`.
async fn with_seq(path: &Path, seq: u64) {
    let _ = std::fs::remove_file(path);
    fill(path, 1).await;
    let text = std::fs::read_to_string(path).unwrap();
    let mut ticket: Value = serde_json::from_str(text.trim_end()).unwrap();
    ticket["seq"] = json!(seq);
    std::fs::write(path, format!("{ticket}\n")).unwrap();
}

#[tokio::test]
async fn sequence_numbers_never_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");

    with_seq(&path, u64::MAX).await;
    let err = start(&path).await.expect_err("no sequence number is left");
    let msg = message(&err);
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(&u64::MAX.to_string()), "{msg}");
    assert!(msg.contains("sequence number"), "{msg}");

    // One number left: one more ticket, then a clear refusal, never a wrap.
    with_seq(&path, u64::MAX - 1).await;
    let emu = start(&path).await.expect("starts");
    let client = token_client(&emu);
    let last = client.create_case(&case()).await.unwrap();
    assert!(
        last.incident_id.ends_with(&u64::MAX.to_string()),
        "{}",
        last.incident_id
    );
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(500));
    assert_eq!(err.error_code(), Some("OSM.0004"));
    assert!(
        err.to_string().contains("sequence number"),
        "{}",
        err.to_string()
    );
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
}

/// A body whose `extends_map` nests `depth` objects below it.
fn nested_body(depth: usize) -> Value {
    let mut inner = json!("bottom");
    for i in 0..depth {
        inner = json!({ format!("k{i}"): inner });
    }
    let mut body = body();
    body["extends_map"] = inner;
    body
}

#[tokio::test]
async fn the_deepest_ticket_the_validator_accepts_survives_a_restart() {
    // Probe the validator (the library's rules, which the emulator applies) for the
    // deepest `extends_map` it accepts.
    let accepted = |d: usize| {
        validation::parse_body_bytes(&serde_json::to_vec(&nested_body(d)).unwrap()).is_ok()
    };
    let deepest = (1..1000).take_while(|&d| accepted(d)).last().unwrap();
    assert!(deepest >= 100, "the validator stops at {deepest} levels");
    assert!(!accepted(deepest + 1));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    let emu = start(&path).await.expect("starts");
    let a = Answer::from(
        raw()
            .post(format!("{}/v2/servicerequest/cases", emu.base_url()))
            .header("x-auth-token", TOKEN)
            .header("content-type", "application/json")
            .body(nested_body(deepest).to_string())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let before = emu.tickets();
    emu.shutdown().await;

    let emu = start(&path).await.expect("the state file loads back");
    assert_eq!(emu.tickets(), before);
    assert_eq!(
        emu.tickets()[0].body["extends_map"],
        nested_body(deepest)["extends_map"]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_line_nesting_past_the_loader_bound_is_refused_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.jsonl");
    fill(&path, 1).await;
    let text = std::fs::read_to_string(&path).unwrap();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let line = text
        .trim_end()
        .replace("\"body\":{", &format!("\"body\":{{\"deep\":{deep},"));
    std::fs::write(&path, format!("{line}\n")).unwrap();
    let err = start(&path).await.expect_err("refused");
    let msg = message(&err);
    assert!(msg.contains("line 1"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
}
