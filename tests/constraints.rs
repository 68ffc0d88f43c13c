//! One test per constraint of the spec: each is refused before sending, with an error
//! naming the field, the limit and the value's size, and the value at the limit passes.
//! The limits are read from the rules table that build.rs derives from the spec, so a
//! test follows the spec when it changes; `spec_facts.rs` pins the numbers themselves.

mod support;

use huaweicloud_osm::rules::{self, FieldRule, Location};
use huaweicloud_osm::validation::Problem;
use huaweicloud_osm::{NewCase, rules::Kind};
use serde_json::{Value, json};
use support::{Server, client};

fn body_rule(name: &str) -> &'static FieldRule {
    rules::body_field(name).unwrap_or_else(|| panic!("the spec has no body field {name}"))
}

fn header_rule(name: &str) -> &'static FieldRule {
    rules::header(name).unwrap_or_else(|| panic!("the spec has no header {name}"))
}

/// A valid case with `field` set to `value`.
fn case_with(field: &str, value: Value) -> NewCase {
    let base = if field == "business_type_id" {
        NewCase::new("1", "x")
    } else {
        NewCase::new("5", "x").region_id("r")
    };
    base.set(field, value)
}

/// Sends `case` to a real server and asserts it is refused before sending with `expected`.
async fn refused(case: NewCase, field: &str, expected: Problem) {
    let server = Server::ok().await;
    let err = client(&server.url)
        .create_case(&case)
        .await
        .expect_err("the case should be refused");
    let v = err.validation().expect("a validation error");
    assert_eq!(v.field(), field, "{err}");
    assert_eq!(v.problem(), &expected, "{err}");
    assert!(err.to_string().contains(field), "{err}");
    assert!(
        server.seen().is_empty(),
        "the server saw a request for an invalid {field}"
    );
}

async fn accepted(case: NewCase) {
    let server = Server::ok().await;
    client(&server.url)
        .create_case(&case)
        .await
        .expect("the case should be accepted");
    assert_eq!(server.seen().len(), 1);
}

async fn check_max_length(field: &str) {
    let rule = body_rule(field);
    assert_eq!(rule.kind, Kind::String);
    let max = rule.max_length.expect("a maxLength");
    // source_id's only allowed value is checked separately.
    if rule.allowed.is_empty() {
        accepted(case_with(field, json!("a".repeat(max)))).await;
    }
    let err = case_with(field, json!("a".repeat(max + 1)))
        .validate()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{field} is {} characters long; the maximum length is {max}",
            max + 1
        )
    );
    refused(
        case_with(field, json!("a".repeat(max + 1))),
        field,
        Problem::TooLong {
            max,
            actual: max + 1,
        },
    )
    .await;
    refused(
        case_with(field, json!(12)),
        field,
        Problem::WrongType {
            expected: "a string",
        },
    )
    .await;
}

/// Every string field of the body, as the rules table (generated from the spec) lists
/// them: each one accepts its maximum and refuses one character more, and a number.
#[tokio::test]
async fn every_string_body_field_refuses_one_character_over_its_maximum() {
    let fields: Vec<&str> = rules::BODY
        .iter()
        .filter(|r| r.kind == Kind::String)
        .map(|r| r.name)
        .collect();
    assert!(!fields.is_empty(), "the body has string fields");
    for field in fields {
        check_max_length(field).await;
    }
}

#[tokio::test]
async fn accessory_ids_at_most_five() {
    let max = body_rule("accessory_ids").max_items.unwrap();
    assert_eq!(max, 5);
    accepted(case_with("accessory_ids", json!(vec!["a"; max]))).await;
    accepted(case_with("accessory_ids", json!([]))).await;
    refused(
        case_with("accessory_ids", json!(vec!["a"; max + 1])),
        "accessory_ids",
        Problem::TooManyItems { max, actual: 6 },
    )
    .await;
}

#[tokio::test]
async fn accessory_ids_items_one_to_32_characters() {
    let rule = body_rule("accessory_ids");
    let items = rule.items.expect("an array has an item rule");
    let (min, max) = (items.min_length.unwrap(), items.max_length.unwrap());
    assert_eq!((min, max), (1, 32));
    accepted(case_with("accessory_ids", json!(["a".repeat(max)]))).await;
    refused(
        case_with("accessory_ids", json!(["ok", "a".repeat(max + 1)])),
        "accessory_ids",
        Problem::Item {
            index: 1,
            problem: Box::new(Problem::TooLong { max, actual: 33 }),
        },
    )
    .await;
    refused(
        case_with("accessory_ids", json!([""])),
        "accessory_ids",
        Problem::Item {
            index: 0,
            problem: Box::new(Problem::TooShort { min, actual: 0 }),
        },
    )
    .await;
    refused(
        case_with("accessory_ids", json!("att-1")),
        "accessory_ids",
        Problem::WrongType {
            expected: "an array of strings",
        },
    )
    .await;
}

#[tokio::test]
async fn region_id_depends_on_a_look_up_so_the_request_alone_never_requires_it() {
    // The spec says: required when the problem type business_type_id names has case_type
    // "5" (a look-up), not when business_type_id itself is "5". The request alone cannot
    // tell, so the static check accepts it either way; `tests/typed.rs` covers the
    // client's check with the look-up.
    let when = body_rule("region_id").required_when.unwrap();
    let lookup = when.lookup.expect("the rule names its look-up");
    assert_eq!(when.field, "business_type_id");
    assert_eq!(lookup.operation, "list_problem_types");
    accepted(NewCase::new(when.equals, "x")).await;
    accepted(NewCase::new(when.equals, "x").region_id("ap-southeast-3")).await;
}

#[tokio::test]
async fn required_fields_must_be_present() {
    for field in ["business_type_id", "simple_description", "source_id"] {
        assert!(body_rule(field).required, "{field}");
        let case = NewCase::new("1", "x").set(field, Value::Null);
        refused(case, field, Problem::Missing).await;
    }
}

#[tokio::test]
async fn source_id_has_one_allowed_value() {
    let rule = body_rule("source_id");
    assert_eq!(rule.allowed, ["83aeb0f2834c4df49826c781d32a963e"]);
    assert_eq!(rule.default, Some("83aeb0f2834c4df49826c781d32a963e"));
    refused(
        case_with("source_id", json!("123")),
        "source_id",
        Problem::NotAllowed {
            allowed: rule.allowed,
        },
    )
    .await;
}

#[tokio::test]
async fn maps_must_be_objects() {
    for field in ["extends_map", "extension_map"] {
        assert_eq!(body_rule(field).kind, Kind::Object);
        // The vendor's own example sends [] here; the table says a map, and so do we.
        refused(
            case_with(field, json!([])),
            field,
            Problem::WrongType {
                expected: "a JSON object",
            },
        )
        .await;
        accepted(case_with(field, json!({"any": {"nested": [1, 2]}}))).await;
    }
}

#[tokio::test]
async fn unknown_fields_are_refused() {
    refused(
        NewCase::new("1", "x").set("simple_descripton", json!("typo")),
        "simple_descripton",
        Problem::Unknown,
    )
    .await;
}

async fn check_header_limit(name: &str, set: fn(NewCase, String) -> NewCase) {
    let rule = header_rule(name);
    assert_eq!(rule.location, Location::Header);
    let (min, max) = (rule.min_length.unwrap(), rule.max_length.unwrap());
    accepted(set(NewCase::new("1", "x"), "a".repeat(max))).await;
    refused(
        set(NewCase::new("1", "x"), "a".repeat(max + 1)),
        rule.name,
        Problem::TooLong {
            max,
            actual: max + 1,
        },
    )
    .await;
    refused(
        set(NewCase::new("1", "x"), "a".repeat(min - 1)),
        rule.name,
        Problem::TooShort {
            min,
            actual: min - 1,
        },
    )
    .await;
}

#[tokio::test]
async fn header_x_language() {
    check_header_limit("X-Language", |c, v| c.language(v)).await;
}

#[tokio::test]
async fn header_x_time_zone_is_an_offset_from_utc() {
    let rule = header_rule("X-Time-Zone");
    let pattern = rule.pattern.expect("the spec gives X-Time-Zone a pattern");
    for zone in [
        "GMT+8",
        "GMT-3:30",
        "UTC+0",
        "GMT",
        "+14",
        "UTC-14:59",
        "GMT+08",
    ] {
        accepted(NewCase::new("1", "x").time_zone(zone)).await;
    }
    for zone in [
        "Asia/Shanghai",
        "GMT+15",
        "GMT+8:60",
        "CST",
        "gmt+8",
        "GMT +8",
        "GMT+8 ",
    ] {
        refused(
            NewCase::new("1", "x").time_zone(zone),
            "X-Time-Zone",
            Problem::NoMatch { pattern },
        )
        .await;
    }
    // The lengths still come first.
    let max = rule.max_length.unwrap();
    refused(
        NewCase::new("1", "x").time_zone("+".repeat(max + 1)),
        "X-Time-Zone",
        Problem::TooLong {
            max,
            actual: max + 1,
        },
    )
    .await;
}

#[tokio::test]
async fn header_x_phone_verifiedid() {
    check_header_limit("x-phone-verifiedid", |c, v| c.phone_verified_id(v)).await;
}

#[tokio::test]
async fn header_x_email_verifiedid() {
    check_header_limit("x-email-verifiedid", |c, v| c.email_verified_id(v)).await;
}

#[test]
fn header_x_auth_token_one_to_5000() {
    let rule = header_rule("X-Auth-Token");
    assert_eq!((rule.min_length, rule.max_length), (Some(1), Some(5000)));
    use huaweicloud_osm::validation::check_header;
    assert!(check_header("X-Auth-Token", &"t".repeat(5000)).is_ok());
    assert_eq!(
        check_header("X-Auth-Token", &"t".repeat(5001))
            .unwrap_err()
            .to_string(),
        "header X-Auth-Token is 5001 characters long; the maximum length is 5000"
    );
    assert!(check_header("X-Auth-Token", "").is_err());
}

#[test]
fn header_x_site_zero_or_one() {
    use huaweicloud_osm::validation::check_header;
    assert_eq!(header_rule("X-Site").allowed, ["0", "1"]);
    assert!(check_header("X-Site", "0").is_ok());
    assert!(check_header("X-Site", "1").is_ok());
    assert_eq!(
        check_header("X-Site", "2").unwrap_err().to_string(),
        "header X-Site must be \"0\" or \"1\""
    );
    assert_eq!(
        check_header("X-Site", "cn").unwrap_err().to_string(),
        "header X-Site must be an integer"
    );
    let err = huaweicloud_osm::Client::builder()
        .credentials(huaweicloud_osm::Credentials::token("t"))
        .x_site(Some(7))
        .build()
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
}
