//! The vendor's own page (`../shared/upstream/create-service-ticket.txt`) against the real
//! spec, through the `xtask` binary as a maintainer runs it. A missing page fails these
//! tests; it does not skip them.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{changed_lines, real_page, real_page_path, temp_dir};

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

#[test]
fn the_vendor_page_parses_completely() {
    let p = xtask::page::parse(&real_page()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        p.uri.as_ref().map(|u| u.path.as_str()),
        Some("/v2/servicerequest/cases")
    );
    assert_eq!(p.headers.len(), 5);
    assert_eq!(p.body.len(), 16);
    assert_eq!(p.responses.len(), 1);
    assert_eq!(p.responses[0].params.len(), 1);
    assert!(p.example.is_some());
    assert!(p.notes.is_empty(), "{:?}", p.notes);
}

#[test]
fn the_vendor_page_matches_the_spec() {
    let out = xtask(&["drift", path_arg(&real_page_path())]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{}",
        text(&out.stderr)
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("drift: ")),
        "{stdout}"
    );

    let deviations: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("declared deviation: "))
        .collect();
    for who in [
        "header X-Auth-Token",
        "header X-Site is in the spec but not on the page",
        "response 200 field error_code is in the spec but not on the page",
        "response 200 field error_msg is in the spec but not on the page",
    ] {
        assert!(
            deviations
                .iter()
                .any(|l| l.starts_with(&format!("declared deviation: {who}"))),
            "no declared deviation for {who}:\n{stdout}"
        );
    }
    assert_eq!(deviations.len(), 4, "{stdout}");

    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
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
    assert!(stdout.ends_with(
        "no drift: the spec matches the page (4 declared deviation(s), 4 warning(s))\n"
    ));
}

#[test]
fn one_changed_limit_is_drift_and_apply_fixes_exactly_one_line() {
    let dir = temp_dir("one-limit");
    let page = real_page();
    let from = "Describes the problem. Minimum length: 0 Maximum length: 1200";
    assert_eq!(
        page.matches(from).count(),
        1,
        "the vendor page changed: update this test"
    );
    let page_path = dir.join("page.txt");
    std::fs::write(
        &page_path,
        page.replace(from, &from.replace("1200", "1500")),
    )
    .unwrap();
    let original = std::fs::read_to_string(xtask::default_spec_path()).unwrap();
    let spec_path = dir.join("osm.yaml");
    std::fs::write(&spec_path, &original).unwrap();
    let (page_arg, spec_arg) = (path_arg(&page_path), path_arg(&spec_path));

    // 1. Drift, naming the parameter and both values.
    let out = xtask(&["drift", page_arg, "--spec", spec_arg]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let drift: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("drift: "))
        .collect();
    assert_eq!(
        drift,
        ["drift: body parameter simple_description: Maximum length differs: page 1500, spec 1200"]
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
        !stdout
            .lines()
            .any(|l| l.starts_with("left for the maintainer: ")),
        "{stdout}"
    );

    // 3. The next run finds no drift.
    let out = xtask(&["drift", page_arg, "--spec", spec_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // 4. The copy differs from the spec by exactly one line.
    let edited = std::fs::read_to_string(&spec_path).unwrap();
    let (removed, added) = changed_lines(&original, &edited);
    assert_eq!(removed, ["          maxLength: 1200"]);
    assert_eq!(added, ["          maxLength: 1500"]);
    assert_eq!(original.lines().count(), edited.lines().count());

    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exit_codes_for_usage_and_unreadable_pages() {
    let out = xtask(&["drift"]);
    assert_eq!(out.status.code(), Some(2));
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
    std::fs::remove_dir_all(&dir).ok();
    let out = xtask(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
}
