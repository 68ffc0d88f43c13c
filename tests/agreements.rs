//! Agreements through the library, against the emulator: the latest published agreement
//! of each type, signed by id (answering a record id), after which
//! show_signed_latest_published_agreement answers signed for that type and account only;
//! signatures survive a restart with a state file and are cleared by a reset; and the
//! configuration look-up (show_configuration). Input outside the spec's values is
//! refused before it is sent.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, ErrorKind};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};

mod support;

const AK: &str = "AKAGREEMENTS";
const SK: &str = "sk-agreements-secret";

fn builder() -> EmulatorBuilder {
    Emulator::builder().ak_sk(AK, SK)
}

fn client_for(emu: &RunningEmulator, domain: &str) -> Client {
    support::account_client(&emu.base_url(), AK, SK, domain)
}

/// The id of the latest published agreement of `kind`, as a number.
async fn latest(client: &Client, kind: &str) -> i64 {
    let answer = client
        .show_latest_published_agreement()
        .agreement_type(kind)
        .send()
        .await
        .unwrap();
    let agreement = answer.into_inner().case_agreement.expect("an agreement");
    assert_eq!(agreement.agreement_type.as_deref(), Some(kind));
    agreement
        .id
        .expect("an id")
        .parse()
        .expect("a number as text")
}

async fn signed(client: &Client, kind: &str) -> bool {
    client
        .show_signed_latest_published_agreement()
        .agreement_type(kind)
        .send()
        .await
        .unwrap()
        .is_signed_latest
        .expect("is_signed_latest")
}

#[tokio::test]
async fn a_signed_agreement_is_answered_signed_for_its_type_and_account() {
    let emu = builder().start().await.unwrap();
    let a = client_for(&emu, "domain-a");
    let b = client_for(&emu, "domain-b");
    let kinds = rules::SHOW_LATEST_PUBLISHED_AGREEMENT
        .param(Location::Query, "agreement_type")
        .unwrap()
        .allowed;
    assert!(kinds.len() > 1);
    let mut ids = Vec::new();
    for kind in kinds {
        ids.push(latest(&a, kind).await);
        assert!(!signed(&a, kind).await, "type {kind} is not signed yet");
    }
    let english = a
        .show_latest_published_agreement()
        .agreement_type(kinds[0])
        .language("en-us")
        .send()
        .await
        .unwrap()
        .into_inner()
        .case_agreement
        .unwrap();
    assert!(
        english.content.as_deref().is_some_and(|c| c.is_ascii()),
        "{english:?}"
    );
    assert!(english.version.is_some());

    let first = a
        .sign_published_agreement()
        .id(ids[0])
        .relation_id("authorization-1")
        .send()
        .await
        .unwrap()
        .agreement_signed_record_id
        .expect("a record id");
    assert!(signed(&a, kinds[0]).await);
    assert!(!signed(&a, kinds[1]).await, "only the type signed");
    assert!(!signed(&b, kinds[0]).await, "only the account that signed");
    // Without a type: type 0, the one signed.
    let default = a
        .show_signed_latest_published_agreement()
        .send()
        .await
        .unwrap();
    assert_eq!(default.is_signed_latest, Some(true));

    // Signing again records another signature; the body may be left out.
    let second = a
        .sign_published_agreement()
        .id(ids[0])
        .send()
        .await
        .unwrap()
        .agreement_signed_record_id
        .unwrap();
    assert!(second > first, "{second} after {first}");

    // An agreement that is not published is not found.
    let unknown = ids.iter().max().unwrap() + 1000;
    let err = a
        .sign_published_agreement()
        .id(unknown)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn signatures_survive_a_restart_and_a_reset_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let id = latest(&client, "2").await;
    client
        .sign_published_agreement()
        .id(id)
        .send()
        .await
        .unwrap();
    emu.shutdown().await;

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    assert!(signed(&client, "2").await);
    emu.shutdown().await;

    // A memory-only emulator (one with a state file is never reset).
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    client
        .sign_published_agreement()
        .id(id)
        .send()
        .await
        .unwrap();
    let cleared = emu.reset().unwrap();
    assert_eq!(cleared.get("records"), Some(&1), "{cleared:?}");
    assert!(!signed(&client, "2").await);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_configuration_item_is_read_by_its_key() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let item = client
        .show_configuration()
        .config_key("case_cc_email_max_count")
        .send()
        .await
        .unwrap();
    assert_eq!(item.config_key.as_deref(), Some("case_cc_email_max_count"));
    assert!(
        item.config_value
            .as_deref()
            .is_some_and(|v| v.parse::<u32>().is_ok())
    );
    let err = client
        .show_configuration()
        .config_key("no_such_key")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    assert_eq!(
        emu.requests().last().map(|r| r.path.clone()).as_deref(),
        Some("/v2/servicerequest/configurations/no_such_key")
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");

    let err = client
        .show_latest_published_agreement()
        .agreement_type("5")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "agreement_type");

    let id = rules::SIGN_PUBLISHED_AGREEMENT
        .param(Location::Path, "id")
        .unwrap();
    let least = id.minimum.unwrap();
    let err = client
        .sign_published_agreement()
        .id(least - 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "id");
    let relation = rules::SIGN_PUBLISHED_AGREEMENT
        .body_field("relation_id")
        .unwrap();
    let max = relation.max_length.unwrap();
    let err = client
        .sign_published_agreement()
        .id(least)
        .relation_id("r".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "relation_id");
    assert!(err.to_string().contains(&max.to_string()), "{err}");

    let key = rules::SHOW_CONFIGURATION
        .param(Location::Path, "config_key")
        .unwrap();
    let err = client
        .show_configuration()
        .config_key("k".repeat(key.max_length.unwrap() + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "config_key");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
