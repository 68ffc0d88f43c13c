//! JSON Schemas of the request bodies, derived by schemars from the generated types
//! (which typify writes from `spec/osm.yaml`), for files an editor can check, such as
//! the CLI's `--body` files.
//!
//! schemars sees typify's constrained strings as plain strings, so the derived schema
//! ([`derived`]) lacks their lengths (and the defaults, and the lengths of list items);
//! [`request_body`] adds them back from the spec's rules ([`crate::rules`]), so that a
//! schema validator refuses what [`crate::Client`] would refuse.
//!
//! ```
//! let schema = huaweicloud_osm::schema::request_body("create_case").unwrap();
//! let rule = huaweicloud_osm::rules::CREATE_CASE.body_field("simple_description").unwrap();
//! assert_eq!(schema["properties"]["simple_description"]["maxLength"], rule.max_length.unwrap());
//! let body = huaweicloud_osm::schema::skeleton("create_case").unwrap();
//! assert!(body.as_object().unwrap().contains_key("region_id"));
//! ```

use serde_json::{Map, Value};

use crate::rules::{self, FieldRule, Kind};

/// Makes the schema of one body.
type BodySchema = fn() -> schemars::schema::RootSchema;

include!("generated/body_schemas.rs");

/// The operations that take a JSON body, in the spec's order.
pub fn operations_with_body() -> impl Iterator<Item = &'static str> {
    BODIES.iter().map(|(id, _)| *id)
}

/// The JSON Schema (draft 7) schemars derives from the generated type of the body of
/// operation `operation_id`, as it is; `None` if the operation takes no JSON body.
pub fn derived(operation_id: &str) -> Option<Value> {
    let (_, schema) = BODIES.iter().find(|(id, _)| *id == operation_id)?;
    serde_json::to_value(schema()).ok()
}

/// The JSON Schema (draft 7) of the body of operation `operation_id`, such as
/// `create_case`: [`derived`] completed with the limits and defaults of the spec's rules
/// where schemars does not carry them. A required member with a default (create_case's
/// `source_id`) is optional here, as the client fills it in (the bodies this schema is
/// for, such as the CLI's `--body` files, go through [`crate::NewCase::from_json`] or
/// [`crate::exec::Input::new`]). `None` if the operation takes no JSON body.
/// Component types are under `definitions`; the document is ready to be saved and given
/// to an editor.
pub fn request_body(operation_id: &str) -> Option<Value> {
    let mut value = derived(operation_id)?;
    let op = rules::OPERATIONS.iter().find(|o| o.id == operation_id)?;
    let root = value.as_object_mut()?;
    let mut definitions = match root.remove("definitions") {
        Some(Value::Object(d)) => d,
        _ => Map::new(),
    };
    if let Some(Value::Object(props)) = root.get_mut("properties") {
        for rule in op.body {
            if let Some(p) = props.get_mut(rule.name) {
                complete(p, &mut definitions, rule);
            }
        }
    }
    if let Some(Value::Array(required)) = root.get_mut("required") {
        required.retain(|name| {
            !op.body
                .iter()
                .any(|r| r.default.is_some() && name.as_str() == Some(r.name))
        });
    }
    if !definitions.is_empty() {
        root.insert("definitions".into(), Value::Object(definitions));
    }
    root.entry("$id")
        .or_insert_with(|| Value::String(format!("urn:huaweicloud-osm:{operation_id}:body")));
    Some(value)
}

/// The name of the definition a schema stands for (`$ref`, or `allOf`/`anyOf` of one
/// `$ref` besides `null`).
fn definition_name(s: &Value) -> Option<String> {
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return r.strip_prefix("#/definitions/").map(str::to_owned);
    }
    ["allOf", "anyOf", "oneOf"].iter().find_map(|k| {
        let list = s.get(*k)?.as_array()?;
        let mut not_null = list
            .iter()
            .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"));
        match (not_null.next(), not_null.next()) {
            (Some(one), None) => definition_name(one),
            _ => None,
        }
    })
}

/// Adds `rule`'s limits and default to the schema of its field where it has none.
fn complete(schema: &mut Value, definitions: &mut Map<String, Value>, rule: &FieldRule) {
    if let Some(name) = definition_name(schema)
        && let Some(mut def) = definitions.remove(&name)
    {
        complete(&mut def, definitions, rule);
        definitions.insert(name, def);
        return;
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(v) = value {
            obj.entry(key).or_insert(v);
        }
    };
    match rule.kind {
        Kind::String => {
            put("minLength", rule.min_length.map(Value::from));
            put("maxLength", rule.max_length.map(Value::from));
        }
        Kind::Array => {
            put("minItems", rule.min_items.map(Value::from));
            put("maxItems", rule.max_items.map(Value::from));
        }
        Kind::Integer | Kind::Number => {
            put("minimum", rule.minimum.map(Value::from));
            put("maximum", rule.maximum.map(Value::from));
        }
        _ => {}
    }
    let typed = |v: &str| match rule.kind {
        Kind::String => Value::String(v.to_owned()),
        _ => serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned())),
    };
    // An open set's type (`x-values`) describes its values as examples; a request may
    // send only the listed ones.
    if !rule.allowed.is_empty() {
        put(
            "enum",
            Some(Value::Array(
                rule.allowed.iter().map(|v| typed(v)).collect(),
            )),
        );
    }
    put("default", rule.default.map(typed));
    if let Some(items) = rule.items
        && let Some(s) = obj.get_mut("items")
    {
        complete(s, definitions, items);
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for p in rule.properties {
            if let Some(s) = props.get_mut(p.name) {
                complete(s, definitions, p);
            }
        }
    }
}

/// A body of operation `operation_id` with every member the schema declares, each set
/// to its default, its first allowed value, or an empty value of its type, ready to be
/// filled in. `None` if the operation takes no JSON body.
pub fn skeleton(operation_id: &str) -> Option<Value> {
    let schema = request_body(operation_id)?;
    let definitions = schema.get("definitions").cloned().unwrap_or(Value::Null);
    Some(example(&schema, &definitions, 0))
}

/// Follows `$ref`s, `allOf` of one member and the `anyOf` schemars writes for an
/// optional member (`[T, null]`) to the schema that says what the value is.
pub(crate) fn resolve<'a>(mut schema: &'a Value, definitions: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            match r
                .strip_prefix("#/definitions/")
                .and_then(|name| definitions.get(name))
            {
                Some(next) => schema = next,
                None => return schema,
            }
        } else if let Some(one) = ["allOf", "anyOf", "oneOf"].iter().find_map(|k| {
            let list = schema.get(*k)?.as_array()?;
            let not_null: Vec<&Value> = list
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            (not_null.len() == 1).then(|| not_null[0])
        }) {
            schema = one;
        } else {
            return schema;
        }
    }
    schema
}

fn example(schema: &Value, definitions: &Value, depth: usize) -> Value {
    let s = resolve(schema, definitions);
    if let Some(d) = s.get("default") {
        return d.clone();
    }
    if let Some(first) = s
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    let kind = match s.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if s.get("properties").is_some() => "object",
        _ => "null",
    };
    match kind {
        "string" => Value::String(String::new()),
        "integer" | "number" => s.get("minimum").cloned().unwrap_or(Value::from(0)),
        "boolean" => Value::Bool(false),
        "array" => Value::Array(Vec::new()),
        "object" if depth < 8 => {
            let mut out = Map::new();
            if let Some(props) = s.get("properties").and_then(Value::as_object) {
                for (name, p) in props {
                    out.insert(name.clone(), example(p, definitions, depth + 1));
                }
            }
            Value::Object(out)
        }
        "object" => Value::Object(Map::new()),
        _ => Value::Null,
    }
}
