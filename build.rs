//! Compiles `spec/osm.yaml` into Rust.
//!
//! Two files land in `$OUT_DIR`:
//! - `codegen.rs`: the progenitor client (Builder interface, hooks expected), formatted
//!   with prettyplease. It is included by `src/generated.rs` and nowhere else.
//! - `spec_rules.rs`: the constraint table of every body field and header (lengths,
//!   item counts, fixed values, conditional requirements) and the `NewCase` setters,
//!   read from the same document so that validation and the spec cannot disagree.
//!
//! A spec that does not parse, or that progenitor refuses, fails the build with a
//! message naming the file and the problem.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const SPEC: &str = "spec/osm.yaml";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(message) = run() {
        eprintln!("error: {SPEC}: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let raw: serde_yaml::Value =
        serde_yaml::from_str(&text).map_err(|e| format!("is not valid YAML: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_yaml::from_value(raw.clone())
        .map_err(|e| format!("is not an OpenAPI 3.0 document: {e}"))?;

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged)
        .with_hooks(progenitor::HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::hooks::Inner));
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .map_err(|e| format!("progenitor cannot generate a client from it: {e}"))?;
    let ast: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    // progenitor's usage snippets are marked `ignore`, which would show up as ignored
    // doctests; they are illustrations, so render them as plain text.
    let code = prettyplease::unparse(&ast).replace("```ignore", "```text");

    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    write_if_changed(&out.join("codegen.rs"), &code)?;
    write_if_changed(&out.join("spec_rules.rs"), &spec_rules(&raw)?)?;
    Ok(())
}

fn write_if_changed(path: &Path, contents: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(contents) {
        return Ok(());
    }
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Walks `a.b.c` in a YAML value.
fn at<'a>(v: &'a serde_yaml::Value, path: &str) -> Result<&'a serde_yaml::Value, String> {
    path.split('.')
        .try_fold(v, |v, key| v.get(key))
        .ok_or_else(|| format!("has no `{path}`"))
}

/// Follows a local `$ref` once.
fn resolve<'a>(
    root: &'a serde_yaml::Value,
    v: &'a serde_yaml::Value,
) -> Result<&'a serde_yaml::Value, String> {
    match v.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => {
            let path = r.trim_start_matches("#/").replace('/', ".");
            at(root, &path)
        }
        None => Ok(v),
    }
}

fn opt_usize(v: &serde_yaml::Value, key: &str) -> String {
    match v.get(key).and_then(|x| x.as_u64()) {
        Some(n) => format!("Some({n})"),
        None => "None".into(),
    }
}

fn opt_str(v: Option<&serde_yaml::Value>) -> String {
    match v.and_then(scalar_text) {
        Some(s) => format!("Some({s:?})"),
        None => "None".into(),
    }
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn str_list(v: Option<&serde_yaml::Value>) -> String {
    let items: Vec<String> = v
        .and_then(|v| v.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(scalar_text)
                .map(|s| format!("{s:?}"))
                .collect()
        })
        .unwrap_or_default();
    format!("&[{}]", items.join(", "))
}

fn rule(
    name: &str,
    location: &str,
    required: bool,
    description: Option<&str>,
    schema: &serde_yaml::Value,
) -> Result<String, String> {
    let ty = schema
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("object");
    let kind = match ty {
        "string" => "Kind::String",
        "integer" => "Kind::Integer",
        "array" => "Kind::StringArray",
        "object" => "Kind::Object",
        other => {
            return Err(format!(
                "`{name}` has type `{other}`, which the rules table cannot hold"
            ));
        }
    };
    let items = schema
        .get("items")
        .cloned()
        .unwrap_or(serde_yaml::Value::Null);
    let when = match schema.get("x-required-when") {
        Some(w) => format!(
            "Some(RequiredWhen {{ field: {:?}, equals: {:?} }})",
            w.get("field")
                .and_then(|f| f.as_str())
                .ok_or(format!("`{name}`: x-required-when needs `field`"))?,
            w.get("equals")
                .and_then(scalar_text)
                .ok_or(format!("`{name}`: x-required-when needs `equals`"))?,
        ),
        None => "None".into(),
    };
    let description = description
        .or_else(|| schema.get("description").and_then(|d| d.as_str()))
        .unwrap_or("");
    Ok(format!(
        "    FieldRule {{ name: {name:?}, location: Location::{location}, kind: {kind}, required: {required}, \
         min_length: {}, max_length: {}, min_items: {}, max_items: {}, item_min_length: {}, item_max_length: {}, \
         default: {}, allowed: {}, required_when: {when}, description: {description:?} }},\n",
        opt_usize(schema, "minLength"),
        opt_usize(schema, "maxLength"),
        opt_usize(schema, "minItems"),
        opt_usize(schema, "maxItems"),
        opt_usize(&items, "minLength"),
        opt_usize(&items, "maxLength"),
        opt_str(schema.get("default")),
        str_list(schema.get("enum")),
    ))
}

fn spec_rules(root: &serde_yaml::Value) -> Result<String, String> {
    let mut out = String::from("// @generated by build.rs from spec/osm.yaml. Do not edit.\n\n");

    // Headers: every parameter declared in components (the token's too, though the
    // operation leaves it to the auth layer).
    out.push_str("/// Every request header the spec declares, in the order it declares them.\n");
    out.push_str("pub static HEADERS: &[FieldRule] = &[\n");
    let params = at(root, "components.parameters")?
        .as_mapping()
        .ok_or("`components.parameters` is not a map")?;
    for (_, p) in params {
        let p = resolve(root, p)?;
        let name = p
            .get("name")
            .and_then(|n| n.as_str())
            .ok_or("a parameter has no name")?;
        let required = p.get("required").and_then(|r| r.as_bool()).unwrap_or(false);
        let description = p.get("description").and_then(|d| d.as_str());
        out.push_str(&rule(
            name,
            "Header",
            required,
            description,
            at(p, "schema")?,
        )?);
    }
    out.push_str("];\n\n");

    let body = at(root, "components.schemas.CreateCaseRequest")?;
    let required: Vec<&str> = body
        .get("required")
        .and_then(|r| r.as_sequence())
        .map(|s| s.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default();
    let props = at(body, "properties")?
        .as_mapping()
        .ok_or("CreateCaseRequest has no properties")?;
    out.push_str("/// Every field of the create-case body, in the order the spec declares them.\n");
    out.push_str("pub static BODY: &[FieldRule] = &[\n");
    let mut setters = String::new();
    for (key, schema) in props {
        let name = key.as_str().ok_or("a property name is not a string")?;
        out.push_str(&rule(name, "Body", required.contains(&name), None, schema)?);
        let doc = schema
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or("");
        let (arg, conv) = match schema.get("type").and_then(|t| t.as_str()) {
            Some("array") => (
                "impl IntoIterator<Item = impl Into<String>>",
                "serde_json::Value::Array(value.into_iter().map(|v| serde_json::Value::String(v.into())).collect())",
            ),
            Some("object") => (
                "serde_json::Map<String, serde_json::Value>",
                "serde_json::Value::Object(value)",
            ),
            _ => (
                "impl Into<String>",
                "serde_json::Value::String(value.into())",
            ),
        };
        let _ = write!(
            setters,
            "    /// Sets `{name}`: {doc}\n    pub fn {name}(mut self, value: {arg}) -> Self {{\n        \
             self.fields.insert({name:?}.to_owned(), {conv});\n        self\n    }}\n\n"
        );
    }
    out.push_str("];\n\n");
    let _ = write!(out, "impl crate::case::NewCase {{\n{setters}}}\n");
    Ok(out)
}
