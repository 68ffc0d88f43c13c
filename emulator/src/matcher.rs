//! Which requests a fault or an expectation is about: [`Matcher`].

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::journal::RecordedRequest;

type Predicate = Arc<dyn Fn(&RecordedRequest) -> bool + Send + Sync>;

/// One condition of a [`Matcher`].
#[derive(Clone)]
enum Criterion {
    Operation(String),
    Method(String),
    Path(String),
    Header(String, String),
    Query(String, String),
    Body(Value),
    Status(u16),
    ErrorCode(String),
    Predicate(String, Predicate),
}

impl Criterion {
    fn holds(&self, r: &RecordedRequest) -> bool {
        match self {
            Criterion::Operation(op) => r.operation.as_deref() == Some(op.as_str()),
            Criterion::Method(m) => r.method.eq_ignore_ascii_case(m),
            Criterion::Path(p) => r.path == *p,
            Criterion::Header(n, v) => r.header(n) == Some(v.as_str()),
            Criterion::Query(n, v) => r.query_param(n).as_deref() == Some(v.as_str()),
            Criterion::Body(subset) => r.json().is_some_and(|b| contains(&b, subset)),
            Criterion::Status(s) => r.status == Some(*s),
            Criterion::ErrorCode(c) => r.error_code.as_deref() == Some(c.as_str()),
            Criterion::Predicate(_, f) => f(r),
        }
    }

    /// What was expected, and what the request had, for a report.
    fn describe(&self) -> String {
        match self {
            Criterion::Operation(op) => format!("operation {op}"),
            Criterion::Method(m) => format!("method {m}"),
            Criterion::Path(p) => format!("path {p}"),
            Criterion::Header(n, v) => format!("header {n}: {v}"),
            Criterion::Query(n, v) => format!("query {n}={v}"),
            Criterion::Body(subset) => format!("body containing {subset}"),
            Criterion::Status(s) => format!("status {s}"),
            Criterion::ErrorCode(c) => format!("error_code {c}"),
            Criterion::Predicate(label, _) => label.clone(),
        }
    }

    fn seen(&self, r: &RecordedRequest) -> String {
        let or_none = |v: Option<&str>| v.map_or_else(|| "none".to_owned(), str::to_owned);
        match self {
            Criterion::Operation(_) => or_none(r.operation.as_deref()),
            Criterion::Method(_) => r.method.clone(),
            Criterion::Path(_) => r.path.clone(),
            Criterion::Header(n, _) => or_none(r.header(n)),
            Criterion::Query(n, _) => or_none(r.query_param(n).as_deref()),
            Criterion::Body(_) => {
                if r.body.is_empty() {
                    "no body".to_owned()
                } else {
                    crate::http::shorten(&r.body, 200)
                }
            }
            Criterion::Status(_) => r
                .status
                .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
            Criterion::ErrorCode(_) => or_none(r.error_code.as_deref()),
            Criterion::Predicate(..) => "false".to_owned(),
        }
    }
}

/// Whether `value` holds `subset`: every member of an object subset is in the value
/// and holds the subset's value; arrays and scalars must be equal.
pub(crate) fn contains(value: &Value, subset: &Value) -> bool {
    match (value, subset) {
        (Value::Object(v), Value::Object(s)) => s
            .iter()
            .all(|(k, sv)| v.get(k).is_some_and(|vv| contains(vv, sv))),
        _ => value == subset,
    }
}

/// A description of requests, every condition of which must hold: an operation, a
/// method and path, headers, query parameters, a part of the JSON body, the answer
/// (for expectations), or any Rust closure.
///
/// ```
/// use osm_emulator::Matcher;
/// let lookups_in_english = Matcher::operation("list_problem_types")
///     .header("x-language", "en-us");
/// let creates_of_type_1 = Matcher::operation("create_case")
///     .body(serde_json::json!({"business_type_id": "1"}));
/// let anything_signed = Matcher::any().when(|r| r.header("x-sdk-date").is_some());
/// # let _ = (lookups_in_english, creates_of_type_1, anything_signed);
/// ```
#[derive(Clone, Default)]
pub struct Matcher {
    criteria: Vec<Criterion>,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string())
    }
}

/// `operation create_case and header x-language: en-us`, or `any request`.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.criteria.is_empty() {
            return f.write_str("any request");
        }
        let parts: Vec<String> = self.criteria.iter().map(Criterion::describe).collect();
        f.write_str(&parts.join(" and "))
    }
}

impl Matcher {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Requests routed to the operation with this id (`create_case`,
    /// `list_problem_types`, …: the `operationId`s of the spec).
    pub fn operation(id: impl Into<String>) -> Self {
        Self::any().and(Criterion::Operation(id.into()))
    }

    /// Requests with this method and exact path (as sent, such as
    /// `/v2/servicerequest/cases/CS20261128000001/messages`).
    pub fn method_path(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self::any()
            .and(Criterion::Method(method.into()))
            .and(Criterion::Path(path.into()))
    }

    fn and(mut self, c: Criterion) -> Self {
        self.criteria.push(c);
        self
    }

    /// And this method (any case).
    pub fn method(self, method: impl Into<String>) -> Self {
        self.and(Criterion::Method(method.into()))
    }

    /// And this exact path.
    pub fn path(self, path: impl Into<String>) -> Self {
        self.and(Criterion::Path(path.into()))
    }

    /// And header `name` (any case) with exactly this value.
    pub fn header(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.and(Criterion::Header(name.into(), value.into()))
    }

    /// And query parameter `name` with this (decoded) value.
    pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.and(Criterion::Query(name.into(), value.into()))
    }

    /// And a JSON body holding `subset`: each member of an object, recursively; arrays
    /// and other values equal.
    pub fn body(self, subset: Value) -> Self {
        self.and(Criterion::Body(subset))
    }

    /// And answered with this HTTP status (expectations only: a fault is chosen before
    /// the answer exists, so a fault aimed with it never applies).
    pub fn status(self, status: u16) -> Self {
        self.and(Criterion::Status(status))
    }

    /// And answered with this `error_code` (expectations only, like
    /// [`status`](Self::status)).
    pub fn error_code(self, code: impl Into<String>) -> Self {
        self.and(Criterion::ErrorCode(code.into()))
    }

    /// And this closure returns `true` for the request.
    pub fn when(self, f: impl Fn(&RecordedRequest) -> bool + Send + Sync + 'static) -> Self {
        self.when_named("the closure given to when()", f)
    }

    /// Like [`when`](Self::when), with the name a report shows for the condition.
    pub fn when_named(
        self,
        name: impl Into<String>,
        f: impl Fn(&RecordedRequest) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.and(Criterion::Predicate(name.into(), Arc::new(f)))
    }

    /// Whether every condition holds for `request`.
    pub fn matches(&self, request: &RecordedRequest) -> bool {
        self.criteria.iter().all(|c| c.holds(request))
    }

    /// The operation this matcher requires, if it names one.
    pub(crate) fn operation_id(&self) -> Option<&str> {
        self.criteria.iter().find_map(|c| match c {
            Criterion::Operation(op) => Some(op.as_str()),
            _ => None,
        })
    }

    /// How many conditions hold, and a line for each that does not.
    pub(crate) fn misses(&self, r: &RecordedRequest) -> (usize, Vec<String>) {
        let mut held = 0;
        let mut missed = Vec::new();
        for c in &self.criteria {
            if c.holds(r) {
                held += 1;
            } else {
                missed.push(format!("expected {}, was {}", c.describe(), c.seen(r)));
            }
        }
        (held, missed)
    }

    /// The JSON form (closures by their name).
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        let mut headers = Map::new();
        let mut query = Map::new();
        let mut predicates = Vec::new();
        for c in &self.criteria {
            match c {
                Criterion::Operation(op) => _ = m.insert("operation".into(), op.clone().into()),
                Criterion::Method(x) => _ = m.insert("method".into(), x.clone().into()),
                Criterion::Path(x) => _ = m.insert("path".into(), x.clone().into()),
                Criterion::Header(n, v) => _ = headers.insert(n.clone(), v.clone().into()),
                Criterion::Query(n, v) => _ = query.insert(n.clone(), v.clone().into()),
                Criterion::Body(b) => _ = m.insert("body".into(), b.clone()),
                Criterion::Status(s) => _ = m.insert("status".into(), (*s).into()),
                Criterion::ErrorCode(x) => _ = m.insert("error_code".into(), x.clone().into()),
                Criterion::Predicate(name, _) => predicates.push(Value::from(name.clone())),
            }
        }
        if !headers.is_empty() {
            m.insert("headers".into(), Value::Object(headers));
        }
        if !query.is_empty() {
            m.insert("query".into(), Value::Object(query));
        }
        if !predicates.is_empty() {
            m.insert("predicates".into(), Value::Array(predicates));
        }
        Value::Object(m)
    }
}

/// The JSON form of a matcher, for the admin routes:
/// `{"operation": "...", "method": "GET", "path": "/v2/...", "headers": {"x-language":
/// "en-us"}, "query": {"limit": "10"}, "body": {...subset...}, "status": 200,
/// "error_code": "..."}`, every member optional.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MatchSpec {
    #[serde(default)]
    operation: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    query: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error_code: Option<String>,
}

impl MatchSpec {
    /// The matcher, with an operation id checked against the spec's.
    pub(crate) fn into_matcher(self) -> Result<Matcher, String> {
        let mut m = Matcher::any();
        if let Some(op) = self.operation {
            check_operation(&op)?;
            m = m.and(Criterion::Operation(op));
        }
        if let Some(x) = self.method {
            m = m.method(x);
        }
        if let Some(x) = self.path {
            m = m.path(x);
        }
        for (n, v) in self.headers {
            m = m.header(n, v);
        }
        for (n, v) in self.query {
            m = m.query(n, v);
        }
        if let Some(b) = self.body {
            m = m.body(b);
        }
        if let Some(s) = self.status {
            m = m.status(s);
        }
        if let Some(c) = self.error_code {
            m = m.error_code(c);
        }
        Ok(m)
    }
}

/// An operation id of the spec, or an error listing them.
pub(crate) fn check_operation(
    id: &str,
) -> Result<&'static huaweicloud_osm::rules::OperationRules, String> {
    huaweicloud_osm::rules::operation(id).ok_or_else(|| {
        let ids: Vec<&str> = huaweicloud_osm::rules::OPERATIONS
            .iter()
            .map(|o| o.id)
            .collect();
        format!(
            "{id:?} is not an operation of the spec; the operations are {}",
            ids.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subsets() {
        let v = json!({"a": 1, "b": {"c": [1, 2], "d": "x"}});
        assert!(contains(&v, &json!({})));
        assert!(contains(&v, &json!({"b": {"d": "x"}})));
        assert!(!contains(&v, &json!({"b": {"c": [1]}})));
        assert!(!contains(&v, &json!({"z": null})));
    }

    #[test]
    fn json_matchers_are_checked() {
        let spec: MatchSpec = serde_json::from_value(json!({"operation": "nope"})).unwrap();
        let err = spec.into_matcher().unwrap_err();
        assert!(err.contains("create_case"), "{err}");
        assert!(serde_json::from_value::<MatchSpec>(json!({"operaton": "x"})).is_err());
        let spec: MatchSpec =
            serde_json::from_value(json!({"operation": "create_case", "headers": {"x-site": "1"}}))
                .unwrap();
        let m = spec.into_matcher().unwrap();
        assert_eq!(m.to_string(), "operation create_case and header x-site: 1");
    }
}
