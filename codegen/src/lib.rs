//! Compiles `spec/osm.yaml` into the Rust files under `src/generated/`, through the
//! spec's one model (`osm_spec`). Run by `cargo xtask generate`, never by a build: the
//! library's users compile the committed output and none of progenitor.
//!
//! Files written (each starts with an `@generated` line):
//! - `codegen.rs`: progenitor's (typify's) types of every schema, formatted with
//!   prettyplease; included by `src/generated.rs` and nowhere else. progenitor's client
//!   is not kept: the builders below and the library's executor send every operation.
//!   Operations marked `x-hand-written` (multipart) are left out of progenitor's input,
//!   and component schemas with an `x-rust-type` are replaced by that type.
//! - `spec_rules.rs`: the rules of every operation (method, path, idempotency, business
//!   errors, and the constraints of every path, query, header and body field), included
//!   by `src/rules.rs`.
//! - `ops_<family>.rs`: one request builder per operation with a setter per parameter
//!   and body field, and the `Client` method that starts it; included by `src/ops/`.
//! - `ops_modules.rs`: a module for each family without a hand-written one in `src/ops/`.
//! - `case_setters.rs`: the body setters of `NewCase` (create_case's input).
//! - `values.rs`: one enum per open value set (`x-values` on a component schema), with
//!   its values, names and labels, and an `Unknown` variant for a value the spec does not
//!   list; progenitor's types use it in place of the schema. Included by `src/values.rs`.
//! - `one_of.rs`: `impl OneOf<E> for E` for every enum a setter takes (see `setter_arg`).
//! - `body_schemas.rs`: the JSON Schema of every operation's body, by schemars.
//! - `SPEC_HASH`: the FNV-1a hash of the spec the files were written from; the crate's
//!   `build.rs` compares it with `spec/osm.yaml` so that a stale generation fails the
//!   build with the command that fixes it.
//!
//! typify's string newtypes dereference to `String`; `codegen.rs` is rewritten so that
//! they dereference to `str` (`body.region_id.as_deref() == Some("x")`) and have `as_str()`.
//!
//! A spec that does not parse, or that progenitor refuses, is an error naming the file
//! and the problem.

use std::fmt::Write as _;
use std::path::Path;

use osm_spec::{AnswerKind, Field, Kind, Location, Operation, Spec, ValueSet, pascal};

/// The spec, relative to the crate's root.
pub const SPEC: &str = "spec/osm.yaml";
/// Where the generated files live, relative to the crate's root.
pub const OUT: &str = "src/generated";
/// The file holding the hash of the spec the generated files come from.
pub const HASH_FILE: &str = "SPEC_HASH";

/// The generated files: name (under [`OUT`]) and contents, for the crate rooted at
/// `root`. Errors are `spec/osm.yaml: <problem>`.
pub fn generate(root: &Path) -> Result<Vec<(String, String)>, String> {
    generate_files(root).map_err(|message| format!("{SPEC}: {message}"))
}

/// FNV-1a, 64 bits, of `bytes`, as 16 hex digits: the crate's `build.rs` computes the
/// same over `spec/osm.yaml` (with line endings normalised to `\n`).
pub fn spec_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes.iter().filter(|&&b| b != b'\r') {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn generate_files(root: &Path) -> Result<Vec<(String, String)>, String> {
    let spec_path = root.join(SPEC);
    let spec = Spec::load(&spec_path).map_err(|e| e.to_string())?;
    let spec_bytes = std::fs::read(&spec_path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut files: Vec<(String, String)> = Vec::new();
    let mut out = |name: &str, contents: String| files.push((name.to_owned(), contents));

    // Only progenitor's types are kept: the library's request builders (`ops_<family>.rs`)
    // and executor send every operation, so progenitor's client is generated only to fill
    // the type space (the types of inline parameter schemas are made there) and dropped.
    // The positional interface keeps typify from writing a builder for every struct.
    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Positional)
        .with_tag(progenitor::TagStyle::Merged)
        // A JSON Schema of every type, for the `--body` files of the CLI and for editors.
        .with_derive("schemars::JsonSchema");
    for (schema, rust_type) in &spec.rust_types {
        settings.with_replacement(schema, rust_type, std::iter::empty());
    }
    let mut generator = progenitor::Generator::new(&settings);
    generator
        .generate_tokens(&spec.progenitor_input())
        .map_err(|e| format!("progenitor cannot generate a client from it: {e}"))?;
    let types = generator.get_type_space().to_stream();
    let tokens = quote::quote! {
        /// Types used as operation parameters and responses.
        #[allow(clippy::all)]
        pub mod types {
            #types
        }
    };
    let ast: syn::File = syn::parse2(raw_gen(tokens))
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    // progenitor's usage snippets are marked `ignore`, which would show up as ignored
    // doctests; they are illustrations, so render them as plain text.
    let code = deref_to_str(&prettyplease::unparse(&ast).replace("```ignore", "```text"))?;
    out("codegen.rs", format!("{GENERATED}\n\n{code}"));

    out("spec_rules.rs", pretty(&rules(&spec)?)?);
    out("values.rs", pretty(&values(&spec.value_sets))?);
    let mut one_of = std::collections::BTreeSet::new();
    // One builder file per family (the spec's tags); a family without a hand-written
    // module under src/ops/ gets a generated one.
    let mut families: Vec<&str> = spec.operations.iter().map(|o| o.family.as_str()).collect();
    families.sort();
    families.dedup();
    let mut modules = String::new();
    for family in families {
        if family.is_empty()
            || !family.starts_with(|c: char| c.is_ascii_lowercase())
            || !family
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "tag `{family}` cannot name a module: use lower case letters, digits and `_`"
            ));
        }
        let ops: Vec<&Operation> = spec
            .operations
            .iter()
            .filter(|o| o.family == family)
            .collect();
        out(
            &format!("ops_{family}.rs"),
            pretty(&builders(&spec, &ops, &mut one_of)?)?,
        );
        if !root.join("src/ops").join(format!("{family}.rs")).exists() {
            let list: Vec<String> = ops
                .iter()
                .map(|o| format!("[`crate::Client::{}`]", o.id))
                .collect();
            let _ = write!(
                modules,
                "/// The operations tagged `{family}` in the spec: {}.\n///\n/// Generated from \
                 the spec: the family has no hand-written module.\npub mod {family} {{\n    \
                 include!(\"ops_{family}.rs\");\n}}\n",
                list.join(", ")
            );
        }
    }
    out("ops_modules.rs", pretty(&modules)?);
    out("body_schemas.rs", pretty(&body_schemas(&spec)?)?);
    let create = spec
        .operation("create_case")
        .ok_or("there is no operation create_case")?;
    out(
        "case_setters.rs",
        pretty(&case_setters(&spec, create, &mut one_of)?)?,
    );
    let impls: String = one_of
        .iter()
        .map(|t| {
            if let Some(t) = t.strip_prefix("typed ") {
                return format!(
                    "impl crate::Typed<{t}> for {t} {{\n    fn into_json(self) -> serde_json::Value {{\n        crate::case::to_json(&self)\n    }}\n}}\n"
                );
            }
            // typify's enums display their value; the value sets' display their label.
            let text = if t.starts_with("crate::values::") {
                "String::from(self)"
            } else {
                "self.to_string()"
            };
            format!(
                "impl crate::OneOf<{t}> for {t} {{\n    fn into_text(self) -> String {{\n        {text}\n    }}\n}}\n"
            )
        })
        .collect();
    out("one_of.rs", pretty(&impls)?);
    out(HASH_FILE, format!("{}\n", spec_hash(&spec_bytes)));
    Ok(files)
}

/// The first line of every generated Rust file.
const GENERATED: &str =
    "// @generated by `cargo xtask generate` from spec/osm.yaml. Do not edit: change the spec.";

/// typify's string newtypes implement `Deref<Target = String>`; make it `str`, so that
/// `Option<Newtype>::as_deref()` is an `Option<&str>` as with a plain `String`, and give
/// each an `as_str()`. The rewrite is checked: every such impl is rewritten, or the build
/// fails.
fn deref_to_str(code: &str) -> Result<String, String> {
    const HEAD: &str = "    impl ::std::ops::Deref for ";
    const BODY: &str = " {\n        type Target = ::std::string::String;\n        fn deref(&self) -> &::std::string::String {\n            &self.0\n        }\n    }\n";
    let impls = code.matches("type Target = ::std::string::String;").count();
    let mut out = String::with_capacity(code.len() + impls * 160);
    let mut rest = code;
    let mut rewritten = 0;
    while let Some(at) = rest.find(HEAD) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after_head = &from[HEAD.len()..];
        let name_len = after_head
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after_head.len());
        let (name, tail) = after_head.split_at(name_len);
        match tail.strip_prefix(BODY) {
            Some(next) => {
                let _ = write!(
                    out,
                    "{HEAD}{name} {{\n        type Target = str;\n        fn deref(&self) -> &str {{\n            &self.0\n        }}\n    }}\n    \
                     impl {name} {{\n        /// The text.\n        pub fn as_str(&self) -> &str {{\n            &self.0\n        }}\n    }}\n"
                );
                rewritten += 1;
                rest = next;
            }
            None => {
                out.push_str(HEAD);
                rest = after_head;
            }
        }
    }
    out.push_str(rest);
    if impls != rewritten {
        return Err(format!(
            "progenitor's Deref impls changed shape ({rewritten} of {impls} recognised): \
             update deref_to_str in codegen/src/lib.rs"
        ));
    }
    Ok(out)
}

/// The enum of every open value set (`x-values`).
fn values(sets: &[ValueSet]) -> String {
    let mut out = String::new();
    for set in sets {
        let name = &set.schema;
        let (wire, wire_ref, unknown_doc) = match set.kind {
            Kind::Integer => ("i64", "i64", "a number"),
            _ => ("String", "&str", "a text"),
        };
        let lit = |v: &str| match set.kind {
            Kind::Integer => v.to_owned(),
            _ => format!("{v:?}"),
        };
        let variants: String = set
            .values
            .iter()
            .map(|v| format!("    /// `{}`: {}.\n    {},\n", v.value, v.label, v.name))
            .collect();
        let all: Vec<String> = set
            .values
            .iter()
            .map(|v| format!("{name}::{}", v.name))
            .collect();
        let to_value: String = set
            .values
            .iter()
            .map(|v| format!("            {name}::{} => {},\n", v.name, lit(&v.value)))
            .collect();
        let from_value: String = set
            .values
            .iter()
            .map(|v| format!("            {} => {name}::{},\n", lit(&v.value), v.name))
            .collect();
        let labels: String = set
            .values
            .iter()
            .map(|v| format!("            {name}::{} => Some({:?}),\n", v.name, v.label))
            .collect();
        let listed: Vec<String> = set
            .values
            .iter()
            .map(|v| format!("`{}` {}", v.value, v.label))
            .collect();
        let (value_fn, unknown_arm, from_impls, de, schema_type) = match set.kind {
            Kind::Integer => (
                format!(
                    "    pub fn value(&self) -> i64 {{\n        match self {{\n{to_value}            {name}::Unknown(v) => *v,\n        }}\n    }}\n"
                ),
                "            other => {name}::Unknown(other),\n".replace("{name}", name),
                format!(
                    "impl From<i64> for {name} {{\n    fn from(v: i64) -> Self {{\n        Self::from_value(v)\n    }}\n}}\n\
                     impl From<{name}> for i64 {{\n    fn from(v: {name}) -> Self {{\n        v.value()\n    }}\n}}\n\
                     impl serde::Serialize for {name} {{\n    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{\n        s.serialize_i64(self.value())\n    }}\n}}\n"
                ),
                format!("        i64::deserialize(d).map({name}::from_value)\n"),
                "integer",
            ),
            _ => (
                format!(
                    "    pub fn value(&self) -> &str {{\n        match self {{\n{to_value}            {name}::Unknown(v) => v,\n        }}\n    }}\n"
                ),
                "            other => {name}::Unknown(other.to_owned()),\n".replace("{name}", name),
                format!(
                    "impl From<&str> for {name} {{\n    fn from(v: &str) -> Self {{\n        Self::from_value(v)\n    }}\n}}\n\
                     impl From<String> for {name} {{\n    fn from(v: String) -> Self {{\n        Self::from_value(&v)\n    }}\n}}\n\
                     impl From<{name}> for String {{\n    fn from(v: {name}) -> Self {{\n        v.value().to_owned()\n    }}\n}}\n\
                     impl serde::Serialize for {name} {{\n    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{\n        s.serialize_str(self.value())\n    }}\n}}\n"
                ),
                format!("        String::deserialize(d).map(|v| {name}::from_value(&v))\n"),
                "string",
            ),
        };
        let enum_values: Vec<String> = set.values.iter().map(|v| lit(&v.value)).collect();
        let _ = write!(
            out,
            "/// {desc}\n///\n/// The values the spec lists (`x-values` on the schema `{name}`): {listed}. \
             A value it does not list reads as [`{name}::Unknown`], so that a new value from the \
             service does not break a call.\n\
             #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n\
             pub enum {name} {{\n{variants}    /// A value the spec does not list ({unknown_doc}), as the service sent it.\n    Unknown({wire}),\n}}\n\n\
             impl {name} {{\n    /// Every value the spec lists, in its order.\n    pub const ALL: &'static [{name}] = &[{all}];\n\n    \
             /// The value for `value` (a value the spec does not list is [`{name}::Unknown`]).\n    \
             pub fn from_value(value: {wire_ref}) -> Self {{\n        match value {{\n{from_value}{unknown_arm}        }}\n    }}\n\n    \
             /// The value on the wire.\n{value_fn}\n    \
             /// The spec's label for display, or `None` for a value it does not list.\n    \
             pub fn label(&self) -> Option<&'static str> {{\n        match self {{\n{labels}            {name}::Unknown(_) => None,\n        }}\n    }}\n\n    \
             /// Whether the spec lists this value.\n    pub fn is_known(&self) -> bool {{\n        !matches!(self, {name}::Unknown(_))\n    }}\n}}\n\n\
             /// The label, or the value itself when the spec does not list it.\n\
             impl std::fmt::Display for {name} {{\n    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{\n        \
             match self.label() {{\n            Some(l) => f.write_str(l),\n            None => write!(f, \"{{}}\", self.value()),\n        }}\n    }}\n}}\n\n\
             {from_impls}\n\
             impl<'de> serde::Deserialize<'de> for {name} {{\n    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {{\n{de}    }}\n}}\n\n\
             impl schemars::JsonSchema for {name} {{\n    fn schema_name() -> String {{\n        {name:?}.to_owned()\n    }}\n\n    \
             fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {{\n        \
             // Open: any {schema_type}; the listed values are documentation.\n        \
             serde_json::from_value(serde_json::json!({{\"type\": {schema_type:?}, \"examples\": [{examples}]}})).expect(\"a literal schema\")\n    }}\n}}\n\n",
            desc = set.description,
            listed = listed.join(", "),
            all = all.join(", "),
            examples = enum_values.join(", "),
        );
    }
    out
}

/// Makes every identifier `gen` raw (`r#gen`). typify writes the `JsonSchema` impls of
/// constrained types with a parameter `gen` and the path `schemars::gen`, which edition
/// 2024 reserves as a keyword; the raw form means the same in every edition.
fn raw_gen(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    use proc_macro2::{Group, Ident, TokenTree};
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(i) if i == "gen" => TokenTree::Ident(Ident::new_raw("gen", i.span())),
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), raw_gen(g.stream()));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            other => other,
        })
        .collect()
}

/// Formats generated Rust source (so that snapshots of it read line by line).
fn pretty(code: &str) -> Result<String, String> {
    let file = syn::parse_file(code)
        .map_err(|e| format!("the generator wrote code that does not parse: {e}"))?;
    Ok(format!("{GENERATED}\n\n{}", prettyplease::unparse(&file)))
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    match v {
        Some(v) => format!("Some({v})"),
        None => "None".into(),
    }
}

fn opt_str(v: Option<&str>) -> String {
    match v {
        Some(s) => format!("Some({s:?})"),
        None => "None".into(),
    }
}

fn kind(k: Kind) -> &'static str {
    match k {
        Kind::String => "Kind::String",
        Kind::Integer => "Kind::Integer",
        Kind::Number => "Kind::Number",
        Kind::Boolean => "Kind::Boolean",
        Kind::Array => "Kind::Array",
        Kind::Object => "Kind::Object",
        Kind::Any => "Kind::Any",
    }
}

fn location(l: Location) -> &'static str {
    match l {
        Location::Path => "Location::Path",
        Location::Query => "Location::Query",
        Location::Header => "Location::Header",
        Location::Body | Location::Response => "Location::Body",
    }
}

/// A `FieldRule { … }` literal.
fn rule(f: &Field) -> String {
    let c = &f.constraints;
    let allowed: Vec<String> = c.allowed.iter().map(|v| format!("{v:?}")).collect();
    let when = match &c.required_when {
        Some(w) => format!(
            "Some(RequiredWhen {{ field: {:?}, equals: {:?}, lookup: {} }})",
            w.field,
            w.equals,
            match &w.lookup {
                Some(l) => format!(
                    "Some(Lookup {{ operation: {:?}, list: {:?}, member: {:?} }})",
                    l.operation, l.list, l.member
                ),
                None => "None".into(),
            }
        ),
        None => "None".into(),
    };
    let items = match &f.items {
        Some(i) => format!("Some(&{})", rule(i)),
        None => "None".into(),
    };
    let properties: Vec<String> = f.properties.iter().map(rule).collect();
    format!(
        "FieldRule {{ name: {:?}, location: {}, kind: {}, required: {}, min_length: {}, \
         max_length: {}, min_items: {}, max_items: {}, minimum: {}, maximum: {}, default: {}, \
         allowed: &[{}], pattern: {}, required_when: {when}, items: {items}, properties: &[{}], open: {}, secret: {}, description: {:?} }}",
        f.name,
        location(f.location),
        kind(f.kind),
        f.required,
        opt(c.min_length),
        opt(c.max_length),
        opt(c.min_items),
        opt(c.max_items),
        opt(c.minimum.map(|n| format!("{n}i64"))),
        opt(c.maximum.map(|n| format!("{n}i64"))),
        opt_str(c.default.as_deref()),
        allowed.join(", "),
        opt_str(c.pattern.as_deref()),
        properties.join(", "),
        f.kind != Kind::Object || f.additional_properties,
        f.format.as_deref() == Some("password"),
        f.description,
    )
}

fn const_name(id: &str) -> String {
    id.to_ascii_uppercase()
}

fn rules(spec: &Spec) -> Result<String, String> {
    let mut out = String::new();
    out.push_str("/// Every operation of the spec, in the spec's order.\n");
    out.push_str("pub static OPERATIONS: &[OperationRules] = &[\n");
    for op in &spec.operations {
        let params: Vec<String> = op.params.iter().map(rule).collect();
        let body: Vec<String> = op
            .body
            .iter()
            .flat_map(|b| b.fields.iter())
            .map(rule)
            .collect();
        let (typed_body, content_type) = match &op.body {
            Some(b) if b.content_type == "application/json" => (
                format!(
                    "Some(crate::validation::typed_body::<crate::generated::types::{}>)",
                    b.schema_name
                        .as_deref()
                        .ok_or("a body without a schema name")?
                ),
                opt_str(Some(&b.content_type)),
            ),
            Some(b) => ("None".into(), opt_str(Some(&b.content_type))),
            None => ("None".into(), "None".into()),
        };
        let success = op
            .success()
            .and_then(|r| r.body.as_ref())
            .and_then(|b| b.schema_name.clone());
        let typed_response = match (&success, op.hand_written) {
            (Some(name), false) => format!(
                "Some(crate::validation::typed_response::<crate::generated::types::{name}>)"
            ),
            _ => "None".into(),
        };
        let success_status: u16 = op
            .success()
            .and_then(|r| r.status.parse().ok())
            .unwrap_or(200);
        let default_answer = opt_str(op.default_answer.as_ref().map(|v| v.to_string()).as_deref());
        let answer = match op.answer() {
            AnswerKind::Json => "AnswerKind::Json".to_owned(),
            AnswerKind::Empty => "AnswerKind::Empty".to_owned(),
            AnswerKind::Bytes { media_type } => {
                format!("AnswerKind::Bytes {{ media_type: {media_type:?} }}")
            }
        };
        // A body that holds a file: multipart, or a JSON member of format byte (Base64).
        let carries_file = op.body.as_ref().is_some_and(|b| {
            b.content_type == "multipart/form-data"
                || b.fields
                    .iter()
                    .any(|f| matches!(f.format.as_deref(), Some("byte" | "binary")))
        });
        let noun = spec
            .tag(&op.family)
            .map_or(op.family.as_str(), |t| t.noun.as_str());
        let verb = &op.cli_verb;
        let _ = writeln!(
            out,
            "    OperationRules {{ id: {:?}, method: {:?}, path: {:?}, family: {:?}, summary: {:?}, \
             idempotent: {}, business_errors: {}, hand_written: {}, success_status: {success_status}, answer: {answer}, \
             carries_file: {carries_file}, noun: {noun:?}, verb: {verb:?}, \
             content_type: {content_type}, body_required: {}, \
             params: &[{}], body: &[{}], typed_body: {typed_body}, typed_response: {typed_response}, \
             default_answer: {default_answer} }},",
            op.id,
            op.method.as_str(),
            op.path,
            op.family,
            op.summary,
            op.idempotent,
            op.business_errors,
            op.hand_written,
            op.body.as_ref().is_some_and(|b| b.required),
            params.join(", "),
            body.join(", "),
        );
    }
    out.push_str("];\n\n");
    for (i, op) in spec.operations.iter().enumerate() {
        let _ = writeln!(
            out,
            "/// The rules of `{}` ({}).\npub static {}: &OperationRules = &OPERATIONS[{i}];",
            op.id,
            op.signature(),
            const_name(&op.id)
        );
    }
    out.push_str("\n/// Every family of operations (the spec's tags), with its `osm` command.\n");
    out.push_str("pub static TAGS: &[TagRules] = &[\n");
    for t in &spec.tags {
        let _ = writeln!(
            out,
            "    TagRules {{ name: {:?}, noun: {:?}, description: {:?} }},",
            t.name, t.noun, t.description
        );
    }
    out.push_str("];\n");
    out.push_str(
        "\n/// Header parameters no operation lists, which the auth layer sends (the token).\n",
    );
    out.push_str("pub static AUTH_HEADERS: &[FieldRule] = &[\n");
    for f in &spec.auth_headers {
        let _ = writeln!(out, "    {},", rule(f));
    }
    out.push_str("];\n");
    Ok(out)
}

/// The Rust name of a setter for a field: `X-Language` → `language`,
/// `x-phone-verifiedid` → `phone_verifiedid`, `case_id` → `case_id`, a camelCase name
/// split at its capitals (`pageNo` → `page_no`).
fn setter_name(f: &Field) -> String {
    let mut name = String::with_capacity(f.name.len() + 4);
    let mut previous: Option<char> = None;
    for c in f.name.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            name.push('_');
        }
        name.push(if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '_'
        });
        previous = Some(c);
    }
    if f.location == Location::Header
        && let Some(rest) = name.strip_prefix("x_")
    {
        name = rest.to_string();
    }
    match name.as_str() {
        "type" | "match" | "ref" | "self" | "move" | "where" | "use" | "fn" | "send" | "set"
        | "new" | "input" => format!("{name}_"),
        _ => name,
    }
}

/// The Rust type of a string field's values when the spec enumerates them: the
/// generated open enum of a value set (`x-values`), or typify's enum of an inline `enum`
/// (named after the operation and the parameter, or the body schema and the member).
fn enum_type(spec: &Spec, f: &Field, owner: &str) -> Option<String> {
    if let Some(set) = f
        .schema_name
        .as_ref()
        .and_then(|n| spec.value_sets.iter().find(|s| s.schema == *n))
    {
        return Some(format!("crate::values::{}", set.schema));
    }
    (f.kind == Kind::String && !f.constraints.allowed.is_empty() && f.schema_name.is_none()).then(
        || {
            format!(
                "crate::generated::types::{}{}",
                pascal(owner),
                pascal(&f.name)
            )
        },
    )
}

/// The argument type and the conversion to `serde_json::Value` of a setter. A string
/// whose values the spec enumerates takes `impl OneOf<E>`: the enum `E`, or text (checked
/// against the spec's values before sending); the impls for `E` are collected in `one_of`.
fn setter_arg(
    spec: &Spec,
    f: &Field,
    owner: &str,
    one_of: &mut std::collections::BTreeSet<String>,
) -> (String, String) {
    if f.kind == Kind::String
        && let Some(t) = enum_type(spec, f, owner)
    {
        one_of.insert(t.clone());
        return (
            format!("impl crate::OneOf<{t}>"),
            "serde_json::Value::String(crate::OneOf::into_text(value))".into(),
        );
    }
    // An object of a named schema that lists its members: the generated type, or JSON.
    if f.kind == Kind::Object
        && !f.additional_properties
        && let Some(n) = &f.schema_name
    {
        let t = format!("crate::generated::types::{n}");
        one_of.insert(format!("typed {t}"));
        return (
            format!("impl crate::Typed<{t}>"),
            "crate::Typed::into_json(value)".into(),
        );
    }
    let (a, c) = setter_arg_plain(f);
    (a.to_owned(), c.to_owned())
}

fn setter_arg_plain(f: &Field) -> (&'static str, &'static str) {
    match f.kind {
        Kind::String => (
            "impl Into<String>",
            "serde_json::Value::String(value.into())",
        ),
        // `Into<i64>`: any integer up to 32 bits, `i64`, and the open enums of integer
        // value sets (`CaseStatus`).
        Kind::Integer => ("impl Into<i64>", "serde_json::Value::from(value.into())"),
        Kind::Number => ("f64", "serde_json::Value::from(value)"),
        Kind::Boolean => ("bool", "serde_json::Value::Bool(value)"),
        // `AsRef<str>` rather than `Into<String>`: `&Vec<&str>` and `&[String]` (items
        // `&&str`, `&String`) work as well as arrays and vectors of `&str` or `String`.
        Kind::Array if f.items.as_ref().is_some_and(|i| i.kind == Kind::String) => (
            "impl IntoIterator<Item = impl AsRef<str>>",
            "serde_json::Value::Array(value.into_iter().map(|v| serde_json::Value::String(v.as_ref().to_owned())).collect())",
        ),
        Kind::Array => (
            "impl IntoIterator<Item = serde_json::Value>",
            "serde_json::Value::Array(value.into_iter().collect())",
        ),
        // Any map or struct that serialises to a JSON object: `serde_json::Map`, a
        // `HashMap<&str, _>`, a `json!({..})` value, the application's own struct.
        Kind::Object | Kind::Any => ("impl serde::Serialize", "crate::case::to_json(&value)"),
    }
}

/// What a field's doc line says about where it goes and its limits.
fn field_doc(f: &Field) -> String {
    let mut d = format!(
        "{} ({} {}",
        if f.description.is_empty() {
            "No description."
        } else {
            &f.description
        },
        if f.required { "required" } else { "optional" },
        match f.location {
            Location::Path => "path parameter",
            Location::Query => "query parameter",
            Location::Header => "header",
            _ => "body field",
        }
    );
    if f.location != Location::Body {
        let _ = write!(d, " `{}`", f.name);
    }
    let c = &f.constraints;
    match (c.min_length, c.max_length) {
        (Some(a), Some(b)) => {
            let _ = write!(d, "; {a} to {b} characters");
        }
        (None, Some(b)) => {
            let _ = write!(d, "; at most {b} characters");
        }
        _ => {}
    }
    if let (Some(a), Some(b)) = (c.minimum, c.maximum) {
        let _ = write!(d, "; {a} to {b}");
    }
    if let Some(n) = c.max_items {
        let _ = write!(d, "; at most {n} items");
    }
    if let Some(def) = &c.default {
        let _ = write!(d, "; the service assumes `{def}` when absent");
    }
    d.push(')');
    d
}

fn builders(
    spec: &Spec,
    ops: &[&Operation],
    one_of: &mut std::collections::BTreeSet<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut client_methods = String::new();
    for op in ops {
        if op.id == "create_case" || op.hand_written {
            // create_case has its own input type (`NewCase`) and exactly-once logic; a
            // hand-written operation has its own module.
            continue;
        }
        let name = pascal(&op.id);
        let rules_const = const_name(&op.id);
        let answer = op.answer();
        let response = match &answer {
            AnswerKind::Json => Some(
                op.success()
                    .and_then(|r| r.body.as_ref())
                    .and_then(|b| b.schema_name.clone())
                    .ok_or_else(|| {
                        format!(
                            "{}: the success response (application/json) has no named schema; \
                             name it in components.schemas",
                            op.id
                        )
                    })?,
            ),
            _ => None,
        };
        let _ = write!(
            out,
            "/// A request of `{id}`: {summary}\n///\n/// {description}\n///\n/// `{sig}` · {idem}. \
             Start one with [`crate::Client::{id}`], set its fields, then [`{name}::{send}`] it.\n\
             #[must_use = \"a request does nothing until it is sent\"]\n\
             #[derive(Clone, Debug)]\n\
             pub struct {name}<'c> {{\n    client: &'c crate::Client,\n    input: crate::exec::Input,\n}}\n\n\
             impl<'c> {name}<'c> {{\n",
            id = op.id,
            summary = op.summary,
            description = op.description,
            sig = op.signature(),
            send = if matches!(answer, AnswerKind::Bytes { .. }) {
                "send_to"
            } else {
                "send"
            },
            idem = if op.idempotent {
                "idempotent: retried automatically after timeouts, lost connections, 5xx and 429"
            } else {
                "not idempotent: retried only when the request certainly did not reach the service"
            },
        );
        let mut names = std::collections::HashSet::new();
        for (i, f) in op.params.iter().enumerate() {
            let setter = setter_name(f);
            if !names.insert(setter.clone()) {
                return Err(format!("{}: two fields make the setter `{setter}`", op.id));
            }
            let (arg, conv) = setter_arg(spec, f, &op.id, one_of);
            let _ = write!(
                out,
                "    /// {}\n    pub fn {setter}(mut self, value: {arg}) -> Self {{\n        \
                 self.input.set_param({i}, {conv});\n        self\n    }}\n\n",
                field_doc(f)
            );
        }
        let body_schema = op
            .body
            .as_ref()
            .and_then(|b| b.schema_name.clone())
            .unwrap_or_default();
        for f in op.body.iter().flat_map(|b| b.fields.iter()) {
            let setter = setter_name(f);
            if !names.insert(setter.clone()) {
                return Err(format!("{}: two fields make the setter `{setter}`", op.id));
            }
            let (arg, conv) = setter_arg(spec, f, &body_schema, one_of);
            let _ = write!(
                out,
                "    /// {}\n    pub fn {setter}(mut self, value: {arg}) -> Self {{\n        \
                 self.input.set_body({:?}, {conv});\n        self\n    }}\n\n",
                field_doc(f),
                f.name
            );
        }
        match (&answer, &response) {
            (AnswerKind::Json, Some(response)) => {
                let _ = write!(
                    out,
                    "    /// Validates the request against the spec, sends it and reads the answer.\n    \
                     pub async fn send(self) -> Result<crate::Answer<crate::generated::types::{response}>, crate::Error> {{\n        \
                     self.client.execute(self.input).await\n    }}\n\n"
                );
            }
            (AnswerKind::Bytes { media_type }, _) => {
                let _ = write!(
                    out,
                    "    /// Validates the request, sends it and streams the file it answers ({media_type}) \
                     into `writer`, refusing one longer than `limit` bytes (see [`crate::download`]).\n    \
                     pub async fn send_to<W>(self, writer: &mut W, limit: u64) -> Result<crate::Download, crate::Error>\n    \
                     where W: tokio::io::AsyncWrite + Unpin + Send + ?Sized {{\n        \
                     self.client.download(self.input, writer, limit).await\n    }}\n\n    \
                     /// Validates the request, sends it and saves the file it answers ({media_type}) \
                     at `path` (written beside it, then renamed: a failed download leaves nothing), \
                     refusing one longer than `limit` bytes.\n    \
                     pub async fn save(self, path: impl AsRef<std::path::Path>, limit: u64) -> Result<crate::Download, crate::Error> {{\n        \
                     self.client.download_to_file(self.input, path.as_ref(), limit).await\n    }}\n\n"
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "    /// Validates the request against the spec and sends it; the answer has no body.\n    \
                     pub async fn send(self) -> Result<crate::Answer<()>, crate::Error> {{\n        \
                     self.client.execute::<()>(self.input).await\n    }}\n\n"
                );
            }
        }
        let _ = write!(
            out,
            "    /// The request as it stands, for inspection or a generic send.\n    \
             pub fn into_input(self) -> crate::exec::Input {{\n        self.input\n    }}\n}}\n\n"
        );
        let _ = write!(
            client_methods,
            "    /// {summary}\n    ///\n    /// `{sig}`: see [`{name}`] for its fields.\n    \
             pub fn {id}(&self) -> {name}<'_> {{\n        \
             {name} {{ client: self, input: crate::exec::Input::new(crate::rules::{rules_const}) }}\n    }}\n\n",
            summary = op.summary,
            sig = op.signature(),
            id = op.id,
        );
    }
    if !client_methods.is_empty() {
        let _ = write!(out, "impl crate::Client {{\n{client_methods}}}\n");
    }
    Ok(out)
}

/// The JSON Schema, derived by schemars from the generated type, of every operation's
/// JSON request body: `(operation id, fn() -> RootSchema)`, in the spec's order;
/// included by `src/schema.rs`.
fn body_schemas(spec: &Spec) -> Result<String, String> {
    let mut rows = String::new();
    for op in &spec.operations {
        let Some(body) = op
            .body
            .as_ref()
            .filter(|b| b.content_type == "application/json")
        else {
            continue;
        };
        let name = body
            .schema_name
            .as_deref()
            .ok_or_else(|| format!("{}: a body without a schema name", op.id))?;
        let _ = writeln!(
            rows,
            "    ({:?}, || schemars::schema_for!(crate::generated::types::{name})),",
            op.id
        );
    }
    Ok(format!(
        "/// Every operation with a JSON body, and its body's schema.\n\
         pub(crate) static BODIES: &[(&str, BodySchema)] = &[\n{rows}];\n"
    ))
}

/// The return type and the expression of a getter of a body field held in
/// `self.fields` (a `serde_json::Map`).
fn getter_ret(f: &Field) -> (&'static str, String) {
    let get = format!("self.fields.get({:?})", f.name);
    match f.kind {
        Kind::String => (
            "Option<&str>",
            format!("{get}.and_then(serde_json::Value::as_str)"),
        ),
        Kind::Integer => (
            "Option<i64>",
            format!("{get}.and_then(serde_json::Value::as_i64)"),
        ),
        Kind::Number => (
            "Option<f64>",
            format!("{get}.and_then(serde_json::Value::as_f64)"),
        ),
        Kind::Boolean => (
            "Option<bool>",
            format!("{get}.and_then(serde_json::Value::as_bool)"),
        ),
        Kind::Array if f.items.as_ref().is_some_and(|i| i.kind == Kind::String) => (
            "Option<Vec<&str>>",
            format!(
                "{get}.and_then(serde_json::Value::as_array).and_then(|a| a.iter().map(serde_json::Value::as_str).collect())"
            ),
        ),
        Kind::Array => (
            "Option<&[serde_json::Value]>",
            format!("{get}.and_then(serde_json::Value::as_array).map(Vec::as_slice)"),
        ),
        Kind::Object => (
            "Option<&serde_json::Map<String, serde_json::Value>>",
            format!("{get}.and_then(serde_json::Value::as_object)"),
        ),
        Kind::Any => ("Option<&serde_json::Value>", get),
    }
}

/// `NewCase`'s setter and getter of every body field, and the fields and headers that
/// hold personal data (`x-personal-data`), which its `Debug` hides.
fn case_setters(
    spec: &Spec,
    op: &Operation,
    one_of: &mut std::collections::BTreeSet<String>,
) -> Result<String, String> {
    let body = op.body.as_ref().ok_or("create_case has no body")?;
    let owner = body.schema_name.clone().unwrap_or_default();
    let mut setters = String::new();
    for f in &body.fields {
        let setter = setter_name(f);
        let (arg, conv) = setter_arg(spec, f, &owner, one_of);
        let _ = write!(
            setters,
            "    /// Sets `{}`: {}\n    pub fn {setter}(mut self, value: {arg}) -> Self {{\n        \
             self.fields.insert({:?}.to_owned(), {conv});\n        self\n    }}\n\n",
            f.name,
            field_doc(f),
            f.name
        );
        let (ret, expr) = getter_ret(f);
        let _ = write!(
            setters,
            "    /// `{}` as set, or `None` when it is not set (or not of its type).\n    \
             pub fn get_{setter}(&self) -> {ret} {{\n        {expr}\n    }}\n\n",
            f.name,
        );
    }
    let personal_body: Vec<String> = body
        .fields
        .iter()
        .filter(|f| f.personal)
        .map(|f| format!("{:?}", f.name))
        .collect();
    let personal_headers: Vec<String> = op
        .params
        .iter()
        .filter(|f| f.personal && f.location == Location::Header)
        .map(|f| format!("{:?}", f.name))
        .collect();
    Ok(format!(
        "impl crate::case::NewCase {{\n{setters}}}\n\n\
         /// The body fields of create_case that hold personal data (`x-personal-data`).\n\
         pub(crate) const PERSONAL_FIELDS: &[&str] = &[{}];\n\n\
         /// The headers of create_case that hold personal data (`x-personal-data`).\n\
         pub(crate) const PERSONAL_HEADERS: &[&str] = &[{}];\n",
        personal_body.join(", "),
        personal_headers.join(", "),
    ))
}
