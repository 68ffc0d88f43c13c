//! The page parser on pages written for these tests, well-formed and malformed.

mod common;

use common::{PAGE, page_with, run};
use xtask::page::{self, parse};
use xtask::spec::RequiredWhen;

#[test]
fn reads_every_table_of_the_test_page() {
    let p = parse(PAGE).unwrap();
    let uri = p.uri.as_ref().unwrap();
    assert_eq!(
        (uri.method.as_str(), uri.path.as_str(), uri.line),
        ("POST", "/v1/widgets", 5)
    );

    let names = |v: &[page::PageParam]| v.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&p.headers), ["X-Key", "X-Locale"]);
    assert_eq!(
        names(&p.body),
        ["label", "origin", "kind", "zone_id", "tags", "extra"]
    );
    assert_eq!(p.responses.len(), 1);
    assert_eq!(p.responses[0].status, "200");
    assert_eq!(names(&p.responses[0].params), ["widget_id"]);
    assert_eq!(p.responses[0].params[0].mandatory, None);

    let key = &p.headers[0];
    assert_eq!(
        (key.line, key.mandatory, key.ty.as_str()),
        (9, Some(true), "String")
    );
    assert_eq!(
        (key.constraints.min_length, key.constraints.max_length),
        (Some(1), Some(100))
    );
    assert_eq!(p.headers[1].constraints.default.as_deref(), Some("en"));

    let origin = &p.body[1];
    assert_eq!(origin.constraints.fixed.as_deref(), Some("abc"));
    assert_eq!(origin.constraints.default, None);
    let zone = &p.body[3];
    assert_eq!(
        zone.constraints.required_when,
        Some(RequiredWhen {
            field: "kind".into(),
            equals: "7".into()
        })
    );
    let tags = &p.body[4];
    assert_eq!(tags.ty, "Array of strings");
    assert_eq!(
        (tags.constraints.min_items, tags.constraints.max_items),
        (Some(0), Some(3))
    );
    assert_eq!(
        (tags.constraints.min_length, tags.constraints.max_length),
        (Some(1), Some(10))
    );
    assert_eq!(p.body[5].ty, "Map<String,Object>");

    // The example ends on the "Response Example" line; the parser stops at the value.
    let ex = p.example.as_ref().unwrap();
    assert_eq!(ex.line, 26);
    assert_eq!(ex.value["label"], "blue");
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn windows_line_endings_and_outer_pipes_are_fine() {
    let page = PAGE
        .replace("|---|---|---|---|", "| --- | --- | --- | --- |")
        .replace('\n', "\r\n");
    let p = parse(&page).unwrap();
    assert_eq!(p.body.len(), 6);
    assert_eq!(
        p.body[0].description,
        "A label. Minimum length: 0 Maximum length: 40"
    );
}

#[test]
fn default_wordings() {
    for (text, want) in [
        ("It is zh by default.", Some("zh")),
        ("The default value is 30.", Some("30")),
        ("Default: GMT+8", Some("GMT+8")),
        ("Shown by default in lists.", None),
        ("Nothing here.", None),
    ] {
        let c = page::parse_constraints(text).unwrap();
        assert_eq!(c.default.as_deref(), want, "{text}");
    }
}

#[test]
fn an_example_that_is_not_json_is_a_warning() {
    let page = page_with("\"origin\" : \"abc\"\n}", "\"origin\" : \"abc\",,\n}");
    let p = parse(&page).unwrap();
    assert!(p.example.is_none());
    assert!(
        p.notes[0].starts_with("the request example (line 26) is not valid JSON"),
        "{:?}",
        p.notes
    );
    let out = run(&page, false);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout
            .contains("warning: the request example (line 26) is not valid JSON")
    );
}

#[test]
fn a_third_request_table_is_noted_not_compared() {
    let page = page_with(
        "Response Parameters",
        "Parameter | Mandatory | Type | Description |\n|---|---|---|---|\nnested | No | String | x |\nResponse Parameters",
    );
    let p = parse(&page).unwrap();
    assert_eq!(p.body.len(), 6);
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].contains("request table 3"), "{:?}", p.notes);
}

/// Exit 2, with the line number and the line's text on standard error.
fn expect_unparseable(page: &str, line: usize, text: &str, message: &str) {
    let err = parse(page).unwrap_err();
    assert_eq!(err.line, line, "{err}");
    assert_eq!(err.text, text, "{err}");
    assert!(err.message.contains(message), "{err}");
    let out = run(page, false);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(&format!("line {line}: ")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{line:>5} | {text}")),
        "{}",
        out.stderr
    );
}

#[test]
fn no_tables() {
    expect_unparseable(
        "Making a Widget\nRequest Parameters\nThere are none.\nResponse Parameters\n",
        2,
        "Request Parameters",
        "no `Parameter | Mandatory | Type | Description |` table",
    );
    expect_unparseable(
        "just some text\nand more\n",
        2,
        "and more",
        "no `Request Parameters` heading",
    );
    expect_unparseable("", 0, "", "no `Request Parameters` heading");
}

#[test]
fn a_row_with_the_wrong_number_of_cells() {
    expect_unparseable(
        &page_with(
            "kind | No | String | A kind. Maximum length: 4 |",
            "kind | No | A kind. |",
        ),
        15,
        "kind | No | A kind. |",
        "this row has 3 cells but the table (header on line 11) has 4 columns",
    );
    // A pipe inside a description splits it: also the wrong count.
    expect_unparseable(
        &page_with("A kind. Maximum", "A | kind. Maximum"),
        15,
        "kind | No | String | A | kind. Maximum length: 4 |",
        "has 5 cells",
    );
}

#[test]
fn an_unparsable_length() {
    expect_unparseable(
        &page_with("Maximum length: 40", "Maximum length: forty"),
        13,
        "label | Yes | String | A label. Minimum length: 0 Maximum length: forty |",
        "label: `Maximum length:` is followed by `forty`, not a number",
    );
    expect_unparseable(
        &page_with("Array length: 0 - 3", "Array length: few"),
        17,
        "tags | No | Array of strings | Some tags. Minimum length: 1 Maximum length: 10 Array length: few |",
        "`Array length:` must be followed by `MIN - MAX`",
    );
    expect_unparseable(
        &page_with(
            "Maximum length: 40",
            "Maximum length: 99999999999999999999999",
        ),
        13,
        "label | Yes | String | A label. Minimum length: 0 Maximum length: 99999999999999999999999 |",
        "not a number",
    );
}

#[test]
fn other_malformed_rows_and_tables() {
    expect_unparseable(
        &page_with("kind | No |", "kind | Maybe |"),
        15,
        "kind | Maybe | String | A kind. Maximum length: 4 |",
        "the Mandatory cell of kind is `Maybe`",
    );
    expect_unparseable(
        &page_with("kind | No | String |", "kind | No |  |"),
        15,
        "kind | No |  | A kind. Maximum length: 4 |",
        "the Type cell of kind is empty",
    );
    // A header row with no separator after it.
    let page = PAGE.replacen(
        "Parameter | Mandatory | Type | Description |\n|---|---|---|---|\nX-Key",
        "Parameter | Mandatory | Type | Description |\nX-Key",
        1,
    );
    expect_unparseable(
        &page,
        8,
        "X-Key | Yes | String | Key of the caller. Minimum length: 1 Maximum length: 100 |",
        "expected a separator row",
    );
    // Rows under a heading with no header row.
    expect_unparseable(
        "Request Parameters\na | Yes | String | x |\n",
        2,
        "a | Yes | String | x |",
        "no `Parameter | ... | Description |` header row before it",
    );
    // A response table before any status line.
    expect_unparseable(
        &PAGE.replacen("Status code: 200\n", "", 1),
        20,
        "Parameter | Type | Description |",
        "must follow a `Status code: N` line",
    );
    // URI heading not followed by a method and path.
    expect_unparseable(
        &page_with("POST /v1/widgets\n", "somewhere\n"),
        5,
        "somewhere",
        "expected `METHOD /path`",
    );
}
