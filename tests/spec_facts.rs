//! Every fact of the vendor's create-ticket page, checked against `spec/osm.yaml` itself
//! (read through the spec's one model, `osm_spec`), not against the generated code.
//!
//! The expected values below are transcribed from the page's tables. A change to the
//! spec that contradicts the page fails here; `cargo xtask drift` does the same check
//! the other way round, from a saved copy of the page.

use osm_spec::{Field, Kind, Location, Operation, Spec};

fn spec() -> Spec {
    Spec::load(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/osm.yaml")).unwrap()
}

fn create(spec: &Spec) -> &Operation {
    spec.operation("create_case")
        .expect("the spec has create_case")
}

fn body_field<'a>(op: &'a Operation, name: &str) -> &'a Field {
    op.body
        .as_ref()
        .and_then(|b| b.field(name))
        .unwrap_or_else(|| panic!("no body field {name}"))
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
const BODY: &[(&str, bool, Kind, u64, u64)] = &[
    ("incident_sub_type_id", false, Kind::String, 0, 32),
    ("product_category_id", false, Kind::String, 0, 64),
    ("business_type_id", true, Kind::String, 0, 512),
    ("region_id", false, Kind::String, 0, 64),
    ("simple_description", true, Kind::String, 0, 1200),
    ("source_id", true, Kind::String, 0, 32),
    ("remind_mobile", false, Kind::String, 0, 32),
    ("remind_mail", false, Kind::String, 0, 128),
    ("remind_time", false, Kind::String, 0, 16),
    ("project_id", false, Kind::String, 0, 64),
    ("severity_id", false, Kind::String, 0, 64),
    ("verify_code", false, Kind::String, 0, 6),
    ("area_code", false, Kind::String, 0, 32),
];

#[test]
fn every_header_of_the_page() {
    let spec = spec();
    let op = create(&spec);
    for (name, mandatory, min, max, default) in HEADERS {
        // The token is the auth layer's: no operation lists it, the spec keeps its rules.
        let p = op
            .param(Location::Header, name)
            .or_else(|| spec.auth_headers.iter().find(|h| h.name == *name))
            .unwrap_or_else(|| panic!("no header parameter {name}"));
        assert_eq!(&p.name, name, "spelled exactly");
        assert_eq!(p.required, *mandatory, "{name}: mandatory");
        assert_eq!(p.kind, Kind::String, "{name}");
        assert_eq!(p.constraints.min_length, Some(*min), "{name}: minLength");
        assert_eq!(p.constraints.max_length, Some(*max), "{name}: maxLength");
        assert_eq!(
            p.constraints.default.as_deref(),
            *default,
            "{name}: default"
        );
        assert!(!p.description.is_empty(), "{name}: description");
    }
}

#[test]
fn the_operation_sends_the_optional_headers_and_the_token_is_a_security_scheme() {
    let spec = spec();
    let op = create(&spec);
    for name in [
        "X-Language",
        "X-Time-Zone",
        "x-phone-verifiedid",
        "x-email-verifiedid",
        "X-Site",
    ] {
        assert!(op.param(Location::Header, name).is_some(), "{name}");
    }
    assert!(op.param(Location::Header, "X-Auth-Token").is_none());
    let schemes = &spec.openapi.components.as_ref().unwrap().security_schemes;
    let token = schemes["token"].as_item().unwrap();
    assert!(
        matches!(token, openapiv3::SecurityScheme::APIKey { name, location: openapiv3::APIKeyLocation::Header, .. } if name == "X-Auth-Token")
    );
    assert!(schemes.contains_key("akSk"));
}

#[test]
fn x_site_is_zero_or_one() {
    let spec = spec();
    let p = create(&spec).param(Location::Header, "X-Site").unwrap();
    assert_eq!(p.kind, Kind::Integer);
    assert_eq!(p.constraints.allowed, ["0", "1"]);
}

#[test]
fn every_body_field_of_the_page() {
    let spec = spec();
    let op = create(&spec);
    assert_eq!(
        op.body.as_ref().unwrap().fields.len(),
        16,
        "the page lists 16 body fields"
    );
    for (name, mandatory, kind, min, max) in BODY {
        let p = body_field(op, name);
        assert_eq!(p.required, *mandatory, "{name}: mandatory");
        assert_eq!(p.kind, *kind, "{name}: type");
        assert_eq!(p.constraints.min_length, Some(*min), "{name}: minLength");
        assert_eq!(p.constraints.max_length, Some(*max), "{name}: maxLength");
        assert!(!p.description.is_empty(), "{name}: description");
    }
}

#[test]
fn accessory_ids_is_zero_to_five_ids_of_1_to_32() {
    let spec = spec();
    let p = body_field(create(&spec), "accessory_ids");
    assert_eq!(p.kind, Kind::Array);
    assert_eq!(
        (p.constraints.min_items, p.constraints.max_items),
        (Some(0), Some(5))
    );
    let items = p.items.as_ref().unwrap();
    assert_eq!(items.kind, Kind::String);
    assert_eq!(
        (items.constraints.min_length, items.constraints.max_length),
        (Some(1), Some(32))
    );
}

#[test]
fn maps_are_free_form_objects() {
    let spec = spec();
    for name in ["extends_map", "extension_map"] {
        let p = body_field(create(&spec), name);
        assert_eq!(p.kind, Kind::Object, "{name}");
        assert!(p.additional_properties, "{name}");
        assert!(p.properties.is_empty(), "{name}");
        assert_eq!(p.vendor_type(), "Map<String,Object>");
    }
}

#[test]
fn source_id_is_fixed_and_region_id_conditional() {
    let spec = spec();
    let op = create(&spec);
    let source = body_field(op, "source_id");
    let fixed = "83aeb0f2834c4df49826c781d32a963e";
    assert_eq!(source.constraints.default.as_deref(), Some(fixed));
    assert_eq!(source.constraints.fixed(), Some(fixed));
    let when = body_field(op, "region_id")
        .constraints
        .required_when
        .clone()
        .unwrap();
    assert_eq!(
        (when.field.as_str(), when.equals.as_str()),
        ("business_type_id", "5")
    );
    // "5" is a case_type of the problem type, looked up, not a problem-type id.
    let lookup = when.lookup.expect("region_id's rule names its look-up");
    assert_eq!(
        (lookup.operation.as_str(), lookup.member.as_str()),
        ("list_problem_types", "case_type")
    );
    assert_eq!(lookup.list, "incident_business_type_list");
}

#[test]
fn the_200_response_and_the_error_shape() {
    let spec = spec();
    let op = create(&spec);
    let ok = op.success().unwrap().body.as_ref().unwrap();
    let id = ok.field("incident_id").unwrap();
    assert_eq!(id.kind, Kind::String);
    assert_eq!(
        (id.constraints.min_length, id.constraints.max_length),
        (Some(0), Some(64))
    );
    for code in ["4XX", "5XX"] {
        let r = op.responses.iter().find(|r| r.status == code).unwrap();
        assert_eq!(r.ref_name.as_deref(), Some("Error"), "{code}");
        let body = r.body.as_ref().unwrap();
        assert_eq!(body.schema_name.as_deref(), Some("ErrorBody"));
        let required: Vec<&str> = body
            .fields
            .iter()
            .filter(|f| f.required)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(required, ["error_code", "error_msg"]);
        assert!(body.field("request_id").is_some());
    }
}

#[test]
fn the_three_sites_are_servers() {
    let spec = spec();
    let urls: Vec<&str> = spec.servers.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://osm.cn-south-1.myhuaweicloud.com",
            "https://osm.ap-southeast-3.myhuaweicloud.com",
            "https://osm.eu-west-101.myhuaweicloud.eu",
        ]
    );
}
