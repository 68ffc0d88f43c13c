//! Surgical, line-level edits of a block-style YAML file.
//!
//! `drift --apply` must change the spec the way a careful maintainer would: one value on
//! one line, or one inserted or removed line, and nothing else — no re-serialisation, no
//! reordering, comments and folded descriptions left exactly as they are. So the file is
//! kept as a list of lines, and mapping entries are located by indentation alone.
//!
//! What it understands is what a hand-written spec uses: block mappings, block sequences
//! (items indented under their key or level with it), plain and quoted keys, comments,
//! and multi-line scalars (whose lines are always indented deeper than their key, so they
//! are never mistaken for entries). Flow collections (`[a, b]`) are refused with an error
//! rather than edited.

use anyhow::{Result, anyhow, bail};
use serde_yaml::Value;

/// A YAML file as lines, edited in place.
#[derive(Debug, Clone)]
pub struct Doc {
    lines: Vec<String>,
    trailing_newline: bool,
}

/// One mapping entry located in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    /// Index of the `key:` line.
    line: usize,
    /// Its indentation.
    indent: usize,
    /// Index one past the entry's last line (its nested block included).
    end: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A line that is neither blank nor a comment nor a document marker.
fn is_content(line: &str) -> bool {
    let t = line.trim();
    !(t.is_empty() || t.starts_with('#') || t == "---" || t == "...")
}

/// The key of a `key: value` line and what follows its colon, or `None` for other lines
/// (sequence items, scalars' continuation lines...).
fn key_of(line: &str) -> Option<(String, &str)> {
    let t = line.trim();
    if t.starts_with(['-', '#', '[', '{']) {
        return None;
    }
    if let Some(q) = t.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = t[1..].find(q)? + 1;
        let rest = t[close + 1..].strip_prefix(':')?;
        return Some((t[1..close].to_string(), rest));
    }
    let bytes = t.as_bytes();
    let pos = (0..bytes.len()).find(|&i| {
        bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t')
    })?;
    Some((t[..pos].trim_end().to_string(), &t[pos + 1..]))
}

/// Splits `value # comment` (after a key's colon) into the value and the comment part
/// (with its leading space), so that a comment survives a value change.
fn split_comment(rest: &str) -> (&str, &str) {
    let mut in_single = false;
    let mut in_double = false;
    let bytes = rest.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'\'' if !in_double => in_single = !in_single,
            b'"' if !in_single => in_double = !in_double,
            b'#' if !in_single && !in_double && i > 0 && bytes[i - 1] == b' ' => {
                let v = &rest[..i];
                let trimmed = v.trim_end();
                return (trimmed, &rest[trimmed.len()..]);
            }
            _ => {}
        }
    }
    (rest.trim_end(), "")
}

/// Renders a string as a YAML scalar: plain when YAML would read it back as the same
/// string, double-quoted (JSON escaping, which is valid YAML) otherwise. `"0"`, `true`,
/// `null`, `a: b` or ` x` come out quoted; `zh-cn`, `GMT+8` plain.
pub fn yaml_string(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && !s.contains(['\n', '\r', '\t'])
        && serde_yaml::from_str::<Value>(&format!("k: {s}"))
            .ok()
            .and_then(|v| v.as_mapping().cloned())
            .is_some_and(|m| m.len() == 1 && m.get("k") == Some(&Value::String(s.to_string())));
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
    }
}

impl Doc {
    /// Takes the file's text.
    pub fn new(text: &str) -> Doc {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let trailing_newline = text.ends_with('\n');
        if trailing_newline {
            lines.pop();
        }
        Doc {
            lines,
            trailing_newline,
        }
    }

    /// The file's text, with every untouched line byte for byte as it was.
    pub fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        if self.trailing_newline {
            s.push('\n');
        }
        s
    }

    fn crlf(&self) -> bool {
        self.lines.first().is_some_and(|l| l.ends_with('\r'))
    }

    fn new_line(&self, text: String) -> String {
        if self.crlf() { text + "\r" } else { text }
    }

    fn line(&self, i: usize) -> &str {
        self.lines[i].trim_end_matches('\r')
    }

    /// Index one past the last content line of the entry whose key line is `line`.
    fn entry_end(&self, line: usize, indent: usize, limit: usize) -> usize {
        let block_value = key_of(self.line(line)).is_some_and(|(_, rest)| {
            let (v, _) = split_comment(rest);
            v.trim().is_empty()
        });
        let mut end = line + 1;
        for i in line + 1..limit {
            let l = self.line(i);
            if !is_content(l) {
                continue;
            }
            let ind = indent_of(l);
            let same_level_item = ind == indent && block_value && l.trim_start().starts_with('-');
            if ind < indent || (ind == indent && !same_level_item) {
                break;
            }
            end = i + 1;
        }
        end
    }

    /// The indentation of the first content line in `start..end`.
    fn child_indent(&self, start: usize, end: usize) -> Option<usize> {
        (start..end)
            .map(|i| self.line(i))
            .find(|l| is_content(l))
            .map(indent_of)
    }

    /// The entry `key` directly inside the block `start..end`.
    fn child(&self, start: usize, end: usize, key: &str) -> Option<Entry> {
        let indent = self.child_indent(start, end)?;
        (start..end).find_map(|i| {
            let l = self.line(i);
            if !is_content(l) || indent_of(l) != indent {
                return None;
            }
            let (k, _) = key_of(l)?;
            (k == key).then(|| Entry {
                line: i,
                indent,
                end: self.entry_end(i, indent, end),
            })
        })
    }

    fn find(&self, path: &[String]) -> Result<Entry> {
        let mut range = (0, self.lines.len());
        let mut found = None;
        for (depth, key) in path.iter().enumerate() {
            let e = self.child(range.0, range.1, key).ok_or_else(|| {
                anyhow!(
                    "cannot find `{}` in the YAML text (block style expected)",
                    path[..=depth].join(".")
                )
            })?;
            range = (e.line + 1, e.end);
            found = Some(e);
        }
        found.ok_or_else(|| anyhow!("empty YAML path"))
    }

    /// Line index just after the entry `key` of the mapping `m`, if `m` has it.
    fn after_entry(&self, m: Entry, key: &str) -> Option<usize> {
        self.child(m.line + 1, m.end, key).map(|e| e.end)
    }

    /// Where a new child of `m` goes: after the last of `after` that the mapping has (in
    /// file order), else after its last child.
    fn insertion_point(&self, m: Entry, after: &[&str]) -> usize {
        after
            .iter()
            .filter_map(|k| self.after_entry(m, k))
            .max()
            .unwrap_or(m.end)
    }

    /// Sets (`Some`) or removes (`None`) the scalar `key` of the mapping at `path`;
    /// `value` is YAML text (see [`yaml_string`]). A missing key is inserted after the
    /// last of `after` that exists. Returns a description of the change, or `None` if
    /// the file already said so.
    pub fn set_scalar(
        &mut self,
        path: &[String],
        key: &str,
        value: Option<&str>,
        after: &[&str],
    ) -> Result<Option<String>> {
        let m = self.find(path)?;
        let child_indent = self
            .child_indent(m.line + 1, m.end)
            .ok_or_else(|| anyhow!("`{}` is not a block mapping", path.join(".")))?;
        if child_indent <= m.indent {
            bail!("`{}` is not a block mapping", path.join("."));
        }
        match (self.child(m.line + 1, m.end, key), value) {
            (Some(e), Some(v)) => {
                if e.end != e.line + 1 {
                    bail!(
                        "`{}.{key}` spans several lines; edit it by hand",
                        path.join(".")
                    );
                }
                let old = self.line(e.line).to_string();
                let colon = old.len()
                    - key_of(&old)
                        .map(|(_, rest)| rest.len())
                        .ok_or_else(|| anyhow!("line {} is not `key: value`", e.line + 1))?;
                let (old_value, comment) = split_comment(&old[colon..]);
                if old_value.trim() == v {
                    return Ok(None);
                }
                let new = format!("{} {v}{comment}", &old[..colon]);
                self.lines[e.line] = self.new_line(new.clone());
                Ok(Some(format!(
                    "line {}: `{}` -> `{}`",
                    e.line + 1,
                    old.trim(),
                    new.trim()
                )))
            }
            (Some(e), None) => {
                if e.end != e.line + 1 {
                    bail!(
                        "`{}.{key}` spans several lines; remove it by hand",
                        path.join(".")
                    );
                }
                let old = self.lines.remove(e.line);
                Ok(Some(format!(
                    "line {}: removed `{}`",
                    e.line + 1,
                    old.trim()
                )))
            }
            (None, Some(v)) => {
                let at = self.insertion_point(m, after);
                let new = format!("{}{key}: {v}", " ".repeat(child_indent));
                self.lines.insert(at, self.new_line(new.clone()));
                Ok(Some(format!("line {}: inserted `{}`", at + 1, new.trim())))
            }
            (None, None) => Ok(None),
        }
    }

    /// Adds (`present`) or removes `item` in the block sequence `key` of the mapping at
    /// `path` (such as a schema's `required` list). A new item goes after the last one. A
    /// missing list is created (two lines) after the last of `after`; a list emptied by
    /// the removal is removed too.
    pub fn set_list_item(
        &mut self,
        path: &[String],
        key: &str,
        item: &str,
        present: bool,
        after: &[&str],
    ) -> Result<Option<String>> {
        let m = self.find(path)?;
        let child_indent = self
            .child_indent(m.line + 1, m.end)
            .ok_or_else(|| anyhow!("`{}` is not a block mapping", path.join(".")))?;
        let Some(e) = self.child(m.line + 1, m.end, key) else {
            if !present {
                return Ok(None);
            }
            let at = self.insertion_point(m, after);
            let pad = " ".repeat(child_indent);
            let head = format!("{pad}{key}:");
            let entry = format!("{pad}  - {}", yaml_string(item));
            self.lines.insert(at, self.new_line(head.clone()));
            self.lines.insert(at + 1, self.new_line(entry.clone()));
            return Ok(Some(format!(
                "line {}: inserted `{}` with `{}`",
                at + 1,
                head.trim(),
                entry.trim()
            )));
        };
        let (_, rest) = key_of(self.line(e.line)).ok_or_else(|| anyhow!("not a key line"))?;
        if !split_comment(rest).0.trim().is_empty() {
            bail!(
                "`{}.{key}` is not a block sequence (flow style?); edit it by hand",
                path.join(".")
            );
        }
        let items: Vec<(usize, String)> = (e.line + 1..e.end)
            .filter(|&i| is_content(self.line(i)))
            .map(|i| {
                let t = self.line(i).trim();
                let v = t.strip_prefix('-').map(str::trim).unwrap_or(t);
                let v = split_comment(v).0.trim_matches(['"', '\'']).to_string();
                (i, v)
            })
            .collect();
        let existing = items.iter().find(|(_, v)| v == item).map(|(i, _)| *i);
        match (existing, present) {
            (Some(_), true) | (None, false) => Ok(None),
            (None, true) => {
                let (at, pad) = match items.last() {
                    Some((i, _)) => (i + 1, indent_of(self.line(*i))),
                    None => (e.line + 1, e.indent + 2),
                };
                let new = format!("{}- {}", " ".repeat(pad), yaml_string(item));
                self.lines.insert(at, self.new_line(new.clone()));
                Ok(Some(format!("line {}: inserted `{}`", at + 1, new.trim())))
            }
            (Some(i), false) => {
                let old = self.lines.remove(i);
                if items.len() == 1 {
                    let head = self.lines.remove(e.line);
                    return Ok(Some(format!(
                        "line {}: removed `{}` and the list `{}` it was the last item of",
                        i + 1,
                        old.trim(),
                        head.trim()
                    )));
                }
                Ok(Some(format!("line {}: removed `{}`", i + 1, old.trim())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
a:
  # a comment
  b:
    type: string
    description: >-
      folded text: with a colon
      maxLength: 3
    maxLength: 12 # keep me
  list:
  - x
  - y
  c: {}
";

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn changes_one_value_and_keeps_the_comment() {
        let mut d = Doc::new(TEXT);
        let change = d
            .set_scalar(&p("a.b"), "maxLength", Some("20"), &[])
            .unwrap();
        assert_eq!(
            change.as_deref(),
            Some("line 8: `maxLength: 12 # keep me` -> `maxLength: 20 # keep me`")
        );
        assert_eq!(d.text(), TEXT.replace("12 # keep", "20 # keep"));
    }

    #[test]
    fn inserts_and_removes_single_lines() {
        let mut d = Doc::new(TEXT);
        d.set_scalar(&p("a.b"), "minLength", Some("1"), &["description"])
            .unwrap();
        assert!(
            d.text()
                .contains("      maxLength: 3\n    minLength: 1\n    maxLength: 12")
        );
        d.set_scalar(&p("a.b"), "minLength", None, &[]).unwrap();
        assert_eq!(d.text(), TEXT);
    }

    #[test]
    fn edits_sequences_level_with_their_key() {
        let mut d = Doc::new(TEXT);
        d.set_list_item(&p("a"), "list", "z", true, &[]).unwrap();
        assert!(d.text().contains("  - y\n  - z\n  c:"));
        d.set_list_item(&p("a"), "list", "x", false, &[]).unwrap();
        assert!(d.text().contains("  list:\n  - y\n  - z\n"));
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        assert_eq!(yaml_string("zh-cn"), "zh-cn");
        assert_eq!(yaml_string("GMT+8"), "GMT+8");
        assert_eq!(yaml_string("0"), "\"0\"");
        assert_eq!(yaml_string("true"), "\"true\"");
        assert_eq!(yaml_string("a: b"), "\"a: b\"");
        assert_eq!(yaml_string("x # y"), "\"x # y\"");
    }

    #[test]
    fn refuses_what_it_cannot_find() {
        let mut d = Doc::new(TEXT);
        assert!(d.set_scalar(&p("a.nope"), "k", Some("v"), &[]).is_err());
    }
}
