//! One test per kind of drift, on pages rendered from `tests/fixtures/mini.yaml` in every
//! layout with one fact changed (in the model the page is rendered from, so that every
//! layout carries the same change); and what `--apply` does with each.

mod common;

use common::{
    changed_lines, drift_lines, field, gadgets, insert_before, lines_with, mini_spec,
    mini_spec_path, new_field, operation, page, remove, run, widget,
};
use xtask::drift::{self, PageText, Place, SpecOperation};
use xtask::page::{self, Layout};
use xtask::render;
use xtask::spec::Spec;

fn header() -> Place {
    Place::Header
}

fn body() -> Place {
    Place::Body
}

fn ok200() -> Place {
    Place::Response("200".into())
}

/// Expects exit 1 and exactly `expected` as drift lines, in every layout.
fn expect_drift(op: &SpecOperation, expected: &[&str]) {
    for layout in Layout::ALL {
        let out = run(&page(op, layout), false);
        assert_eq!(
            out.code, 1,
            "{layout}:\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        assert_eq!(
            drift_lines(&out.stdout),
            expected,
            "{layout}:\n{}",
            out.stdout
        );
    }
}

/// Runs `--apply` on the page of `op` in every layout, expects `code` and the same edit
/// in each; returns (removed, added) spec lines and the output of the last layout.
fn apply(op: &SpecOperation, code: u8) -> (Vec<String>, Vec<String>, String) {
    let old = mini_spec().text;
    let mut result: Option<(Vec<String>, Vec<String>)> = None;
    let mut stdout = String::new();
    for layout in Layout::ALL {
        let text = page(op, layout);
        let out = run(&text, true);
        assert_eq!(
            out.code, code,
            "{layout}:\nstdout:\n{}\nstderr:\n{}",
            out.stdout, out.stderr
        );
        let new = out.new_spec.clone().unwrap_or_else(|| old.clone());
        let changed = changed_lines(&old, &new);
        // Applying made the page and the new spec agree on what was applied.
        if code == 0 {
            let spec = Spec::from_text(&mini_spec_path(), new).unwrap();
            let again = drift::run_text("page", &text, &spec, false);
            assert_eq!(again.code, 0, "{layout}: after --apply:\n{}", again.stdout);
        }
        if let Some(first) = &result {
            assert_eq!(first, &changed, "{layout} edits the spec differently");
        }
        result = Some(changed);
        stdout = out.stdout;
    }
    let (removed, added) = result.unwrap();
    (removed, added, stdout)
}

#[test]
fn matching_page_is_no_drift_and_lists_declared_deviations() {
    for layout in Layout::ALL {
        let out = run(&page(&widget(), layout), false);
        assert_eq!(out.code, 0, "{layout}: {}{}", out.stdout, out.stderr);
        assert!(drift_lines(&out.stdout).is_empty());
        assert!(out.stdout.contains(
            "declared deviation: header X-Zone is in the spec but not on the page: Not on the vendor's page; sent anyway.\n"
        ), "{layout}: {}", out.stdout);
        assert!(out.stdout.contains(
            "declared deviation: response 200 field note is in the spec but not on the page: Not in the page's table.\n"
        ));
        assert_eq!(
            lines_with(&out.stdout, "info: "),
            ["info: GET /v1/gadgets (list_gadgets): no page given, not compared"]
        );
        assert!(out.stdout.ends_with(
            "no drift: the spec matches the page (2 declared deviations, 0 warnings)\n"
        ));
    }
}

#[test]
fn parameter_added_on_the_page() {
    let mut op = widget();
    insert_before(
        &mut op,
        &body(),
        "extra",
        new_field("colour", false, "String", "A colour."),
    );
    expect_drift(
        &op,
        &["drift: body parameter colour: on the page (Mandatory No, String) but not in the spec"],
    );
    // Not a pure fact: --apply leaves it and says so.
    let (removed, added, stdout) = apply(&op, 1);
    assert!(removed.is_empty() && added.is_empty());
    assert!(stdout.contains("left for the maintainer: body parameter colour: on the page"));
}

#[test]
fn parameter_removed_from_the_page() {
    let mut op = widget();
    remove(&mut op, &body(), "kind");
    expect_drift(
        &op,
        &["drift: body parameter kind: in the spec (Mandatory No, String) but not on the page"],
    );
    let (removed, added, _) = apply(&op, 1);
    assert!(removed.is_empty() && added.is_empty());
}

#[test]
fn header_added_and_removed() {
    let mut op = widget();
    insert_before(
        &mut op,
        &header(),
        "X-Key",
        new_field("X-Trace", false, "String", "A trace id."),
    );
    expect_drift(
        &op,
        &["drift: header X-Trace: on the page (Mandatory No, String) but not in the spec"],
    );
    let mut op = widget();
    remove(&mut op, &header(), "X-Key");
    expect_drift(
        &op,
        &["drift: header X-Key: in the spec (Mandatory Yes, String) but not on the page"],
    );
}

#[test]
fn header_names_compare_case_insensitively() {
    let mut op = widget();
    field(&mut op, &header(), "X-Locale").name = "x-locale".into();
    for layout in Layout::ALL {
        let out = run(&page(&op, layout), false);
        assert_eq!(out.code, 0, "{layout}: {}", out.stdout);
    }
}

#[test]
fn body_mandatory_changed_and_applied_as_one_list_item() {
    let mut op = widget();
    field(&mut op, &body(), "kind").required = true;
    expect_drift(
        &op,
        &["drift: body parameter kind: Mandatory differs: page Yes, spec No"],
    );
    let (removed, added, stdout) = apply(&op, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["        - kind"]);
    assert!(stdout.contains("applied: body parameter kind: Mandatory differs"));

    // And the other way: dropped from the list.
    let mut op = widget();
    field(&mut op, &body(), "label").required = false;
    expect_drift(
        &op,
        &["drift: body parameter label: Mandatory differs: page No, spec Yes"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["        - label"]);
    assert!(added.is_empty());
}

#[test]
fn header_mandatory_changed_and_applied_in_place() {
    let mut op = widget();
    field(&mut op, &header(), "X-Locale").required = true;
    expect_drift(
        &op,
        &["drift: header X-Locale: Mandatory differs: page Yes, spec No"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["      required: false"]);
    assert_eq!(added, ["      required: true"]);
}

#[test]
fn type_changed_is_left_for_the_maintainer() {
    let mut op = widget();
    field(&mut op, &body(), "kind").ty = "Integer".into();
    expect_drift(
        &op,
        &["drift: body parameter kind: Type differs: page Integer, spec String"],
    );
    let (removed, added, stdout) = apply(&op, 1);
    assert!(removed.is_empty() && added.is_empty());
    assert!(stdout.contains("left for the maintainer: body parameter kind: Type differs"));
}

#[test]
fn max_length_changed_and_applied() {
    let mut op = widget();
    field(&mut op, &body(), "label").constraints.max_length = Some(60);
    expect_drift(
        &op,
        &["drift: body parameter label: Maximum length differs: page 60, spec 40"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["          maxLength: 40"]);
    assert_eq!(added, ["          maxLength: 60"]);
}

#[test]
fn min_length_added_is_inserted_as_one_line() {
    let mut op = widget();
    field(&mut op, &header(), "X-Locale").constraints.min_length = Some(2);
    expect_drift(
        &op,
        &["drift: header X-Locale: Minimum length differs: page 2, spec none"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["        minLength: 2"]);
}

#[test]
fn min_length_dropped_is_removed_as_one_line() {
    let mut op = widget();
    field(&mut op, &body(), "label").constraints.min_length = None;
    expect_drift(
        &op,
        &["drift: body parameter label: Minimum length differs: page none, spec 0"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["          minLength: 0"]);
    assert!(added.is_empty());
}

#[test]
fn array_length_changed_and_applied() {
    let mut op = widget();
    let tags = field(&mut op, &body(), "tags");
    tags.constraints.min_items = Some(1);
    tags.constraints.max_items = Some(5);
    expect_drift(
        &op,
        &[
            "drift: body parameter tags: minimum array length differs: page 1, spec 0",
            "drift: body parameter tags: maximum array length differs: page 5, spec 3",
        ],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["          minItems: 0", "          maxItems: 3"]);
    assert_eq!(added, ["          minItems: 1", "          maxItems: 5"]);
}

#[test]
fn item_length_of_an_array_is_the_items_length() {
    let mut op = widget();
    field(&mut op, &body(), "tags").constraints.max_length = Some(12);
    expect_drift(
        &op,
        &["drift: body parameter tags: Maximum length differs: page 12, spec 10"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["            maxLength: 10"]);
    assert_eq!(added, ["            maxLength: 12"]);
}

#[test]
fn default_changed_and_applied() {
    let mut op = widget();
    field(&mut op, &header(), "X-Locale").constraints.default = Some("fr".into());
    expect_drift(
        &op,
        &["drift: header X-Locale: default differs: page fr, spec en"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["        default: en"]);
    assert_eq!(added, ["        default: fr"]);
}

#[test]
fn default_that_yaml_would_misread_is_quoted() {
    let mut op = widget();
    field(&mut op, &header(), "X-Locale").constraints.default = Some("0".into());
    let (_, added, _) = apply(&op, 0);
    assert_eq!(added, ["        default: \"0\""]);
}

#[test]
fn default_added_and_dropped() {
    let mut op = widget();
    field(&mut op, &body(), "kind").constraints.default = Some("std".into());
    expect_drift(
        &op,
        &["drift: body parameter kind: default differs: page std, spec none"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["          default: std"]);

    let mut op = widget();
    field(&mut op, &header(), "X-Locale").constraints.default = None;
    expect_drift(
        &op,
        &["drift: header X-Locale: default differs: page none, spec en"],
    );
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["        default: en"]);
    assert!(added.is_empty());
}

#[test]
fn fixed_value_changed_is_left_for_the_maintainer() {
    let original = widget();
    let mut op = original.clone();
    field(&mut op, &body(), "origin").constraints.fixed = Some("xyz".into());
    expect_drift(
        &op,
        &["drift: body parameter origin: fixed value differs: page xyz, spec abc"],
    );
    // With the old example, the example contradicts the page's own table: a warning, not
    // drift.
    let example = render::request_example(&original);
    for layout in Layout::ALL {
        let text = render::render_with_example(&op, layout, example.as_ref());
        let out = run(&text, false);
        let at = page::parse(&text).unwrap().example.unwrap().loc;
        assert_eq!(out.code, 1);
        assert!(out.stdout.contains(&format!(
            "warning: the request example ({at}) gives origin as the string \"abc\", but the page's table fixes it to xyz\n"
        )), "{layout}: {}", out.stdout);
    }
    let (removed, added, _) = apply(&op, 1);
    assert!(removed.is_empty() && added.is_empty());
}

#[test]
fn conditional_requirement_changed() {
    let mut op = widget();
    field(&mut op, &body(), "zone_id")
        .constraints
        .required_when
        .as_mut()
        .unwrap()
        .equals = "8".into();
    expect_drift(
        &op,
        &["drift: body parameter zone_id: mandatory when differs: page kind is 8, spec kind is 7"],
    );
    let mut op = widget();
    field(&mut op, &body(), "zone_id").constraints.required_when = None;
    expect_drift(
        &op,
        &["drift: body parameter zone_id: mandatory when differs: page none, spec kind is 7"],
    );
}

#[test]
fn response_field_changed() {
    let mut op = widget();
    field(&mut op, &ok200(), "widget_id").ty = "Integer".into();
    expect_drift(
        &op,
        &["drift: response 200 field widget_id: Type differs: page Integer, spec String"],
    );
    let mut op = widget();
    op.tables
        .iter_mut()
        .find(|t| t.place == ok200())
        .unwrap()
        .fields
        .push(new_field("state", false, "String", "Its state."));
    expect_drift(
        &op,
        &["drift: response 200 field state: on the page (String) but not in the spec"],
    );
    let mut op = widget();
    field(&mut op, &ok200(), "widget_id").constraints.max_length = Some(24);
    let (removed, added, _) = apply(&op, 0);
    assert_eq!(removed, ["          maxLength: 20"]);
    assert_eq!(added, ["          maxLength: 24"]);
}

#[test]
fn response_status_added_and_removed() {
    let mut op = widget();
    op.tables
        .iter_mut()
        .find(|t| t.place == ok200())
        .unwrap()
        .place = Place::Response("201".into());
    expect_drift(
        &op,
        &[
            "drift: response 201: on the page but not in the spec",
            "drift: response 200: in the spec but not on the page",
        ],
    );
}

#[test]
fn a_page_of_an_operation_the_spec_lacks() {
    let mut op = widget();
    op.path = "/v2/widgets".into();
    expect_drift(
        &op,
        &[
            "drift: URI: the page documents POST /v2/widgets, which is not an operation of the \
           spec (it has POST /v1/widgets, GET /v1/gadgets)",
        ],
    );
    let out = run(&page(&op, Layout::Markdown), false);
    assert!(out.stdout.starts_with(
        "page test page: POST /v2/widgets (not in the spec), read as Markdown rows\n"
    ));
    assert_eq!(
        lines_with(&out.stdout, "info: "),
        [
            "info: POST /v1/widgets (make_widget): no page given, not compared",
            "info: GET /v1/gadgets (list_gadgets): no page given, not compared",
        ]
    );
    let (removed, added, stdout) = apply(&op, 1);
    assert!(removed.is_empty() && added.is_empty());
    assert!(stdout.contains("left for the maintainer: URI: the page documents POST /v2/widgets"));
}

#[test]
fn declared_deviation_covers_mandatory_but_not_limits() {
    // X-Zone has x-upstream-deviation: a Mandatory difference is reported as declared.
    let spec_op = operation(&mini_spec(), "make_widget");
    let mut zone = spec_op.table(&header())[2].clone();
    assert_eq!(zone.name, "X-Zone");
    zone.required = true;
    let mut op = widget();
    insert_before(&mut op, &header(), "X-Locale", zone.clone());
    for layout in Layout::ALL {
        let out = run(&page(&op, layout), false);
        assert_eq!(out.code, 0, "{layout}: {}", out.stdout);
        assert!(out.stdout.contains(
            "declared deviation: header X-Zone (Mandatory: page Yes, spec No): Not on the vendor's page; sent anyway.\n"
        ), "{layout}: {}", out.stdout);
    }
    // A limit on the same header is still drift.
    field(&mut op, &header(), "X-Zone").constraints.max_length = Some(3);
    expect_drift(
        &op,
        &["drift: header X-Zone: Maximum length differs: page 3, spec none"],
    );
}

#[test]
fn example_contradictions_are_warnings_not_drift() {
    let op = widget();
    let example = serde_json::json!({
        "label": 5,
        "origin": "abc",
        "extra": [],
        "tags": ["a", "b", "c", "d"],
        "colour": "red",
    });
    for layout in Layout::ALL {
        let text = render::render_with_example(&op, layout, Some(&example));
        let at = page::parse(&text).unwrap().example.unwrap().loc;
        let out = run(&text, false);
        assert_eq!(out.code, 0, "{layout}: {}", out.stdout);
        assert_eq!(
            lines_with(&out.stdout, "warning: "),
            [
                format!(
                    "warning: the request example ({at}) gives label as the number 5, but the page's table says String"
                ),
                format!(
                    "warning: the request example ({at}) gives tags more items than its maximum 3"
                ),
                format!(
                    "warning: the request example ({at}) gives extra as an empty array `[ ]`, but the page's table says Map<String,Object>"
                ),
                format!(
                    "warning: the request example ({at}) has colour, which the page's table does not list"
                ),
            ],
            "{layout}"
        );
    }
}

#[test]
fn several_differences_one_line_each_and_partial_apply() {
    let mut op = widget();
    field(&mut op, &body(), "label").constraints.max_length = Some(41);
    field(&mut op, &body(), "kind").ty = "Integer".into();
    for layout in Layout::ALL {
        let out = run(&page(&op, layout), true);
        assert_eq!(out.code, 1, "{layout}: {}", out.stdout);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert!(
            lines
                .contains(&"drift: body parameter label: Maximum length differs: page 41, spec 40")
        );
        assert!(
            lines.contains(&"drift: body parameter kind: Type differs: page Integer, spec String")
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("applied: body parameter label: Maximum length differs"))
        );
        assert!(lines.contains(
            &"left for the maintainer: body parameter kind: Type differs: page Integer, spec String"
        ));
        assert!(out.new_spec.is_some());
    }
}

fn texts(pages: &[(&str, String)]) -> Vec<PageText> {
    pages
        .iter()
        .map(|(name, text)| PageText {
            name: name.to_string(),
            text: text.clone(),
        })
        .collect()
}

#[test]
fn every_operation_with_its_page() {
    let spec = mini_spec();
    let pages = texts(&[
        ("widget.html", page(&widget(), Layout::Html)),
        ("gadgets.txt", page(&gadgets(), Layout::LonePipe)),
    ]);
    let out = drift::run_pages(&pages, &spec, false);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines_with(&out.stdout, "page "),
        [
            "page widget.html: POST /v1/widgets (make_widget), read as HTML",
            "page gadgets.txt: GET /v1/gadgets (list_gadgets), read as lone-pipe rows",
        ]
    );
    assert!(
        lines_with(&out.stdout, "info: ").is_empty(),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.ends_with(
            "no drift: the spec matches the 2 pages (3 declared deviations, 0 warnings)\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn apply_edits_every_operation() {
    let spec = mini_spec();
    let mut w = widget();
    field(&mut w, &body(), "label").constraints.max_length = Some(50);
    let mut g = gadgets();
    field(&mut g, &ok200(), "cursor").constraints.max_length = Some(128);
    field(&mut g, &ok200(), "names").constraints.max_items = Some(20);
    let pages = texts(&[
        ("w.txt", page(&w, Layout::CellPipe)),
        ("g.html", page(&g, Layout::Html)),
    ]);
    let out = drift::run_pages(&pages, &spec, false);
    assert_eq!(out.code, 1);
    assert_eq!(
        drift_lines(&out.stdout),
        [
            "drift: body parameter label: Maximum length differs: page 50, spec 40",
            "drift: response 200 field names: maximum array length differs: page 20, spec 10",
            "drift: response 200 field cursor: Maximum length differs: page 128, spec 64",
        ]
    );
    let out = drift::run_pages(&pages, &spec, true);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines_with(&out.stdout, "applied: ").len(),
        3,
        "{}",
        out.stdout
    );
    let new = out.new_spec.unwrap();
    let (removed, added) = changed_lines(&spec.text, &new);
    // Three facts, three lines (the first and last change bound the diff).
    assert_eq!(
        removed.first().map(String::as_str),
        Some("          maxLength: 40")
    );
    assert_eq!(
        added.first().map(String::as_str),
        Some("          maxLength: 50")
    );
    assert_eq!(
        removed.last().map(String::as_str),
        Some("          maxLength: 64")
    );
    assert_eq!(
        added.last().map(String::as_str),
        Some("          maxLength: 128")
    );
    assert_eq!(spec.text.lines().count(), new.lines().count());
    let edited = Spec::from_text(&mini_spec_path(), new).unwrap();
    assert_eq!(drift::run_pages(&pages, &edited, false).code, 0);
}

#[test]
fn two_copies_that_disagree_leave_the_fact_to_the_maintainer() {
    let spec = mini_spec();
    let mut a = widget();
    field(&mut a, &body(), "label").constraints.max_length = Some(50);
    field(&mut a, &body(), "kind").constraints.max_length = Some(5);
    let mut b = widget();
    field(&mut b, &body(), "label").constraints.max_length = Some(60);
    field(&mut b, &body(), "kind").constraints.max_length = Some(5);
    let pages = texts(&[
        ("eu.html", page(&a, Layout::Html)),
        ("intl.txt", page(&b, Layout::Paragraphs)),
    ]);
    let out = drift::run_pages(&pages, &spec, true);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines_with(&out.stdout, "left for the maintainer: "),
        [
            "left for the maintainer: body parameter label: Maximum length differs: page 50, spec 40 (the pages disagree) [eu.html]",
            "left for the maintainer: body parameter label: Maximum length differs: page 60, spec 40 (the pages disagree) [intl.txt]",
        ]
    );
    // What both say is applied, once.
    assert_eq!(
        lines_with(&out.stdout, "applied: ").len(),
        1,
        "{}",
        out.stdout
    );
    let (removed, added) = changed_lines(&spec.text, &out.new_spec.unwrap());
    assert_eq!(removed, ["          maxLength: 4"]);
    assert_eq!(added, ["          maxLength: 5"]);

    // A copy that agrees with the spec disputes a change the other copy shows.
    let pages = texts(&[
        ("eu.html", page(&widget(), Layout::Html)),
        ("intl.txt", page(&b, Layout::Paragraphs)),
    ]);
    let out = drift::run_pages(&pages, &spec, true);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines_with(&out.stdout, "left for the maintainer: ").len(),
        2
    );
    assert!(lines_with(&out.stdout, "applied: ").is_empty());
    assert!(out.new_spec.is_none());

    // Two copies that agree: each fact applied once.
    let pages = texts(&[
        ("eu.html", page(&a, Layout::Html)),
        ("intl.md", page(&a, Layout::Markdown)),
    ]);
    let out = drift::run_pages(&pages, &spec, true);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(
        lines_with(&out.stdout, "applied: ").len(),
        2,
        "{}",
        out.stdout
    );
}

#[test]
fn an_unreadable_page_stops_apply() {
    let spec = mini_spec();
    let mut w = widget();
    field(&mut w, &body(), "label").constraints.max_length = Some(50);
    let pages = texts(&[
        ("w.txt", page(&w, Layout::PipeRows)),
        ("bad.txt", "Request Parameters\nnothing here\n".into()),
    ]);
    let out = drift::run_pages(&pages, &spec, true);
    assert_eq!(out.code, 2);
    assert!(out.new_spec.is_none());
    assert!(
        out.stderr
            .contains("error: bad.txt cannot be read: line 1: no parameter table"),
        "{}",
        out.stderr
    );
    assert_eq!(
        drift_lines(&out.stdout),
        ["drift: body parameter label: Maximum length differs: page 50, spec 40"]
    );
    assert!(
        lines_with(&out.stdout, "info: ").is_empty(),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with(
        "1 difference between the page that could be read and the spec (2 declared deviations, 0 warnings); 1 page could not be read\n"
    ), "{}", out.stdout);
}
