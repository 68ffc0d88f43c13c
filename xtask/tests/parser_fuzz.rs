//! Property: the page reader (and the comparison after it) never panics, whatever the
//! page: arbitrary text, text and HTML built from every layout's own pieces, and the
//! project's rendered pages in every layout with their lines mutated.

mod common;

use proptest::prelude::*;
use xtask::drift::{self, SpecOperation};
use xtask::page::{self, Layout};

fn parse_and_compare(text: &str, ops: &[SpecOperation]) {
    if let Ok(p) = page::parse(text) {
        // Errors are fine (no URI and several operations...); panics are not.
        let _ = drift::compare(&p, ops);
    }
}

fn real_ops() -> Vec<SpecOperation> {
    drift::operations(&common::real_spec()).expect("the spec's operations")
}

/// The true page of `create_case` in every layout, rendered once.
fn pages() -> &'static [String] {
    static PAGES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    PAGES.get_or_init(|| {
        let op = common::create_case();
        Layout::ALL.iter().map(|l| common::page(&op, *l)).collect()
    })
}

/// Lines that look like the text layouts', to get deep into the readers quickly.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Request Parameters".to_string()),
        Just("Response Parameters".to_string()),
        Just("Request Example".to_string()),
        Just("} Response Example".to_string()),
        Just("URI".to_string()),
        Just("POST /v2/servicerequest/cases".to_string()),
        Just("GET /v1/widgets/{widget_id}?limit=1".to_string()),
        Just("Status code: 200".to_string()),
        Just("Table 2 Request body parameters".to_string()),
        Just("Table 1 Path Parameters".to_string()),
        Just("Parameter | Mandatory | Type | Description |".to_string()),
        Just("| Parameter | Type | Description | ".to_string()),
        Just("|---|---|---|---|".to_string()),
        Just("---|---|---|".to_string()),
        Just("|".to_string()),
        Just("| ".to_string()),
        Just("Parameter |".to_string()),
        Just("        Mandatory  | ".to_string()),
        Just("Type |".to_string()),
        Just("Description |".to_string()),
        Just("Parameter".to_string()),
        Just("Mandatory".to_string()),
        Just("Type".to_string()),
        Just("Description".to_string()),
        Just("Yes".to_string()),
        Just("No |".to_string()),
        Just("String".to_string()),
        Just("Array of strings |".to_string()),
        Just(String::new()),
        Just("{".to_string()),
        Just("\"a\" : [ ],".to_string()),
        "[a-z_]{1,8}( \\|)?",
        "[a-z_]{1,8} \\| (Yes|No|Maybe) \\| (String|Integer|Array of strings) \\| .{0,40}\\|",
        "(Minimum length|Maximum length|Array length): ?[0-9 -]{0,6}( \\|)?",
        "[^\n]{0,40}",
    ]
}

/// Pieces of HTML: the vendor's elements, open and closed in any order.
fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<table>".to_string()),
        Just("</table>".to_string()),
        Just("<caption>Table 1 Request header parameters</caption>".to_string()),
        Just("<caption>Table 3 Response body parameters".to_string()),
        Just("<tr>".to_string()),
        Just("</tr>".to_string()),
        Just(
            "<th><p>Parameter</p></th><th>Mandatory</th><th>Type</th><th>Description</th>"
                .to_string()
        ),
        Just("<th>Parameter</th><th>Type</th><th>Description</th>".to_string()),
        Just("<td>".to_string()),
        Just("</td>".to_string()),
        Just("<td><p>x-a</p></td><td>Yes</td><td>String</td>".to_string()),
        Just("<p>Minimum length: <strong>1</strong></p>".to_string()),
        Just("<p>Array length: 0 - 5</p>".to_string()),
        Just("<h4>URI</h4><p>POST /v2/servicerequest/cases</p>".to_string()),
        Just("<h4>Request Parameters</h4>".to_string()),
        Just("<h4>Response Parameters</h4><p>Status code: 200</p>".to_string()),
        Just("<h4>Request Example</h4><pre>{\"a\": 1,".to_string()),
        Just("</pre>".to_string()),
        Just("<nav><a>URI</a>".to_string()),
        Just("<li>Request Parameters</li>".to_string()),
        Just("<br>".to_string()),
        Just("<script>".to_string()),
        "<[a-z]{1,6}>",
        "</[a-z]{1,6}>",
        "[^<]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(text in any::<String>()) {
        let _ = page::parse(&text);
    }

    #[test]
    fn arbitrary_constraints(text in any::<String>()) {
        let _ = page::parse_constraints(&text);
    }

    #[test]
    fn pieces_of_the_text_layouts(lines in prop::collection::vec(piece(), 0..60)) {
        parse_and_compare(&lines.join("\n"), &real_ops());
    }

    #[test]
    fn pieces_of_html(pieces in prop::collection::vec(html_piece(), 0..80)) {
        let text = format!("<!DOCTYPE html><html><body>{}", pieces.concat());
        parse_and_compare(&text, &real_ops());
    }

    #[test]
    fn mutations_of_the_rendered_pages_in_every_layout(
        layout in 0..Layout::ALL.len(),
        edits in prop::collection::vec((0usize..2000, 0u8..6, any::<String>(), 0usize..300), 1..6)
    ) {
        let mut lines: Vec<String> = pages()[layout].lines().map(str::to_string).collect();
        for (at, kind, junk, pos) in edits {
            if lines.is_empty() {
                lines.push(junk);
                continue;
            }
            let i = at % lines.len();
            match kind {
                0 => { lines.remove(i); }
                1 => { let l = lines[i].clone(); lines.insert(i, l); }
                2 => lines[i] = junk,
                3 => {
                    // Insert a pipe (or, in HTML, a tag's bracket) at a character boundary.
                    let l = &mut lines[i];
                    let cut = l.char_indices().map(|(k, _)| k).nth(pos).unwrap_or(l.len());
                    l.insert(cut, if pos % 2 == 0 { '|' } else { '<' });
                }
                4 => {
                    // Truncate at a character boundary.
                    let l = &mut lines[i];
                    let cut = l.char_indices().map(|(k, _)| k).nth(pos).unwrap_or(l.len());
                    l.truncate(cut);
                }
                _ => { let j = pos % lines.len(); lines.swap(i, j); }
            }
        }
        parse_and_compare(&lines.join("\n"), &real_ops());
    }
}

#[test]
fn every_rendered_page_is_read() {
    // The starting point of the mutations is a page the reader reads.
    for (layout, text) in Layout::ALL.iter().zip(pages()) {
        let p = page::parse(text).unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(p.layout, Some(*layout));
    }
}
