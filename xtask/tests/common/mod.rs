//! Helpers shared by the xtask tests.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};

use xtask::drift::{self, Outcome};
use xtask::spec::Spec;

/// The small spec the test pages describe.
pub fn mini_spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini.yaml")
}

pub fn mini_spec() -> Spec {
    Spec::load(&mini_spec_path()).expect("tests/fixtures/mini.yaml loads")
}

/// A page in the vendor's layout, written for these tests, that matches `mini.yaml`.
pub const PAGE: &str = "\
Making a Widget
Function
Makes one widget.
URI
POST /v1/widgets
Request Parameters
Parameter | Mandatory | Type | Description |
|---|---|---|---|
X-Key | Yes | String | Key of the caller. Minimum length: 1 Maximum length: 100 |
X-Locale | No | String | Answer language. It is en by default. Maximum length: 8 |
Parameter | Mandatory | Type | Description |
|---|---|---|---|
label | Yes | String | A label. Minimum length: 0 Maximum length: 40 |
origin | Yes | String | The origin; the value is fixed to abc. Maximum length: 8 |
kind | No | String | A kind. Maximum length: 4 |
zone_id | No | String | A zone. It is mandatory if kind is 7. Maximum length: 16 |
tags | No | Array of strings | Some tags. Minimum length: 1 Maximum length: 10 Array length: 0 - 3 |
extra | No | Map<String,Object> | Whatever else. |
Response Parameters
Status code: 200
Parameter | Type | Description |
|---|---|---|
widget_id | String | Id of the widget. Maximum length: 20 |
Request Example
POST https://{endpoint}/v1/widgets
{
\"label\" : \"blue\",
\"origin\" : \"abc\"
} Response Example
Status code: 200
{ \"widget_id\" : \"1\" }
";

/// `PAGE` with `from` replaced by `to` (which must occur exactly once).
pub fn page_with(from: &str, to: &str) -> String {
    assert_eq!(
        PAGE.matches(from).count(),
        1,
        "`{from}` must occur once in PAGE"
    );
    PAGE.replace(from, to)
}

/// Runs the drift command in-process against the mini spec.
pub fn run(page: &str, apply: bool) -> Outcome {
    drift::run_text("test page", page, &mini_spec(), apply)
}

/// The lines that differ between two texts, as (removed, added), found by trimming the
/// common prefix and suffix: enough for edits confined to one place.
pub fn changed_lines(old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let a: Vec<&str> = old.split('\n').collect();
    let b: Vec<&str> = new.split('\n').collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (
        a[prefix..a.len() - suffix]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        b[prefix..b.len() - suffix]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    )
}

/// The vendor's page, which lives in the steering repository's shared/ folder beside the
/// repository. Its absence is a failure, not a skip: the tests that need it must run.
pub fn real_page_path() -> PathBuf {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/upstream/create-service-ticket.txt"
    ))
    .to_path_buf();
    assert!(
        p.is_file(),
        "the vendor page {} is missing: these tests need the copy of shared/ that sits beside \
         the repository (shared/upstream/create-service-ticket.txt)",
        p.display()
    );
    p
}

pub fn real_page() -> String {
    std::fs::read_to_string(real_page_path()).expect("the vendor page is readable")
}

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
