//! The one model of `spec/osm.yaml`.
//!
//! The OpenAPI document is loaded with [`openapiv3`] (which keeps every `x-*` extension)
//! and turned into a typed model: [`Operation`]s, each with its own path, query and header
//! parameters ([`Field`]s that belong to the operations referencing them), its body
//! fields, its responses, its idempotency (from the method, overridable with
//! `x-idempotent`), whether an HTTP 200 may carry a business error (`x-business-errors`)
//! and its error codes (`x-error-codes`).
//!
//! Everything that derives from the spec reads it through this crate: the library's
//! `build.rs` (generated types, rules, input builders), the xtask (docs, drift), and the
//! tests. Nothing else parses the YAML.
//!
//! Vendor extensions read here:
//!
//! | extension | on | meaning |
//! |---|---|---|
//! | `x-idempotent` | operation | overrides the method's idempotency |
//! | `x-business-errors` | operation | a 200 whose body carries `error_code` is a refusal |
//! | `x-hand-written` | operation | left out of progenitor's input (multipart) |
//! | `x-error-codes` | operation, schema | documented error codes |
//! | `x-required-when` | property | mandatory when another field has a value (`field`, `equals`), or when a member of the record another operation's answer lists for that value does (`lookup: {operation, member}`: [`Lookup`]) |
//! | `x-values` | component schema (string or integer) | the documented values of an open set, each `{value, name, label}`: a Rust name and a label for display; a value the list lacks still reads ([`ValueSet`]) |
//! | `x-upstream-deviation` | parameter, property | a deliberate departure from the vendor's page |
//! | `x-rust-type` | component schema | replaced by a hand-written Rust type in generated code |
//! | `x-default-answer` | operation | the answer assumed until the service is asked (documented values) |
//! | `x-personal-data` | parameter, property | holds personal data (a phone number, an address, a code): never shown by `Debug` |
//! | `x-cli` | operation, tag | the `osm` command: the verb of an operation, the noun of a tag (a top-level `tags` entry) |
//! | `x-vendor-pages` | operation | the vendor's reference page of the operation on each site that has one ([`VendorPage`]) |
//! | `x-link-path-parameters` | response | links to every operation with a path parameter of each name it maps, the value from its expression ([`links`]) |
//!
//! OpenAPI's own `links` on a response are read and checked too ([`Link`]).

use std::fmt;
use std::path::{Path, PathBuf};

pub mod links;
mod lint;

pub use links::{Link, LinkParameter};

use openapiv3::{
    AdditionalProperties, OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema,
    SchemaKind, StatusCode, Type,
};
use serde_json::Value;

/// Why the spec could not be read.
#[derive(Debug)]
pub struct SpecError(String);

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecError {}

type Result<T> = std::result::Result<T, SpecError>;

fn err<T>(message: impl Into<String>) -> Result<T> {
    Err(SpecError(message.into()))
}

trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| SpecError(format!("{}: {}", what(), e.0)))
    }
}

/// An HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
    /// PATCH
    Patch,
}

impl Method {
    fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "get" => Method::Get,
            "post" => Method::Post,
            "put" => Method::Put,
            "delete" => Method::Delete,
            "patch" => Method::Patch,
            _ => return None,
        })
    }

    /// Upper-case name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
        }
    }

    /// Whether HTTP defines the method as idempotent.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a field travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Location {
    /// A segment of the path (`{case_id}`).
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A member of the JSON request body (or a part of a multipart body).
    Body,
    /// A member of a response body.
    Response,
}

impl Location {
    /// Lower-case name, as in OpenAPI's `in`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Body => "body",
            Location::Response => "response",
        }
    }
}

/// The JSON type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// `type: object`
    Object,
    /// Anything (`oneOf` of several types, or no type at all).
    Any,
}

/// A requirement that applies only when another field has a given value
/// (`x-required-when`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value decides.
    pub field: String,
    /// The value that makes this field mandatory: of `field` itself, or, with
    /// [`RequiredWhen::lookup`], of a member of the record `field` names.
    pub equals: String,
    /// When `field` holds an id, the look-up that tells the member that decides.
    pub lookup: Option<Lookup>,
}

/// Where the value that decides a [`RequiredWhen`] is found: the answer of `operation`
/// lists records (in its array member `list`); the one whose `field` member equals the
/// request's `field` has `member`, which is compared with `equals`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The operation to call (`list_problem_types`).
    pub operation: String,
    /// The array member of its answer that lists the records (found by the model).
    pub list: String,
    /// The member of a record that decides (`case_type`).
    pub member: String,
}

impl fmt::Display for RequiredWhen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lookup {
            None => write!(f, "{} is {}", self.field, self.equals),
            Some(l) => write!(
                f,
                "the {} of the {} (in {}) is {}",
                l.member, self.field, l.operation, self.equals
            ),
        }
    }
}

/// The documented values of an open set (`x-values` on a component schema): the spec
/// names and labels each, and a value it does not list still reads (the generated Rust
/// enum has an `Unknown` variant for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueSet {
    /// The component schema (and the name of the Rust type).
    pub schema: String,
    /// [`Kind::String`] or [`Kind::Integer`].
    pub kind: Kind,
    /// The schema's description.
    pub description: String,
    /// The values, in the spec's order.
    pub values: Vec<NamedValue>,
}

/// One value of a [`ValueSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedValue {
    /// The value on the wire, as text.
    pub value: String,
    /// The Rust name of the variant (`PascalCase`).
    pub name: String,
    /// The label for display (`waiting for the customer's feedback`).
    pub label: String,
}

/// The constraints of a field. For an array, `min_length`/`max_length` and
/// `minimum`/`maximum` are those of its items' schema, in [`Field::items`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Constraints {
    /// Minimum length in characters.
    pub min_length: Option<u64>,
    /// Maximum length in characters.
    pub max_length: Option<u64>,
    /// Minimum number of items.
    pub min_items: Option<u64>,
    /// Maximum number of items.
    pub max_items: Option<u64>,
    /// Smallest allowed number.
    pub minimum: Option<i64>,
    /// Largest allowed number.
    pub maximum: Option<i64>,
    /// The value the service assumes when the field is absent, as text.
    pub default: Option<String>,
    /// Allowed values (`enum`), as text. One value means the field is fixed.
    pub allowed: Vec<String>,
    /// `pattern`, if any.
    pub pattern: Option<String>,
    /// When the field becomes mandatory although optional in general.
    pub required_when: Option<RequiredWhen>,
}

impl Constraints {
    /// The only value the field may take (a one-value `enum`).
    pub fn fixed(&self) -> Option<&str> {
        match self.allowed.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// One parameter, body member or response member of an operation.
#[derive(Debug, Clone)]
pub struct Field {
    /// The name on the wire.
    pub name: String,
    /// Where it travels.
    pub location: Location,
    /// Mandatory.
    pub required: bool,
    /// May be JSON `null` (`nullable: true`).
    pub nullable: bool,
    /// The JSON type.
    pub kind: Kind,
    /// `format`, if any (`int32`, `int64`, `binary`...).
    pub format: Option<String>,
    /// The description (of the parameter, else of the schema), whitespace collapsed.
    pub description: String,
    /// Lengths, counts, bounds, default, allowed values.
    pub constraints: Constraints,
    /// `x-upstream-deviation`: why the spec departs from the vendor's page here.
    pub deviation: Option<String>,
    /// The name of the component schema, when the field's schema is a reference.
    pub schema_name: Option<String>,
    /// For an array: its items.
    pub items: Option<Box<Field>>,
    /// For an object: its properties, in the spec's order.
    pub properties: Vec<Field>,
    /// For an object: whether members other than `properties` are allowed.
    pub additional_properties: bool,
    /// For a query array: sent as repeated keys (`explode`, the default).
    pub explode: bool,
    /// YAML path of the mapping that holds the field's schema.
    pub schema_path: Vec<String>,
    /// YAML path of the parameter object, for a parameter.
    pub param_path: Option<Vec<String>>,
    /// `x-personal-data: true` (on the parameter or the property): the value is personal
    /// data, which `Debug` output must not show.
    pub personal: bool,
    /// The documented values of an open set (`x-values` on the field's component
    /// schema), with their names and labels; empty otherwise.
    pub values: Vec<NamedValue>,
}

impl Field {
    /// The type in the vendor's wording: `String`, `Integer`, `Long`, `Boolean`,
    /// `Array of strings`, `Map<String,Object>`, `Foo object`, `Array of Foo objects`.
    pub fn vendor_type(&self) -> String {
        match self.kind {
            Kind::String => "String".into(),
            Kind::Integer if self.format.as_deref() == Some("int64") => "Long".into(),
            Kind::Integer => "Integer".into(),
            Kind::Number => match self.format.as_deref() {
                Some("float") => "Float".into(),
                Some("double") => "Double".into(),
                _ => "Number".into(),
            },
            Kind::Boolean => "Boolean".into(),
            Kind::Any => match &self.schema_name {
                Some(n) => n.clone(),
                None => "Object".into(),
            },
            Kind::Array => {
                let item = self
                    .items
                    .as_ref()
                    .map(|i| i.vendor_type())
                    .unwrap_or_else(|| "Object".into());
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
            Kind::Object => {
                if self.additional_properties && self.properties.is_empty() {
                    "Map<String,Object>".into()
                } else {
                    match &self.schema_name {
                        Some(n) => format!("{n} object"),
                        None => "Object".into(),
                    }
                }
            }
        }
    }

    /// The property `name` of an object field.
    pub fn property(&self, name: &str) -> Option<&Field> {
        self.properties.iter().find(|f| f.name == name)
    }

    /// The field's constraints as the vendor's reference pages state them: for an array,
    /// the lengths are those of its items (a page puts both on the array's row); a
    /// one-value `enum` is a fixed value, not also a default; allowed values only when
    /// there are several.
    pub fn vendor_facts(&self) -> VendorFacts {
        let m = &self.constraints;
        let (min_length, max_length) = match &self.items {
            Some(items) => (items.constraints.min_length, items.constraints.max_length),
            None => (m.min_length, m.max_length),
        };
        let fixed = m.fixed().map(str::to_string);
        let default = m.default.clone().filter(|d| Some(d) != fixed.as_ref());
        VendorFacts {
            min_length,
            max_length,
            min_items: m.min_items,
            max_items: m.max_items,
            default,
            fixed,
            required_when: m.required_when.clone(),
            allowed: if m.allowed.len() > 1 {
                m.allowed.clone()
            } else {
                Vec::new()
            },
            pattern: m.pattern.clone(),
            minimum: m.minimum,
            maximum: m.maximum,
        }
    }

    /// For an array of objects: the members of its items (none otherwise).
    pub fn item_properties(&self) -> &[Field] {
        self.items.as_ref().map_or(&[], |i| i.properties.as_slice())
    }

    /// For an array: the component schema name of its items, if they are one.
    pub fn item_schema(&self) -> Option<&str> {
        self.items.as_ref().and_then(|i| i.schema_name.as_deref())
    }

    /// For an array: the YAML path of its `items` schema.
    pub fn items_path(&self) -> Option<&[String]> {
        self.items.as_ref().map(|i| i.schema_path.as_slice())
    }
}

/// A field's constraints in the vendor's terms ([`Field::vendor_facts`]): what its
/// reference pages state and the docs and the drift check show and compare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorFacts {
    /// Minimum length (of each item, for an array).
    pub min_length: Option<u64>,
    /// Maximum length (of each item, for an array).
    pub max_length: Option<u64>,
    /// Minimum number of items.
    pub min_items: Option<u64>,
    /// Maximum number of items.
    pub max_items: Option<u64>,
    /// The value assumed when absent (never the fixed value).
    pub default: Option<String>,
    /// The only value allowed.
    pub fixed: Option<String>,
    /// When it becomes mandatory.
    pub required_when: Option<RequiredWhen>,
    /// The allowed values, when there are several.
    pub allowed: Vec<String>,
    /// The pattern.
    pub pattern: Option<String>,
    /// The smallest value.
    pub minimum: Option<i64>,
    /// The largest value.
    pub maximum: Option<i64>,
}

/// A request or response body.
#[derive(Debug, Clone)]
pub struct Body {
    /// The media type (`application/json`, `multipart/form-data`).
    pub content_type: String,
    /// Name of the schema in `components.schemas`.
    pub schema_name: Option<String>,
    /// YAML path of the object schema.
    pub schema_path: Vec<String>,
    /// The schema's description.
    pub description: Option<String>,
    /// Whether the body itself is mandatory.
    pub required: bool,
    /// The object's properties (the parts, for multipart), in the spec's order.
    pub fields: Vec<Field>,
}

impl Body {
    /// The field `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }
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
    /// What the answer carries, from its media type.
    pub kind: AnswerKind,
    /// Names of the response headers it declares.
    pub headers: Vec<String>,
    /// The links from this answer to other operations: those written under `links`,
    /// checked against the operations, then those derived from
    /// `x-link-path-parameters` ([`links`]).
    pub links: Vec<Link>,
    /// `x-link-path-parameters`: (path parameter's name, runtime expression).
    pub link_path_parameters: Vec<(String, String)>,
}

/// What an answer carries, declared by its media type in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerKind {
    /// `application/json`: a JSON document read into the generated type.
    Json,
    /// No content: nothing to read.
    Empty,
    /// Any other media type with a `type: string, format: binary` schema (a file): the
    /// bytes as they come, streamed to the caller.
    Bytes {
        /// The media type the spec declares (`application/octet-stream`, `image/*`, ...).
        media_type: String,
    },
}

impl AnswerKind {
    /// `json`, `empty` or `bytes`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AnswerKind::Json => "json",
            AnswerKind::Empty => "empty",
            AnswerKind::Bytes { .. } => "bytes",
        }
    }
}

/// A documented error code (`x-error-codes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCode {
    /// The HTTP status the code comes with, as text.
    pub status: String,
    /// The code, such as `OSM.0001`.
    pub code: String,
    /// What it means.
    pub description: String,
}

/// A site of the vendor's documentation, as a key of `x-vendor-pages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocSite {
    /// The International site in English (`support.huaweicloud.com/intl/en-us/…`), key
    /// `intl`.
    Intl,
    /// The Europe site (`support.huaweicloud.com/eu/…`), key `eu`.
    Eu,
    /// The China site, in Chinese (`support.huaweicloud.com/api-ticket/…`), key `cn`.
    China,
}

impl DocSite {
    /// Every site, in the order `x-vendor-pages` lists them.
    pub const ALL: [DocSite; 3] = [DocSite::Intl, DocSite::Eu, DocSite::China];

    /// The key in `x-vendor-pages`: `intl`, `eu` or `cn`.
    pub fn key(self) -> &'static str {
        match self {
            DocSite::Intl => "intl",
            DocSite::Eu => "eu",
            DocSite::China => "cn",
        }
    }

    /// The site for a key of `x-vendor-pages`.
    pub fn from_key(key: &str) -> Option<DocSite> {
        DocSite::ALL.into_iter().find(|s| s.key() == key)
    }
}

impl fmt::Display for DocSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The vendor's reference page of an operation on one site (`x-vendor-pages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorPage {
    /// The site.
    pub site: DocSite,
    /// The page's address: an `https://` URL.
    pub url: String,
}

impl VendorPage {
    /// The URL's path (with any query), without scheme and host: what stays when the
    /// host is replaced (`/intl/en-us/api-ticket/CreateCases.html`).
    pub fn path(&self) -> &str {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        rest.find('/').map_or("/", |i| &rest[i..])
    }
}

/// The longest URL `x-vendor-pages` accepts.
const MAX_PAGE_URL: usize = 2048;

/// Reads `x-vendor-pages`: a mapping of site key to an `https://` URL.
fn vendor_pages(ext: &indexmap::IndexMap<String, Value>, id: &str) -> Result<Vec<VendorPage>> {
    let Some(v) = ext.get("x-vendor-pages") else {
        return Ok(Vec::new());
    };
    let Some(map) = v.as_object() else {
        return err(format!(
            "{id}: x-vendor-pages must map a site ({}) to a URL",
            DocSite::ALL.map(DocSite::key).join(", ")
        ));
    };
    let mut pages = Vec::new();
    for (key, url) in map {
        let site = DocSite::from_key(key).ok_or_else(|| {
            SpecError(format!(
                "{id}: x-vendor-pages: unknown site `{key}` (known: {})",
                DocSite::ALL.map(DocSite::key).join(", ")
            ))
        })?;
        let url = url
            .as_str()
            .filter(|u| {
                u.starts_with("https://")
                    && u.len() <= MAX_PAGE_URL
                    && u["https://".len()..].contains('/')
                    && !u.chars().any(|c| c.is_whitespace() || c.is_control())
            })
            .ok_or_else(|| {
                SpecError(format!(
                    "{id}: x-vendor-pages: the page of `{key}` must be an https:// URL with a \
                     path, without spaces"
                ))
            })?;
        pages.push(VendorPage {
            site,
            url: url.to_string(),
        });
    }
    pages.sort_by_key(|p| p.site);
    Ok(pages)
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `operationId`, snake_case.
    pub id: String,
    /// The method.
    pub method: Method,
    /// The path template, such as `/v2/servicerequest/cases/{case_id}`.
    pub path: String,
    /// `summary`.
    pub summary: String,
    /// `description`, whitespace collapsed.
    pub description: String,
    /// The first tag: the family of operations it belongs to.
    pub family: String,
    /// Whether sending it twice has the effect of sending it once.
    pub idempotent: bool,
    /// Whether an HTTP 200 may carry `error_code` instead of a result.
    pub business_errors: bool,
    /// Whether the client call is written by hand (progenitor leaves it out).
    pub hand_written: bool,
    /// Path, query and header parameters, in the order the operation lists them.
    pub params: Vec<Field>,
    /// The request body.
    pub body: Option<Body>,
    /// Every response, in the spec's order.
    pub responses: Vec<Response>,
    /// Error codes documented for this operation.
    pub error_codes: Vec<ErrorCode>,
    /// `x-default-answer`: the success body to assume until the service is asked, as
    /// the vendor documents its values (a JSON object).
    pub default_answer: Option<Value>,
    /// `x-vendor-pages`: the vendor's reference page of the operation on each site that
    /// has one, in the order of [`DocSite::ALL`] (empty: no page recorded).
    pub vendor_pages: Vec<VendorPage>,
    /// The verb of its `osm` command under its family's noun (`x-cli`; without it, the
    /// operation id in kebab case).
    pub cli_verb: String,
}

impl Operation {
    /// The parameters at `location`.
    pub fn params_in(&self, location: Location) -> impl Iterator<Item = &Field> {
        self.params.iter().filter(move |p| p.location == location)
    }

    /// The parameter `name` at `location` (header names compared case-insensitively).
    pub fn param(&self, location: Location, name: &str) -> Option<&Field> {
        self.params_in(location).find(|p| {
            if location == Location::Header {
                p.name.eq_ignore_ascii_case(name)
            } else {
                p.name == name
            }
        })
    }

    /// The success response (the first 2xx).
    pub fn success(&self) -> Option<&Response> {
        self.responses.iter().find(|r| r.status.starts_with('2'))
    }

    /// What the success answer carries ([`AnswerKind::Empty`] without one).
    pub fn answer(&self) -> AnswerKind {
        self.success().map_or(AnswerKind::Empty, |r| r.kind.clone())
    }

    /// `METHOD /path`.
    pub fn signature(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// A server of the spec (a site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// The base URL.
    pub url: String,
    /// Its description.
    pub description: String,
}

/// The whole spec, read.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's text, as read (for line-level editing).
    pub text: String,
    /// The document as openapiv3 parsed it.
    pub openapi: OpenAPI,
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// The servers.
    pub servers: Vec<Server>,
    /// Every operation, in the order of `paths` then methods.
    pub operations: Vec<Operation>,
    /// Header parameters of `components.parameters` that no operation references (the
    /// token, which the auth layer sends).
    pub auth_headers: Vec<Field>,
    /// The service's error codes listed on component schemas (`x-error-codes`).
    pub error_codes: Vec<ErrorCode>,
    /// Component schemas replaced by Rust types: (schema name, type path). Those with
    /// `x-rust-type` name a hand-written type; those with `x-values` the generated
    /// `crate::values::<schema>`.
    pub rust_types: Vec<(String, String)>,
    /// Every tag an operation uses, with its `osm` noun and description: the top-level
    /// `tags` entry, or the tag's own name and a plain description when it has none.
    pub tags: Vec<Tag>,
    /// The open value sets (`x-values`), in the order of `components.schemas`.
    pub value_sets: Vec<ValueSet>,
}

/// A family of operations (an OpenAPI tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag's name, as operations list it (the library's module under `ops`).
    pub name: String,
    /// The `osm` command the family's operations are under (`x-cli` on the tag; the
    /// tag's name without it).
    pub noun: String,
    /// What the family is for.
    pub description: String,
}

/// Whether `word` can be an `osm` command: lower case letters, digits and `-`, starting
/// with a letter, at most 40 characters.
fn command_word(word: &str) -> bool {
    word.len() <= 40
        && word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

impl Spec {
    /// Reads and models the spec at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Spec> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError(format!("cannot read {}: {e}", path.display())))?;
        Spec::from_text(path, text)
    }

    /// Models spec text read elsewhere; `path` is used in messages only.
    pub fn from_text(path: impl AsRef<Path>, text: String) -> Result<Spec> {
        let path = path.as_ref().to_path_buf();
        // What the OpenAPI reader would pass over in silence, first.
        let raw: serde_yaml::Value = serde_yaml::from_str(&text)
            .map_err(|e| SpecError(format!("{} is not YAML: {e}", path.display())))?;
        let problems = lint::lint(&raw);
        if !problems.is_empty() {
            return err(problems.join("\n"));
        }
        let openapi: OpenAPI = serde_yaml::from_str(&text).map_err(|e| {
            SpecError(format!(
                "{} is not an OpenAPI 3.0 document: {e}",
                path.display()
            ))
        })?;
        let mut spec = Spec {
            path,
            text,
            title: collapse(&openapi.info.title),
            version: openapi.info.version.clone(),
            servers: openapi
                .servers
                .iter()
                .map(|s| Server {
                    url: s.url.clone(),
                    description: s.description.clone().unwrap_or_default(),
                })
                .collect(),
            openapi,
            operations: Vec::new(),
            auth_headers: Vec::new(),
            error_codes: Vec::new(),
            rust_types: Vec::new(),
            tags: Vec::new(),
            value_sets: Vec::new(),
        };
        let reader = Reader { doc: &spec.openapi };
        spec.operations = reader.operations()?;
        spec.auth_headers = reader.auth_headers(&spec.operations)?;
        spec.error_codes = reader.schema_error_codes()?;
        spec.value_sets = reader.value_sets()?;
        spec.rust_types = reader.rust_types();
        for set in &spec.value_sets {
            if spec.rust_types.iter().any(|(n, _)| *n == set.schema) {
                return err(format!(
                    "{}: x-values and x-rust-type exclude each other (x-values generates the type)",
                    set.schema
                ));
            }
            spec.rust_types
                .push((set.schema.clone(), format!("crate::values::{}", set.schema)));
        }
        resolve_lookups(&mut spec.operations)?;
        links::resolve(&mut spec.operations)?;
        let mut seen = std::collections::HashSet::new();
        for op in &spec.operations {
            if !seen.insert(op.id.as_str()) {
                return err(format!("operationId {} is used twice", op.id));
            }
        }
        spec.tags = tags(&spec.openapi, &spec.operations)?;
        let mut commands = std::collections::HashMap::new();
        for op in &spec.operations {
            let noun = spec
                .tag(&op.family)
                .map_or(op.family.as_str(), |t| t.noun.as_str());
            if let Some(other) = commands.insert((noun.to_owned(), op.cli_verb.clone()), &op.id) {
                return err(format!(
                    "{}: x-cli: `osm {noun} {}` is also {other}'s command",
                    op.id, op.cli_verb
                ));
            }
        }
        Ok(spec)
    }

    /// The headers of `op` as its reference page lists them: those the auth layer sends
    /// (the token, in `components.parameters` and referenced by no operation), then its
    /// own.
    pub fn headers_of<'s>(&'s self, op: &'s Operation) -> Vec<&'s Field> {
        self.auth_headers
            .iter()
            .chain(op.params_in(Location::Header))
            .collect()
    }

    /// The tag named `name`.
    pub fn tag(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// The operation with this `operationId`.
    pub fn operation(&self, id: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }

    /// The operation for `method` and `path` (method compared case-insensitively).
    pub fn find(&self, method: &str, path: &str) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.method.as_str().eq_ignore_ascii_case(method) && o.path == path)
    }

    /// Every link of the spec, written and derived: (the operation it starts from, the
    /// response's status, the link).
    pub fn links(&self) -> impl Iterator<Item = (&Operation, &str, &Link)> {
        self.operations.iter().flat_map(|o| {
            o.responses
                .iter()
                .flat_map(move |r| r.links.iter().map(move |l| (o, r.status.as_str(), l)))
        })
    }

    /// The document to give progenitor: without the operations marked `x-hand-written`,
    /// and without links (the client follows none; they are for tools that walk the API).
    pub fn progenitor_input(&self) -> OpenAPI {
        let mut doc = self.openapi.clone();
        for item in doc.paths.paths.values_mut() {
            let ReferenceOr::Item(item) = item else {
                continue;
            };
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ] {
                if op
                    .as_ref()
                    .is_some_and(|o| ext_bool(&o.extensions, "x-hand-written") == Some(true))
                {
                    *op = None;
                }
                for r in op
                    .iter_mut()
                    .flat_map(|o| o.responses.responses.values_mut())
                {
                    if let ReferenceOr::Item(r) = r {
                        r.links.clear();
                        r.extensions.shift_remove(links::LINK_PATH_PARAMETERS);
                    }
                }
            }
        }
        // Answers are read tolerantly: the limits the vendor documents for response
        // fields are documentation (drift and the docs read them from the model), not
        // reasons to refuse an answer, so schemas that only answers use lose them.
        let request_schemas = self.request_schemas();
        if let Some(c) = doc.components.as_mut() {
            for (name, s) in c.schemas.iter_mut() {
                if !request_schemas.contains(name)
                    && let ReferenceOr::Item(s) = s
                {
                    loosen(s);
                }
            }
        }
        // Our `x-rust-type` is a plain type path, handed to progenitor as a replacement;
        // typify reads an extension of that name in another shape, so it must not see it.
        if let Some(c) = doc.components.as_mut() {
            for s in c.schemas.values_mut() {
                if let ReferenceOr::Item(s) = s {
                    s.schema_data.extensions.shift_remove("x-rust-type");
                    s.schema_data.extensions.shift_remove("x-values");
                }
            }
        }
        doc
    }
}

impl Spec {
    /// Names of the component schemas a request body refers to, directly or through
    /// other schemas.
    pub fn request_schemas(&self) -> std::collections::BTreeSet<String> {
        let mut todo: Vec<String> = self
            .operations
            .iter()
            .filter_map(|o| o.body.as_ref()?.schema_name.clone())
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        let schemas = self.openapi.components.as_ref().map(|c| &c.schemas);
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(ReferenceOr::Item(s)) = schemas.and_then(|m| m.get(&name)) {
                refs_of(s, &mut todo);
            }
        }
        seen
    }
}

fn push_ref<T>(r: &ReferenceOr<T>, out: &mut Vec<String>) -> bool {
    if let ReferenceOr::Reference { reference } = r {
        out.push(ref_name(reference));
        return true;
    }
    false
}

fn refs_of(s: &Schema, out: &mut Vec<String>) {
    match &s.schema_kind {
        SchemaKind::Type(Type::Object(o)) => {
            for p in o.properties.values() {
                if !push_ref(p, out)
                    && let ReferenceOr::Item(p) = p
                {
                    refs_of(p, out);
                }
            }
        }
        SchemaKind::Type(Type::Array(a)) => {
            if let Some(i) = &a.items
                && !push_ref(i, out)
                && let ReferenceOr::Item(i) = i
            {
                refs_of(i, out);
            }
        }
        SchemaKind::OneOf { one_of: list }
        | SchemaKind::AnyOf { any_of: list }
        | SchemaKind::AllOf { all_of: list } => {
            for i in list {
                if !push_ref(i, out)
                    && let ReferenceOr::Item(i) = i
                {
                    refs_of(i, out);
                }
            }
        }
        _ => {}
    }
}

/// Drops the limits of a schema (and of its inline sub-schemas) that an answer would
/// be refused for: lengths, counts, bounds, patterns, enums, required members.
fn loosen(s: &mut Schema) {
    match &mut s.schema_kind {
        SchemaKind::Type(Type::String(t)) => {
            t.min_length = None;
            t.max_length = None;
            t.pattern = None;
            t.enumeration.clear();
        }
        SchemaKind::Type(Type::Integer(t)) => {
            t.minimum = None;
            t.maximum = None;
            t.enumeration.clear();
        }
        SchemaKind::Type(Type::Number(t)) => {
            t.minimum = None;
            t.maximum = None;
            t.enumeration.clear();
        }
        SchemaKind::Type(Type::Array(a)) => {
            a.min_items = None;
            a.max_items = None;
            if let Some(ReferenceOr::Item(i)) = &mut a.items {
                loosen(i);
            }
        }
        SchemaKind::Type(Type::Object(o)) => {
            o.required.clear();
            for p in o.properties.values_mut() {
                if let ReferenceOr::Item(p) = p {
                    loosen(p);
                }
            }
        }
        _ => {}
    }
}

struct Reader<'a> {
    doc: &'a OpenAPI,
}

fn ext_bool(ext: &indexmap::IndexMap<String, Value>, key: &str) -> Option<bool> {
    ext.get(key).and_then(Value::as_bool)
}

fn ext_text(ext: &indexmap::IndexMap<String, Value>, key: &str) -> Option<String> {
    ext.get(key).and_then(Value::as_str).map(collapse)
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

fn pointer(r: &str) -> Result<Vec<String>> {
    let Some(p) = r.strip_prefix("#/") else {
        return err(format!("only local references are supported, not {r}"));
    };
    Ok(p.split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn error_codes(ext: &indexmap::IndexMap<String, Value>, owner: &str) -> Result<Vec<ErrorCode>> {
    let Some(list) = ext.get("x-error-codes") else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return err(format!("{owner}: x-error-codes is not a list"));
    };
    list.iter()
        .map(|e| {
            let get = |k: &str| {
                e.get(k)
                    .and_then(scalar_text)
                    .map(|s| collapse(&s))
                    .ok_or_else(|| {
                        SpecError(format!("{owner}: an entry of x-error-codes has no `{k}`"))
                    })
            };
            Ok(ErrorCode {
                status: get("status")?,
                code: get("code")?,
                description: get("description")?,
            })
        })
        .collect()
}

impl<'a> Reader<'a> {
    fn components(&self) -> Option<&'a openapiv3::Components> {
        self.doc.components.as_ref()
    }

    fn operations(&self) -> Result<Vec<Operation>> {
        let mut out = Vec::new();
        for (path, item) in &self.doc.paths.paths {
            let ReferenceOr::Item(item) = item else {
                return err(format!("paths.{path} is a reference; write it out"));
            };
            for method in METHODS {
                let op = match method {
                    "get" => &item.get,
                    "post" => &item.post,
                    "put" => &item.put,
                    "delete" => &item.delete,
                    _ => &item.patch,
                };
                let Some(op) = op else { continue };
                out.push(
                    self.operation(path, method, op)
                        .context(|| format!("{} {path}", method.to_uppercase()))?,
                );
            }
        }
        Ok(out)
    }

    fn operation(&self, path: &str, method: &str, op: &openapiv3::Operation) -> Result<Operation> {
        let id = op
            .operation_id
            .clone()
            .ok_or_else(|| SpecError("the operation has no operationId".into()))?;
        let m = Method::parse(method).ok_or_else(|| SpecError(format!("method {method}")))?;
        let base = vec!["paths".to_string(), path.to_string(), method.to_string()];
        let mut params = Vec::new();
        for (i, p) in op.parameters.iter().enumerate() {
            let mut at = base.clone();
            at.extend(["parameters".to_string(), i.to_string()]);
            params.push(self.parameter(p, at)?);
        }
        for p in params.iter().filter(|p| p.location == Location::Path) {
            if !path.contains(&format!("{{{}}}", p.name)) {
                return err(format!("path parameter {} is not in the path", p.name));
            }
        }
        let body = match &op.request_body {
            None => None,
            Some(rb) => {
                let (rb, _) = self.request_body(rb)?;
                let (ct, media) = rb
                    .content
                    .iter()
                    .next()
                    .ok_or_else(|| SpecError("the request body has no content".into()))?;
                let schema = media
                    .schema
                    .as_ref()
                    .ok_or_else(|| SpecError("the request body has no schema".into()))?;
                let mut b = self
                    .body(schema, Location::Body)
                    .context(|| "request body".into())?;
                b.content_type = ct.clone();
                b.required = rb.required;
                Some(b)
            }
        };
        let mut responses = Vec::new();
        for (status, resp) in &op.responses.responses {
            let status = match status {
                StatusCode::Code(c) => c.to_string(),
                StatusCode::Range(r) => format!("{r}XX"),
            };
            let (resp, ref_name) = match resp {
                ReferenceOr::Item(r) => (r, None),
                ReferenceOr::Reference { reference } => {
                    let name = ref_name(reference);
                    let r = self
                        .components()
                        .and_then(|c| c.responses.get(&name))
                        .and_then(|r| r.as_item())
                        .ok_or_else(|| SpecError(format!("{reference} leads nowhere")))?;
                    (r, Some(name))
                }
            };
            if resp.content.len() > 1 {
                return err(format!(
                    "{id}: response {status} declares {} media types; an answer has one",
                    resp.content.len()
                ));
            }
            let (kind, body) = match resp.content.iter().next() {
                None => (AnswerKind::Empty, None),
                Some((ct, media)) if ct == "application/json" => {
                    let schema = media.schema.as_ref().ok_or_else(|| {
                        SpecError(format!(
                            "{id}: response {status}: application/json without a schema"
                        ))
                    })?;
                    let body = self
                        .body(schema, Location::Response)
                        .context(|| format!("{id}: response {status}"))?;
                    (AnswerKind::Json, Some(body))
                }
                Some((ct, media)) => {
                    let binary = match media.schema.as_ref() {
                        Some(ReferenceOr::Item(s)) => matches!(
                            &s.schema_kind,
                            SchemaKind::Type(Type::String(t))
                                if matches!(
                                    &t.format,
                                    openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary)
                                ) || t.format == openapiv3::VariantOrUnknownOrEmpty::Unknown("binary".into())
                        ),
                        _ => false,
                    };
                    if !binary {
                        return err(format!(
                            "{id}: response {status}: {ct} needs the schema `type: string, format: binary` \
                             (a file); only application/json is read as a document"
                        ));
                    }
                    (
                        AnswerKind::Bytes {
                            media_type: ct.clone(),
                        },
                        None,
                    )
                }
            };
            let at = format!("{id}: response {status}");
            let links = resp
                .links
                .iter()
                .map(|(name, link)| links::read(name, link, &at))
                .collect::<Result<Vec<_>>>()?;
            let link_path_parameters = links::read_path_parameters(&resp.extensions, &at)?;
            responses.push(Response {
                status,
                description: collapse(&resp.description),
                ref_name,
                body,
                kind,
                headers: resp.headers.keys().cloned().collect(),
                links,
                link_path_parameters,
            });
        }
        let hand_written = ext_bool(&op.extensions, "x-hand-written").unwrap_or(false);
        let default_answer = match op.extensions.get("x-default-answer") {
            Some(v @ Value::Object(_)) => Some(v.clone()),
            Some(_) => return err(format!("{id}: x-default-answer must be an object")),
            None => None,
        };
        Ok(Operation {
            method: m,
            path: path.to_string(),
            summary: op.summary.as_deref().map(collapse).unwrap_or_default(),
            description: op.description.as_deref().map(collapse).unwrap_or_default(),
            family: op.tags.first().cloned().unwrap_or_else(|| "default".into()),
            idempotent: ext_bool(&op.extensions, "x-idempotent").unwrap_or(m.is_idempotent()),
            business_errors: ext_bool(&op.extensions, "x-business-errors").unwrap_or(false),
            hand_written,
            params,
            body,
            responses,
            error_codes: error_codes(&op.extensions, &id)?,
            default_answer,
            vendor_pages: vendor_pages(&op.extensions, &id)?,
            cli_verb: match op.extensions.get("x-cli") {
                None => id.replace('_', "-"),
                Some(Value::String(v)) if command_word(v) => v.clone(),
                Some(v) => {
                    return err(format!(
                        "{id}: x-cli must be a command word (lower case letters, digits, -), not {v}"
                    ));
                }
            },
            id,
        })
    }

    fn request_body(
        &self,
        rb: &'a ReferenceOr<openapiv3::RequestBody>,
    ) -> Result<(&'a openapiv3::RequestBody, Option<String>)> {
        match rb {
            ReferenceOr::Item(b) => Ok((b, None)),
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference);
                self.components()
                    .and_then(|c| c.request_bodies.get(&name))
                    .and_then(|b| b.as_item())
                    .map(|b| (b, Some(name)))
                    .ok_or_else(|| SpecError(format!("{reference} leads nowhere")))
            }
        }
    }

    fn parameter(&self, p: &'a ReferenceOr<Parameter>, at: Vec<String>) -> Result<Field> {
        let (p, at) = match p {
            ReferenceOr::Item(p) => (p, at),
            ReferenceOr::Reference { reference } => {
                let name = ref_name(reference);
                let p = self
                    .components()
                    .and_then(|c| c.parameters.get(&name))
                    .and_then(|p| p.as_item())
                    .ok_or_else(|| SpecError(format!("{reference} leads nowhere")))?;
                (p, pointer(reference)?)
            }
        };
        let (location, data, explode) = match p {
            Parameter::Query { parameter_data, .. } => (
                Location::Query,
                parameter_data,
                parameter_data.explode.unwrap_or(true),
            ),
            Parameter::Header { parameter_data, .. } => (Location::Header, parameter_data, false),
            Parameter::Path { parameter_data, .. } => (Location::Path, parameter_data, false),
            Parameter::Cookie { parameter_data, .. } => {
                return err(format!(
                    "cookie parameter {} is not supported",
                    parameter_data.name
                ));
            }
        };
        let ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return err(format!(
                "parameter {} has content instead of a schema",
                data.name
            ));
        };
        let mut schema_path = at.clone();
        schema_path.push("schema".into());
        let mut field = self
            .field(&data.name, location, schema, schema_path, data.required)
            .context(|| format!("parameter {}", data.name))?;
        if let Some(d) = &data.description {
            field.description = collapse(d);
        }
        if let Some(d) = ext_text(&data.extensions, "x-upstream-deviation") {
            field.deviation = Some(d);
        }
        if ext_bool(&data.extensions, "x-personal-data") == Some(true) {
            field.personal = true;
        }
        field.explode = explode;
        field.param_path = Some(at);
        Ok(field)
    }

    fn schema(&self, s: &'a ReferenceOr<Schema>, at: Vec<String>) -> Result<Resolved<'a>> {
        match s {
            ReferenceOr::Item(s) => Ok(Resolved {
                schema: s,
                path: at,
                name: None,
            }),
            ReferenceOr::Reference { reference } => self.named(reference),
        }
    }

    fn boxed(&self, s: &'a ReferenceOr<Box<Schema>>, at: Vec<String>) -> Result<Resolved<'a>> {
        match s {
            ReferenceOr::Item(s) => Ok(Resolved {
                schema: s,
                path: at,
                name: None,
            }),
            ReferenceOr::Reference { reference } => self.named(reference),
        }
    }

    fn named(&self, reference: &str) -> Result<Resolved<'a>> {
        let name = ref_name(reference);
        let schema = self
            .components()
            .and_then(|c| c.schemas.get(&name))
            .ok_or_else(|| SpecError(format!("{reference} leads nowhere")))?;
        match schema {
            ReferenceOr::Item(s) => Ok(Resolved {
                schema: s,
                path: pointer(reference)?,
                name: Some(name),
            }),
            ReferenceOr::Reference { reference: next } => {
                let mut r = self.named(next)?;
                r.name = Some(name);
                Ok(r)
            }
        }
    }

    fn body(&self, schema: &'a ReferenceOr<Schema>, location: Location) -> Result<Body> {
        let r = self.schema(schema, Vec::new())?;
        if r.name.is_none() {
            return err("inline body schemas are not supported; name it in components.schemas");
        }
        let field = self.resolved_field("body", location, r, true, 0)?;
        Ok(Body {
            content_type: "application/json".into(),
            schema_name: field.schema_name.clone(),
            schema_path: field.schema_path.clone(),
            description: Some(field.description.clone()).filter(|d| !d.is_empty()),
            required: true,
            fields: field.properties,
        })
    }

    fn field(
        &self,
        name: &str,
        location: Location,
        schema: &'a ReferenceOr<Schema>,
        at: Vec<String>,
        required: bool,
    ) -> Result<Field> {
        let r = self.schema(schema, at)?;
        self.resolved_field(name, location, r, required, 0)
    }

    fn resolved_field(
        &self,
        name: &str,
        location: Location,
        r: Resolved<'a>,
        required: bool,
        depth: usize,
    ) -> Result<Field> {
        if depth > 16 {
            return err(format!("{name}: schemas nest too deep (a cycle?)"));
        }
        let s = r.schema;
        let data = &s.schema_data;
        let mut c = Constraints::default();
        let mut field = Field {
            name: name.to_string(),
            location,
            required,
            nullable: data.nullable,
            kind: Kind::Any,
            format: None,
            description: data
                .description
                .as_deref()
                .map(collapse)
                .unwrap_or_default(),
            constraints: Constraints::default(),
            deviation: ext_text(&data.extensions, "x-upstream-deviation"),
            schema_name: r.name.clone(),
            items: None,
            properties: Vec::new(),
            additional_properties: false,
            explode: false,
            schema_path: r.path.clone(),
            param_path: None,
            personal: ext_bool(&data.extensions, "x-personal-data") == Some(true),
            values: Vec::new(),
        };
        c.default = data.default.as_ref().and_then(scalar_text);
        if let Some(w) = data.extensions.get("x-required-when") {
            let f = w
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| SpecError(format!("{name}: x-required-when needs `field`")))?;
            let equals = w
                .get("equals")
                .and_then(scalar_text)
                .ok_or_else(|| SpecError(format!("{name}: x-required-when needs `equals`")))?;
            let lookup = match w.get("lookup") {
                None => None,
                Some(l) => {
                    let get = |k: &str| {
                        l.get(k)
                            .and_then(Value::as_str)
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned)
                            .ok_or_else(|| {
                                SpecError(format!(
                                    "{name}: x-required-when's lookup needs `{k}` (text)"
                                ))
                            })
                    };
                    if let Some(k) = l.as_object().and_then(|o| {
                        o.keys()
                            .find(|k| !["operation", "member"].contains(&k.as_str()))
                    }) {
                        return err(format!(
                            "{name}: x-required-when's lookup has an unknown key `{k}` (known: operation, member)"
                        ));
                    }
                    Some(Lookup {
                        operation: get("operation")?,
                        // Found by `resolve_lookups` once every operation is read.
                        list: String::new(),
                        member: get("member")?,
                    })
                }
            };
            c.required_when = Some(RequiredWhen {
                field: f.to_string(),
                equals,
                lookup,
            });
        }
        if data.extensions.contains_key("x-values") && r.name.is_none() {
            return err(format!(
                "{name}: x-values belongs on a component schema (it names a Rust type); \
                 move the schema to components.schemas and refer to it"
            ));
        }
        if let (Some(v), Some(schema)) = (data.extensions.get("x-values"), &r.name) {
            field.values = value_set(schema, v, s)?.values;
        }
        let value_set_allowed: Vec<String> = if location == Location::Response {
            Vec::new()
        } else {
            field.values.iter().map(|v| v.value.clone()).collect()
        };
        match &s.schema_kind {
            SchemaKind::Type(Type::String(t)) => {
                field.kind = Kind::String;
                c.min_length = t.min_length.map(|n| n as u64);
                c.max_length = t.max_length.map(|n| n as u64);
                c.pattern = t.pattern.clone();
                c.allowed = t.enumeration.iter().flatten().cloned().collect();
                field.format = match &t.format {
                    openapiv3::VariantOrUnknownOrEmpty::Item(f) => {
                        Some(format!("{f:?}").to_lowercase())
                    }
                    openapiv3::VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                    openapiv3::VariantOrUnknownOrEmpty::Empty => None,
                };
            }
            SchemaKind::Type(Type::Integer(t)) => {
                field.kind = Kind::Integer;
                c.minimum = t.minimum;
                c.maximum = t.maximum;
                c.allowed = t.enumeration.iter().flatten().map(i64::to_string).collect();
                field.format = match &t.format {
                    openapiv3::VariantOrUnknownOrEmpty::Item(f) => {
                        Some(format!("{f:?}").to_lowercase())
                    }
                    openapiv3::VariantOrUnknownOrEmpty::Unknown(f) => Some(f.clone()),
                    openapiv3::VariantOrUnknownOrEmpty::Empty => None,
                };
            }
            SchemaKind::Type(Type::Number(t)) => {
                field.kind = Kind::Number;
                c.minimum = t.minimum.map(|n| n as i64);
                c.maximum = t.maximum.map(|n| n as i64);
            }
            SchemaKind::Type(Type::Boolean(_)) => field.kind = Kind::Boolean,
            SchemaKind::Type(Type::Array(t)) => {
                field.kind = Kind::Array;
                c.min_items = t.min_items.map(|n| n as u64);
                c.max_items = t.max_items.map(|n| n as u64);
                if let Some(items) = &t.items {
                    let mut at = r.path.clone();
                    at.push("items".into());
                    let ir = self.boxed(items, at)?;
                    let item = self.resolved_field(name, location, ir, true, depth + 1)?;
                    field.items = Some(Box::new(item));
                }
            }
            SchemaKind::Type(Type::Object(t)) => {
                field.kind = Kind::Object;
                field.additional_properties = match &t.additional_properties {
                    None => true,
                    Some(AdditionalProperties::Any(b)) => *b,
                    Some(AdditionalProperties::Schema(_)) => true,
                };
                for (pname, prop) in &t.properties {
                    let mut at = r.path.clone();
                    at.extend(["properties".to_string(), pname.clone()]);
                    let pr = self.boxed(prop, at)?;
                    let req = t.required.contains(pname);
                    field.properties.push(
                        self.resolved_field(pname, location, pr, req, depth + 1)
                            .context(|| format!("property {pname}"))?,
                    );
                }
            }
            SchemaKind::Any(a) if !a.properties.is_empty() => {
                field.kind = Kind::Object;
                for (pname, prop) in &a.properties {
                    let mut at = r.path.clone();
                    at.extend(["properties".to_string(), pname.clone()]);
                    let pr = self.boxed(prop, at)?;
                    let req = a.required.contains(pname);
                    field.properties.push(self.resolved_field(
                        pname,
                        location,
                        pr,
                        req,
                        depth + 1,
                    )?);
                }
            }
            _ => field.kind = Kind::Any,
        }
        // A request may send only the documented values of an open set; an answer may
        // carry any.
        if !value_set_allowed.is_empty() {
            c.allowed = value_set_allowed;
        }
        field.constraints = c;
        Ok(field)
    }

    fn auth_headers(&self, ops: &[Operation]) -> Result<Vec<Field>> {
        let mut out = Vec::new();
        let Some(c) = self.components() else {
            return Ok(out);
        };
        for (key, p) in &c.parameters {
            let at = vec!["components".into(), "parameters".into(), key.clone()];
            let f = self.parameter(p, at)?;
            let used = ops.iter().any(|o| {
                o.params
                    .iter()
                    .any(|q| q.location == f.location && q.name == f.name)
            });
            if !used && f.location == Location::Header {
                out.push(f);
            }
        }
        Ok(out)
    }

    fn schema_error_codes(&self) -> Result<Vec<ErrorCode>> {
        let mut out = Vec::new();
        if let Some(c) = self.components() {
            for (name, s) in &c.schemas {
                if let ReferenceOr::Item(s) = s {
                    out.extend(error_codes(&s.schema_data.extensions, name)?);
                }
            }
        }
        Ok(out)
    }

    fn value_sets(&self) -> Result<Vec<ValueSet>> {
        let mut out = Vec::new();
        if let Some(c) = self.components() {
            for (name, s) in &c.schemas {
                if let ReferenceOr::Item(s) = s
                    && let Some(v) = s.schema_data.extensions.get("x-values")
                {
                    out.push(value_set(name, v, s)?);
                }
            }
        }
        Ok(out)
    }

    fn rust_types(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(c) = self.components() {
            for (name, s) in &c.schemas {
                if let ReferenceOr::Item(s) = s
                    && let Some(t) = s
                        .schema_data
                        .extensions
                        .get("x-rust-type")
                        .and_then(Value::as_str)
                {
                    out.push((name.clone(), t.to_string()));
                }
            }
        }
        out
    }
}

struct Resolved<'a> {
    schema: &'a Schema,
    path: Vec<String>,
    name: Option<String>,
}

/// A JSON scalar as text (strings as they are, numbers and booleans printed).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Reads the `x-values` of component schema `schema`: a non-empty list of
/// `{value, name, label}`, values of the schema's type (string or integer, without an
/// `enum`: the set is open), names `PascalCase` identifiers other than `Unknown`, labels
/// one line of text; no value or name twice.
fn value_set(schema: &str, v: &Value, s: &Schema) -> Result<ValueSet> {
    let at = |m: String| SpecError(format!("{schema}: x-values: {m}"));
    let kind = match &s.schema_kind {
        SchemaKind::Type(Type::String(t)) if t.enumeration.is_empty() => Kind::String,
        SchemaKind::Type(Type::Integer(t)) if t.enumeration.is_empty() => Kind::Integer,
        SchemaKind::Type(Type::String(_) | Type::Integer(_)) => {
            return Err(at(
                "the schema has an `enum` too; an open set lists its values in x-values only"
                    .into(),
            ));
        }
        _ => {
            return Err(at(
                "only a string or integer schema can have x-values".into()
            ));
        }
    };
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| at("must be a non-empty list of {value, name, label}".into()))?;
    let mut values: Vec<NamedValue> = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let obj = e
            .as_object()
            .ok_or_else(|| at(format!("entry {i} is not a mapping")))?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["value", "name", "label"].contains(&k.as_str()))
        {
            return Err(at(format!(
                "entry {i} has an unknown key `{k}` (known: value, name, label)"
            )));
        }
        let value = match (kind, obj.get("value")) {
            (Kind::String, Some(Value::String(t))) => t.clone(),
            (Kind::Integer, Some(Value::Number(n))) if n.is_i64() => n.to_string(),
            _ => {
                return Err(at(format!(
                    "entry {i}: `value` must be {}",
                    if kind == Kind::String {
                        "a string"
                    } else {
                        "an integer"
                    }
                )));
            }
        };
        let text = |k: &str| {
            obj.get(k)
                .and_then(Value::as_str)
                .map(collapse)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| at(format!("entry {i}: `{k}` must be non-empty text")))
        };
        let name = text("name")?;
        if !name.starts_with(|c: char| c.is_ascii_uppercase())
            || !name.chars().all(|c| c.is_ascii_alphanumeric())
            || name == "Unknown"
        {
            return Err(at(format!(
                "entry {i}: name `{name}` must be a PascalCase identifier other than Unknown"
            )));
        }
        let label = text("label")?;
        if values.iter().any(|v| v.value == value) {
            return Err(at(format!("the value {value} is listed twice")));
        }
        if values.iter().any(|v| v.name == name) {
            return Err(at(format!("the name {name} is used twice")));
        }
        values.push(NamedValue { value, name, label });
    }
    Ok(ValueSet {
        schema: schema.to_owned(),
        kind,
        description: s
            .schema_data
            .description
            .as_deref()
            .map(collapse)
            .unwrap_or_default(),
        values,
    })
}

/// Checks every `x-required-when` look-up against the operation it names (which must
/// exist and answer with one array of records that have both the deciding field and the
/// member), and fills in [`Lookup::list`].
fn resolve_lookups(ops: &mut [Operation]) -> Result<()> {
    let answers: Vec<(String, Vec<Field>)> = ops
        .iter()
        .map(|o| {
            let fields = o
                .success()
                .and_then(|r| r.body.as_ref())
                .map(|b| b.fields.clone())
                .unwrap_or_default();
            (o.id.clone(), fields)
        })
        .collect();
    for op in ops.iter_mut() {
        let id = op.id.clone();
        for f in op.body.iter_mut().flat_map(|b| b.fields.iter_mut()) {
            let Some(w) = f.constraints.required_when.as_mut() else {
                continue;
            };
            let Some(l) = w.lookup.as_mut() else {
                continue;
            };
            let at = |m: String| SpecError(format!("{id}: {}: x-required-when: {m}", f.name));
            let (_, answer) = answers
                .iter()
                .find(|(o, _)| *o == l.operation)
                .ok_or_else(|| at(format!("no operation {} to look up", l.operation)))?;
            let lists: Vec<&Field> = answer
                .iter()
                .filter(|a| {
                    a.kind == Kind::Array
                        && a.items.as_ref().is_some_and(|i| {
                            i.properties.iter().any(|p| p.name == w.field)
                                && i.properties.iter().any(|p| p.name == l.member)
                        })
                })
                .collect();
            match lists.as_slice() {
                [one] => l.list = one.name.clone(),
                [] => {
                    return Err(at(format!(
                        "the answer of {} lists no records with both {} and {}",
                        l.operation, w.field, l.member
                    )));
                }
                _ => {
                    return Err(at(format!(
                        "the answer of {} has several lists of records with {} and {}",
                        l.operation, w.field, l.member
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Collapses runs of whitespace (including newlines) into single spaces.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `snake_case` → `PascalCase` (`list_problem_types` → `ListProblemTypes`).
pub fn pascal(s: &str) -> String {
    s.split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The tags the operations use, described by the top-level `tags` list where it has them.
fn tags(doc: &OpenAPI, operations: &[Operation]) -> Result<Vec<Tag>> {
    let mut out: Vec<Tag> = Vec::new();
    for t in &doc.tags {
        let noun = match t.extensions.get("x-cli") {
            None => t.name.clone(),
            Some(Value::String(v)) if command_word(v) => v.clone(),
            Some(v) => {
                return err(format!(
                    "tag {}: x-cli must be a command word (lower case letters, digits, -), not {v}",
                    t.name
                ));
            }
        };
        if out.iter().any(|o| o.noun == noun) {
            return err(format!("tag {}: x-cli `{noun}` names two tags", t.name));
        }
        out.push(Tag {
            name: t.name.clone(),
            noun,
            description: t.description.as_deref().map(collapse).unwrap_or_default(),
        });
    }
    for op in operations {
        if !out.iter().any(|t| t.name == op.family) {
            out.push(Tag {
                name: op.family.clone(),
                noun: op.family.replace('_', "-"),
                description: format!("The operations tagged {}", op.family),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(pages: &str) -> Result<Spec> {
        let text = format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /v2/things:\n    get:\n      \
             operationId: list_things\n{pages}      responses:\n        '200':\n          \
             description: ok\n"
        );
        Spec::from_text("test.yaml", text)
    }

    #[test]
    fn vendor_pages_are_read_in_site_order() {
        let spec = spec_with(
            "      x-vendor-pages:\n        cn: https://docs.example/api/ListThings.html\n        \
             intl: https://docs.example/intl/en-us/api/ListThings.html\n",
        )
        .unwrap();
        let pages = &spec.operations[0].vendor_pages;
        assert_eq!(
            pages.iter().map(|p| p.site).collect::<Vec<_>>(),
            [DocSite::Intl, DocSite::China]
        );
        assert_eq!(pages[0].path(), "/intl/en-us/api/ListThings.html");
        assert_eq!(pages[1].path(), "/api/ListThings.html");
        assert!(spec_with("").unwrap().operations[0].vendor_pages.is_empty());
    }

    #[test]
    fn bad_vendor_pages_are_refused_with_the_operation_named() {
        for (bad, says) in [
            ("      x-vendor-pages: [a]\n", "must map a site"),
            (
                "      x-vendor-pages:\n        mars: https://docs.example/a.html\n",
                "unknown site `mars`",
            ),
            (
                "      x-vendor-pages:\n        eu: http://docs.example/a.html\n",
                "https:// URL",
            ),
            (
                "      x-vendor-pages:\n        eu: https://docs.example\n",
                "https:// URL",
            ),
        ] {
            let e = spec_with(bad).unwrap_err().to_string();
            assert!(e.contains("list_things") && e.contains(says), "{bad}: {e}");
        }
    }

    /// A spec with a list operation answering `Things` and a create whose body has
    /// `zone_id` (with `when` as its x-required-when), plus the schema `Kind` (`kind`).
    fn spec_of(kind: &str, when: &str) -> Result<Spec> {
        let text = format!(
            "openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /v2/things:
    get:
      operationId: list_things
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Things'
    post:
      operationId: create_thing
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewThing'
      responses:
        '200':
          description: ok
components:
  schemas:
    Things:
      type: object
      properties:
        thing_list:
          type: array
          items:
            type: object
            properties:
              thing_id: {{type: string}}
              kind:
                $ref: '#/components/schemas/Kind'
    NewThing:
      type: object
      properties:
        thing_id: {{type: string}}
        zone_id:
          type: string
{when}
    Kind:
{kind}
"
        );
        Spec::from_text("test.yaml", text)
    }

    const KIND: &str = "      type: string
      x-values:
        - {value: '0', name: Plain, label: plain}
        - {value: '5', name: Fault, label: fault report}
";
    const WHEN: &str = "          x-required-when:
            field: thing_id
            lookup: {operation: list_things, member: kind}
            equals: '5'
";

    #[test]
    fn value_sets_and_look_ups_are_read() {
        let spec = spec_of(KIND, WHEN).unwrap();
        let set = &spec.value_sets[0];
        assert_eq!((set.schema.as_str(), set.kind), ("Kind", Kind::String));
        assert_eq!(
            set.values
                .iter()
                .map(|v| (v.value.as_str(), v.name.as_str(), v.label.as_str()))
                .collect::<Vec<_>>(),
            [("0", "Plain", "plain"), ("5", "Fault", "fault report")]
        );
        assert!(
            spec.rust_types
                .contains(&("Kind".to_owned(), "crate::values::Kind".to_owned()))
        );
        let create = spec.operation("create_thing").unwrap();
        let zone = create.body.as_ref().unwrap().field("zone_id").unwrap();
        let when = zone.constraints.required_when.as_ref().unwrap();
        let lookup = when.lookup.as_ref().unwrap();
        assert_eq!(
            (
                lookup.operation.as_str(),
                lookup.list.as_str(),
                lookup.member.as_str()
            ),
            ("list_things", "thing_list", "kind")
        );
        assert_eq!(
            when.to_string(),
            "the kind of the thing_id (in list_things) is 5"
        );
        // progenitor never sees the extension.
        let input = spec.progenitor_input();
        let ReferenceOr::Item(kind) = &input.components.as_ref().unwrap().schemas["Kind"] else {
            panic!("Kind is a schema")
        };
        assert!(!kind.schema_data.extensions.contains_key("x-values"));
    }

    #[test]
    fn malformed_value_sets_are_refused_naming_the_schema() {
        for (kind, says) in [
            ("      type: string\n      x-values: []\n", "non-empty list"),
            (
                "      type: string\n      x-values: {a: b}\n",
                "non-empty list",
            ),
            (
                "      type: object\n      x-values:\n        - {value: '0', name: A, label: a}\n",
                "string or integer",
            ),
            (
                "      type: string\n      enum: ['0']\n      x-values:\n        - {value: '0', name: A, label: a}\n",
                "`enum` too",
            ),
            (
                "      type: integer\n      x-values:\n        - {value: '0', name: A, label: a}\n",
                "an integer",
            ),
            (
                "      type: string\n      x-values:\n        - {value: 0, name: A, label: a}\n",
                "a string",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: a b, label: a}\n",
                "PascalCase",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: Unknown, label: a}\n",
                "other than Unknown",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: A}\n",
                "`label`",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: A, label: a, colour: red}\n",
                "unknown key `colour`",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: A, label: a}\n        - {value: '0', name: B, label: b}\n",
                "listed twice",
            ),
            (
                "      type: string\n      x-values:\n        - {value: '0', name: A, label: a}\n        - {value: '1', name: A, label: b}\n",
                "used twice",
            ),
            (
                "      type: string\n      x-rust-type: crate::X\n      x-values:\n        - {value: '0', name: A, label: a}\n",
                "exclude each other",
            ),
        ] {
            let e = spec_of(kind, "").unwrap_err().to_string();
            assert!(e.contains("Kind") && e.contains(says), "{kind}: {e}");
        }
    }

    #[test]
    fn an_inline_value_set_is_refused() {
        let when = "          x-values:\n            - {value: a, name: A, label: a}\n";
        let e = spec_of(KIND, when).unwrap_err().to_string();
        assert!(
            e.contains("zone_id") && e.contains("component schema"),
            "{e}"
        );
    }

    #[test]
    fn malformed_look_ups_are_refused() {
        for (when, says) in [
            (
                "          x-required-when:\n            field: thing_id\n            lookup: {operation: list_nothing, member: kind}\n            equals: '5'\n",
                "no operation list_nothing",
            ),
            (
                "          x-required-when:\n            field: thing_id\n            lookup: {operation: list_things, member: colour}\n            equals: '5'\n",
                "no records with both thing_id and colour",
            ),
            (
                "          x-required-when:\n            field: thing_id\n            lookup: {operation: list_things}\n            equals: '5'\n",
                "needs `member`",
            ),
            (
                "          x-required-when:\n            field: thing_id\n            lookup: {operation: list_things, member: kind, via: x}\n            equals: '5'\n",
                "unknown key `via`",
            ),
        ] {
            let e = spec_of(KIND, when).unwrap_err().to_string();
            assert!(e.contains("zone_id") && e.contains(says), "{when}: {e}");
        }
    }
}
