//! The facts the xtask reads from `spec/osm.yaml`, in the vendor's terms: an adapter over
//! the spec's one model (`osm_spec`), which is the only reader of the YAML.
//!
//! `drift --apply` needs to know *where* in the file each fact lives: every [`Field`]
//! carries the YAML path of the mapping that holds its constraints (from the model),
//! which [`crate::yaml_edit`] turns into a line number.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

/// The spec, modelled, with its text (kept for line-level editing).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where the spec was read from.
    pub path: PathBuf,
    /// The file's text, exactly as read.
    pub text: String,
    /// The model.
    pub model: osm_spec::Spec,
}

/// A condition under which an optional field becomes mandatory (`x-required-when`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value decides.
    pub field: String,
    /// The value that makes this one mandatory: of `field`, or with `lookup` of the
    /// member of the record `field` names.
    pub equals: String,
    /// When the value is looked up: `(operation, member)` (`x-required-when`'s `lookup`).
    /// The vendor's pages state only the field and the value, which drift compares.
    pub lookup: Option<(String, String)>,
}

impl std::fmt::Display for RequiredWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.lookup {
            None => write!(f, "{} is {}", self.field, self.equals),
            Some((operation, member)) => write!(
                f,
                "the {member} of the {} (in {operation}) is {}",
                self.field, self.equals
            ),
        }
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
    /// The documented values of an open set (`x-values`): `(value, label)`.
    pub values: Vec<(String, String)>,
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
    /// YAML path of the parameter object, for a parameter (where its `required:` lives).
    pub param_path: Option<Vec<String>>,
    /// For an object: its members.
    pub properties: Vec<Field>,
    /// For an array of objects: the members of its items.
    pub item_properties: Vec<Field>,
    /// For an array: the component schema name of its items, if they are one.
    pub item_schema: Option<String>,
    /// The component schema name of the field's schema, if it is one.
    pub schema_name: Option<String>,
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
    /// What the answer carries (the model's, as it is).
    pub kind: osm_spec::AnswerKind,
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
    /// Every header: the token the auth layer sends (`X-Auth-Token`, which the
    /// vendor's pages list for every operation), then the operation's own headers.
    pub headers: Vec<Field>,
    /// The path parameters.
    pub path_params: Vec<Field>,
    /// The query parameters.
    pub query: Vec<Field>,
    /// Whether sending it twice has the effect of sending it once.
    pub idempotent: bool,
    /// The family (tag).
    pub family: String,
    /// Error codes documented for this operation alone.
    pub error_codes: Vec<ErrorCode>,
    /// The JSON request body.
    pub body: Option<Body>,
    /// The responses, in the spec's order.
    pub responses: Vec<Response>,
}

/// One entry of `x-error-codes`: an error code the service documents (the model's).
pub use osm_spec::ErrorCode;

impl Spec {
    /// Reads and models the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("cannot read the spec {}: {e}", path.display()))?;
        Spec::from_text(path, text)
    }

    /// Models spec text that was read elsewhere; `path` is only used in messages.
    pub fn from_text(path: &Path, text: String) -> Result<Spec> {
        let model = osm_spec::Spec::from_text(path, text.clone())
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Spec {
            path: path.to_path_buf(),
            text,
            model,
        })
    }

    /// `info.title`.
    pub fn title(&self) -> Option<String> {
        Some(self.model.title.clone()).filter(|t| !t.is_empty())
    }

    /// Every operation, in the order of `paths` then of the methods within a path.
    pub fn operations(&self) -> Result<Vec<Operation>> {
        Ok(self
            .model
            .operations
            .iter()
            .map(|op| self.operation(op))
            .collect())
    }

    /// The operation for `method` and `path` (method compared case-insensitively).
    pub fn find_operation(&self, method: &str, path: &str) -> Result<Option<Operation>> {
        Ok(self.model.find(method, path).map(|op| self.operation(op)))
    }

    fn operation(&self, op: &osm_spec::Operation) -> Operation {
        let of = |loc| {
            op.params
                .iter()
                .filter(|p| p.location == loc)
                .map(field)
                .collect::<Vec<_>>()
        };
        let mut headers: Vec<Field> = self.model.auth_headers.iter().map(field).collect();
        headers.extend(of(osm_spec::Location::Header));
        Operation {
            method: op.method.as_str().to_string(),
            path: op.path.clone(),
            operation_id: op.id.clone(),
            summary: Some(op.summary.clone()).filter(|s| !s.is_empty()),
            description: Some(op.description.clone()).filter(|s| !s.is_empty()),
            headers,
            path_params: of(osm_spec::Location::Path),
            query: of(osm_spec::Location::Query),
            idempotent: op.idempotent,
            family: op.family.clone(),
            error_codes: op.error_codes.clone(),
            body: op.body.as_ref().map(body),
            responses: op
                .responses
                .iter()
                .map(|r| Response {
                    status: r.status.clone(),
                    description: r.description.clone(),
                    ref_name: r.ref_name.clone(),
                    body: r.body.as_ref().map(body),
                    kind: r.kind.clone(),
                })
                .collect(),
        }
    }

    /// The type of a field in the vendor's wording.
    pub fn vendor_type(&self, f: &osm_spec::Field) -> String {
        f.vendor_type()
    }

    /// The service's documented error codes: every `x-error-codes` list found on a schema
    /// in `components.schemas`, in the spec's order.
    pub fn error_codes(&self) -> Result<Vec<ErrorCode>> {
        Ok(self.model.error_codes.clone())
    }
}

fn kind(k: osm_spec::Kind) -> Kind {
    match k {
        osm_spec::Kind::String => Kind::String,
        osm_spec::Kind::Integer => Kind::Integer,
        osm_spec::Kind::Number => Kind::Number,
        osm_spec::Kind::Boolean => Kind::Boolean,
        osm_spec::Kind::Array => Kind::Array,
        osm_spec::Kind::Object | osm_spec::Kind::Any => Kind::Object,
    }
}

fn body(b: &osm_spec::Body) -> Body {
    Body {
        schema_name: b.schema_name.clone(),
        schema_path: b.schema_path.clone(),
        description: b.description.clone(),
        fields: b.fields.iter().map(field).collect(),
    }
}

/// A field of the model in the vendor's terms: for an array, the lengths are those of
/// its items (the vendor's pages put both on the array's row); a one-value `enum` is a
/// fixed value, which is its own default.
fn field(f: &osm_spec::Field) -> Field {
    let m = &f.constraints;
    let mut c = Constraints {
        min_length: m.min_length,
        max_length: m.max_length,
        min_items: m.min_items,
        max_items: m.max_items,
        default: m.default.clone(),
        fixed: m.fixed().map(str::to_string),
        required_when: m.required_when.as_ref().map(|w| RequiredWhen {
            field: w.field.clone(),
            equals: w.equals.clone(),
            lookup: w
                .lookup
                .as_ref()
                .map(|l| (l.operation.clone(), l.member.clone())),
        }),
    };
    let mut items_path = None;
    if let Some(items) = &f.items {
        c.min_length = items.constraints.min_length;
        c.max_length = items.constraints.max_length;
        items_path = Some(items.schema_path.clone());
    }
    if c.default.is_some() && c.default == c.fixed {
        c.default = None;
    }
    let allowed = if m.allowed.len() > 1 {
        m.allowed.clone()
    } else {
        Vec::new()
    };
    Field {
        name: f.name.clone(),
        required: f.required,
        ty: f.vendor_type(),
        kind: kind(f.kind),
        description: f.description.clone(),
        constraints: c,
        allowed,
        values: f
            .values
            .iter()
            .map(|v| (v.value.clone(), v.label.clone()))
            .collect(),
        pattern: m.pattern.clone(),
        minimum: m.minimum.map(|n| n.to_string()),
        maximum: m.maximum.map(|n| n.to_string()),
        deviation: f.deviation.clone(),
        schema_path: f.schema_path.clone(),
        items_path,
        param_path: f.param_path.clone(),
        properties: f.properties.iter().map(field).collect(),
        item_properties: f
            .items
            .as_ref()
            .map(|i| i.properties.iter().map(field).collect())
            .unwrap_or_default(),
        item_schema: f.items.as_ref().and_then(|i| i.schema_name.clone()),
        schema_name: f.schema_name.clone(),
    }
}

/// Collapses runs of whitespace (including newlines) into single spaces.
pub fn collapse(s: &str) -> String {
    osm_spec::collapse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_spec_reads() {
        let spec = Spec::load(&crate::default_spec_path()).unwrap();
        let ops = spec.operations().unwrap();
        let op = ops
            .iter()
            .find(|o| o.operation_id == "create_case")
            .unwrap();
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
