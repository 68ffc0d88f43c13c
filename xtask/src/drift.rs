//! `cargo xtask drift PAGE… [--url URL…] [--apply] [--spec PATH]`: compares the vendor's
//! reference pages (files, folders of them, or fetched over HTTP; read by [`crate::page`]
//! in any of the vendor's layouts) with the spec.
//!
//! Each page is matched to the spec's operation by its method and path (the URI line), and
//! every table is compared: path, query, header, body and response. A page of an
//! operation the spec lacks is drift; an operation of the spec with no page given is
//! listed for information.
//!
//! Output, one line each:
//!
//! - `page <name>: <METHOD /path> (<operationId>), read as <layout>` before each page's
//!   findings;
//! - `drift: ...` — a difference: the parameter, the page's value, the spec's value;
//! - `declared deviation: ...` — a difference the spec makes on purpose, declared with
//!   `x-upstream-deviation` on the parameter or property; it covers the parameter's
//!   presence and its Mandatory column, and is not counted as drift;
//! - `warning: ...` — the page contradicting itself (its request example against its own
//!   table) or parts of it that were not compared; not counted as drift;
//! - `info: ...` — an operation of the spec no page was given for;
//! - with `--apply`: `applied: ...` for each pure fact written into the spec (lengths, item
//!   counts, Mandatory, defaults), and `left for the maintainer: ...` for the rest.
//!
//! Exit status: 0 no drift (or, with `--apply`, none left), 1 drift, 2 a page cannot be
//! read (the line or element where the reader gave up is printed) or another error
//! stopped the comparison.
//!
//! The comparison's view of the spec is [`SpecOperation`], built in one place,
//! [`operations`]; nothing else here reads the spec's model.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value as Json;

use crate::page::{self, Constraints, MAX_PAGE_BYTES, Page, PageParam, RequiredWhen};
use crate::spec::Spec;
use crate::yaml_edit::{Doc, yaml_string};

/// Where a parameter lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A path parameter.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A property of the JSON request body.
    Body,
    /// A property of the JSON body of the response with this status.
    Response(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Path => f.write_str("path parameter"),
            Place::Query => f.write_str("query parameter"),
            Place::Header => f.write_str("header"),
            Place::Body => f.write_str("body parameter"),
            Place::Response(s) => write!(f, "response {s} field"),
        }
    }
}

/// The JSON type of a field, as far as writing a default back is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An array.
    Array,
    /// An object (or a map).
    Object,
}

/// Where the spec says a field is mandatory, for `--apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequiredAt {
    /// The YAML path of a parameter object: its `required:` key.
    Flag(Vec<String>),
    /// The YAML path of an object schema: its `required` list names the field.
    List(Vec<String>),
}

/// Where in the spec's text a field's facts live, for `--apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// YAML path of the field's schema mapping (lengths, item counts, default).
    pub schema: Vec<String>,
    /// YAML path of the `items` schema of an array (its items' lengths).
    pub items: Option<Vec<String>>,
    /// Where its Mandatory fact lives (`None`: not written back, as for response fields).
    pub required: Option<RequiredAt>,
}

/// One field of a table of an operation, as the comparison sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecField {
    /// The name on the wire.
    pub name: String,
    /// Mandatory.
    pub required: bool,
    /// The type in the vendor's wording: `String`, `Integer`, `Array of strings`, ...
    pub ty: String,
    /// The JSON type.
    pub kind: ValueKind,
    /// The spec's description (the renderer's wording for the pages it writes).
    pub description: String,
    /// Lengths, item counts, default, fixed value, conditional requirement.
    pub constraints: Constraints,
    /// The text of `x-upstream-deviation`, when the spec departs from the vendor's page on
    /// purpose.
    pub deviation: Option<String>,
    /// Where `--apply` writes its facts; `None` when it cannot.
    pub location: Option<Location>,
}

/// One table of an operation: the fields in one place.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecTable {
    /// Path, query, header, body, or the response of one status.
    pub place: Place,
    /// The fields, in the spec's order.
    pub fields: Vec<SpecField>,
}

/// One operation of the spec, as the comparison (and the page renderer) sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecOperation {
    /// Upper-case HTTP method.
    pub method: String,
    /// The path template.
    pub path: String,
    /// `operationId`.
    pub operation_id: String,
    /// A title (the summary, else the operationId).
    pub title: String,
    /// The operation's description.
    pub description: Option<String>,
    /// Its tables: the request's (path, query, header, body) and one per response status
    /// (`200`, `4XX`, ...), in the spec's order.
    pub tables: Vec<SpecTable>,
}

impl SpecOperation {
    /// The fields in `place` (none if the operation has no such table).
    pub fn table(&self, place: &Place) -> &[SpecField] {
        self.tables
            .iter()
            .find(|t| &t.place == place)
            .map_or(&[], |t| &t.fields)
    }

    /// The response tables: (status, fields).
    pub fn responses(&self) -> impl Iterator<Item = (&str, &[SpecField])> {
        self.tables.iter().filter_map(|t| match &t.place {
            Place::Response(s) => Some((s.as_str(), t.fields.as_slice())),
            _ => None,
        })
    }

    /// `POST /v2/servicerequest/cases`.
    pub fn uri(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether a page's `METHOD /path` is this operation's. Path parameters match
    /// whatever their names (`{case_id}` and `{id}`); their names are compared with the
    /// path table.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        fn segments(p: &str) -> Vec<&str> {
            p.trim_end_matches('/')
                .split('/')
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        "{}"
                    } else {
                        s
                    }
                })
                .collect()
        }
        self.method.eq_ignore_ascii_case(method) && segments(&self.path) == segments(path)
    }
}

/// The spec's operations, for the comparison: the ONE place that reads the spec's model.
///
/// Every header of `components.parameters` is a header of every operation (how today's
/// `spec::Spec` sees it, so that `X-Auth-Token`, sent by the auth layer, is compared too);
/// the body's and the responses' fields come from their object schemas.
pub fn operations(spec: &Spec) -> Result<Vec<SpecOperation>> {
    fn kind(k: osm_spec::Kind) -> ValueKind {
        match k {
            osm_spec::Kind::String => ValueKind::String,
            osm_spec::Kind::Integer => ValueKind::Integer,
            osm_spec::Kind::Number => ValueKind::Number,
            osm_spec::Kind::Boolean => ValueKind::Boolean,
            osm_spec::Kind::Array => ValueKind::Array,
            osm_spec::Kind::Object | osm_spec::Kind::Any => ValueKind::Object,
        }
    }
    fn field(f: &osm_spec::Field, required: Option<RequiredAt>) -> SpecField {
        let c = f.vendor_facts();
        SpecField {
            name: f.name.clone(),
            required: f.required,
            ty: f.vendor_type(),
            kind: kind(f.kind),
            description: f.description.clone(),
            constraints: Constraints {
                min_length: c.min_length,
                max_length: c.max_length,
                min_items: c.min_items,
                max_items: c.max_items,
                default: c.default.clone(),
                fixed: c.fixed.clone(),
                required_when: c.required_when.as_ref().map(|r| RequiredWhen {
                    field: r.field.clone(),
                    equals: r.equals.clone(),
                }),
                minimum: c.minimum,
                maximum: c.maximum,
                // Only an integer's allowed values are compared (the pages list text
                // values in prose).
                allowed: if f.kind == osm_spec::Kind::Integer {
                    c.allowed.iter().filter_map(|v| v.parse().ok()).collect()
                } else {
                    Vec::new()
                },
            },
            deviation: f.deviation.clone(),
            // Inline parameters have no location the line editor can address.
            location: (!f.schema_path.is_empty()).then(|| Location {
                schema: f.schema_path.clone(),
                items: f.items_path().map(<[String]>::to_vec),
                required,
            }),
        }
    }
    // The line editor addresses mappings; a parameter listed inline in an operation's
    // `parameters` sequence has no such address, and `--apply` leaves it alone.
    let addressable = |f: &osm_spec::Field| {
        !f.param_path.as_ref().is_some_and(|p| {
            p.iter().any(|k| k == "parameters") && p.first().is_some_and(|k| k == "paths")
        })
    };
    let param = |f: &osm_spec::Field| {
        let mut sf = field(f, f.param_path.clone().map(RequiredAt::Flag));
        if !addressable(f) {
            sf.location = None;
        }
        sf
    };
    let mut out = Vec::new();
    for op in spec.operations() {
        let mut tables = Vec::new();
        for (place, location) in [
            (Place::Path, osm_spec::Location::Path),
            (Place::Query, osm_spec::Location::Query),
        ] {
            let fields: Vec<SpecField> = op.params_in(location).map(param).collect();
            if !fields.is_empty() {
                tables.push(SpecTable { place, fields });
            }
        }
        tables.push(SpecTable {
            place: Place::Header,
            fields: spec.model.headers_of(op).into_iter().map(param).collect(),
        });
        if let Some(body) = &op.body {
            tables.push(SpecTable {
                place: Place::Body,
                fields: body
                    .fields
                    .iter()
                    .map(|f| field(f, Some(RequiredAt::List(body.schema_path.clone()))))
                    .collect(),
            });
        }
        for r in &op.responses {
            tables.push(SpecTable {
                place: Place::Response(r.status.clone()),
                fields: r
                    .body
                    .as_ref()
                    .map(|b| b.fields.iter().map(|f| field(f, None)).collect())
                    .unwrap_or_default(),
            });
        }
        out.push(SpecOperation {
            title: if op.summary.is_empty() {
                op.id.clone()
            } else {
                op.summary.clone()
            },
            method: op.method.as_str().to_string(),
            path: op.path.clone(),
            operation_id: op.id.clone(),
            description: Some(op.description.clone()).filter(|d| !d.is_empty()),
            tables,
        });
    }
    Ok(out)
}

/// What differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// The page has a parameter the spec lacks.
    Added,
    /// The spec has a parameter the page lacks.
    Removed,
    /// The Mandatory column.
    Mandatory,
    /// The Type column.
    Type,
    /// `Minimum length`.
    MinLength,
    /// `Maximum length`.
    MaxLength,
    /// The lower end of `Array length`.
    MinItems,
    /// The upper end of `Array length`.
    MaxItems,
    /// The default value.
    Default,
    /// The fixed value.
    Fixed,
    /// The condition that makes an optional parameter mandatory.
    RequiredWhen,
    /// The smallest value of an integer.
    Minimum,
    /// The largest value of an integer.
    Maximum,
    /// The values an integer may take.
    Allowed,
    /// The page is of an operation the spec does not have.
    Uri,
    /// A response status the page documents and the spec does not.
    ResponseAdded,
    /// A success status the spec documents and the page does not.
    ResponseRemoved,
}

impl What {
    fn label(self) -> &'static str {
        match self {
            What::Added => "added",
            What::Removed => "removed",
            What::Mandatory => "Mandatory",
            What::Type => "Type",
            What::MinLength => "Minimum length",
            What::MaxLength => "Maximum length",
            What::MinItems => "minimum array length",
            What::MaxItems => "maximum array length",
            What::Default => "default",
            What::Fixed => "fixed value",
            What::RequiredWhen => "mandatory when",
            What::Minimum => "Minimum",
            What::Maximum => "Maximum",
            What::Allowed => "allowed values",
            What::Uri => "URI",
            What::ResponseAdded => "response added",
            What::ResponseRemoved => "response removed",
        }
    }
}

/// An edit of the spec that brings one fact in line with the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Set (`Some`, YAML text) or remove (`None`) the scalar `key` of the mapping at `path`.
    Scalar {
        /// YAML path of the mapping.
        path: Vec<String>,
        /// The key to set.
        key: &'static str,
        /// The new value as YAML text.
        value: Option<String>,
    },
    /// Add (`present`) or remove `name` in the `required` list of the schema at `path`.
    Required {
        /// YAML path of the object schema.
        path: Vec<String>,
        /// The property name.
        name: String,
        /// Whether it must be listed.
        present: bool,
    },
}

impl Fix {
    /// What the fix edits, whatever the value: two fixes of one target with different
    /// values contradict each other.
    fn target(&self) -> (Vec<String>, String) {
        match self {
            Fix::Scalar { path, key, .. } => (path.clone(), key.to_string()),
            Fix::Required { path, name, .. } => (path.clone(), format!("required: {name}")),
        }
    }
}

/// One difference between a page and the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Where the parameter lives.
    pub place: Place,
    /// The parameter's name (empty for the URI and whole responses).
    pub param: String,
    /// What differs.
    pub what: What,
    /// The page's value (`None`: the page says nothing).
    pub page: Option<String>,
    /// The spec's value (`None`: the spec says nothing).
    pub spec: Option<String>,
    /// How `--apply` corrects the spec, when it is a pure fact it may correct.
    pub fix: Option<Fix>,
}

fn or_none(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.what {
            What::Added => write!(
                f,
                "{} {}: on the page ({}) but not in the spec",
                self.place,
                self.param,
                or_none(&self.page)
            ),
            What::Removed => write!(
                f,
                "{} {}: in the spec ({}) but not on the page",
                self.place,
                self.param,
                or_none(&self.spec)
            ),
            What::Uri => write!(
                f,
                "URI: the page documents {}, which is not an operation of the spec (it has {})",
                or_none(&self.page),
                or_none(&self.spec)
            ),
            What::ResponseAdded => write!(
                f,
                "response {}: on the page but not in the spec",
                or_none(&self.page)
            ),
            What::ResponseRemoved => write!(
                f,
                "response {}: in the spec but not on the page",
                or_none(&self.spec)
            ),
            w => write!(
                f,
                "{} {}: {} differs: page {}, spec {}",
                self.place,
                self.param,
                w.label(),
                or_none(&self.page),
                or_none(&self.spec)
            ),
        }
    }
}

/// The comparison of one page with the spec.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The operation the page was compared with (`None`: the spec has none of its URI).
    pub operation: Option<String>,
    /// The drift, in page order.
    pub differences: Vec<Difference>,
    /// `declared deviation` lines (without the prefix).
    pub deviations: Vec<String>,
    /// `warning` lines (without the prefix).
    pub warnings: Vec<String>,
}

/// What a drift run prints and how it ends.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 0 no drift, 1 drift, 2 unreadable page or other error.
    pub code: u8,
    /// Everything for standard output.
    pub stdout: String,
    /// Errors, for standard error.
    pub stderr: String,
    /// With `--apply`: the corrected spec text, when anything changed.
    pub new_spec: Option<String>,
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.to_string()
}

fn norm_type(t: &str) -> String {
    t.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn num(v: Option<u64>) -> Option<String> {
    v.map(|n| n.to_string())
}

fn same_name(place: &Place, a: &str, b: &str) -> bool {
    match place {
        Place::Header => a.eq_ignore_ascii_case(b),
        _ => a == b,
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2') && status.chars().all(|c| c.is_ascii_digit())
}

/// The spec's response table for a page's status: the same status, else its range
/// (`4XX` for `404`).
fn spec_response<'a>(op: &'a SpecOperation, status: &str) -> Option<&'a [SpecField]> {
    let exact = op.responses().find(|(s, _)| s.eq_ignore_ascii_case(status));
    let range = || {
        let first = status.chars().next()?;
        let want = format!("{first}XX");
        op.responses().find(|(s, _)| s.eq_ignore_ascii_case(&want))
    };
    exact.or_else(range).map(|(_, f)| f)
}

/// Which of the spec's operations a page documents.
pub fn find_operation<'a>(
    page: &Page,
    ops: &'a [SpecOperation],
) -> Result<Option<&'a SpecOperation>> {
    match &page.uri {
        Some(uri) => Ok(ops.iter().find(|o| o.matches(&uri.method, &uri.path))),
        None => match ops {
            [only] => Ok(Some(only)),
            _ => bail!(
                "the page has no URI line and the spec has {} operations: cannot tell which \
                 one it documents",
                ops.len()
            ),
        },
    }
}

/// Compares a parsed page with the spec's operations: the one it documents, or, if the
/// spec has none of its URI, a [`What::Uri`] difference.
pub fn compare(page: &Page, ops: &[SpecOperation]) -> Result<Report> {
    let mut report = Report::default();
    let Some(op) = find_operation(page, ops)? else {
        let uri = page
            .uri
            .as_ref()
            .map(|u| format!("{} {}", u.method, u.path));
        report.differences.push(Difference {
            // `place` and `param` are not shown for the URI.
            place: Place::Body,
            param: String::new(),
            what: What::Uri,
            page: uri,
            spec: Some(
                ops.iter()
                    .map(SpecOperation::uri)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            fix: None,
        });
        report.warnings.extend(page.notes.iter().cloned());
        return Ok(report);
    };
    report.operation = Some(op.operation_id.clone());
    if page.uri.is_none() {
        report.warnings.push(format!(
            "the page has no URI line; it was compared with the spec's only operation, {}",
            op.uri()
        ));
    }

    for (place, rows) in [
        (Place::Path, &page.path),
        (Place::Query, &page.query),
        (Place::Header, &page.headers),
        (Place::Body, &page.body),
    ] {
        let fields = op.table(&place);
        compare_fields(&mut report, place, rows, fields);
    }

    for pr in &page.responses {
        match spec_response(op, &pr.status) {
            None => report.differences.push(Difference {
                place: Place::Response(pr.status.clone()),
                param: String::new(),
                what: What::ResponseAdded,
                page: Some(pr.status.clone()),
                spec: None,
                fix: None,
            }),
            Some(fields) => compare_fields(
                &mut report,
                Place::Response(pr.status.clone()),
                &pr.params,
                fields,
            ),
        }
    }
    for (status, _) in op.responses() {
        if is_success(status)
            && !page
                .responses
                .iter()
                .any(|p| p.status.eq_ignore_ascii_case(status))
        {
            report.differences.push(Difference {
                place: Place::Response(status.to_string()),
                param: String::new(),
                what: What::ResponseRemoved,
                page: None,
                spec: Some(status.to_string()),
                fix: None,
            });
        }
    }

    report.warnings.extend(example_warnings(page));
    report.warnings.extend(page.notes.iter().cloned());
    Ok(report)
}

fn compare_fields(
    report: &mut Report,
    place: Place,
    page_params: &[PageParam],
    spec_fields: &[SpecField],
) {
    for p in page_params {
        match spec_fields
            .iter()
            .find(|s| same_name(&place, &s.name, &p.name))
        {
            None => report.differences.push(Difference {
                place: place.clone(),
                param: p.name.clone(),
                what: What::Added,
                page: Some(match p.mandatory {
                    Some(m) => format!("Mandatory {}, {}", yes_no(m), p.ty),
                    None => p.ty.clone(),
                }),
                spec: None,
                fix: None,
            }),
            Some(s) => compare_field(report, &place, p, s),
        }
    }
    for s in spec_fields {
        if page_params
            .iter()
            .any(|p| same_name(&place, &s.name, &p.name))
        {
            continue;
        }
        match &s.deviation {
            Some(text) => report.deviations.push(format!(
                "{place} {} is in the spec but not on the page: {text}",
                s.name
            )),
            None => report.differences.push(Difference {
                place: place.clone(),
                param: s.name.clone(),
                what: What::Removed,
                page: None,
                spec: Some(if matches!(place, Place::Response(_)) {
                    s.ty.clone()
                } else {
                    format!("Mandatory {}, {}", yes_no(s.required), s.ty)
                }),
                fix: None,
            }),
        }
    }
}

fn compare_field(report: &mut Report, place: &Place, p: &PageParam, s: &SpecField) {
    let mut diffs = Vec::new();
    let mut covered = Vec::new();
    let diff =
        |what: What, page: Option<String>, spec: Option<String>, fix: Option<Fix>| Difference {
            place: place.clone(),
            param: s.name.clone(),
            what,
            page,
            spec,
            fix,
        };

    if let (Some(m), false) = (p.mandatory, matches!(place, Place::Response(_)))
        && m != s.required
    {
        let fix = match s.location.as_ref().and_then(|l| l.required.as_ref()) {
            Some(RequiredAt::Flag(path)) => Some(Fix::Scalar {
                path: path.clone(),
                key: "required",
                value: Some(m.to_string()),
            }),
            Some(RequiredAt::List(path)) => Some(Fix::Required {
                path: path.clone(),
                name: s.name.clone(),
                present: m,
            }),
            None => None,
        };
        let d = diff(
            What::Mandatory,
            Some(yes_no(m)),
            Some(yes_no(s.required)),
            fix,
        );
        if s.deviation.is_some() {
            covered.push(format!(
                "Mandatory: page {}, spec {}",
                yes_no(m),
                yes_no(s.required)
            ));
        } else {
            diffs.push(d);
        }
    }

    let type_ok = norm_type(&p.ty) == norm_type(&s.ty);
    if !type_ok {
        diffs.push(diff(
            What::Type,
            Some(p.ty.clone()),
            Some(s.ty.clone()),
            None,
        ));
    }
    // Facts are only written back when the types agree: otherwise the schema's shape is
    // in question and the maintainer decides.
    let location = s.location.as_ref().filter(|_| type_ok);
    let pc = &p.constraints;
    let sc = &s.constraints;
    let schema_path = location.map(|l| l.schema.clone());
    let length_path = location.and_then(|l| {
        if s.kind == ValueKind::Array {
            l.items.clone()
        } else {
            Some(l.schema.clone())
        }
    });
    let scalar_fix = |path: Option<Vec<String>>, key: &'static str, value: Option<String>| {
        path.map(|path| Fix::Scalar { path, key, value })
    };
    if pc.min_length != sc.min_length {
        diffs.push(diff(
            What::MinLength,
            num(pc.min_length),
            num(sc.min_length),
            scalar_fix(length_path.clone(), "minLength", num(pc.min_length)),
        ));
    }
    if pc.max_length != sc.max_length {
        diffs.push(diff(
            What::MaxLength,
            num(pc.max_length),
            num(sc.max_length),
            scalar_fix(length_path.clone(), "maxLength", num(pc.max_length)),
        ));
    }
    if pc.min_items != sc.min_items {
        diffs.push(diff(
            What::MinItems,
            num(pc.min_items),
            num(sc.min_items),
            scalar_fix(schema_path.clone(), "minItems", num(pc.min_items)),
        ));
    }
    if pc.max_items != sc.max_items {
        diffs.push(diff(
            What::MaxItems,
            num(pc.max_items),
            num(sc.max_items),
            scalar_fix(schema_path.clone(), "maxItems", num(pc.max_items)),
        ));
    }
    if pc.default != sc.default {
        let value = match &pc.default {
            None => Some(None),
            Some(v) => default_yaml(s.kind, v).map(Some),
        };
        let fix = value.and_then(|v| scalar_fix(schema_path.clone(), "default", v));
        diffs.push(diff(
            What::Default,
            pc.default.clone(),
            sc.default.clone(),
            fix,
        ));
    }
    if pc.fixed != sc.fixed {
        diffs.push(diff(What::Fixed, pc.fixed.clone(), sc.fixed.clone(), None));
    }
    if pc.required_when != sc.required_when {
        diffs.push(diff(
            What::RequiredWhen,
            pc.required_when.as_ref().map(ToString::to_string),
            sc.required_when.as_ref().map(ToString::to_string),
            None,
        ));
    }

    if pc.minimum != sc.minimum {
        diffs.push(diff(
            What::Minimum,
            pc.minimum.map(|n| n.to_string()),
            sc.minimum.map(|n| n.to_string()),
            None,
        ));
    }
    if pc.maximum != sc.maximum {
        diffs.push(diff(
            What::Maximum,
            pc.maximum.map(|n| n.to_string()),
            sc.maximum.map(|n| n.to_string()),
            None,
        ));
    }
    // Allowed values are an integer's: the reader finds none in a text field's prose.
    let list = |v: &[i64]| {
        (!v.is_empty()).then(|| {
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    let sorted = |v: &[i64]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    };
    if s.kind == ValueKind::Integer && sorted(&pc.allowed) != sorted(&sc.allowed) {
        diffs.push(diff(
            What::Allowed,
            list(&pc.allowed),
            list(&sc.allowed),
            None,
        ));
    }

    if let Some(text) = &s.deviation {
        let covered = if covered.is_empty() {
            // Declared, but not visible in the facts compared here (such as a header the
            // spec sends through its auth layer rather than as an operation parameter).
            " (the compared facts agree with the page)".to_string()
        } else {
            format!(" ({})", covered.join("; "))
        };
        report
            .deviations
            .push(format!("{place} {}{covered}: {text}", s.name));
    }
    report.differences.extend(diffs);
}

/// The page's default as YAML text for a field of `kind`, if it fits that kind.
fn default_yaml(kind: ValueKind, v: &str) -> Option<String> {
    let parsed: Option<serde_yaml::Value> = serde_yaml::from_str(v).ok();
    match kind {
        ValueKind::String => Some(yaml_string(v)),
        ValueKind::Integer => parsed
            .filter(|p| p.is_i64() || p.is_u64())
            .map(|_| v.into()),
        ValueKind::Number => parsed
            .filter(serde_yaml::Value::is_number)
            .map(|_| v.into()),
        ValueKind::Boolean => parsed.filter(serde_yaml::Value::is_bool).map(|_| v.into()),
        ValueKind::Array | ValueKind::Object => None,
    }
}

fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {}", Json::String(s.clone())),
        Json::Array(a) if a.is_empty() => "an empty array `[ ]`".into(),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// Where the page's request example contradicts the page's own body table.
fn example_warnings(page: &Page) -> Vec<String> {
    let mut out = Vec::new();
    let Some(example) = &page.example else {
        return out;
    };
    let at = &example.loc;
    let Some(obj) = example.value.as_object() else {
        out.push(format!(
            "the request example ({at}) is {}, not a JSON object",
            describe(&example.value)
        ));
        return out;
    };
    for p in &page.body {
        let Some(v) = obj.get(&p.name) else {
            continue;
        };
        if v.is_null() {
            continue;
        }
        let t = norm_type(&p.ty);
        let fits = match t.as_str() {
            "string" => v.is_string(),
            "integer" | "long" => v.is_i64() || v.is_u64(),
            "number" | "float" | "double" => v.is_number(),
            "boolean" => v.is_boolean(),
            t if t.starts_with("arrayof") => v.is_array(),
            t if t.starts_with("map<") || t.ends_with("object") => v.is_object(),
            _ => true,
        };
        if !fits {
            out.push(format!(
                "the request example ({at}) gives {} as {}, but the page's table says {}",
                p.name,
                describe(v),
                p.ty
            ));
            continue;
        }
        if let (Some(fixed), Some(s)) = (&p.constraints.fixed, v.as_str())
            && s != fixed
        {
            out.push(format!(
                "the request example ({at}) gives {} as {}, but the page's table fixes it to {fixed}",
                p.name,
                describe(v)
            ));
        }
        if let (Some(max), Some(s)) = (p.constraints.max_length, v.as_str())
            && s.chars().count() as u64 > max
        {
            out.push(format!(
                "the request example ({at}) gives {} a value longer than its maximum length {max}",
                p.name
            ));
        }
        if let (Some(max), Some(a)) = (p.constraints.max_items, v.as_array())
            && a.len() as u64 > max
        {
            out.push(format!(
                "the request example ({at}) gives {} more items than its maximum {max}",
                p.name
            ));
        }
    }
    let mut unknown: Vec<&String> = obj
        .keys()
        .filter(|k| !page.body.iter().any(|p| &p.name == *k))
        .collect();
    unknown.sort();
    for k in unknown {
        out.push(format!(
            "the request example ({at}) has {k}, which the page's table does not list"
        ));
    }
    out
}

/// A page read and compared.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The page's name (file, or URL), for messages.
    pub name: String,
    /// The page as read.
    pub page: Page,
    /// Its comparison with the spec.
    pub report: Report,
}

/// The result of `--apply`: the new spec text, the `applied:` lines, and per page the
/// differences left for the maintainer (with a reason when the pages disagree).
#[derive(Debug, Clone)]
pub struct Applied {
    /// The edited spec.
    pub text: String,
    /// One line per edit.
    pub applied: Vec<String>,
    /// Per page (in the order given), what is left: the difference and why.
    pub left: Vec<Vec<(Difference, Option<&'static str>)>>,
}

/// Applies the fixable differences of every page to the spec's text, line by line.
///
/// Pages that disagree about a fact (two copies of one operation's page, one saying 50
/// and one 60, or one agreeing with the spec while the other does not) leave it for the
/// maintainer: a fix is disputed when another page wants the same target otherwise, or
/// when applying it would make another page differ. The result is checked: it must parse,
/// and comparing each page with it again must show exactly the differences that were
/// left — otherwise nothing is returned but an error.
pub fn apply(compared: &[Compared], spec: &Spec) -> Result<Applied> {
    // Targets that two pages want to set differently.
    let mut disputed: Vec<(Vec<String>, String)> = Vec::new();
    let fixes: Vec<(usize, &Fix)> = compared
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.report
                .differences
                .iter()
                .filter_map(move |d| d.fix.as_ref().map(|f| (i, f)))
        })
        .collect();
    for (i, fix) in &fixes {
        if fixes
            .iter()
            .any(|(j, other)| j != i && other.target() == fix.target() && other != fix)
            && !disputed.contains(&fix.target())
        {
            disputed.push(fix.target());
        }
    }

    // Each round either succeeds or disputes at least one more target, so there are at
    // most as many rounds as fixes.
    for _ in 0..=fixes.len() {
        let mut doc = Doc::new(&spec.text);
        let mut applied = Vec::new();
        let mut done: Vec<&Fix> = Vec::new();
        let mut left = Vec::new();
        for c in compared {
            let mut page_left = Vec::new();
            for d in &c.report.differences {
                let Some(fix) = &d.fix else {
                    page_left.push((d.clone(), None));
                    continue;
                };
                if disputed.contains(&fix.target()) {
                    page_left.push((d.clone(), Some("the pages disagree")));
                    continue;
                }
                if done.contains(&fix) {
                    continue;
                }
                done.push(fix);
                let change = match fix {
                    Fix::Scalar { path, key, value } => {
                        doc.set_scalar(path, key, value.as_deref(), anchors(key))
                    }
                    Fix::Required {
                        path,
                        name,
                        present,
                    } => doc.set_list_item(
                        path,
                        "required",
                        name,
                        *present,
                        &["type", "description"],
                    ),
                }
                .with_context(|| format!("cannot apply `{d}`"))?;
                if let Some(change) = change {
                    applied.push(format!("{d} ({}: {change})", spec.path.display()));
                }
            }
            left.push(page_left);
        }
        let text = doc.text();
        let new_spec = Spec::from_text(&spec.path, text.clone())
            .context("the edited spec no longer parses; it was not written")?;
        let ops =
            operations(&new_spec).context("the edited spec cannot be read; it was not written")?;
        let mut newly_disputed = Vec::new();
        let mut mismatch = None;
        for (c, page_left) in compared.iter().zip(&left) {
            let again = compare(&c.page, &ops)
                .context("the edited spec cannot be compared; it was not written")?;
            let expected: Vec<String> = page_left.iter().map(|(d, _)| d.to_string()).collect();
            let got: Vec<String> = again.differences.iter().map(ToString::to_string).collect();
            if expected == got {
                continue;
            }
            // A page the edits made differ disputes what they changed.
            for d in &again.differences {
                if let Some(fix) = &d.fix
                    && !expected.contains(&d.to_string())
                    && done.iter().any(|f| f.target() == fix.target())
                    && !newly_disputed.contains(&fix.target())
                {
                    newly_disputed.push(fix.target());
                }
            }
            mismatch.get_or_insert((c.name.clone(), expected, got));
        }
        let Some((name, expected, got)) = mismatch else {
            return Ok(Applied {
                text,
                applied,
                left,
            });
        };
        if newly_disputed.is_empty() {
            bail!(
                "after the edits the differences with {name} are not the expected ones; the \
                 spec was not written.\nexpected:\n  {}\ngot:\n  {}",
                expected.join("\n  "),
                got.join("\n  ")
            );
        }
        disputed.extend(newly_disputed);
    }
    bail!("the pages' facts could not be reconciled; the spec was not written")
}

/// Which sibling keys a new key goes after, in a schema or a parameter.
fn anchors(key: &str) -> &'static [&'static str] {
    match key {
        "minLength" => &["type", "format", "description"],
        "maxLength" => &["type", "format", "description", "minLength"],
        "minItems" => &["type", "description"],
        "maxItems" => &["type", "description", "minItems"],
        "default" => &[
            "type",
            "format",
            "description",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "pattern",
        ],
        "required" => &["name", "in"],
        _ => &[],
    }
}

/// A page to compare: its name (for messages) and its text.
#[derive(Debug, Clone)]
pub struct PageText {
    /// The file or URL it came from.
    pub name: String,
    /// Its contents.
    pub text: String,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Runs the whole command on texts: read every page, compare it, optionally apply, and
/// render the output.
pub fn run_pages(pages: &[PageText], spec: &Spec, apply_fixes: bool) -> Outcome {
    let mut out = Outcome {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
        new_spec: None,
    };
    let ops = match operations(spec) {
        Ok(o) => o,
        Err(e) => {
            out.code = 2;
            out.stderr = format!("error: {e:#}\n");
            return out;
        }
    };
    let mut compared = Vec::new();
    let mut failed = 0;
    for p in pages {
        let page = match page::parse(&p.text) {
            Ok(page) => page,
            Err(e) => {
                failed += 1;
                out.code = 2;
                out.stderr
                    .push_str(&format!("error: {} cannot be read: {e}\n", p.name));
                continue;
            }
        };
        match compare(&page, &ops) {
            Ok(report) => compared.push(Compared {
                name: p.name.clone(),
                page,
                report,
            }),
            Err(e) => {
                failed += 1;
                out.code = 2;
                out.stderr.push_str(&format!("error: {}: {e:#}\n", p.name));
            }
        }
    }

    let mut s = String::new();
    let (mut n, mut deviations, mut warnings) = (0, 0, 0);
    for c in &compared {
        let r = &c.report;
        let what = match (&c.page.uri, &r.operation) {
            (Some(u), Some(id)) => format!("{} {} ({id})", u.method, u.path),
            (Some(u), None) => format!("{} {} (not in the spec)", u.method, u.path),
            (None, Some(id)) => format!("no URI line ({id})"),
            (None, None) => "no URI line".into(),
        };
        let layout = c.page.layout.map_or("an unknown layout", |l| l.name());
        s.push_str(&format!("page {}: {what}, read as {layout}\n", c.name));
        for d in &r.differences {
            s.push_str(&format!("drift: {d}\n"));
        }
        for d in &r.deviations {
            s.push_str(&format!("declared deviation: {d}\n"));
        }
        for w in &r.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        n += r.differences.len();
        deviations += r.deviations.len();
        warnings += r.warnings.len();
    }
    // With a page unread, which operations have no page is not known.
    for op in ops.iter().filter(|_| failed == 0) {
        if !compared
            .iter()
            .any(|c| c.report.operation.as_deref() == Some(op.operation_id.as_str()))
        {
            s.push_str(&format!(
                "info: {} ({}): no page given, not compared\n",
                op.uri(),
                op.operation_id
            ));
        }
    }
    let tail = format!(
        "{}, {}",
        plural(deviations, "declared deviation", "declared deviations"),
        plural(warnings, "warning", "warnings")
    );
    let pages_said = if compared.len() == 1 {
        "the page".to_string()
    } else {
        format!("the {} pages", compared.len())
    };

    if failed > 0 {
        // A page that cannot be read stops the run short of any edit.
        if !compared.is_empty() {
            s.push_str(&format!(
                "{} between {pages_said} that could be read and the spec ({tail}); {} \
                 could not be read\n",
                plural(n, "difference", "differences"),
                plural(failed, "page", "pages")
            ));
        }
        out.stdout = s;
        return out;
    }
    if !apply_fixes || n == 0 {
        if n == 0 {
            s.push_str(&format!(
                "no drift: the spec matches {pages_said} ({tail})\n"
            ));
        } else {
            s.push_str(&format!(
                "{} between {pages_said} and the spec ({tail})\n",
                plural(n, "difference", "differences")
            ));
            out.code = 1;
        }
        out.stdout = s;
        return out;
    }
    match apply(&compared, spec) {
        Err(e) => {
            out.stderr.push_str(&format!("error: {e:#}\n"));
            out.code = 2;
        }
        Ok(result) => {
            for a in &result.applied {
                s.push_str(&format!("applied: {a}\n"));
            }
            let mut left = 0;
            for (c, page_left) in compared.iter().zip(&result.left) {
                for (d, why) in page_left {
                    left += 1;
                    let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
                    let from = if compared.len() > 1 {
                        format!(" [{}]", c.name)
                    } else {
                        String::new()
                    };
                    s.push_str(&format!("left for the maintainer: {d}{why}{from}\n"));
                }
            }
            s.push_str(&format!(
                "{}: {} applied to the spec, {} left for the maintainer ({tail})\n",
                plural(n, "difference", "differences"),
                result.applied.len(),
                left
            ));
            if result.text != spec.text {
                out.new_spec = Some(result.text);
            }
            out.code = if left == 0 { 0 } else { 1 };
        }
    }
    out.stdout = s;
    out
}

/// [`run_pages`] for one page.
pub fn run_text(page_name: &str, page_text: &str, spec: &Spec, apply_fixes: bool) -> Outcome {
    run_pages(
        &[PageText {
            name: page_name.to_string(),
            text: page_text.to_string(),
        }],
        spec,
        apply_fixes,
    )
}

/// The command's arguments.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// Page files, and folders of them.
    pub pages: Vec<PathBuf>,
    /// Pages to fetch over HTTP.
    pub urls: Vec<String>,
    /// The spec to compare with (and to edit with `--apply`).
    pub spec: PathBuf,
    /// Write the pure facts into the spec.
    pub apply: bool,
}

/// The file extensions of pages in a folder.
const PAGE_EXTENSIONS: [&str; 5] = ["html", "htm", "txt", "md", "text"];

/// The most pages one run reads from folders.
const MAX_PAGES: usize = 1000;

/// The pages of a folder: its files with a page's extension, not hidden, sorted by name.
fn folder_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot read the folder {}", dir.display()))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if path.is_file()
            && !name.starts_with('.')
            && PAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext))
        {
            files.push(path);
        }
        if files.len() > MAX_PAGES {
            bail!("{} holds more than {MAX_PAGES} pages", dir.display());
        }
    }
    files.sort();
    if files.is_empty() {
        bail!(
            "the folder {} holds no page (no .html, .htm, .txt or .md file)",
            dir.display()
        );
    }
    Ok(files)
}

/// Reads a page file: at most [`MAX_PAGE_BYTES`]; bytes that are not UTF-8 are replaced,
/// so that a garbage file reaches the reader (which names where it gave up).
fn read_page(path: &Path) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the page {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_PAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the page {}", path.display()))?;
    if bytes.len() > MAX_PAGE_BYTES {
        bail!(
            "the page {} is larger than {MAX_PAGE_BYTES} bytes",
            path.display()
        );
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Fetches a page over HTTP(S): redirects followed (at most 5), at most
/// [`MAX_PAGE_BYTES`], two minutes in all; anything but a 2xx answer is an error naming
/// the status.
pub fn fetch(url: &str) -> Result<String> {
    let scheme_ok = url
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
        || url
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("http://"));
    if !scheme_ok {
        bail!("{url} is not an http:// or https:// URL");
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .http_status_as_error(false)
        .max_redirects(5)
        .user_agent(concat!("huaweicloud-osm-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot fetch {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered HTTP {status}");
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_PAGE_BYTES as u64)
        .read_to_vec()
        .map_err(|e| anyhow!("cannot read the page {url}: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Gathers the pages the arguments name: files, the pages of folders, then URLs.
pub fn gather(args: &Args) -> Result<Vec<PageText>> {
    let mut pages = Vec::new();
    for p in &args.pages {
        let files = if p.is_dir() {
            folder_pages(p)?
        } else {
            vec![p.clone()]
        };
        for f in files {
            pages.push(PageText {
                name: f.display().to_string(),
                text: read_page(&f)?,
            });
        }
    }
    for url in &args.urls {
        pages.push(PageText {
            name: url.clone(),
            text: fetch(url)?,
        });
    }
    if pages.is_empty() {
        bail!("no page to compare: give files, folders or --url");
    }
    Ok(pages)
}

/// The command: reads the pages, prints, writes the spec back with `--apply`, and returns
/// the exit status.
pub fn run(args: &Args) -> u8 {
    let pages = match gather(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e:#}");
            return 2;
        }
    };
    let spec = match Spec::load(&args.spec) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return 2;
        }
    };
    let out = run_pages(&pages, &spec, args.apply);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    if let Some(text) = &out.new_spec
        && let Err(e) = std::fs::write(&args.spec, text)
    {
        eprintln!("error: cannot write {}: {e}", args.spec.display());
        return 2;
    }
    out.code
}
