//! `cargo xtask generate [--check]`: everything the spec produces, written or checked.
//!
//! - `src/generated/`: the library's generated code ([`huaweicloud_osm_codegen`]:
//!   progenitor's types and client, the rules table, the request builders, the value
//!   sets, the body schemas), committed so that building the library needs none of the
//!   generator; the library's `build.rs` refuses to build when the spec changed since.
//! - `docs/reference/`: the reference pages ([`crate::docs`]).
//!
//! `--check` writes nothing and lists every stale, missing or orphaned file.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

/// What a stale file's message tells the reader to run.
pub const REGENERATE: &str = "run `cargo xtask generate` and commit the result";

/// The files the spec produces under `src/generated/`, relative to `root`.
fn render(root: &Path) -> Result<Vec<(PathBuf, String)>> {
    let files = huaweicloud_osm_codegen::generate(root).map_err(|e| anyhow!(e))?;
    Ok(files
        .into_iter()
        .map(|(name, contents)| (Path::new(huaweicloud_osm_codegen::OUT).join(name), contents))
        .collect())
}

/// Files under `src/generated/` that the generator wrote (they start with `// @generated`
/// or are the hash file) and that `keep` does not hold.
fn orphans(root: &Path, keep: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let dir = root.join(huaweicloud_osm_codegen::OUT);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| Path::new(huaweicloud_osm_codegen::OUT).join(e.file_name()))
        .filter(|rel| !keep.iter().any(|(p, _)| p == rel))
        .filter(|rel| {
            std::fs::read_to_string(root.join(rel)).is_ok_and(|t| t.starts_with("// @generated"))
        })
        .collect();
    out.sort();
    out
}

/// Writes `src/generated/` and `docs/reference/` under `root` from `root/spec/osm.yaml`,
/// removing generated files the spec no longer produces. One message per file changed.
pub fn write(root: &Path) -> Result<Vec<String>> {
    let files = render(root)?;
    let mut messages = Vec::new();
    for (rel, contents) in &files {
        let path = root.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(contents.as_str()) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
        messages.push(format!("wrote {}", rel.display()));
    }
    for rel in orphans(root, &files) {
        std::fs::remove_file(root.join(&rel))
            .with_context(|| format!("cannot remove {}", rel.display()))?;
        messages.push(format!(
            "removed {}, which the spec no longer produces",
            rel.display()
        ));
    }
    let spec = root.join(huaweicloud_osm_codegen::SPEC);
    messages.extend(
        crate::docs::write(root, &spec)?
            .into_iter()
            .filter(|m| !m.ends_with("is up to date")),
    );
    Ok(messages)
}

/// Every stale, missing or orphaned file under `src/generated/` and `docs/reference/`
/// (empty: all current).
pub fn check(root: &Path) -> Result<Vec<String>> {
    let files = render(root)?;
    let mut problems = Vec::new();
    for (rel, contents) in &files {
        match std::fs::read_to_string(root.join(rel)) {
            Ok(t) if &t == contents => {}
            Ok(_) => problems.push(format!(
                "{} is stale: it does not match {}",
                rel.display(),
                huaweicloud_osm_codegen::SPEC
            )),
            Err(_) => problems.push(format!("{} is missing", rel.display())),
        }
    }
    for rel in orphans(root, &files) {
        problems.push(format!(
            "{} is generated but the spec no longer produces it",
            rel.display()
        ));
    }
    problems.extend(crate::docs::check(
        root,
        &root.join(huaweicloud_osm_codegen::SPEC),
    )?);
    Ok(problems)
}
