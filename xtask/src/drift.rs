//! `cargo xtask drift PAGE [--apply] [--spec PATH]`: compares the vendor's reference page
//! (saved as text, parsed by [`crate::page`]) with the spec.
//!
//! Output, one line each:
//!
//! - `drift: ...` — a difference: the parameter, the page's value, the spec's value;
//! - `declared deviation: ...` — a difference the spec makes on purpose, declared with
//!   `x-upstream-deviation` on the parameter or property; it covers the parameter's
//!   presence and its Mandatory column, and is not counted as drift;
//! - `warning: ...` — the page contradicting itself (its request example against its own
//!   table) or parts of it that were not compared; not counted as drift;
//! - with `--apply`: `applied: ...` for each pure fact written into the spec (lengths, item
//!   counts, Mandatory, defaults), and `left for the maintainer: ...` for the rest.
//!
//! Exit status: 0 no drift (or, with `--apply`, none left), 1 drift, 2 the page cannot be
//! parsed (the line that broke it is printed) or another error stopped the comparison.

use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value as Json;

use crate::page::{self, Page, PageParam};
use crate::spec::{Field, Kind, Spec};
use crate::yaml_edit::{Doc, yaml_string};

/// Where a parameter lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
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
            Place::Header => f.write_str("header"),
            Place::Body => f.write_str("body parameter"),
            Place::Response(s) => write!(f, "response {s} field"),
        }
    }
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
    /// The method and path.
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

/// One difference between page and spec.
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
                "URI: page {}, spec {}",
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

/// The comparison of a page with the spec.
#[derive(Debug, Clone, Default)]
pub struct Report {
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
    /// 0 no drift, 1 drift, 2 unparseable page or other error.
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

/// Compares a parsed page with the spec.
pub fn compare(page: &Page, spec: &Spec) -> Result<Report> {
    let mut report = Report::default();
    let ops = spec.operations()?;
    let op = match &page.uri {
        Some(uri) => match ops
            .iter()
            .find(|o| o.method.eq_ignore_ascii_case(&uri.method) && o.path == uri.path)
        {
            Some(op) => op,
            None => {
                report.differences.push(Difference {
                    // `place` and `param` are not shown for the URI.
                    place: Place::Body,
                    param: String::new(),
                    what: What::Uri,
                    page: Some(format!("{} {}", uri.method, uri.path)),
                    spec: Some(
                        ops.iter()
                            .map(|o| format!("{} {}", o.method, o.path))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                    fix: None,
                });
                match ops.as_slice() {
                    [only] => only,
                    _ => return Ok(report),
                }
            }
        },
        None => match ops.as_slice() {
            [only] => only,
            _ => bail!(
                "the page has no URI line and the spec has {} operations: cannot tell which to compare",
                ops.len()
            ),
        },
    };

    compare_fields(&mut report, Place::Header, &page.headers, &op.headers, None);
    let (body_fields, body_path): (&[Field], Option<&[String]>) = match &op.body {
        Some(b) => (&b.fields, Some(&b.schema_path)),
        None => (&[], None),
    };
    compare_fields(&mut report, Place::Body, &page.body, body_fields, body_path);

    for pr in &page.responses {
        match op
            .responses
            .iter()
            .find(|r| r.status.eq_ignore_ascii_case(&pr.status))
        {
            None => report.differences.push(Difference {
                place: Place::Response(pr.status.clone()),
                param: String::new(),
                what: What::ResponseAdded,
                page: Some(pr.status.clone()),
                spec: None,
                fix: None,
            }),
            Some(r) => {
                let fields: &[Field] = r.body.as_ref().map_or(&[], |b| &b.fields);
                compare_fields(
                    &mut report,
                    Place::Response(pr.status.clone()),
                    &pr.params,
                    fields,
                    None,
                );
            }
        }
    }
    for r in &op.responses {
        let success = r.status.starts_with('2') && r.status.chars().all(|c| c.is_ascii_digit());
        if success
            && !page
                .responses
                .iter()
                .any(|p| p.status.eq_ignore_ascii_case(&r.status))
        {
            report.differences.push(Difference {
                place: Place::Response(r.status.clone()),
                param: String::new(),
                what: What::ResponseRemoved,
                page: None,
                spec: Some(r.status.clone()),
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
    spec_fields: &[Field],
    body_path: Option<&[String]>,
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
            Some(s) => compare_field(report, &place, p, s, body_path),
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
                spec: Some(if place == Place::Header || place == Place::Body {
                    format!("Mandatory {}, {}", yes_no(s.required), s.ty)
                } else {
                    s.ty.clone()
                }),
                fix: None,
            }),
        }
    }
}

fn compare_field(
    report: &mut Report,
    place: &Place,
    p: &PageParam,
    s: &Field,
    body_path: Option<&[String]>,
) {
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
        let fix = match (place, &s.param_path, body_path) {
            (Place::Header, Some(path), _) => Some(Fix::Scalar {
                path: path.clone(),
                key: "required",
                value: Some(m.to_string()),
            }),
            (Place::Body, _, Some(path)) => Some(Fix::Required {
                path: path.to_vec(),
                name: s.name.clone(),
                present: m,
            }),
            _ => None,
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
    let fixable = type_ok && !s.schema_path.is_empty();
    let pc = &p.constraints;
    let sc = &s.constraints;
    let length_path = if s.kind == Kind::Array {
        s.items_path.clone()
    } else {
        Some(s.schema_path.clone())
    };
    let scalar_fix =
        |path: Option<Vec<String>>, key: &'static str, value: Option<String>| match (fixable, path)
        {
            (true, Some(path)) => Some(Fix::Scalar { path, key, value }),
            _ => None,
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
            scalar_fix(Some(s.schema_path.clone()), "minItems", num(pc.min_items)),
        ));
    }
    if pc.max_items != sc.max_items {
        diffs.push(diff(
            What::MaxItems,
            num(pc.max_items),
            num(sc.max_items),
            scalar_fix(Some(s.schema_path.clone()), "maxItems", num(pc.max_items)),
        ));
    }
    if pc.default != sc.default {
        let value = match &pc.default {
            None => Some(None),
            Some(v) => default_yaml(s.kind, v).map(Some),
        };
        let fix = value.and_then(|v| scalar_fix(Some(s.schema_path.clone()), "default", v));
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

/// The page's default as YAML text for a schema of `kind`, if it fits that kind.
fn default_yaml(kind: Kind, v: &str) -> Option<String> {
    let parsed: Option<serde_yaml::Value> = serde_yaml::from_str(v).ok();
    match kind {
        Kind::String => Some(yaml_string(v)),
        Kind::Integer => parsed
            .filter(|p| p.is_i64() || p.is_u64())
            .map(|_| v.into()),
        Kind::Number => parsed
            .filter(serde_yaml::Value::is_number)
            .map(|_| v.into()),
        Kind::Boolean => parsed.filter(serde_yaml::Value::is_bool).map(|_| v.into()),
        Kind::Array | Kind::Object => None,
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
    let line = example.line;
    let Some(obj) = example.value.as_object() else {
        out.push(format!(
            "the request example (line {line}) is {}, not a JSON object",
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
                "the request example (line {line}) gives {} as {}, but the page's table says {}",
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
                "the request example (line {line}) gives {} as {}, but the page's table fixes it to {fixed}",
                p.name,
                describe(v)
            ));
        }
        if let (Some(max), Some(s)) = (p.constraints.max_length, v.as_str())
            && s.chars().count() as u64 > max
        {
            out.push(format!(
                "the request example (line {line}) gives {} a value longer than its maximum length {max}",
                p.name
            ));
        }
        if let (Some(max), Some(a)) = (p.constraints.max_items, v.as_array())
            && a.len() as u64 > max
        {
            out.push(format!(
                "the request example (line {line}) gives {} more items than its maximum {max}",
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
            "the request example (line {line}) has {k}, which the page's table does not list"
        ));
    }
    out
}

/// Applies the fixable differences to the spec's text, line by line. Returns the new
/// text, the `applied:` lines and the differences left for the maintainer. The result is
/// checked: it must parse, and comparing the page with it again must show exactly the
/// differences that were left — otherwise nothing is returned but an error.
pub fn apply(
    page: &Page,
    spec: &Spec,
    report: &Report,
) -> Result<(String, Vec<String>, Vec<Difference>)> {
    let mut doc = Doc::new(&spec.text);
    let mut applied = Vec::new();
    let mut left = Vec::new();
    for d in &report.differences {
        let Some(fix) = &d.fix else {
            left.push(d.clone());
            continue;
        };
        let change = match fix {
            Fix::Scalar { path, key, value } => {
                doc.set_scalar(path, key, value.as_deref(), anchors(key))
            }
            Fix::Required {
                path,
                name,
                present,
            } => doc.set_list_item(path, "required", name, *present, &["type", "description"]),
        }
        .with_context(|| format!("cannot apply `{d}`"))?;
        if let Some(change) = change {
            applied.push(format!("{d} ({}: {change})", spec.path.display()));
        }
    }
    let text = doc.text();
    let new_spec = Spec::from_text(&spec.path, text.clone())
        .context("the edited spec no longer parses; it was not written")?;
    let again = compare(page, &new_spec)
        .context("the edited spec cannot be compared; it was not written")?;
    let expected: Vec<String> = left.iter().map(ToString::to_string).collect();
    let got: Vec<String> = again.differences.iter().map(ToString::to_string).collect();
    if expected != got {
        bail!(
            "after the edits the differences are not the expected ones; the spec was not written.\nexpected:\n  {}\ngot:\n  {}",
            expected.join("\n  "),
            got.join("\n  ")
        );
    }
    Ok((text, applied, left))
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

/// Runs the whole command on texts: parse, compare, optionally apply, and render the
/// output. `page_name` is only used in messages.
pub fn run_text(page_name: &str, page_text: &str, spec: &Spec, apply_fixes: bool) -> Outcome {
    let mut out = Outcome {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
        new_spec: None,
    };
    let page = match page::parse(page_text) {
        Ok(p) => p,
        Err(e) => {
            out.code = 2;
            out.stderr = format!("error: {page_name} cannot be parsed: {e}\n");
            return out;
        }
    };
    let report = match compare(&page, spec) {
        Ok(r) => r,
        Err(e) => {
            out.code = 2;
            out.stderr = format!("error: {e:#}\n");
            return out;
        }
    };
    let mut s = String::new();
    for d in &report.differences {
        s.push_str(&format!("drift: {d}\n"));
    }
    for d in &report.deviations {
        s.push_str(&format!("declared deviation: {d}\n"));
    }
    for w in &report.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    let n = report.differences.len();
    let tail = format!(
        "{} declared deviation(s), {} warning(s)",
        report.deviations.len(),
        report.warnings.len()
    );
    if !apply_fixes || n == 0 {
        if n == 0 {
            s.push_str(&format!("no drift: the spec matches the page ({tail})\n"));
        } else {
            s.push_str(&format!(
                "{n} difference(s) between the page and the spec ({tail})\n"
            ));
            out.code = 1;
        }
        out.stdout = s;
        return out;
    }
    match apply(&page, spec, &report) {
        Err(e) => {
            out.stderr = format!("error: {e:#}\n");
            out.code = 2;
        }
        Ok((text, applied, left)) => {
            for a in &applied {
                s.push_str(&format!("applied: {a}\n"));
            }
            for l in &left {
                s.push_str(&format!("left for the maintainer: {l}\n"));
            }
            s.push_str(&format!(
                "{n} difference(s): {} applied to the spec, {} left for the maintainer ({tail})\n",
                applied.len(),
                left.len()
            ));
            if text != spec.text {
                out.new_spec = Some(text);
            }
            out.code = if left.is_empty() { 0 } else { 1 };
        }
    }
    out.stdout = s;
    out
}

/// The command: reads the files, prints, writes the spec back with `--apply`, and
/// returns the exit status.
pub fn run(page_path: &Path, spec_path: &Path, apply_fixes: bool) -> u8 {
    let page_text = match std::fs::read_to_string(page_path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read the page {}: {e}", page_path.display());
            return 2;
        }
    };
    let spec = match Spec::load(spec_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return 2;
        }
    };
    let out = run_text(
        &page_path.display().to_string(),
        &page_text,
        &spec,
        apply_fixes,
    );
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    if let Some(text) = &out.new_spec
        && let Err(e) = std::fs::write(spec_path, text)
    {
        eprintln!("error: cannot write {}: {e}", spec_path.display());
        return 2;
    }
    out.code
}
