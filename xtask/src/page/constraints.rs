//! The constraints a description states in the vendor's wording ("Minimum length: 0",
//! "Array length: 0 - 5", "It is zh-cn by default", ...), read out of its text.

use std::fmt;

/// A condition under which an optional parameter becomes mandatory ("It is mandatory if
/// business_type_id is 5").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value decides.
    pub field: String,
    /// The value of that field that makes this one mandatory.
    pub equals: String,
}

impl fmt::Display for RequiredWhen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is {}", self.field, self.equals)
    }
}

/// The constraints a page states for one parameter, the facts drift compares with the
/// spec's.
///
/// For an array, `min_length`/`max_length` are the lengths of its items (the vendor's pages
/// put both on the array's row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// Minimum length of the string (or of each item of an array of strings).
    pub min_length: Option<u64>,
    /// Maximum length of the string (or of each item of an array of strings).
    pub max_length: Option<u64>,
    /// Minimum number of items of an array.
    pub min_items: Option<u64>,
    /// Maximum number of items of an array.
    pub max_items: Option<u64>,
    /// The value the service assumes when the parameter is absent.
    pub default: Option<String>,
    /// The only value the parameter may take.
    pub fixed: Option<String>,
    /// When the parameter becomes mandatory although it is optional in general.
    pub required_when: Option<RequiredWhen>,
}

/// Reads the constraints out of a description written in the vendor's wording:
///
/// - `Minimum length: N`, `Maximum length: M` (for an array, the length of its items),
/// - `Array length: A - B`,
/// - a default: `It is X by default`, `The default value is X`, `Default: X`,
///   `defaults to X`,
/// - a fixed value: `fixed to X`, `Fixed value: X`,
/// - a conditional requirement: `mandatory if F is V` (also `when`, and `required`).
///
/// A length label not followed by a number is an error; free text that merely resembles
/// a default or a condition is not.
pub fn parse_constraints(description: &str) -> Result<Constraints, String> {
    let lower = description.to_ascii_lowercase();
    let mut c = Constraints {
        min_length: number_after(description, &lower, "minimum length:")?,
        max_length: number_after(description, &lower, "maximum length:")?,
        ..Constraints::default()
    };
    if let Some((a, b)) = range_after(description, &lower, "array length:")? {
        c.min_items = Some(a);
        c.max_items = Some(b);
    }
    c.default = default_of(description, &lower);
    c.fixed = token_after_any(
        description,
        &lower,
        &["fixed to ", "fixed value: ", "fixed value is "],
    );
    c.required_when = required_when_of(description, &lower);
    Ok(c)
}

/// All byte offsets just past `label` in `lower`. Valid in the original text too, since
/// ASCII lower-casing keeps every byte offset.
fn after_all<'a>(lower: &'a str, label: &'a str) -> impl Iterator<Item = usize> + 'a {
    lower
        .match_indices(label)
        .map(move |(i, _)| i + label.len())
}

fn leading_number(s: &str) -> Option<(u64, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return None;
    }
    s[..end].parse().ok().map(|n| (n, &s[end..]))
}

fn first_word(s: &str) -> &str {
    s.split_whitespace().next().unwrap_or("(nothing)")
}

fn number_after(text: &str, lower: &str, label: &str) -> Result<Option<u64>, String> {
    let mut found: Option<u64> = None;
    for pos in after_all(lower, label) {
        let rest = text[pos..].trim_start();
        let Some((n, _)) = leading_number(rest) else {
            return Err(format!(
                "`{}` is followed by `{}`, not a number",
                label_case(text, pos, label),
                first_word(rest)
            ));
        };
        match found {
            Some(m) if m != n => {
                return Err(format!(
                    "two different values for `{}`: {m} and {n}",
                    label_case(text, pos, label)
                ));
            }
            _ => found = Some(n),
        }
    }
    Ok(found)
}

fn range_after(text: &str, lower: &str, label: &str) -> Result<Option<(u64, u64)>, String> {
    let Some(pos) = after_all(lower, label).next() else {
        return Ok(None);
    };
    let rest = text[pos..].trim_start();
    let bad = || {
        format!(
            "`{}` must be followed by `MIN - MAX`, found `{}`",
            label_case(text, pos, label),
            rest.chars().take(20).collect::<String>()
        )
    };
    let (a, rest) = leading_number(rest).ok_or_else(bad)?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix('-')
        .or_else(|| rest.strip_prefix('\u{2013}'))
        .or_else(|| rest.strip_prefix("to "))
        .ok_or_else(bad)?;
    let (b, _) = leading_number(rest.trim_start()).ok_or_else(bad)?;
    if a > b {
        return Err(format!(
            "`{}` {a} - {b}: the minimum is above the maximum",
            label_case(text, pos, label)
        ));
    }
    Ok(Some((a, b)))
}

/// The label as the page writes it (for messages).
fn label_case<'a>(text: &'a str, end: usize, label: &'a str) -> &'a str {
    text.get(end - label.len()..end).unwrap_or(label).trim_end()
}

/// Strips the punctuation that ends a sentence or wraps a value.
fn clean_token(t: &str) -> Option<String> {
    let t = t
        .trim_end_matches(['.', ',', ';', ')', ':'])
        .trim_matches(['"', '\'', '`']);
    (!t.is_empty()).then(|| t.to_string())
}

fn token_after_any(text: &str, lower: &str, labels: &[&str]) -> Option<String> {
    labels.iter().find_map(|label| {
        let pos = after_all(lower, label).next()?;
        clean_token(text[pos..].split_whitespace().next()?)
    })
}

fn default_of(text: &str, lower: &str) -> Option<String> {
    if let Some(v) = token_after_any(
        text,
        lower,
        &[
            "default value is ",
            "default value: ",
            "defaults to ",
            "default: ",
        ],
    ) {
        return Some(v);
    }
    // "... is X by default"
    for (i, _) in lower.match_indices("by default") {
        let before: Vec<&str> = text[..i].split_whitespace().collect();
        if let [.., is, value] = before.as_slice()
            && is.eq_ignore_ascii_case("is")
            && let Some(v) = clean_token(value)
        {
            return Some(v);
        }
    }
    None
}

fn required_when_of(text: &str, lower: &str) -> Option<RequiredWhen> {
    [
        "mandatory if ",
        "mandatory when ",
        "required if ",
        "required when ",
    ]
    .iter()
    .find_map(|label| {
        after_all(lower, label).find_map(|pos| {
            let words: Vec<&str> = text[pos..].split_whitespace().take(3).collect();
            match words.as_slice() {
                [field, is, value]
                    if is.eq_ignore_ascii_case("is")
                        || *is == "="
                        || is.eq_ignore_ascii_case("equals") =>
                {
                    Some(RequiredWhen {
                        field: clean_token(field)?,
                        equals: clean_token(value)?,
                    })
                }
                _ => None,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints() {
        let c = parse_constraints(
            "Ids. Minimum length: 1 Maximum length: 32 Array length: 0 - 5 It is en by default.",
        )
        .unwrap();
        assert_eq!(c.min_length, Some(1));
        assert_eq!(c.max_length, Some(32));
        assert_eq!((c.min_items, c.max_items), (Some(0), Some(5)));
        assert_eq!(c.default.as_deref(), Some("en"));
        let c =
            parse_constraints("Origin; the value is fixed to abc. Required if kind is 7.").unwrap();
        assert_eq!(c.fixed.as_deref(), Some("abc"));
        assert_eq!(
            c.required_when,
            Some(RequiredWhen {
                field: "kind".into(),
                equals: "7".into()
            })
        );
        assert!(parse_constraints("Maximum length: many").is_err());
        assert!(parse_constraints("Array length: 0 or so").is_err());
        assert!(parse_constraints("Maximum length: 1 and Maximum length: 2").is_err());
        // Free text that is not a condition is not one.
        let c = parse_constraints("It is mandatory for unregistered numbers.").unwrap();
        assert_eq!(c.required_when, None);
        // Multi-byte text around the labels does not trip the byte arithmetic.
        let c = parse_constraints("été — Maximum length: 3 é").unwrap();
        assert_eq!(c.max_length, Some(3));
    }
}
