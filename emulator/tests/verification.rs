//! Contact verification over raw HTTP: codes readable at the admin route, single use,
//! expiring by the emulator's clock; verified ids listed; tickets that notify an
//! unregistered, unverified contact refused with the vendor's `OSM.01010010`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use common::{Answer, TOKEN, body, raw};
use huaweicloud_osm::Contact;
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::{Value, json};

const SEND: &str = "/v2/servicerequest/verifycodes/send";
const CHECK: &str = "/v2/servicerequest/verifycodes";
const NEED: &str = "/v2/servicerequest/verifycodes/need-verify";
const LIST: &str = "/v2/servicerequest/verifycodes/has-verified";
const CASES: &str = "/v2/servicerequest/cases";
const MAIL: &str = "oncall@example.com";

/// An emulator whose clock a test moves forward, with one registered e-mail address.
async fn emulator(offset: Arc<AtomicU64>) -> RunningEmulator {
    let start = SystemTime::now();
    Emulator::builder()
        .token(TOKEN)
        .registered_contact(Contact::email("owner@example.com"))
        .verification_code_ttl(Duration::from_secs(300))
        .clock(move || start + Duration::from_secs(offset.load(Ordering::Relaxed)))
        .start()
        .await
        .unwrap()
}

async fn post(emu: &RunningEmulator, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
    let mut req = raw()
        .post(format!("{}{path}", emu.base_url()))
        .header("x-auth-token", TOKEN)
        .json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    Answer::from(req.send().await.unwrap()).await
}

async fn get(emu: &RunningEmulator, path_and_query: &str) -> Value {
    let a = Answer::from(
        raw()
            .get(format!("{}{path_and_query}", emu.base_url()))
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.json()
}

/// The latest code sent to `value`, read like the SMS.
async fn code_for(emu: &RunningEmulator, value: &str) -> String {
    let codes: Value = raw()
        .get(format!("{}/__emulator/verification-codes", emu.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = codes
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|c| c["contact_value"] == value)
        .unwrap_or_else(|| panic!("no code for {value}: {codes}"));
    for key in ["contact_way", "contact_value", "area_code", "verify_code"] {
        assert!(code.get(key).is_some(), "{key} missing: {code}");
    }
    code["verify_code"].as_str().unwrap().to_owned()
}

fn ticket(remind_mail: &str) -> Value {
    let mut b = body();
    b["remind_mail"] = json!(remind_mail);
    b
}

fn assert_verification_failed(a: &Answer) -> String {
    // The vendor's business error: HTTP 200 with error_code in place of incident_id.
    a.assert_error(200, "OSM.01010010", false)
}

#[tokio::test]
async fn a_verified_contact_can_receive_notifications() {
    let clock = Arc::new(AtomicU64::new(0));
    let emu = emulator(clock.clone()).await;
    let need = get(&emu, &format!("{NEED}?contact_way=1&contact_value={MAIL}")).await;
    assert_eq!(need["need_verify_code"], 1);
    assert!(need.get("expire_time").is_none(), "{need}");

    // Unverified: the ticket is refused, nothing recorded.
    let a = post(&emu, CASES, ticket(MAIL), &[]).await;
    let msg = assert_verification_failed(&a);
    assert!(
        msg.contains("remind_mail") && msg.contains("x-email-verifiedid"),
        "{msg}"
    );
    assert_eq!(emu.ticket_count(), 0);

    let a = post(
        &emu,
        SEND,
        json!({"contact_way": 1, "contact_value": MAIL, "area_code": ""}),
        &[],
    )
    .await;
    assert_eq!((a.status, a.json()), (200, json!({})));
    let code = code_for(&emu, MAIL).await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let need = get(&emu, &format!("{NEED}?contact_way=1&contact_value={MAIL}")).await;
    let expire = need["expire_time"].as_str().unwrap();
    assert_eq!(expire.len(), "2026-11-28 08:38:54".len(), "{expire}");

    // A wrong code, then the right one, then the right one again.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let check = |c: &str| json!({"verify_code": c, "contact_way": 1, "contact_value": MAIL});
    let msg = assert_verification_failed(&post(&emu, CHECK, check(wrong), &[]).await);
    assert!(msg.contains("does not match"), "{msg}");
    let a = post(&emu, CHECK, check(&code), &[]).await;
    assert_eq!((a.status, a.json()), (200, json!({})));
    let msg = assert_verification_failed(&post(&emu, CHECK, check(&code), &[]).await);
    assert!(msg.contains("used already"), "{msg}");

    let listed = get(&emu, &format!("{LIST}?contact_way=1&contact_value={MAIL}")).await;
    assert_eq!(listed["count"], 1);
    let id = listed["contact_list"][0]["verified_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        id.len() <= 32,
        "x-email-verifiedid takes at most 32 characters: {id}"
    );
    let need = get(&emu, &format!("{NEED}?contact_way=1&contact_value={MAIL}")).await;
    assert_eq!(need["need_verify_code"], 0);

    // The wrong id, then the right one.
    let a = post(
        &emu,
        CASES,
        ticket(MAIL),
        &[("x-email-verifiedid", "0123456789abcdef")],
    )
    .await;
    assert_verification_failed(&a);
    let a = post(&emu, CASES, ticket(MAIL), &[("x-email-verifiedid", &id)]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.json()["incident_id"].is_string());
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.tickets()[0].headers["x-email-verifiedid"], id);
    emu.shutdown().await;
}

#[tokio::test]
async fn codes_expire_by_the_emulators_clock() {
    let clock = Arc::new(AtomicU64::new(0));
    let emu = emulator(clock.clone()).await;
    let phone = json!({"contact_way": 0, "contact_value": "13800000000", "area_code": "86"});
    assert_eq!(post(&emu, SEND, phone.clone(), &[]).await.status, 200);
    let code = code_for(&emu, "13800000000").await;
    clock.store(301, Ordering::Relaxed);
    let mut check = phone.clone();
    check["verify_code"] = json!(code);
    let msg = assert_verification_failed(&post(&emu, CHECK, check.clone(), &[]).await);
    assert!(msg.contains("expired"), "{msg}");
    // A new code replaces it.
    assert_eq!(post(&emu, SEND, phone, &[]).await.status, 200);
    check["verify_code"] = json!(code_for(&emu, "13800000000").await);
    assert_eq!(post(&emu, CHECK, check, &[]).await.status, 200);
    let listed = get(&emu, &format!("{LIST}?contact_way=0&area_code=86")).await;
    assert_eq!(listed["contact_list"][0]["contact_value"], "13800000000");
    let verified = listed["contact_list"][0]["verified_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The phone on a ticket: remind_mobile with its area code and x-phone-verifiedid.
    let mut b = body();
    b["remind_mobile"] = json!("13800000000");
    b["area_code"] = json!("86");
    assert_verification_failed(&post(&emu, CASES, b.clone(), &[]).await);
    let a = post(&emu, CASES, b, &[("x-phone-verifiedid", &verified)]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emu.shutdown().await;
}

#[tokio::test]
async fn registered_contacts_and_a_tickets_own_code_need_nothing_more() {
    let emu = emulator(Arc::new(AtomicU64::new(0))).await;
    let need = get(
        &emu,
        &format!("{NEED}?contact_way=1&contact_value=OWNER@example.com"),
    )
    .await;
    assert_eq!(need["need_verify_code"], 0);
    let a = post(&emu, CASES, ticket("owner@example.com"), &[]).await;
    assert_eq!(a.status, 200, "{}", a.text);

    // A code sent to the contact may ride on the ticket itself (verify_code), once.
    post(
        &emu,
        SEND,
        json!({"contact_way": 1, "contact_value": MAIL, "area_code": ""}),
        &[],
    )
    .await;
    let mut b = ticket(MAIL);
    b["verify_code"] = json!(code_for(&emu, MAIL).await);
    assert_eq!(post(&emu, CASES, b.clone(), &[]).await.status, 200);
    assert_verification_failed(&post(&emu, CASES, b, &[]).await);
    assert_eq!(emu.ticket_count(), 2);

    // Contacts that cannot receive a code.
    for (contact, expected) in [
        (
            json!({"contact_way": 1, "contact_value": "no-at-sign", "area_code": ""}),
            "not an e-mail address",
        ),
        (
            json!({"contact_way": 0, "contact_value": "+86 138", "area_code": "86"}),
            "not a phone number",
        ),
        (
            json!({"contact_way": 1, "contact_value": "", "area_code": ""}),
            "contact_value is empty",
        ),
    ] {
        let msg = post(&emu, SEND, contact, &[])
            .await
            .assert_error(400, "OSM.0001", false);
        assert!(msg.contains(expected), "{msg}");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn five_wrong_codes_burn_the_code() {
    let emu = emulator(Arc::new(AtomicU64::new(0))).await;
    post(
        &emu,
        SEND,
        json!({"contact_way": 1, "contact_value": MAIL, "area_code": ""}),
        &[],
    )
    .await;
    let code = code_for(&emu, MAIL).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..osm_emulator::MAX_FAILED_CHECKS {
        let a = post(
            &emu,
            CHECK,
            json!({"verify_code": wrong, "contact_way": 1, "contact_value": MAIL}),
            &[],
        )
        .await;
        assert_verification_failed(&a);
    }
    let a = post(
        &emu,
        CHECK,
        json!({"verify_code": code, "contact_way": 1, "contact_value": MAIL}),
        &[],
    )
    .await;
    let msg = assert_verification_failed(&a);
    assert!(msg.contains("no valid verification code"), "{msg}");
    assert!(emu.verified_contacts().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn verified_contacts_outlive_a_restart_with_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("s.jsonl");
    let emu = Emulator::builder()
        .token(TOKEN)
        .state_file(&state)
        .start()
        .await
        .unwrap();
    post(
        &emu,
        SEND,
        json!({"contact_way": 1, "contact_value": MAIL, "area_code": ""}),
        &[],
    )
    .await;
    let code = code_for(&emu, MAIL).await;
    post(
        &emu,
        CHECK,
        json!({"verify_code": code, "contact_way": 1, "contact_value": MAIL}),
        &[],
    )
    .await;
    let id = emu.verified_contacts()[0].verified_id.clone();
    emu.shutdown().await;
    let emu = Emulator::builder()
        .token(TOKEN)
        .state_file(&state)
        .start()
        .await
        .unwrap();
    let a = post(&emu, CASES, ticket(MAIL), &[("x-email-verifiedid", &id)]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emu.shutdown().await;
}

fn contact(value: &str) -> Value {
    json!({"contact_way": 1, "contact_value": value, "area_code": ""})
}

fn check_body(value: &str, code: &str) -> Value {
    json!({"verify_code": code, "contact_way": 1, "contact_value": value})
}

/// Sending is bounded per contact (`MAX_SENDS_PER_CONTACT` in `SEND_WINDOW`), and each
/// code takes `MAX_FAILED_CHECKS` wrong guesses: a contact's codes take at most their
/// product in guesses per window, answered in the vendor's shape (`OSM.01010010`, 200).
#[tokio::test]
async fn sends_per_contact_and_guesses_per_code_are_bounded() {
    use osm_emulator::{MAX_FAILED_CHECKS, MAX_SENDS_PER_CONTACT, SEND_WINDOW};
    let clock = Arc::new(AtomicU64::new(0));
    let emu = emulator(clock.clone()).await;
    let target = "target@example.com";
    let mut guesses = 0;
    for _ in 0..MAX_SENDS_PER_CONTACT {
        let a = post(&emu, SEND, contact(target), &[]).await;
        assert_eq!((a.status, a.json()), (200, json!({})));
        let code = code_for(&emu, target).await;
        // Guess every wrong code until the code is burned.
        for n in 0.. {
            let guess = format!("{:06}", (code.parse::<u32>().unwrap() + 1 + n) % 1_000_000);
            let a = post(&emu, CHECK, check_body(target, &guess), &[]).await;
            guesses += 1;
            let msg = assert_verification_failed(&a);
            if msg.contains("no longer valid") {
                break;
            }
            assert!(
                n < MAX_FAILED_CHECKS,
                "more than {MAX_FAILED_CHECKS} guesses"
            );
        }
    }
    assert_eq!(guesses, MAX_SENDS_PER_CONTACT * MAX_FAILED_CHECKS as usize);
    // One more code is refused, and no guess can succeed without one.
    let a = post(&emu, SEND, contact(target), &[]).await;
    let msg = assert_verification_failed(&a);
    assert!(
        msg.contains("too many codes") && msg.contains(&MAX_SENDS_PER_CONTACT.to_string()),
        "{msg}"
    );
    let a = post(&emu, CHECK, check_body(target, "123456"), &[]).await;
    assert_verification_failed(&a);
    assert_eq!(
        emu.verification_codes()
            .iter()
            .filter(|c| c.contact_value == target)
            .count(),
        MAX_SENDS_PER_CONTACT
    );
    // Another contact is not held back, and the window moves on.
    let a = post(&emu, SEND, contact("other@example.com"), &[]).await;
    assert_eq!((a.status, a.json()), (200, json!({})));
    clock.store(SEND_WINDOW.as_secs() + 1, Ordering::Relaxed);
    let a = post(&emu, SEND, contact(target), &[]).await;
    assert_eq!((a.status, a.json()), (200, json!({})));
    emu.shutdown().await;
}

/// Many checks at once with a state file: every verification answered is on disk, and
/// the emulator starts again from the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_keep_every_verification_in_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let start = || Emulator::builder().token(TOKEN).state_file(&state).start();
    let emu = start().await.unwrap();
    let rounds = 4;
    let per_round = 50;
    for round in 0..rounds {
        let contacts: Vec<String> = (0..per_round)
            .map(|i| format!("r{round}c{i}@example.com"))
            .collect();
        for c in &contacts {
            let a = post(&emu, SEND, contact(c), &[]).await;
            assert_eq!(a.status, 200, "{}", a.text);
        }
        let codes = emu.verification_codes();
        let url = emu.base_url();
        let checks: Vec<_> = contacts
            .iter()
            .map(|c| {
                let code = codes
                    .iter()
                    .rev()
                    .find(|s| &s.contact_value == c)
                    .unwrap()
                    .verify_code
                    .clone();
                let (url, body) = (url.clone(), check_body(c, &code));
                tokio::spawn(async move {
                    let r = raw()
                        .post(format!("{url}{CHECK}"))
                        .header("x-auth-token", TOKEN)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    Answer::from(r).await
                })
            })
            .collect();
        for check in checks {
            let a = check.await.unwrap();
            assert_eq!((a.status, a.json()), (200, json!({})), "{}", a.text);
        }
    }
    let answered = emu.verified_contacts();
    assert_eq!(answered.len(), rounds * per_round);
    emu.shutdown().await;
    let file = dir.path().join("state.jsonl.verified.json");
    let saved: Vec<Value> = serde_json::from_slice(&std::fs::read(&file).unwrap())
        .unwrap_or_else(|e| panic!("{} is not one JSON list: {e}", file.display()));
    assert_eq!(saved.len(), rounds * per_round);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let emu = start().await.unwrap();
    assert_eq!(emu.verified_contacts(), answered);
    emu.shutdown().await;
}

/// A verification that cannot be saved is not answered as done: 500 `OSM.0004`, and
/// the contact is not verified.
#[tokio::test]
async fn a_verification_that_cannot_be_saved_is_not_answered_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = Emulator::builder()
        .token(TOKEN)
        .state_file(&state)
        .start()
        .await
        .unwrap();
    let who = "unsaved@example.com";
    let a = post(&emu, SEND, contact(who), &[]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let code = code_for(&emu, who).await;
    // A directory where the file goes: the rename fails.
    std::fs::create_dir(dir.path().join("state.jsonl.verified.json")).unwrap();
    let a = post(&emu, CHECK, check_body(who, &code), &[]).await;
    let msg = a.assert_error(500, "OSM.0004", false);
    assert!(msg.contains("could not be recorded"), "{msg}");
    assert!(emu.verified_contacts().is_empty());
    let listed = get(&emu, &format!("{LIST}?contact_way=1&contact_value={who}")).await;
    assert_eq!(listed["count"], 0, "{listed}");
    emu.shutdown().await;
}

/// An emulator on the state file `state` whose clock stands `offset` seconds after
/// `start`, with the default code lifetime.
async fn restarted(
    state: &std::path::Path,
    start: SystemTime,
    offset: Duration,
) -> RunningEmulator {
    Emulator::builder()
        .token(TOKEN)
        .state_file(state)
        .clock(move || start + offset)
        .start()
        .await
        .unwrap()
}

/// Guesses a wrong code for `who` (one that differs from `code`), returning the refusal.
async fn wrong_guess(emu: &RunningEmulator, who: &str, code: &str) -> String {
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_verification_failed(&post(emu, CHECK, check_body(who, &wrong), &[]).await)
}

/// With a state file, the codes sent are saved before the send is answered, and a
/// restarted emulator keeps them with their limits: it accepts a code sent before the
/// restart (once), refuses a wrong or expired one, counts the wrong guesses made before
/// it (`MAX_FAILED_CHECKS`) and the codes sent before it (`MAX_SENDS_PER_CONTACT` in
/// `SEND_WINDOW`).
#[tokio::test]
async fn a_restart_keeps_pending_codes_and_their_limits() {
    use osm_emulator::{DEFAULT_CODE_TTL, MAX_FAILED_CHECKS, MAX_SENDS_PER_CONTACT, SEND_WINDOW};
    assert!(DEFAULT_CODE_TTL < SEND_WINDOW, "the test moves past both");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let codes_file = dir.path().join("state.jsonl.codes.json");
    let start = SystemTime::now();
    let (accepted, guessed, expiring, limited) = (
        "accepted@example.com",
        "guessed@example.com",
        "expiring@example.com",
        "limited@example.com",
    );

    // First run: one code each, a wrong guess at one, the most codes at another.
    let emu = restarted(&state, start, Duration::ZERO).await;
    for who in [accepted, guessed, expiring] {
        let a = post(&emu, SEND, contact(who), &[]).await;
        assert_eq!((a.status, a.json()), (200, json!({})), "{}", a.text);
        // On disk before the answer: the file holds the code just sent.
        let saved: Vec<Value> = serde_json::from_slice(&std::fs::read(&codes_file).unwrap())
            .unwrap_or_else(|e| panic!("{} is not one JSON list: {e}", codes_file.display()));
        let code = code_for(&emu, who).await;
        assert!(
            saved
                .iter()
                .any(|c| c["contact_value"] == who && c["verify_code"] == code),
            "{who}'s code is not in {}: {saved:?}",
            codes_file.display()
        );
    }
    for _ in 0..MAX_SENDS_PER_CONTACT {
        let a = post(&emu, SEND, contact(limited), &[]).await;
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let code_of_accepted = code_for(&emu, accepted).await;
    let code_of_guessed = code_for(&emu, guessed).await;
    let code_of_expiring = code_for(&emu, expiring).await;
    wrong_guess(&emu, guessed, &code_of_guessed).await;
    let sent = emu.verification_codes();
    emu.shutdown().await;

    // Second run, same clock: the codes are all there, as they were.
    let emu = restarted(&state, start, Duration::ZERO).await;
    assert_eq!(emu.verification_codes(), sent);
    let need = get(
        &emu,
        &format!("{NEED}?contact_way=1&contact_value={accepted}"),
    )
    .await;
    assert_eq!(need["need_verify_code"], 1, "{need}");
    assert!(need["expire_time"].is_string(), "a code is pending: {need}");
    // A wrong code is refused, the code sent before the restart accepted, once.
    let msg = wrong_guess(&emu, accepted, &code_of_accepted).await;
    assert!(msg.contains("does not match"), "{msg}");
    let a = post(&emu, CHECK, check_body(accepted, &code_of_accepted), &[]).await;
    assert_eq!((a.status, a.json()), (200, json!({})), "{}", a.text);
    let again = post(&emu, CHECK, check_body(accepted, &code_of_accepted), &[]).await;
    let msg = assert_verification_failed(&again);
    assert!(msg.contains("used already"), "{msg}");
    let id = emu.verified_contacts()[0].verified_id.clone();
    let a = post(
        &emu,
        CASES,
        ticket(accepted),
        &[("x-email-verifiedid", &id)],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // The wrong guess of the first run counts: MAX_FAILED_CHECKS - 1 more burn the code.
    for n in 1..MAX_FAILED_CHECKS {
        let msg = wrong_guess(&emu, guessed, &code_of_guessed).await;
        assert_eq!(
            msg.contains("no longer valid"),
            n == MAX_FAILED_CHECKS - 1,
            "guess {} of {MAX_FAILED_CHECKS}: {msg}",
            n + 1
        );
    }
    let burned = post(&emu, CHECK, check_body(guessed, &code_of_guessed), &[]).await;
    assert_verification_failed(&burned);
    // The codes of the first run count against the limit.
    let msg = assert_verification_failed(&post(&emu, SEND, contact(limited), &[]).await);
    assert!(msg.contains("too many codes"), "{msg}");
    emu.shutdown().await;

    // Third run, past the code's lifetime and the send window: the code sent in the
    // first run has expired, and the contact held back may have a code again.
    let emu = restarted(&state, start, SEND_WINDOW + Duration::from_secs(1)).await;
    let late = post(&emu, CHECK, check_body(expiring, &code_of_expiring), &[]).await;
    let msg = assert_verification_failed(&late);
    assert!(msg.contains("expired"), "{msg}");
    let a = post(&emu, SEND, contact(limited), &[]).await;
    assert_eq!((a.status, a.json()), (200, json!({})), "{}", a.text);
    emu.shutdown().await;
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A code that cannot be saved is not sent: 500 `OSM.0004`, and no code is recorded.
/// What a killed save left (`*.tmp` beside the codes file) is removed at the next start.
#[tokio::test]
async fn a_code_that_cannot_be_saved_is_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let codes_file = dir.path().join("state.jsonl.codes.json");
    let emu = restarted(&state, SystemTime::now(), Duration::ZERO).await;
    // A directory where the file goes: the rename fails.
    std::fs::create_dir(&codes_file).unwrap();
    let a = post(&emu, SEND, contact("unsaved@example.com"), &[]).await;
    let msg = a.assert_error(500, "OSM.0004", false);
    assert!(msg.contains("could not be recorded"), "{msg}");
    assert!(emu.verification_codes().is_empty());
    emu.shutdown().await;

    std::fs::remove_dir(&codes_file).unwrap();
    let unfinished = dir.path().join("state.jsonl.codes.json.4242-0.tmp");
    std::fs::write(&unfinished, "[").unwrap();
    let emu = restarted(&state, SystemTime::now(), Duration::ZERO).await;
    assert!(!unfinished.exists(), "{} was left", unfinished.display());
    assert!(emu.verification_codes().is_empty());
    emu.shutdown().await;
}
