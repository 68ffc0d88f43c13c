//! What `--dry-run` prints, for every command: each request as it would go out — the
//! method, the URL with its path values and query, the headers (credentials redacted)
//! and the body — and nothing is sent. Text output prints the requests one after the
//! other, separated by a blank line; JSON output prints one object with a `requests`
//! array.

use clap::ArgMatches;
use huaweicloud_osm::Credentials;
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{FieldRule, Kind, Location, OperationRules};
use serde_json::{Map, Value, json};

use crate::config;
use crate::output;
use crate::session;

/// Replaces the value of every secret member of `value` (`FieldRule::secret`: the spec's
/// `format: password`) with `[REDACTED]`, at every depth the rules describe (the walk
/// follows the spec's rules, not the data, so it is as deep as the spec and no deeper).
fn redact_secrets(value: &mut Value, rules: &[FieldRule]) {
    let Value::Object(members) = value else {
        return;
    };
    for rule in rules {
        if let Some(v) = members.get_mut(rule.name) {
            redact_member(v, rule);
        }
    }
}

fn redact_member(v: &mut Value, rule: &FieldRule) {
    if rule.secret {
        if !v.is_null() {
            *v = Value::String("[REDACTED]".into());
        }
        return;
    }
    match v {
        Value::Object(_) => redact_secrets(v, rule.properties),
        Value::Array(items) => {
            if let Some(item) = rule.items {
                for i in items {
                    redact_member(i, item);
                }
            }
        }
        _ => {}
    }
}

/// Where a dry run under `--emulator` would send: the embedded emulator listens on a
/// free loopback port chosen when the command runs.
pub const EMULATOR_ENDPOINT: &str = "http://127.0.0.1:PORT";

/// One request as it would go out.
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
}

/// Percent-encodes a path segment or a query part: unreserved characters kept.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The endpoint a command would send to: the embedded emulator's, or the configured one.
pub fn endpoint(global: &ArgMatches) -> String {
    if global.get_flag("emulator") {
        EMULATOR_ENDPOINT.to_owned()
    } else {
        session::endpoint(global)
    }
}

/// The headers every request carries: authentication (redacted), the site, and the
/// language and time zone configured.
fn common_headers(global: &ArgMatches, credentials: Option<&Credentials>) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    match credentials {
        Some(c) if c.scheme() == "token" => {
            headers.push(("X-Auth-Token".into(), "[REDACTED]".into()));
        }
        Some(c) => headers.push((
            "Authorization".into(),
            format!(
                "SDK-HMAC-SHA256 Access={}, SignedHeaders=[computed when sent], Signature=[computed when sent]",
                c.access_key().unwrap_or_default()
            ),
        )),
        None => headers.push(("Authorization".into(), "[no credentials found]".into())),
    }
    if let Some(x) = session::site(global).x_site() {
        headers.push(("X-Site".into(), x.to_string()));
    }
    let settings = config::settings();
    for (key, header) in [("language", "X-Language"), ("time_zone", "X-Time-Zone")] {
        if let Some(v) = settings.get(key) {
            headers.push((header.into(), v.to_owned()));
        }
    }
    headers
}

impl Request {
    /// The request `input` makes of its operation.
    pub fn of(global: &ArgMatches, credentials: Option<&Credentials>, input: &Input) -> Self {
        let op = input.operation();
        let mut path = String::new();
        for segment in op.path.split('/').filter(|s| !s.is_empty()) {
            path.push('/');
            match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    path.push_str(&encode(&input.param(name).map(text_of).unwrap_or_default()))
                }
                None => path.push_str(segment),
            }
        }
        let mut query = Vec::new();
        let mut headers = common_headers(global, credentials);
        for rule in op.params {
            let Some(v) = input.param(rule.name) else {
                continue;
            };
            match rule.location {
                Location::Query => match v {
                    Value::Array(items) if rule.kind == Kind::Array => {
                        for i in items {
                            query.push(format!("{}={}", encode(rule.name), encode(&text_of(i))));
                        }
                    }
                    v => query.push(format!("{}={}", encode(rule.name), encode(&text_of(v)))),
                },
                Location::Header => {
                    headers.retain(|(n, _)| !n.eq_ignore_ascii_case(rule.name));
                    headers.push((rule.name.to_owned(), text_of(v)));
                }
                _ => {}
            }
        }
        let body = (!input.body().is_empty() || op.body_required).then(|| {
            let mut body = Value::Object(input.body().clone());
            redact_secrets(&mut body, op.body);
            body
        });
        if body.is_some() {
            headers.insert(0, ("Content-Type".into(), "application/json".into()));
        }
        let mut url = format!("{}{path}", endpoint(global).trim_end_matches('/'));
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query.join("&"));
        }
        Self {
            method: op.method.to_owned(),
            url,
            headers,
            body,
        }
    }

    /// An upload of a file as a multipart form to `op`, described rather than shown.
    pub fn upload(
        global: &ArgMatches,
        credentials: Option<&Credentials>,
        op: &OperationRules,
        file: &std::path::Path,
        purpose: &str,
    ) -> Self {
        let mut headers = common_headers(global, credentials);
        headers.insert(
            0,
            (
                "Content-Type".into(),
                "multipart/form-data; boundary=[chosen when sent]".into(),
            ),
        );
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or_default();
        Self {
            method: op.method.to_owned(),
            url: format!("{}{}", endpoint(global).trim_end_matches('/'), op.path),
            headers,
            body: Some(json!({
                "multipart": {
                    "file": format!("{} ({size} bytes)", file.display()),
                    "accessory_from": purpose,
                }
            })),
        }
    }

    /// Sets a body member (an id known only once an earlier request answered).
    pub fn set_body(&mut self, name: &str, value: Value) {
        if let Some(Value::Object(body)) = &mut self.body {
            body.insert(name.to_owned(), value);
        }
    }

    /// Sets a member of a nested object of the body (`message.accessory_ids`).
    pub fn set_nested(&mut self, object: &str, name: &str, value: Value) {
        if let Some(Value::Object(body)) = &mut self.body
            && let Some(Value::Object(inner)) = body.get_mut(object)
        {
            inner.insert(name.to_owned(), value);
        }
    }

    fn to_json(&self) -> Value {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({"method": self.method, "url": self.url, "headers": headers, "body": self.body})
    }
}

/// Prints the requests a command would send, and that nothing was sent.
pub fn print(requests: &[Request], json_output: bool) {
    if json_output {
        let all: Vec<Value> = requests.iter().map(Request::to_json).collect();
        // A command that sends one request: its members at the top too.
        let single = match all.as_slice() {
            [one] => one.clone(),
            _ => Value::Null,
        };
        let mut top = json!({"dry_run": true, "requests": all});
        if let (Value::Object(top), Value::Object(single)) = (&mut top, single) {
            for (k, v) in single {
                top.insert(k, v);
            }
        }
        output::json(&top.to_string());
        return;
    }
    for (i, r) in requests.iter().enumerate() {
        if i > 0 {
            output::out("");
        }
        output::out(&format!("{} {}", r.method, output::clean(&r.url)));
        for (k, v) in &r.headers {
            output::out(&format!("{k}: {}", output::clean(v)));
        }
        if let Some(body) = &r.body {
            output::out("");
            output::out(&serde_json::to_string_pretty(body).unwrap_or_default());
        }
    }
    eprintln!("osm: dry run: nothing was sent");
}
