//! Properties of the SDK-HMAC-SHA256 parser and verifier
//! (`huaweicloud_signing`), which the emulator runs on every signed request:
//!
//! - `parse_authorization`, `parse_sdk_date`, `canonical_uri` and `canonical_query`
//!   never panic, whatever the text: arbitrary strings, and strings built from the
//!   header's own pieces to get deep into the parser;
//! - `verify` never panics, whatever the headers (arbitrary valid names and values,
//!   including bytes that are not text), method, path, query, body and clock, and never
//!   accepts such a request (which stops at the date or the key);
//! - a request validly signed with the configured key and checked within the allowed
//!   clock skew, then tampered with, is refused exactly when the tampering changes what
//!   the signature covers (the method, the canonical path or query, a signed header,
//!   the body, the signature itself) or makes the `Authorization` header ambiguous, and
//!   accepted otherwise (an unsigned header, a path or query spelt differently with the
//!   same canonical form): these cases run the canonical request and the HMAC;
//! - what `sign` signs, `verify` accepts (arbitrary paths, queries, extra headers and
//!   bodies), and any change to a signed part makes `verify` refuse.
//!
//! The case count is modest for CI; `PROPTEST_CASES=10000 cargo test -p huaweicloud-signing
//! --test props` runs longer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use huaweicloud_signing::{self as signing, RequestParts, SigningKey};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use secrecy::SecretString;

const AK: &str = "AKPROP";
const SK: &str = "sk-prop-secret";

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> ProptestConfig {
    ProptestConfig {
        cases: cases(default),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn secret_for(ak: &str) -> Option<SecretString> {
    (ak == AK).then(|| SecretString::from(SK.to_owned()))
}

/// Pieces of an `Authorization` value, to reach every branch of the parser.
fn auth_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SDK-HMAC-SHA256".to_string()),
        Just("SDK-HMAC-SHA256 ".to_string()),
        Just("Access=".to_string()),
        Just("SignedHeaders=".to_string()),
        Just("Signature=".to_string()),
        Just(",".to_string()),
        Just(", ".to_string()),
        Just(";".to_string()),
        Just("=".to_string()),
        Just(" ".to_string()),
        Just("x-sdk-date".to_string()),
        Just("host".to_string()),
        "[a-zA-Z0-9_-]{0,12}",
        "[0-9a-f]{64}",
        any::<String>(),
    ]
}

fn auth_like() -> impl Strategy<Value = String> {
    prop::collection::vec(auth_piece(), 0..12).prop_map(|p| p.concat())
}

/// A header name: a valid token, often one the signer or the emulator cares about.
fn header_name() -> impl Strategy<Value = HeaderName> {
    prop_oneof![
        Just(HeaderName::from_static("authorization")),
        Just(HeaderName::from_static("x-sdk-date")),
        Just(HeaderName::from_static("x-sdk-content-sha256")),
        Just(HeaderName::from_static("x-security-token")),
        Just(HeaderName::from_static("x-auth-token")),
        Just(HeaderName::from_static("host")),
        Just(HeaderName::from_static("content-type")),
        "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,24}".prop_map(|n| {
            HeaderName::from_bytes(n.as_bytes()).expect("a token is a valid header name")
        }),
    ]
}

/// A header value: any bytes HTTP allows in a value (visible ASCII, space, tab and
/// obs-text 0x80–0xFF), so sometimes not valid text.
fn header_value() -> impl Strategy<Value = HeaderValue> {
    prop_oneof![
        auth_like().prop_filter_map("not a header value", |s| HeaderValue::from_str(&s).ok()),
        "[0-9]{8}T[0-9]{6}Z".prop_map(|s| HeaderValue::from_str(&s).expect("ASCII")),
        prop::collection::vec(prop_oneof![0x20u8..0x7f, Just(b'\t'), 0x80u8..=0xff], 0..64)
            .prop_map(|b| HeaderValue::from_bytes(&b).expect("allowed bytes")),
    ]
}

fn header_map() -> impl Strategy<Value = HeaderMap> {
    prop::collection::vec((header_name(), header_value()), 0..10).prop_map(|pairs| {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(n, v);
        }
        h
    })
}

fn any_time() -> impl Strategy<Value = SystemTime> {
    prop_oneof![
        Just(SystemTime::now()),
        (0u64..=253_402_300_799).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
    ]
}

/// A path as it appears on the wire: segments of URL characters and `%XX` escapes,
/// including invalid escapes and encoded separators.
fn wire_path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        "([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2}|%|%2[fF]){0,8}",
        0..6,
    )
    .prop_map(|segs| format!("/{}", segs.join("/")))
}

/// A query string: pairs of URL characters and escapes, `+`, empty keys and values.
fn wire_query() -> impl Strategy<Value = Option<String>> {
    prop::option::of("([A-Za-z0-9._~!$'()*+,;:@/?-]|%[0-9A-Fa-f]{2}|%|=|&){0,40}")
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn parse_authorization_never_panics(text in any::<String>()) {
        let _ = signing::parse_authorization(&text);
    }

    #[test]
    fn parse_authorization_never_panics_on_lookalikes(text in auth_like()) {
        if let Ok(auth) = signing::parse_authorization(&text) {
            // Whatever it accepts has every part.
            prop_assert!(!auth.access_key.is_empty());
            prop_assert!(!auth.signature.is_empty());
            prop_assert!(!auth.signed_headers.is_empty());
            prop_assert!(auth.signed_headers.iter().all(|h| !h.is_empty()));
        }
    }

    #[test]
    fn dates_and_canonical_parts_never_panic(
        text in any::<String>(),
        date in "[0-9T Z+-]{0,20}",
        path in wire_path(),
        query in wire_query(),
    ) {
        let _ = signing::parse_sdk_date(&text);
        if let Some(t) = signing::parse_sdk_date(&date) {
            // What parses formats back to the same text.
            prop_assert_eq!(signing::format_sdk_date(t), date);
        }
        let uri = signing::canonical_uri(&path);
        prop_assert!(uri.ends_with('/'));
        let _ = signing::canonical_uri(&text);
        let _ = signing::canonical_query(query.as_deref());
        let _ = signing::canonical_query(Some(&text));
    }

    #[test]
    fn verify_never_panics_on_arbitrary_requests(
        method in prop_oneof![Just("POST".to_string()), "[A-Z]{0,8}"],
        path in wire_path(),
        query in wire_query(),
        headers in header_map(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        now in any_time(),
    ) {
        let parts = RequestParts {
            method: &method,
            path: &path,
            query: query.as_deref(),
            headers: &headers,
            body: &body,
        };
        // Random headers essentially never carry a valid signature (an HMAC under SK);
        // this mostly stops before the HMAC (see the tampering property for that).
        prop_assert!(signing::verify(&parts, secret_for, now).is_err());
    }
}

/// A change to a validly signed request.
#[derive(Debug, Clone)]
enum Tamper {
    /// One hex digit of the signature changes.
    SignatureDigit(prop::sample::Index, u8),
    /// Another method (possibly the same in another case).
    Method(String),
    /// Another path as it appears on the wire.
    Path(String),
    /// Another query string.
    Query(Option<String>),
    /// A header the request has (not `Authorization` or `X-Sdk-Date`) gets this value.
    HeaderValue(prop::sample::Index, String),
    /// A second value for a header the request has.
    HeaderRepeat(prop::sample::Index, String),
    /// A header the request does not have.
    NewHeader(HeaderName, String),
    /// One byte of the body changes.
    BodyByte(prop::sample::Index, u8),
    /// Bytes appended to the body.
    BodyAppend(Vec<u8>),
    /// A part appended to the `Authorization` header after a comma.
    AuthorizationPart(String),
    /// The clock moves by this many seconds.
    Clock(i64),
}

fn tamper() -> impl Strategy<Value = Tamper> {
    let skew = signing::MAX_CLOCK_SKEW.as_secs() as i64;
    prop_oneof![
        (any::<prop::sample::Index>(), 1u8..16).prop_map(|(i, d)| Tamper::SignatureDigit(i, d)),
        prop_oneof![
            prop::sample::select(vec!["GET", "PUT", "DELETE", "PATCH", "post", "Post"])
                .prop_map(str::to_owned),
            "[A-Za-z]{1,8}",
        ]
        .prop_map(Tamper::Method),
        wire_path().prop_map(Tamper::Path),
        wire_query().prop_map(Tamper::Query),
        (any::<prop::sample::Index>(), "[!-~]{0,20}").prop_map(|(i, v)| Tamper::HeaderValue(i, v)),
        (any::<prop::sample::Index>(), "[!-~]{0,20}").prop_map(|(i, v)| Tamper::HeaderRepeat(i, v)),
        (
            "x-[a-z0-9_-]{1,12}".prop_map(|n| HeaderName::from_bytes(n.as_bytes()).expect("token")),
            "[ -~]{0,20}"
        )
            .prop_map(|(n, v)| Tamper::NewHeader(n, v)),
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, x)| Tamper::BodyByte(i, x)),
        prop::collection::vec(any::<u8>(), 1..16).prop_map(Tamper::BodyAppend),
        auth_like().prop_map(Tamper::AuthorizationPart),
        prop_oneof![
            (-skew + 1..skew).prop_map(Tamper::Clock),
            (skew + 1..skew * 100).prop_map(Tamper::Clock),
            (skew + 1..skew * 100).prop_map(|s| Tamper::Clock(-s)),
        ],
    ]
}

/// What `verify` must say of a tampered request.
#[derive(Debug, PartialEq)]
enum Expect {
    Accepted,
    /// Refused by the HMAC comparison.
    NoMatch,
    /// Refused, for a reason containing this text.
    Refused(&'static str),
}

/// The canonical query the way the canonical request writes it.
fn canonical_query_of(query: Option<&str>) -> String {
    if query.is_some_and(|q| !q.is_empty()) {
        signing::canonical_query(query)
    } else {
        String::new()
    }
}

fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().map(str::trim))
        .collect::<Result<_, _>>()
        .ok()?;
    (!values.is_empty()).then(|| values.join(","))
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn a_tampered_signed_request_is_refused_exactly_when_it_should_be(
        method in prop_oneof![Just("POST".to_string()), "[A-Z]{1,8}"],
        path in wire_path(),
        query in wire_query(),
        extra in extra_headers(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        signed_at in (0u64..=253_402_300_000).prop_map(|s| UNIX_EPOCH + Duration::from_secs(s)),
        tamper in tamper(),
    ) {
        let mut url = url::Url::parse("http://127.0.0.1:8086").expect("URL");
        url.set_path(&path);
        url.set_query(query.as_deref());
        let headers = signed(&method, &url, &extra, &body, None, signed_at);
        let (path, query) = (url.path().to_owned(), url.query().map(str::to_owned));
        let check = |method: &str, path: &str, query: Option<&str>, headers: &HeaderMap, body: &[u8], now| {
            let parts = RequestParts { method, path, query, headers, body };
            signing::verify(&parts, secret_for, now)
        };
        // Untouched, it passes the date and key checks and the HMAC.
        prop_assert_eq!(
            check(&method, &path, query.as_deref(), &headers, &body, signed_at),
            Ok(AK.to_owned())
        );

        let (mut t_method, mut t_path, mut t_query) = (method.clone(), path.clone(), query.clone());
        let (mut t_headers, mut t_body, mut now) = (headers.clone(), body.clone(), signed_at);
        let auth = signing::parse_authorization(
            headers[http::header::AUTHORIZATION].to_str().expect("text"),
        )
        .expect("sign writes a valid header");
        let is_signed = |n: &HeaderName| auth.signed_headers.iter().any(|s| s == n.as_str());
        let names: Vec<HeaderName> = headers
            .keys()
            .filter(|n| *n != http::header::AUTHORIZATION && n.as_str() != signing::HEADER_DATE)
            .cloned()
            .collect();
        let expect = match tamper {
            Tamper::SignatureDigit(i, d) => {
                let mut sig = auth.signature.clone().into_bytes();
                let i = i.index(sig.len());
                let digit = (sig[i] as char).to_digit(16).expect("hex") as u8;
                sig[i] = b"0123456789abcdef"[((digit + d) % 16) as usize];
                let value = signing::authorization(AK, &auth.signed_headers, std::str::from_utf8(&sig).expect("hex"));
                t_headers.insert(http::header::AUTHORIZATION, HeaderValue::from_str(&value).expect("ASCII"));
                Expect::NoMatch
            }
            Tamper::Method(m) => {
                let same = m.eq_ignore_ascii_case(&method);
                t_method = m;
                if same { Expect::Accepted } else { Expect::NoMatch }
            }
            Tamper::Path(p) => {
                let mut u = url.clone();
                u.set_path(&p);
                t_path = u.path().to_owned();
                if signing::canonical_uri(&t_path) == signing::canonical_uri(&path) {
                    Expect::Accepted
                } else {
                    Expect::NoMatch
                }
            }
            Tamper::Query(q) => {
                let mut u = url.clone();
                u.set_query(q.as_deref());
                t_query = u.query().map(str::to_owned);
                if canonical_query_of(t_query.as_deref()) == canonical_query_of(query.as_deref()) {
                    Expect::Accepted
                } else {
                    Expect::NoMatch
                }
            }
            Tamper::HeaderValue(i, v) => {
                let name = names[i.index(names.len())].clone();
                let before = joined(&headers, &name);
                t_headers.insert(name.clone(), HeaderValue::from_str(&v).expect("visible ASCII"));
                if !is_signed(&name) || before.as_deref() == Some(v.as_str()) {
                    Expect::Accepted
                } else {
                    Expect::NoMatch
                }
            }
            Tamper::HeaderRepeat(i, v) => {
                let name = names[i.index(names.len())].clone();
                t_headers.append(name.clone(), HeaderValue::from_str(&v).expect("visible ASCII"));
                if is_signed(&name) { Expect::NoMatch } else { Expect::Accepted }
            }
            Tamper::NewHeader(name, v) => {
                prop_assume!(!headers.contains_key(&name));
                t_headers.insert(name, HeaderValue::from_str(&v).expect("visible ASCII"));
                Expect::Accepted
            }
            Tamper::BodyByte(i, x) => {
                prop_assume!(!body.is_empty());
                let i = i.index(t_body.len());
                t_body[i] ^= x;
                Expect::NoMatch
            }
            Tamper::BodyAppend(more) => {
                t_body.extend(more);
                Expect::NoMatch
            }
            Tamper::AuthorizationPart(part) => {
                let value = format!("{}, {part}", headers[http::header::AUTHORIZATION].to_str().expect("text"));
                let Ok(value) = HeaderValue::from_str(&value) else {
                    return Err(TestCaseError::reject("not a header value"));
                };
                t_headers.insert(http::header::AUTHORIZATION, value);
                Expect::Refused("Authorization header")
            }
            Tamper::Clock(secs) => {
                now = if secs >= 0 {
                    signed_at + Duration::from_secs(secs as u64)
                } else {
                    match signed_at.checked_sub(Duration::from_secs(secs.unsigned_abs())) {
                        Some(t) => t,
                        None => return Err(TestCaseError::reject("before the epoch")),
                    }
                };
                if secs.unsigned_abs() <= signing::MAX_CLOCK_SKEW.as_secs() {
                    Expect::Accepted
                } else {
                    Expect::Refused("away from the gateway's clock")
                }
            }
        };
        let got = check(&t_method, &t_path, t_query.as_deref(), &t_headers, &t_body, now);
        match (&expect, &got) {
            (Expect::Accepted, Ok(ak)) => prop_assert_eq!(ak, AK),
            (Expect::NoMatch, Err(e)) => prop_assert_eq!(&e.message, "the signature does not match"),
            (Expect::Refused(why), Err(e)) => prop_assert!(e.message.contains(why), "{}", e),
            _ => prop_assert!(false, "expected {:?}, got {:?}", expect, got),
        }
    }
}

/// Signs a request the way the client's hook does.
fn signed(
    method: &str,
    url: &url::Url,
    extra: &[(HeaderName, HeaderValue)],
    body: &[u8],
    security_token: Option<&SecretString>,
    now: SystemTime,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (n, v) in extra {
        headers.append(n.clone(), v.clone());
    }
    let sk = SecretString::from(SK.to_owned());
    let key = SigningKey {
        access_key: AK,
        secret_key: &sk,
        security_token,
        domain_id: Some("domain-1"),
    };
    signing::sign(&key, method, url, &mut headers, body, now).expect("visible ASCII signs");
    headers
}

/// Extra headers a caller might add: text values only (the signer needs text), never
/// one the signer sets itself.
fn extra_headers() -> impl Strategy<Value = Vec<(HeaderName, HeaderValue)>> {
    prop::collection::vec(
        (
            "x-[a-z0-9_-]{1,12}"
                .prop_filter("not a header the signer sets", |n| {
                    ![
                        signing::HEADER_DATE,
                        signing::HEADER_SECURITY_TOKEN,
                        signing::HEADER_DOMAIN_ID,
                    ]
                    .contains(&n.as_str())
                })
                .prop_map(|n| HeaderName::from_bytes(n.as_bytes()).expect("token")),
            "[ -~]{0,40}".prop_map(|v| HeaderValue::from_str(&v).expect("visible ASCII")),
        ),
        0..5,
    )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn what_sign_signs_verify_accepts(
        path in wire_path(),
        query in wire_query(),
        extra in extra_headers(),
        body in prop::collection::vec(any::<u8>(), 0..256),
        temporary in any::<bool>(),
    ) {
        let mut url = url::Url::parse("http://127.0.0.1:8086").expect("URL");
        url.set_path(&path);
        url.set_query(query.as_deref());
        let now = SystemTime::now();
        let token = SecretString::from("security-token".to_owned());
        let headers = signed("POST", &url, &extra, &body, temporary.then_some(&token), now);
        let parts = RequestParts {
            method: "POST",
            path: url.path(),
            query: url.query(),
            headers: &headers,
            body: &body,
        };
        prop_assert_eq!(signing::verify(&parts, secret_for, now), Ok(AK.to_owned()));
        // Within the allowed skew, either way.
        let later = now + signing::MAX_CLOCK_SKEW - Duration::from_secs(1);
        prop_assert!(signing::verify(&parts, secret_for, later).is_ok());
        // Beyond it, refused.
        let much_later = now + signing::MAX_CLOCK_SKEW + Duration::from_secs(2);
        prop_assert!(signing::verify(&parts, secret_for, much_later).is_err());
        // Another method, or another key, is refused.
        let other = RequestParts { method: "PUT", ..parts };
        prop_assert!(signing::verify(&other, secret_for, now).is_err());
        let wrong_key = |ak: &str| (ak == AK).then(|| SecretString::from("other".to_owned()));
        prop_assert!(signing::verify(&parts, wrong_key, now).is_err());
    }

    #[test]
    fn a_changed_body_or_signed_header_is_refused(
        body in prop::collection::vec(any::<u8>(), 1..256),
        flip in any::<prop::sample::Index>(),
        extra in extra_headers(),
        which in any::<prop::sample::Index>(),
        value in "[!-~]{1,20}",
    ) {
        let url = url::Url::parse("http://127.0.0.1:8086/v2/servicerequest/cases").expect("URL");
        let now = SystemTime::now();
        let headers = signed("POST", &url, &extra, &body, None, now);
        let parts = |headers, body| RequestParts {
            method: "POST",
            path: url.path(),
            query: url.query(),
            headers,
            body,
        };
        prop_assert!(signing::verify(&parts(&headers, &body), secret_for, now).is_ok());

        let mut changed = body.clone();
        let i = flip.index(changed.len());
        changed[i] ^= 0x01;
        prop_assert!(signing::verify(&parts(&headers, &changed), secret_for, now).is_err());

        // Change one signed header (not the Authorization header itself) to a value that
        // differs after trimming.
        let names: Vec<HeaderName> = headers
            .keys()
            .filter(|n| *n != http::header::AUTHORIZATION && !n.as_str().contains('_'))
            .cloned()
            .collect();
        let name = names[which.index(names.len())].clone();
        let old = headers.get_all(&name).iter().map(|v| v.to_str().unwrap_or("").trim().to_owned()).collect::<Vec<_>>().join(",");
        prop_assume!(old != value);
        let mut tampered = headers.clone();
        tampered.insert(name, HeaderValue::from_str(&value).expect("visible ASCII"));
        prop_assert!(signing::verify(&parts(&tampered, &body), secret_for, now).is_err());
    }
}
