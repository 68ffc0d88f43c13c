//! Property: the page parser (and the comparison after it) never panics, whatever the
//! page: arbitrary text, text built from the layout's own pieces, and the vendor's page
//! with its lines mutated.

mod common;

use proptest::prelude::*;
use xtask::page;
use xtask::spec::Spec;

fn parse_and_compare(text: &str, spec: &Spec) {
    if let Ok(p) = page::parse(text) {
        // Errors are fine (no URI and several operations...); panics are not.
        let _ = xtask::drift::compare(&p, spec);
    }
}

fn real_spec() -> Spec {
    Spec::load(&xtask::default_spec_path()).expect("spec/osm.yaml loads")
}

/// Lines that look like the layout's, to get deep into the parser quickly.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Request Parameters".to_string()),
        Just("Response Parameters".to_string()),
        Just("Request Example".to_string()),
        Just("} Response Example".to_string()),
        Just("URI".to_string()),
        Just("POST /v2/servicerequest/cases".to_string()),
        Just("Status code: 200".to_string()),
        Just("Parameter | Mandatory | Type | Description |".to_string()),
        Just("Parameter | Type | Description |".to_string()),
        Just("|---|---|---|---|".to_string()),
        Just("|---|---|---|".to_string()),
        Just("{".to_string()),
        Just("\"a\" : [ ],".to_string()),
        "[a-z_]{1,8} \\| (Yes|No|Maybe) \\| (String|Integer|Array of strings) \\| .{0,40}\\|",
        "(Minimum length|Maximum length|Array length): ?[0-9 -]{0,6}",
        "[^\n]{0,40}",
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
    fn pieces_of_the_layout(lines in prop::collection::vec(piece(), 0..40)) {
        parse_and_compare(&lines.join("\n"), &real_spec());
    }

    #[test]
    fn mutations_of_the_vendor_page(
        edits in prop::collection::vec((0usize..1000, 0u8..6, any::<String>(), 0usize..200), 1..6)
    ) {
        let mut lines: Vec<String> = common::real_page().lines().map(str::to_string).collect();
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
                    // Insert a pipe at a character boundary.
                    let l = &mut lines[i];
                    let cut = l.char_indices().map(|(k, _)| k).nth(pos).unwrap_or(l.len());
                    l.insert(cut, '|');
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
        parse_and_compare(&lines.join("\n"), &real_spec());
    }
}
