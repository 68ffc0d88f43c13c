//! Checks a request against the spec before a single byte is sent.
//!
//! Every rule comes from [`crate::rules`], which the generator (`codegen/`) reads out of
//! `spec/osm.yaml`: lengths (counted in characters, as typify does), item counts, fixed
//! values, required fields, and `region_id` being required when `business_type_id` is
//! `"5"`. Errors name the field, the rule, the limit and the size of the value. After
//! these checks the body is deserialised into the generated type, so the generated
//! newtypes have the last word.

use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::generated::types::CreateCaseRequest;
use crate::rules::{self, FieldRule, Kind, Location, OperationRules};

/// What is wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A required field is absent.
    Missing,
    /// A field is required because another field has a given value.
    MissingBecause {
        /// The field whose value makes this one required.
        field: &'static str,
        /// That field's value.
        equals: &'static str,
    },
    /// The field is required by the record another field names (looked up, such as a
    /// problem type that is a fault report) but missing.
    MissingBecauseOf {
        /// The field that names the record (`business_type_id`).
        field: &'static str,
        /// The record's member that decides (`case_type`).
        member: &'static str,
        /// That member's value (`5`).
        equals: &'static str,
    },
    /// The value has more characters than allowed.
    TooLong {
        /// The limit.
        max: usize,
        /// The value's length in characters.
        actual: usize,
    },
    /// The value has fewer characters than allowed.
    TooShort {
        /// The limit.
        min: usize,
        /// The value's length in characters.
        actual: usize,
    },
    /// The array has more items than allowed.
    TooManyItems {
        /// The limit.
        max: usize,
        /// The number of items.
        actual: usize,
    },
    /// The array has fewer items than allowed.
    TooFewItems {
        /// The limit.
        min: usize,
        /// The number of items.
        actual: usize,
    },
    /// One item of an array breaks a length limit.
    Item {
        /// Zero-based position of the item.
        index: usize,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// The number is smaller than allowed.
    TooSmall {
        /// The limit.
        min: i64,
        /// The value.
        actual: String,
    },
    /// The number is larger than allowed.
    TooLarge {
        /// The limit.
        max: i64,
        /// The value.
        actual: String,
    },
    /// The text does not match the spec's pattern.
    NoMatch {
        /// The pattern.
        pattern: &'static str,
    },
    /// A member of an object breaks a rule.
    Member {
        /// The member's name.
        name: &'static str,
        /// What is wrong with it.
        problem: Box<Problem>,
    },
    /// An object has a member the spec does not list.
    UnknownMember {
        /// The member's name.
        name: String,
    },
    /// The value is not one of the values the spec allows.
    NotAllowed {
        /// The allowed values.
        allowed: &'static [&'static str],
    },
    /// The value has the wrong JSON type.
    WrongType {
        /// The type the spec requires.
        expected: &'static str,
    },
    /// A file is larger than allowed (attachments).
    TooManyBytes {
        /// The limit, in bytes.
        max: u64,
        /// The file's size, in bytes.
        actual: u64,
    },
    /// A file is not of a type the service accepts (attachments).
    FileType {
        /// The accepted types (file name extensions), comma-separated.
        accepted: String,
    },
    /// A file could not be read (attachments).
    Unreadable(String),
    /// The spec declares no such field.
    Unknown,
    /// The body is not a JSON object, or the generated type refused it.
    Malformed(String),
}

/// A request that breaks one of the spec's rules. Nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    field: String,
    location: Location,
    problem: Problem,
}

impl ValidationError {
    pub(crate) fn new(field: impl Into<String>, location: Location, problem: Problem) -> Self {
        Self {
            field: field.into(),
            location,
            problem,
        }
    }

    /// The field at fault: a body member (`simple_description`) or a header name.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Whether the field is a header or a body member.
    pub fn location(&self) -> Location {
        self.location
    }

    /// What is wrong with it.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

fn characters(n: usize) -> &'static str {
    if n == 1 { "character" } else { "characters" }
}

/// A size for people: `4 MiB`, `60.0 MiB`, `12.3 KiB`, `512 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if n >= MIB {
        if n.is_multiple_of(MIB) {
            format!("{} MiB", n / MIB)
        } else {
            format!("{:.1} MiB", n as f64 / MIB as f64)
        }
    } else if n >= KIB {
        format!("{:.1} KiB", n as f64 / KIB as f64)
    } else {
        format!("{n} bytes")
    }
}

fn describe(f: &mut fmt::Formatter<'_>, problem: &Problem) -> fmt::Result {
    match problem {
        Problem::Missing => write!(f, "is required but missing"),
        Problem::MissingBecause { field, equals } => {
            write!(f, "is required when {field} is \"{equals}\" but missing")
        }
        Problem::MissingBecauseOf {
            field,
            member,
            equals,
        } => write!(
            f,
            "is required when the {member} of the {field} is \"{equals}\" (as it is) but missing"
        ),
        Problem::TooLong { max, actual } => write!(
            f,
            "is {actual} {} long; the maximum length is {max}",
            characters(*actual)
        ),
        Problem::TooShort { min, actual } => write!(
            f,
            "is {actual} {} long; the minimum length is {min}",
            characters(*actual)
        ),
        Problem::TooManyItems { max, actual } => {
            write!(f, "has {actual} items; at most {max} are allowed")
        }
        Problem::TooFewItems { min, actual } => {
            write!(f, "has {actual} items; at least {min} are required")
        }
        Problem::NoMatch { pattern } => write!(f, "does not match the pattern {pattern}"),
        Problem::Member { name, problem } => {
            write!(f, "member {name} ")?;
            describe(f, problem)
        }
        Problem::UnknownMember { name } => {
            write!(f, "has a member {name:?} the spec does not list")
        }
        Problem::Item { index, problem } => {
            write!(f, "item {index} ")?;
            describe(f, problem)
        }
        Problem::TooSmall { min, actual } => {
            write!(f, "is {actual}; the minimum is {min}")
        }
        Problem::TooLarge { max, actual } => {
            write!(f, "is {actual}; the maximum is {max}")
        }
        Problem::NotAllowed { allowed } => {
            write!(f, "must be ")?;
            for (i, v) in allowed.iter().enumerate() {
                if i > 0 {
                    write!(f, " or ")?;
                }
                write!(f, "\"{v}\"")?;
            }
            Ok(())
        }
        Problem::WrongType { expected } => write!(f, "must be {expected}"),
        Problem::TooManyBytes { max, actual } => write!(
            f,
            "is {actual} bytes ({}); the largest allowed is {max} bytes ({})",
            human_bytes(*actual),
            human_bytes(*max)
        ),
        Problem::FileType { accepted } => write!(
            f,
            "is not of an accepted file type; the accepted types are {accepted}"
        ),
        Problem::Unreadable(why) => write!(f, "cannot be read: {why}"),
        Problem::Unknown => write!(f, "is not a field of the request"),
        Problem::Malformed(why) => write!(f, "is malformed: {why}"),
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::Header => write!(f, "header {} ", self.field)?,
            Location::Query => write!(f, "query parameter {} ", self.field)?,
            Location::Path => write!(f, "path parameter {} ", self.field)?,
            _ => write!(f, "{} ", self.field)?,
        }
        describe(f, &self.problem)
    }
}

impl std::error::Error for ValidationError {}

fn check_length(rule: &FieldRule, len: usize) -> Option<Problem> {
    if let Some(max) = rule.max_length.filter(|max| len > *max) {
        return Some(Problem::TooLong { max, actual: len });
    }
    if let Some(min) = rule.min_length.filter(|min| len < *min) {
        return Some(Problem::TooShort { min, actual: len });
    }
    None
}

fn check_bounds(rule: &FieldRule, n: &serde_json::Number) -> Option<Problem> {
    let below = |min: i64| match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(v), _, _) => v < min,
        (None, Some(_), _) => false,
        (_, _, Some(v)) => v < min as f64,
        _ => false,
    };
    let above = |max: i64| match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(v), _, _) => v > max,
        (None, Some(_), _) => true,
        (_, _, Some(v)) => v > max as f64,
        _ => false,
    };
    if let Some(min) = rule.minimum.filter(|m| below(*m)) {
        return Some(Problem::TooSmall {
            min,
            actual: n.to_string(),
        });
    }
    if let Some(max) = rule.maximum.filter(|m| above(*m)) {
        return Some(Problem::TooLarge {
            max,
            actual: n.to_string(),
        });
    }
    None
}

fn not_allowed(rule: &FieldRule, text: &str) -> Result<(), Problem> {
    if !rule.allowed.is_empty() && !rule.allowed.contains(&text) {
        return Err(Problem::NotAllowed {
            allowed: rule.allowed,
        });
    }
    Ok(())
}

/// Whether `text` matches the spec's `pattern` (a pattern that does not compile refuses
/// nothing, as before). Each pattern is compiled once per process: the spec's patterns
/// are a handful of `'static` strings.
fn matches_pattern(pattern: &'static str, text: &str) -> bool {
    type Compiled = std::collections::HashMap<&'static str, Option<std::sync::Arc<regress::Regex>>>;
    static COMPILED: std::sync::OnceLock<std::sync::Mutex<Compiled>> = std::sync::OnceLock::new();
    let re = {
        let mut compiled = COMPILED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        compiled
            .entry(pattern)
            .or_insert_with(|| regress::Regex::new(pattern).ok().map(std::sync::Arc::new))
            .clone()
    };
    re.is_none_or(|re| re.find(text).is_some())
}

/// Checks one value against a rule.
pub(crate) fn check_value(rule: &FieldRule, value: &Value) -> Result<(), Problem> {
    match (rule.kind, value) {
        (Kind::String, Value::String(s)) => {
            if let Some(p) = check_length(rule, s.chars().count()) {
                return Err(p);
            }
            if let Some(pattern) = rule.pattern
                && !matches_pattern(pattern, s)
            {
                return Err(Problem::NoMatch { pattern });
            }
            not_allowed(rule, s)
        }
        (Kind::String, _) => Err(Problem::WrongType {
            expected: "a string",
        }),
        (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
            if let Some(p) = check_bounds(rule, n) {
                return Err(p);
            }
            not_allowed(rule, &n.to_string())
        }
        (Kind::Integer, _) => Err(Problem::WrongType {
            expected: "an integer",
        }),
        (Kind::Number, Value::Number(n)) => match check_bounds(rule, n) {
            Some(p) => Err(p),
            None => Ok(()),
        },
        (Kind::Number, _) => Err(Problem::WrongType {
            expected: "a number",
        }),
        (Kind::Boolean, Value::Bool(_)) => Ok(()),
        (Kind::Boolean, _) => Err(Problem::WrongType {
            expected: "true or false",
        }),
        (Kind::Object, Value::Object(map)) => {
            for (key, v) in map {
                match rule.properties.iter().find(|p| p.name == key) {
                    Some(p) if !v.is_null() => {
                        check_value(p, v).map_err(|problem| Problem::Member {
                            name: p.name,
                            problem: Box::new(problem),
                        })?
                    }
                    Some(_) => {}
                    None if !rule.open => {
                        return Err(Problem::UnknownMember { name: key.clone() });
                    }
                    None => {}
                }
            }
            for p in rule.properties.iter().filter(|p| p.required) {
                if map.get(p.name).is_none_or(Value::is_null) {
                    return Err(Problem::Member {
                        name: p.name,
                        problem: Box::new(Problem::Missing),
                    });
                }
            }
            Ok(())
        }
        (Kind::Object, _) => Err(Problem::WrongType {
            expected: "a JSON object",
        }),
        (Kind::Array, Value::Array(items)) => {
            let n = items.len();
            if let Some(max) = rule.max_items.filter(|max| n > *max) {
                return Err(Problem::TooManyItems { max, actual: n });
            }
            if let Some(min) = rule.min_items.filter(|min| n < *min) {
                return Err(Problem::TooFewItems { min, actual: n });
            }
            if let Some(item_rule) = rule.items {
                for (index, item) in items.iter().enumerate() {
                    if let Err(problem) = check_value(item_rule, item) {
                        return Err(Problem::Item {
                            index,
                            problem: Box::new(problem),
                        });
                    }
                }
            }
            Ok(())
        }
        (Kind::Array, _) => Err(Problem::WrongType {
            expected: match rule.items.map(|i| i.kind) {
                Some(Kind::String) => "an array of strings",
                _ => "an array",
            },
        }),
        _ => Ok(()),
    }
}

/// Checks a JSON body against the body rules of `op`, in the order the spec declares
/// its fields, and reports the first field at fault.
pub fn check_body_of(
    op: &OperationRules,
    body: &Map<String, Value>,
) -> Result<(), ValidationError> {
    let err = |name: &str, problem| Err(ValidationError::new(name, Location::Body, problem));
    for key in body.keys() {
        if op.body_field(key).is_none() {
            return err(key, Problem::Unknown);
        }
    }
    for rule in op.body {
        match body.get(rule.name) {
            // JSON null stands for "not given", as the vendor's own example uses it.
            None | Some(Value::Null) => {
                if rule.required {
                    return err(rule.name, Problem::Missing);
                }
                // A requirement decided by a look-up is the client's to check
                // (`Client::check_required_lookups`), not the request's alone.
                if let Some(when) = rule.required_when
                    && when.lookup.is_none()
                    && body.get(when.field).and_then(Value::as_str) == Some(when.equals)
                {
                    return err(
                        rule.name,
                        Problem::MissingBecause {
                            field: when.field,
                            equals: when.equals,
                        },
                    );
                }
            }
            Some(value) => {
                if let Err(problem) = check_value(rule, value) {
                    return err(rule.name, problem);
                }
            }
        }
    }
    Ok(())
}

/// Reads a parameter's text (a header or query value) as the JSON value its rule wants:
/// integers and booleans are parsed, everything else stays text.
pub fn param_value(rule: &FieldRule, text: &str) -> Result<Value, ValidationError> {
    let wrong = |expected| {
        Err(ValidationError::new(
            rule.name,
            rule.location,
            Problem::WrongType { expected },
        ))
    };
    match rule.kind {
        Kind::Integer => match text.trim().parse::<i64>() {
            Ok(n) => Ok(Value::from(n)),
            Err(_) => wrong("an integer"),
        },
        Kind::Number => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Value::from(n)),
            _ => wrong("a number"),
        },
        Kind::Boolean => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => wrong("true or false"),
        },
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// A character that cannot travel in a header value (it would end the header, or the
/// request): CR, LF and NUL. Tabs and other text are fine.
fn breaks_a_header(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\0')
}

/// Checks the path, query and header parameters of a request to `op`: `values[i]` is
/// the value of `op.params[i]`, if given.
pub fn check_params(op: &OperationRules, values: &[Option<Value>]) -> Result<(), ValidationError> {
    for (i, rule) in op.params.iter().enumerate() {
        match values.get(i).and_then(Option::as_ref) {
            None | Some(Value::Null) => {
                if rule.required {
                    return Err(ValidationError::new(
                        rule.name,
                        rule.location,
                        Problem::Missing,
                    ));
                }
            }
            Some(v) => {
                check_value(rule, v)
                    .map_err(|p| ValidationError::new(rule.name, rule.location, p))?;
                if rule.location == Location::Header {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if text.chars().any(breaks_a_header) {
                        return Err(ValidationError::new(
                            rule.name,
                            rule.location,
                            Problem::Malformed(
                                "it holds a control character (such as CR or LF)".into(),
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Deserialises a checked body into the generated type `T` (whose newtypes have the
/// last word), naming the field at fault, and serialises it for the wire.
pub fn typed_body<T: serde::de::DeserializeOwned + serde::Serialize>(
    body: &Map<String, Value>,
) -> Result<Vec<u8>, ValidationError> {
    let typed: T = match T::deserialize(body) {
        Ok(t) => t,
        Err(_) => serde_path_to_error::deserialize(Value::Object(body.clone())).map_err(|e| {
            let field = e.path().to_string();
            ValidationError::new(
                field,
                Location::Body,
                Problem::Malformed(e.into_inner().to_string()),
            )
        })?,
    };
    serde_json::to_vec(&typed).map_err(|e| {
        ValidationError::new("body", Location::Body, Problem::Malformed(e.to_string()))
    })
}

/// Checks that a success body reads as the generated response type `T`.
pub fn typed_response<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(&mut de)
        .map(|_| ())
        .map_err(|e| format!("{} at {}", e.inner(), e.path()))
}

/// Checks a create-case body against every rule of the spec, in the order the spec
/// declares its fields, and reports the first field at fault.
pub fn check_body(body: &Map<String, Value>) -> Result<(), ValidationError> {
    check_body_of(rules::CREATE_CASE, body)
}

/// Checks one header value against the spec's rule for that header. Headers the spec
/// does not declare pass unchecked.
pub fn check_header(name: &str, value: &str) -> Result<(), ValidationError> {
    let Some(rule) = rules::header(name) else {
        return Ok(());
    };
    let json = param_value(rule, value)?;
    check_value(rule, &json).map_err(|p| ValidationError::new(rule.name, Location::Header, p))?;
    if value.chars().any(breaks_a_header) {
        return Err(ValidationError::new(
            rule.name,
            Location::Header,
            Problem::Malformed(
                "it holds a line break or NUL, which cannot be sent in a header".into(),
            ),
        ));
    }
    Ok(())
}

/// Checks a body and turns it into the generated request type.
///
/// `null` members are dropped: the service treats them as absent. A member the spec
/// does not declare is refused even when it is `null` (checked before they go).
pub fn parse_body(body: Map<String, Value>) -> Result<CreateCaseRequest, ValidationError> {
    check_body(&body)?;
    if !body.values().any(Value::is_null) {
        // The common case, without tracking the path; only a failure needs it.
        if let Ok(typed) = CreateCaseRequest::deserialize(&body) {
            return Ok(typed);
        }
        return to_typed(body);
    }
    let body: Map<String, Value> = body.into_iter().filter(|(_, v)| !v.is_null()).collect();
    to_typed(body)
}

/// [`parse_body`] of a borrowed body: the same checks and result, without copying the
/// body unless it holds `null` members or fails to convert.
pub(crate) fn parse_body_ref(
    body: &Map<String, Value>,
) -> Result<CreateCaseRequest, ValidationError> {
    if body.values().any(Value::is_null) {
        return parse_body(body.clone());
    }
    check_body(body)?;
    match CreateCaseRequest::deserialize(body) {
        Ok(typed) => Ok(typed),
        Err(_) => to_typed(body.clone()),
    }
}

/// Deserialises a checked body into the generated type, naming the field at fault.
fn to_typed(body: Map<String, Value>) -> Result<CreateCaseRequest, ValidationError> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        let field = e.path().to_string();
        ValidationError::new(
            field,
            Location::Body,
            Problem::Malformed(e.into_inner().to_string()),
        )
    })
}

/// Parses raw bytes as a JSON object and checks it; what the emulator does with a body.
pub fn parse_body_bytes(bytes: &[u8]) -> Result<CreateCaseRequest, ValidationError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ValidationError::new("body", Location::Body, Problem::Malformed(e.to_string()))
    })?;
    match value {
        Value::Object(map) => parse_body(map),
        _ => Err(ValidationError::new(
            "body",
            Location::Body,
            Problem::WrongType {
                expected: "a JSON object",
            },
        )),
    }
}
