//! Drift in every layout of the vendor's pages: pages rendered from the project's own spec
//! (`xtask::render`), as they are and with one fact changed, read back and compared.

mod common;

use common::{create_case, drift_lines, field, insert_before, new_field, page, real_spec, remove};
use xtask::drift::{self, Place, SpecOperation, SpecTable, ValueKind};
use xtask::page::{self, Layout};
use xtask::render;

fn body() -> Place {
    Place::Body
}

fn ok200() -> Place {
    Place::Response("200".into())
}

/// Renders `op` in `layout`, runs drift against the real spec and returns the outcome.
fn drift_of(op: &SpecOperation, layout: Layout) -> drift::Outcome {
    drift::run_text(layout.name(), &page(op, layout), &real_spec(), false)
}

/// Expects exit 1 with exactly `expected` as the drift lines, in every layout.
fn expect_in_every_layout(op: &SpecOperation, expected: &[&str]) {
    for layout in Layout::ALL {
        let out = drift_of(op, layout);
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

#[test]
fn the_true_page_is_no_drift_in_every_layout() {
    let op = create_case();
    for layout in Layout::ALL {
        let out = drift_of(&op, layout);
        assert_eq!(out.code, 0, "{layout}:\n{}{}", out.stdout, out.stderr);
        assert!(
            drift_lines(&out.stdout).is_empty(),
            "{layout}:\n{}",
            out.stdout
        );
        assert!(
            out.stdout.starts_with(&format!(
                "page {}: POST /v2/servicerequest/cases (create_case), read as {layout}\n",
                layout.name()
            )),
            "{layout}:\n{}",
            out.stdout
        );
        // The summary counts the deviations the report lists (the spec declares them).
        let declared = out.stdout.matches("declared deviation: ").count();
        assert!(declared > 0, "{layout}:\n{}", out.stdout);
        assert!(
            out.stdout.ends_with(&format!(
                "no drift: the spec matches the page ({declared} declared deviations, 0 warnings)\n"
            )),
            "{layout}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn every_table_and_limit_is_read_in_every_layout() {
    let op = create_case();
    for layout in Layout::ALL {
        let p = page::parse(&page(&op, layout)).unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(p.layout, Some(layout));
        let uri = p.uri.as_ref().unwrap();
        assert_eq!(
            (uri.method.as_str(), uri.path.as_str()),
            ("POST", "/v2/servicerequest/cases")
        );
        // As many rows as the spec's operation has (what the page was rendered from),
        // named when one is missing or extra.
        let names = |fields: &[xtask::drift::SpecField]| -> Vec<String> {
            fields.iter().map(|f| f.name.clone()).collect()
        };
        let read = |rows: &[xtask::page::PageParam]| -> Vec<String> {
            rows.iter().map(|r| r.name.clone()).collect()
        };
        assert_eq!(
            read(&p.headers),
            names(op.table(&Place::Header)),
            "{layout}: the header rows read"
        );
        assert_eq!(
            read(&p.body),
            names(op.table(&Place::Body)),
            "{layout}: the body rows read"
        );
        assert!(p.path.is_empty() && p.query.is_empty(), "{layout}");
        assert_eq!(p.responses.len(), 1, "{layout}");
        assert_eq!(p.responses[0].params.len(), 1, "{layout}");
        let ids = p.body.iter().find(|b| b.name == "accessory_ids").unwrap();
        assert_eq!(ids.ty, "Array of strings");
        let c = &ids.constraints;
        assert_eq!(
            (c.min_length, c.max_length, c.min_items, c.max_items),
            (Some(1), Some(32), Some(0), Some(5)),
            "{layout}"
        );
        let region = p.body.iter().find(|b| b.name == "region_id").unwrap();
        assert_eq!(
            region
                .constraints
                .required_when
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("business_type_id is 5"),
            "{layout}"
        );
        assert!(p.example.is_some(), "{layout}");
        assert!(p.notes.is_empty(), "{layout}: {:?}", p.notes);
    }
}

#[test]
fn a_changed_simple_description_maximum_is_drift_in_every_layout() {
    let mut op = create_case();
    let spec_max = field(&mut op, &body(), "simple_description")
        .constraints
        .max_length
        .unwrap();
    let page_max = spec_max + 300;
    field(&mut op, &body(), "simple_description")
        .constraints
        .max_length = Some(page_max);
    expect_in_every_layout(
        &op,
        &[&format!(
            "drift: body parameter simple_description: Maximum length differs: page {page_max}, spec {spec_max}"
        )],
    );
}

#[test]
fn a_changed_accessory_ids_array_length_is_drift_in_every_layout() {
    let mut op = create_case();
    field(&mut op, &body(), "accessory_ids")
        .constraints
        .max_items = Some(8);
    expect_in_every_layout(
        &op,
        &["drift: body parameter accessory_ids: maximum array length differs: page 8, spec 5"],
    );
}

#[test]
fn a_mandatory_flag_flip_is_drift_in_every_layout() {
    let mut op = create_case();
    field(&mut op, &body(), "business_type_id").required = false;
    field(&mut op, &Place::Header, "X-Time-Zone").required = true;
    expect_in_every_layout(
        &op,
        &[
            "drift: header X-Time-Zone: Mandatory differs: page Yes, spec No",
            "drift: body parameter business_type_id: Mandatory differs: page No, spec Yes",
        ],
    );
}

#[test]
fn an_added_parameter_is_drift_in_every_layout() {
    let mut op = create_case();
    insert_before(
        &mut op,
        &body(),
        "remind_mail",
        new_field("remind_fax", false, "String", "A fax number to notify."),
    );
    expect_in_every_layout(
        &op,
        &[
            "drift: body parameter remind_fax: on the page (Mandatory No, String) but not in the spec",
        ],
    );
}

#[test]
fn a_removed_parameter_is_drift_in_every_layout() {
    let mut op = create_case();
    remove(&mut op, &body(), "remind_mail");
    remove(&mut op, &Place::Header, "x-email-verifiedid");
    expect_in_every_layout(
        &op,
        &[
            "drift: header x-email-verifiedid: in the spec (Mandatory No, String) but not on the page",
            "drift: body parameter remind_mail: in the spec (Mandatory No, String) but not on the page",
        ],
    );
}

#[test]
fn a_response_limit_change_is_drift_in_every_layout() {
    let mut op = create_case();
    field(&mut op, &ok200(), "incident_id")
        .constraints
        .max_length = Some(80);
    expect_in_every_layout(
        &op,
        &["drift: response 200 field incident_id: Maximum length differs: page 80, spec 64"],
    );
}

#[test]
fn header_limits_defaults_and_types_are_drift_in_every_layout() {
    let mut op = create_case();
    let lang = field(&mut op, &Place::Header, "X-Language");
    lang.constraints.min_length = None;
    lang.constraints.default = Some("en-us".into());
    field(&mut op, &body(), "severity_id").ty = "Integer".into();
    expect_in_every_layout(
        &op,
        &[
            "drift: header X-Language: Minimum length differs: page none, spec 1",
            "drift: header X-Language: default differs: page en-us, spec zh-cn",
            "drift: body parameter severity_id: Type differs: page Integer, spec String",
        ],
    );
}

#[test]
fn a_page_cut_after_its_request_heading_cannot_be_read_in_any_layout() {
    let op = create_case();
    for layout in Layout::ALL {
        let text = page(&op, layout);
        let heading = if layout == Layout::Html {
            "Request Parameters</h4>"
        } else {
            "\nRequest Parameters\n"
        };
        let cut = text.find(heading).unwrap() + heading.len();
        let cut_page = text[..cut].to_string();
        let out = drift::run_text("cut", &cut_page, &real_spec(), false);
        assert_eq!(out.code, 2, "{layout}:\n{}", out.stdout);
        assert!(
            out.stderr.contains("no parameter table after this heading"),
            "{layout}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("Has the site changed its layout?"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_garbage_file_cannot_be_read() {
    let mut bytes = Vec::new();
    let mut x: u32 = 12345;
    for _ in 0..4000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        bytes.push((x >> 16) as u8);
    }
    for text in [
        String::from_utf8_lossy(&bytes).into_owned(),
        "<html><body><p>Nothing to see</p></body></html>".to_string(),
        "| a | b |\n|---|---|\n| 1 | 2 |\n".to_string(),
        String::new(),
    ] {
        let out = drift::run_text("garbage", &text, &real_spec(), false);
        assert_eq!(out.code, 2, "{}", out.stdout);
        assert!(
            out.stderr.contains("garbage cannot be read"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("no `Request Parameters` heading"),
            "{}",
            out.stderr
        );
    }
}

/// An operation with path and query parameters, which the project's spec does not have
/// yet: `GET /v1/widgets/{widget_id}`.
fn widget_lookup() -> SpecOperation {
    let mut id = new_field("widget_id", true, "String", "Which widget.");
    id.constraints.min_length = Some(1);
    id.constraints.max_length = Some(32);
    let mut limit = new_field("limit", false, "Integer", "How many parts to list.");
    limit.kind = ValueKind::Integer;
    limit.constraints.default = Some("10".into());
    let mut marker = new_field("marker", false, "String", "Where the list starts.");
    marker.constraints.max_length = Some(64);
    let mut token = new_field("X-Auth-Token", true, "String", "The caller's token.");
    token.constraints.max_length = Some(5000);
    let mut name = new_field("name", false, "String", "The widget's name.");
    name.constraints.max_length = Some(40);
    SpecOperation {
        method: "GET".into(),
        path: "/v1/widgets/{widget_id}".into(),
        operation_id: "show_widget".into(),
        title: "Show a widget".into(),
        description: Some("Shows one widget.".into()),
        tables: vec![
            SpecTable {
                place: Place::Path,
                fields: vec![id],
            },
            SpecTable {
                place: Place::Query,
                fields: vec![limit, marker],
            },
            SpecTable {
                place: Place::Header,
                fields: vec![token],
            },
            SpecTable {
                place: Place::Response("200".into()),
                fields: vec![name],
            },
        ],
    }
}

#[test]
fn path_and_query_tables_are_told_apart_in_every_layout() {
    let op = widget_lookup();
    let ops = [create_case(), op.clone()];
    for layout in Layout::ALL {
        let p = page::parse(&page(&op, layout)).unwrap_or_else(|e| panic!("{layout}: {e}"));
        let names = |v: &[page::PageParam]| v.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&p.path), ["widget_id"], "{layout}");
        assert_eq!(names(&p.query), ["limit", "marker"], "{layout}");
        assert_eq!(names(&p.headers), ["X-Auth-Token"], "{layout}");
        assert!(p.body.is_empty(), "{layout}");
        assert!(p.example.is_none(), "{layout}");
        let report = drift::compare(&p, &ops).unwrap();
        assert_eq!(report.operation.as_deref(), Some("show_widget"));
        assert!(
            report.differences.is_empty(),
            "{layout}: {:?}",
            report.differences
        );

        let mut changed = op.clone();
        field(&mut changed, &Place::Query, "marker")
            .constraints
            .max_length = Some(128);
        field(&mut changed, &Place::Path, "widget_id").required = false;
        let p = page::parse(&page(&changed, layout)).unwrap();
        let report = drift::compare(&p, &ops).unwrap();
        let got: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "path parameter widget_id: Mandatory differs: page No, spec Yes",
                "query parameter marker: Maximum length differs: page 128, spec 64",
            ],
            "{layout}"
        );
    }
}

#[test]
fn pages_match_operations_by_method_and_path() {
    let lookup = widget_lookup();
    let ops = [create_case(), lookup.clone()];
    let p = page::parse(&page(&lookup, Layout::Markdown)).unwrap();
    let found = drift::find_operation(&p, &ops).unwrap().unwrap();
    assert_eq!(found.operation_id, "show_widget");
    // Path parameters match whatever their names.
    assert!(lookup.matches("get", "/v1/widgets/{id}"));
    assert!(!lookup.matches("POST", "/v1/widgets/{widget_id}"));
    assert!(!lookup.matches("GET", "/v1/widgets"));
    // A page of another operation is drift, not compared with any.
    let mut other = lookup.clone();
    other.path = "/v1/gizmos/{gizmo_id}".into();
    let p = page::parse(&page(&other, Layout::PipeRows)).unwrap();
    let report = drift::compare(&p, &ops).unwrap();
    assert_eq!(report.operation, None);
    let got: Vec<String> = report.differences.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "URI: the page documents GET /v1/gizmos/{gizmo_id}, which is not an operation of the \
          spec (it has POST /v2/servicerequest/cases, GET /v1/widgets/{widget_id})"
        ]
    );
}

#[test]
fn the_renderer_writes_one_page_per_operation() {
    let ops = drift::operations(&common::mini_spec()).unwrap();
    for layout in Layout::ALL {
        let pages = render::render_all(&ops, layout);
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        let ext = layout.extension();
        assert_eq!(
            names,
            [format!("make-widget.{ext}"), format!("list-gadgets.{ext}")],
            "{layout}"
        );
        // Each page is its operation's.
        for ((_, text), op) in pages.iter().zip(&ops) {
            let p = page::parse(text).unwrap();
            let uri = p.uri.unwrap();
            assert_eq!((uri.method, uri.path), (op.method.clone(), op.path.clone()));
        }
    }
}
