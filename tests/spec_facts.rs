//! Every fact of the vendor's page (`../shared/upstream/create-service-ticket.txt`),
//! checked against `spec/osm.yaml` itself, not against the generated code.
//!
//! The expected values below are transcribed from the page's tables. A change to the
//! spec that contradicts the page fails here; `cargo xtask drift` does the same check
//! the other way round, from a fresh copy of the page.

use serde_yaml::Value;

fn spec() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/osm.yaml")).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn get<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(v, |v, k| {
        v.get(k)
            .unwrap_or_else(|| panic!("spec has no {path} (at {k})"))
    })
}

fn num(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// (name, mandatory, min length, max length, default)
const HEADERS: &[(&str, bool, u64, u64, Option<&str>)] = &[
    ("X-Auth-Token", true, 1, 5000, None),
    ("X-Language", false, 1, 32, Some("zh-cn")),
    ("X-Time-Zone", false, 1, 32, Some("GMT+8")),
    ("x-phone-verifiedid", false, 1, 32, None),
    ("x-email-verifiedid", false, 1, 32, None),
];

/// (name, mandatory, type, min length, max length)
const BODY: &[(&str, bool, &str, u64, u64)] = &[
    ("incident_sub_type_id", false, "string", 0, 32),
    ("product_category_id", false, "string", 0, 64),
    ("business_type_id", true, "string", 0, 512),
    ("region_id", false, "string", 0, 64),
    ("simple_description", true, "string", 0, 1200),
    ("source_id", true, "string", 0, 32),
    ("remind_mobile", false, "string", 0, 32),
    ("remind_mail", false, "string", 0, 128),
    ("remind_time", false, "string", 0, 16),
    ("project_id", false, "string", 0, 64),
    ("severity_id", false, "string", 0, 64),
    ("verify_code", false, "string", 0, 6),
    ("area_code", false, "string", 0, 32),
];

#[test]
fn every_header_of_the_page() {
    let spec = spec();
    let params = get(&spec, "components.parameters").as_mapping().unwrap();
    for (name, mandatory, min, max, default) in HEADERS {
        let (_, p) = params
            .iter()
            .find(|(_, p)| p.get("name").and_then(Value::as_str) == Some(name))
            .unwrap_or_else(|| panic!("no header parameter spelled exactly {name}"));
        assert_eq!(p["in"].as_str(), Some("header"), "{name}");
        assert_eq!(
            p["required"].as_bool(),
            Some(*mandatory),
            "{name}: mandatory"
        );
        let schema = &p["schema"];
        assert_eq!(schema["type"].as_str(), Some("string"), "{name}");
        assert_eq!(num(schema, "minLength"), Some(*min), "{name}: minLength");
        assert_eq!(num(schema, "maxLength"), Some(*max), "{name}: maxLength");
        assert_eq!(
            schema.get("default").and_then(Value::as_str),
            *default,
            "{name}: default"
        );
        assert!(
            p["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: description"
        );
    }
}

#[test]
fn the_operation_sends_the_optional_headers() {
    let spec = spec();
    let op = get(&spec, "paths./v2/servicerequest/cases.post");
    assert_eq!(op["operationId"].as_str(), Some("create_case"));
    let refs: Vec<&str> = op["parameters"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| p["$ref"].as_str().unwrap())
        .collect();
    for name in [
        "XLanguage",
        "XTimeZone",
        "XPhoneVerifiedId",
        "XEmailVerifiedId",
        "XSite",
    ] {
        assert!(
            refs.contains(&format!("#/components/parameters/{name}").as_str()),
            "{name}"
        );
    }
    // The token travels through the auth layer, declared as a security scheme.
    let token = get(&spec, "components.securitySchemes.token");
    assert_eq!(token["name"].as_str(), Some("X-Auth-Token"));
    assert_eq!(token["in"].as_str(), Some("header"));
    assert!(
        get(&spec, "components.securitySchemes")
            .get("akSk")
            .is_some()
    );
}

#[test]
fn x_site_is_zero_or_one() {
    let spec = spec();
    let schema = get(&spec, "components.parameters.XSite.schema");
    assert_eq!(schema["type"].as_str(), Some("integer"));
    assert_eq!(
        schema["enum"],
        serde_yaml::from_str::<Value>("[0, 1]").unwrap()
    );
    assert_eq!(
        get(&spec, "components.parameters.XSite.name").as_str(),
        Some("X-Site")
    );
}

#[test]
fn every_body_field_of_the_page() {
    let spec = spec();
    let body = get(&spec, "components.schemas.CreateCaseRequest");
    let props = body["properties"].as_mapping().unwrap();
    let required: Vec<&str> = body["required"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(props.len(), 16, "the page lists 16 body fields");
    for (name, mandatory, ty, min, max) in BODY {
        let p = &body["properties"][name];
        assert!(!p.is_null(), "no body field {name}");
        assert_eq!(required.contains(name), *mandatory, "{name}: mandatory");
        assert_eq!(p["type"].as_str(), Some(*ty), "{name}: type");
        assert_eq!(num(p, "minLength"), Some(*min), "{name}: minLength");
        assert_eq!(num(p, "maxLength"), Some(*max), "{name}: maxLength");
        assert!(
            p["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{name}: description"
        );
    }
}

#[test]
fn accessory_ids_is_zero_to_five_ids_of_1_to_32() {
    let spec = spec();
    let p = get(
        &spec,
        "components.schemas.CreateCaseRequest.properties.accessory_ids",
    );
    assert_eq!(p["type"].as_str(), Some("array"));
    assert_eq!((num(p, "minItems"), num(p, "maxItems")), (Some(0), Some(5)));
    assert_eq!(p["items"]["type"].as_str(), Some("string"));
    assert_eq!(
        (num(&p["items"], "minLength"), num(&p["items"], "maxLength")),
        (Some(1), Some(32))
    );
}

#[test]
fn maps_are_free_form_objects() {
    let spec = spec();
    for name in ["extends_map", "extension_map"] {
        let p = get(
            &spec,
            &format!("components.schemas.CreateCaseRequest.properties.{name}"),
        );
        assert_eq!(p["type"].as_str(), Some("object"), "{name}");
        assert_eq!(p["additionalProperties"].as_bool(), Some(true), "{name}");
    }
}

#[test]
fn source_id_is_fixed_and_region_id_conditional() {
    let spec = spec();
    let source = get(
        &spec,
        "components.schemas.CreateCaseRequest.properties.source_id",
    );
    let fixed = "83aeb0f2834c4df49826c781d32a963e";
    assert_eq!(source["default"].as_str(), Some(fixed));
    assert_eq!(source["enum"].as_sequence().unwrap().len(), 1);
    assert_eq!(source["enum"][0].as_str(), Some(fixed));
    let region = get(
        &spec,
        "components.schemas.CreateCaseRequest.properties.region_id.x-required-when",
    );
    assert_eq!(region["field"].as_str(), Some("business_type_id"));
    assert_eq!(region["equals"].as_str(), Some("5"));
}

#[test]
fn the_200_response_and_the_error_shape() {
    let spec = spec();
    let ok = get(
        &spec,
        "components.schemas.CreateCaseResponse.properties.incident_id",
    );
    assert_eq!(ok["type"].as_str(), Some("string"));
    assert_eq!(
        (num(ok, "minLength"), num(ok, "maxLength")),
        (Some(0), Some(64))
    );
    let responses = get(&spec, "paths./v2/servicerequest/cases.post.responses");
    for code in ["4XX", "5XX"] {
        assert_eq!(
            responses[code]["$ref"].as_str(),
            Some("#/components/responses/Error"),
            "{code}"
        );
    }
    let err = get(&spec, "components.schemas.ErrorBody");
    let required: Vec<&str> = err["required"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["error_code", "error_msg"]);
    assert!(err["properties"].get("request_id").is_some());
}

#[test]
fn the_three_sites_are_servers() {
    let spec = spec();
    let urls: Vec<&str> = get(&spec, "servers")
        .as_sequence()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            "https://osm.cn-south-1.myhuaweicloud.com",
            "https://osm.ap-southeast-3.myhuaweicloud.com",
            "https://osm.eu-west-101.myhuaweicloud.eu",
        ]
    );
}
