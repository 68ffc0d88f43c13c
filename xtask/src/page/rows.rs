//! One row a line: pipe rows (`a | b | c | d |`) and Markdown rows (`| a | b | c | d |`,
//! sometimes with a space after the last pipe).
//!
//! ```text
//! Parameter | Mandatory | Type | Description |      <- header row: starts the table
//! |---|---|---|---|                                <- separator row
//! X-Auth-Token | Yes | String | ... Maximum length: 5000 |
//! ```
//!
//! The table ends at the first line without a pipe, or at the next header row.

use super::{
    Layout, Loc, ParseError, RawCell, RawRow, RawTable, header_columns, is_separator, line_error,
    split_cells,
};

/// Whether the (trimmed) line is a header row in this layout.
pub(super) fn starts(line: &str) -> bool {
    line.contains('|') && header_columns(&split_cells(line)).is_some()
}

/// Reads the table whose header row is line `start` (0-based); returns it and the index
/// of the first line after it.
pub(super) fn read(lines: &[&str], start: usize) -> Result<(RawTable, usize), ParseError> {
    let header = lines[start];
    let columns = split_cells(header);
    let layout = if header.trim_start().starts_with('|') {
        Layout::Markdown
    } else {
        Layout::PipeRows
    };
    let mut i = next_nonblank(lines, start + 1);
    match lines.get(i) {
        Some(l) if l.contains('|') => {
            let cells = split_cells(l);
            if !(is_separator(&cells) && cells.len() == columns.len()) {
                return Err(line_error(
                    lines,
                    i,
                    format!(
                        "expected a separator row of {} cells (such as |---|---|) after the header row",
                        columns.len()
                    ),
                ));
            }
            i += 1;
        }
        _ => {
            return Err(line_error(
                lines,
                start,
                "a table header row must be followed by a separator row such as |---|---|".into(),
            ));
        }
    }

    let mut rows = Vec::new();
    loop {
        i = next_nonblank(lines, i);
        let Some(line) = lines.get(i) else { break };
        if !line.contains('|') || starts(line.trim()) {
            break;
        }
        let cells = split_cells(line);
        if cells.len() != columns.len() {
            return Err(line_error(
                lines,
                i,
                format!(
                    "this row has {} cells but the table (header on line {}) has {} columns",
                    cells.len(),
                    start + 1,
                    columns.len()
                ),
            ));
        }
        if is_separator(&cells) {
            return Err(line_error(
                lines,
                i,
                "a separator row in the middle of a table".into(),
            ));
        }
        rows.push(RawRow {
            cells: cells
                .into_iter()
                .map(|text| RawCell {
                    loc: Loc::Line(i + 1),
                    source: line.to_string(),
                    text,
                })
                .collect(),
        });
        i += 1;
    }
    Ok((
        RawTable {
            layout,
            loc: Loc::Line(start + 1),
            source: header.to_string(),
            caption: None,
            columns,
            rows,
        },
        i,
    ))
}

fn next_nonblank(lines: &[&str], mut i: usize) -> usize {
    while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
        i += 1;
    }
    i
}
