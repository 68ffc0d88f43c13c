//! The interpreter: from a layout reader's lines and tables to a [`Page`].
//!
//! Sections start at their headings ("URI", "Request Parameters", "Response Parameters",
//! "Request Example", ...). A parameter table is recognised by its header cells
//! (`Parameter | Mandatory | Type | Description` for request tables, `Parameter | Type |
//! Description` for response tables) and told apart by its caption:
//!
//! - "… Path Parameters", "… Query Parameters", "… Request header parameters",
//!   "… Request body parameters", "… Response body parameters" (after a `Status code: N`
//!   line); any other caption (such as the table of a nested object) is not compared and
//!   says so in a note;
//! - without a caption, by where it is and what it holds: under "URI", a table whose
//!   names all appear as `{name}` in the path is the path table, any other the query
//!   table; under "Request Parameters", a table of header-like names (`X-Auth-Token`:
//!   hyphens, no underscores) is the header table, any other the body table; under
//!   "Response Parameters", the table of the last `Status code:` line.
//!
//! A second table of the same kind (a nested object's, in pages without captions) is
//! noted and not compared.

use super::{
    Example, Item, Layout, Page, PageParam, PageResponse, ParseError, RawRow, RawTable, Section,
    Source, TextItem, Uri, header_columns, heading, is_caption, parse_constraints, status_of,
    yes_no,
};

const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE",
];

/// Which of the page's tables a parameter table is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Path,
    Query,
    Header,
    Body,
    Response,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Path => "path parameter",
            Kind::Query => "query parameter",
            Kind::Header => "request header",
            Kind::Body => "request body",
            Kind::Response => "response body",
        }
    }
}

fn error_at(item: &TextItem, message: String) -> ParseError {
    ParseError {
        loc: item.loc.clone(),
        text: item.source.clone(),
        message,
    }
}

fn table_error(t: &RawTable, message: String) -> ParseError {
    ParseError {
        loc: t.loc.clone(),
        text: t.source.clone(),
        message,
    }
}

/// The layouts' names, for the message about a page in none of them.
fn known_layouts() -> String {
    Layout::ALL
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the `METHOD /path` line.
fn uri_of(item: &TextItem) -> Result<Uri, ParseError> {
    let line = item.text.trim_matches('`');
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_ascii_uppercase();
    let path = words.next().unwrap_or("").trim_matches('`');
    if !METHODS.contains(&method.as_str()) || !path.starts_with('/') || words.next().is_some() {
        return Err(error_at(
            item,
            "expected `METHOD /path` on the line after the URI heading".into(),
        ));
    }
    let path = path.split('?').next().unwrap_or(path);
    Ok(Uri {
        method,
        path: path.to_string(),
        loc: item.loc.clone(),
    })
}

/// A name that reads as an HTTP header's (`X-Auth-Token`, `x-phone-verifiedid`), not a
/// JSON member's (`business_type_id`).
fn header_like(names: &[&str]) -> bool {
    names.iter().any(|n| n.contains('-'))
        && names
            .iter()
            .all(|n| !n.contains('_') && !n.contains('.') && !n.contains('['))
}

/// Interprets the pieces of a page.
pub(super) fn interpret(source: Source) -> Result<Page, ParseError> {
    let Source {
        items,
        end,
        end_text,
    } = source;
    let mut page = Page::default();
    let mut section = Section::Preamble;
    let mut uri_heading: Option<usize> = None;
    let mut request_heading: Option<usize> = None;
    let mut example_heading: Option<usize> = None;
    let mut request_tables = 0usize;
    let mut seen: Vec<Kind> = Vec::new();

    for (idx, item) in items.iter().enumerate() {
        let t = match item {
            Item::Text(t) => t,
            Item::Table(table) => {
                let caption = table.caption.clone().or_else(|| {
                    match idx.checked_sub(1).and_then(|p| items.get(p)) {
                        Some(Item::Text(prev)) if is_caption(&prev.text) => Some(prev.text.clone()),
                        _ => None,
                    }
                });
                read_table(
                    &mut page,
                    section,
                    table,
                    caption.as_deref(),
                    &mut seen,
                    &mut request_tables,
                )?;
                continue;
            }
        };

        if section == Section::Uri
            && page.uri.is_none()
            && !(t.heading_ok && heading(&t.text).is_some())
        {
            page.uri = Some(uri_of(t)?);
            section = Section::UriParams;
            continue;
        }
        if let Some(s) = heading(&t.text).filter(|_| t.heading_ok) {
            match s {
                Section::Uri => uri_heading = Some(idx),
                Section::Request => request_heading = Some(idx),
                Section::Example => example_heading = Some(idx),
                _ => {}
            }
            section = s;
            continue;
        }
        match section {
            Section::Example => {} // the JSON is read below
            Section::Response => {
                if let Some(status) = status_of(&t.text) {
                    if status.is_empty()
                        || status.len() > 8
                        || !status.chars().all(|c| c.is_ascii_alphanumeric())
                    {
                        return Err(error_at(t, "expected `Status code: N`".into()));
                    }
                    page.responses.push(PageResponse {
                        status: status.to_ascii_uppercase(),
                        loc: t.loc.clone(),
                        params: Vec::new(),
                        has_table: false,
                    });
                } else if t.row_like && !is_caption(&t.text) {
                    return Err(error_at(
                        t,
                        "a table row with no `Parameter | ... | Description |` header row before it"
                            .into(),
                    ));
                }
            }
            Section::Request | Section::UriParams if t.row_like => {
                return Err(error_at(
                    t,
                    "a table row with no `Parameter | ... | Description |` header row before it"
                        .into(),
                ));
            }
            _ => {}
        }
    }

    let text_item = |i: usize| match items.get(i) {
        Some(Item::Text(t)) => Some(t),
        _ => None,
    };
    if let Some(h) = uri_heading
        && page.uri.is_none()
        && let Some(t) = text_item(h)
    {
        return Err(error_at(
            t,
            "the URI heading is not followed by a `METHOD /path` line".into(),
        ));
    }
    let Some(request_heading) = request_heading else {
        return Err(ParseError {
            loc: end,
            text: end_text,
            message:
                "no `Request Parameters` heading: this does not look like an API reference page"
                    .into(),
        });
    };
    if request_tables == 0
        && let Some(t) = text_item(request_heading)
    {
        return Err(error_at(
            t,
            format!(
                "no parameter table after this heading: no table with the header cells \
                 Parameter, Mandatory, Type, Description in any layout the reader knows ({}). \
                 Has the site changed its layout?",
                known_layouts()
            ),
        ));
    }
    if let Some(h) = example_heading {
        read_example(&items, h, &mut page);
    }
    Ok(page)
}

fn read_table(
    page: &mut Page,
    section: Section,
    table: &RawTable,
    caption: Option<&str>,
    seen: &mut Vec<Kind>,
    request_tables: &mut usize,
) -> Result<(), ParseError> {
    let Some(columns) = header_columns(&table.columns) else {
        // Only HTML hands on tables of any kind; one that starts like a parameter table
        // but has other columns is a layout the reader does not know.
        if table
            .columns
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case("parameter"))
            && matches!(
                section,
                Section::Request | Section::Response | Section::UriParams
            )
        {
            return Err(table_error(
                table,
                format!(
                    "a table with the columns `{}`: expected Parameter | Mandatory | Type | \
                     Description (or Parameter | Type | Description)",
                    table.columns.join(" | ")
                ),
            ));
        }
        return Ok(());
    };
    if page.layout.is_none() {
        page.layout = Some(table.layout);
    }
    let names: Vec<&str> = table
        .rows
        .iter()
        .filter_map(|r| r.cells.first().map(|c| c.text.as_str()))
        .collect();
    let kind = match caption.map(str::to_ascii_lowercase) {
        Some(c) if c.contains("path param") || c.contains("路径参数") => Some(Kind::Path),
        Some(c) if c.contains("query param") || c.contains("query参数") => Some(Kind::Query),
        Some(c)
            if c.contains("response header")
                || c.contains("响应header")
                || c.contains("响应消息头") =>
        {
            page.notes.push(format!(
                "the response header table at {} is not compared",
                table.loc
            ));
            return Ok(());
        }
        Some(c) if c.contains("response") || c.contains("响应") => Some(Kind::Response),
        Some(c) if c.contains("header") || c.contains("请求头") => Some(Kind::Header),
        Some(c) if c.contains("body") || c.contains("请求体") => Some(Kind::Body),
        Some(_) => None,
        None => match section {
            Section::UriParams => {
                let path = page.uri.as_ref().map_or("", |u| u.path.as_str());
                if !names.is_empty() && names.iter().all(|n| path.contains(&format!("{{{n}}}"))) {
                    Some(Kind::Path)
                } else {
                    Some(Kind::Query)
                }
            }
            Section::Request if header_like(&names) => Some(Kind::Header),
            Section::Request => Some(Kind::Body),
            Section::Response => Some(Kind::Response),
            _ => return Ok(()),
        },
    };
    let Some(kind) = kind else {
        page.notes.push(format!(
            "the table \"{}\" at {} is not compared: only the path, query, header, body and \
             response tables are",
            caption.unwrap_or_default(),
            table.loc
        ));
        return Ok(());
    };
    if kind != Kind::Response && columns != 4 {
        return Err(table_error(
            table,
            "a request table needs the columns Parameter | Mandatory | Type | Description".into(),
        ));
    }
    let params = table
        .rows
        .iter()
        .map(|r| parse_row(table, r, columns))
        .collect::<Result<Vec<_>, _>>()?;
    if kind == Kind::Response {
        let Some(response) = page.responses.last_mut() else {
            return Err(table_error(
                table,
                "a response table must follow a `Status code: N` line".into(),
            ));
        };
        if response.has_table {
            page.notes.push(format!(
                "a second table for status {} ({}) is not compared",
                response.status, table.loc
            ));
            return Ok(());
        }
        response.has_table = true;
        response.params = params;
        return Ok(());
    }
    *request_tables += 1;
    if seen.contains(&kind) {
        page.notes.push(format!(
            "a second {} table ({}) is not compared",
            kind.name(),
            table.loc
        ));
        return Ok(());
    }
    seen.push(kind);
    match kind {
        Kind::Path => page.path = params,
        Kind::Query => page.query = params,
        Kind::Header => page.headers = params,
        Kind::Body => page.body = params,
        Kind::Response => {}
    }
    Ok(())
}

fn parse_row(table: &RawTable, row: &RawRow, columns: usize) -> Result<PageParam, ParseError> {
    let cells = &row.cells;
    let at = |i: usize, message: String| match cells.get(i).or(cells.last()) {
        Some(c) => ParseError {
            loc: c.loc.clone(),
            text: c.source.clone(),
            message,
        },
        None => table_error(table, message),
    };
    if cells.len() != columns {
        return Err(at(
            0,
            format!(
                "this row has {} cells but the table has {columns} columns",
                cells.len()
            ),
        ));
    }
    let name = cells[0].text.clone();
    if name.is_empty() {
        return Err(at(0, "the Parameter cell is empty".into()));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(at(
            0,
            format!("`{name}` is not a parameter name (it has spaces)"),
        ));
    }
    let (mandatory, ty, d) = if columns == 4 {
        let m = match yes_no(&cells[1].text) {
            Some(m) => m,
            None => {
                return Err(at(
                    1,
                    format!(
                        "the Mandatory cell of {name} is `{}`, expected Yes or No",
                        cells[1].text
                    ),
                ));
            }
        };
        (Some(m), cells[2].text.clone(), 3)
    } else {
        (None, cells[1].text.clone(), 2)
    };
    if ty.is_empty() {
        return Err(at(d - 1, format!("the Type cell of {name} is empty")));
    }
    let description = cells[d].text.clone();
    let constraints = parse_constraints(&description).map_err(|m| at(d, format!("{name}: {m}")))?;
    Ok(PageParam {
        loc: cells[0].loc.clone(),
        name,
        mandatory,
        ty,
        description,
        constraints,
    })
}

/// Reads the first JSON value after the "Request Example" heading and before the next
/// heading, leniently: text after the value (such as "Response Example" on the closing
/// line) is ignored, and a missing or broken example only leaves a note.
fn read_example(items: &[Item], heading_at: usize, page: &mut Page) {
    let heading_loc = match items.get(heading_at) {
        Some(Item::Text(t)) => t.loc.clone(),
        _ => return,
    };
    // Up to the next heading; a heading that shares its line with the JSON's end
    // ("} Response Example") is the example's last line.
    let mut texts: Vec<&TextItem> = Vec::new();
    for item in &items[heading_at + 1..] {
        let Item::Text(t) = item else { continue };
        if t.heading_ok && heading(&t.text).is_some() {
            if t.text.starts_with(['}', ']']) {
                texts.push(t);
            }
            break;
        }
        texts.push(t);
    }
    let Some(start) = texts
        .iter()
        .position(|t| t.text.starts_with('{') || t.text.starts_with('['))
    else {
        // A page with a body table should show one; a GET page has none to show.
        if !page.body.is_empty() {
            page.notes.push(format!(
                "the request example (heading at {heading_loc}) has no JSON body"
            ));
        }
        return;
    };
    let loc = texts[start].loc.clone();
    let text = texts[start..]
        .iter()
        .map(|t| t.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut stream = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    match stream.next() {
        Some(Ok(value)) => page.example = Some(Example { loc, value }),
        Some(Err(e)) => page.notes.push(format!(
            "the request example ({loc}) is not valid JSON: {e}"
        )),
        None => page
            .notes
            .push(format!("the request example ({loc}) has no JSON value")),
    }
}
