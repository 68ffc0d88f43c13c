//! Building a client leaves the process-wide rustls crypto provider alone: an
//! application that installs its own afterwards does not fail. Its own test binary,
//! since the provider is global to the process.

use huaweicloud_osm::{Client, Credentials, NewCase, Site};

#[tokio::test]
async fn an_application_installs_its_own_provider_after_building_clients() {
    // HTTPS (the sites' endpoints) and plain HTTP (the emulator) both build their TLS
    // configuration, with ring, for the client alone.
    let https = Client::builder()
        .site(Site::Europe)
        .credentials(Credentials::token("t"))
        .build()
        .unwrap();
    let emulator = osm_emulator::Emulator::builder()
        .token("t")
        .start()
        .await
        .unwrap();
    let http = Client::builder()
        .endpoint(emulator.base_url())
        .credentials(Credentials::token("t"))
        .build()
        .unwrap();
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "building a client installed a process-wide provider"
    );
    // The application's own choice succeeds...
    rustls::crypto::ring::default_provider()
        .install_default()
        .expect("nothing was installed before");
    // ...and the clients built before keep working.
    let created = http
        .create_case(&NewCase::new("1", "after install"))
        .await
        .unwrap();
    assert_eq!(emulator.tickets()[0].incident_id, created.incident_id);
    assert!(https.endpoint().starts_with("https://"));
    // A client built afterwards works too.
    let later = Client::builder()
        .endpoint(emulator.base_url())
        .credentials(Credentials::token("t"))
        .build()
        .unwrap();
    later
        .create_case(&NewCase::new("1", "built later"))
        .await
        .unwrap();
    assert_eq!(emulator.ticket_count(), 2);
    emulator.shutdown().await;
}
