//! The rules of every operation, as the generator (`cargo xtask generate`, `codegen/`) read them from `spec/osm.yaml` through
//! the spec's model.
//!
//! typify turns string lengths into validating newtypes, but it does not enforce item
//! counts or numeric bounds, and its errors name neither the field nor the value's size.
//! These tables are what [`crate::validation`] checks a request against before anything
//! is sent, so that an error can say "simple_description is 1201 characters long; the
//! maximum length is 1200". The emulator checks incoming requests against the very same
//! tables, and routes by them.

use serde_json::{Map, Value};

use crate::validation::ValidationError;

/// Where a field travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Location {
    /// A segment of the request path.
    Path,
    /// A query parameter.
    Query,
    /// An HTTP request header.
    Header,
    /// A member of the JSON request body.
    Body,
}

/// The JSON type a field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An array; [`FieldRule::items`] holds the rule of its items.
    Array,
    /// A JSON object.
    Object,
    /// Any JSON value.
    Any,
}

/// A requirement that applies only when another field has a given value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value triggers the requirement.
    pub field: &'static str,
    /// The value that triggers it: of `field`, or with [`RequiredWhen::lookup`] of the
    /// member of the record `field` names.
    pub equals: &'static str,
    /// When `field` holds an id: where the member that decides is looked up. Such a
    /// requirement cannot be checked from the request alone; the client checks it when
    /// asked ([`crate::ClientBuilder::check_fault_report_region`]).
    pub lookup: Option<Lookup>,
}

/// Where the value that decides a [`RequiredWhen`] is looked up: the answer of
/// `operation` lists records in its member `list`; the record whose `field` equals the
/// request's has `member`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The operation to call (`list_problem_types`).
    pub operation: &'static str,
    /// The array member of its answer (`incident_business_type_list`).
    pub list: &'static str,
    /// The member that decides (`case_type`).
    pub member: &'static str,
}

impl std::fmt::Display for RequiredWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.lookup {
            None => write!(f, "{} is {:?}", self.field, self.equals),
            Some(l) => write!(
                f,
                "the {} of the {} (in {}) is {:?}",
                l.member, self.field, l.operation, self.equals
            ),
        }
    }
}

/// The constraints of one parameter or body field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FieldRule {
    /// Name on the wire: the parameter or header name, or the JSON member name.
    pub name: &'static str,
    /// Path, query, header or body.
    pub location: Location,
    /// JSON type.
    pub kind: Kind,
    /// Whether the spec marks it required.
    pub required: bool,
    /// Minimum length in characters (strings).
    pub min_length: Option<usize>,
    /// Maximum length in characters (strings).
    pub max_length: Option<usize>,
    /// Minimum number of items (arrays).
    pub min_items: Option<usize>,
    /// Maximum number of items (arrays).
    pub max_items: Option<usize>,
    /// Smallest allowed value (numbers).
    pub minimum: Option<i64>,
    /// Largest allowed value (numbers).
    pub maximum: Option<i64>,
    /// The value the service assumes when the field is absent, when the spec gives one.
    pub default: Option<&'static str>,
    /// The only values allowed, when the spec lists them (one value: a fixed field).
    pub allowed: &'static [&'static str],
    /// A regular expression (ECMA 262, as JSON Schema) a string must match.
    pub pattern: Option<&'static str>,
    /// A requirement that depends on another field.
    pub required_when: Option<RequiredWhen>,
    /// The rule of each item (arrays).
    pub items: Option<&'static FieldRule>,
    /// The rules of the members the spec lists (objects).
    pub properties: &'static [FieldRule],
    /// For objects: whether members the spec does not list are allowed.
    pub open: bool,
    /// A secret (`format: password` in the spec, such as a host's password): never
    /// printed, not even by `osm --dry-run`.
    pub secret: bool,
    /// The spec's description of the field.
    pub description: &'static str,
}

impl FieldRule {
    /// The only value the field may take, when the spec fixes it.
    pub fn fixed(&self) -> Option<&'static str> {
        match self.allowed {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Checks a JSON body and turns it into the bytes to send, through the generated type.
pub type TypedBody = fn(&Map<String, Value>) -> Result<Vec<u8>, ValidationError>;

/// Checks that a success body reads as the generated response type.
pub type TypedResponse = fn(&[u8]) -> Result<(), String>;

/// A family of operations: an OpenAPI tag of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagRules {
    /// The tag, as operations list it (`cases`).
    pub name: &'static str,
    /// The `osm` command of the family (`case`).
    pub noun: &'static str,
    /// What the family is for.
    pub description: &'static str,
}

/// What an operation's success answer carries, declared by its media type in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerKind {
    /// A JSON document, read into the generated type.
    Json,
    /// Nothing.
    Empty,
    /// A file: the bytes as they come, streamed to the caller under a bound it sets.
    Bytes {
        /// The media type the spec declares.
        media_type: &'static str,
    },
}

/// Everything the client and the emulator know about one operation.
#[derive(Clone, Copy, Debug)]
pub struct OperationRules {
    /// `operationId`, such as `list_problem_types`.
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, such as `/v2/servicerequest/cases/{case_id}`.
    pub path: &'static str,
    /// The family (the spec's tag): `cases`, `lookups`, `attachments`, `verification`.
    pub family: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// Whether sending it twice has the effect of sending it once; decides what may be
    /// retried after an ambiguous failure.
    pub idempotent: bool,
    /// Whether an HTTP 200 may carry `error_code` instead of a result.
    pub business_errors: bool,
    /// Whether the client call is written by hand (multipart).
    pub hand_written: bool,
    /// The status of a success.
    pub success_status: u16,
    /// What the success answer carries, from its media type in the spec.
    pub answer: AnswerKind,
    /// The `osm` command's noun: its family's (`x-cli` on the spec's tag).
    pub noun: &'static str,
    /// The `osm` command's verb (`x-cli` on the operation).
    pub verb: &'static str,
    /// Whether the request body holds a file (multipart, or a JSON member of format
    /// `byte`): it is bounded by the attachment limit, not the JSON bound.
    pub carries_file: bool,
    /// The request body's media type, if it has a body.
    pub content_type: Option<&'static str>,
    /// Whether the body is mandatory.
    pub body_required: bool,
    /// Path, query and header parameters.
    pub params: &'static [FieldRule],
    /// Members of the JSON body (or parts of a multipart body).
    pub body: &'static [FieldRule],
    /// Converts a checked body through the generated request type.
    pub typed_body: Option<TypedBody>,
    /// Checks a success body against the generated response type.
    pub typed_response: Option<TypedResponse>,
    /// The success body (JSON text) to assume until the service is asked: the values
    /// the vendor documents (`x-default-answer` in the spec), such as the attachment
    /// limits of `show_attachment_limits`.
    pub default_answer: Option<&'static str>,
}

impl OperationRules {
    /// The parameter `name` at `location` (headers compared case-insensitively).
    pub fn param(&self, location: Location, name: &str) -> Option<&'static FieldRule> {
        self.params.iter().find(|r| {
            r.location == location
                && if location == Location::Header {
                    r.name.eq_ignore_ascii_case(name)
                } else {
                    r.name == name
                }
        })
    }

    /// The position of that parameter in [`OperationRules::params`].
    pub fn param_index(&self, location: Location, name: &str) -> Option<usize> {
        self.params.iter().position(|r| {
            r.location == location
                && if location == Location::Header {
                    r.name.eq_ignore_ascii_case(name)
                } else {
                    r.name == name
                }
        })
    }

    /// The body field `name`.
    pub fn body_field(&self, name: &str) -> Option<&'static FieldRule> {
        self.body.iter().find(|r| r.name == name)
    }

    /// Matches a request path against the template; the path parameters' values
    /// (still percent-encoded) on success.
    pub fn match_path<'p>(&self, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
        // Quick refusals first: a router tries every operation on every request.
        let literal = self.path.split('{').next().unwrap_or_default();
        if literal.len() == self.path.len() {
            return (path == self.path).then(Vec::new);
        }
        if !path.starts_with(literal) || path.matches('/').count() != self.path.matches('/').count()
        {
            return None;
        }
        let mut values = Vec::new();
        let mut want = self.path.split('/');
        let mut got = path.split('/');
        loop {
            match (want.next(), got.next()) {
                (None, None) => return Some(values),
                (Some(w), Some(g)) => {
                    if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                        if g.is_empty() {
                            return None;
                        }
                        values.push((name, g));
                    } else if w != g {
                        return None;
                    }
                }
                _ => return None,
            }
        }
    }
}

include!("generated/spec_rules.rs");

/// The rules of the operation `id`.
pub fn operation(id: &str) -> Option<&'static OperationRules> {
    OPERATIONS.iter().find(|o| o.id == id)
}

/// Every field of the create-case body, in the order the spec declares them.
pub static BODY: &[FieldRule] = CREATE_CASE.body;

/// The rule of the create-case body field `name`, if the spec declares one.
pub fn body_field(name: &str) -> Option<&'static FieldRule> {
    CREATE_CASE.body_field(name)
}

/// The rule of a header of create_case, or of the token header (compared
/// case-insensitively), if the spec declares one.
pub fn header(name: &str) -> Option<&'static FieldRule> {
    CREATE_CASE.param(Location::Header, name).or_else(|| {
        AUTH_HEADERS
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_templates_only() {
        let show = operation("show_case_detail").expect("in the spec");
        let status = operation("show_case_status").expect("in the spec");
        let path = |id: &str| show.path.replace("{case_id}", id);
        assert_eq!(
            show.match_path(&path("CS1")),
            Some(vec![("case_id", "CS1")])
        );
        assert_eq!(
            show.match_path(&path("")),
            None,
            "an empty segment is no value"
        );
        assert_eq!(show.match_path(&format!("{}/", path("CS1"))), None);
        assert_eq!(show.match_path(&path("CS1").replace("/v2", "/v3")), None);
        assert_eq!(status.match_path(&path("CS1")), None, "one segment short");
        assert_eq!(
            status.match_path(&status.path.replace("{case_id}", "CS%2F1")),
            Some(vec![("case_id", "CS%2F1")])
        );
        let create = operation("create_case").expect("in the spec");
        assert_eq!(create.match_path(create.path), Some(vec![]));
        assert_eq!(create.match_path(&format!("{}/", create.path)), None);
        assert_eq!(create.match_path(&path("CS1")), None);
    }
}
