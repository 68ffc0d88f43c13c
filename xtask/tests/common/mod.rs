//! Helpers shared by the xtask tests. Every page the tests read is rendered here from a
//! spec of this repository (`spec/osm.yaml` or `tests/fixtures/mini.yaml`) by
//! `xtask::render`, as it is or changed; nothing outside the repository is read.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::{Path, PathBuf};

use xtask::drift::{self, Outcome, Place, SpecField, SpecOperation};
use xtask::page::Layout;
use xtask::render;
use xtask::spec::Spec;

/// The small spec of the drift tests.
pub fn mini_spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini.yaml")
}

pub fn mini_spec() -> Spec {
    Spec::load(&mini_spec_path()).expect("tests/fixtures/mini.yaml loads")
}

/// The project's spec, `spec/osm.yaml`.
pub fn real_spec() -> Spec {
    Spec::load(&xtask::default_spec_path()).expect("spec/osm.yaml loads")
}

/// The operation `id` of a spec, as drift sees it.
pub fn operation(spec: &Spec, id: &str) -> SpecOperation {
    drift::operations(spec)
        .expect("the spec's operations")
        .into_iter()
        .find(|o| o.operation_id == id)
        .unwrap_or_else(|| panic!("the spec has no operation {id}"))
}

/// The mini spec's `make_widget` as the vendor's page would have it: without the two
/// fields the spec declares absent from the vendor's page (`X-Zone`, response `note`).
pub fn widget() -> SpecOperation {
    let mut op = operation(&mini_spec(), "make_widget");
    remove(&mut op, &Place::Header, "X-Zone");
    remove(&mut op, &Place::Response("200".into()), "note");
    op
}

/// The mini spec's `list_gadgets` as the vendor's page would have it (without `X-Zone`).
pub fn gadgets() -> SpecOperation {
    let mut op = operation(&mini_spec(), "list_gadgets");
    remove(&mut op, &Place::Header, "X-Zone");
    op
}

/// The real spec's `create_case` as the vendor's page has it: without the fields the spec
/// declares absent from it (`X-Site`, and `error_code`/`error_msg` of the 200 body).
pub fn create_case() -> SpecOperation {
    let mut op = operation(&real_spec(), "create_case");
    remove(&mut op, &Place::Header, "X-Site");
    remove(&mut op, &Place::Response("200".into()), "error_code");
    remove(&mut op, &Place::Response("200".into()), "error_msg");
    op
}

/// The field `name` of the table in `place`.
pub fn field<'a>(op: &'a mut SpecOperation, place: &Place, name: &str) -> &'a mut SpecField {
    op.tables
        .iter_mut()
        .find(|t| &t.place == place)
        .unwrap_or_else(|| panic!("no {place} table"))
        .fields
        .iter_mut()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {place} {name}"))
}

/// Removes the field `name` from the table in `place` (it must be there).
pub fn remove(op: &mut SpecOperation, place: &Place, name: &str) -> SpecField {
    let table = op
        .tables
        .iter_mut()
        .find(|t| &t.place == place)
        .unwrap_or_else(|| panic!("no {place} table"));
    let i = table
        .fields
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {place} {name}"));
    table.fields.remove(i)
}

/// Inserts `f` into the table in `place`, before the field `before`.
pub fn insert_before(op: &mut SpecOperation, place: &Place, before: &str, f: SpecField) {
    let table = op
        .tables
        .iter_mut()
        .find(|t| &t.place == place)
        .unwrap_or_else(|| panic!("no {place} table"));
    let i = table
        .fields
        .iter()
        .position(|f| f.name == before)
        .unwrap_or_else(|| panic!("no {place} {before}"));
    table.fields.insert(i, f);
}

/// A new string field with no location in any spec.
pub fn new_field(name: &str, required: bool, ty: &str, description: &str) -> SpecField {
    SpecField {
        name: name.into(),
        required,
        ty: ty.into(),
        kind: xtask::drift::ValueKind::String,
        description: description.into(),
        constraints: Default::default(),
        deviation: None,
        location: None,
    }
}

/// The operation's page in `layout`.
pub fn page(op: &SpecOperation, layout: Layout) -> String {
    render::render(op, layout)
}

/// Runs the drift command in-process against the mini spec.
pub fn run(page: &str, apply: bool) -> Outcome {
    drift::run_text("test page", page, &mini_spec(), apply)
}

/// Runs the drift command in-process against `spec`.
pub fn run_on(spec: &Spec, page: &str, apply: bool) -> Outcome {
    drift::run_text("test page", page, spec, apply)
}

/// The lines of an output that start with `prefix`.
pub fn lines_with<'a>(stdout: &'a str, prefix: &str) -> Vec<&'a str> {
    stdout.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// The `drift:` lines of an output.
pub fn drift_lines(stdout: &str) -> Vec<&str> {
    lines_with(stdout, "drift: ")
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

/// A fresh, empty directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
