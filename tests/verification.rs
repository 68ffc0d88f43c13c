//! Contact verification through the library against the emulator: a code is sent, read
//! like the SMS (the emulator's record), checked, and the verified contact receives a
//! new ticket's notifications; wrong and reused codes are refused.

use huaweicloud_osm::{Client, Contact, Credentials, ErrorKind, NewCase, RetryPolicy};
use osm_emulator::{Emulator, RunningEmulator};

const TOKEN: &str = "verification-test-token";

async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .token(TOKEN)
        .registered_contact(Contact::phone("86", "13900000000"))
        .start()
        .await
        .unwrap()
}

fn client(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The code the emulator sent last to `value`.
fn sms(emu: &RunningEmulator, value: &str) -> String {
    emu.verification_codes()
        .into_iter()
        .rev()
        .find(|c| c.contact_value == value)
        .expect("a code was sent")
        .verify_code
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" { "999999" } else { "000000" }
}

#[tokio::test]
async fn an_email_address_verified_then_notified() {
    let emu = emulator().await;
    let client = client(&emu);
    let on_call = Contact::email("oncall@example.com");
    assert!(client.needs_verification(&on_call).await.unwrap());

    // Not verified yet: the ticket is refused as the vendor documents it.
    let case = NewCase::new("1", "disk full").remind_mail("oncall@example.com");
    let err = client.create_case(&case).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(
        (err.http_status(), err.error_code()),
        (Some(200), Some("OSM.01010010"))
    );
    assert!(!err.outcome_unknown());

    client.send_verification_code(&on_call).await.unwrap();
    let code = sms(&emu, "oncall@example.com");
    let err = client
        .verify_contact(&on_call, other_than(&code))
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010010"), "{err}");
    assert!(!err.to_string().contains(&code));

    let verified = client.verify_contact(&on_call, &code).await.unwrap();
    assert_eq!(verified.contact, on_call);
    assert_eq!(verified.verified_id, emu.verified_contacts()[0].verified_id);
    let err = client.verify_contact(&on_call, &code).await.unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010010"), "reused: {err}");
    assert!(!client.needs_verification(&on_call).await.unwrap());
    assert_eq!(
        client.find_verified_contact(&on_call).await.unwrap(),
        Some(verified.clone())
    );

    let created = client
        .create_case(&NewCase::new("1", "disk full").notify(&verified))
        .await
        .unwrap();
    let ticket = &emu.tickets()[0];
    assert_eq!(ticket.incident_id, created.incident_id);
    assert_eq!(ticket.body["remind_mail"], "oncall@example.com");
    assert_eq!(ticket.headers["x-email-verifiedid"], verified.verified_id);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_phone_number_and_a_registered_one() {
    let emu = emulator().await;
    let client = client(&emu);
    let registered = Contact::phone("86", "13900000000");
    assert!(!client.needs_verification(&registered).await.unwrap());
    client
        .create_case(
            &NewCase::new("1", "x")
                .remind_mobile("13900000000")
                .area_code("86"),
        )
        .await
        .unwrap();

    let phone = Contact::phone("44", "7700900123");
    assert!(client.needs_verification(&phone).await.unwrap());
    client.send_verification_code(&phone).await.unwrap();
    let verified = client
        .verify_contact(&phone, &sms(&emu, "7700900123"))
        .await
        .unwrap();
    let case = NewCase::new("1", "x").notify(&verified);
    client.create_case(&case).await.unwrap();
    let ticket = &emu.tickets()[1];
    assert_eq!(ticket.body["remind_mobile"], "7700900123");
    assert_eq!(ticket.body["area_code"], "44");
    assert_eq!(ticket.headers["x-phone-verifiedid"], verified.verified_id);
    assert!(
        client
            .find_verified_contact(&registered)
            .await
            .unwrap()
            .is_none()
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_malformed_code_is_refused_before_sending_without_showing_it() {
    let emu = emulator().await;
    let client = client(&emu);
    let err = client
        .verify_contact(&Contact::email("a@example.com"), "98765")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "verify_code");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("98765"), "{shown}");
    assert_eq!(emu.requests_seen(), 0);
    emu.shutdown().await;
}
