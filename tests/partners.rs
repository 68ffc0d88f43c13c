//! The partner operations through the library, against the emulator: the privilege of
//! handling the partner's tickets, and the partner's service hours in the language asked
//! for; input over the spec's limits is refused before it is sent.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind};
use osm_emulator::Emulator;

const TOKEN: &str = "partners-token";

#[tokio::test]
async fn the_partner_s_privilege_and_service_hours_are_read() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .build()
        .unwrap();
    let privilege = client.show_partners_cases_privilege().send().await.unwrap();
    assert_eq!(privilege.has_privilege, Some(true));

    let english = client
        .show_partners_service_info()
        .product_id("isv-product-1")
        .language("en-us")
        .send()
        .await
        .unwrap()
        .into_inner()
        .partners_service_info
        .expect("the partner");
    assert!(
        english
            .customer_name
            .as_deref()
            .is_some_and(|n| n.is_ascii())
    );
    assert!(
        english
            .service_time_zone
            .as_deref()
            .is_some_and(|z| z.starts_with("GMT"))
    );
    assert!(english.service_time_hour.is_some());
    let chinese = client
        .show_partners_service_info()
        .send()
        .await
        .unwrap()
        .into_inner()
        .partners_service_info
        .unwrap();
    assert_eq!(chinese.customer_id, english.customer_id);
    assert_ne!(chinese.customer_name, english.customer_name);
    let seen = emu.requests();
    assert!(
        seen[1]
            .query
            .as_deref()
            .is_some_and(|q| q.contains("product_id=isv-product-1")),
        "{:?}",
        seen[1].query
    );

    let before = emu.requests_seen();
    let max = rules::SHOW_PARTNERS_SERVICE_INFO
        .param(Location::Query, "case_sub_type_id")
        .and_then(|r| r.max_length)
        .unwrap();
    let err = client
        .show_partners_service_info()
        .case_sub_type_id("c".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "case_sub_type_id");
    assert_eq!(emu.requests_seen(), before, "nothing was sent");
    emu.shutdown().await;
}
