//! The look-up catalogue: what the emulator answers to the ten look-ups, kept as data
//! files (`emulator/data/catalogue/`, format in its README). The built-in folder is
//! compiled into the crate; [`Catalogue::from_dir`] loads a replacement.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

/// The files of a catalogue, by name without `.json`.
const FILES: [&str; 10] = [
    "product_categories",
    "case_categories",
    "problem_types",
    "severities",
    "regions",
    "area_codes",
    "extends_params",
    "templates",
    "limits",
    "quotas",
];

/// The built-in files.
const BUILT_IN: [(&str, &str); 10] = [
    (
        "product_categories",
        include_str!("../data/catalogue/product_categories.json"),
    ),
    (
        "case_categories",
        include_str!("../data/catalogue/case_categories.json"),
    ),
    (
        "problem_types",
        include_str!("../data/catalogue/problem_types.json"),
    ),
    (
        "severities",
        include_str!("../data/catalogue/severities.json"),
    ),
    ("regions", include_str!("../data/catalogue/regions.json")),
    (
        "area_codes",
        include_str!("../data/catalogue/area_codes.json"),
    ),
    (
        "extends_params",
        include_str!("../data/catalogue/extends_params.json"),
    ),
    (
        "templates",
        include_str!("../data/catalogue/templates.json"),
    ),
    ("limits", include_str!("../data/catalogue/limits.json")),
    ("quotas", include_str!("../data/catalogue/quotas.json")),
];

/// The largest catalogue file read from a folder.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The members of catalogue entries that only relate entries and are never sent.
const CATALOGUE_ONLY: [&str; 2] = ["product_category_ids", "severity_ids"];

/// The data the look-ups answer from.
#[derive(Clone)]
pub struct Catalogue {
    files: Map<String, Value>,
}

impl fmt::Debug for Catalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalogue")
            .field(
                "problem_types",
                &self.list("problem_types", "problem_types").len(),
            )
            .field(
                "product_categories",
                &self.list("product_categories", "product_categories").len(),
            )
            .finish_non_exhaustive()
    }
}

/// Why a catalogue could not be loaded.
#[derive(Debug)]
pub struct CatalogueError(String);

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogueError {}

impl Default for Catalogue {
    fn default() -> Self {
        Self::built_in()
    }
}

impl Catalogue {
    /// The catalogue compiled into the crate.
    pub fn built_in() -> Self {
        let mut files = Map::new();
        for (name, text) in BUILT_IN {
            // The built-in files are checked by scripts/check_catalogue.py and by the
            // crate's tests; a broken one is a bug of the crate.
            let value = serde_json::from_str(text).unwrap_or(Value::Null);
            files.insert(name.to_owned(), value);
        }
        Self { files }
    }

    /// Loads the ten files from a folder (all must be present; format in the built-in
    /// folder's README). Check a folder first with `scripts/check_catalogue.py`.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, CatalogueError> {
        use std::io::Read;
        let dir = dir.as_ref();
        let mut files = Map::new();
        for name in FILES {
            let path = dir.join(format!("{name}.json"));
            let mut text = String::new();
            std::fs::File::open(&path)
                .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_string(&mut text))
                .map_err(|e| CatalogueError(format!("cannot read {}: {e}", path.display())))?;
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(CatalogueError(format!(
                    "{} is larger than {MAX_FILE_BYTES} bytes",
                    path.display()
                )));
            }
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| CatalogueError(format!("{} is not JSON: {e}", path.display())))?;
            if !value.is_object() {
                return Err(CatalogueError(format!(
                    "{} is not a JSON object",
                    path.display()
                )));
            }
            files.insert(name.to_owned(), value);
        }
        Ok(Self { files })
    }

    /// The list `member` of the file `file` (empty if absent).
    pub(crate) fn list(&self, file: &str, member: &str) -> &[Value] {
        self.files
            .get(file)
            .and_then(|f| f.get(member))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The member `member` of the file `file`.
    pub(crate) fn get(&self, file: &str, member: &str) -> Option<&Value> {
        self.files.get(file).and_then(|f| f.get(member))
    }

    /// The problem type `id`, if the catalogue has it.
    pub fn problem_type(&self, id: &str) -> Option<&Value> {
        self.list("problem_types", "problem_types")
            .iter()
            .find(|p| p.get("business_type_id").and_then(Value::as_str) == Some(id))
    }

    /// Whether tickets of problem type `id` are fault reports (`case_type` "5"), which
    /// need a region.
    pub fn is_fault_report(&self, id: &str) -> bool {
        self.problem_type(id)
            .and_then(|p| p.get("case_type"))
            .and_then(Value::as_str)
            == Some("5")
    }
}

/// Whether `v` is a display text: an object from language tags to texts, with a
/// `zh-cn` entry.
fn is_text(map: &Map<String, Value>) -> bool {
    map.contains_key("zh-cn") && map.values().all(Value::is_string)
}

/// An entry as the service would send it in `language`: display texts picked (falling
/// back to `zh-cn`), catalogue-only members removed.
pub(crate) fn localise(v: &Value, language: &str) -> Value {
    match v {
        Value::Object(map) if is_text(map) => map
            .get(language)
            .or_else(|| map.get("zh-cn"))
            .cloned()
            .unwrap_or(Value::Null),
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| !CATALOGUE_ONLY.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), localise(v, language)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|i| localise(i, language)).collect()),
        other => other.clone(),
    }
}
