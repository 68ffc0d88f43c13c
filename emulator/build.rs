//! Lists the handler modules of `src/ops/` (every `.rs` file there but `mod.rs`), so that
//! a new family's handlers need a file and nothing else: `$OUT_DIR/ops_modules.rs`
//! declares each module and chains their `HANDLERS` tables, included by `src/ops/mod.rs`.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/ops");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dir = manifest.join("src/ops");
    let mut modules: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?.to_owned();
            (stem != "mod").then_some(stem)
        })
        .collect();
    modules.sort();
    let mut out = String::new();
    for m in &modules {
        if !m
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            panic!("src/ops/{m}.rs: a handler module's name must be a Rust identifier");
        }
        let path = dir.join(format!("{m}.rs"));
        let _ = writeln!(
            out,
            "#[path = {:?}]\npub(crate) mod {m};",
            path.display().to_string()
        );
    }
    out.push_str("/// The `HANDLERS` table of every module of `src/ops/`.\n");
    out.push_str("pub(crate) const FAMILY_HANDLERS: &[&[(&str, Handler)]] = &[\n");
    for m in &modules {
        let _ = writeln!(out, "    {m}::HANDLERS,");
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("ops_modules.rs");
    if std::fs::read_to_string(&target).ok().as_deref() != Some(out.as_str()) {
        std::fs::write(&target, out).expect("OUT_DIR is writable");
    }
}
