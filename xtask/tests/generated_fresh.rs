//! `src/generated/` is written from the spec by `cargo xtask generate` and committed: a
//! copy that no longer matches the spec (or the generator) fails plain
//! `cargo test --workspace`, naming the file and the command that fixes it.

mod common;

use xtask::generate;

#[test]
fn generated_files_match_the_spec() {
    let problems = generate::check(&xtask::project_root()).expect("the check runs");
    assert!(
        problems.is_empty(),
        "generated files are stale:\n  {}\n{}",
        problems.join("\n  "),
        generate::REGENERATE
    );
}

/// In a scratch copy: a limit changed in the spec makes the generated files stale, the
/// library's build guard (its `build.rs`, compiled and run here) refuses to build and names
/// the command, and `generate` brings everything back.
#[test]
fn a_spec_edit_is_noticed_until_regenerated() {
    let root = common::temp_dir("generate-check");
    let spec = std::fs::read_to_string(xtask::default_spec_path()).unwrap();
    std::fs::create_dir_all(root.join("spec")).unwrap();
    std::fs::create_dir_all(root.join("src/ops")).unwrap();
    std::fs::write(root.join("spec/osm.yaml"), &spec).unwrap();
    for module in ["cases", "attachments", "verification", "lookups"] {
        std::fs::write(root.join(format!("src/ops/{module}.rs")), "").unwrap();
    }
    let missing = generate::check(&root).unwrap();
    assert!(
        missing.contains(&"src/generated/codegen.rs is missing".to_string()),
        "{missing:?}"
    );
    assert!(!generate::write(&root).unwrap().is_empty());
    assert!(generate::check(&root).unwrap().is_empty());

    // The spec's limit of a description, from its one model, raised by one.
    let max = osm_spec::Spec::load(root.join("spec/osm.yaml"))
        .unwrap()
        .operation("create_case")
        .and_then(|o| o.body.as_ref())
        .and_then(|b| b.field("simple_description"))
        .and_then(|f| f.constraints.max_length)
        .unwrap();
    let edited = spec.replacen(
        &format!("maxLength: {max}\n"),
        &format!("maxLength: {}\n", max + 1),
        1,
    );
    assert_ne!(edited, spec);
    std::fs::write(root.join("spec/osm.yaml"), &edited).unwrap();
    let guard = build_guard(&root);
    let refused = std::process::Command::new(&guard)
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("spec/osm.yaml changed since src/generated was written")
            && said.contains("run `cargo xtask generate`"),
        "{said}"
    );
    let stale = generate::check(&root).unwrap();
    for file in ["src/generated/spec_rules.rs", "src/generated/SPEC_HASH"] {
        assert!(
            stale.contains(&format!("{file} is stale: it does not match spec/osm.yaml")),
            "{file}: {stale:?}"
        );
    }
    // A file the generator wrote that the spec no longer produces is an orphan.
    std::fs::write(root.join("src/generated/ops_gone.rs"), "// @generated\n").unwrap();
    assert!(
        generate::check(&root)
            .unwrap()
            .iter()
            .any(|p| p.starts_with("src/generated/ops_gone.rs is generated but"))
    );
    generate::write(&root).unwrap();
    assert!(generate::check(&root).unwrap().is_empty());
    assert!(!root.join("src/generated/ops_gone.rs").exists());
    let accepted = std::process::Command::new(&guard)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(accepted.status.success(), "{accepted:?}");
    let rules = std::fs::read_to_string(root.join("src/generated/spec_rules.rs")).unwrap();
    assert!(rules.contains(&format!("{}", max + 1)));
    std::fs::remove_dir_all(&root).ok();
}

/// The library's `build.rs`, compiled on its own (it uses nothing but std).
fn build_guard(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join(format!("build-guard{}", std::env::consts::EXE_SUFFIX));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let status = std::process::Command::new(rustc)
        .args(["--edition", "2024", "-o"])
        .arg(&out)
        .arg(xtask::project_root().join("build.rs"))
        .status()
        .unwrap();
    assert!(status.success());
    out
}
