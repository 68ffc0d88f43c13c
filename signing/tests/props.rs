//! Properties of the SDK-HMAC-SHA256 parser and verifier
//! (`huaweicloud_signing`), which the emulator runs on every signed request:
//!
//! - `parse_authorization`, `parse_sdk_date`, `canonical_uri` and `canonical_query`
//!   never panic, whatever the text: arbitrary strings, and strings built from the
//!   header's own pieces to get deep into the parser;
//! - `verify` never panics, whatever the headers (arbitrary valid names and values,
//!   including bytes that are not text), method, path, query, body and clock, and never
//!   accepts a request that was not signed with the key;
//! - what `sign` signs, `verify` accepts (arbitrary paths, queries, extra headers and
//!   bodies), and any change to a signed part makes `verify` refuse.
//!
//! The case count is modest for CI; `PROPTEST_CASES=10000 cargo test -p huaweicloud-signing
//! --test props` runs longer.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use huaweicloud_signing::{self as signing, RequestParts, SigningKey};
use proptest::prelude::*;
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
    fn verify_never_panics_and_never_accepts_garbage(
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
        // Random headers essentially never carry a valid signature (an HMAC under SK).
        prop_assert!(signing::verify(&parts, secret_for, now).is_err());
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
            "x-[a-z0-9_-]{1,12}".prop_map(|n| HeaderName::from_bytes(n.as_bytes()).expect("token")),
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
