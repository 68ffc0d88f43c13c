//! The page reader on pages rendered from `tests/fixtures/mini.yaml`, well-formed in every
//! layout and broken in the ways a site's copy can be broken.

mod common;

use common::{page, run, widget};
use xtask::page::{self, Layout, Loc, PageParam, ParseError, RequiredWhen, parse};
use xtask::render;

fn names(v: &[PageParam]) -> Vec<String> {
    v.iter().map(|x| x.name.clone()).collect()
}

/// The text of the 1-based line `n`.
fn line_of(text: &str, n: usize) -> &str {
    text.lines().nth(n - 1).unwrap_or("")
}

/// The 1-based number of the one line equal to `line`.
fn number_of(text: &str, line: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == line)
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(found.len(), 1, "`{line}` must occur once:\n{text}");
    found[0]
}

/// `text` with `from` (which must occur once) replaced by `to`.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "`{from}` must occur once in\n{text}"
    );
    text.replacen(from, to, 1)
}

#[test]
fn reads_every_table_of_the_page_in_every_layout() {
    for layout in Layout::ALL {
        let text = page(&widget(), layout);
        let p = parse(&text).unwrap_or_else(|e| panic!("{layout}: {e}"));
        assert_eq!(p.layout, Some(layout));
        let uri = p.uri.as_ref().unwrap();
        assert_eq!(
            (uri.method.as_str(), uri.path.as_str()),
            ("POST", "/v1/widgets")
        );
        assert_eq!(names(&p.headers), ["X-Key", "X-Locale"], "{layout}");
        assert_eq!(
            names(&p.body),
            ["label", "origin", "kind", "zone_id", "tags", "extra"],
            "{layout}"
        );
        assert_eq!(p.responses.len(), 1);
        assert_eq!(p.responses[0].status, "200");
        assert_eq!(names(&p.responses[0].params), ["widget_id"]);
        assert_eq!(p.responses[0].params[0].mandatory, None);

        let key = &p.headers[0];
        assert_eq!((key.mandatory, key.ty.as_str()), (Some(true), "String"));
        assert_eq!(
            (key.constraints.min_length, key.constraints.max_length),
            (Some(1), Some(100))
        );
        // Where the row is: its line in a text page, its element in HTML.
        match &key.loc {
            Loc::Line(n) => assert!(line_of(&text, *n).contains("X-Key"), "{layout}"),
            Loc::Element(e) => assert_eq!(
                e,
                "<td> 1 of <tr> 2 of <table> 1 (\"Table 1 Request header parameters\")"
            ),
        }
        assert_eq!(p.headers[1].constraints.default.as_deref(), Some("en"));
        assert_eq!(
            p.body[0].description,
            "Its label. Minimum length: 0 Maximum length: 40"
        );

        let origin = &p.body[1];
        assert_eq!(origin.constraints.fixed.as_deref(), Some("abc"));
        assert_eq!(origin.constraints.default, None);
        assert_eq!(
            p.body[3].constraints.required_when,
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

        let ex = p.example.as_ref().unwrap();
        assert_eq!(ex.value["label"], "sample");
        assert_eq!(ex.value["origin"], "abc");
        assert!(p.notes.is_empty(), "{layout}: {:?}", p.notes);
    }
}

#[test]
fn windows_line_endings_change_nothing() {
    for layout in Layout::ALL {
        let text = page(&widget(), layout);
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(&text).unwrap(), "{layout}");
    }
    // Nor do padded separators.
    let text = page(&widget(), Layout::Markdown);
    let padded = text.replace("|---|---|---|---|", "| :--- | --- | --- | ---: |");
    assert_eq!(parse(&padded).unwrap().body.len(), 6);
}

#[test]
fn limits_split_over_paragraphs_and_lines_are_kept() {
    // The renderer puts every limit on a line (or <p>) of its own in the cell layouts,
    // HTML and paragraphs; a copy may also split a limit from its number.
    let text = page(&widget(), Layout::CellPipe);
    let split = edit(&text, "Maximum length: 40 |", "Maximum length:\n40 |");
    let p = parse(&split).unwrap();
    assert_eq!(p.body[0].constraints.max_length, Some(40));
    let text = page(&widget(), Layout::Paragraphs);
    let split = edit(&text, "Array length: 0 - 3\n", "Array length:\n\n0 - 3\n");
    let p = parse(&split).unwrap();
    assert_eq!(p.body[4].constraints.max_items, Some(3));
    let text = page(&widget(), Layout::Html);
    let split = edit(
        &text,
        "<p>Maximum length: <strong>40</strong></p>",
        "<p>Maximum length:</p><p><span>4</span>0</p>",
    );
    assert_eq!(
        parse(&split).unwrap().body[0].constraints.max_length,
        Some(40)
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
    for layout in Layout::ALL {
        let text = page(&widget(), layout);
        let broken = if layout == Layout::Html {
            edit(
                &text,
                "<pre class=\"screen\">{\n  &quot;extra",
                "<pre class=\"screen\">{{\n  &quot;extra",
            )
        } else {
            edit(&text, "\n{\n  \"extra\"", "\n{{\n  \"extra\"")
        };
        let p = parse(&broken).unwrap();
        assert!(p.example.is_none());
        assert!(
            p.notes[0].starts_with("the request example (")
                && p.notes[0].contains("is not valid JSON"),
            "{layout}: {:?}",
            p.notes
        );
        let out = run(&broken, false);
        assert_eq!(out.code, 0);
        assert!(out.stdout.contains("is not valid JSON"));
    }
}

#[test]
fn a_nested_table_is_noted_not_compared() {
    // Without captions, a second body table (a nested object's) is noted.
    let text = page(&widget(), Layout::PipeRows);
    let extra = "Parameter | Mandatory | Type | Description |\n|---|---|---|---|\nnested | No | String | x |\n";
    let nested = edit(
        &text,
        "Response Parameters\n",
        &format!("{extra}Response Parameters\n"),
    );
    let p = parse(&nested).unwrap();
    assert_eq!(p.body.len(), 6);
    let at = number_of(&nested, "nested | No | String | x |") - 2;
    assert_eq!(
        p.notes,
        [format!(
            "a second request body table (line {at}) is not compared"
        )]
    );
    // With a caption of its own, the nested object's table is named.
    let text = page(&widget(), Layout::Paragraphs);
    let extra = "Table 3 Part\n\nParameter\n\nMandatory\n\nType\n\nDescription\n\nnested\n\nNo\n\nString\n\nx\n\n";
    let nested = edit(
        &text,
        "Response Parameters\n",
        &format!("{extra}Response Parameters\n"),
    );
    let p = parse(&nested).unwrap();
    assert_eq!(p.body.len(), 6);
    assert_eq!(p.notes.len(), 1);
    assert!(
        p.notes[0].starts_with("the table \"Table 3 Part\" at line "),
        "{:?}",
        p.notes
    );
    // HTML: a table in a cell is part of the cell's text, not a table of the page.
    let text = page(&widget(), Layout::Html);
    let nested = edit(
        &text,
        "<p>Anything else.</p>",
        "<p>Anything else.</p><table><tr><th>Parameter</th><th>Type</th><th>Description</th></tr><tr><td>inner</td><td>String</td><td>x</td></tr></table>",
    );
    let p = parse(&nested).unwrap();
    assert_eq!(names(&p.body).len(), 6);
    assert!(
        p.body[5]
            .description
            .starts_with("Anything else. Parameter Type")
    );
}

/// Expects the page to be unreadable at `loc` (whose text is `text`), with `message`;
/// and drift to exit 2 naming the place.
fn expect_unreadable(page_text: &str, loc: Loc, text: &str, message: &str) -> ParseError {
    let err = parse(page_text).unwrap_err();
    assert_eq!(err.loc, loc, "{err}");
    assert_eq!(err.text, text, "{err}");
    assert!(err.message.contains(message), "{err}");
    let out = run(page_text, false);
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("cannot be read: {loc}: ")),
        "{}",
        out.stderr
    );
    if let Loc::Line(n) = loc {
        assert!(
            out.stderr.contains(&format!("{n:>5} | {text}")),
            "{}",
            out.stderr
        );
    }
    err
}

#[test]
fn no_tables() {
    expect_unreadable(
        "Making a Widget\nRequest Parameters\nThere are none.\nResponse Parameters\n",
        Loc::Line(2),
        "Request Parameters",
        "no parameter table after this heading",
    );
    expect_unreadable(
        "just some text\nand more\n",
        Loc::Line(2),
        "and more",
        "no `Request Parameters` heading",
    );
    expect_unreadable("", Loc::Line(0), "", "no `Request Parameters` heading");
    expect_unreadable(
        "<html><body><h4>URI</h4><p>GET /a</p></body></html>",
        Loc::Element("the end of the document".into()),
        "",
        "no `Request Parameters` heading",
    );
}

#[test]
fn a_layout_the_reader_does_not_know_is_named_as_such() {
    // Tab-separated cells: no layout the reader knows.
    let text: String = page(&widget(), Layout::PipeRows)
        .lines()
        .filter(|l| !l.starts_with("|---"))
        .map(|l| format!("{}\n", l.replace(" | ", "\t").replace(" |", "")))
        .collect();
    let err = expect_unreadable(
        &text,
        Loc::Line(6),
        "Request Parameters",
        "no parameter table after this heading",
    );
    for layout in Layout::ALL {
        assert!(err.message.contains(layout.name()), "{err}");
    }
    assert!(err.message.contains("Has the site changed its layout?"));
    // HTML tables with other columns.
    let text = page(&widget(), Layout::Html).replace("<p>Mandatory</p>", "<p>Optional</p>");
    expect_unreadable(
        &text,
        Loc::Element("the header row of <table> 1 (\"Table 1 Request header parameters\")".into()),
        "Parameter | Optional | Type | Description",
        "a table with the columns `Parameter | Optional | Type | Description`",
    );
}

#[test]
fn pipe_rows_with_the_wrong_number_of_cells() {
    let text = page(&widget(), Layout::PipeRows);
    let broken = edit(
        &text,
        "kind | No | String | Its kind. Maximum length: 4 |",
        "kind | No | Its kind. |",
    );
    let n = number_of(&broken, "kind | No | Its kind. |");
    let header = number_of(
        &broken,
        "label | Yes | String | Its label. Minimum length: 0 Maximum length: 40 |",
    ) - 2;
    expect_unreadable(
        &broken,
        Loc::Line(n),
        "kind | No | Its kind. |",
        &format!("this row has 3 cells but the table (header on line {header}) has 4 columns"),
    );
    // A pipe inside a description splits it: also the wrong count.
    let broken = edit(&text, "Its kind. Maximum", "Its | kind. Maximum");
    expect_unreadable(
        &broken,
        Loc::Line(n),
        "kind | No | String | Its | kind. Maximum length: 4 |",
        "has 5 cells",
    );
}

#[test]
fn an_unparsable_length() {
    let text = page(&widget(), Layout::PipeRows);
    let broken = edit(&text, "Maximum length: 40", "Maximum length: forty");
    let line = "label | Yes | String | Its label. Minimum length: 0 Maximum length: forty |";
    expect_unreadable(
        &broken,
        Loc::Line(number_of(&broken, line)),
        line,
        "label: `Maximum length:` is followed by `forty`, not a number",
    );
    let broken = edit(&text, "Array length: 0 - 3", "Array length: few");
    let line = "tags | No | Array of strings | Tags. Minimum length: 1 Maximum length: 10 Array length: few |";
    expect_unreadable(
        &broken,
        Loc::Line(number_of(&broken, line)),
        line,
        "`Array length:` must be followed by `MIN - MAX`",
    );
    let broken = edit(
        &text,
        "Maximum length: 40",
        "Maximum length: 99999999999999999999999",
    );
    expect_unreadable(
        &broken,
        Loc::Line(number_of(
            &text,
            "label | Yes | String | Its label. Minimum length: 0 Maximum length: 40 |",
        )),
        "label | Yes | String | Its label. Minimum length: 0 Maximum length: 99999999999999999999999 |",
        "not a number",
    );
    // In the cell layouts the description's first line is named.
    for layout in [Layout::CellPipe, Layout::LonePipe, Layout::Indented] {
        let text = page(&widget(), layout);
        let broken = edit(&text, "Maximum length: 40", "Maximum length: forty");
        let err = parse(&broken).unwrap_err();
        let Loc::Line(n) = err.loc else {
            panic!("{err}")
        };
        assert!(
            line_of(&broken, n).contains("Its label."),
            "{layout}: {err}"
        );
        assert!(
            err.message
                .contains("label: `Maximum length:` is followed by `forty`")
        );
    }
}

#[test]
fn other_malformed_rows_and_tables() {
    let text = page(&widget(), Layout::PipeRows);
    let kind = "kind | No | String | Its kind. Maximum length: 4 |";
    let n = number_of(&text, kind);
    expect_unreadable(
        &edit(&text, "kind | No |", "kind | Maybe |"),
        Loc::Line(n),
        "kind | Maybe | String | Its kind. Maximum length: 4 |",
        "the Mandatory cell of kind is `Maybe`",
    );
    expect_unreadable(
        &edit(&text, "kind | No | String |", "kind | No |  |"),
        Loc::Line(n),
        "kind | No |  | Its kind. Maximum length: 4 |",
        "the Type cell of kind is empty",
    );
    // A header row with no separator after it.
    let broken = edit(&text, "|---|---|---|---|\nX-Key", "X-Key");
    let key = "X-Key | Yes | String | The caller's key. Minimum length: 1 Maximum length: 100 |";
    expect_unreadable(
        &broken,
        Loc::Line(number_of(&broken, key)),
        key,
        "expected a separator row",
    );
    // Rows under a heading with no header row.
    expect_unreadable(
        "Request Parameters\na | Yes | String | x |\n",
        Loc::Line(2),
        "a | Yes | String | x |",
        "no `Parameter | ... | Description |` header row before it",
    );
    // A response table before any status line.
    let broken = edit(&text, "Status code: 200\nParameter", "Parameter");
    expect_unreadable(
        &broken,
        Loc::Line(number_of(&broken, "Parameter | Type | Description |")),
        "Parameter | Type | Description |",
        "must follow a `Status code: N` line",
    );
    // URI heading not followed by a method and path.
    let broken = edit(&text, "POST /v1/widgets\n", "somewhere\n");
    expect_unreadable(
        &broken,
        Loc::Line(number_of(&broken, "somewhere")),
        "somewhere",
        "expected `METHOD /path`",
    );
}

#[test]
fn broken_cell_layouts() {
    for layout in [Layout::CellPipe, Layout::LonePipe, Layout::Indented] {
        let text = page(&widget(), layout);
        let pad = if layout == Layout::Indented {
            "        "
        } else {
            ""
        };
        let end = if layout == Layout::Indented {
            "  | "
        } else {
            " |"
        };
        // A Mandatory cell that is neither Yes nor No, named on its own line.
        let from = format!("{pad}kind{end}\n");
        let at = text.find(&from).unwrap() + from.len();
        let rest = &text[at..];
        let mandatory_at = rest.find(&format!("{pad}No{end}")).unwrap();
        let mut broken = text.clone();
        broken.replace_range(
            at + mandatory_at..at + mandatory_at + pad.len() + 2,
            &format!("{pad}Maybe"),
        );
        let err = parse(&broken).unwrap_err();
        let Loc::Line(n) = err.loc else {
            panic!("{err}")
        };
        assert_eq!(
            line_of(&broken, n).trim(),
            format!("Maybe{end}").trim(),
            "{layout}: {err}"
        );
        assert!(
            err.message
                .contains("the Mandatory cell of kind is `Maybe`"),
            "{err}"
        );

        // A cell missing: the next row's opener (or the page's end) says so.
        let broken = edit(&text, &from, "");
        let err = parse(&broken).unwrap_err();
        assert!(
            err.message.contains("has 3 of the table's 4 cells")
                || err.message.contains("the Mandatory cell of"),
            "{layout}: {err}"
        );

        // The page ends inside a row.
        let cut = text.find(&format!("{pad}Its kind.")).unwrap();
        let err = parse(&text[..cut]).unwrap_err();
        assert!(
            err.message.contains("the page ends inside a table row"),
            "{layout}: {err}"
        );
    }
    // In lone-pipe rows, a row opener inside a row is named.
    let text = page(&widget(), Layout::LonePipe);
    let broken = edit(&text, "kind |\nNo |\n", "kind |\nNo |\n|\n");
    let err = parse(&broken).unwrap_err();
    assert!(
        err.message
            .starts_with("a new row starts here, but the row that starts on line"),
        "{err}"
    );
    assert_eq!(err.text, "|");
}

#[test]
fn broken_paragraphs() {
    let text = page(&widget(), Layout::Paragraphs);
    // Something that is not a row right after the header.
    let broken = edit(
        &text,
        "Description\n\nX-Key\n",
        "Description\n\nsome words here\n\nX-Key\n",
    );
    let err = parse(&broken).unwrap_err();
    assert_eq!(err.text, "some words here");
    assert!(
        err.message
            .contains("expected the table's first row: a parameter name, then Yes or No")
    );
    // A row cut before its Type.
    let broken = edit(
        &text,
        "widget_id\n\nString\n\nThe new widget's id.\n\nMaximum length: 20\n\n",
        "widget_id\n\n",
    );
    let err = parse(&broken).unwrap_err();
    assert!(
        err.message.contains("expected the table's first row")
            || err.message.contains("ends before its Type"),
        "{err}"
    );
}

/// Nesting far deeper than any page's (html5ever's tree builder takes time quadratic in
/// the depth, so not deeper still).
const DEPTH: usize = 5_000;

#[test]
fn broken_html() {
    let text = page(&widget(), Layout::Html);
    let broken = edit(
        &text,
        "<td valign=\"top\"><p>kind</p></td><td valign=\"top\"><p>No</p></td>",
        "<td valign=\"top\"><p>kind</p></td><td valign=\"top\"><p>Maybe</p></td>",
    );
    expect_unreadable(
        &broken,
        Loc::Element("<td> 2 of <tr> 4 of <table> 2 (\"Table 2 Request body parameters\")".into()),
        "kind | Maybe | String | Its kind. Maximum length: 4",
        "the Mandatory cell of kind is `Maybe`",
    );
    let broken = edit(
        &text,
        "<td valign=\"top\"><p>kind</p></td><td valign=\"top\"><p>No</p></td>",
        "<td valign=\"top\"><p>kind</p></td>",
    );
    expect_unreadable(
        &broken,
        Loc::Element("<td> 1 of <tr> 4 of <table> 2 (\"Table 2 Request body parameters\")".into()),
        "kind | String | Its kind. Maximum length: 4",
        "this row has 3 cells but the table has 4 columns",
    );
    // The navigation's links are not headings, the page's own headings are.
    let p = parse(&text).unwrap();
    assert_eq!(p.uri.unwrap().path, "/v1/widgets");
    // Deeply nested markup is read: the walk of the tree is iterative.
    let deep = format!(
        "{}{}{}",
        "<div>".repeat(DEPTH),
        render::render(&widget(), Layout::Html),
        "</div>".repeat(DEPTH)
    );
    let p = parse(&deep).unwrap();
    assert_eq!(p.body.len(), 6);
}
