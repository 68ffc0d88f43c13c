//! The spec as the xtask reads it: the spec's one model (`osm_spec`, the only reader of
//! the YAML), with the file's text kept for line-level editing. Fields are the model's
//! own ([`osm_spec::Field`]; in the vendor's terms through
//! [`osm_spec::Field::vendor_facts`]); `drift --apply` finds where each fact lives from
//! the YAML path every field carries, which [`crate::yaml_edit`] turns into a line.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

/// The spec, modelled, with its text (kept for line-level editing).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where the spec was read from.
    pub path: PathBuf,
    /// The file's text, exactly as read.
    pub text: String,
    /// The model.
    pub model: osm_spec::Spec,
}

pub use osm_spec::ErrorCode;

impl Spec {
    /// Reads and models the spec at `path`.
    pub fn load(path: &Path) -> Result<Spec> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow!("cannot read the spec {}: {e}", path.display()))?;
        Spec::from_text(path, text)
    }

    /// Models spec text that was read elsewhere; `path` is only used in messages.
    pub fn from_text(path: &Path, text: String) -> Result<Spec> {
        let model = osm_spec::Spec::from_text(path, text.clone())
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Spec {
            path: path.to_path_buf(),
            text,
            model,
        })
    }

    /// `info.title`.
    pub fn title(&self) -> Option<String> {
        Some(self.model.title.clone()).filter(|t| !t.is_empty())
    }

    /// Every operation, in the order of `paths` then of the methods within a path.
    pub fn operations(&self) -> &[osm_spec::Operation] {
        &self.model.operations
    }

    /// The service's documented error codes: every `x-error-codes` list found on a schema
    /// in `components.schemas`, in the spec's order.
    pub fn error_codes(&self) -> Result<Vec<ErrorCode>> {
        Ok(self.model.error_codes.clone())
    }
}

/// Collapses runs of whitespace (including newlines) into single spaces.
pub fn collapse(s: &str) -> String {
    osm_spec::collapse(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_spec_reads_in_the_vendors_terms() {
        let spec = Spec::load(&crate::default_spec_path()).unwrap();
        let op = spec.model.operation("create_case").unwrap();
        assert_eq!(op.method.as_str(), "POST");
        let headers = spec.model.headers_of(op);
        let token = headers.iter().find(|h| h.name == "X-Auth-Token").unwrap();
        assert!(token.deviation.is_some());
        let body = op.body.as_ref().unwrap();
        let ids = body.field("accessory_ids").unwrap();
        assert_eq!(ids.vendor_type(), "Array of strings");
        let facts = ids.vendor_facts();
        assert_eq!(facts.max_items, ids.constraints.max_items);
        // An array's row states its items' lengths.
        let items = ids.items.as_ref().unwrap();
        assert_eq!(facts.max_length, items.constraints.max_length);
        let source = body.field("source_id").unwrap().vendor_facts();
        assert!(source.fixed.is_some());
        assert_eq!(source.default, None, "a fixed value is not also a default");
        assert_eq!(
            body.field("extends_map").unwrap().vendor_type(),
            "Map<String,Object>"
        );
    }
}
