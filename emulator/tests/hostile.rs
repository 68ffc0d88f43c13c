//! Hostile input against a running emulator, over loopback: property tests with
//! arbitrary bodies (bytes, text, JSON values, near-valid tickets), arbitrary headers,
//! arbitrary methods and paths, and raw bytes that are not HTTP at all.
//!
//! For every answer to valid HTTP: never a panic, never a 5xx (no faults are queued),
//! always an `X-Request-Id` of 32 hex digits, and a JSON body in the vendor's shape —
//! `{"incident_id": …}` for a ticket, `{"error_code": …, "error_msg": …}` (plus
//! `request_id` for the gateway's errors) for a refusal. Where the library can say what
//! the answer must be (`huaweicloud_osm::validation`), the answer is exactly that.
//!
//! Case counts are modest for CI; `PROPTEST_CASES=5000 cargo test -p osm-emulator
//! --test hostile` runs longer.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{AK, SK, TOKEN, assert_is_request_id};
use huaweicloud_osm::{rules, validation};
use osm_emulator::{CASES_PATH, Emulator, RunningEmulator};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

const SOURCE_ID: &str = "83aeb0f2834c4df49826c781d32a963e";

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(default: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases: cases(default),
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// An emulator on a runtime of its own, so that it keeps serving between cases.
struct Harness {
    rt: tokio::runtime::Runtime,
    emu: Option<RunningEmulator>,
    http: reqwest::Client,
    base: String,
}

impl Harness {
    fn new(max_body_bytes: usize) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt
            .block_on(
                Emulator::builder()
                    .token(TOKEN)
                    .ak_sk(AK, SK)
                    .max_body_bytes(max_body_bytes)
                    // The answers to the spec's rules alone: made-up attachment ids
                    // and contacts are refused by design (tests/attachments.rs).
                    .check_references(false)
                    .start(),
            )
            .expect("emulator starts");
        let base = emu.base_url();
        Self {
            rt,
            emu: Some(emu),
            http: common::raw(),
            base,
        }
    }

    fn emu(&self) -> &RunningEmulator {
        self.emu.as_ref().expect("running")
    }

    /// Sends one request; `None` only if the client itself refused to build it.
    fn send(&self, method: &str, path: &str, headers: HeaderMap, body: Vec<u8>) -> Answer {
        self.rt.block_on(async {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
            let response = self
                .http
                .request(method, format!("{}{path}", self.base))
                .headers(headers)
                .body(body)
                .send()
                .await
                .expect("the emulator answers");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.bytes().await.expect("the answer reads whole");
            Answer {
                status,
                headers,
                body: body.to_vec(),
            }
        })
    }

    fn ticket_count(&self) -> usize {
        self.emu().ticket_count()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            self.rt.block_on(emu.shutdown());
        }
    }
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Result<Map<String, Value>, TestCaseError> {
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(TestCaseError::fail(format!(
                "HTTP {} answered a body that is not a JSON object: {:?}",
                self.status,
                self.text()
            ))),
        }
    }

    fn error_code(&self) -> Option<String> {
        let map: Map<String, Value> = serde_json::from_slice(&self.body).ok()?;
        map.get("error_code")?.as_str().map(str::to_owned)
    }

    fn error_msg(&self) -> Option<String> {
        let map: Map<String, Value> = serde_json::from_slice(&self.body).ok()?;
        map.get("error_msg")?.as_str().map(str::to_owned)
    }
}

/// What every answer to valid HTTP must be. `head`: the answer has no body.
/// `create`: the request was a create (a 200 must then carry a ticket id).
fn check_shape(a: &Answer, head: bool, admin: bool, create: bool) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(a.status, 200 | 400 | 401 | 404 | 405 | 413),
        "unexpected HTTP {}: {}",
        a.status,
        a.text()
    );
    let rid = a
        .headers
        .get("x-request-id")
        .ok_or_else(|| TestCaseError::fail(format!("HTTP {} without X-Request-Id", a.status)))?
        .to_str()
        .map_err(|_| TestCaseError::fail("X-Request-Id is not text"))?
        .to_owned();
    assert_is_request_id(&rid);
    let ct = a
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    prop_assert!(ct.starts_with("application/json"), "content type {ct:?}");
    if head {
        prop_assert!(a.body.is_empty());
        return Ok(());
    }
    let body = a.json()?;
    if a.status == 200 {
        if !admin && create {
            let id = body.get("incident_id").and_then(Value::as_str);
            prop_assert!(
                id.is_some_and(|id| id.starts_with("CS") && id.len() >= 16),
                "a 200 without a ticket id: {}",
                a.text()
            );
            prop_assert_eq!(body.len(), 1);
        }
        return Ok(());
    }
    let code = body.get("error_code").and_then(Value::as_str);
    let msg = body.get("error_msg").and_then(Value::as_str);
    prop_assert!(
        code.is_some_and(|c| !c.is_empty()) && msg.is_some_and(|m| !m.is_empty()),
        "not the vendor's error shape: {}",
        a.text()
    );
    for key in body.keys() {
        prop_assert!(
            matches!(key.as_str(), "error_code" | "error_msg" | "request_id"),
            "unexpected member {key:?} in {}",
            a.text()
        );
    }
    if let Some(body_rid) = body.get("request_id") {
        prop_assert_eq!(body_rid.as_str(), Some(rid.as_str()));
    }
    Ok(())
}

fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-auth-token", HeaderValue::from_static(TOKEN));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    h
}

fn valid_body() -> Map<String, Value> {
    match json!({
        "business_type_id": "1",
        "simple_description": "disk full on ecs-01",
        "source_id": SOURCE_ID,
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// Checks a create answer against what the library's validation says of the body.
fn check_create(h: &Harness, body: &[u8], limit: usize) -> Result<(), TestCaseError> {
    let before = h.ticket_count();
    let a = h.send("POST", CASES_PATH, json_headers(), body.to_vec());
    check_shape(&a, false, false, true)?;
    if body.len() > limit {
        prop_assert_eq!(a.status, 413);
        prop_assert_eq!(a.error_code(), Some("APIGW.0201".to_owned()));
        prop_assert_eq!(h.ticket_count(), before);
        return Ok(());
    }
    match validation::parse_body_bytes(body) {
        Ok(_) => {
            prop_assert_eq!(a.status, 200, "{}", a.text());
            prop_assert_eq!(h.ticket_count(), before + 1);
        }
        Err(e) => {
            prop_assert_eq!(a.status, 400, "{}", a.text());
            prop_assert_eq!(a.error_code(), Some("OSM.0001".to_owned()));
            prop_assert_eq!(a.error_msg(), Some(e.to_string()));
            prop_assert_eq!(h.ticket_count(), before);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Bodies

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[ -~]{0,40}".prop_map(Value::String),
        Just(Value::String(SOURCE_ID.into())),
        Just(Value::String("5".into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(member_name(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn field_names() -> Vec<&'static str> {
    rules::BODY.iter().map(|r| r.name).collect()
}

/// A member name: usually one the spec declares.
fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(field_names()).prop_map(str::to_owned),
        1 => any::<String>(),
        1 => "[a-z_]{1,20}",
    ]
}

/// A string of `len` characters, multi-byte ones included (limits count characters).
fn string_of(len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![Just('a'), Just('é'), Just('票'), Just('🎫'), any::<char>()],
        len..=len,
    )
    .prop_map(|c| c.into_iter().collect())
}

/// A value for `field`, near its limits: lengths and item counts at, under and over.
fn near_limit(field: &'static str) -> BoxedStrategy<Value> {
    let rule = rules::body_field(field).expect("a spec field");
    match rule.kind {
        rules::Kind::String => {
            let max = rule.max_length.unwrap_or(64);
            let lengths = prop_oneof![
                (0..=max + 1)
                    .prop_flat_map(string_of)
                    .prop_map(Value::String),
                prop::sample::select(vec![max.saturating_sub(1), max, max + 1])
                    .prop_flat_map(string_of)
                    .prop_map(Value::String),
            ];
            if rule.allowed.is_empty() {
                lengths.boxed()
            } else {
                prop_oneof![
                    lengths,
                    prop::sample::select(rule.allowed.to_vec())
                        .prop_map(|s| Value::String(s.to_owned())),
                ]
                .boxed()
            }
        }
        rules::Kind::Array => {
            let max_items = rule.max_items.unwrap_or(5);
            let item_max = rule.items.and_then(|i| i.max_length).unwrap_or(32);
            prop::collection::vec(
                (0..=item_max + 1)
                    .prop_flat_map(string_of)
                    .prop_map(Value::String),
                0..=max_items + 1,
            )
            .prop_map(Value::Array)
            .boxed()
        }
        rules::Kind::Object => json_value()
            .prop_map(|v| match v {
                Value::Object(_) => v,
                other => json!({ "value": other }),
            })
            .boxed(),
        rules::Kind::Integer => any::<i64>().prop_map(Value::from).boxed(),
        _ => json_value().boxed(),
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Set(String, Value),
    NearLimit(&'static str, Value),
    Remove(&'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => (member_name(), json_value()).prop_map(|(k, v)| Edit::Set(k, v)),
        3 => prop::sample::select(field_names())
            .prop_flat_map(|f| near_limit(f).prop_map(move |v| Edit::NearLimit(f, v))),
        1 => prop::sample::select(field_names()).prop_map(Edit::Remove),
    ]
}

fn apply(edits: &[Edit]) -> Vec<u8> {
    let mut body = valid_body();
    for e in edits {
        match e {
            Edit::Set(k, v) => {
                body.insert(k.clone(), v.clone());
            }
            Edit::NearLimit(k, v) => {
                body.insert((*k).to_owned(), v.clone());
            }
            Edit::Remove(k) => {
                body.remove(*k);
            }
        }
    }
    serde_json::to_vec(&body).expect("serialises")
}

#[test]
fn arbitrary_body_bytes() {
    const LIMIT: usize = 4096;
    let h = Harness::new(LIMIT);
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..LIMIT + 512),
        any::<String>().prop_map(String::into_bytes),
        // JSON-looking prefixes, to get past the first byte.
        (
            "[{\\[\"0-9tfn -]{0,3}",
            prop::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(p, rest)| [p.into_bytes(), rest].concat()),
    ];
    runner(128)
        .run(&strategy, |body| check_create(&h, &body, LIMIT))
        .unwrap();
}

#[test]
fn arbitrary_json_values() {
    let h = Harness::new(osm_emulator::DEFAULT_MAX_BODY_BYTES);
    runner(128)
        .run(&json_value(), |value| {
            let body = serde_json::to_vec(&value).expect("serialises");
            check_create(&h, &body, osm_emulator::DEFAULT_MAX_BODY_BYTES)
        })
        .unwrap();
}

#[test]
fn near_valid_tickets() {
    let h = Harness::new(osm_emulator::DEFAULT_MAX_BODY_BYTES);
    let accepted = std::cell::Cell::new(0);
    let refused = std::cell::Cell::new(0);
    runner(256)
        .run(&prop::collection::vec(edit(), 0..4), |edits| {
            let body = apply(&edits);
            let counter = if validation::parse_body_bytes(&body).is_ok() {
                &accepted
            } else {
                &refused
            };
            counter.set(counter.get() + 1);
            check_create(&h, &body, osm_emulator::DEFAULT_MAX_BODY_BYTES)
        })
        .unwrap();
    let (accepted, refused) = (accepted.get(), refused.get());
    // The strategy reaches both sides of the rules.
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} accepted, {refused} refused"
    );
}

// ---------------------------------------------------------------------------------
// Headers

/// Headers that frame the message or the connection: not for this test.
const FRAMING: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// Names the emulator reads.
const KNOWN: &[&str] = &[
    "authorization",
    "x-auth-token",
    "content-type",
    "x-language",
    "x-time-zone",
    "x-phone-verifiedid",
    "x-email-verifiedid",
    "x-site",
    "x-sdk-date",
    "x-sdk-content-sha256",
    "x-security-token",
    "x-domain-id",
];

fn header_name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        prop::sample::select(KNOWN.to_vec()).prop_map(HeaderName::from_static),
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,30}"
            .prop_filter("not a framing header", |n| {
                !FRAMING.contains(&n.to_ascii_lowercase().as_str())
            })
            .prop_map(|n| HeaderName::from_bytes(n.as_bytes()).expect("a token")),
    ]
}

fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        // Visible ASCII, space and tab, plus obs-text bytes: all valid in HTTP/1.1.
        prop::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff], 0..80)
            .prop_map(|b| HeaderValue::from_bytes(&b).expect("allowed bytes")),
        prop::sample::select(vec![
            "0",
            "1",
            "2",
            "-1",
            " 1 ",
            "en-us",
            "GMT+8",
            "application/json",
            "text/plain",
            "application/json; charset=utf-8",
            "SDK-HMAC-SHA256 Access=x",
            "SDK-HMAC-SHA256",
            TOKEN,
            "",
        ])
        .prop_map(HeaderValue::from_static),
        "[ -~]{5000,5003}".prop_map(|s| HeaderValue::from_str(&s).expect("ASCII")),
    ]
}

#[test]
fn arbitrary_headers() {
    let h = Harness::new(osm_emulator::DEFAULT_MAX_BODY_BYTES);
    let body = serde_json::to_vec(&valid_body()).expect("serialises");
    let strategy = prop::collection::vec((header_name(), header_value()), 0..8);
    runner(192)
        .run(&strategy, |extra| {
            let mut headers = json_headers();
            for (n, v) in &extra {
                headers.append(n.clone(), v.clone());
            }
            let before = h.ticket_count();
            let a = h.send("POST", CASES_PATH, headers, body.clone());
            check_shape(&a, false, false, true)?;
            prop_assert!(matches!(a.status, 200 | 400 | 401), "HTTP {}", a.status);
            let known = |n: &HeaderName| KNOWN.contains(&n.as_str());
            if extra.iter().all(|(n, _)| !known(n)) {
                // Headers the service does not know are ignored.
                prop_assert_eq!(a.status, 200, "{}", a.text());
            }
            if a.status == 200 {
                prop_assert_eq!(h.ticket_count(), before + 1);
                // Whatever spec header was sent, it was valid.
                for (n, v) in &extra {
                    if rules::header(n.as_str()).is_some() && n.as_str() != "x-auth-token" {
                        let v = v.to_str().map_err(|_| {
                            TestCaseError::fail(format!("accepted {n} that is not text"))
                        })?;
                        prop_assert!(
                            validation::check_header(n.as_str(), v).is_ok(),
                            "{n}: {v:?}"
                        );
                    }
                }
            } else {
                prop_assert_eq!(h.ticket_count(), before);
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------
// Methods and paths

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE",
        ])
        .prop_map(str::to_owned),
        "[A-Z][A-Z_-]{0,11}".prop_filter("CONNECT has its own semantics", |m| m != "CONNECT"),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let segment = "([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2}){0,10}";
    prop_oneof![
        Just(CASES_PATH.to_owned()),
        Just(format!("{CASES_PATH}/")),
        Just("/v2/servicerequest/cases%2F".to_owned()),
        Just("/V2/ServiceRequest/Cases".to_owned()),
        segment.prop_map(|s| format!("{CASES_PATH}/{s}")),
        prop::sample::select(vec!["tickets", "status", "faults", "", "nope", "tickets/1"])
            .prop_map(|r| format!("/__emulator/{r}")),
        prop::collection::vec(segment, 0..5).prop_map(|s| format!("/{}", s.join("/"))),
        (
            prop::collection::vec(segment, 0..3),
            "[A-Za-z0-9=&%+._-]{0,30}"
        )
            .prop_map(|(s, q)| format!("/{}?{q}", s.join("/"))),
    ]
}

#[test]
fn arbitrary_methods_and_paths() {
    let h = Harness::new(osm_emulator::DEFAULT_MAX_BODY_BYTES);
    let body = serde_json::to_vec(&valid_body()).expect("serialises");
    runner(192)
        .run(&(method(), path()), |(method, path)| {
            // The path the server sees is the one the URL parser keeps.
            let url = reqwest::Url::parse(&format!("{}{path}", h.base))
                .map_err(|e| TestCaseError::reject(e.to_string()))?;
            let seen = url.path().to_owned();
            let admin = seen.starts_with(osm_emulator::ADMIN_PREFIX);
            let before = h.ticket_count();
            let a = h.send(&method, &path, json_headers(), body.clone());
            let head = method == "HEAD";
            check_shape(&a, head, admin, seen == CASES_PATH && method == "POST")?;
            // The oracle is the spec: the operations whose path template matches.
            let routes: Vec<_> = rules::OPERATIONS
                .iter()
                .filter_map(|op| op.match_path(&seen).map(|v| (op, v.len())))
                .collect();
            let fewest = routes.iter().map(|(_, n)| *n).min().unwrap_or(0);
            let mut allow: Vec<&str> = routes
                .iter()
                .filter(|(_, n)| *n == fewest)
                .map(|(op, _)| op.method)
                .collect();
            allow.sort();
            allow.dedup();
            if seen == CASES_PATH && method == "POST" {
                prop_assert_eq!(a.status, 200, "{}", a.text());
                prop_assert_eq!(h.ticket_count(), before + 1);
            } else if admin {
            } else if allow.is_empty() {
                prop_assert_eq!(a.status, 404);
                if !head {
                    prop_assert_eq!(a.error_code(), Some("APIGW.0101".to_owned()));
                }
            } else if !allow.contains(&method.as_str()) {
                prop_assert_eq!(a.status, 405);
                let want = allow.join(", ");
                prop_assert_eq!(
                    a.headers.get("allow").and_then(|v| v.to_str().ok()),
                    Some(want.as_str())
                );
            } else {
                // Routed: never "no such API" (a missing ticket is a 404 of the service's).
                prop_assert!(
                    a.status != 405
                        && !(a.status == 404 && a.error_code().as_deref() == Some("APIGW.0101")),
                    "HTTP {} {:?}",
                    a.status,
                    a.error_code()
                );
            }
            if admin {
                // The admin API never opens a ticket (`DELETE /__emulator/tickets`
                // forgets them all).
                prop_assert!(h.ticket_count() <= before);
            } else if seen != CASES_PATH || method != "POST" {
                prop_assert_eq!(h.ticket_count(), before);
            }
            Ok(())
        })
        .unwrap();
    // Nothing was queued by accident.
    assert!(h.emu().faults().is_empty());
}

// ---------------------------------------------------------------------------------
// Not HTTP at all

/// Sends raw bytes on a fresh connection and reads what comes back (up to 30 s: the
/// emulator closes the connection well before, as it has the whole request).
fn raw_exchange(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may close early; a failed write is an answer too.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn raw_request() -> impl Strategy<Value = Vec<u8>> {
    let body = serde_json::to_string(&valid_body()).expect("serialises");
    let head = format!(
        "POST {CASES_PATH} HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\ncontent-type: application/json\r\n"
    );
    prop_oneof![
        // Anything.
        prop::collection::vec(any::<u8>(), 0..512),
        // A request line, then garbage.
        prop::collection::vec(any::<u8>(), 0..256).prop_map(|g| [
            b"POST /v2/servicerequest/cases HTTP/1.1\r\n".to_vec(),
            g
        ]
        .concat()),
        // Framing that lies or contradicts itself.
        prop::sample::select(vec![
            format!("{head}content-length: 5\r\ncontent-length: 6\r\n\r\n{body}"),
            format!(
                "{head}content-length: {}\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
                body.len()
            ),
            format!("{head}transfer-encoding: chunked\r\n\r\nzz\r\n{body}\r\n0\r\n\r\n"),
            format!("{head}transfer-encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
            format!("{head}content-length: 99999999999999999999\r\n\r\n{body}"),
            format!("{head}content-length: -1\r\n\r\n{body}"),
            format!("{head}content-length: {}\r\n\r\n{}", body.len() + 10, body),
            format!("{head}bad header line\r\n\r\n"),
            format!("{head}x-nul: a\0b\r\n\r\n"),
            format!("{head}x-long: {}\r\n\r\n", "a".repeat(100_000)),
            format!(
                "{head}content-length: {}\r\n\r\n{body}POST / HTTP/1.1\r\nhost: x\r\n\r\n",
                body.len()
            ),
            format!("POST {CASES_PATH} HTTP/9.9\r\nhost: x\r\n\r\n"),
            format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(70_000)),
            "\r\n\r\n\r\n".to_string(),
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_string(),
        ])
        .prop_map(String::into_bytes),
    ]
}

#[test]
fn raw_bytes_never_break_the_server() {
    let h = Harness::new(osm_emulator::DEFAULT_MAX_BODY_BYTES);
    let addr = h.emu().local_addr();
    let body = serde_json::to_vec(&valid_body()).expect("serialises");
    runner(96)
        .run(&raw_request(), |bytes| {
            let out = raw_exchange(addr, &bytes);
            // Either nothing (the connection was closed) or HTTP answers; never a 5xx.
            let text = String::from_utf8_lossy(&out);
            for line in text.split("\r\n").filter(|l| l.starts_with("HTTP/1.")) {
                let status: u16 = line
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| TestCaseError::fail(format!("bad status line {line:?}")))?;
                prop_assert!(status < 500, "{text}");
            }
            // Every answer carries a request id, hyper's own refusals of malformed
            // HTTP included.
            // (A pipelined answer follows the previous body directly.)
            let answers = text.matches("HTTP/1.1 ").count();
            let ids = text
                .to_ascii_lowercase()
                .matches("\r\nx-request-id: ")
                .count();
            prop_assert_eq!(answers, ids, "{}", text);
            // And the server still serves.
            let a = h.send("POST", CASES_PATH, json_headers(), body.clone());
            prop_assert_eq!(a.status, 200, "{}", a.text());
            Ok(())
        })
        .unwrap();
}
