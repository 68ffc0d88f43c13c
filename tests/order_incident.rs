//! The older query of tickets (list_order_incident) through the library, against the
//! emulator: the tickets the emulator holds, filtered by the camelCase parameters as the
//! vendor's SDKs send them (keywords, labels as numbers, problem type, product
//! category, state), paged by number, answered with camelCase members; and input
//! refused before it is sent.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::json;

const AK: &str = "AKORDERS";
const SK: &str = "sk-orders-secret";

fn client_for(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .build()
        .unwrap()
}

async fn open_case(client: &Client, business: &str, product: &str, text: &str) -> String {
    let case = NewCase::new(business, text).set("product_category_id", json!(product));
    client.create_case(&case).await.unwrap().incident_id
}

/// The ids of the tickets an answer lists, in order.
fn ids(answer: &huaweicloud_osm::generated::types::ListOrderIncidentResponse) -> Vec<String> {
    answer
        .incident_info_list
        .iter()
        .filter_map(|c| c.incident_id.clone())
        .collect()
}

#[tokio::test]
async fn the_older_query_lists_the_tickets_with_its_own_names() {
    let emu = Emulator::builder().ak_sk(AK, SK).start().await.unwrap();
    let client = client_for(&emu);
    let disk = open_case(&client, "1", "p-ecs", "disk full on ecs-01").await;
    let bill = open_case(&client, "2", "p-billing", "invoice question").await;
    let net = open_case(&client, "1", "p-vpc", "vpc peering down").await;

    // Every ticket, newest first, with the answer's camelCase members.
    let all = client.list_order_incident().send().await.unwrap();
    assert_eq!(all.total_count, Some(3));
    assert_eq!(ids(&all), [net.clone(), bill.clone(), disk.clone()]);
    let raw = serde_json::to_value(&all.incident_info_list[2]).unwrap();
    assert_eq!(raw["incidentId"], disk.as_str(), "{raw}");
    assert_eq!(raw["simpleDescribe"], "disk full on ecs-01", "{raw}");
    assert_eq!(raw["status"], 0, "{raw}");
    assert!(raw["createTime"].is_string(), "{raw}");

    // Filters under the SDKs' names.
    let found = client
        .list_order_incident()
        .search_key(["ecs"])
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&found), std::slice::from_ref(&disk));
    let found = client
        .list_order_incident()
        .business_type_id("1")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&found), [net.clone(), disk.clone()]);
    let found = client
        .list_order_incident()
        .product_category_id("p-billing")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&found), std::slice::from_ref(&bill));
    client
        .update_case()
        .case_id(&bill)
        .action_id("cancel")
        .send()
        .await
        .unwrap();
    let found = client.list_order_incident().status(4).send().await.unwrap();
    assert_eq!(ids(&found), std::slice::from_ref(&bill));

    // Labels: sent as numbers, answered with the id as text.
    client
        .create_labels()
        .name("network")
        .color("#0000ff")
        .send()
        .await
        .unwrap();
    let label = client
        .list_labels()
        .name("network")
        .send()
        .await
        .unwrap()
        .label_list[0]
        .label_id
        .unwrap();
    client
        .create_case_labels()
        .case_id(&net)
        .label_ids([json!(label)])
        .send()
        .await
        .unwrap();
    let found = client
        .list_order_incident()
        .label_id_list([json!(label)])
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&found), std::slice::from_ref(&net));
    let raw = serde_json::to_value(&found.incident_info_list[0]).unwrap();
    assert_eq!(raw["labelList"][0]["labelId"], label.to_string(), "{raw}");
    assert_eq!(raw["labelList"][0]["name"], "network", "{raw}");

    // Pages by number, from 1.
    let page = client
        .list_order_incident()
        .page_no(2)
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(3));
    assert_eq!(ids(&page), std::slice::from_ref(&disk));
    let past = client
        .list_order_incident()
        .page_no(3)
        .page_size(2)
        .send()
        .await
        .unwrap();
    assert!(past.incident_info_list.is_empty());

    // The query names the parameters as the SDKs do.
    let sent = emu.requests();
    let query = sent.last().unwrap().query.clone().unwrap_or_default();
    assert!(
        query.contains("pageNo=3") && query.contains("pageSize=2"),
        "{query}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = Emulator::builder().ak_sk(AK, SK).start().await.unwrap();
    let client = client_for(&emu);
    let size = rules::LIST_ORDER_INCIDENT
        .param(Location::Query, "pageSize")
        .unwrap();
    let top = size.maximum.unwrap();
    let err = client
        .list_order_incident()
        .page_size(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "pageSize");
    assert!(err.to_string().contains(&top.to_string()), "{err}");

    let page = rules::LIST_ORDER_INCIDENT
        .param(Location::Query, "pageNo")
        .unwrap();
    let err = client
        .list_order_incident()
        .page_no(page.minimum.unwrap() - 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "pageNo");

    let keys = rules::LIST_ORDER_INCIDENT
        .param(Location::Query, "searchKey")
        .unwrap();
    let most = keys.max_items.unwrap();
    let err = client
        .list_order_incident()
        .search_key((0..=most).map(|i| format!("k{i}")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "searchKey");

    let err = client
        .list_order_incident()
        .query_start_time("2026-13-01 00:00:00")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "queryStartTime");
    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
