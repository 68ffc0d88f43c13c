//! `osm schema`: the JSON Schema it prints accepts the README's example body and refuses
//! what the client refuses, checked with a JSON Schema validator (the `jsonschema`
//! crate), as an editor would.

use assert_cmd::Command;
use serde_json::Value;

fn osm_json(args: &[&str]) -> Value {
    let out = Command::cargo_bin("osm")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "osm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("osm printed JSON")
}

/// The README's example body file (its only `json` code block).
fn readme_body() -> Value {
    let readme = include_str!("../../README.md");
    let blocks: Vec<&str> = readme
        .split("```json\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 1, "the README has one JSON body example");
    serde_json::from_str(blocks[0]).unwrap()
}

fn errors(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn the_case_create_schema_accepts_the_readme_body_and_refuses_a_long_description() {
    let schema = osm_json(&["schema", "case-create"]);
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let body = readme_body();
    assert_eq!(errors(&validator, &body), Vec::<String>::new());

    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let mut long = body.clone();
    long["simple_description"] = Value::String("x".repeat(max + 1));
    let errs = errors(&validator, &long);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("simple_description"), "{errs:?}");
    let mut at_limit = body.clone();
    at_limit["simple_description"] = Value::String("x".repeat(max));
    assert!(validator.is_valid(&at_limit));

    // Other limits the client checks are in it too.
    let mut six = body.clone();
    six["accessory_ids"] = serde_json::json!(["a", "b", "c", "d", "e", "f"]);
    assert!(!validator.is_valid(&six));
    let mut unknown = body;
    unknown["not_a_field"] = Value::from(1);
    assert!(!validator.is_valid(&unknown));
}

#[test]
fn the_skeleton_has_every_member_of_the_schema_and_fits_it() {
    let schema = osm_json(&["schema", "case-create"]);
    let skeleton = osm_json(&["schema", "case-create", "--skeleton"]);
    let mut members: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    let mut filled: Vec<&String> = skeleton.as_object().unwrap().keys().collect();
    members.sort();
    filled.sort();
    assert_eq!(members, filled);
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert_eq!(errors(&validator, &skeleton), Vec::<String>::new());
}

#[test]
fn case_create_prints_the_skeleton_and_opens_the_ticket_it_becomes() {
    let skeleton = osm_json(&["case", "create", "--skeleton"]);
    assert_eq!(skeleton, osm_json(&["schema", "case-create", "--skeleton"]));
    // Filled in with the two members a ticket needs, it goes back in through --body.
    let mut body = skeleton;
    body["business_type_id"] = Value::from("1");
    body["simple_description"] = Value::from("disk full on ecs-01");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ticket.json");
    std::fs::write(&file, serde_json::to_vec(&body).unwrap()).unwrap();
    let answer = osm_json(&[
        "--emulator",
        "--output",
        "json",
        "case",
        "create",
        "--body",
        file.to_str().unwrap(),
    ]);
    assert!(
        answer["incident_id"]
            .as_str()
            .is_some_and(|id| id.starts_with("CS")),
        "{answer}"
    );
}

#[test]
fn there_is_a_schema_per_operation_with_a_body() {
    for id in huaweicloud_osm::schema::operations_with_body() {
        let name = match id.split('_').collect::<Vec<_>>().as_slice() {
            [verb, noun] => format!("{noun}-{verb}"),
            words => words.join("-"),
        };
        let schema = osm_json(&["schema", &name]);
        assert!(jsonschema::validator_for(&schema).is_ok(), "{name}");
        assert_eq!(schema, huaweicloud_osm::schema::request_body(id).unwrap());
    }
}
