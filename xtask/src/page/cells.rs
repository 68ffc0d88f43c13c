//! One cell a line: lone-pipe rows, cell-pipe rows and indented cells.
//!
//! ```text
//! |                      <- lone-pipe rows: a line holding only a pipe opens each row
//! Parameter |            <- every cell on its own line, ending with a pipe
//! Mandatory |
//! Type |
//! Description |
//! |---|---|---|---|      <- separator (cell-pipe rows write it `---|---|---|---|`)
//! |
//! X-Auth-Token |
//! Yes |
//! String |
//! Specifies the token.   <- a cell may run over several lines: it ends at the line
//! Minimum length: 1         that ends with a pipe
//! Maximum length: 5000 |
//! ```
//!
//! Cell-pipe rows have no lone-pipe lines; indented cells are lone-pipe rows whose cells
//! are indented and end with two spaces and `| `, with blank (or whitespace) lines between
//! cells. A row is complete when it has as many cells as the header; the table ends at
//! the first line, between rows, that is not a cell, or at the next header.

use super::{
    Layout, Loc, ParseError, RawCell, RawRow, RawTable, column_word, header_columns, heading,
    is_separator, line_error, split_cells,
};

/// The most header cells a table may have before the separator.
const MAX_COLUMNS: usize = 16;

/// The text of a cell line (`Type |` gives `Type`); `None` for other lines and for a lone
/// pipe.
fn cell_text(line: &str) -> Option<&str> {
    let t = line.trim();
    let text = t.strip_suffix('|')?.trim();
    (!text.is_empty()).then_some(text)
}

fn is_lone_pipe(line: &str) -> bool {
    line.trim() == "|"
}

fn next_nonblank(lines: &[&str], mut i: usize) -> usize {
    while lines.get(i).is_some_and(|l| l.trim().is_empty()) {
        i += 1;
    }
    i
}

/// Whether a table in this layout starts at line `i` (0-based): `Parameter |`, or a lone
/// pipe followed by it.
pub(super) fn starts(lines: &[&str], i: usize) -> bool {
    let is_first_header_cell =
        |l: &str| cell_text(l).is_some_and(|t| column_word(t) == Some("parameter"));
    match lines.get(i) {
        Some(l) if is_lone_pipe(l) => lines
            .get(next_nonblank(lines, i + 1))
            .is_some_and(|l| is_first_header_cell(l)),
        Some(l) => is_first_header_cell(l),
        None => false,
    }
}

/// Reads the table starting at line `start`; returns it and the index of the first line
/// after it.
pub(super) fn read(lines: &[&str], start: usize) -> Result<(RawTable, usize), ParseError> {
    let mut i = start;
    let lone = is_lone_pipe(lines[i]);
    if lone {
        i = next_nonblank(lines, i + 1);
    }
    let header_line = i;
    let indented = lines[i].starts_with([' ', '\t']);
    let layout = match (indented, lone) {
        (true, _) => Layout::Indented,
        (false, true) => Layout::LonePipe,
        (false, false) => Layout::CellPipe,
    };

    // The header cells, up to the separator.
    let mut columns: Vec<String> = Vec::new();
    loop {
        i = next_nonblank(lines, i);
        let Some(line) = lines.get(i) else {
            return Err(line_error(
                lines,
                header_line,
                "the page ends before this table's separator row (such as |---|---|)".into(),
            ));
        };
        let cells = split_cells(line);
        if is_separator(&cells) {
            if cells.len() != columns.len() {
                return Err(line_error(
                    lines,
                    i,
                    format!(
                        "the separator row has {} cells but the header (from line {}) has {}",
                        cells.len(),
                        header_line + 1,
                        columns.len()
                    ),
                ));
            }
            i += 1;
            break;
        }
        match cell_text(line) {
            Some(text) if columns.len() < MAX_COLUMNS => {
                columns.push(text.to_string());
                i += 1;
            }
            _ => {
                return Err(line_error(
                    lines,
                    i,
                    format!(
                        "expected a header cell such as `Type |` or a separator row such as \
                         ---|---| (the table's header starts on line {})",
                        header_line + 1
                    ),
                ));
            }
        }
    }
    if header_columns(&columns).is_none() {
        return Err(line_error(
            lines,
            header_line,
            format!(
                "a table with the header cells `{}`: expected Parameter, Mandatory, Type, \
                 Description (or Parameter, Type, Description)",
                columns.join(" | ")
            ),
        ));
    }

    let n = columns.len();
    let mut rows = Vec::new();
    let mut row: Vec<RawCell> = Vec::new();
    // The lines of the cell being read: (index, text).
    let mut cell: Vec<(usize, &str)> = Vec::new();
    let mut row_start: Option<usize> = None;
    // A lone pipe between rows: if a new table follows, it belongs to that table.
    let mut opener: Option<usize> = None;
    let mid_row = |row: &[RawCell], cell: &[(usize, &str)], row_start: Option<usize>| {
        format!(
            "the row that starts on line {} has {} of the table's {n} cells",
            row_start.map_or(0, |r| r + 1),
            row.len() + usize::from(!cell.is_empty())
        )
    };
    let end = loop {
        let Some(raw) = lines.get(i) else {
            if !row.is_empty() || !cell.is_empty() {
                return Err(line_error(
                    lines,
                    lines.len().saturating_sub(1),
                    format!(
                        "the page ends inside a table row: {}",
                        mid_row(&row, &cell, row_start)
                    ),
                ));
            }
            break i;
        };
        let t = raw.trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        let between_rows = row.is_empty() && cell.is_empty();
        if between_rows {
            if is_lone_pipe(t) {
                opener.get_or_insert(i);
                i += 1;
                continue;
            }
            match cell_text(t) {
                None => break opener.unwrap_or(i),
                Some(t) if column_word(t) == Some("parameter") => break opener.unwrap_or(i),
                Some(_) => {
                    opener = None;
                    row_start = Some(i);
                }
            }
        } else if is_lone_pipe(t) {
            return Err(line_error(
                lines,
                i,
                format!(
                    "a new row starts here, but {}",
                    mid_row(&row, &cell, row_start)
                ),
            ));
        } else if heading(t).is_some() {
            return Err(line_error(
                lines,
                i,
                format!(
                    "a heading inside a table row: {}",
                    mid_row(&row, &cell, row_start)
                ),
            ));
        }
        match cell_text(t) {
            Some(text) => {
                cell.push((i, text));
                let (first, _) = cell[0];
                row.push(RawCell {
                    loc: Loc::Line(first + 1),
                    source: lines[first].to_string(),
                    text: cell.iter().map(|(_, s)| *s).collect::<Vec<_>>().join(" "),
                });
                cell.clear();
                if row.len() == n {
                    rows.push(RawRow {
                        cells: std::mem::take(&mut row),
                    });
                }
            }
            // A line of a cell that goes on.
            None => cell.push((i, t)),
        }
        i += 1;
    };
    Ok((
        RawTable {
            layout,
            loc: Loc::Line(header_line + 1),
            source: lines[header_line].to_string(),
            caption: None,
            columns,
            rows,
        },
        end,
    ))
}
