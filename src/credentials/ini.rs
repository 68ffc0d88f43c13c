//! The vendor's credentials file read as the vendor's Python SDK (`huaweicloudsdkcore`,
//! `ProfileCredentialProvider`) reads it: Python's `configparser.ConfigParser()` with its
//! defaults, opened as UTF-8. That means:
//!
//! - `key = value` or `key: value`, split at the first `=` or `:`; keys without regard to
//!   case; values trimmed, quotes and `;`/`#` after a value kept as part of it;
//! - whole-line comments start with `#` or `;` (indented or not);
//! - a line indented deeper than its key continues the key's value (joined with `\n`);
//! - `[DEFAULT]`'s keys are inherited by every section;
//! - `%%` stands for `%`, `%(key)s` for another key's value, any other `%` is an error;
//! - strict: a section twice, or a key twice in one section, is an error, as is a line
//!   before the first section (so a file that starts with a UTF-8 byte-order mark, which
//!   Python then reads as part of the first line, is refused too).
//!
//! The messages name lines and keys, never a value: values are secrets.

use std::collections::BTreeMap;

/// configparser's `MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;
/// configparser's `default_section`.
const DEFAULT_SECTION: &str = "DEFAULT";

/// A key and its value, where they are in the text.
#[derive(Debug)]
struct Entry {
    key: String,
    value: String,
    /// The key's line (0-based).
    line: usize,
    /// The continuation lines of the value (0-based).
    continuation: Vec<usize>,
    /// Byte offset in the key's line where the value starts.
    value_start: usize,
}

#[derive(Debug)]
struct Section {
    name: String,
    /// The header's line (0-based); `None` for an implicit `DEFAULT`.
    header: Option<usize>,
    entries: Vec<Entry>,
}

/// A credentials file, parsed.
#[derive(Debug)]
pub(crate) struct Document<'a> {
    lines: Vec<&'a str>,
    sections: Vec<Section>,
    defaults: Section,
}

/// Why a file cannot be read: the line (1-based, when there is one) and what is wrong.
#[derive(Debug)]
pub(crate) struct IniError {
    pub(crate) line: Option<usize>,
    pub(crate) why: String,
}

impl std::fmt::Display for IniError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.why),
            None => f.write_str(&self.why),
        }
    }
}

fn error(line: usize, why: impl Into<String>) -> IniError {
    IniError {
        line: Some(line + 1),
        why: why.into(),
    }
}

/// The line without its line end.
fn content(line: &str) -> &str {
    line.strip_suffix('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or(line)
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

impl<'a> Document<'a> {
    /// Parses `text` as configparser does (see the module docs).
    pub(crate) fn parse(text: &'a str) -> Result<Self, IniError> {
        if text.starts_with('\u{feff}') {
            return Err(error(
                0,
                "the file starts with a UTF-8 byte-order mark, which the vendor's SDKs read \
                 as part of the first line (Python: \"file contains no section headers\"); \
                 save it without one",
            ));
        }
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut doc = Document {
            lines: Vec::new(),
            sections: Vec::new(),
            defaults: Section {
                name: DEFAULT_SECTION.into(),
                header: None,
                entries: Vec::new(),
            },
        };
        // The section keys go to: None before the first header, Some(usize::MAX) for
        // DEFAULT, else the index in `sections`.
        let mut current: Option<usize> = None;
        // The entry a deeper-indented line continues, with its key's indentation.
        let mut open: Option<usize> = None;
        let mut key_indent = usize::MAX;
        let mut blank_run: Vec<usize> = Vec::new();
        for (i, raw) in lines.iter().enumerate() {
            let line = content(raw);
            let stripped = line.trim();
            if stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            if stripped.is_empty() {
                if open.is_some() {
                    blank_run.push(i);
                } else {
                    key_indent = usize::MAX;
                }
                continue;
            }
            let ind = indent(line);
            if let (Some(s), Some(_)) = (current, open)
                && ind > key_indent
            {
                let section = if s == usize::MAX {
                    &mut doc.defaults
                } else {
                    &mut doc.sections[s]
                };
                let entry = section.entries.last_mut().expect("an open entry");
                for b in blank_run.drain(..) {
                    entry.value.push('\n');
                    entry.continuation.push(b);
                }
                entry.value.push('\n');
                entry.value.push_str(stripped);
                entry.continuation.push(i);
                continue;
            }
            blank_run.clear();
            key_indent = ind;
            if let Some(name) = stripped
                .strip_prefix('[')
                .and_then(|r| r.rfind(']').map(|end| &r[..end]))
                .filter(|n| !n.is_empty())
            {
                open = None;
                if name == DEFAULT_SECTION {
                    current = Some(usize::MAX);
                    continue;
                }
                if doc.sections.iter().any(|s| s.name == name) {
                    return Err(error(
                        i,
                        format!(
                            "section [{name}] appears a second time (the vendor's SDKs refuse the file)"
                        ),
                    ));
                }
                doc.sections.push(Section {
                    name: name.to_owned(),
                    header: Some(i),
                    entries: Vec::new(),
                });
                current = Some(doc.sections.len() - 1);
                continue;
            }
            let Some(s) = current else {
                return Err(error(i, "a line before the first [section]"));
            };
            let Some(at) = line.find(['=', ':']) else {
                return Err(error(
                    i,
                    "neither `key = value` nor a [section] nor a comment",
                ));
            };
            let key = line[..at].trim().to_lowercase();
            let after = &line[at + 1..];
            let value_start = at + 1 + (after.len() - after.trim_start().len());
            let section = if s == usize::MAX {
                &mut doc.defaults
            } else {
                &mut doc.sections[s]
            };
            if section.entries.iter().any(|e| e.key == key) {
                return Err(error(
                    i,
                    format!(
                        "`{key}` appears a second time in [{}] (the vendor's SDKs refuse the file)",
                        section.name
                    ),
                ));
            }
            section.entries.push(Entry {
                key,
                value: line[value_start..].trim_end().to_owned(),
                line: i,
                continuation: Vec::new(),
                value_start,
            });
            open = Some(i);
        }
        for section in doc.sections.iter_mut().chain([&mut doc.defaults]) {
            for e in &mut section.entries {
                let trimmed = e.value.trim_end().len();
                e.value.truncate(trimmed);
            }
        }
        doc.lines = lines;
        Ok(doc)
    }

    fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Every key of section `name` with `[DEFAULT]`'s, interpolated, as
    /// `parser.items(name)` gives them; `None` without the section.
    pub(crate) fn items(&self, name: &str) -> Option<Result<BTreeMap<String, String>, IniError>> {
        let section = self.section(name)?;
        let mut raw: BTreeMap<&str, &Entry> = BTreeMap::new();
        for e in self.defaults.entries.iter().chain(&section.entries) {
            raw.insert(&e.key, e);
        }
        let mut out = BTreeMap::new();
        for (key, e) in &raw {
            match interpolate(&e.value, &raw, 1) {
                Ok(v) => {
                    out.insert((*key).to_owned(), v);
                }
                Err(why) => {
                    return Some(Err(error(
                        e.line,
                        format!("[{name}] `{key}`: {why} (write `%%` for a `%`)"),
                    )));
                }
            }
        }
        Some(Ok(out))
    }

    /// The text with, in section `name`, each key of `set` given its value (escaped for
    /// interpolation) and each key of `remove` taken out, every other line as it was.
    /// A key not there is added after the section's last key; a section not there is
    /// added at the end. Values must be one line.
    pub(crate) fn edit(&self, name: &str, set: &[(&str, &str)], remove: &[&str]) -> String {
        let eol = if self.lines.iter().any(|l| l.ends_with("\r\n")) {
            "\r\n"
        } else {
            "\n"
        };
        let escape = |v: &str| v.replace('%', "%%");
        let mut lines: Vec<Option<String>> =
            self.lines.iter().map(|l| Some((*l).to_owned())).collect();
        let Some(section) = self.section(name) else {
            let mut text: String = self.lines.concat();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push_str(eol);
            }
            text.push_str(&format!("[{name}]{eol}"));
            for (k, v) in set {
                text.push_str(&format!("{k} = {}{eol}", escape(v)));
            }
            return text;
        };
        let mut added = Vec::new();
        for (k, v) in set {
            match section.entries.iter().find(|e| e.key == k.to_lowercase()) {
                Some(e) => {
                    let line = self.lines[e.line];
                    let end = content(line).len();
                    lines[e.line] = Some(format!(
                        "{}{}{}",
                        &line[..e.value_start],
                        escape(v),
                        &line[end..]
                    ));
                    for &c in &e.continuation {
                        lines[c] = None;
                    }
                }
                None => added.push(format!("{k} = {}{eol}", escape(v))),
            }
        }
        for k in remove {
            if let Some(e) = section.entries.iter().find(|e| e.key == k.to_lowercase()) {
                lines[e.line] = None;
                for &c in &e.continuation {
                    lines[c] = None;
                }
            }
        }
        let after = section
            .entries
            .iter()
            .map(|e| e.continuation.last().copied().unwrap_or(e.line))
            .max()
            .or(section.header)
            .unwrap_or(0);
        if !added.is_empty() {
            let mut at = lines[after].take().unwrap_or_default();
            if !at.is_empty() && !at.ends_with('\n') {
                at.push_str(eol);
            }
            at.push_str(&added.concat());
            lines[after] = Some(at);
        }
        lines.into_iter().flatten().collect()
    }
}

/// configparser's `BasicInterpolation`: `%%` → `%`, `%(key)s` → that key's value.
fn interpolate(value: &str, keys: &BTreeMap<&str, &Entry>, depth: usize) -> Result<String, String> {
    if !value.contains('%') {
        return Ok(value.to_owned());
    }
    if depth > MAX_INTERPOLATION_DEPTH {
        return Err(format!(
            "`%(…)s` references nest deeper than {MAX_INTERPOLATION_DEPTH}"
        ));
    }
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(r) = rest.strip_prefix('%') {
            out.push('%');
            rest = r;
        } else if let Some(r) = rest.strip_prefix('(') {
            let Some((name, r)) = r.split_once(")s") else {
                return Err("a `%(` without its `)s`".into());
            };
            let name = name.to_lowercase();
            let Some(e) = keys.get(name.as_str()) else {
                return Err(format!("`%({name})s` names no key"));
            };
            out.push_str(&interpolate(&e.value, keys, depth + 1)?);
            rest = r;
        } else {
            return Err("a `%` not followed by `%` or `(`".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(text: &str) -> Result<BTreeMap<String, String>, String> {
        Document::parse(text)
            .map_err(|e| e.to_string())?
            .items("global")
            .ok_or("no section")?
            .map_err(|e| e.to_string())
    }

    #[test]
    fn reads_values_as_configparser_does() {
        let g = global(
            "# c\n[DEFAULT]\ndomain_id = D\n[global]\nAK: A ; not a comment\n  ; a comment\nsk = \"S#K\"\n  more\n\nproject = 100%% of %(ak)s\n",
        )
        .unwrap();
        assert_eq!(g["ak"], "A ; not a comment");
        assert_eq!(g["sk"], "\"S#K\"\nmore");
        assert_eq!(g["domain_id"], "D");
        assert_eq!(g["project"], "100% of A ; not a comment");
    }

    #[test]
    fn refuses_what_configparser_refuses_naming_the_line() {
        for (text, words) in [
            (
                "\u{feff}[global]\nak=A\n",
                "line 1: the file starts with a UTF-8 byte-order mark",
            ),
            (
                "[global]\nak=A\n[global]\nak=B\n",
                "line 3: section [global] appears a second time",
            ),
            (
                "[global]\nak=A\nAK=B\n",
                "line 3: `ak` appears a second time",
            ),
            ("ak=A\n[global]\n", "line 1: a line before"),
            ("[global]\nak\n", "line 2: neither"),
            (
                "[global]\nak=50%\n",
                "line 2: [global] `ak`: a `%` not followed",
            ),
            ("[global]\nak=%(ak)s\n", "nest deeper"),
        ] {
            let err = global(text).unwrap_err();
            assert!(err.contains(words), "{text:?}: {err}");
        }
    }

    #[test]
    fn edits_only_the_keys_it_sets() {
        let text = "; top\r\n[basic]\r\nsk = \"SK;with#chars\"\r\n[global]\r\n# keep\r\nak = OLD ; x\r\nsk=old\r\n  cont\r\nsecurity_token = t\r\n[other]\r\nk: v\r\n";
        let doc = Document::parse(text).unwrap();
        let out = doc.edit(
            "global",
            &[("ak", "NEW"), ("sk", "n%w"), ("domain_id", "d")],
            &["security_token"],
        );
        assert_eq!(
            out,
            "; top\r\n[basic]\r\nsk = \"SK;with#chars\"\r\n[global]\r\n# keep\r\nak = NEW\r\nsk=n%%w\r\ndomain_id = d\r\n[other]\r\nk: v\r\n"
        );
        let g = global(&out).unwrap();
        assert_eq!((g["ak"].as_str(), g["sk"].as_str()), ("NEW", "n%w"));
        let added = Document::parse("[basic]\nak=x")
            .unwrap()
            .edit("global", &[("ak", "A")], &[]);
        assert_eq!(added, "[basic]\nak=x\n[global]\nak = A\n");
    }
}
