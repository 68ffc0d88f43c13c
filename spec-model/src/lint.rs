//! What the OpenAPI reader would pass over in silence: keywords it does not know (a
//! `maxLenght` that would drop a limit) and types that are not JSON Schema's (a `type:
//! strin` that would reach the generator). Every problem names where it is: the
//! operation and the field, or the component.

use serde_yaml::Value;

/// The keywords of an OpenAPI 3.0 Schema Object.
const SCHEMA_KEYWORDS: &[&str] = &[
    "title",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "type",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "items",
    "properties",
    "additionalProperties",
    "description",
    "format",
    "default",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "example",
    "deprecated",
    "$ref",
];

/// The keywords of a Parameter Object.
const PARAMETER_KEYWORDS: &[&str] = &[
    "name",
    "in",
    "description",
    "required",
    "deprecated",
    "allowEmptyValue",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "example",
    "examples",
    "content",
    "$ref",
];

/// The keywords of a Response Object.
const RESPONSE_KEYWORDS: &[&str] = &["description", "headers", "content", "links", "$ref"];

/// The keywords of a Link Object.
const LINK_KEYWORDS: &[&str] = &[
    "operationRef",
    "operationId",
    "parameters",
    "requestBody",
    "description",
    "server",
    "$ref",
];

/// The types of JSON Schema as OpenAPI 3.0 has them.
const TYPES: &[&str] = &["string", "number", "integer", "boolean", "array", "object"];

/// Every problem of the document, each as `<where> <field>: <problem>`.
pub(crate) fn lint(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(schemas) = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping)
    {
        for (name, schema) in schemas {
            let at = format!("components.schemas.{}", key(name));
            schema_problems(schema, &at, "", &mut problems, 0);
        }
    }
    if let Some(params) = doc
        .get("components")
        .and_then(|c| c.get("parameters"))
        .and_then(Value::as_mapping)
    {
        for (name, p) in params {
            parameter_problems(
                p,
                &format!("components.parameters.{}", key(name)),
                &mut problems,
            );
        }
    }
    if let Some(responses) = doc
        .get("components")
        .and_then(|c| c.get("responses"))
        .and_then(Value::as_mapping)
    {
        for (name, r) in responses {
            response_problems(
                r,
                &format!("components.responses.{}", key(name)),
                &mut problems,
            );
        }
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_mapping) {
        for (path, item) in paths {
            let Some(item) = item.as_mapping() else {
                continue;
            };
            for (method, op) in item {
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{} {}", key(method), key(path)));
                operation_problems(op, &id, &mut problems);
            }
        }
    }
    problems
}

fn key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

fn operation_problems(op: &Value, id: &str, problems: &mut Vec<String>) {
    if let Some(params) = op.get("parameters").and_then(Value::as_sequence) {
        for p in params {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
            parameter_problems(p, &format!("{id} {name}"), problems);
        }
    }
    for (status, r) in op
        .get("responses")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
    {
        response_problems(r, &format!("{id} response {}", key(status)), problems);
    }
    let contents = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .into_iter()
        .map(|c| ("request body", c))
        .chain(
            op.get("responses")
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(status, r)| Some((status, r.get("content")?)))
                .map(|(_, c)| ("response", c)),
        );
    for (what, content) in contents {
        for (media, m) in content.as_mapping().into_iter().flatten() {
            if let Some(schema) = m.get("schema") {
                schema_problems(
                    schema,
                    &format!("{id} {what} {}", key(media)),
                    "",
                    problems,
                    0,
                );
            }
        }
    }
}

/// Unknown keywords of a Response Object and of the Link Objects under its `links`.
fn response_problems(r: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(map) = r.as_mapping() else {
        return;
    };
    for k in map.keys() {
        let k = key(k);
        if !k.starts_with("x-") && !RESPONSE_KEYWORDS.contains(&k.as_str()) {
            problems.push(unknown(at, &k, RESPONSE_KEYWORDS));
        }
    }
    for (name, link) in map
        .get("links")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
    {
        for k in link.as_mapping().into_iter().flat_map(|l| l.keys()) {
            let k = key(k);
            if !k.starts_with("x-") && !LINK_KEYWORDS.contains(&k.as_str()) {
                problems.push(unknown(
                    &format!("{at} link {}", key(name)),
                    &k,
                    LINK_KEYWORDS,
                ));
            }
        }
    }
}

fn parameter_problems(p: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(map) = p.as_mapping() {
        for k in map.keys() {
            let k = key(k);
            if !k.starts_with("x-") && !PARAMETER_KEYWORDS.contains(&k.as_str()) {
                problems.push(unknown(at, &k, PARAMETER_KEYWORDS));
            }
        }
    }
    if let Some(schema) = p.get("schema") {
        schema_problems(schema, at, "", problems, 0);
    }
}

/// The problems of a schema at `at`, `field` being the property path within it.
fn schema_problems(
    schema: &Value,
    at: &str,
    field: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    let Some(map) = schema.as_mapping() else {
        return;
    };
    if depth > 32 {
        problems.push(format!("{at} {field}: schemas nest more than 32 deep"));
        return;
    }
    let here = if field.is_empty() {
        at.to_owned()
    } else {
        format!("{at} {field}")
    };
    for k in map.keys() {
        let k = key(k);
        if !k.starts_with("x-") && !SCHEMA_KEYWORDS.contains(&k.as_str()) {
            problems.push(unknown(&here, &k, SCHEMA_KEYWORDS));
        }
    }
    if let Some(t) = map.get("type") {
        match t.as_str() {
            Some(t) if TYPES.contains(&t) => {}
            _ => problems.push(format!(
                "{here}: type {} is not one of {}",
                key(t),
                TYPES.join(", ")
            )),
        }
    }
    if let Some(props) = map.get("properties").and_then(Value::as_mapping) {
        for (name, p) in props {
            let child = if field.is_empty() {
                key(name)
            } else {
                format!("{field}.{}", key(name))
            };
            schema_problems(p, at, &child, problems, depth + 1);
        }
    }
    if let Some(items) = map.get("items") {
        let child = format!("{}[]", if field.is_empty() { "items" } else { field });
        schema_problems(items, at, &child, problems, depth + 1);
    }
    if let Some(extra) = map.get("additionalProperties").filter(|v| v.is_mapping()) {
        let child = format!("{}{{}}", if field.is_empty() { "values" } else { field });
        schema_problems(extra, at, &child, problems, depth + 1);
    }
    for combinator in ["allOf", "oneOf", "anyOf"] {
        for s in map
            .get(combinator)
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
        {
            schema_problems(s, at, field, problems, depth + 1);
        }
    }
}

/// `unknown keyword K`, with the closest known keyword when one is close.
fn unknown(at: &str, k: &str, known: &[&str]) -> String {
    let close = known
        .iter()
        .map(|c| (distance(&k.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min();
    match close {
        Some((_, c)) => format!("{at}: unknown keyword {k:?} (did you mean {c:?}?)"),
        None => format!("{at}: unknown keyword {k:?} (extensions start with x-)"),
    }
}

/// The edit distance of two short words.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(yaml: &str) -> Vec<String> {
        lint(&serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn a_misspelt_keyword_and_a_wrong_type_are_named_where_they_are() {
        let p = problems(
            r#"
paths:
  /x:
    get:
      operationId: show_x
      parameters:
        - name: case_id
          in: path
          schema: {type: strin, maxLenght: 64}
      responses:
        "200":
          descripton: ok
          links:
            next:
              operationID: show_y
          content:
            application/json:
              schema:
                type: object
                properties:
                  n: {type: integer, maximun: 3}
components:
  schemas:
    Thing:
      type: object
      properties:
        name: {type: string, maxLength: 4, x-personal-data: true}
        tags: {type: array, items: {type: string, minLenght: 1}}
"#,
        );
        assert_eq!(
            p,
            vec![
                "components.schemas.Thing tags[]: unknown keyword \"minLenght\" (did you mean \"minLength\"?)",
                "show_x case_id: unknown keyword \"maxLenght\" (did you mean \"maxLength\"?)",
                "show_x case_id: type strin is not one of string, number, integer, boolean, array, object",
                "show_x response 200: unknown keyword \"descripton\" (did you mean \"description\"?)",
                "show_x response 200 link next: unknown keyword \"operationID\" (did you mean \"operationId\"?)",
                "show_x response application/json n: unknown keyword \"maximun\" (did you mean \"maximum\"?)",
            ]
        );
    }
}
