//! The emulator's routing by the spec and its look-ups, over raw HTTP: what a client of
//! any language sees.

mod common;

use common::{Answer, TOKEN, emulator, raw, token_client};
use huaweicloud_osm::NewCase;
use huaweicloud_osm::rules;
use osm_emulator::{Catalogue, Emulator};
use serde_json::{Value, json};

/// From the built-in catalogue (emulator/data/catalogue/README.md).
const ECS: &str = "08ecc979b7cdcc7678f390caf9aa5e1c";
const LOGIN_FAILURE: &str = "d809d923cd839145fa064156abdd41a5";
const USAGE_CONSULTATION: &str = "506dae22153248e5d3f21cd5c9a05b43";

async fn get(base: &str, path_and_query: &str, language: Option<&str>) -> Answer {
    let mut req = raw()
        .get(format!("{base}{path_and_query}"))
        .header("X-Auth-Token", TOKEN);
    if let Some(l) = language {
        req = req.header("X-Language", l);
    }
    Answer::from(req.send().await.unwrap()).await
}

#[tokio::test]
async fn every_lookup_of_the_spec_answers_200_with_a_request_id() {
    let emu = emulator().await;
    let base = emu.base_url();
    let queries = [
        (
            "list_severities",
            format!("?product_category_id={ECS}&business_type_id={LOGIN_FAILURE}"),
        ),
        (
            "list_extends_params",
            format!("?business_type_id={LOGIN_FAILURE}"),
        ),
        (
            "list_case_templates",
            format!("?business_type_id={LOGIN_FAILURE}"),
        ),
        (
            "list_case_quotas",
            format!("?business_type_id={LOGIN_FAILURE}"),
        ),
    ];
    let lookups: Vec<_> = rules::OPERATIONS
        .iter()
        .filter(|o| o.family == "lookups")
        .collect();
    assert_eq!(lookups.len(), 10);
    for op in lookups {
        let query = queries
            .iter()
            .find(|(id, _)| *id == op.id)
            .map(|(_, q)| q.clone())
            .unwrap_or_default();
        let a = get(&base, &format!("{}{query}", op.path), Some("en-us")).await;
        assert_eq!(a.status, 200, "{}: {}", op.id, a.text);
        a.request_id();
        let body = a.json();
        assert!(body.is_object(), "{}: {}", op.id, a.text);
        // What the spec says the answer is, the emulator's answer reads as.
        (op.typed_response.unwrap())(a.text.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}: {}", op.id, a.text));
        // Catalogue-only members never leave the emulator.
        assert!(!a.text.contains("product_category_ids"), "{}", a.text);
        assert!(!a.text.contains("severity_ids"), "{}", a.text);
        assert!(
            !a.text.contains("\"zh-cn\":"),
            "texts are picked: {}",
            a.text
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn routes_come_from_the_spec() {
    let emu = emulator().await;
    let base = emu.base_url();
    let a = Answer::from(
        raw()
            .post(format!("{base}/v2/servicerequest/config/problems"))
            .header("X-Auth-Token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(405, "APIGW.0101", true);
    assert_eq!(a.headers["allow"], "GET");
    // Two methods on one path: create (POST) and list (GET) tickets.
    let a = Answer::from(
        raw()
            .delete(format!("{base}{}", rules::CREATE_CASE.path))
            .header("X-Auth-Token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(405, "APIGW.0101", true);
    assert_eq!(a.headers["allow"], "GET, POST");
    let a = get(&base, "/v2/servicerequest/config/nothing", None).await;
    a.assert_error(404, "APIGW.0101", true);
    emu.shutdown().await;
}

#[tokio::test]
async fn query_parameters_are_checked_with_the_spec_rules() {
    let emu = emulator().await;
    let base = emu.base_url();
    let a = get(
        &base,
        &format!("/v2/servicerequest/config/severities?product_category_id={ECS}"),
        None,
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("business_type_id is required"), "{msg}");
    let long = "x".repeat(65);
    let a = get(
        &base,
        &format!("/v2/servicerequest/config/problems?product_category_id={long}"),
        None,
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(
        msg.contains("product_category_id is 65 characters long"),
        "{msg}"
    );
    let a = get(
        &base,
        "/v2/servicerequest/config/problems?product_category_id=a&product_category_id=b",
        None,
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("given 2 times"), "{msg}");
    emu.shutdown().await;
}

#[tokio::test]
async fn texts_are_chinese_by_default_and_english_when_asked() {
    let emu = emulator().await;
    let base = emu.base_url();
    let name = |body: Value| {
        body["incident_business_type_list"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["business_type_id"] == LOGIN_FAILURE)
            .map(|p| p["business_type_name"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let zh = name(
        get(&base, "/v2/servicerequest/config/problems", None)
            .await
            .json(),
    );
    let en = name(
        get(&base, "/v2/servicerequest/config/problems", Some("EN-US"))
            .await
            .json(),
    );
    assert_eq!(en, "Cannot log in to a server");
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{zh}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_fault_report_without_a_region_is_refused_naming_region_id() {
    let emu = emulator().await;
    let client = token_client(&emu);
    let err = client
        .create_case(&NewCase::new(LOGIN_FAILURE, "cannot log in to ecs-01"))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.error_code(), Some("OSM.0001"));
    let msg = err.error_msg().unwrap();
    assert!(msg.contains("region_id is required"), "{msg}");
    assert!(msg.contains("case_type 5"), "{msg}");
    assert!(!err.outcome_unknown());
    assert_eq!(emu.ticket_count(), 0);
    // With a region it is accepted; a consultation needs none.
    client
        .create_case(
            &NewCase::new(LOGIN_FAILURE, "cannot log in to ecs-01").region_id("ap-southeast-3"),
        )
        .await
        .unwrap();
    client
        .create_case(&NewCase::new(USAGE_CONSULTATION, "which flavour for SAP?"))
        .await
        .unwrap();
    assert_eq!(emu.ticket_count(), 2);
    emu.shutdown().await;
}

/// Writes a minimal catalogue of one problem type into `dir`.
fn write_catalogue(dir: &std::path::Path) {
    let text = |en: &str, zh: &str| json!({"en-us": en, "zh-cn": zh});
    let files = [
        (
            "product_categories",
            json!({"product_categories": [{"incident_product_category_id": "p1", "incident_product_category_name": text("Widgets", "部件"), "can_use_support_plan": false}]}),
        ),
        ("case_categories", json!({"case_categories": []})),
        (
            "problem_types",
            json!({"problem_types": [{"business_type_id": "mine-1", "business_type_name": text("My own problem", "我的问题"), "case_type": "5", "can_use_support_plan": false, "product_category_ids": ["p1"]}]}),
        ),
        ("severities", json!({"severities": [], "combinations": []})),
        ("regions", json!({"regions": []})),
        ("area_codes", json!({"area_codes": []})),
        ("extends_params", json!({"entries": []})),
        ("templates", json!({"templates": []})),
        (
            "limits",
            json!({"config": {"create_case_ccemail_max_count": 3}}),
        ),
        (
            "quotas",
            json!({"default": {"total": 1, "un_used": 1}, "quotas": []}),
        ),
    ];
    for (name, value) in files {
        std::fs::write(dir.join(format!("{name}.json")), value.to_string()).unwrap();
    }
}

#[tokio::test]
async fn a_test_author_can_load_their_own_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    write_catalogue(dir.path());
    let emu = Emulator::builder()
        .token(TOKEN)
        .catalogue(Catalogue::from_dir(dir.path()).unwrap())
        .start()
        .await
        .unwrap();
    let body = get(
        &emu.base_url(),
        "/v2/servicerequest/config/problems",
        Some("en-us"),
    )
    .await
    .json();
    assert_eq!(
        body,
        json!({"total_count": 1, "incident_business_type_list": [{"business_type_id": "mine-1", "business_type_name": "My own problem", "case_type": "5", "can_use_support_plan": false}]})
    );
    let limits = get(&emu.base_url(), "/v2/servicerequest/config/limits", None)
        .await
        .json();
    assert_eq!(limits["config"]["create_case_ccemail_max_count"], 3);
    // The catalogue's own fault-report problem type needs a region too.
    let err = token_client(&emu)
        .create_case(&NewCase::new("mine-1", "x"))
        .await
        .unwrap_err();
    assert!(err.error_msg().unwrap().contains("region_id"), "{err}");
    emu.shutdown().await;

    // A folder that lacks a file is refused, naming it.
    std::fs::remove_file(dir.path().join("regions.json")).unwrap();
    let err = Catalogue::from_dir(dir.path()).unwrap_err().to_string();
    assert!(err.contains("regions.json"), "{err}");
}

#[test]
fn the_binary_takes_a_catalogue_folder() {
    let dir = tempfile::tempdir().unwrap();
    // Missing files: the binary refuses to start and says which.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_osm-emulator"))
        .args(["--token", TOKEN, "--listen", "127.0.0.1:0", "--catalogue"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("product_categories.json"), "{stderr}");
}
