//! Parser for a vendor reference page saved as text.
//!
//! The layout it reads (that of Huawei Cloud's API reference pages, copied from a browser):
//!
//! ```text
//! URI
//! POST /v2/servicerequest/cases
//! Request Parameters
//! Parameter | Mandatory | Type | Description |      <- header row: starts a table
//! |---|---|---|---|                                <- separator row
//! X-Auth-Token | Yes | String | ... Minimum length: 1 Maximum length: 5000 |
//! Parameter | Mandatory | Type | Description |      <- second table: the body
//! ...
//! Response Parameters
//! Status code: 200
//! Parameter | Type | Description |                 <- response tables have no Mandatory
//! ...
//! Request Example
//! POST https://{endpoint}/...
//! { ...JSON... } Response Example
//! ```
//!
//! Under "Request Parameters" the first table is the headers and the second the body.
//! Constraints are read from the description's wording (see [`parse_constraints`]).
//! Anything the parser cannot make sense of inside a parameter table is a [`ParseError`]
//! naming the line; text outside the tables is ignored. The parser never panics, whatever
//! the input (a property test holds it to that).

use std::fmt;

use crate::spec::{Constraints, RequiredWhen};

/// What a page says about one endpoint.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The `METHOD /path` line under "URI", if the page has one.
    pub uri: Option<Uri>,
    /// The first table under "Request Parameters".
    pub headers: Vec<PageParam>,
    /// The second table under "Request Parameters".
    pub body: Vec<PageParam>,
    /// One entry per "Status code: N" under "Response Parameters".
    pub responses: Vec<PageResponse>,
    /// The JSON of the request example, if there is one and it parses.
    pub example: Option<Example>,
    /// Things the parser skipped or could not use, worth a warning.
    pub notes: Vec<String>,
}

/// The page's `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
}

/// One row of a parameter table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParam {
    /// 1-based line number of the row.
    pub line: usize,
    /// The parameter's name.
    pub name: String,
    /// The Mandatory column; `None` in response tables, which have none.
    pub mandatory: Option<bool>,
    /// The Type column, as written.
    pub ty: String,
    /// The Description column, as written.
    pub description: String,
    /// Constraints read from the description.
    pub constraints: Constraints,
}

/// The table of one response status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageResponse {
    /// The status, such as `200`.
    pub status: String,
    /// 1-based line number of the "Status code:" line.
    pub line: usize,
    /// The table's rows (empty if the status has no table).
    pub params: Vec<PageParam>,
}

/// The request example's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// 1-based line number where the JSON starts.
    pub line: usize,
    /// The parsed value.
    pub value: serde_json::Value,
}

/// Why a page could not be parsed: the line that broke it and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number (the last line, or 0 for an empty page, when the problem is
    /// something missing).
    pub line: usize,
    /// The text of that line.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: {}\n{:>5} | {}",
            self.line, self.message, self.line, self.text
        )
    }
}

impl std::error::Error for ParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Uri,
    Request,
    Response,
    Example,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Headers,
    Body,
    Response(usize),
    Ignored,
}

#[derive(Debug)]
struct Table {
    columns: usize,
    header_line: usize,
    expect_separator: bool,
    target: Target,
}

/// The headings the parser knows; a line equal to one of them (after leading `}` or `]`,
/// since a JSON example can end on the heading's line) switches section.
fn heading(line: &str) -> Option<Section> {
    let line = line.trim_start_matches(['}', ']', ' ', '\t']).trim();
    match line.to_ascii_lowercase().as_str() {
        "uri" => Some(Section::Uri),
        "request parameters" => Some(Section::Request),
        "response parameters" => Some(Section::Response),
        "request example" | "example request" | "example requests" | "request examples" => {
            Some(Section::Example)
        }
        "response example" | "example response" | "example responses" | "response examples"
        | "status codes" | "status code" | "error codes" | "feedback" => Some(Section::Other),
        _ => None,
    }
}

/// Splits a table row into trimmed cells: `a | b | c |` and `| a | b |` both give
/// `["a", "b"...]`.
pub fn split_cells(line: &str) -> Vec<String> {
    let mut s = line.trim();
    if let Some(rest) = s.strip_prefix('|') {
        s = rest;
    }
    if let Some(rest) = s.strip_suffix('|') {
        s = rest;
    }
    s.split('|').map(|c| c.trim().to_string()).collect()
}

fn is_separator(cells: &[String]) -> bool {
    !cells.is_empty()
        && cells
            .iter()
            .all(|c| !c.is_empty() && c.contains('-') && c.chars().all(|ch| ch == '-' || ch == ':'))
}

/// `Parameter | Mandatory | Type | Description` (4 columns) or
/// `Parameter | Type | Description` (3 columns).
fn param_header_columns(cells: &[String]) -> Option<usize> {
    let lower: Vec<String> = cells.iter().map(|c| c.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        ["parameter", "mandatory", "type", "description"] => Some(4),
        ["parameter", "type", "description"] => Some(3),
        _ => None,
    }
}

/// Parses a page. See the module documentation for the layout.
pub fn parse(text: &str) -> Result<Page, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let err = |n: usize, message: String| ParseError {
        line: n,
        text: lines
            .get(n.wrapping_sub(1))
            .map(|s| s.to_string())
            .unwrap_or_default(),
        message,
    };

    let mut page = Page::default();
    let mut section = Section::Preamble;
    let mut request_heading: Option<usize> = None;
    let mut request_tables = 0usize;
    let mut table: Option<Table> = None;
    let mut example_heading: Option<usize> = None;
    let mut uri_heading: Option<usize> = None;

    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }

        if section == Section::Uri && page.uri.is_none() && heading(line).is_none() {
            let mut words = line.split_whitespace();
            let method = words.next().unwrap_or("");
            let path = words.next().unwrap_or("");
            let known = [
                "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
            ];
            if !known.contains(&method.to_ascii_uppercase().as_str())
                || !path.starts_with('/')
                || words.next().is_some()
            {
                return Err(err(
                    n,
                    "expected `METHOD /path` on the line after the URI heading".into(),
                ));
            }
            page.uri = Some(Uri {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
                line: n,
            });
            section = Section::Other;
            continue;
        }

        if section == Section::Example {
            // The JSON is read separately below; only a heading ends the section.
            if let Some(s) = heading(line) {
                section = s;
            }
            continue;
        }

        if line.contains('|') {
            let cells = split_cells(line);
            if let Some(columns) = param_header_columns(&cells) {
                if let Some(t) = &table
                    && t.expect_separator
                {
                    return Err(err(
                        t.header_line,
                        "a table header row must be followed by a separator row such as |---|---|"
                            .into(),
                    ));
                }
                let target = match section {
                    Section::Request => {
                        if columns != 4 {
                            return Err(err(
                                n,
                                "a request table needs the columns Parameter | Mandatory | Type | Description"
                                    .into(),
                            ));
                        }
                        request_tables += 1;
                        match request_tables {
                            1 => Target::Headers,
                            2 => Target::Body,
                            k => {
                                page.notes.push(format!(
                                    "request table {k} (line {n}) is not compared: only the \
                                     header table and the body table are"
                                ));
                                Target::Ignored
                            }
                        }
                    }
                    Section::Response => match page.responses.last() {
                        None => {
                            return Err(err(
                                n,
                                "a response table must follow a `Status code: N` line".into(),
                            ));
                        }
                        Some(r) if !r.params.is_empty() => {
                            page.notes.push(format!(
                                "a second table for status {} (line {n}) is not compared",
                                r.status
                            ));
                            Target::Ignored
                        }
                        Some(_) => Target::Response(page.responses.len() - 1),
                    },
                    _ => Target::Ignored,
                };
                table = Some(Table {
                    columns,
                    header_line: n,
                    expect_separator: true,
                    target,
                });
                continue;
            }

            match table.as_mut() {
                Some(t) if t.expect_separator => {
                    if is_separator(&cells) && cells.len() == t.columns {
                        t.expect_separator = false;
                        continue;
                    }
                    if t.target == Target::Ignored {
                        t.expect_separator = false;
                        continue;
                    }
                    return Err(err(
                        n,
                        format!(
                            "expected a separator row of {} cells (such as |---|---|) after the header row",
                            t.columns
                        ),
                    ));
                }
                Some(t) => {
                    if t.target == Target::Ignored {
                        continue;
                    }
                    if cells.len() != t.columns {
                        return Err(err(
                            n,
                            format!(
                                "this row has {} cells but the table (header on line {}) has {} columns",
                                cells.len(),
                                t.header_line,
                                t.columns
                            ),
                        ));
                    }
                    if is_separator(&cells) {
                        return Err(err(n, "a separator row in the middle of a table".into()));
                    }
                    let param = parse_row(n, &cells).map_err(|m| err(n, m))?;
                    match t.target {
                        Target::Headers => page.headers.push(param),
                        Target::Body => page.body.push(param),
                        Target::Response(k) => {
                            if let Some(r) = page.responses.get_mut(k) {
                                r.params.push(param);
                            }
                        }
                        Target::Ignored => {}
                    }
                }
                None => {
                    if matches!(section, Section::Request | Section::Response) {
                        return Err(err(
                            n,
                            "a table row with no `Parameter | ... | Description |` header row before it"
                                .into(),
                        ));
                    }
                }
            }
            continue;
        }

        // Any other non-blank line ends the table.
        if let Some(t) = table.take()
            && t.expect_separator
            && t.target != Target::Ignored
        {
            return Err(err(
                t.header_line,
                "a table header row must be followed by a separator row such as |---|---|".into(),
            ));
        }

        if let Some(s) = heading(line) {
            match s {
                Section::Uri => uri_heading = Some(n),
                Section::Request => request_heading = Some(n),
                Section::Example => {
                    example_heading = Some(n);
                }
                _ => {}
            }
            section = s;
            continue;
        }

        if section == Section::Response {
            let lower = line.to_ascii_lowercase();
            if let Some(rest) = lower.strip_prefix("status code:") {
                let status = rest.trim();
                if status.is_empty() || !status.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(err(n, "expected `Status code: N`".into()));
                }
                page.responses.push(PageResponse {
                    status: status.to_ascii_uppercase(),
                    line: n,
                    params: Vec::new(),
                });
            }
        }
    }

    let last = lines.len();
    if let Some(t) = &table
        && t.expect_separator
        && t.target != Target::Ignored
    {
        return Err(err(
            t.header_line,
            "a table header row must be followed by a separator row such as |---|---|".into(),
        ));
    }
    if let Some(h) = uri_heading
        && page.uri.is_none()
    {
        return Err(err(
            h,
            "the URI heading is not followed by a `METHOD /path` line".into(),
        ));
    }
    let Some(request_heading) = request_heading else {
        return Err(err(
            last,
            "no `Request Parameters` heading: this does not look like an API reference page".into(),
        ));
    };
    if request_tables == 0 {
        return Err(err(
            request_heading,
            "no `Parameter | Mandatory | Type | Description |` table after this heading".into(),
        ));
    }

    if let Some(h) = example_heading {
        read_example(&lines, h, &mut page);
    }
    Ok(page)
}

/// Reads the first JSON value after the "Request Example" heading, leniently: text after
/// the value (such as "Response Example" on the closing line) is ignored, and a missing or
/// broken example only leaves a note.
fn read_example(lines: &[&str], heading_line: usize, page: &mut Page) {
    let start = lines
        .iter()
        .enumerate()
        .skip(heading_line)
        .take_while(|(_, l)| {
            // Stop at the next heading that is not the example's own end.
            !matches!(heading(l), Some(Section::Request | Section::Response))
        })
        .find(|(_, l)| {
            let t = l.trim_start();
            t.starts_with('{') || t.starts_with('[')
        })
        .map(|(i, _)| i);
    let Some(start) = start else {
        page.notes.push(format!(
            "the request example (heading on line {heading_line}) has no JSON body"
        ));
        return;
    };
    let text = lines[start..].join("\n");
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(value)) => {
            page.example = Some(Example {
                line: start + 1,
                value,
            })
        }
        Some(Err(e)) => page.notes.push(format!(
            "the request example (line {}) is not valid JSON: {e}",
            start + 1
        )),
        None => page.notes.push(format!(
            "the request example (line {}) has no JSON value",
            start + 1
        )),
    }
}

fn parse_row(line: usize, cells: &[String]) -> Result<PageParam, String> {
    let name = cells[0].clone();
    if name.is_empty() {
        return Err("the Parameter cell is empty".into());
    }
    if name.chars().any(char::is_whitespace) {
        return Err(format!("`{name}` is not a parameter name (it has spaces)"));
    }
    let (mandatory, ty, description) = if cells.len() == 4 {
        let m = match cells[1].to_ascii_lowercase().as_str() {
            "yes" => true,
            "no" => false,
            _ => {
                return Err(format!(
                    "the Mandatory cell of {name} is `{}`, expected Yes or No",
                    cells[1]
                ));
            }
        };
        (Some(m), cells[2].clone(), cells[3].clone())
    } else {
        (None, cells[1].clone(), cells[2].clone())
    };
    if ty.is_empty() {
        return Err(format!("the Type cell of {name} is empty"));
    }
    let constraints = parse_constraints(&description).map_err(|m| format!("{name}: {m}"))?;
    Ok(PageParam {
        line,
        name,
        mandatory,
        ty,
        description,
        constraints,
    })
}

/// Reads the constraints out of a description written in the vendor's wording:
///
/// - `Minimum length: N`, `Maximum length: M` (for an array, the length of its items),
/// - `Array length: A - B`,
/// - a default: `It is X by default`, `The default value is X`, `Default: X`,
///   `defaults to X`,
/// - a fixed value: `fixed to X`, `Fixed value: X`,
/// - a conditional requirement: `mandatory if F is V` (also `when`, and `required`).
///
/// A length label not followed by a number is an error; free text that merely resembles
/// a default or a condition is not.
pub fn parse_constraints(description: &str) -> Result<Constraints, String> {
    let lower = description.to_ascii_lowercase();
    let mut c = Constraints {
        min_length: number_after(description, &lower, "minimum length:")?,
        max_length: number_after(description, &lower, "maximum length:")?,
        ..Constraints::default()
    };
    if let Some((a, b)) = range_after(description, &lower, "array length:")? {
        c.min_items = Some(a);
        c.max_items = Some(b);
    }
    c.default = default_of(description, &lower);
    c.fixed = token_after_any(
        description,
        &lower,
        &["fixed to ", "fixed value: ", "fixed value is "],
    );
    c.required_when = required_when_of(description, &lower);
    Ok(c)
}

/// All byte offsets just past `label` in `lower`. Valid in the original text too, since
/// ASCII lower-casing keeps every byte offset.
fn after_all<'a>(lower: &'a str, label: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower
        .match_indices(label)
        .map(move |(i, _)| i + label.len())
}

fn leading_number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    s[..end].parse().ok().map(|n| (n, &s[end..]))
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("(nothing)")
}

fn number_after(text: &str, lower: &str, label: &str) -> Result<Option<u64>, String> {
    let mut found: Option<u64> = None;
    for pos in after_all(lower, label) {
        let rest = text[pos..].trim_start();
        let Some((n, _)) = leading_number(rest) else {
            return Err(format!(
                "`{}` is followed by `{}`, not a number",
                label_case(text, pos, label),
                first_word(rest)
            ));
        };
        match found {
            Some(m) if m != n => {
                return Err(format!(
                    "two different values for `{}`: {m} and {n}",
                    label_case(text, pos, label)
                ));
            }
            _ => found = Some(n),
        }
    }
    Ok(found)
}

fn range_after(text: &str, lower: &str, label: &str) -> Result<Option<(u64, u64)>, String> {
    let Some(pos) = after_all(lower, label).next() else {
        return Ok(None);
    };
    let rest = text[pos..].trim_start();
    let bad = || {
        format!(
            "`{}` must be followed by `MIN - MAX`, found `{}`",
            label_case(text, pos, label),
            rest.chars().take(20).collect::<String>()
        )
    };
    let (a, rest) = leading_number(rest).ok_or_else(bad)?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('\u{2013}'))
        .or_else(|| rest.strip_prefix("to "))
        .ok_or_else(bad)?;
    let (b, _) = leading_number(rest.trim_start()).ok_or_else(bad)?;
    if a > b {
        return Err(format!(
            "`{}` {a} - {b}: the minimum is above the maximum",
            label_case(text, pos, label)
        ));
    }
    Ok(Some((a, b)))
}

/// The label as the page writes it (for messages).
fn label_case<'a>(text: &'a str, end: usize, label: &'a str) -> &'a str {
    text.get(end - label.len()..end).unwrap_or(label).trim_end()
}

/// Strips the punctuation that ends a sentence or wraps a value.
fn clean_token(t: &str) -> Option<String> {
    let t = t
        .trim_end_matches(['.', ',', ';', ')', ':'])
        .trim_matches(['"', '\'', '`']);
    (!t.is_empty()).then(|| t.to_string())
}

fn token_after_any(text: &str, lower: &str, labels: &[&str]) -> Option<String> {
    labels.iter().find_map(|label| {
        let pos = after_all(lower, label).next()?;
        clean_token(text[pos..].split_whitespace().next()?)
    })
}

fn default_of(text: &str, lower: &str) -> Option<String> {
    if let Some(v) = token_after_any(
        text,
        lower,
        &[
            "default value is ",
            "default value: ",
            "defaults to ",
            "default: ",
        ],
    ) {
        return Some(v);
    }
    // "... is X by default"
    for (i, _) in lower.match_indices("by default") {
        let before: Vec<&str> = text[..i].split_whitespace().collect();
        if let [.., is, value] = before.as_slice()
            && is.eq_ignore_ascii_case("is")
            && let Some(v) = clean_token(value)
        {
            return Some(v);
        }
    }
    None
}

fn required_when_of(text: &str, lower: &str) -> Option<RequiredWhen> {
    [
        "mandatory if ",
        "mandatory when ",
        "required if ",
        "required when ",
    ]
    .iter()
    .find_map(|label| {
        after_all(lower, label).find_map(|pos| {
            let words: Vec<&str> = text[pos..].split_whitespace().take(3).collect();
            match words.as_slice() {
                [field, is, value]
                    if is.eq_ignore_ascii_case("is")
                        || *is == "="
                        || is.eq_ignore_ascii_case("equals") =>
                {
                    Some(RequiredWhen {
                        field: clean_token(field)?,
                        equals: clean_token(value)?,
                    })
                }
                _ => None,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(split_cells("a | b | c |"), ["a", "b", "c"]);
        assert_eq!(split_cells("| a | b |"), ["a", "b"]);
        assert!(is_separator(&split_cells("|---|---|")));
        assert!(!is_separator(&split_cells("a | - |")));
    }

    #[test]
    fn constraints() {
        let c = parse_constraints(
            "Ids. Minimum length: 1 Maximum length: 32 Array length: 0 - 5 It is en by default.",
        )
        .unwrap();
        assert_eq!(c.min_length, Some(1));
        assert_eq!(c.max_length, Some(32));
        assert_eq!((c.min_items, c.max_items), (Some(0), Some(5)));
        assert_eq!(c.default.as_deref(), Some("en"));
        let c =
            parse_constraints("Origin; the value is fixed to abc. Required if kind is 7.").unwrap();
        assert_eq!(c.fixed.as_deref(), Some("abc"));
        assert_eq!(
            c.required_when,
            Some(RequiredWhen {
                field: "kind".into(),
                equals: "7".into()
            })
        );
        assert!(parse_constraints("Maximum length: many").is_err());
        assert!(parse_constraints("Array length: 0 or so").is_err());
        assert!(parse_constraints("Maximum length: 1 and Maximum length: 2").is_err());
        // Free text that is not a condition is not one.
        let c = parse_constraints("It is mandatory for unregistered numbers.").unwrap();
        assert_eq!(c.required_when, None);
        // Multi-byte text around the labels does not trip the byte arithmetic.
        let c = parse_constraints("été — Maximum length: 3 é").unwrap();
        assert_eq!(c.max_length, Some(3));
    }
}
