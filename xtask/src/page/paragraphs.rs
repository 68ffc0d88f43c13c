//! One cell per paragraph: the page's text as a browser copies it.
//!
//! ```text
//! Table 1 Request header parameters      <- caption
//! Parameter                              <- header cells, one a paragraph
//! Mandatory
//! Type
//! Description
//! X-Auth-Token                           <- a row: name, Yes/No, type, then the
//! Yes                                       description's paragraphs, limits on lines
//! String                                    of their own
//! Specifies the token.
//! Minimum length: 1
//! Maximum length: 5000
//! X-Language
//! ...
//! ```
//!
//! Blank lines (which the copies put between all paragraphs) do not matter. With no pipes
//! to mark the cells, a row starts at a line that is a parameter name followed by `Yes` or
//! `No` (in a table without a Mandatory column: by a type, such as `String` or `Array of
//! strings`); everything up to the next row is the description. The table ends at a
//! heading, a "Table N" caption, a `Status code:` line or the next header.

use super::{
    Layout, Loc, ParseError, RawCell, RawRow, RawTable, column_word, header_columns, heading,
    is_caption, line_error, status_of, yes_no,
};

fn next_nonblank(lines: &[&str], mut i: usize) -> usize {
    while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
        i += 1;
    }
    i
}

/// Whether a table in this layout starts at line `i`: `Parameter`, then `Mandatory` or
/// `Type`, each a paragraph.
pub(super) fn starts(lines: &[&str], i: usize) -> bool {
    let word = |k: usize| lines.get(k).and_then(|l| column_word(l));
    word(i) == Some("parameter")
        && matches!(
            word(next_nonblank(lines, i + 1)),
            Some("mandatory") | Some("type")
        )
}

/// A line that can be a parameter's name: one word of letters, digits and `_-.[]{}`.
fn is_name(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '{' | '}'))
}

fn is_yes_no(t: &str) -> bool {
    yes_no(t).is_some()
}

/// A line that reads as a type in the vendor's wording.
pub(super) fn looks_like_type(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    let words = t.split_whitespace().count();
    matches!(
        lower.as_str(),
        "string"
            | "integer"
            | "int"
            | "long"
            | "short"
            | "boolean"
            | "bool"
            | "float"
            | "double"
            | "number"
            | "bigdecimal"
            | "object"
            | "file"
            | "date"
            | "datetime"
            | "timestamp"
    ) || lower.starts_with("array of ")
        || lower.starts_with("map<")
        || lower.starts_with("list<")
        || lower.starts_with("array<")
        || ((lower.ends_with(" object") || lower.ends_with(" objects")) && words <= 5)
}

/// Reads the table whose `Parameter` paragraph is line `start`.
pub(super) fn read(lines: &[&str], start: usize) -> Result<(RawTable, usize), ParseError> {
    // The header paragraphs.
    let mut columns: Vec<String> = Vec::new();
    let mut i = start;
    loop {
        let j = next_nonblank(lines, i);
        match lines.get(j).and_then(|l| column_word(l)) {
            Some(w) if columns.len() < 4 && (w != "parameter" || columns.is_empty()) => {
                columns.push(lines[j].trim().to_string());
                i = j + 1;
            }
            _ => break,
        }
    }
    let Some(n) = header_columns(&columns) else {
        return Err(line_error(
            lines,
            start,
            format!(
                "a table with the header cells `{}`: expected Parameter, Mandatory, Type, \
                 Description (or Parameter, Type, Description)",
                columns.join(" | ")
            ),
        ));
    };

    // The table's paragraphs, up to whatever ends it.
    let mut body: Vec<usize> = Vec::new();
    let end = loop {
        let j = next_nonblank(lines, i);
        let Some(line) = lines.get(j) else { break j };
        let t = line.trim();
        if heading(t).is_some() || is_caption(t) || status_of(t).is_some() || starts(lines, j) {
            break j;
        }
        body.push(j);
        i = j + 1;
    };
    let text = |k: usize| lines[body[k]].trim();
    let is_start = |k: usize| {
        is_name(text(k))
            && k + 1 < body.len()
            && if n == 4 {
                is_yes_no(text(k + 1))
            } else {
                looks_like_type(text(k + 1))
            }
    };
    let second = if n == 4 { "Yes or No" } else { "its type" };
    if !body.is_empty() && !is_start(0) {
        return Err(line_error(
            lines,
            body[0],
            format!(
                "expected the table's first row: a parameter name, then {second} (the header is \
                 on line {})",
                start + 1
            ),
        ));
    }

    // Name, [Mandatory,] Type: one paragraph each; then the description.
    let fixed = n - 1;
    let mut rows = Vec::new();
    let mut k = 0;
    while k < body.len() {
        if k + fixed > body.len() {
            return Err(line_error(
                lines,
                body[k],
                format!("the row of `{}` ends before its Type cell", text(k)),
            ));
        }
        let next = (k + fixed..body.len())
            .find(|&m| is_start(m))
            .unwrap_or(body.len());
        let cell = |from: usize, to: usize| {
            let at = body[from.min(body.len() - 1)];
            RawCell {
                loc: Loc::Line(at + 1),
                source: lines[at].to_string(),
                text: (from..to).map(text).collect::<Vec<_>>().join(" "),
            }
        };
        let mut cells: Vec<RawCell> = (k..k + fixed).map(|m| cell(m, m + 1)).collect();
        // An empty description points at the Type paragraph.
        let from = if next > k + fixed {
            k + fixed
        } else {
            k + fixed - 1
        };
        let mut description = cell(from, next);
        if next == k + fixed {
            description.text.clear();
        }
        cells.push(description);
        rows.push(RawRow { cells });
        k = next;
    }
    Ok((
        RawTable {
            layout: Layout::Paragraphs,
            loc: Loc::Line(start + 1),
            source: lines[start].to_string(),
            caption: None,
            columns,
            rows,
        },
        end,
    ))
}
