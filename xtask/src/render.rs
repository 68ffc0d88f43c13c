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
    let blocks = blocks(op, layout, example);
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

/// The description cell: the spec's description, then each constraint its own paragraph.
fn description(f: &SpecField) -> Vec<String> {
    let c = &f.constraints;
    let mut out = Vec::new();
    if !f.description.trim().is_empty() {
        out.push(f.description.trim().to_string());
    }
    if let Some(w) = &c.required_when {
        out.push(format!("Mandatory when {} is {}.", w.field, w.equals));
    }
    if let Some(v) = &c.fixed {
        out.push(format!("Fixed value: {v}."));
    }
    if let Some(v) = &c.default {
        out.push(format!("Default: {v}."));
    }
    if let Some(n) = c.min_length {
        out.push(format!("Minimum length: {n}"));
    }
    if let Some(n) = c.max_length {
        out.push(format!("Maximum length: {n}"));
    }
    if let (Some(a), Some(b)) = (c.min_items, c.max_items) {
        out.push(format!("Array length: {a} - {b}"));
    }
    if out.is_empty() {
        out.push("-".into());
    }
    out
}

fn yes_no(b: bool) -> String {
    if b { "Yes" } else { "No" }.to_string()
}

fn request_table(fields: &[SpecField]) -> Block {
    Block::Table {
        columns: vec!["Parameter", "Mandatory", "Type", "Description"],
        rows: fields
            .iter()
            .map(|f| {
                vec![
                    vec![f.name.clone()],
                    vec![yes_no(f.required)],
                    vec![f.ty.clone()],
                    description(f),
                ]
            })
            .collect(),
    }
}

fn response_table(fields: &[SpecField]) -> Block {
    Block::Table {
        columns: vec!["Parameter", "Type", "Description"],
        rows: fields
            .iter()
            .map(|f| vec![vec![f.name.clone()], vec![f.ty.clone()], description(f)])
            .collect(),
    }
}

fn numeric(status: &str) -> bool {
    !status.is_empty() && status.chars().all(|c| c.is_ascii_digit())
}

fn blocks(op: &SpecOperation, layout: Layout, example: Option<&Json>) -> Vec<Block> {
    let captions = matches!(layout, Layout::Html | Layout::Paragraphs);
    let mut out = Vec::new();
    let mut table_no = 0;
    let mut table = |out: &mut Vec<Block>, caption: &str, block: Block| {
        table_no += 1;
        if captions {
            out.push(Block::Caption(format!("Table {table_no} {caption}")));
        }
        out.push(block);
    };
    if layout == Layout::Paragraphs {
        out.push(Block::Para(UPDATED.into()));
    }
    out.push(Block::Title(op.title.clone()));
    out.push(Block::Heading("Function".into()));
    out.push(Block::Para(
        op.description.clone().unwrap_or_else(|| op.title.clone()),
    ));
    out.push(Block::Heading("URI".into()));
    out.push(Block::Para(op.uri()));
    for (place, caption) in [
        (Place::Path, "Path Parameters"),
        (Place::Query, "Query Parameters"),
    ] {
        let fields = op.table(&place);
        if !fields.is_empty() {
            table(&mut out, caption, request_table(fields));
        }
    }
    out.push(Block::Heading("Request Parameters".into()));
    for (place, caption) in [
        (Place::Header, "Request header parameters"),
        (Place::Body, "Request body parameters"),
    ] {
        let fields = op.table(&place);
        if !fields.is_empty() {
            table(&mut out, caption, request_table(fields));
        }
    }
    out.push(Block::Heading("Response Parameters".into()));
    let statuses: Vec<(&str, &[SpecField])> = op.responses().filter(|(s, _)| numeric(s)).collect();
    for (status, fields) in &statuses {
        out.push(Block::Para(format!("Status code: {status}")));
        if !fields.is_empty() {
            table(&mut out, "Response body parameters", response_table(fields));
        }
    }
    out.push(Block::Heading("Request Example".into()));
    out.push(Block::Para(format!(
        "{} https://{{endpoint}}{}",
        op.method, op.path
    )));
    if let Some(e) = example {
        out.push(Block::Code(
            serde_json::to_string_pretty(e).unwrap_or_default(),
        ));
    }
    out.push(Block::Heading("Response Example".into()));
    for (status, fields) in &statuses {
        out.push(Block::Para(format!("Status code: {status}")));
        if !fields.is_empty() {
            out.push(Block::Code(
                serde_json::to_string_pretty(&object_of(fields)).unwrap_or_default(),
            ));
        }
    }
    out.push(Block::Heading("Status Codes".into()));
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
    out.push(Block::Heading("Error Codes".into()));
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
    match p.split_once(": ") {
        Some((label, value))
            if label.ends_with("length") && value.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!(
                "<p>{}: <strong>{}</strong></p>",
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
