//! The facts the xtask reads from `spec/osm.yaml`.
//!
//! The document is read as plain YAML (not through an OpenAPI model) because the facts
//! that matter here live partly in vendor extensions (`x-upstream-deviation`,
//! `x-required-when`, `x-error-codes`) and because `drift --apply` needs to know *where* in
//! the file each fact lives: every [`Field`] carries the YAML path of the mapping that holds
//! its constraints, which [`crate::yaml_edit`] turns into a line number.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_yaml::Value;

/// A parsed spec together with its text (kept for line-level editing).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where the spec was read from.
    pub path: PathBuf,
    /// The file's text, exactly as read.
    pub text: String,
    /// The parsed document.
    pub root: Value,
}

/// A condition under which an optional field becomes mandatory (`x-required-when`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value decides.
    pub field: String,
    /// The value of that field that makes this one mandatory.
    pub equals: String,
}

impl std::fmt::Display for RequiredWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is {}", self.field, self.equals)
    }
}

/// The constraints the vendor's pages state for a parameter, which the spec states too.
///
/// For an array, `min_length`/`max_length` are the lengths of its items (the vendor's pages
/// put both on the array's row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Minimum length of the string (or of each item of an array of strings).
    pub min_length: Option<u64>,
    /// Maximum length of the string (or of each item of an array of strings).
    pub max_length: Option<u64>,
    /// Minimum number of items of an array.
    pub min_items: Option<u64>,
    /// Maximum number of items of an array.
    pub max_items: Option<u64>,
    /// The value the service assumes when the parameter is absent.
    pub default: Option<String>,
    /// The only value the parameter may take (a one-value `enum` in the spec).
    pub fixed: Option<String>,
    /// When the parameter becomes mandatory although it is optional in general.
    pub required_when: Option<RequiredWhen>,
}

/// The JSON type of a schema, as far as editing it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `type: string`
    String,
    /// `type: integer`
    Integer,
    /// `type: number`
    Number,
    /// `type: boolean`
    Boolean,
    /// `type: array`
    Array,
    /// `type: object` (or no type with properties)
    Object,
}

/// One header, body field or response field of an operation, with everything the docs
/// show and the drift check compares.
#[derive(Debug, Clone)]
pub struct Field {
    /// The name on the wire.
    pub name: String,
    /// Mandatory (`required: true` on a parameter, or listed in the schema's `required`).
    pub required: bool,
    /// The type in the vendor's wording: `String`, `Integer`, `Array of strings`, ...
    pub ty: String,
    /// The JSON type, for writing values back.
    pub kind: Kind,
    /// The spec's description, whitespace collapsed.
    pub description: String,
    /// Lengths, item counts, default, fixed value, conditional requirement.
    pub constraints: Constraints,
    /// The allowed values when the `enum` has more than one.
    pub allowed: Vec<String>,
    /// `pattern`, if any.
    pub pattern: Option<String>,
    /// `minimum`, if any.
    pub minimum: Option<String>,
    /// `maximum`, if any.
    pub maximum: Option<String>,
    /// The text of `x-upstream-deviation`, when the spec departs from the vendor's page on
    /// purpose.
    pub deviation: Option<String>,
    /// YAML path of the schema mapping of this field.
    pub schema_path: Vec<String>,
    /// YAML path of the `items` schema, for an array.
    pub items_path: Option<Vec<String>>,
    /// YAML path of the parameter object, for a header (where its `required:` lives).
    pub param_path: Option<Vec<String>>,
}

/// A request body: one JSON object schema.
#[derive(Debug, Clone)]
pub struct Body {
    /// Name of the schema in `components.schemas`, when it is referenced.
    pub schema_name: Option<String>,
    /// YAML path of the object schema (where its `required` list lives).
    pub schema_path: Vec<String>,
    /// The schema's description.
    pub description: Option<String>,
    /// The object's properties, in the order the spec declares them.
    pub fields: Vec<Field>,
}

/// One entry of an operation's `responses`.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status key as written: `200`, `4XX`, ...
    pub status: String,
    /// The response's description.
    pub description: String,
    /// Name in `components.responses`, when the response is a reference.
    pub ref_name: Option<String>,
    /// The JSON body, if the response has one.
    pub body: Option<Body>,
}

/// One operation of the spec, with its parameters resolved.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// `operationId`.
    pub operation_id: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// Every header: all of `components.parameters` that are headers (the operation may
    /// leave some to the auth layer, such as `X-Auth-Token`), then the operation's own
    /// inline headers.
    pub headers: Vec<Field>,
    /// The JSON request body.
    pub body: Option<Body>,
    /// The responses, in the spec's order.
    pub responses: Vec<Response>,
}

/// One entry of `x-error-codes`: an error code the service documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    /// The HTTP status the code comes with.
    pub status: String,
    /// The code, such as `OSM.0001`.
    pub code: String,
    /// What it means.
    pub description: String,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Spec {
    /// Reads and parses the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the spec {}", path.display()))?;
        Spec::from_text(path, text)
    }

    /// Parses spec text that was read elsewhere; `path` is only used in messages.
    pub fn from_text(path: &Path, text: String) -> Result<Spec> {
        let root: Value = serde_yaml::from_str(&text)
            .with_context(|| format!("{} is not valid YAML", path.display()))?;
        if !root.is_mapping() {
            bail!("{} is not a YAML mapping", path.display());
        }
        Ok(Spec {
            path: path.to_path_buf(),
            text,
            root,
        })
    }

    /// `info.title`.
    pub fn title(&self) -> Option<String> {
        self.root
            .get("info")
            .and_then(|i| i.get("title"))
            .and_then(Value::as_str)
            .map(collapse)
    }

    /// Every operation, in the order of `paths` then of the methods within a path.
    pub fn operations(&self) -> Result<Vec<Operation>> {
        let paths = self
            .root
            .get("paths")
            .and_then(Value::as_mapping)
            .ok_or_else(|| anyhow!("the spec has no `paths`"))?;
        let mut out = Vec::new();
        for (path_key, item) in paths {
            let path = path_key
                .as_str()
                .ok_or_else(|| anyhow!("a key of `paths` is not a string"))?;
            let Some(item) = item.as_mapping() else {
                bail!("paths.{path} is not a mapping");
            };
            for (method_key, op) in item {
                let Some(method) = method_key.as_str() else {
                    continue;
                };
                if !METHODS.contains(&method) {
                    continue;
                }
                out.push(
                    self.operation(path, method, op)
                        .with_context(|| format!("in {} {path}", method.to_uppercase()))?,
                );
            }
        }
        Ok(out)
    }

    /// The operation for `method` and `path` (method compared case-insensitively).
    pub fn find_operation(&self, method: &str, path: &str) -> Result<Option<Operation>> {
        Ok(self
            .operations()?
            .into_iter()
            .find(|op| op.method.eq_ignore_ascii_case(method) && op.path == path))
    }

    fn operation(&self, path: &str, method: &str, op: &Value) -> Result<Operation> {
        let operation_id = op
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the operation has no operationId"))?
            .to_string();

        // Headers: every component parameter that is a header, then inline ones.
        let mut headers = Vec::new();
        if let Some(params) = self
            .root
            .get("components")
            .and_then(|c| c.get("parameters"))
            .and_then(Value::as_mapping)
        {
            for (key, param) in params {
                let key = key
                    .as_str()
                    .ok_or_else(|| anyhow!("a key of components.parameters is not a string"))?;
                let param_path = svec(&["components", "parameters", key]);
                if let Some(field) = self.header(param, param_path)? {
                    headers.push(field);
                }
            }
        }
        if let Some(list) = op.get("parameters").and_then(Value::as_sequence) {
            for (i, param) in list.iter().enumerate() {
                if param.get("$ref").is_some() {
                    let (target, target_path) = self.resolve(param, Vec::new())?;
                    if target.get("in").and_then(Value::as_str) != Some("header") {
                        bail!(
                            "parameter {} is not a header; only headers are supported",
                            target_path.join(".")
                        );
                    }
                    continue; // already listed from components.parameters
                }
                let Some(mut field) = self.header(param, Vec::new())? else {
                    bail!("inline parameter #{i} is not a header; only headers are supported");
                };
                // Inline parameters live in a sequence, which the line editor cannot
                // address: leave them without a location so that `--apply` skips them.
                field.param_path = None;
                field.schema_path.clear();
                field.items_path = None;
                headers.push(field);
            }
        }

        let body = match op.get("requestBody") {
            Some(rb) => {
                let (rb, _) = self.resolve(rb, Vec::new())?;
                match json_schema(rb) {
                    Some(schema) => Some(self.body(schema)?),
                    None => None,
                }
            }
            None => None,
        };

        let mut responses = Vec::new();
        if let Some(map) = op.get("responses").and_then(Value::as_mapping) {
            for (status, resp) in map {
                let status = scalar_text(status)
                    .ok_or_else(|| anyhow!("a response status is not a scalar"))?;
                let ref_name = ref_name(resp);
                let (resp, _) = self.resolve(resp, Vec::new())?;
                let description = resp
                    .get("description")
                    .and_then(Value::as_str)
                    .map(collapse)
                    .unwrap_or_default();
                let body = match json_schema(resp) {
                    Some(schema) => Some(
                        self.body(schema)
                            .with_context(|| format!("in response {status}"))?,
                    ),
                    None => None,
                };
                responses.push(Response {
                    status,
                    description,
                    ref_name,
                    body,
                });
            }
        }

        Ok(Operation {
            method: method.to_uppercase(),
            path: path.to_string(),
            operation_id,
            summary: op.get("summary").and_then(Value::as_str).map(collapse),
            description: op.get("description").and_then(Value::as_str).map(collapse),
            headers,
            body,
            responses,
        })
    }

    /// Reads a parameter object; `None` if it is not a header.
    fn header(&self, param: &Value, param_path: Vec<String>) -> Result<Option<Field>> {
        let (param, param_path) = self.resolve(param, param_path)?;
        let location = param.get("in").and_then(Value::as_str);
        if location != Some("header") {
            return Ok(None);
        }
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("parameter {} has no name", param_path.join(".")))?;
        let schema = param
            .get("schema")
            .ok_or_else(|| anyhow!("header {name} has no schema"))?;
        let mut schema_path = param_path.clone();
        schema_path.push("schema".into());
        let required = param
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut field = self
            .field(name, schema, schema_path, required)
            .with_context(|| format!("in header {name}"))?;
        if let Some(d) = param.get("description").and_then(Value::as_str) {
            field.description = collapse(d);
        }
        if let Some(d) = param.get("x-upstream-deviation").and_then(Value::as_str) {
            field.deviation = Some(collapse(d));
        }
        field.param_path = Some(param_path);
        Ok(Some(field))
    }

    fn body(&self, schema: &Value) -> Result<Body> {
        let schema_name = ref_name(schema);
        let (schema, schema_path) = self.resolve(schema, Vec::new())?;
        if schema_path.is_empty() {
            bail!("inline body schemas are not supported; put the schema in components.schemas");
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        if let Some(props) = schema.get("properties").and_then(Value::as_mapping) {
            for (key, prop) in props {
                let name = key
                    .as_str()
                    .ok_or_else(|| anyhow!("a property name is not a string"))?;
                let mut path = schema_path.clone();
                path.push("properties".into());
                path.push(name.into());
                fields.push(
                    self.field(name, prop, path, required.contains(&name))
                        .with_context(|| format!("in property {name}"))?,
                );
            }
        }
        Ok(Body {
            schema_name,
            schema_path,
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(collapse),
            fields,
        })
    }

    fn field(
        &self,
        name: &str,
        schema: &Value,
        schema_path: Vec<String>,
        required: bool,
    ) -> Result<Field> {
        let ty = self.vendor_type(schema)?;
        let (schema, schema_path) = self.resolve(schema, schema_path)?;
        let kind = kind_of(schema)?;
        let mut c = Constraints::default();
        let mut items_path = None;
        if kind == Kind::Array {
            c.min_items = uint(schema, "minItems")?;
            c.max_items = uint(schema, "maxItems")?;
            if let Some(items) = schema.get("items") {
                let mut p = schema_path.clone();
                p.push("items".into());
                let (items, p) = self.resolve(items, p)?;
                c.min_length = uint(items, "minLength")?;
                c.max_length = uint(items, "maxLength")?;
                items_path = Some(p);
            }
        } else {
            c.min_length = uint(schema, "minLength")?;
            c.max_length = uint(schema, "maxLength")?;
        }
        let values: Vec<String> = schema
            .get("enum")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(scalar_text).collect())
            .unwrap_or_default();
        let mut allowed = Vec::new();
        if values.len() == 1 {
            c.fixed = values.into_iter().next();
        } else {
            allowed = values;
        }
        c.default = schema.get("default").and_then(scalar_text);
        if c.default.is_some() && c.default == c.fixed {
            // A fixed value is its own default; the vendor states it once.
            c.default = None;
        }
        if let Some(w) = schema.get("x-required-when") {
            let field = w
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("x-required-when needs `field`"))?;
            let equals = w
                .get("equals")
                .and_then(scalar_text)
                .ok_or_else(|| anyhow!("x-required-when needs `equals`"))?;
            c.required_when = Some(RequiredWhen {
                field: field.to_string(),
                equals,
            });
        }
        Ok(Field {
            name: name.to_string(),
            required,
            ty,
            kind,
            description: schema
                .get("description")
                .and_then(Value::as_str)
                .map(collapse)
                .unwrap_or_default(),
            constraints: c,
            allowed,
            pattern: schema
                .get("pattern")
                .and_then(Value::as_str)
                .map(str::to_string),
            minimum: schema.get("minimum").and_then(scalar_text),
            maximum: schema.get("maximum").and_then(scalar_text),
            deviation: schema
                .get("x-upstream-deviation")
                .and_then(Value::as_str)
                .map(collapse),
            schema_path,
            items_path,
            param_path: None,
        })
    }

    /// The type of a schema in the vendor's wording: `String`, `Integer`, `Long`,
    /// `Boolean`, `Array of strings`, `Map<String,Object>`, `Object`, `Foo object`...
    pub fn vendor_type(&self, schema: &Value) -> Result<String> {
        let name = ref_name(schema);
        let (schema, _) = self.resolve(schema, Vec::new())?;
        let kind = kind_of(schema)?;
        let format = schema.get("format").and_then(Value::as_str);
        Ok(match kind {
            Kind::String => "String".into(),
            Kind::Integer if format == Some("int64") => "Long".into(),
            Kind::Integer => "Integer".into(),
            Kind::Number => match format {
                Some("float") => "Float".into(),
                Some("double") => "Double".into(),
                _ => "Number".into(),
            },
            Kind::Boolean => "Boolean".into(),
            Kind::Array => {
                let items = schema
                    .get("items")
                    .ok_or_else(|| anyhow!("an array schema has no items"))?;
                let item = self.vendor_type(items)?;
                match item.as_str() {
                    "String" => "Array of strings".into(),
                    "Integer" => "Array of integers".into(),
                    "Long" => "Array of longs".into(),
                    "Boolean" => "Array of booleans".into(),
                    "Object" => "Array of objects".into(),
                    other => match other.strip_suffix(" object") {
                        Some(n) => format!("Array of {n} objects"),
                        None => format!("Array of {other}"),
                    },
                }
            }
            Kind::Object => match schema.get("additionalProperties") {
                Some(Value::Bool(true)) => "Map<String,Object>".into(),
                Some(Value::Mapping(m)) if m.is_empty() => "Map<String,Object>".into(),
                Some(inner @ Value::Mapping(_)) => {
                    format!("Map<String,{}>", self.vendor_type(inner)?)
                }
                _ => match name {
                    Some(n) => format!("{n} object"),
                    None => "Object".into(),
                },
            },
        })
    }

    /// Follows a local `$ref` (repeatedly); returns the target and its YAML path. A value
    /// that is not a reference is returned as is, with `path`.
    pub fn resolve<'a>(
        &'a self,
        mut value: &'a Value,
        mut path: Vec<String>,
    ) -> Result<(&'a Value, Vec<String>)> {
        for _ in 0..16 {
            let Some(r) = value.get("$ref").and_then(Value::as_str) else {
                return Ok((value, path));
            };
            let Some(pointer) = r.strip_prefix("#/") else {
                bail!("only local references are supported, not {r}");
            };
            path = pointer
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            value = path
                .iter()
                .try_fold(&self.root, |v, k| v.get(k.as_str()))
                .ok_or_else(|| anyhow!("the reference {r} leads nowhere"))?;
        }
        bail!("too many nested references")
    }

    /// The service's documented error codes: every `x-error-codes` list found on a schema
    /// in `components.schemas`, in the spec's order.
    pub fn error_codes(&self) -> Result<Vec<ErrorCode>> {
        let mut out = Vec::new();
        let Some(schemas) = self
            .root
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_mapping)
        else {
            return Ok(out);
        };
        for (name, schema) in schemas {
            let Some(list) = schema.get("x-error-codes") else {
                continue;
            };
            let name = name.as_str().unwrap_or("?");
            let list = list
                .as_sequence()
                .ok_or_else(|| anyhow!("{name}.x-error-codes is not a list"))?;
            for entry in list {
                let get = |k: &str| {
                    entry
                        .get(k)
                        .and_then(scalar_text)
                        .map(|s| collapse(&s))
                        .ok_or_else(|| anyhow!("an entry of {name}.x-error-codes has no `{k}`"))
                };
                out.push(ErrorCode {
                    status: get("status")?,
                    code: get("code")?,
                    description: get("description")?,
                });
            }
        }
        Ok(out)
    }
}

/// The JSON type of a schema (`type`, or `object` when it has properties).
fn kind_of(schema: &Value) -> Result<Kind> {
    Ok(match schema.get("type").and_then(Value::as_str) {
        Some("string") => Kind::String,
        Some("integer") => Kind::Integer,
        Some("number") => Kind::Number,
        Some("boolean") => Kind::Boolean,
        Some("array") => Kind::Array,
        Some("object") => Kind::Object,
        None if schema.get("properties").is_some()
            || schema.get("additionalProperties").is_some() =>
        {
            Kind::Object
        }
        Some(other) => bail!("unsupported schema type `{other}`"),
        None => bail!("a schema has no type"),
    })
}

/// The `application/json` schema of a request body or response.
fn json_schema(v: &Value) -> Option<&Value> {
    v.get("content")?.get("application/json")?.get("schema")
}

/// The last segment of a `$ref`, such as `CreateCaseRequest`.
fn ref_name(v: &Value) -> Option<String> {
    v.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string)
}

fn uint(schema: &Value, key: &str) -> Result<Option<u64>> {
    match schema.get(key) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| anyhow!("`{key}` is not a non-negative integer")),
    }
}

/// A YAML scalar as text (strings as they are, numbers and booleans printed).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Collapses runs of whitespace (including newlines) into single spaces.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn svec(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_spec_reads() {
        let spec = Spec::load(&crate::default_spec_path()).unwrap();
        let ops = spec.operations().unwrap();
        assert_eq!(ops.len(), 1);
        let op = &ops[0];
        assert_eq!(op.method, "POST");
        let token = op
            .headers
            .iter()
            .find(|h| h.name == "X-Auth-Token")
            .unwrap();
        assert!(token.deviation.is_some());
        let body = op.body.as_ref().unwrap();
        let ids = body
            .fields
            .iter()
            .find(|f| f.name == "accessory_ids")
            .unwrap();
        assert_eq!(ids.ty, "Array of strings");
        assert_eq!(ids.constraints.max_items, Some(5));
        assert_eq!(ids.constraints.max_length, Some(32));
        let source = body.fields.iter().find(|f| f.name == "source_id").unwrap();
        assert!(source.constraints.fixed.is_some());
        assert_eq!(source.constraints.default, None);
        let map = body
            .fields
            .iter()
            .find(|f| f.name == "extends_map")
            .unwrap();
        assert_eq!(map.ty, "Map<String,Object>");
    }
}
