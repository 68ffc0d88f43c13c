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
    /// The smallest value of an integer (`Minimum: N`, `最小值：N`).
    pub minimum: Option<i64>,
    /// The largest value of an integer (`Maximum: N`, `最大值：N`).
    pub maximum: Option<i64>,
    /// The values an integer may take (`Allowed values: 0, 1`, `Enumeration values: …`,
    /// `枚举值：…`), in the page's order; empty when the page lists none.
    pub allowed: Vec<i64>,
}

/// The most values an `Allowed values:` list is read for.
const MAX_ALLOWED: usize = 1000;

/// The Chinese labels of the vendor's zh pages, and the English label each stands for.
/// Full-width colons are turned into `: ` before these are looked up, and Markdown's
/// bold (`最小长度：**1**`) is dropped.
const CHINESE_LABELS: [(&str, &str); 11] = [
    ("最小长度:", "Minimum length:"),
    ("最大长度:", "Maximum length:"),
    ("数组长度:", "Array length:"),
    ("最小值:", "Minimum:"),
    ("最大值:", "Maximum:"),
    ("枚举值:", "Allowed values:"),
    ("缺省值:", "Default:"),
    ("默认值:", "Default:"),
    ("固定值:", "Fixed value:"),
    ("固定为", "fixed to "),
    ("必选条件:", "Mandatory if "),
];

/// A description in the vendor's Chinese wording, rewritten with the English labels (the
/// rest of the text is kept as it is).
fn normalise(description: &str) -> String {
    let mut s = description
        .replace('\u{ff1a}', ": ")
        .replace("**", "")
        .replace(['\u{ff0c}', '\u{3001}'], ", ");
    for (zh, en) in CHINESE_LABELS {
        if s.contains(zh) {
            s = s.replace(zh, &format!(" {en}"));
        }
    }
    s
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
    let normalised = normalise(description);
    let description = normalised.as_str();
    let lower = description.to_ascii_lowercase();
    let mut c = Constraints {
        min_length: number_after(description, &lower, "minimum length:")?,
        max_length: number_after(description, &lower, "maximum length:")?,
        minimum: signed_after_any(description, &lower, &["minimum:", "minimum value:"])?,
        maximum: signed_after_any(description, &lower, &["maximum:", "maximum value:"])?,
        allowed: integers_after_any(
            description,
            &lower,
            &[
                "allowed values:",
                "enumeration values:",
                "enumerated values:",
                "enumeration value:",
            ],
        ),
        ..Constraints::default()
    };
    if let (Some(a), Some(b)) = (c.minimum, c.maximum)
        && a > b
    {
        return Err(format!("`Minimum: {a}` is above `Maximum: {b}`"));
    }
    if let Some((a, b)) = range_after(description, &lower, "array length:")? {
        c.min_items = Some(a);
        c.max_items = Some(b);
    } else {
        // One bound alone, as the project's own pages write an array the spec bounds on
        // one side only.
        c.min_items = number_after(description, &lower, "minimum array length:")?;
        c.max_items = number_after(description, &lower, "maximum array length:")?;
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

/// A signed integer at the start of `s`.
fn leading_signed(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let n: i64 = digits[..end].parse().ok()?;
    Some(if negative { -n } else { n })
}

fn signed_after_any(text: &str, lower: &str, labels: &[&str]) -> Result<Option<i64>, String> {
    let mut found: Option<i64> = None;
    for label in labels {
        for pos in after_all(lower, label) {
            let rest = text[pos..].trim_start();
            let Some(n) = leading_signed(rest) else {
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
    }
    Ok(found)
}

/// The integers listed after the first of `labels` (separated by commas or spaces), up
/// to the first word that is not one; at most [`MAX_ALLOWED`].
fn integers_after_any(text: &str, lower: &str, labels: &[&str]) -> Vec<i64> {
    let Some(pos) = labels
        .iter()
        .find_map(|label| after_all(lower, label).next())
    else {
        return Vec::new();
    };
    // Values with labels, as the project's pages list an open set ("0 waiting to be
    // accepted, 1 being handled, …"): one per comma-separated item, up to the next label
    // (a colon) or the end of the sentence.
    let mut labelled = Vec::new();
    for item in text[pos..].split(',') {
        let item = item.trim_start();
        let Some(n) = leading_signed(item).filter(|_| digits_len(item) > 0) else {
            break;
        };
        labelled.push(n);
        let rest = &item[digits_len(item)..];
        if rest.contains(':') || rest.trim_end().ends_with('.') || labelled.len() >= MAX_ALLOWED {
            break;
        }
    }
    if labelled.len() > 1 {
        return labelled;
    }
    let mut out = Vec::new();
    for word in text[pos..].split([',', ' ', ';', '\n', '\t']) {
        if word.is_empty() {
            continue;
        }
        let ends_sentence = word.ends_with('.');
        let Some(n) = leading_signed(word.trim_end_matches(['.', ')']))
            .filter(|_| word.trim_end_matches(['.', ')']).len() == digits_len(word))
        else {
            break;
        };
        out.push(n);
        if ends_sentence || out.len() >= MAX_ALLOWED {
            break;
        }
    }
    out
}

/// The length of the signed integer `word` starts with, ignoring a trailing `.` or `)`.
fn digits_len(word: &str) -> usize {
    let w = word.trim_end_matches(['.', ')']);
    let sign = usize::from(w.starts_with('-'));
    sign + w[sign..].chars().take_while(char::is_ascii_digit).count()
}

fn range_after(text: &str, lower: &str, label: &str) -> Result<Option<(u64, u64)>, String> {
    // `Minimum array length: N` and `Maximum array length: N` are one bound, not a range.
    let one_sided = |p: usize| {
        let start = &lower[..p - label.len()];
        start.ends_with("minimum ") || start.ends_with("maximum ")
    };
    let Some(pos) = after_all(lower, label).find(|&p| !one_sided(p)) else {
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
            // "the case_type of the business_type_id (in list_problem_types) is 5": the
            // field and the value, the look-up being the spec's own business.
            let rest = &text[pos..];
            let words: Vec<&str> = rest.split_whitespace().take(10).collect();
            if let ["the", _member, "of", "the", field, ..] = words.as_slice()
                && let Some(close) = rest.find(") is ")
            {
                let value = rest[close + 5..].split_whitespace().next()?;
                return Some(RequiredWhen {
                    field: clean_token(field)?,
                    equals: clean_token(value)?,
                });
            }
            let words: Vec<&str> = rest.split_whitespace().take(3).collect();
            match words.as_slice() {
                [field, is, value]
                    if is.eq_ignore_ascii_case("is")
                        || *is == "="
                        || *is == "\u{4e3a}"
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
        let c = parse_constraints(
            "Allowed values: 0 waiting to be accepted, 1 being handled, 17 waiting for the customer's feedback Minimum value: 0, 3",
        )
        .unwrap();
        assert_eq!(c.allowed, [0, 1, 17]);
        let c = parse_constraints(
            "Mandatory when the case_type of the business_type_id (in list_problem_types) is 5",
        )
        .unwrap();
        assert_eq!(
            c.required_when,
            Some(RequiredWhen {
                field: "business_type_id".into(),
                equals: "5".into()
            })
        );
        assert!(parse_constraints("Maximum length: many").is_err());
        assert!(parse_constraints("Array length: 0 or so").is_err());
        let one = parse_constraints("Ids. Maximum array length: 20").unwrap();
        assert_eq!((one.min_items, one.max_items), (None, Some(20)));
        let one = parse_constraints("Ids. Minimum array length: 1").unwrap();
        assert_eq!((one.min_items, one.max_items), (Some(1), None));
        assert!(parse_constraints("Maximum length: 1 and Maximum length: 2").is_err());
        // Free text that is not a condition is not one.
        let c = parse_constraints("It is mandatory for unregistered numbers.").unwrap();
        assert_eq!(c.required_when, None);
        // Multi-byte text around the labels does not trip the byte arithmetic.
        let c = parse_constraints("été — Maximum length: 3 é").unwrap();
        assert_eq!(c.max_length, Some(3));
    }

    #[test]
    fn integers() {
        let c = parse_constraints("Kind. Minimum: -1 Maximum: 20 Allowed values: 0, 1, 5. More.")
            .unwrap();
        assert_eq!((c.minimum, c.maximum), (Some(-1), Some(20)));
        assert_eq!(c.allowed, [0, 1, 5]);
        let c = parse_constraints("Enumeration values: 0 1 Minimum length: 1").unwrap();
        assert_eq!(c.allowed, [0, 1]);
        assert_eq!(c.min_length, Some(1));
        assert!(parse_constraints("Minimum: 5 Maximum: 1").is_err());
        assert!(parse_constraints("Maximum: lots").is_err());
        // Text values are not integer values.
        assert!(
            parse_constraints("Allowed values: cancel, close")
                .unwrap()
                .allowed
                .is_empty()
        );
    }

    #[test]
    fn chinese_wording() {
        let c = parse_constraints("语言。 最小长度：**1** 最大长度：**32** 缺省值：zh-cn").unwrap();
        assert_eq!((c.min_length, c.max_length), (Some(1), Some(32)));
        assert_eq!(c.default.as_deref(), Some("zh-cn"));
        let c =
            parse_constraints("列表。 数组长度：0 - 5 最小值：0 最大值：1 枚举值：0、1").unwrap();
        assert_eq!((c.min_items, c.max_items), (Some(0), Some(5)));
        assert_eq!((c.minimum, c.maximum), (Some(0), Some(1)));
        assert_eq!(c.allowed, [0, 1]);
        let c = parse_constraints("来源。 固定值：abc 必选条件：kind 为 7").unwrap();
        assert_eq!(c.fixed.as_deref(), Some("abc"));
        assert_eq!(
            c.required_when.map(|w| w.to_string()).as_deref(),
            Some("kind is 7")
        );
        assert!(parse_constraints("最大长度：很多").is_err());
    }
}
