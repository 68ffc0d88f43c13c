//! Reader for the vendor's API reference pages, in every layout its sites serve them.
//!
//! The same page (URI, request tables, response tables, request example) reaches us in
//! several layouts; [`parse`] recognises each by itself, no flag needed:
//!
//! | [`Layout`] | what it looks like |
//! |---|---|
//! | HTML | the page as served: one `<table>` per table, a `<caption>` such as "Table 1 Request header parameters", header cells, each cell's text in one or more `<p>` |
//! | one cell per paragraph | text copied from a browser: every cell its own paragraph (blank lines between), limits on lines of their own, "Table N …" captions, "Updated on …" on top |
//! | lone-pipe rows | a line holding only `\|` opens each row, then one cell a line, each ending ` \|` |
//! | cell-pipe rows | one cell a line ending ` \|`, no lone-pipe line, separator `---\|---\|…` |
//! | indented cells | `\| ` opens a row, then each cell indented on its own line, ending `  \| ` |
//! | Markdown rows | `\| a \| b \| c \| d \|`, sometimes with a space after the last pipe |
//! | pipe rows | `a \| b \| c \| d \|`, separator `\|---\|---\|…` |
//!
//! Each layout has a reader that turns the page into the same pieces (lines of text and
//! tables of cells: `rows.rs`, `cells.rs`, `paragraphs.rs`, `html.rs`); one interpreter
//! (`read.rs`) then finds the sections ("URI", "Request Parameters", "Response
//! Parameters", "Request Example"), tells the tables apart by their header cells and
//! captions (path, query, header, body, response), and reads each row's constraints from
//! its description ([`parse_constraints`]), whichever paragraphs or lines they were split
//! over.
//!
//! A page the readers cannot make sense of is a [`ParseError`] naming the line (or, for
//! HTML, the element) where they gave up. Nothing here panics, whatever the input (a
//! property test holds the parser to that in every layout).

mod cells;
mod constraints;
mod html;
mod paragraphs;
mod read;
mod rows;

use std::fmt;

pub use constraints::{Constraints, RequiredWhen, parse_constraints};

/// The largest page the reader accepts, in bytes: far above any reference page (the
/// vendor's largest are a few hundred kilobytes of HTML).
pub const MAX_PAGE_BYTES: usize = 16 * 1024 * 1024;

/// A layout the vendor's pages come in (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The page as served, in HTML.
    Html,
    /// Text copied from a browser: one cell per paragraph.
    Paragraphs,
    /// A lone `|` line opens each row; one cell a line, each ending ` |`.
    LonePipe,
    /// One cell a line ending ` |`; separator `---|---|…`.
    CellPipe,
    /// `| ` opens a row; each cell indented on its own line, ending `  | `.
    Indented,
    /// Markdown rows with a leading pipe.
    Markdown,
    /// One row a line without a leading pipe: `a | b | c | d |`.
    PipeRows,
}

impl Layout {
    /// Every layout, in the order of the module documentation.
    pub const ALL: [Layout; 7] = [
        Layout::Html,
        Layout::Paragraphs,
        Layout::LonePipe,
        Layout::CellPipe,
        Layout::Indented,
        Layout::Markdown,
        Layout::PipeRows,
    ];

    /// The layout's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Html => "HTML",
            Layout::Paragraphs => "one cell per paragraph",
            Layout::LonePipe => "lone-pipe rows",
            Layout::CellPipe => "cell-pipe rows",
            Layout::Indented => "indented cells",
            Layout::Markdown => "Markdown rows",
            Layout::PipeRows => "pipe rows",
        }
    }

    /// A short name for file names: `html`, `paragraphs`, `lone-pipe`, ...
    pub fn slug(self) -> &'static str {
        match self {
            Layout::Html => "html",
            Layout::Paragraphs => "paragraphs",
            Layout::LonePipe => "lone-pipe",
            Layout::CellPipe => "cell-pipe",
            Layout::Indented => "indented",
            Layout::Markdown => "markdown",
            Layout::PipeRows => "pipe-rows",
        }
    }

    /// The file extension a saved page in this layout usually has.
    pub fn extension(self) -> &'static str {
        match self {
            Layout::Html => "html",
            Layout::Markdown => "md",
            _ => "txt",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where something is on a page: a 1-based line of a text page, or an element of an HTML
/// page (such as `<td> 2 of <tr> 5 of <table> 2 ("Table 2 Request body parameters")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loc {
    /// A 1-based line number (0 for an empty page).
    Line(usize),
    /// An HTML element, described.
    Element(String),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Line(n) => write!(f, "line {n}"),
            Loc::Element(e) => f.write_str(e),
        }
    }
}

/// What a page says about one operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The layout of the page's first parameter table.
    pub layout: Option<Layout>,
    /// The `METHOD /path` line under "URI", if the page has one.
    pub uri: Option<Uri>,
    /// The path parameter table.
    pub path: Vec<PageParam>,
    /// The query parameter table.
    pub query: Vec<PageParam>,
    /// The request header table.
    pub headers: Vec<PageParam>,
    /// The request body table.
    pub body: Vec<PageParam>,
    /// One entry per "Status code: N" under "Response Parameters".
    pub responses: Vec<PageResponse>,
    /// The JSON of the request example, if there is one and it parses.
    pub example: Option<Example>,
    /// Things the reader skipped or could not use, worth a warning.
    pub notes: Vec<String>,
}

/// The page's `METHOD /path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    /// Upper-case method.
    pub method: String,
    /// Path template, without any query string.
    pub path: String,
    /// Where the line is.
    pub loc: Loc,
}

/// One row of a parameter table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageParam {
    /// Where the row starts.
    pub loc: Loc,
    /// The parameter's name.
    pub name: String,
    /// The Mandatory column; `None` in response tables, which have none.
    pub mandatory: Option<bool>,
    /// The Type column, as written.
    pub ty: String,
    /// The Description column, its paragraphs joined by spaces.
    pub description: String,
    /// Constraints read from the description.
    pub constraints: Constraints,
}

/// The table of one response status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageResponse {
    /// The status, such as `200`.
    pub status: String,
    /// Where the "Status code:" line is.
    pub loc: Loc,
    /// The table's rows (empty if the status has no table).
    pub params: Vec<PageParam>,
    /// Whether a table was found for the status.
    pub has_table: bool,
}

/// The request example's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// Where the JSON starts.
    pub loc: Loc,
    /// The parsed value.
    pub value: serde_json::Value,
}

/// Why a page could not be read: where the reader gave up, the text there, and what was
/// wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line or element (the last line, or 0 for an empty page, when the problem is
    /// something missing).
    pub loc: Loc,
    /// The text of that line or element.
    pub text: String,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    /// The line number, for an error in a text page.
    pub fn line(&self) -> Option<usize> {
        match self.loc {
            Loc::Line(n) => Some(n),
            Loc::Element(_) => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text: String = self.text.chars().take(300).collect();
        match &self.loc {
            Loc::Line(n) => write!(f, "line {n}: {}\n{n:>5} | {text}", self.message),
            Loc::Element(e) => write!(f, "{e}: {}\n    > {text}", self.message),
        }
    }
}

impl std::error::Error for ParseError {}

/// One piece of a page, as a layout's reader hands it to the interpreter.
#[derive(Debug)]
enum Item {
    /// A line (text page) or a block's text (HTML).
    Text(TextItem),
    /// A table with a header row.
    Table(RawTable),
}

#[derive(Debug)]
struct TextItem {
    loc: Loc,
    /// Whitespace-trimmed text.
    text: String,
    /// The text as the page has it, for messages.
    source: String,
    /// Whether the text may be a section heading (not for HTML list items or links).
    heading_ok: bool,
    /// Whether the line looks like a table row (has a pipe) although no table header
    /// came before it.
    row_like: bool,
}

#[derive(Debug)]
struct RawTable {
    layout: Layout,
    /// Where the header row is.
    loc: Loc,
    /// The header row's text, for messages.
    source: String,
    /// The table's own caption (HTML's `<caption>`); in text pages a "Table N …" line
    /// before the table is its caption.
    caption: Option<String>,
    /// The header cells.
    columns: Vec<String>,
    rows: Vec<RawRow>,
}

#[derive(Debug)]
struct RawRow {
    cells: Vec<RawCell>,
}

#[derive(Debug)]
struct RawCell {
    loc: Loc,
    /// The line or element text, for messages.
    source: String,
    /// The cell's paragraphs, joined by spaces.
    text: String,
}

/// A page as its reader hands it on: its pieces, and where it ends.
#[derive(Debug)]
struct Source {
    items: Vec<Item>,
    end: Loc,
    end_text: String,
}

/// Reads a page in any of the layouts (see the module documentation).
pub fn parse(text: &str) -> Result<Page, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_PAGE_BYTES {
        return Err(ParseError {
            loc: Loc::Line(0),
            text: String::new(),
            message: format!(
                "the page has {} bytes, more than the {MAX_PAGE_BYTES} a reference page can have",
                text.len()
            ),
        });
    }
    let source = if html::looks_like_html(text) {
        html::read(text)?
    } else {
        text_items(text)?
    };
    read::interpret(source)
}

/// Splits a text page into lines and the tables of whichever text layout each table is in.
fn text_items(text: &str) -> Result<Source, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() {
            i += 1;
            continue;
        }
        let table = if rows::starts(line) {
            Some(rows::read(&lines, i)?)
        } else if cells::starts(&lines, i) {
            Some(cells::read(&lines, i)?)
        } else if paragraphs::starts(&lines, i) {
            Some(paragraphs::read(&lines, i)?)
        } else {
            None
        };
        match table {
            Some((table, next)) => {
                items.push(Item::Table(table));
                // Every reader consumes at least the header line.
                i = next.max(i + 1);
            }
            None => {
                items.push(Item::Text(TextItem {
                    loc: Loc::Line(i + 1),
                    text: line.to_string(),
                    source: lines[i].to_string(),
                    heading_ok: true,
                    row_like: line.contains('|'),
                }));
                i += 1;
            }
        }
    }
    Ok(Source {
        items,
        end: Loc::Line(lines.len()),
        end_text: lines.last().map(|s| s.to_string()).unwrap_or_default(),
    })
}

/// An error at the 0-based line `i` of a text page.
fn line_error(lines: &[&str], i: usize, message: String) -> ParseError {
    ParseError {
        loc: Loc::Line(i + 1),
        text: lines.get(i).map(|s| s.to_string()).unwrap_or_default(),
        message,
    }
}

/// Splits a table row into trimmed cells: `a | b | c |` and `| a | b |` both give
/// `["a", "b"...]`. A pipe escaped as Markdown escapes it (`\|`, as the project's own
/// `docs/reference` pages write a pattern's alternatives) is part of its cell.
pub fn split_cells(line: &str) -> Vec<String> {
    let mut s = line.trim();
    if let Some(rest) = s.strip_prefix('|') {
        s = rest;
    }
    if let Some(rest) = s.strip_suffix('|').filter(|r| !r.ends_with('\\')) {
        s = rest;
    }
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_string()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_string());
    cells
}

/// `|---|---|`, `---|---|`, `| :--- | ---: |`: cells of dashes and colons only.
fn is_separator(cells: &[String]) -> bool {
    !cells.is_empty()
        && cells
            .iter()
            .all(|c| !c.is_empty() && c.contains('-') && c.chars().all(|ch| ch == '-' || ch == ':'))
}

/// The header cell names of a parameter table, compared without case; the zh pages'
/// 参数 / 是否必选 / 参数类型 / 描述 too.
fn column_word(cell: &str) -> Option<&'static str> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "parameter" | "参数" | "名称" => Some("parameter"),
        "mandatory" | "required" | "是否必选" | "必选" => Some("mandatory"),
        "type" | "参数类型" | "类型" => Some("type"),
        "description" | "描述" | "说明" => Some("description"),
        _ => None,
    }
}

/// A Mandatory cell: `Yes`/`No`, or the zh pages' `是`/`否`.
fn yes_no(cell: &str) -> Option<bool> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "yes" | "是" => Some(true),
        "no" | "否" => Some(false),
        _ => None,
    }
}

/// `Parameter | Mandatory | Type | Description` (4 columns) or
/// `Parameter | Type | Description` (3 columns).
fn header_columns<S: AsRef<str>>(cells: &[S]) -> Option<usize> {
    let words: Option<Vec<&str>> = cells.iter().map(|c| column_word(c.as_ref())).collect();
    match words?.as_slice() {
        ["parameter", "mandatory", "type", "description"] => Some(4),
        ["parameter", "type", "description"] => Some(3),
        _ => None,
    }
}

/// The page sections the interpreter knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Preamble,
    Uri,
    /// After the URI line: the path and query tables.
    UriParams,
    Request,
    Response,
    Example,
    Other,
}

/// The headings the reader knows; a line equal to one of them (after leading `}` or `]`,
/// since a JSON example can end on the heading's line, and Markdown's `#`) switches
/// section.
fn heading(line: &str) -> Option<Section> {
    let line = line
        .trim_start_matches(['}', ']', ' ', '\t', '#'])
        .trim()
        .trim_end_matches([':', '\u{ff1a}']);
    match line.to_ascii_lowercase().as_str() {
        "uri" => Some(Section::Uri),
        "request parameters" | "请求参数" => Some(Section::Request),
        "response parameters" | "响应参数" => Some(Section::Response),
        "request example" | "example request" | "example requests" | "request examples"
        | "请求示例" => Some(Section::Example),
        "response example" | "example response" | "example responses" | "response examples"
        | "status codes" | "status code" | "error codes" | "feedback" | "响应示例" | "状态码"
        | "错误码" => Some(Section::Other),
        _ => None,
    }
}

/// A "Table 2 Request body parameters" line (or the zh pages' "表2 请求Body参数", also
/// written "表2请求Body参数"): a table's caption.
fn is_caption(line: &str) -> bool {
    if let Some(rest) = line.strip_prefix('表') {
        let rest = rest.trim_start();
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        return digits > 0;
    }
    let Some(rest) = line
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("table "))
        .map(|_| &line[6..])
    else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && rest[digits..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

/// `Status code: 200` lines (the zh pages' `状态码： 200`) start a response's table.
fn status_of(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("状态码") {
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix('\u{ff1a}')
            .or_else(|| rest.strip_prefix(':'))?;
        return Some(rest.trim());
    }
    // "Status codes: 4XX, 5XX" (the project's own pages, one table for statuses that
    // share a body): the table is the first status's.
    if let Some(prefix) = line.get(..13)
        && prefix.eq_ignore_ascii_case("status codes:")
    {
        return line[13..]
            .split(',')
            .next()
            .map(str::trim)
            .filter(|s| !s.is_empty());
    }
    let prefix = line.get(..12)?;
    if !prefix.eq_ignore_ascii_case("status code:") {
        return None;
    }
    Some(line[12..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_captions() {
        assert_eq!(split_cells("a | b | c |"), ["a", "b", "c"]);
        assert_eq!(split_cells("| a | b | "), ["a", "b"]);
        assert_eq!(
            split_cells(r"| X-Time-Zone | Pattern: `^(GMT\|UTC)?$` |"),
            ["X-Time-Zone", "Pattern: `^(GMT|UTC)?$`"]
        );
        assert!(is_separator(&split_cells("|---|---|")));
        assert!(is_separator(&split_cells("---|---|")));
        assert!(!is_separator(&split_cells("a | - |")));
        assert!(is_caption("Table 2 Request body parameters"));
        assert!(is_caption("table 10"));
        assert!(!is_caption("Table 2a"));
        assert!(!is_caption("Tables of contents"));
        assert!(!is_caption("Tablé 1"));
        assert_eq!(status_of("Status code: 200"), Some("200"));
        assert_eq!(status_of("Status codes: 4XX, 5XX"), Some("4XX"));
        assert_eq!(status_of("Status"), None);
        assert_eq!(heading("## Request Parameters"), Some(Section::Request));
        assert_eq!(heading("} Response Example"), Some(Section::Other));
        assert_eq!(
            header_columns(&["Parameter", "Type", "Description"]),
            Some(3)
        );
        assert_eq!(header_columns(&["Parameter", "Kind", "Description"]), None);
        assert_eq!(
            header_columns(&["参数", "是否必选", "参数类型", "描述"]),
            Some(4)
        );
        assert_eq!(header_columns(&["参数", "参数类型", "描述"]), Some(3));
        assert!(is_caption("表1请求Header参数"));
        assert!(is_caption("表 3 响应Body参数"));
        assert!(!is_caption("表格"));
        assert_eq!(status_of("状态码： 200"), Some("200"));
        assert_eq!(status_of("状态码: 400"), Some("400"));
        assert_eq!(heading("请求参数"), Some(Section::Request));
        assert_eq!(heading("状态码"), Some(Section::Other));
        assert_eq!(yes_no("是"), Some(true));
        assert_eq!(yes_no("否"), Some(false));
        assert_eq!(yes_no("maybe"), None);
    }
}
