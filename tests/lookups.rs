//! The look-ups through the library: against the emulator's catalogue (every one of the
//! ten, in both languages, with their filters), and against a scripted loopback server
//! for what goes on the wire (query encoding, headers, signatures) and for retries of an
//! idempotent call.

mod support;

use std::time::Duration;

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind, RetryPolicy};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::json;
use support::{Reply, Server};

const AK: &str = "AKLOOKUPS";
const SK: &str = "sk-lookups-secret";
/// From the built-in catalogue (emulator/data/catalogue/README.md).
const ECS: &str = "08ecc979b7cdcc7678f390caf9aa5e1c";
const LOGIN_FAILURE: &str = "d809d923cd839145fa064156abdd41a5";
const USAGE_CONSULTATION: &str = "506dae22153248e5d3f21cd5c9a05b43";

async fn emulator() -> RunningEmulator {
    Emulator::builder().ak_sk(AK, SK).start().await.unwrap()
}

fn client_for(emu: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .language("en-us")
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_lookup_answers_from_the_catalogue() {
    let emu = emulator().await;
    let client = client_for(&emu);

    let problems = client.list_problem_types().send().await.unwrap();
    let list = problems.incident_business_type_list.clone();
    assert!(list.len() >= 10, "{list:?}");
    assert_eq!(problems.total_count, Some(list.len() as i64));
    let login = list
        .iter()
        .find(|p| p.business_type_id.as_deref() == Some(LOGIN_FAILURE))
        .expect("the login-failure problem type");
    assert_eq!(
        login.case_type,
        Some(huaweicloud_osm::CaseType::FaultReport)
    );
    assert_eq!(
        login.business_type_name.as_deref(),
        Some("Cannot log in to a server")
    );
    assert!(
        list.iter()
            .any(|p| p.case_type == Some(huaweicloud_osm::CaseType::Consultation))
    );
    assert!(
        list.iter()
            .all(|p| p.business_type_id.as_ref().is_some_and(|id| id.len() == 32))
    );

    let categories = client.list_case_categories().send().await.unwrap();
    assert!(!categories.incident_sub_type_list.is_empty());
    assert!(
        categories
            .incident_sub_type_list
            .iter()
            .all(|s| !s.incident_product_category_list.is_empty())
    );

    let products = client.list_product_categories().send().await.unwrap();
    assert!(products.incident_product_category_list.len() >= 5);

    let severities = client
        .list_severities()
        .product_category_id(ECS)
        .business_type_id(LOGIN_FAILURE)
        .send()
        .await
        .unwrap();
    assert!(!severities.severity_list.is_empty());
    assert!(
        severities
            .severity_list
            .iter()
            .all(|s| s.language.as_deref() == Some("en-us"))
    );

    let regions = client.list_regions().send().await.unwrap();
    let types: std::collections::BTreeSet<i32> = regions
        .data_center_list
        .iter()
        .filter_map(|r| r.type_)
        .collect();
    assert_eq!(types, [0, 1, 2].into(), "regions of all three sites");

    let codes = client.list_area_codes().send().await.unwrap();
    assert!(
        codes
            .area_code_list
            .iter()
            .any(|a| a.area_code.as_deref() == Some("86"))
    );

    let extends = client
        .list_extends_params()
        .business_type_id(LOGIN_FAILURE)
        .send()
        .await
        .unwrap();
    assert!(!extends.extends_params.is_empty());

    let templates = client
        .list_case_templates()
        .business_type_id(LOGIN_FAILURE)
        .send()
        .await
        .unwrap();
    assert!(!templates.incident_template_list.is_empty());

    let limits = client.list_case_limits().send().await.unwrap();
    assert!(limits.config.is_some());

    let quotas = client
        .list_case_quotas()
        .business_type_id(LOGIN_FAILURE)
        .product_category_id(ECS)
        .send()
        .await
        .unwrap();
    assert!(quotas.total.is_some() && quotas.un_used.is_some());
    assert!(quotas.request_id().is_some());
    emu.shutdown().await;
}

#[tokio::test]
async fn names_follow_the_language_and_default_to_chinese() {
    let emu = emulator().await;
    let zh = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .build()
        .unwrap();
    let answer = zh.list_problem_types().send().await.unwrap();
    let name = answer
        .incident_business_type_list
        .iter()
        .find(|p| p.business_type_id.as_deref() == Some(LOGIN_FAILURE))
        .and_then(|p| p.business_type_name.clone())
        .unwrap();
    assert!(
        name.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{name}"
    );
    // The request's own header wins over the client's.
    let en = zh
        .list_problem_types()
        .language("en-us")
        .send()
        .await
        .unwrap();
    assert!(
        en.incident_business_type_list
            .iter()
            .any(|p| p.business_type_name.as_deref() == Some("Cannot log in to a server"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn filters_narrow_the_lists() {
    let emu = emulator().await;
    let client = client_for(&emu);
    let all = client.list_problem_types().send().await.unwrap();
    let ecs = client
        .list_problem_types()
        .product_category_id(ECS)
        .send()
        .await
        .unwrap();
    assert!(ecs.incident_business_type_list.len() < all.incident_business_type_list.len());
    assert!(
        ecs.incident_business_type_list
            .iter()
            .any(|p| p.business_type_id.as_deref() == Some(USAGE_CONSULTATION))
    );
    let by_name = client
        .list_product_categories()
        .product_category_name("ECS")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.incident_product_category_list.len(), 1);
    assert_eq!(
        by_name.incident_product_category_list[0]
            .incident_product_category_id
            .as_deref(),
        Some(ECS)
    );
    let none = client
        .list_product_categories()
        .product_category_name("no such product")
        .send()
        .await
        .unwrap();
    assert!(none.incident_product_category_list.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn query_parameters_are_checked_before_sending() {
    let emu = emulator().await;
    let client = client_for(&emu);
    // Both parameters of list_severities are mandatory.
    let err = client
        .list_severities()
        .product_category_id(ECS)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "business_type_id");
    assert_eq!(err.validation().unwrap().location(), Location::Query);
    assert_eq!(
        err.to_string(),
        "invalid request, nothing was sent: query parameter business_type_id is required but missing"
    );
    // A value over the spec's limit names the limit and the size.
    let max = rules::LIST_PROBLEM_TYPES
        .param(Location::Query, "product_category_id")
        .and_then(|r| r.max_length)
        .unwrap();
    let err = client
        .list_problem_types()
        .product_category_id("x".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!(
            "query parameter product_category_id is {} characters long; the maximum length is {max}",
            max + 1
        )),
        "{err}"
    );
    // A control character cannot go into a header.
    let err = client
        .list_regions()
        .language("en\r\nX-Evil: 1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "X-Language");
    // X-Time-Zone is an offset from UTC; a zone name is refused before it is sent.
    let err = client
        .list_regions()
        .time_zone("Asia/Shanghai")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "X-Time-Zone");
    assert!(err.to_string().contains("pattern"), "{err}");
    for zone in ["GMT+8", "GMT-3:30", "UTC+0", "GMT", "+14"] {
        let regions = client.list_regions().time_zone(zone).send().await;
        assert!(regions.is_ok(), "{zone}: {regions:?}");
    }
    assert_eq!(
        emu.requests_seen(),
        5,
        "only the five offsets reached the emulator"
    );
    let err = Client::builder()
        .endpoint(emu.base_url())
        .time_zone("CST")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("X-Time-Zone"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_query_goes_out_encoded_and_signed() {
    let server = Server::start(vec![Reply::json(200, json!({"total_count": 0}))]).await;
    let client = Client::builder()
        .endpoint(&server.url)
        .credentials(Credentials::ak_sk(AK, SK))
        .language("en-us")
        .x_site(Some(1))
        .build()
        .unwrap();
    client
        .list_problem_types()
        .product_category_id("a b&c/d")
        .send()
        .await
        .unwrap();
    let seen = server.only();
    assert_eq!(seen.method, "GET");
    assert_eq!(seen.uri.path(), "/v2/servicerequest/config/problems");
    assert_eq!(seen.uri.query(), Some("product_category_id=a%20b%26c%2Fd"));
    assert_eq!(seen.header("x-language"), Some("en-us"));
    assert_eq!(seen.header("x-site"), Some("1"));
    assert!(seen.header("content-type").is_none(), "a GET has no body");
    assert!(seen.body.is_empty());
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.starts_with("SDK-HMAC-SHA256 Access=AKLOOKUPS, "),
        "{auth}"
    );
    // The signature covers exactly what was sent: the signer's verifier accepts it.
    let parts = huaweicloud_signing::RequestParts {
        method: "GET",
        path: seen.uri.path(),
        query: seen.uri.query(),
        headers: &seen.headers,
        body: &seen.body,
    };
    let secret = |ak: &str| (ak == AK).then(|| secrecy::SecretString::from(SK));
    assert_eq!(
        huaweicloud_signing::verify(&parts, secret, std::time::SystemTime::now()).as_deref(),
        Ok(AK)
    );
}

fn retrying(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::token("t"))
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_idempotent_lookup_is_retried_after_a_5xx() {
    let server = Server::start(vec![
        Reply::raw(503, "text/html", "<html>busy</html>"),
        Reply::json(
            500,
            json!({"error_code": "OSM.0004", "error_msg": "internal"}),
        ),
        Reply::json(
            200,
            json!({"config": {"create_case_ccemail_max_count": 10}}),
        ),
    ])
    .await;
    let answer = retrying(&server.url)
        .list_case_limits()
        .send()
        .await
        .unwrap();
    assert_eq!(answer.attempts(), 3);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_create_is_not_retried_after_a_5xx() {
    let server = Server::start(vec![
        Reply::json(
            500,
            json!({"error_code": "OSM.0004", "error_msg": "internal"}),
        ),
        Reply::json(200, json!({"incident_id": "CS1"})),
    ])
    .await;
    let err = retrying(&server.url)
        .create_case(&huaweicloud_osm::NewCase::new("1", "x"))
        .await
        .unwrap_err();
    assert!(err.outcome_unknown());
    assert!(!err.is_retryable());
    assert_eq!(
        server.seen().len(),
        1,
        "the ticket may exist: not sent again"
    );
}

#[tokio::test]
async fn a_lookup_failure_is_not_ambiguous_and_says_so() {
    let server = Server::start(vec![Reply::json(
        500,
        json!({"error_code": "OSM.0004", "error_msg": "internal"}),
    )])
    .await;
    let err = support::client(&server.url)
        .list_regions()
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.operation(), Some("list_regions"));
    assert!(err.is_idempotent());
    assert!(!err.outcome_unknown(), "a GET changes nothing");
    assert!(err.is_retryable());
    assert!(!err.to_string().contains("ticket"), "{err}");
}

#[tokio::test]
async fn answers_that_break_the_declared_types_are_read_as_the_vendor_sends_them() {
    // The vendor's own examples send numbers for booleans.
    let server = Server::start(vec![Reply::json(
        200,
        json!({"show": 1, "severity_list": [{"language": "zh-cn", "severity_name": "一般", "severity_id": "123"}]}),
    )])
    .await;
    let answer = support::client(&server.url)
        .list_severities()
        .product_category_id("p")
        .business_type_id("b")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.show.map(|b| b.get()), Some(true));
    // The answer as it came stays available, untouched.
    let raw: serde_json::Value = serde_json::from_slice(answer.raw_json()).unwrap();
    assert_eq!(raw["show"], json!(1));
    assert_eq!(raw["severity_list"][0]["severity_name"], json!("一般"));
}
