//! `NewCase` as an application uses it: setters that take what it holds, getters,
//! `Debug` that hides personal data (the fields the spec marks `x-personal-data`), and
//! a serde round trip so that a ticket can be stored and sent later.

mod support;

use std::collections::{BTreeMap, HashMap};

use huaweicloud_osm::NewCase;
use osm_spec::{Location, Spec};
use serde_json::json;

fn spec() -> Spec {
    Spec::load(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/osm.yaml")).unwrap()
}

#[test]
fn string_list_setters_take_borrowed_and_owned_items() {
    let borrowed: Vec<&str> = vec!["att-1", "att-2"];
    let owned: Vec<String> = vec!["att-3".to_owned()];
    let case = NewCase::new("1", "x").accessory_ids(&borrowed);
    assert_eq!(case.get_accessory_ids(), Some(vec!["att-1", "att-2"]));
    let case = case.accessory_ids(owned.as_slice());
    assert_eq!(case.get_accessory_ids(), Some(vec!["att-3"]));
    let case = case.accessory_ids(&owned);
    assert_eq!(case.get_accessory_ids(), Some(vec!["att-3"]));
    let case = case.accessory_ids(owned.clone());
    assert_eq!(case.body()["accessory_ids"], json!(["att-3"]));
    assert!(case.validate().is_ok());
}

#[derive(serde::Serialize)]
struct Extra {
    channel: &'static str,
    priority: u8,
}

#[test]
fn map_setters_take_any_serialize_map() {
    let mut hash = HashMap::new();
    hash.insert("channel", "alerting");
    let case = NewCase::new("1", "x").extends_map(&hash);
    assert_eq!(case.get_extends_map().unwrap()["channel"], "alerting");

    let tree: BTreeMap<String, i32> = [("priority".to_owned(), 2)].into();
    let case = case.extension_map(tree);
    assert_eq!(case.body()["extension_map"], json!({"priority": 2}));

    let case = case.extends_map(Extra {
        channel: "pager",
        priority: 1,
    });
    assert_eq!(
        case.body()["extends_map"],
        json!({"channel": "pager", "priority": 1})
    );
    let case = case.extends_map(json!({"a": [1, 2]}));
    assert_eq!(case.get_extends_map().unwrap()["a"], json!([1, 2]));
    assert!(case.validate().is_ok());
}

#[test]
fn a_value_that_is_not_an_object_is_refused_naming_the_field() {
    let err = NewCase::new("1", "x")
        .extends_map(vec![1, 2])
        .validate()
        .unwrap_err();
    assert_eq!(err.field(), "extends_map");

    // Keys that are not text cannot be written as a JSON object at all.
    let tuples: HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = NewCase::new("1", "x")
        .extends_map(&tuples)
        .validate()
        .unwrap_err();
    assert_eq!(err.field(), "extends_map");
}

#[test]
fn getters_answer_none_for_unset_fields() {
    let case = NewCase::new("1", "x");
    assert_eq!(case.get_business_type_id(), Some("1"));
    assert_eq!(case.get_simple_description(), Some("x"));
    assert_eq!(case.get_region_id(), None);
    assert_eq!(case.get_accessory_ids(), None);
    assert_eq!(case.get_extends_map(), None);
    // The spec's fixed source_id is filled in.
    assert!(case.get_source_id().is_some_and(|s| !s.is_empty()));
}

/// A distinct marker value per field, long enough to be found in any output.
fn marker(name: &str) -> String {
    format!("MARK{}", name.replace(['-', '_'], "").to_uppercase())
}

#[test]
fn debug_hides_every_field_the_spec_marks_personal() {
    let spec = spec();
    let op = spec.operation("create_case").unwrap();
    let body = &op.body.as_ref().unwrap().fields;
    let personal: Vec<&str> = body
        .iter()
        .filter(|f| f.personal)
        .map(|f| f.name.as_str())
        .collect();
    let personal_headers: Vec<&str> = op
        .params
        .iter()
        .filter(|f| f.personal && f.location == Location::Header)
        .map(|f| f.name.as_str())
        .collect();
    // The phone number, the e-mail address, the code and both verified ids at least.
    assert!(personal.len() >= 3, "{personal:?}");
    assert!(personal_headers.len() >= 2, "{personal_headers:?}");

    let mut case = NewCase::new("1", "x");
    for f in body.iter().filter(|f| f.kind == osm_spec::Kind::String) {
        case = case.set(&f.name, json!(marker(&f.name)));
    }
    for f in op.params.iter().filter(|f| f.location == Location::Header) {
        let name: &'static str = String::leak(f.name.clone());
        case = case.header(name, marker(&f.name));
    }
    for text in [format!("{case:?}"), format!("{case:#?}")] {
        for f in body.iter().filter(|f| f.kind == osm_spec::Kind::String) {
            assert!(
                text.contains(f.name.as_str()),
                "{} not named in {text}",
                f.name
            );
            assert_eq!(
                text.contains(&marker(&f.name)),
                !f.personal,
                "{} shown wrongly in {text}",
                f.name
            );
        }
        for f in op.params.iter().filter(|f| f.location == Location::Header) {
            assert_eq!(
                text.contains(&marker(&f.name)),
                !f.personal,
                "header {} shown wrongly in {text}",
                f.name
            );
        }
    }
    // The usual values of a full case, for good measure.
    let full = format!("{:?}", support::full_case());
    assert!(!full.contains("13800000000") && !full.contains("ops@example.com"));
}

#[test]
fn a_case_survives_a_store_and_load() {
    let case = support::full_case()
        .language("en-us")
        .phone_verified_id("vid-1");
    let stored = serde_json::to_string(&case).unwrap();
    let back: NewCase = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, case);
    assert!(back.validate().is_ok());
    let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(value["headers"]["X-Language"], "en-us");
    assert_eq!(value["body"]["business_type_id"], "5");

    // Header names are matched to the spec's in any case.
    let back: NewCase = serde_json::from_value(
        json!({"body": {"business_type_id": "1"}, "headers": {"x-language": "en-us"}}),
    )
    .unwrap();
    assert_eq!(
        back.headers().collect::<Vec<_>>(),
        [("X-Language", "en-us")]
    );

    let err =
        serde_json::from_value::<NewCase>(json!({"body": {}, "headers": {"X-Not-A-Header": "1"}}))
            .unwrap_err();
    assert!(err.to_string().contains("X-Not-A-Header"), "{err}");
    let err = serde_json::from_value::<NewCase>(json!({"bdy": {}})).unwrap_err();
    assert!(err.to_string().contains("bdy"), "{err}");
}
