//! One test per kind of drift, on small pages written for these tests (see
//! `common::PAGE`) against `tests/fixtures/mini.yaml`; and what `--apply` does with each.

mod common;

use common::{PAGE, changed_lines, page_with, run};

/// The `drift:` lines of an output.
fn drift_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("drift: "))
        .collect()
}

/// Runs `page`, expects exit 1 and exactly `expected` as drift lines.
fn expect_drift(page: &str, expected: &[&str]) {
    let out = run(page, false);
    assert_eq!(
        out.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    assert_eq!(
        drift_lines(&out.stdout),
        expected,
        "stdout:\n{}",
        out.stdout
    );
}

/// Runs `page` with `--apply`, expects `code`, and returns (removed, added) spec lines.
fn apply(page: &str, code: u8) -> (Vec<String>, Vec<String>, String) {
    let out = run(page, true);
    assert_eq!(
        out.code, code,
        "stdout:\n{}\nstderr:\n{}",
        out.stdout, out.stderr
    );
    let old = common::mini_spec().text;
    let new = out.new_spec.clone().unwrap_or_else(|| old.clone());
    let (removed, added) = changed_lines(&old, &new);
    // Applying made the page and the new spec agree on what was applied.
    if code == 0 {
        let spec = xtask::spec::Spec::from_text(&common::mini_spec_path(), new).unwrap();
        let again = xtask::drift::run_text("page", page, &spec, false);
        assert_eq!(again.code, 0, "after --apply:\n{}", again.stdout);
    }
    (removed, added, out.stdout)
}

#[test]
fn matching_page_is_no_drift_and_lists_declared_deviations() {
    let out = run(PAGE, false);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(drift_lines(&out.stdout).is_empty());
    assert!(out.stdout.contains(
        "declared deviation: header X-Zone is in the spec but not on the page: Not on the vendor's page; sent anyway.\n"
    ));
    assert!(out.stdout.contains(
        "declared deviation: response 200 field note is in the spec but not on the page: Not in the page's table.\n"
    ));
    assert!(out.stdout.ends_with(
        "no drift: the spec matches the page (2 declared deviation(s), 0 warning(s))\n"
    ));
}

#[test]
fn parameter_added_on_the_page() {
    let page = page_with(
        "extra | No |",
        "colour | No | String | A colour. Maximum length: 10 |\nextra | No |",
    );
    expect_drift(
        &page,
        &["drift: body parameter colour: on the page (Mandatory No, String) but not in the spec"],
    );
    // Not a pure fact: --apply leaves it and says so.
    let (removed, added, stdout) = apply(&page, 1);
    assert!(removed.is_empty() && added.is_empty());
    assert!(stdout.contains("left for the maintainer: body parameter colour: on the page"));
}

#[test]
fn parameter_removed_from_the_page() {
    let page = page_with("kind | No | String | A kind. Maximum length: 4 |\n", "");
    expect_drift(
        &page,
        &["drift: body parameter kind: in the spec (Mandatory No, String) but not on the page"],
    );
    let (removed, added, _) = apply(&page, 1);
    assert!(removed.is_empty() && added.is_empty());
}

#[test]
fn header_added_and_removed() {
    let page = page_with(
        "X-Key | Yes |",
        "X-Trace | No | String | A trace id. |\nX-Key | Yes |",
    );
    expect_drift(
        &page,
        &["drift: header X-Trace: on the page (Mandatory No, String) but not in the spec"],
    );
    let page = page_with(
        "X-Key | Yes | String | Key of the caller. Minimum length: 1 Maximum length: 100 |\n",
        "",
    );
    expect_drift(
        &page,
        &["drift: header X-Key: in the spec (Mandatory Yes, String) but not on the page"],
    );
}

#[test]
fn header_names_compare_case_insensitively() {
    let out = run(&page_with("X-Locale | No", "x-locale | No"), false);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn body_mandatory_changed_and_applied_as_one_list_item() {
    let page = page_with("kind | No |", "kind | Yes |");
    expect_drift(
        &page,
        &["drift: body parameter kind: Mandatory differs: page Yes, spec No"],
    );
    let (removed, added, stdout) = apply(&page, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["        - kind"]);
    assert!(stdout.contains("applied: body parameter kind: Mandatory differs"));

    // And the other way: dropped from the list.
    let page = page_with("label | Yes |", "label | No |");
    expect_drift(
        &page,
        &["drift: body parameter label: Mandatory differs: page No, spec Yes"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["        - label"]);
    assert!(added.is_empty());
}

#[test]
fn header_mandatory_changed_and_applied_in_place() {
    let page = page_with("X-Locale | No |", "X-Locale | Yes |");
    expect_drift(
        &page,
        &["drift: header X-Locale: Mandatory differs: page Yes, spec No"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["      required: false"]);
    assert_eq!(added, ["      required: true"]);
}

#[test]
fn type_changed_is_left_for_the_maintainer() {
    let page = page_with("kind | No | String |", "kind | No | Integer |");
    expect_drift(
        &page,
        &["drift: body parameter kind: Type differs: page Integer, spec String"],
    );
    let (removed, added, stdout) = apply(&page, 1);
    assert!(removed.is_empty() && added.is_empty());
    assert!(stdout.contains("left for the maintainer: body parameter kind: Type differs"));
}

#[test]
fn max_length_changed_and_applied() {
    let page = page_with("Maximum length: 40", "Maximum length: 60");
    expect_drift(
        &page,
        &["drift: body parameter label: Maximum length differs: page 60, spec 40"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["          maxLength: 40"]);
    assert_eq!(added, ["          maxLength: 60"]);
}

#[test]
fn min_length_added_is_inserted_as_one_line() {
    let page = page_with(
        "It is en by default. Maximum length: 8",
        "It is en by default. Minimum length: 2 Maximum length: 8",
    );
    expect_drift(
        &page,
        &["drift: header X-Locale: Minimum length differs: page 2, spec none"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["        minLength: 2"]);
}

#[test]
fn min_length_dropped_is_removed_as_one_line() {
    let page = page_with(
        "A label. Minimum length: 0 Maximum length: 40",
        "A label. Maximum length: 40",
    );
    expect_drift(
        &page,
        &["drift: body parameter label: Minimum length differs: page none, spec 0"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["          minLength: 0"]);
    assert!(added.is_empty());
}

#[test]
fn array_length_changed_and_applied() {
    let page = page_with("Array length: 0 - 3", "Array length: 1 - 5");
    expect_drift(
        &page,
        &[
            "drift: body parameter tags: minimum array length differs: page 1, spec 0",
            "drift: body parameter tags: maximum array length differs: page 5, spec 3",
        ],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["          minItems: 0", "          maxItems: 3"]);
    assert_eq!(added, ["          minItems: 1", "          maxItems: 5"]);
}

#[test]
fn item_length_of_an_array_is_the_items_length() {
    let page = page_with(
        "Some tags. Minimum length: 1 Maximum length: 10",
        "Some tags. Minimum length: 1 Maximum length: 12",
    );
    expect_drift(
        &page,
        &["drift: body parameter tags: Maximum length differs: page 12, spec 10"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["            maxLength: 10"]);
    assert_eq!(added, ["            maxLength: 12"]);
}

#[test]
fn default_changed_and_applied() {
    let page = page_with("It is en by default.", "It is fr by default.");
    expect_drift(
        &page,
        &["drift: header X-Locale: default differs: page fr, spec en"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["        default: en"]);
    assert_eq!(added, ["        default: fr"]);
}

#[test]
fn default_that_yaml_would_misread_is_quoted() {
    let page = page_with("It is en by default.", "It is 0 by default.");
    let (_, added, _) = apply(&page, 0);
    assert_eq!(added, ["        default: \"0\""]);
}

#[test]
fn default_added_and_dropped() {
    let page = page_with(
        "A kind. Maximum length: 4",
        "A kind. It is std by default. Maximum length: 4",
    );
    expect_drift(
        &page,
        &["drift: body parameter kind: default differs: page std, spec none"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert!(removed.is_empty());
    assert_eq!(added, ["          default: std"]);

    let page = page_with("It is en by default. ", "");
    expect_drift(
        &page,
        &["drift: header X-Locale: default differs: page none, spec en"],
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["        default: en"]);
    assert!(added.is_empty());
}

#[test]
fn fixed_value_changed_is_left_for_the_maintainer() {
    let page = page_with("fixed to abc.", "fixed to xyz.");
    expect_drift(
        &page,
        &["drift: body parameter origin: fixed value differs: page xyz, spec abc"],
    );
    let out = run(&page, false);
    // The example now contradicts the page's own table: a warning, not drift.
    assert!(out.stdout.contains(
        "warning: the request example (line 26) gives origin as the string \"abc\", but the page's table fixes it to xyz"
    ), "{}", out.stdout);
    let (removed, added, _) = apply(&page, 1);
    assert!(removed.is_empty() && added.is_empty());
}

#[test]
fn conditional_requirement_changed() {
    let page = page_with("mandatory if kind is 7", "mandatory if kind is 8");
    expect_drift(
        &page,
        &["drift: body parameter zone_id: mandatory when differs: page kind is 8, spec kind is 7"],
    );
    let page = page_with("A zone. It is mandatory if kind is 7.", "A zone.");
    expect_drift(
        &page,
        &["drift: body parameter zone_id: mandatory when differs: page none, spec kind is 7"],
    );
}

#[test]
fn response_field_changed() {
    let page = page_with("widget_id | String |", "widget_id | Integer |");
    expect_drift(
        &page,
        &["drift: response 200 field widget_id: Type differs: page Integer, spec String"],
    );
    let page = page_with(
        "widget_id | String | Id of the widget. Maximum length: 20 |",
        "widget_id | String | Id of the widget. Maximum length: 20 |\nstate | String | Its state. |",
    );
    expect_drift(
        &page,
        &["drift: response 200 field state: on the page (String) but not in the spec"],
    );
    let page = page_with(
        "Id of the widget. Maximum length: 20",
        "Id of the widget. Maximum length: 24",
    );
    let (removed, added, _) = apply(&page, 0);
    assert_eq!(removed, ["          maxLength: 20"]);
    assert_eq!(added, ["          maxLength: 24"]);
}

#[test]
fn response_status_added_and_removed() {
    let page = page_with("Status code: 200\nParameter", "Status code: 201\nParameter");
    expect_drift(
        &page,
        &[
            "drift: response 201: on the page but not in the spec",
            "drift: response 200: in the spec but not on the page",
        ],
    );
}

#[test]
fn uri_changed() {
    let page = page_with("POST /v1/widgets\n", "POST /v2/widgets\n");
    expect_drift(
        &page,
        &["drift: URI: page POST /v2/widgets, spec POST /v1/widgets"],
    );
}

#[test]
fn declared_deviation_covers_mandatory_but_not_limits() {
    // X-Zone has x-upstream-deviation: a Mandatory difference is reported as declared.
    let page = page_with(
        "X-Locale | No |",
        "X-Zone | Yes | Integer | Zone. |\nX-Locale | No |",
    );
    let out = run(&page, false);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains(
        "declared deviation: header X-Zone (Mandatory: page Yes, spec No): Not on the vendor's page; sent anyway.\n"
    ), "{}", out.stdout);
    // A limit on the same header is still drift.
    let page = page_with(
        "X-Locale | No |",
        "X-Zone | Yes | Integer | Zone. Maximum length: 3 |\nX-Locale | No |",
    );
    expect_drift(
        &page,
        &["drift: header X-Zone: Maximum length differs: page 3, spec none"],
    );
}

#[test]
fn example_contradictions_are_warnings_not_drift() {
    let page = page_with(
        "\"label\" : \"blue\",",
        "\"label\" : 5,\n\"extra\" : [ ],\n\"tags\" : [\"a\", \"b\", \"c\", \"d\"],\n\"colour\" : \"red\",",
    );
    let out = run(&page, false);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let warnings: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(
        warnings,
        [
            "warning: the request example (line 26) gives label as the number 5, but the page's table says String",
            "warning: the request example (line 26) gives tags more items than its maximum 3",
            "warning: the request example (line 26) gives extra as an empty array `[ ]`, but the page's table says Map<String,Object>",
            "warning: the request example (line 26) has colour, which the page's table does not list",
        ]
    );
}

#[test]
fn several_differences_one_line_each_and_partial_apply() {
    let page = page_with("Maximum length: 40", "Maximum length: 41");
    let page = page.replace("kind | No | String |", "kind | No | Integer |");
    let out = run(&page, true);
    assert_eq!(out.code, 1, "{}", out.stdout);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.contains(&"drift: body parameter label: Maximum length differs: page 41, spec 40")
    );
    assert!(lines.contains(&"drift: body parameter kind: Type differs: page Integer, spec String"));
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
