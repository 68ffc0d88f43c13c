//! The JSON Schema schemars derives from the generated body types, against the spec's
//! own schema (read through `osm_spec`), for every operation with a JSON body.
//!
//! What schemars carries agrees with the spec: member names, required members, types,
//! allowed values, and every limit it carries at all. What it lacks (the lengths of
//! typify's constrained strings, which it derives as plain strings; the lengths of list
//! items; defaults; the values of an open set, which it lists as examples) is printed, and `schema::request_body` adds it back from the spec's
//! rules: the completed schema has no difference left, except that a required member
//! with a default (create_case's `source_id`) is optional in it, as the client fills it
//! in. Not expressible by either:
//! `x-required-when` (region_id is required when the problem type business_type_id names
//! is a fault report), which the client checks with a look-up when asked
//! (`ClientBuilder::check_fault_report_region`).

use huaweicloud_osm::schema;
use osm_spec::{Field, Kind, Spec};
use serde_json::Value;

fn spec() -> Spec {
    Spec::load(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/osm.yaml")).unwrap()
}

/// Follows `$ref`, and `allOf`/`anyOf` of one schema besides `null`.
fn resolve<'a>(mut s: &'a Value, defs: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            s = &defs[r.strip_prefix("#/definitions/").unwrap()];
            continue;
        }
        let one = ["allOf", "anyOf"].iter().find_map(|k| {
            let list: Vec<&Value> = s
                .get(*k)?
                .as_array()?
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            (list.len() == 1).then(|| list[0])
        });
        match one {
            Some(next) => s = next,
            None => return s,
        }
    }
    s
}

/// Whether the schema (before resolving) lets `null` through.
fn allows_null(s: &Value, defs: &Value) -> bool {
    let r = resolve(s, defs);
    let in_type = |s: &Value| match s.get("type") {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        Some(t) => t == "null",
        None => false,
    };
    in_type(s)
        || in_type(r)
        || ["anyOf", "oneOf"].iter().any(|k| {
            s.get(*k)
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(in_type))
        })
}

fn json_type(s: &Value) -> Option<String> {
    match s.get("type")? {
        Value::String(t) => Some(t.clone()),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_owned),
        _ => None,
    }
}

fn kind_name(k: Kind) -> Option<&'static str> {
    Some(match k {
        Kind::String => "string",
        Kind::Integer => "integer",
        Kind::Number => "number",
        Kind::Boolean => "boolean",
        Kind::Array => "array",
        Kind::Object => "object",
        Kind::Any => return None,
    })
}

#[derive(Default, Debug)]
struct Differences {
    /// The schema says something else than the spec.
    contradictions: Vec<String>,
    /// The spec has a limit or default the schema does not carry.
    lacks: Vec<String>,
}

/// How `required` is read: as the spec says, or leaving out members with a default
/// (which the client fills in).
#[derive(Clone, Copy, PartialEq)]
enum Required {
    AsSpec,
    DefaultsOptional,
}

fn compare(
    at: &str,
    schema: &Value,
    fields: &[Field],
    defs: &Value,
    req: Required,
    d: &mut Differences,
) {
    let s = resolve(schema, defs);
    let props = s.get("properties").and_then(Value::as_object);
    let mut names: Vec<&str> = props
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut want: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    want.sort();
    if names != want {
        d.contradictions
            .push(format!("{at}: members {names:?}, the spec {want:?}"));
    }
    let mut required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut want: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .filter(|f| req == Required::AsSpec || at != "body" || f.constraints.default.is_none())
        .map(|f| f.name.as_str())
        .collect();
    required.sort();
    want.sort();
    if required != want {
        d.contradictions
            .push(format!("{at}: required {required:?}, the spec {want:?}"));
    }
    for f in fields {
        let Some(p) = props.and_then(|p| p.get(&f.name)) else {
            continue;
        };
        field(&format!("{at}.{}", f.name), p, f, defs, req, d);
    }
}

fn field(at: &str, p: &Value, f: &Field, defs: &Value, req: Required, d: &mut Differences) {
    let r = resolve(p, defs);
    if let Some(want) = kind_name(f.kind) {
        let got = json_type(r);
        // A replaced type (LenientString) may accept more than one type; it then lists
        // the spec's first.
        if got.as_deref() != Some(want) {
            d.contradictions
                .push(format!("{at}: type {got:?}, the spec {want}"));
        }
    }
    if !f.required && f.nullable != allows_null(p, defs) {
        d.contradictions.push(format!(
            "{at}: null allowed {}, the spec nullable {}",
            allows_null(p, defs),
            f.nullable
        ));
    }
    if !f.constraints.allowed.is_empty() {
        let got: Vec<String> = r
            .get("enum")
            .and_then(Value::as_array)
            .map(|e| {
                e.iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let examples: Vec<String> = r
            .get("examples")
            .and_then(Value::as_array)
            .map(|e| e.iter().map(Value::to_string).collect())
            .unwrap_or_default();
        if got.is_empty() && examples == f.constraints.allowed {
            // An open set's type (`x-values`) lists its values as examples.
            d.lacks
                .push(format!("{at}: no enum (the spec: {examples:?})"));
        } else if got != f.constraints.allowed {
            d.contradictions.push(format!(
                "{at}: enum {got:?}, the spec {:?}",
                f.constraints.allowed
            ));
        }
    }
    let c = &f.constraints;
    let limits: [(&str, Option<i64>); 6] = [
        ("minLength", c.min_length.map(|n| n as i64)),
        ("maxLength", c.max_length.map(|n| n as i64)),
        ("minItems", c.min_items.map(|n| n as i64)),
        ("maxItems", c.max_items.map(|n| n as i64)),
        ("minimum", c.minimum),
        ("maximum", c.maximum),
    ];
    for (key, want) in limits {
        // schemars writes the bounds of typify's unsigned integers as floats (0.0).
        let got = r.get(key).and_then(Value::as_f64);
        let want = want.map(|w| w as f64);
        match (want, got) {
            (Some(w), None) => d.lacks.push(format!("{at}: no {key} (the spec: {w})")),
            (Some(w), Some(g)) if w != g => d
                .contradictions
                .push(format!("{at}: {key} {g}, the spec {w}")),
            (None, Some(g)) => d
                .contradictions
                .push(format!("{at}: {key} {g}, the spec has none")),
            _ => {}
        }
    }
    if let Some(want) = &c.default {
        match r.get("default") {
            None => d.lacks.push(format!("{at}: no default (the spec: {want})")),
            Some(got) if got.as_str().map_or_else(|| got.to_string(), str::to_owned) != *want => d
                .contradictions
                .push(format!("{at}: default {got}, the spec {want}")),
            _ => {}
        }
    }
    if let (Some(items), Some(s)) = (&f.items, r.get("items")) {
        field(&format!("{at}[]"), s, items, defs, req, d);
    }
    if f.kind == Kind::Object && !f.properties.is_empty() {
        compare(at, p, &f.properties, defs, req, d);
    }
}

fn differences(schema: &Value, fields: &[Field], req: Required) -> Differences {
    let defs = schema.get("definitions").cloned().unwrap_or(Value::Null);
    let mut d = Differences::default();
    compare("body", schema, fields, &defs, req, &mut d);
    d
}

#[test]
fn every_body_schema_agrees_with_the_spec() {
    let spec = spec();
    let mut checked = Vec::new();
    for op in &spec.operations {
        let Some(body) = op
            .body
            .as_ref()
            .filter(|b| b.content_type == "application/json")
        else {
            assert!(schema::derived(&op.id).is_none(), "{}", op.id);
            continue;
        };
        let derived = schema::derived(&op.id).unwrap_or_else(|| panic!("{}: no schema", op.id));
        let d = differences(&derived, &body.fields, Required::AsSpec);
        assert!(
            d.contradictions.is_empty(),
            "{}: schemars contradicts the spec:\n{}",
            op.id,
            d.contradictions.join("\n")
        );
        for lack in &d.lacks {
            println!("{}: schemars lacks {lack}", op.id);
        }
        let completed = schema::request_body(&op.id).unwrap();
        let d = differences(&completed, &body.fields, Required::DefaultsOptional);
        assert!(
            d.contradictions.is_empty() && d.lacks.is_empty(),
            "{}: the completed schema differs from the spec: {d:?}",
            op.id
        );
        checked.push(op.id.as_str());
    }
    let listed: Vec<&str> = schema::operations_with_body().collect();
    assert_eq!(listed, checked);
    assert!(checked.contains(&"create_case"));
}

#[test]
fn skeletons_have_every_member() {
    let spec = spec();
    for id in schema::operations_with_body() {
        let op = spec.operation(id).unwrap();
        let skeleton = schema::skeleton(id).unwrap();
        let mut names: Vec<&String> = skeleton.as_object().unwrap().keys().collect();
        let mut want: Vec<&String> = op
            .body
            .as_ref()
            .unwrap()
            .fields
            .iter()
            .map(|f| &f.name)
            .collect();
        names.sort();
        want.sort();
        assert_eq!(names, want, "{id}");
        // A fixed value is filled in as the spec gives it.
        for f in &op.body.as_ref().unwrap().fields {
            if let Some(fixed) = f.constraints.fixed() {
                assert_eq!(skeleton[&f.name], fixed, "{id}.{}", f.name);
            }
        }
    }
}
