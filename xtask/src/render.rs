//! Writes a reference page for an operation of the spec in each of the vendor's layouts
//! ([`Layout`]), with the project's own wording: the pages drift's tests read.
//!
//! The page has what the vendor's pages have, in their order: title, "Function", "URI"
//! with the `METHOD /path` line (and the path and query tables), "Request Parameters"
//! (header table, body table), "Response Parameters" (a `Status code: N` line and a table
//! per numeric status), "Request Example" (JSON built from the spec's constraints),
//! "Response Example", "Status Codes" and "Error Codes". Each description is the spec's,
//! followed by its constraints in the vendor's wording, each its own paragraph:
//! `Mandatory when F is V.`, `Fixed value: X.`, `Default: X.`, `Minimum length: N`,
//! `Maximum length: M`, `Array length: A - B`.
//!
//! Tables have captions ("Table 2 Request body parameters") where the vendor's copies in
//! that layout have them (HTML and one cell per paragraph), so the reader's two ways of
//! telling tables apart, by caption and by content, are both exercised.
//!
//! [`render_in`] writes the page in the China site's language ([`Language::Chinese`]):
//! its column names, headings, `表N…` captions, `状态码： N` lines and limits
//! (`最小长度：0`, bold in Markdown); the descriptions stay the spec's own.

use std::fmt::Write as _;

use serde_json::{Map, Value as Json};

use crate::drift::{Place, SpecField, SpecOperation, ValueKind};
use crate::page::Layout;

/// One piece of a page, before it is written in a layout.
#[derive(Debug, Clone)]
enum Block {
    Title(String),
    Heading(String),
    Para(String),
    Caption(String),
    Table {
        columns: Vec<&'static str>,
        /// Rows of cells; each cell is its paragraphs.
        rows: Vec<Vec<Vec<String>>>,
    },
    Code(String),
}

/// The language of a page: the labels, headings, captions and constraint wording the
/// vendor's sites use in it (the descriptions stay the spec's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// The International and Europe sites' English pages.
    #[default]
    English,
    /// The China site's pages: 参数 / 是否必选 / 参数类型 / 描述, `最小长度：0`, captions
    /// such as `表1请求Header参数`, `状态码： 200`.
    Chinese,
}

/// The words of a page in one language.
struct Words {
    request_columns: [&'static str; 4],
    response_columns: [&'static str; 3],
    yes: &'static str,
    no: &'static str,
    function: &'static str,
    request: &'static str,
    response: &'static str,
    request_example: &'static str,
    response_example: &'static str,
    status_codes: &'static str,
    error_codes: &'static str,
    path_caption: &'static str,
    query_caption: &'static str,
    header_caption: &'static str,
    body_caption: &'static str,
    response_caption: &'static str,
}

const ENGLISH: Words = Words {
    request_columns: ["Parameter", "Mandatory", "Type", "Description"],
    response_columns: ["Parameter", "Type", "Description"],
    yes: "Yes",
    no: "No",
    function: "Function",
    request: "Request Parameters",
    response: "Response Parameters",
    request_example: "Request Example",
    response_example: "Response Example",
    status_codes: "Status Codes",
    error_codes: "Error Codes",
    path_caption: "Path Parameters",
    query_caption: "Query Parameters",
    header_caption: "Request header parameters",
    body_caption: "Request body parameters",
    response_caption: "Response body parameters",
};

const CHINESE: Words = Words {
    request_columns: ["参数", "是否必选", "参数类型", "描述"],
    response_columns: ["参数", "参数类型", "描述"],
    yes: "是",
    no: "否",
    function: "功能介绍",
    request: "请求参数",
    response: "响应参数",
    request_example: "请求示例",
    response_example: "响应示例",
    status_codes: "状态码",
    error_codes: "错误码",
    path_caption: "路径参数",
    query_caption: "Query参数",
    header_caption: "请求Header参数",
    body_caption: "请求Body参数",
    response_caption: "响应Body参数",
};

impl Language {
    fn words(self) -> &'static Words {
        match self {
            Language::English => &ENGLISH,
            Language::Chinese => &CHINESE,
        }
    }
}

/// The date on top of pages in the one-cell-per-paragraph layout.
const UPDATED: &str = "Updated on 2026-01-05 GMT+08:00";

/// The file name of an operation's page in a layout: `create-case.html`,
/// `create-case.txt`...
pub fn file_name(op: &SpecOperation, layout: Layout) -> String {
    format!(
        "{}.{}",
        op.operation_id.replace('_', "-"),
        layout.extension()
    )
}

/// The operation's page in `layout`, with a request example built from the spec.
pub fn render(op: &SpecOperation, layout: Layout) -> String {
    render_with_example(op, layout, request_example(op).as_ref())
}

/// The operation's page in `layout`, with `example` as its request example (`None`: no
/// JSON under "Request Example").
pub fn render_with_example(op: &SpecOperation, layout: Layout, example: Option<&Json>) -> String {
    render_page(op, layout, Language::English, example)
}

/// The operation's page in `layout` and `language`, with a request example built from
/// the spec.
pub fn render_in(op: &SpecOperation, layout: Layout, language: Language) -> String {
    render_page(op, layout, language, request_example(op).as_ref())
}

fn render_page(
    op: &SpecOperation,
    layout: Layout,
    language: Language,
    example: Option<&Json>,
) -> String {
    let blocks = blocks(op, layout, language, example);
    match layout {
        Layout::Html => html(&blocks),
        _ => text(&blocks, layout),
    }
}

/// Every operation's page in `layout`: (file name, text).
pub fn render_all(ops: &[SpecOperation], layout: Layout) -> Vec<(String, String)> {
    ops.iter()
        .map(|op| (file_name(op, layout), render(op, layout)))
        .collect()
}

/// A value that fits the field's constraints.
fn sample(f: &SpecField) -> Json {
    let c = &f.constraints;
    let string = |min: Option<u64>, max: Option<u64>| {
        let mut s = String::from("sample");
        let max = max.unwrap_or(u64::MAX) as usize;
        let min = (min.unwrap_or(0) as usize).min(max);
        s.truncate(max.min(s.len()));
        while s.len() < min {
            s.push('x');
        }
        Json::String(s)
    };
    if let Some(v) = c.fixed.as_ref().or(c.default.as_ref()) {
        return match f.kind {
            ValueKind::Integer | ValueKind::Number => {
                serde_json::from_str(v).unwrap_or_else(|_| Json::String(v.clone()))
            }
            ValueKind::Boolean => Json::Bool(v == "true"),
            _ => Json::String(v.clone()),
        };
    }
    match f.kind {
        ValueKind::String => string(c.min_length, c.max_length),
        ValueKind::Integer => Json::from(1),
        ValueKind::Number => Json::from(1.5),
        ValueKind::Boolean => Json::Bool(true),
        ValueKind::Array => {
            let n = c
                .min_items
                .unwrap_or(0)
                .max(1)
                .min(c.max_items.unwrap_or(1)) as usize;
            Json::Array(vec![string(c.min_length, c.max_length); n])
        }
        ValueKind::Object => Json::Object(Map::new()),
    }
}

fn object_of(fields: &[SpecField]) -> Json {
    Json::Object(fields.iter().map(|f| (f.name.clone(), sample(f))).collect())
}

/// A request body that fits the spec: every field, each with a value within its limits.
pub fn request_example(op: &SpecOperation) -> Option<Json> {
    let body = op.table(&Place::Body);
    (!body.is_empty()).then(|| object_of(body))
}

/// The description cell: the spec's description, then each constraint its own paragraph
/// (in Chinese with full-width colons and, in Markdown, bold numbers, as the zh pages).
fn description(f: &SpecField, language: Language, layout: Layout) -> Vec<String> {
    let c = &f.constraints;
    let mut out = Vec::new();
    if !f.description.trim().is_empty() {
        out.push(f.description.trim().to_string());
    }
    let zh = language == Language::Chinese;
    let bold = |n: String| {
        if zh && layout == Layout::Markdown {
            format!("**{n}**")
        } else {
            n
        }
    };
    let label = |en: &str, cn: &str, value: String| {
        if zh {
            format!("{cn}\u{ff1a}{}", bold(value))
        } else {
            format!("{en}: {value}")
        }
    };
    if let Some(w) = &c.required_when {
        out.push(if zh {
            format!("必选条件\u{ff1a}{} 为 {}", w.field, w.equals)
        } else {
            format!("Mandatory when {} is {}.", w.field, w.equals)
        });
    }
    if let Some(v) = &c.fixed {
        out.push(if zh {
            format!("固定值\u{ff1a}{v}")
        } else {
            format!("Fixed value: {v}.")
        });
    }
    if let Some(v) = &c.default {
        out.push(if zh {
            format!("缺省值\u{ff1a}{v}")
        } else {
            format!("Default: {v}.")
        });
    }
    if let Some(n) = c.min_length {
        out.push(label("Minimum length", "最小长度", n.to_string()));
    }
    if let Some(n) = c.max_length {
        out.push(label("Maximum length", "最大长度", n.to_string()));
    }
    if let (Some(a), Some(b)) = (c.min_items, c.max_items) {
        out.push(label("Array length", "数组长度", format!("{a} - {b}")));
    }
    if let Some(n) = c.minimum {
        out.push(label("Minimum", "最小值", n.to_string()));
    }
    if let Some(n) = c.maximum {
        out.push(label("Maximum", "最大值", n.to_string()));
    }
    if !c.allowed.is_empty() {
        let values: Vec<String> = c.allowed.iter().map(ToString::to_string).collect();
        out.push(if zh {
            format!("枚举值\u{ff1a}{}", values.join("\u{3001}"))
        } else {
            format!("Allowed values: {}.", values.join(", "))
        });
    }
    if out.is_empty() {
        out.push("-".into());
    }
    out
}

fn request_table(fields: &[SpecField], language: Language, layout: Layout) -> Block {
    let w = language.words();
    Block::Table {
        columns: w.request_columns.to_vec(),
        rows: fields
            .iter()
            .map(|f| {
                vec![
                    vec![f.name.clone()],
                    vec![if f.required { w.yes } else { w.no }.to_string()],
                    vec![f.ty.clone()],
                    description(f, language, layout),
                ]
            })
            .collect(),
    }
}

fn response_table(fields: &[SpecField], language: Language, layout: Layout) -> Block {
    Block::Table {
        columns: language.words().response_columns.to_vec(),
        rows: fields
            .iter()
            .map(|f| {
                vec![
                    vec![f.name.clone()],
                    vec![f.ty.clone()],
                    description(f, language, layout),
                ]
            })
            .collect(),
    }
}

fn numeric(status: &str) -> bool {
    !status.is_empty() && status.chars().all(|c| c.is_ascii_digit())
}

fn blocks(
    op: &SpecOperation,
    layout: Layout,
    language: Language,
    example: Option<&Json>,
) -> Vec<Block> {
    let w = language.words();
    let zh = language == Language::Chinese;
    // The zh site's Markdown copies have captions too.
    let captions = matches!(layout, Layout::Html | Layout::Paragraphs) || zh;
    let mut out = Vec::new();
    let mut table_no = 0;
    let mut table = |out: &mut Vec<Block>, caption: &str, block: Block| {
        table_no += 1;
        if captions {
            out.push(Block::Caption(if zh {
                format!("表{table_no}{caption}")
            } else {
                format!("Table {table_no} {caption}")
            }));
        }
        out.push(block);
    };
    let status_line = |status: &str| {
        if zh {
            format!("状态码\u{ff1a} {status}")
        } else {
            format!("Status code: {status}")
        }
    };
    if layout == Layout::Paragraphs {
        out.push(Block::Para(UPDATED.into()));
    }
    out.push(Block::Title(op.title.clone()));
    out.push(Block::Heading(w.function.into()));
    out.push(Block::Para(
        op.description.clone().unwrap_or_else(|| op.title.clone()),
    ));
    out.push(Block::Heading("URI".into()));
    out.push(Block::Para(op.uri()));
    for (place, caption) in [
        (Place::Path, w.path_caption),
        (Place::Query, w.query_caption),
    ] {
        let fields = op.table(&place);
        if !fields.is_empty() {
            table(&mut out, caption, request_table(fields, language, layout));
        }
    }
    out.push(Block::Heading(w.request.into()));
    for (place, caption) in [
        (Place::Header, w.header_caption),
        (Place::Body, w.body_caption),
    ] {
        let fields = op.table(&place);
        if !fields.is_empty() {
            table(&mut out, caption, request_table(fields, language, layout));
        }
    }
    out.push(Block::Heading(w.response.into()));
    let statuses: Vec<(&str, &[SpecField])> = op.responses().filter(|(s, _)| numeric(s)).collect();
    for (status, fields) in &statuses {
        out.push(Block::Para(status_line(status)));
        if !fields.is_empty() {
            table(
                &mut out,
                w.response_caption,
                response_table(fields, language, layout),
            );
        }
    }
    out.push(Block::Heading(w.request_example.into()));
    out.push(Block::Para(format!(
        "{} https://{{endpoint}}{}",
        op.method, op.path
    )));
    if let Some(e) = example {
        out.push(Block::Code(
            serde_json::to_string_pretty(e).unwrap_or_default(),
        ));
    }
    out.push(Block::Heading(w.response_example.into()));
    for (status, fields) in &statuses {
        out.push(Block::Para(status_line(status)));
        if !fields.is_empty() {
            out.push(Block::Code(
                serde_json::to_string_pretty(&object_of(fields)).unwrap_or_default(),
            ));
        }
    }
    out.push(Block::Heading(w.status_codes.into()));
    out.push(Block::Table {
        columns: vec!["Status Code", "Description"],
        rows: statuses
            .iter()
            .map(|(s, _)| {
                let what = if s.starts_with('2') {
                    "The call succeeded."
                } else {
                    "The call failed."
                };
                vec![vec![s.to_string()], vec![what.to_string()]]
            })
            .collect(),
    });
    out.push(Block::Heading(w.error_codes.into()));
    out.push(Block::Para("See the service's error codes.".into()));
    out
}

/// A cell's text on one line (pipes would split it).
fn one_line(cell: &[String]) -> String {
    cell.join(" ").replace('|', "/")
}

fn text(blocks: &[Block], layout: Layout) -> String {
    let mut out = String::new();
    // One cell per paragraph: a blank line after every paragraph.
    let gap = if layout == Layout::Paragraphs {
        "\n\n"
    } else {
        "\n"
    };
    for b in blocks {
        match b {
            Block::Title(t) | Block::Heading(t) | Block::Para(t) | Block::Caption(t) => {
                out.push_str(t);
                out.push_str(gap);
            }
            Block::Code(c) => {
                out.push_str(c);
                out.push_str(gap);
            }
            Block::Table { columns, rows } => {
                let header: Vec<Vec<String>> =
                    columns.iter().map(|c| vec![c.to_string()]).collect();
                table_text(&mut out, layout, &header, rows);
            }
        }
    }
    out
}

fn table_text(out: &mut String, layout: Layout, header: &[Vec<String>], rows: &[Vec<Vec<String>>]) {
    let dashes = vec!["---"; header.len()].join("|");
    let all = std::iter::once(header).chain(rows.iter().map(Vec::as_slice));
    match layout {
        Layout::PipeRows | Layout::Markdown => {
            for (i, row) in all.enumerate() {
                let cells: Vec<String> = row.iter().map(|c| one_line(c)).collect();
                if layout == Layout::Markdown {
                    // The copies have a space after the last pipe on most rows.
                    let _ = writeln!(out, "| {} | ", cells.join(" | "));
                } else {
                    let _ = writeln!(out, "{} |", cells.join(" | "));
                }
                if i == 0 {
                    let _ = writeln!(out, "|{dashes}|");
                }
            }
        }
        Layout::CellPipe | Layout::LonePipe => {
            for (i, row) in all.enumerate() {
                if layout == Layout::LonePipe {
                    out.push_str("|\n");
                }
                for cell in row {
                    let lines: Vec<String> = cell.iter().map(|p| p.replace('|', "/")).collect();
                    let _ = writeln!(out, "{} |", lines.join("\n"));
                }
                if i == 0 {
                    if layout == Layout::LonePipe {
                        let _ = writeln!(out, "|{dashes}|");
                    } else {
                        let _ = writeln!(out, "{dashes}|");
                    }
                }
            }
        }
        Layout::Indented => {
            for (i, row) in all.enumerate() {
                out.push_str("| \n");
                for (k, cell) in row.iter().enumerate() {
                    let lines: Vec<String> = cell
                        .iter()
                        .map(|p| format!("        {}", p.replace('|', "/")))
                        .collect();
                    let _ = writeln!(out, "{}  | ", lines.join("\n"));
                    out.push_str(if k + 1 < row.len() {
                        "      \n"
                    } else {
                        "     \n"
                    });
                }
                if i == 0 {
                    let _ = writeln!(out, "|{dashes}|");
                }
            }
        }
        Layout::Paragraphs => {
            for row in all {
                for cell in row {
                    for p in cell {
                        out.push_str(p);
                        out.push_str("\n\n");
                    }
                }
            }
        }
        Layout::Html => {}
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A paragraph of a cell: numbers after a label in `<strong>`, as the vendor's pages
/// write "Maximum length: <strong>32</strong>".
fn cell_paragraph(p: &str) -> String {
    let split = p
        .split_once(": ")
        .filter(|(label, _)| label.ends_with("length"))
        .map(|(l, v)| (l, ": ", v))
        .or_else(|| p.split_once('\u{ff1a}').map(|(l, v)| (l, "\u{ff1a}", v)));
    match split {
        Some((label, sep, value))
            if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!(
                "<p>{}{sep}<strong>{}</strong></p>",
                escape(label),
                escape(value)
            )
        }
        _ => format!("<p>{}</p>", escape(p)),
    }
}

fn html(blocks: &[Block]) -> String {
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{}</title>\n<style>table {{ border-collapse: collapse; }}</style>\n</head>\n\
         <body>\n<nav class=\"breadcrumb\"><a href=\"#\">URI</a> &gt; \
         <a href=\"#\">Request Parameters</a></nav>\n<div class=\"help-content\">",
        escape(title)
    );
    let mut caption: Option<&str> = None;
    let mut open_section = false;
    for b in blocks {
        match b {
            Block::Title(t) => {
                let _ = writeln!(out, "<h1 class=\"topictitle1\">{}</h1>", escape(t));
            }
            Block::Heading(h) => {
                if open_section {
                    out.push_str("</div>\n");
                }
                open_section = true;
                let _ = writeln!(
                    out,
                    "<div class=\"section\"><h4 class=\"sectiontitle\">{}</h4>",
                    escape(h)
                );
            }
            Block::Para(p) => {
                let _ = writeln!(out, "<p>{}</p>", escape(p));
            }
            Block::Caption(c) => caption = Some(c),
            Block::Code(c) => {
                let _ = writeln!(out, "<pre class=\"screen\">{}</pre>", escape(c));
            }
            Block::Table { columns, rows } => {
                out.push_str("<div class=\"tablenoborder\"><table border=\"1\">\n");
                if let Some(c) = caption.take() {
                    // "Table 2 " in bold, as the vendor's captions have it.
                    let (number, rest) = match c.match_indices(' ').nth(1) {
                        Some((i, _)) => c.split_at(i + 1),
                        None => (c, ""),
                    };
                    let _ = writeln!(
                        out,
                        "<caption><b>{}</b>{}</caption>",
                        escape(number),
                        escape(rest)
                    );
                }
                out.push_str("<thead align=\"left\"><tr>");
                for c in columns {
                    let _ = write!(
                        out,
                        "<th align=\"left\" valign=\"top\"><p>{}</p></th>",
                        escape(c)
                    );
                }
                out.push_str("</tr></thead>\n<tbody>");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        out.push_str("<td valign=\"top\">");
                        for p in cell {
                            out.push_str(&cell_paragraph(p));
                        }
                        out.push_str("</td>");
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table></div>\n");
            }
        }
    }
    if open_section {
        out.push_str("</div>\n");
    }
    out.push_str("</div>\n<footer><p>Feedback</p></footer>\n</body>\n</html>\n");
    out
}
