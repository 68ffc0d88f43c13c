//! The page as served, in HTML, read through `scraper` (html5ever's spec-compliant parser).
//!
//! Outside tables, every block element (`<h4>`, `<p>`, `<pre>` line by line, `<li>`, ...)
//! becomes one line of text, inline elements (`<strong>`, `<a>`, `<span>`, ...) joining
//! into it; `<script>`, `<style>`, `<nav>` and the like are skipped. Every `<table>`
//! becomes a table: its `<caption>`, its first row as the header cells, and each cell's
//! text with its paragraphs joined by spaces, so that "Minimum length: 1" and
//! "Maximum length: 32" in two `<p>` read as one description. Positions are named by
//! element (`<td> 2 of <tr> 5 of <table> 2 ("Table 2 Request body parameters")`), since
//! the parser keeps no line numbers.
//!
//! The tree is walked with an explicit stack (ego-tree's `traverse`), never recursively,
//! so that deeply nested input cannot overflow the stack.

use std::collections::HashMap;

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use super::{Item, Layout, Loc, ParseError, RawCell, RawRow, RawTable, Source, TextItem};

/// Elements whose content is not page text.
const SKIPPED: [&str; 12] = [
    "head", "script", "style", "noscript", "template", "svg", "math", "nav", "aside", "header",
    "footer", "iframe",
];

/// Elements that do not break a line.
const INLINE: [&str; 26] = [
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "img", "kbd",
    "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
];

/// Elements whose text is never a section heading.
const NOT_HEADINGS: [&str; 3] = ["li", "a", "button"];

/// The most cells a row may have and rows a table may have before the reader gives up:
/// bounds far above any reference page.
const MAX_CELLS: usize = 64;
const MAX_ROWS: usize = 10_000;

/// Whether a page is HTML rather than text: it starts with a tag and has the elements of
/// a document.
pub(super) fn looks_like_html(text: &str) -> bool {
    if !text.trim_start().starts_with('<') {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<body",
        "<table",
        "<p>",
        "<p ",
        "<div",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
    ]
    .iter()
    .any(|tag| lower.contains(tag))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Accumulates the text of block elements into lines.
struct Lines {
    items: Vec<Item>,
    buffer: String,
    /// Open block elements: (tag, ordinal among the tags of that name).
    blocks: Vec<(String, usize)>,
    counts: HashMap<String, usize>,
    pre: usize,
    not_heading: usize,
}

impl Lines {
    fn loc(&self) -> Loc {
        match self.blocks.last() {
            Some((tag, n)) => Loc::Element(format!("<{tag}> {n}")),
            None => Loc::Element("the document's top-level text".into()),
        }
    }

    fn flush(&mut self) {
        let text = if self.pre > 0 {
            self.buffer.trim().to_string()
        } else {
            collapse(&self.buffer)
        };
        self.buffer.clear();
        if text.is_empty() {
            return;
        }
        self.items.push(Item::Text(TextItem {
            loc: self.loc(),
            source: text.clone(),
            text,
            heading_ok: self.not_heading == 0,
            row_like: false,
        }));
    }

    fn text(&mut self, t: &str) {
        if self.pre == 0 {
            self.buffer.push_str(t);
            return;
        }
        // In <pre>, every line is a line.
        let mut parts = t.split('\n');
        if let Some(first) = parts.next() {
            self.buffer.push_str(first);
        }
        for part in parts {
            self.flush();
            self.buffer.push_str(part);
        }
    }
}

/// Reads an HTML page into lines and tables.
pub(super) fn read(text: &str) -> Result<Source, ParseError> {
    let doc = Html::parse_document(text);
    let mut lines = Lines {
        items: Vec::new(),
        buffer: String::new(),
        blocks: Vec::new(),
        counts: HashMap::new(),
        pre: 0,
        not_heading: 0,
    };
    let mut tables = 0usize;
    // The element whose subtree is being skipped (or was read as a table).
    let mut skip = None;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) => lines.text(t),
                    Node::Element(e) => {
                        let name = e.name();
                        if SKIPPED.contains(&name) {
                            skip = Some(node.id());
                        } else if name == "table" {
                            lines.flush();
                            tables += 1;
                            lines.items.push(Item::Table(read_table(node, tables)?));
                            skip = Some(node.id());
                        } else if name == "br" {
                            lines.flush();
                        } else if !INLINE.contains(&name) {
                            lines.flush();
                            let n = lines.counts.entry(name.to_string()).or_insert(0);
                            *n += 1;
                            let n = *n;
                            lines.blocks.push((name.to_string(), n));
                            if name == "pre" {
                                lines.pre += 1;
                            }
                        }
                        if NOT_HEADINGS.contains(&name) && skip.is_none() {
                            lines.not_heading += 1;
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skip {
                    if id == node.id() {
                        skip = None;
                    }
                    continue;
                }
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if name != "br" && !INLINE.contains(&name) {
                        lines.flush();
                        lines.blocks.pop();
                        if name == "pre" {
                            lines.pre = lines.pre.saturating_sub(1);
                        }
                    }
                    if NOT_HEADINGS.contains(&name) {
                        lines.not_heading = lines.not_heading.saturating_sub(1);
                    }
                }
            }
        }
    }
    lines.flush();
    Ok(Source {
        items: lines.items,
        end: Loc::Element("the end of the document".into()),
        end_text: String::new(),
    })
}

/// Reads one `<table>` (a nested table's text becomes part of the cell it is in).
fn read_table(table: ego_tree::NodeRef<'_, Node>, index: usize) -> Result<RawTable, ParseError> {
    let mut caption: Option<String> = None;
    let mut caption_buf: Option<String> = None;
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut nested = 0usize;
    let mut skip = None;
    let too_big = |what: String| ParseError {
        loc: Loc::Element(format!("<table> {index}")),
        text: String::new(),
        message: what,
    };
    for edge in table.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) => {
                        if let Some(c) = cell.as_mut() {
                            c.push_str(t);
                        } else if let Some(c) = caption_buf.as_mut() {
                            c.push_str(t);
                        }
                    }
                    Node::Element(e) => {
                        let name = e.name();
                        if node.id() == table.id() {
                            continue;
                        }
                        if SKIPPED.contains(&name) {
                            skip = Some(node.id());
                            continue;
                        }
                        if name == "table" {
                            nested += 1;
                        }
                        if nested > 0 {
                            if let Some(c) = cell.as_mut()
                                && !INLINE.contains(&name)
                            {
                                c.push(' ');
                            }
                            continue;
                        }
                        match name {
                            "caption" => caption_buf = Some(String::new()),
                            "tr" => {
                                if rows.len() >= MAX_ROWS {
                                    return Err(too_big(format!(
                                        "the table has more than {MAX_ROWS} rows"
                                    )));
                                }
                                row = Some(Vec::new());
                            }
                            "td" | "th" => {
                                row.get_or_insert_with(Vec::new);
                                cell = Some(String::new());
                            }
                            _ if !INLINE.contains(&name) => {
                                // A paragraph (or <br>) inside a cell: a space between.
                                if let Some(c) = cell.as_mut() {
                                    c.push(' ');
                                }
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skip {
                    if id == node.id() {
                        skip = None;
                    }
                    continue;
                }
                let Node::Element(e) = node.value() else {
                    continue;
                };
                if node.id() == table.id() {
                    continue;
                }
                let name = e.name();
                if name == "table" {
                    nested = nested.saturating_sub(1);
                    continue;
                }
                if nested > 0 {
                    if let Some(c) = cell.as_mut()
                        && !INLINE.contains(&name)
                    {
                        c.push(' ');
                    }
                    continue;
                }
                match name {
                    "caption" => caption = caption_buf.take().map(|c| collapse(&c)),
                    "td" | "th" => {
                        if let (Some(r), Some(c)) = (row.as_mut(), cell.take()) {
                            if r.len() >= MAX_CELLS {
                                return Err(too_big(format!(
                                    "a row of the table has more than {MAX_CELLS} cells"
                                )));
                            }
                            r.push(collapse(&c));
                        }
                    }
                    "tr" => {
                        // A row without cells holds nothing.
                        if let Some(r) = row.take().filter(|r| !r.is_empty()) {
                            rows.push(r);
                        }
                    }
                    _ if !INLINE.contains(&name) => {
                        if let Some(c) = cell.as_mut() {
                            c.push(' ');
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(r) = row.take().filter(|r| !r.is_empty()) {
        rows.push(r);
    }
    let what = match &caption {
        Some(c) => format!("<table> {index} (\"{c}\")"),
        None => format!("<table> {index}"),
    };
    let mut rows = rows.into_iter();
    let columns = rows.next().unwrap_or_default();
    let rows = rows
        .enumerate()
        .map(|(r, cells)| {
            let row_text = cells.join(" | ");
            RawRow {
                cells: cells
                    .into_iter()
                    .enumerate()
                    .map(|(c, text)| RawCell {
                        loc: Loc::Element(format!("<td> {} of <tr> {} of {what}", c + 1, r + 2)),
                        source: row_text.clone(),
                        text,
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(RawTable {
        layout: Layout::Html,
        loc: Loc::Element(format!("the header row of {what}")),
        source: columns.join(" | "),
        caption,
        columns,
        rows,
    })
}
