//! `cargo xtask drift` as a maintainer runs it, through the `xtask` binary: pages rendered
//! from `spec/osm.yaml` (files, a folder, and fetched from a server on loopback), the
//! true page and changed ones, and `--apply` on a copy of the spec.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

use common::{changed_lines, create_case, field, lines_with, page, temp_dir};
use xtask::drift::Place;
use xtask::page::Layout;
use xtask::render;

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// The true page with a request example like the vendor's, which contradicts its own
/// table in four places.
fn vendor_like_page(layout: Layout) -> String {
    let op = create_case();
    let mut example = render::request_example(&op).unwrap();
    example["source_id"] = "123".into();
    example["extends_map"] = serde_json::json!([]);
    example["extension_map"] = serde_json::json!([]);
    example["area_code"] = 86.into();
    example["remind_mail"] = serde_json::Value::Null;
    render::render_with_example(&op, layout, Some(&example))
}

#[test]
fn the_true_page_matches_the_spec() {
    let dir = temp_dir("true-page");
    let page_path = dir.join("create-case.txt");
    std::fs::write(&page_path, vendor_like_page(Layout::PipeRows)).unwrap();
    let out = xtask(&["drift", path_arg(&page_path)]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(lines_with(&stdout, "drift: ").is_empty(), "{stdout}");

    let deviations = lines_with(&stdout, "declared deviation: ");
    let expected = [
        "header X-Auth-Token",
        "header X-Site is in the spec but not on the page",
        "body parameter region_id",
        "response 200 field error_code is in the spec but not on the page",
        "response 200 field error_msg is in the spec but not on the page",
    ];
    for who in expected {
        assert!(
            deviations
                .iter()
                .any(|l| l.starts_with(&format!("declared deviation: {who}"))),
            "no declared deviation for {who}:\n{stdout}"
        );
    }
    assert_eq!(deviations.len(), expected.len(), "{stdout}");

    let warnings = lines_with(&stdout, "warning: ");
    for (field, said) in [
        (
            "source_id",
            "as the string \"123\", but the page's table fixes it to 83aeb0f2834c4df49826c781d32a963e",
        ),
        (
            "extends_map",
            "as an empty array `[ ]`, but the page's table says Map<String,Object>",
        ),
        (
            "extension_map",
            "as an empty array `[ ]`, but the page's table says Map<String,Object>",
        ),
        (
            "area_code",
            "as the number 86, but the page's table says String",
        ),
    ] {
        assert!(
            warnings
                .iter()
                .any(|l| l.contains(&format!("gives {field} {said}"))),
            "no warning for {field}:\n{stdout}"
        );
    }
    assert_eq!(warnings.len(), 4, "{stdout}");
    let declared = stdout.matches("declared deviation: ").count();
    assert!(declared > 0, "{stdout}");
    assert!(stdout.ends_with(&format!(
        "no drift: the spec matches the page ({declared} declared deviations, 4 warnings)\n"
    )));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn one_changed_limit_is_drift_and_apply_fixes_exactly_one_line() {
    let dir = temp_dir("one-limit");
    let mut op = create_case();
    let spec_max = field(&mut op, &Place::Body, "simple_description")
        .constraints
        .max_length
        .unwrap();
    let page_max = spec_max + 300;
    field(&mut op, &Place::Body, "simple_description")
        .constraints
        .max_length = Some(page_max);
    let page_path = dir.join("page.html");
    std::fs::write(&page_path, page(&op, Layout::Html)).unwrap();
    let original = std::fs::read_to_string(xtask::default_spec_path()).unwrap();
    let spec_path = dir.join("osm.yaml");
    std::fs::write(&spec_path, &original).unwrap();
    let (page_arg, spec_arg) = (path_arg(&page_path), path_arg(&spec_path));

    // 1. Drift, naming the parameter and both values.
    let out = xtask(&["drift", page_arg, "--spec", spec_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        lines_with(&stdout, "drift: "),
        [format!(
            "drift: body parameter simple_description: Maximum length differs: page {page_max}, spec {spec_max}"
        )]
    );

    // 2. --apply on the copy: one fact applied, nothing left.
    let out = xtask(&["drift", page_arg, "--apply", "--spec", spec_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("applied: body parameter simple_description: Maximum length differs"),
        "{stdout}"
    );
    assert!(
        lines_with(&stdout, "left for the maintainer: ").is_empty(),
        "{stdout}"
    );

    // 3. The next run finds no drift.
    let out = xtask(&["drift", page_arg, "--spec", spec_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // 4. The copy differs from the spec by exactly one line.
    let edited = std::fs::read_to_string(&spec_path).unwrap();
    let (removed, added) = changed_lines(&original, &edited);
    assert_eq!(removed, [format!("          maxLength: {spec_max}")]);
    assert_eq!(added, [format!("          maxLength: {page_max}")]);
    assert_eq!(original.lines().count(), edited.lines().count());

    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_folder_of_pages_in_every_layout() {
    let dir = temp_dir("folder");
    for layout in Layout::ALL {
        let name = format!("{}.{}", layout.slug(), layout.extension());
        std::fs::write(dir.join(name), vendor_like_page(layout)).unwrap();
    }
    // Not pages: skipped.
    std::fs::write(dir.join(".hidden.txt"), "junk").unwrap();
    std::fs::write(dir.join("notes.pdf"), "junk").unwrap();
    let out = xtask(&["drift", path_arg(&dir)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let pages = lines_with(&stdout, "page ");
    assert_eq!(pages.len(), 7, "{stdout}");
    for layout in Layout::ALL {
        assert!(
            pages.iter().any(|l| l.ends_with(&format!(
                "POST /v2/servicerequest/cases (create_case), read as {layout}"
            ))),
            "{layout}:\n{stdout}"
        );
    }
    let declared = stdout.matches("declared deviation: ").count();
    assert!(declared >= pages.len(), "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "no drift: the spec matches the 7 pages ({declared} declared deviations, 28 warnings)\n"
        )),
        "{stdout}"
    );

    // One page of the folder changed: drift, naming the page before it.
    let mut op = create_case();
    field(&mut op, &Place::Body, "accessory_ids")
        .constraints
        .max_items = Some(10);
    std::fs::write(dir.join("indented.txt"), page(&op, Layout::Indented)).unwrap();
    let out = xtask(&["drift", path_arg(&dir)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let at = stdout.find("read as indented cells\n").unwrap();
    assert!(stdout[at..].starts_with(
        "read as indented cells\ndrift: body parameter accessory_ids: maximum array length differs: page 10, spec 5\n"
    ), "{stdout}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exit_codes_for_usage_and_unreadable_pages() {
    let out = xtask(&["drift"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("drift: which PAGE"));
    let out = xtask(&["drift", "/nonexistent/page.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the page"));
    let dir = temp_dir("bad-page");
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "Request Parameters\nParameter | Mandatory | Type | Description |\n|---|---|---|---|\nx | Yes | String |\n").unwrap();
    let out = xtask(&["drift", path_arg(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 4: this row has 3 cells"), "{stderr}");
    assert!(stderr.contains("    4 | x | Yes | String |"), "{stderr}");
    // A garbage file: bytes that are not even text.
    let garbage = dir.join("garbage.bin");
    let bytes: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, bytes).unwrap();
    let out = xtask(&["drift", path_arg(&garbage)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be read: line"),
        "{}",
        text(&out.stderr)
    );
    // A folder without pages.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = xtask(&["drift", path_arg(&empty)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("holds no page"));
    std::fs::remove_dir_all(&dir).ok();
    let out = xtask(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A small HTTP server on loopback serving `pages` (path, body); anything else is a 404.
fn serve(pages: Vec<(&'static str, String)>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // The rest of the request head.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match pages.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => ("200 OK", body.clone()),
                None => ("404 Not Found", "no such page".to_string()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn pages_fetched_over_http() {
    let mut changed = create_case();
    field(&mut changed, &Place::Response("200".into()), "incident_id")
        .constraints
        .max_length = Some(32);
    let base = serve(vec![
        (
            "/api-ticket/CreateCases.html",
            page(&create_case(), Layout::Html),
        ),
        ("/changed.html", page(&changed, Layout::Html)),
    ]);
    let url = format!("{base}/api-ticket/CreateCases.html");
    let out = xtask(&["drift", "--url", &url]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with(&format!(
            "page {url}: POST /v2/servicerequest/cases (create_case), read as HTML\n"
        )),
        "{stdout}"
    );

    let out = xtask(&["drift", &format!("--url={base}/changed.html")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert_eq!(
        lines_with(&stdout, "drift: "),
        ["drift: response 200 field incident_id: Maximum length differs: page 32, spec 64"]
    );

    let out = xtask(&["drift", "--url", &format!("{base}/gone.html")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("{base}/gone.html answered HTTP 404")),
        "{}",
        text(&out.stderr)
    );
    let out = xtask(&["drift", "--url", "ftp://example.invalid/page"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is not an http:// or https:// URL"));
}
