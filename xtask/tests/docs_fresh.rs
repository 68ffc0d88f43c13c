//! docs/ is generated from the spec: a stale copy fails plain `cargo test`, with the
//! command that fixes it.

mod common;

use std::path::Path;

use xtask::docs;

#[test]
fn docs_match_the_spec() {
    let problems = docs::check(&xtask::project_root(), &xtask::default_spec_path())
        .expect("the docs check runs");
    assert!(
        problems.is_empty(),
        "docs/ is stale:\n  {}\n{} (cargo xtask docs)",
        problems.join("\n  "),
        docs::REGENERATE
    );
}

#[test]
fn the_check_notices_stale_missing_and_orphaned_files() {
    let root = common::temp_dir("docs-check");
    std::fs::create_dir_all(root.join("spec")).unwrap();
    let spec = root.join("spec/osm.yaml");
    std::fs::copy(xtask::default_spec_path(), &spec).unwrap();

    let missing = docs::check(&root, &spec).unwrap();
    let operations = xtask::spec::Spec::load(&spec).unwrap().operations().len();
    assert_eq!(missing.len(), operations, "{missing:?}");
    assert!(missing.contains(&"docs/reference/create-case.md is missing".to_string()));

    docs::write(&root, &spec).unwrap();
    assert!(docs::check(&root, &spec).unwrap().is_empty());

    // A hand edit is stale.
    let file = root.join("docs/reference/create-case.md");
    let text = std::fs::read_to_string(&file).unwrap();
    let max = description_max();
    let edited = text.replace(
        &format!("Minimum length: 0 Maximum length: {max}"),
        &format!("Maximum length: {max}"),
    );
    assert_ne!(edited, text, "the edit changed the page");
    std::fs::write(&file, edited).unwrap();
    assert_eq!(
        docs::check(&root, &spec).unwrap(),
        ["docs/reference/create-case.md is stale: it does not match spec/osm.yaml"]
    );

    // A generated file the spec no longer produces is reported, and removed by `write`.
    let orphan = root.join("docs/reference/old-operation.md");
    std::fs::write(
        &orphan,
        format!("{} from spec/osm.yaml -->\n", docs::MARKER),
    )
    .unwrap();
    assert_eq!(docs::check(&root, &spec).unwrap().len(), 2);
    docs::write(&root, &spec).unwrap();
    assert!(!orphan.exists());
    assert!(docs::check(&root, &spec).unwrap().is_empty());
    // Hand-written files beside them are left alone.
    std::fs::write(root.join("docs/reference/notes.md"), "# mine\n").unwrap();
    assert!(docs::check(&root, &spec).unwrap().is_empty());

    std::fs::remove_dir_all(Path::new(&root)).ok();
}

#[test]
fn the_rendered_tables_say_what_the_spec_says() {
    let spec = xtask::spec::Spec::load(&xtask::default_spec_path()).unwrap();
    let files = docs::render(&spec, "spec/osm.yaml").unwrap();
    let md = &files
        .iter()
        .find(|f| f.path.ends_with("create-case.md"))
        .expect("a page for create_case")
        .contents;
    for row in [
        "| simple_description | Yes | String | ",
        "| accessory_ids | No | Array of strings | ",
        "| extends_map | No | Map<String,Object> | ",
        "| X-Auth-Token | Yes | String | ",
        "| X-Site | No | Integer | ",
        "| 400 | OSM.0001 | ",
        "| 200 | OSM.01010010 | ",
    ] {
        assert!(md.contains(row), "no row starting {row:?}");
    }
    let description = format!("Minimum length: 0 Maximum length: {}", description_max());
    for words in [
        description.as_str(),
        "Minimum length: 1 Maximum length: 32 Array length: 0 - 5",
        "Default: zh-cn",
        "Fixed value: 83aeb0f2834c4df49826c781d32a963e",
        "Allowed values: 0, 1",
        "Mandatory when the case_type of the business_type_id (in list_problem_types) is 5",
        "Deviation from the vendor's page: Absent from the vendor's page",
        "Status codes: 4XX, 5XX",
    ] {
        assert!(md.contains(words), "missing {words:?}");
    }
    assert!(md.starts_with(docs::MARKER));
    assert!(
        md.lines()
            .next()
            .unwrap()
            .contains("run `cargo xtask docs` to regenerate")
    );
}

/// The spec's limit of a ticket's description, from its one model.
fn description_max() -> u64 {
    osm_spec::Spec::load(xtask::default_spec_path())
        .unwrap()
        .operation("create_case")
        .and_then(|o| o.body.as_ref())
        .and_then(|b| b.field("simple_description"))
        .and_then(|f| f.constraints.max_length)
        .unwrap()
}

/// The project's own reference pages are pages the drift reader reads: each says what the
/// spec says (a pattern's escaped `\|` included).
#[test]
fn drift_reads_the_projects_own_reference_pages() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(xtask::project_root())
        .args(["drift", "docs/reference"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("drift: ")),
        "{stdout}"
    );
    assert!(stdout.contains("no drift"), "{stdout}");
}
