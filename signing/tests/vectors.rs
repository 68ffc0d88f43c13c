//! Tests of SDK-HMAC-SHA256, the AK/SK request signing in `src/signing.rs`, after the
//! fashion of aws-sigv4's suite:
//!
//! - every golden vector of `tests/data/signing/vectors.json` (made by the vendor's own
//!   Python signer, see the README next to it) is checked step by step, then through
//!   [`signing::sign`] and [`signing::verify`];
//! - a request recorded from the vendor's Python SDK is accepted by our verifier;
//! - sign-then-verify round trips, and tampering with any signed part is refused;
//! - clock skew, malformed `Authorization` headers, date formatting;
//! - credential redaction and the environment resolution order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{HeaderMap, HeaderName, HeaderValue};
use huaweicloud_signing::{self as signing, RequestParts, SigningKey, VerifyError};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

// ---------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------

/// SHA-256 of the empty string, the payload hash of every empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn header_name(name: &str) -> HeaderName {
    HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|e| panic!("header name {name:?}: {e}"))
}

fn header_value(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|e| panic!("header value {value:?}: {e}"))
}

/// A header map from name/value pairs, repeated names kept.
fn header_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(header_name(name), header_value(value));
    }
    map
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap_or_else(|_| panic!("{name} is not text"))
}

fn date(s: &str) -> SystemTime {
    signing::parse_sdk_date(s).unwrap_or_else(|| panic!("{s:?} is not an X-Sdk-Date"))
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

// ---------------------------------------------------------------------------------------
// 1. Golden vectors from the vendor's Python signer
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Vectors {
    generator: Generator,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Generator {
    script: String,
    sdk_versions: BTreeMap<String, String>,
    sdk_date: String,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    via: String,
    method: String,
    /// Built by the script's `build_url` for reading, not by the SDK (see `url_out`).
    url: String,
    path: String,
    /// Raw, unencoded `(key, value)` pairs as `SdkRequest.query_params` takes them.
    query: Vec<(String, Value)>,
    headers_in: BTreeMap<String, String>,
    body: String,
    ak: String,
    sk: String,
    security_token: Option<String>,
    domain_id: Option<String>,
    sdk_date: String,
    canonical_uri: String,
    canonical_query_string: String,
    canonical_headers: String,
    payload_hash: String,
    canonical_request: String,
    string_to_sign: String,
    signed_headers: Vec<String>,
    signature: String,
    authorization: String,
    headers_out: BTreeMap<String, String>,
    /// The URL the SDK hands to `requests`.
    url_out: String,
    /// What `requests` puts on the wire for `url_out`.
    url_wire: String,
}

static VECTORS: LazyLock<Vectors> = LazyLock::new(|| {
    serde_json::from_str(include_str!("data/vectors.json")).expect("tests/data/vectors.json parses")
});

fn case(name: &str) -> &'static Case {
    VECTORS
        .cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no vector named {name}"))
}

/// A query value as the vendor's signer renders it: a string as it is, a boolean as
/// `true`/`false`, a list as one pair per item.
fn query_items(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Bool(b) => vec![b.to_string()],
        Value::Number(n) => vec![n.to_string()],
        Value::Array(items) => items.iter().flat_map(query_items).collect(),
        other => panic!("unexpected query value {other}"),
    }
}

/// The URL our client sends for a vector: the vector's scheme, host and path, and its
/// raw query pairs in the vector's order, form-encoded as `reqwest`'s `query()` does.
fn client_url(case: &Case) -> Url {
    let mut url = Url::parse(&case.url).expect("vector url parses");
    url.set_query(None);
    if !case.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (key, value) in &case.query {
            for item in query_items(value) {
                pairs.append_pair(key, &item);
            }
        }
    }
    url
}

/// The headers the vendor's signer saw: `headers_in`, plus what the SDK added before it
/// signed (everything in `headers_out` but `Authorization`: `Host`, and `X-Domain-Id`,
/// `X-Security-Token`, `X-Sdk-Content-Sha256` where it added them). Values of
/// `headers_in` are kept as given, untrimmed.
fn headers_at_signing(case: &Case) -> HeaderMap {
    let mut headers = header_map(
        case.headers_in
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    for (name, value) in &case.headers_out {
        if !name.eq_ignore_ascii_case("authorization") && !headers.contains_key(name.as_str()) {
            headers.insert(header_name(name), header_value(value));
        }
    }
    headers
}

/// The canonical-headers block and the payload hash of a canonical request
/// (`METHOD\nURI\nQUERY\n<headers, each ending in \n>\nSIGNED\nHASH`).
fn split_canonical(canonical: &str) -> (&str, &str) {
    let rest = canonical
        .splitn(4, '\n')
        .nth(3)
        .expect("four lines at least");
    let mut tail = rest.rsplitn(3, '\n');
    let hash = tail.next().expect("payload hash");
    let _signed = tail.next().expect("signed headers");
    (tail.next().expect("canonical headers"), hash)
}

/// Lower-cased header names to values.
fn header_table(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = v.to_str().expect("text header");
            (k.as_str().to_owned(), v.to_owned())
        })
        .collect()
}

fn check_vector(name: &str) {
    let case = case(name);
    let step = |what: &str| format!("vector {name}, step {what}");
    let body = case.body.as_bytes();
    assert_eq!(
        case.sdk_date,
        VECTORS.generator.sdk_date,
        "{}",
        step("fixed date")
    );

    // Canonical URI, from the raw `path` and from the path our URL carries (the raw path
    // with its space percent-encoded by the URL parser).
    let url = client_url(case);
    assert_eq!(
        signing::canonical_uri(&case.path),
        case.canonical_uri,
        "{}",
        step("canonical URI (raw path)")
    );
    assert_eq!(
        signing::canonical_uri(url.path()),
        case.canonical_uri,
        "{}",
        step("canonical URI (URL path)")
    );

    // Canonical query. Our client sends the pairs in the caller's order, form-encoded
    // (`x+y`, `%7E`); the SDK instead sends its canonical query string itself (`url_out`).
    // The gateway canonicalises what arrives, so both must give the vector's string.
    assert_eq!(
        signing::canonical_query(url.query()),
        case.canonical_query_string,
        "{}",
        step("canonical query (our URL)")
    );
    let sdk_url = Url::parse(&case.url_out).expect("url_out parses");
    assert_eq!(
        signing::canonical_query(sdk_url.query()),
        case.canonical_query_string,
        "{}",
        step("canonical query (the SDK's URL)")
    );
    let wire_url = Url::parse(&case.url_wire).expect("url_wire parses");
    assert_eq!(
        signing::canonical_query(wire_url.query()),
        case.canonical_query_string,
        "{}",
        step("canonical query (the SDK's wire URL)")
    );
    // The `url` field was written by the script's `build_url` with Python's `%s`, which
    // spells a boolean `True`; the signer itself renders `true`. Apart from that the
    // unencoded query in `url` canonicalises to the vector's string.
    let mut expected_from_url = case.canonical_query_string.clone();
    for (key, value) in &case.query {
        if let Value::Bool(b) = value {
            let python = if *b { "True" } else { "False" };
            expected_from_url =
                expected_from_url.replace(&format!("{key}={b}"), &format!("{key}={python}"));
        }
    }
    let script_url = Url::parse(&case.url).expect("url parses");
    assert_eq!(
        signing::canonical_query(script_url.query()),
        expected_from_url,
        "{}",
        step("canonical query (the script's url field)")
    );

    // Signed headers, over the headers present when the vendor's signer ran.
    let headers = headers_at_signing(case);
    assert_eq!(
        signing::signed_headers(&headers),
        case.signed_headers,
        "{}",
        step("signed headers")
    );

    // Canonical request, with its canonical-headers block and payload hash.
    let parts = RequestParts {
        method: &case.method,
        path: url.path(),
        query: url.query(),
        headers: &headers,
        body,
    };
    let canonical = signing::canonical_request(&parts, &case.signed_headers)
        .unwrap_or_else(|| panic!("{}", step("canonical request (a header is missing)")));
    let (canonical_headers, payload_hash) = split_canonical(&canonical);
    assert_eq!(
        canonical_headers,
        case.canonical_headers,
        "{}",
        step("canonical headers")
    );
    assert_eq!(payload_hash, case.payload_hash, "{}", step("payload hash"));
    assert_eq!(
        canonical,
        case.canonical_request,
        "{}",
        step("canonical request")
    );

    // String to sign, signature, Authorization.
    assert_eq!(
        signing::string_to_sign(&case.sdk_date, &case.canonical_request),
        case.string_to_sign,
        "{}",
        step("string to sign")
    );
    assert_eq!(
        signing::signature(&case.sk, &case.string_to_sign),
        case.signature,
        "{}",
        step("signature")
    );
    assert_eq!(
        signing::authorization(&case.ak, &case.signed_headers, &case.signature),
        case.authorization,
        "{}",
        step("Authorization")
    );
    let parsed = signing::parse_authorization(&case.authorization)
        .unwrap_or_else(|e| panic!("{}: {e}", step("parse Authorization")));
    assert_eq!(
        (
            parsed.access_key.as_str(),
            &parsed.signed_headers,
            parsed.signature.as_str()
        ),
        (
            case.ak.as_str(),
            &case.signed_headers,
            case.signature.as_str()
        ),
        "{}",
        step("parse Authorization")
    );

    // The whole pipeline: `sign` on the headers the SDK had before its signer (and, for
    // the `credentials` cases, before `GlobalCredentials.sign_request`) ran, with the
    // vector's X-Sdk-Date preset and a clock an hour off to show the preset wins.
    let st = case.security_token.as_deref().map(secret);
    let sk = secret(&case.sk);
    let key = SigningKey {
        access_key: &case.ak,
        secret_key: &sk,
        security_token: st.as_ref(),
        domain_id: case.domain_id.as_deref(),
    };
    assert_eq!(
        case.via == "credentials",
        key.security_token.is_some() || key.domain_id.is_some(),
        "{}",
        step("credentials case carries a token or domain id")
    );
    let mut sent = header_map(
        case.headers_in
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let clock = date(&case.sdk_date) + Duration::from_secs(3600);
    signing::sign(&key, &case.method, &url, &mut sent, body, clock)
        .unwrap_or_else(|e| panic!("{}: {e}", step("sign")));
    assert_eq!(
        header_str(&sent, "authorization"),
        case.authorization,
        "{}",
        step("sign: Authorization")
    );
    // The header set equals `headers_out`. The SDK also replaces each value it sends by
    // the stripped one; we send values as given. Only surrounding whitespace may differ,
    // which HTTP parsers drop anyway (RFC 9110 5.5) and the canonical form trims.
    let ours = header_table(&sent);
    let theirs: BTreeMap<String, String> = case
        .headers_out
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{}",
        step("sign: header names")
    );
    for (k, v) in &ours {
        assert_eq!(
            v.trim(),
            theirs[k],
            "{}",
            step(&format!("sign: header {k}"))
        );
    }
    // What goes on the wire: without a query our URL is the SDK's, byte for byte (both
    // percent-encode the space of `path_needs_encoding` and keep `:` and `@`).
    if case.query.is_empty() {
        assert_eq!(url.as_str(), case.url_wire, "{}", step("URL on the wire"));
    }

    // Our verifier accepts both the SDK's request (as `requests` sends it) and ours.
    let sdk_headers = header_map(
        case.headers_out
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let sdk_request = RequestParts {
        method: &case.method,
        path: wire_url.path(),
        query: wire_url.query(),
        headers: &sdk_headers,
        body,
    };
    let keys = |ak: &str| (ak == case.ak).then(|| secret(&case.sk));
    assert_eq!(
        signing::verify(&sdk_request, keys, date(&case.sdk_date)),
        Ok(case.ak.clone()),
        "{}",
        step("verify the SDK's request")
    );
    let our_request = RequestParts {
        method: &case.method,
        path: url.path(),
        query: url.query(),
        headers: &sent,
        body,
    };
    assert_eq!(
        signing::verify(&our_request, keys, date(&case.sdk_date)),
        Ok(case.ak.clone()),
        "{}",
        step("verify our request")
    );
}

/// One test per vector; `every_vector_has_a_test` makes sure none is left out.
macro_rules! vector_tests {
    ($($name:ident),* $(,)?) => {
        mod vector {
            $(
                #[test]
                fn $name() {
                    super::check_vector(stringify!($name));
                }
            )*
        }
        const VECTOR_TESTS: &[&str] = &[$(stringify!($name)),*];
    };
}

vector_tests!(
    post_json_body,
    get_query_encoding_repeated_keys,
    query_sort_raw_vs_encoded,
    path_needs_encoding,
    empty_body_get,
    header_surrounding_spaces,
    header_with_underscore_unsigned,
    non_json_content_type_unsigned_payload,
    temporary_credentials,
    domain_id_header,
);

#[test]
fn every_vector_has_a_test() {
    let in_file: BTreeSet<&str> = VECTORS.cases.iter().map(|c| c.name.as_str()).collect();
    let tested: BTreeSet<&str> = VECTOR_TESTS.iter().copied().collect();
    assert_eq!(in_file, tested, "vectors.json and vector_tests! disagree");
    assert_eq!(in_file.len(), VECTORS.cases.len(), "duplicate vector names");
}

/// The text after `NAME = ` on the line of the script that assigns `NAME`.
fn assignment<'a>(script: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name} = ");
    script
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("the generator assigns no {name}"))
}

/// Checks the vectors against the script that made them (`generator.script`, in the
/// repository): its pinned SDK versions, its fixed date, its keys, its output path and
/// its list of cases. Regenerating with another SDK, or changing the script without
/// regenerating, fails here.
#[test]
fn vectors_come_from_the_pinned_sdk() {
    let g = &VECTORS.generator;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(&g.script);
    let script = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the generator {} that vectors.json names must be in the repository: {e}",
            g.script
        )
    });

    // The versions the script pins (and refuses to run without) made the vectors, and
    // its install instructions name the same ones.
    let pinned: BTreeMap<String, String> =
        serde_json::from_str(assignment(&script, "PINNED_SDK_VERSIONS"))
            .expect("PINNED_SDK_VERSIONS is a JSON object of strings");
    assert_eq!(g.sdk_versions, pinned);
    for (package, version) in &pinned {
        assert!(
            script.contains(&format!("{package}=={version}")),
            "the install line pins {package}=={version}"
        );
    }

    // Its fixed date and keys are the vectors'.
    let sdk_date: String = serde_json::from_str(assignment(&script, "SDK_DATE")).unwrap();
    assert_eq!(g.sdk_date, sdk_date);
    let ak: String = serde_json::from_str(assignment(&script, "AK")).unwrap();
    let sk: String = serde_json::from_str(assignment(&script, "SK")).unwrap();
    for case in &VECTORS.cases {
        assert_eq!(case.sdk_date, sdk_date, "{}", case.name);
        assert_eq!((&case.ak, &case.sk), (&ak, &sk), "{}", case.name);
    }

    // It writes the file these tests read.
    assert!(
        assignment(&script, "OUT_PATH")
            .contains(r#"os.pardir, "signing", "tests", "data", "vectors.json""#),
        "OUT_PATH: {}",
        assignment(&script, "OUT_PATH")
    );

    // Its cases are the file's, no more, no fewer.
    let in_script: BTreeSet<&str> = script
        .split("run_case(")
        .skip(2) // the text before the first call, and the definition
        .filter_map(|call| call.split('"').nth(1))
        .collect();
    let in_file: BTreeSet<&str> = VECTORS.cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(in_script, in_file);
}

/// `header_surrounding_spaces`: the signature covers the trimmed value, so the padded
/// value we send and the stripped value the SDK sends verify alike.
#[test]
fn vector_padded_header_is_sent_as_given_and_signed_trimmed() {
    let case = case("header_surrounding_spaces");
    let url = client_url(case);
    let sk = secret(&case.sk);
    let key = SigningKey {
        access_key: &case.ak,
        secret_key: &sk,
        security_token: None,
        domain_id: None,
    };
    let mut sent = header_map(
        case.headers_in
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    signing::sign(
        &key,
        &case.method,
        &url,
        &mut sent,
        b"",
        date(&case.sdk_date),
    )
    .unwrap();
    assert_eq!(header_str(&sent, "x-custom"), "  padded   value  ");
    assert_eq!(case.headers_out["X-Custom"], "padded   value");
    assert!(
        case.canonical_headers
            .contains("\nx-custom:padded   value\n")
    );
    assert_eq!(header_str(&sent, "authorization"), case.authorization);
}

/// `get_query_encoding_repeated_keys` and `query_sort_raw_vs_encoded`: the SDK rewrites
/// the query it sends into canonical order and encoding; we send it as built. Different
/// strings, one canonical form, one signature.
#[test]
fn vector_queries_differ_on_the_wire_but_not_canonically() {
    for name in [
        "get_query_encoding_repeated_keys",
        "query_sort_raw_vs_encoded",
    ] {
        let case = case(name);
        let ours = client_url(case);
        let sdk = Url::parse(&case.url_out).unwrap();
        assert_ne!(ours.query(), sdk.query(), "{name}");
        assert_eq!(
            sdk.query(),
            Some(case.canonical_query_string.as_str()),
            "{name}"
        );
        assert_eq!(
            signing::canonical_query(ours.query()),
            signing::canonical_query(sdk.query()),
            "{name}"
        );
    }
}

/// `non_json_content_type_unsigned_payload`: like the vendor's signer, `sign` declares a
/// non-JSON body unsigned, and the declaration replaces the body in the signature.
#[test]
fn vector_non_json_body_is_declared_unsigned() {
    let case = case("non_json_content_type_unsigned_payload");
    assert!(!case.headers_in.contains_key("X-Sdk-Content-Sha256"));
    assert_eq!(case.headers_out["X-Sdk-Content-Sha256"], "UNSIGNED-PAYLOAD");
    assert_eq!(case.payload_hash, signing::UNSIGNED_PAYLOAD);
    let sk = secret(&case.sk);
    let key = SigningKey {
        access_key: &case.ak,
        secret_key: &sk,
        security_token: None,
        domain_id: None,
    };
    let url = client_url(case);
    let mut sent = header_map(
        case.headers_in
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    signing::sign(
        &key,
        "POST",
        &url,
        &mut sent,
        b"hello",
        date(&case.sdk_date),
    )
    .unwrap();
    assert_eq!(
        header_str(&sent, "x-sdk-content-sha256"),
        "UNSIGNED-PAYLOAD"
    );
    // By design an unsigned payload can change without breaking the signature.
    let parts = RequestParts {
        method: "POST",
        path: url.path(),
        query: url.query(),
        headers: &sent,
        body: b"goodbye",
    };
    let keys = |ak: &str| (ak == case.ak).then(|| secret(&case.sk));
    assert_eq!(
        signing::verify(&parts, keys, date(&case.sdk_date)),
        Ok(case.ak.clone())
    );
}

/// Rules from the vectors' `generator.notes` that no case exercises.
#[test]
fn vendor_rules_from_the_notes() {
    // "Because the path is unquoted first, an encoded %2F inside a segment becomes a
    // separator."
    assert_eq!(signing::canonical_uri("/v2/a%2Fb"), "/v2/a/b/");
    assert_eq!(signing::canonical_uri("/v2/a%2fb/"), "/v2/a/b/");
    assert_eq!(signing::canonical_uri("/v2/%7Eme%20x"), "/v2/~me%20x/");
    assert_eq!(signing::canonical_uri("/"), "/");
    assert_eq!(signing::canonical_uri("/caf%C3%A9"), "/caf%C3%A9/");

    // "Payload hash: empty/None body -> sha256('') constant; else if an
    // X-Sdk-Content-Sha256 header is present its value is used; else hex(sha256(body))."
    let with_header = |value: &str, body: &'static [u8]| {
        let headers = header_map([
            ("host", "h"),
            ("x-sdk-date", "20261128T083000Z"),
            ("x-sdk-content-sha256", value),
        ]);
        let parts = RequestParts {
            method: "PUT",
            path: "/",
            query: None,
            headers: &headers,
            body,
        };
        let signed = signing::signed_headers(&headers);
        let canonical = signing::canonical_request(&parts, &signed).unwrap();
        split_canonical(&canonical).1.to_owned()
    };
    assert_eq!(with_header("UNSIGNED-PAYLOAD", b""), EMPTY_SHA256);
    assert_eq!(with_header("UNSIGNED-PAYLOAD", b"x"), "UNSIGNED-PAYLOAD");
    let digest = signing::hex_sha256(b"x");
    assert_eq!(with_header(&digest, b"x"), digest);
    assert_eq!(with_header(" UNSIGNED-PAYLOAD ", b"x"), "UNSIGNED-PAYLOAD");

    // A JSON or BSON Content-Type (any parameters) is hashed; anything else is declared
    // unsigned unless the caller declared it already.
    for (content_type, declared) in [
        ("application/json", None),
        ("application/json;charset=UTF-8", None),
        ("application/bson", None),
        ("text/plain", Some("UNSIGNED-PAYLOAD")),
        ("multipart/form-data; boundary=x", Some("UNSIGNED-PAYLOAD")),
        ("application/octet-stream", Some("UNSIGNED-PAYLOAD")),
    ] {
        let mut headers = header_map([("content-type", content_type)]);
        let url = Url::parse("https://osm.example.com/v2/x").unwrap();
        signing::sign(&key(), "POST", &url, &mut headers, b"b", t0()).unwrap();
        assert_eq!(
            headers
                .get("x-sdk-content-sha256")
                .map(|v| v.to_str().unwrap()),
            declared,
            "{content_type}"
        );
    }
    let mut headers = header_map([
        ("content-type", "text/plain"),
        ("x-sdk-content-sha256", digest.as_str()),
    ]);
    let url = Url::parse("https://osm.example.com/v2/x").unwrap();
    signing::sign(&key(), "POST", &url, &mut headers, b"x", t0()).unwrap();
    assert_eq!(header_str(&headers, "x-sdk-content-sha256"), digest);
}

// ---------------------------------------------------------------------------------------
// 2. A request recorded from the vendor's Python SDK
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct Recording {
    ak: String,
    sk: String,
    domain_id: String,
    #[serde(flatten)]
    call: RecordedCall,
    additional_calls: Vec<Value>,
}

#[derive(Deserialize)]
struct RecordedCall {
    #[serde(default)]
    name: Option<String>,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    observed: Observed,
}

#[derive(Deserialize)]
struct Observed {
    signed_headers: Vec<String>,
    recomputed_canonical_request: String,
    recomputed_string_to_sign: String,
}

fn recording() -> Recording {
    serde_json::from_str(include_str!("data/python_sdk/create_case_request.json"))
        .expect("create_case_request.json parses")
}

fn check_recorded_call(rec: &Recording, call: &RecordedCall) {
    let label = call.name.as_deref().unwrap_or("create_cases");
    let headers = header_map(call.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let parts = RequestParts {
        method: &call.method,
        path: &call.path,
        query: Some(call.query.as_str()).filter(|q| !q.is_empty()),
        headers: &headers,
        body: call.body.as_bytes(),
    };
    let auth = signing::parse_authorization(header_str(&headers, "authorization")).unwrap();
    assert_eq!(auth.signed_headers, call.observed.signed_headers, "{label}");
    let canonical = signing::canonical_request(&parts, &auth.signed_headers).unwrap();
    assert_eq!(
        canonical, call.observed.recomputed_canonical_request,
        "{label}: canonical request"
    );
    let sdk_date = header_str(&headers, "x-sdk-date");
    assert_eq!(
        signing::string_to_sign(sdk_date, &canonical),
        call.observed.recomputed_string_to_sign,
        "{label}: string to sign"
    );
    let keys = |ak: &str| (ak == rec.ak).then(|| secret(&rec.sk));
    let now = date(sdk_date);
    assert_eq!(
        signing::verify(&parts, keys, now),
        Ok(rec.ak.clone()),
        "{label}: verify"
    );
    // The same recording, replayed 16 minutes later, is refused.
    let late = signing::verify(&parts, keys, now + Duration::from_secs(16 * 60));
    assert_eq!(
        late.map_err(|e| e.code),
        Err("APIGW.0301"),
        "{label}: replay"
    );
}

#[test]
fn recorded_python_sdk_request_verifies() {
    let rec = recording();
    assert!(
        rec.call
            .headers
            .iter()
            .any(|(k, v)| k == "X-Domain-Id" && *v == rec.domain_id)
    );
    check_recorded_call(&rec, &rec.call);
    let mut others = 0;
    for extra in &rec.additional_calls {
        if extra.get("headers").is_some() {
            let call: RecordedCall = serde_json::from_value(extra.clone()).unwrap();
            check_recorded_call(&rec, &call);
            others += 1;
        }
    }
    assert_eq!(
        others, 2,
        "temporary_credentials_with_x_site and no_domain_id"
    );
}

#[test]
fn recorded_python_sdk_request_with_another_body_is_refused() {
    let rec = recording();
    let call = &rec.call;
    let headers = header_map(call.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let parts = RequestParts {
        method: &call.method,
        path: &call.path,
        query: None,
        headers: &headers,
        body: br#"{"business_type_id": "2"}"#,
    };
    let keys = |ak: &str| (ak == rec.ak).then(|| secret(&rec.sk));
    let err = signing::verify(&parts, keys, date(header_str(&headers, "x-sdk-date")))
        .expect_err("tampered body");
    assert_eq!(err.code, "APIGW.0301");
}

// ---------------------------------------------------------------------------------------
// 3. Sign, verify, tamper
// ---------------------------------------------------------------------------------------

const AK: &str = "AKROUNDTRIP000000001";
const SK: &str = "sk-roundtrip-secret-0000000000000001";
/// A second, known key pair.
const OTHER_AK: &str = "AKROUNDTRIP000000002";
const OTHER_SK: &str = "sk-roundtrip-secret-0000000000000002";
const TOKEN: &str = "st-roundtrip-security-token";
const DOMAIN: &str = "0123456789abcdef0123456789abcdef";
const ENDPOINT: &str = "https://osm.ap-southeast-3.myhuaweicloud.com";
const BODY: &[u8] = br#"{"business_type_id":"1","simple_description":"disk full on ecs-01","source_id":"83aeb0f2834c4df49826c781d32a963e"}"#;

fn t0() -> SystemTime {
    date("20261128T083000Z")
}

static SK_SECRET: LazyLock<SecretString> = LazyLock::new(|| secret(SK));
static TOKEN_SECRET: LazyLock<SecretString> = LazyLock::new(|| secret(TOKEN));

fn key() -> SigningKey<'static> {
    SigningKey {
        access_key: AK,
        secret_key: &SK_SECRET,
        security_token: None,
        domain_id: None,
    }
}

fn temporary_key() -> SigningKey<'static> {
    SigningKey {
        security_token: Some(&TOKEN_SECRET),
        domain_id: Some(DOMAIN),
        ..key()
    }
}

fn known_keys(ak: &str) -> Option<SecretString> {
    match ak {
        AK => Some(secret(SK)),
        OTHER_AK => Some(secret(OTHER_SK)),
        _ => None,
    }
}

/// A signed request, owned so that tests can change it.
#[derive(Clone, Debug)]
struct Signed {
    method: String,
    url: Url,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Signed {
    fn new(
        key: &SigningKey<'_>,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        now: SystemTime,
    ) -> Self {
        let url = Url::parse(url).unwrap();
        let mut map = header_map(headers.iter().copied());
        signing::sign(key, method, &url, &mut map, body, now).unwrap();
        Self {
            method: method.to_owned(),
            url,
            headers: map,
            body: body.to_vec(),
        }
    }

    fn verify_at(&self, now: SystemTime) -> Result<String, VerifyError> {
        let parts = RequestParts {
            method: &self.method,
            path: self.url.path(),
            query: self.url.query(),
            headers: &self.headers,
            body: &self.body,
        };
        signing::verify(&parts, known_keys, now)
    }

    fn verify(&self) -> Result<String, VerifyError> {
        self.verify_at(t0())
    }

    fn signed_list(&self) -> Vec<String> {
        signing::parse_authorization(header_str(&self.headers, "authorization"))
            .unwrap()
            .signed_headers
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.insert(header_name(name), header_value(value));
    }

    fn set_authorization(&mut self, value: &str) {
        self.set_header("authorization", value);
    }
}

fn post_json() -> Signed {
    Signed::new(
        &key(),
        "POST",
        &format!("{ENDPOINT}/v2/servicerequest/cases"),
        &[
            ("Content-Type", "application/json"),
            ("X-Language", "en-us"),
        ],
        BODY,
        t0(),
    )
}

fn get_query() -> Signed {
    Signed::new(
        &key(),
        "GET",
        &format!(
            "{ENDPOINT}/v2/servicerequest/cases?search=disk+full&limit=10&status=open&status=closed&tag=a%2Fb&mark=%E2%9C%93&empty="
        ),
        &[],
        b"",
        t0(),
    )
}

fn temporary() -> Signed {
    Signed::new(
        &temporary_key(),
        "POST",
        &format!("{ENDPOINT}/v2/servicerequest/cases"),
        &[("Content-Type", "application/json")],
        BODY,
        t0(),
    )
}

fn fixtures() -> [(&'static str, Signed); 3] {
    [
        ("POST JSON", post_json()),
        ("GET query", get_query()),
        ("temporary credentials", temporary()),
    ]
}

#[track_caller]
fn assert_refused(result: Result<String, VerifyError>, what: &str) -> VerifyError {
    match result {
        Ok(ak) => panic!("{what}: accepted as {ak}"),
        Err(e) => {
            assert_eq!(e.code, "APIGW.0301", "{what}: {e}");
            e
        }
    }
}

#[test]
fn round_trip_post_json() {
    let req = post_json();
    assert_eq!(req.verify(), Ok(AK.to_owned()));
    assert_eq!(
        req.signed_list(),
        ["content-type", "host", "x-language", "x-sdk-date"]
    );
    assert_eq!(header_str(&req.headers, "x-sdk-date"), "20261128T083000Z");
    assert_eq!(
        header_str(&req.headers, "host"),
        "osm.ap-southeast-3.myhuaweicloud.com"
    );
    assert!(!req.headers.contains_key("x-sdk-content-sha256"));
}

#[test]
fn round_trip_get_with_encoded_query() {
    let req = get_query();
    assert_eq!(req.verify(), Ok(AK.to_owned()));
    assert_eq!(req.signed_list(), ["host", "x-sdk-date"]);
    assert_eq!(
        signing::canonical_query(req.url.query()),
        "empty=&limit=10&mark=%E2%9C%93&search=disk%20full&status=closed&status=open&tag=a%2Fb"
    );
}

#[test]
fn round_trip_temporary_credentials() {
    let req = temporary();
    assert_eq!(req.verify(), Ok(AK.to_owned()));
    assert_eq!(
        req.signed_list(),
        [
            "content-type",
            "host",
            "x-domain-id",
            "x-sdk-date",
            "x-security-token"
        ]
    );
    assert_eq!(header_str(&req.headers, "x-security-token"), TOKEN);
    assert_eq!(header_str(&req.headers, "x-domain-id"), DOMAIN);
    // Secrets are marked sensitive, so HTTP tooling does not print them.
    assert!(req.headers["x-security-token"].is_sensitive());
    assert!(req.headers["authorization"].is_sensitive());
}

#[test]
fn tampered_method_is_refused() {
    for (name, req) in fixtures() {
        let mut t = req.clone();
        t.method = if req.method == "GET" { "DELETE" } else { "PUT" }.to_owned();
        assert_refused(t.verify(), &format!("{name}: method"));
    }
}

#[test]
fn tampered_path_is_refused() {
    for (name, req) in fixtures() {
        for path in [
            "/v2/servicerequest/case",
            "/v2/servicerequest/cases/1",
            "/v1/servicerequest/cases",
            "/v2/servicerequest/cases%2F1",
        ] {
            let mut t = req.clone();
            t.url.set_path(path);
            assert_refused(t.verify(), &format!("{name}: path {path}"));
        }
    }
}

#[test]
fn tampered_query_is_refused() {
    for (name, req) in fixtures() {
        let original = req.url.query().unwrap_or("").to_owned();
        let mut variants = vec![if original.is_empty() {
            "extra=1".to_owned()
        } else {
            format!("{original}&extra=1")
        }];
        if !original.is_empty() {
            variants.push(original.replace("limit=10", "limit=11"));
            variants.push(original.replace("&status=closed", ""));
            variants.push(original.replace("tag=a%2Fb", "tag=a/c"));
            variants.push(original.replace("empty=", "empty=0"));
        }
        for query in variants {
            assert_ne!(query, original);
            let mut t = req.clone();
            t.url.set_query(Some(&query));
            assert_refused(t.verify(), &format!("{name}: query {query}"));
        }
    }
}

#[test]
fn tampered_signed_header_is_refused() {
    for (name, req) in fixtures() {
        for header in req.signed_list() {
            let original = header_str(&req.headers, &header).to_owned();
            let changed = match header.as_str() {
                // Still a valid date within the allowed skew: only the signature can tell.
                signing::HEADER_DATE => signing::format_sdk_date(t0() + Duration::from_secs(1)),
                "host" => "osm.example.com".to_owned(),
                _ => format!("{original}x"),
            };
            let mut t = req.clone();
            t.set_header(&header, &changed);
            assert_refused(t.verify(), &format!("{name}: {header} changed"));

            let mut t = req.clone();
            t.headers.remove(header.as_str());
            assert_refused(t.verify(), &format!("{name}: {header} removed"));
        }
    }
}

#[test]
fn tampered_body_is_refused() {
    for (name, req) in fixtures() {
        let mut variants: Vec<Vec<u8>> = vec![[req.body.as_slice(), b" ".as_slice()].concat()];
        if req.body.is_empty() {
            variants.push(b"{}".to_vec());
        } else {
            variants.push(req.body[..req.body.len() - 1].to_vec());
            variants.push(
                String::from_utf8(req.body.clone())
                    .unwrap()
                    .replace("ecs-01", "ecs-02")
                    .into_bytes(),
            );
            variants.push(Vec::new());
        }
        for body in variants {
            let mut t = req.clone();
            t.body = body;
            assert_refused(
                t.verify(),
                &format!("{name}: body {:?}", String::from_utf8_lossy(&t.body)),
            );
        }
    }
}

#[test]
fn tampered_date_is_refused() {
    for (name, req) in fixtures() {
        for shift in [1_i64, -1, 60, -600] {
            let moved = if shift > 0 {
                t0() + Duration::from_secs(shift.unsigned_abs())
            } else {
                t0() - Duration::from_secs(shift.unsigned_abs())
            };
            let mut t = req.clone();
            t.set_header("x-sdk-date", &signing::format_sdk_date(moved));
            let e = assert_refused(t.verify(), &format!("{name}: date {shift:+} s"));
            assert!(e.message.contains("signature"), "{name}: {e}");
        }
    }
}

#[test]
fn tampered_signature_is_refused() {
    for (name, req) in fixtures() {
        let auth = header_str(&req.headers, "authorization").to_owned();
        let sig = signing::parse_authorization(&auth).unwrap().signature;
        let flipped = {
            let mut s = sig.clone().into_bytes();
            let last = s.len() - 1;
            s[last] = if s[last] == b'0' { b'1' } else { b'0' };
            String::from_utf8(s).unwrap()
        };
        // Well formed, but another signature: the HMAC comparison refuses it.
        for bad in [flipped, "0".repeat(64)] {
            let mut t = req.clone();
            t.set_authorization(&auth.replace(&sig, &bad));
            let e = assert_refused(t.verify(), &format!("{name}: signature {bad}"));
            assert_eq!(e.message, "the signature does not match", "{name}");
        }
        // Not a signature's form at all: the parser refuses it.
        for bad in [
            sig.to_ascii_uppercase(),
            sig[..sig.len() - 2].to_owned(),
            format!("{sig}00"),
        ] {
            if bad == sig {
                continue; // an all-digit signature has no upper case
            }
            let mut t = req.clone();
            t.set_authorization(&auth.replace(&sig, &bad));
            let e = assert_refused(t.verify(), &format!("{name}: signature {bad}"));
            assert!(
                e.message.contains("64 lower-case hex digits"),
                "{name}: {e}"
            );
        }
    }
}

#[test]
fn unknown_or_other_access_key_is_refused() {
    for (name, req) in fixtures() {
        let auth = header_str(&req.headers, "authorization").to_owned();
        let mut t = req.clone();
        t.set_authorization(&auth.replace(AK, "AKUNKNOWN00000000000"));
        let e = assert_refused(t.verify(), &format!("{name}: unknown key"));
        assert!(e.message.contains("access key"), "{e}");

        // A key that exists but did not sign.
        let mut t = req.clone();
        t.set_authorization(&auth.replace(AK, OTHER_AK));
        let e = assert_refused(t.verify(), &format!("{name}: other key"));
        assert_eq!(e.message, "the signature does not match");
    }
}

/// Changes the vendor's scheme cannot see; the verifier accepts them, as the gateway
/// must, since they are what HTTP stacks do to a request on the way.
#[test]
fn equivalent_requests_still_verify() {
    let req = get_query();

    // The query re-ordered and re-encoded (`+` vs `%20`, `%2F` vs `/`).
    let mut t = req.clone();
    t.url.set_query(Some(
        "empty&tag=a/b&status=closed&search=disk%20full&status=open&mark=%e2%9c%93&limit=10",
    ));
    assert_eq!(t.verify(), Ok(AK.to_owned()), "query re-encoded");

    // A trailing slash: the canonical URI always ends in one.
    let mut t = req.clone();
    t.url.set_path("/v2/servicerequest/cases/");
    assert_eq!(t.verify(), Ok(AK.to_owned()), "trailing slash");

    // An unsigned header added on the way (the verifier uses the request's list).
    let mut t = req.clone();
    t.set_header("user-agent", "proxy/1.0");
    t.set_header("x_under_score", "never signed");
    assert_eq!(t.verify(), Ok(AK.to_owned()), "unsigned header added");

    // Surrounding whitespace in a signed value.
    let mut t = post_json();
    t.set_header("x-language", "  en-us\t");
    assert_eq!(t.verify(), Ok(AK.to_owned()), "padded value");

    // Method case: the canonical request upper-cases it, as the vendor's signer does.
    let mut t = post_json();
    t.method = "post".to_owned();
    assert_eq!(t.verify(), Ok(AK.to_owned()), "method case");
}

#[test]
fn declared_body_digest_must_match_the_body() {
    let digest = signing::hex_sha256(BODY);
    let req = Signed::new(
        &key(),
        "POST",
        &format!("{ENDPOINT}/v2/servicerequest/cases"),
        &[
            ("Content-Type", "application/json"),
            ("X-Sdk-Content-Sha256", digest.as_str()),
        ],
        BODY,
        t0(),
    );
    assert_eq!(req.verify(), Ok(AK.to_owned()));
    let mut t = req.clone();
    t.body = b"{}".to_vec();
    let e = assert_refused(t.verify(), "body against declared digest");
    assert!(e.message.contains("X-Sdk-Content-Sha256"), "{e}");
}

#[test]
fn skew_of_16_minutes_is_refused_and_14_accepted() {
    let req = post_json();
    let min = |m: u64| Duration::from_secs(m * 60);
    for (label, now) in [("past", t0() + min(16)), ("future", t0() - min(16))] {
        let e = assert_refused(req.verify_at(now), label);
        assert!(
            e.message.contains("960 s away") && e.message.contains("at most 900 s"),
            "{label}: {e}"
        );
        assert!(e.to_string().starts_with("APIGW.0301: "), "{e}");
    }
    assert_eq!(req.verify_at(t0() + min(14)), Ok(AK.to_owned()));
    assert_eq!(req.verify_at(t0() - min(14)), Ok(AK.to_owned()));
    // The bound itself.
    assert_eq!(req.verify_at(t0() + min(15)), Ok(AK.to_owned()));
    assert_eq!(req.verify_at(t0() - min(15)), Ok(AK.to_owned()));
    let just_over = Duration::from_secs(15 * 60 + 1);
    assert_refused(req.verify_at(t0() + just_over), "15 min 1 s late");
    assert_refused(req.verify_at(t0() - just_over), "15 min 1 s early");
    assert_eq!(signing::MAX_CLOCK_SKEW, min(15));
}

#[test]
fn missing_authorization_is_refused() {
    let mut req = post_json();
    req.headers.remove("authorization");
    let e = assert_refused(req.verify(), "no Authorization");
    assert_eq!(e.message, "the request is not signed");
}

#[test]
fn malformed_authorization_is_refused() {
    let req = post_json();
    let sig = signing::parse_authorization(header_str(&req.headers, "authorization"))
        .unwrap()
        .signature;
    let list = "content-type;host;x-language;x-sdk-date";
    let shapes = [
        String::new(),
        "Bearer abc".to_owned(),
        "SDK-HMAC-SHA256".to_owned(),
        "SDK-HMAC-SHA256 ".to_owned(),
        format!("sdk-hmac-sha256 Access={AK}, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA1 Access={AK}, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256Access={AK}, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}"),
        format!("SDK-HMAC-SHA256 Access={AK}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access=, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;;x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature="),
        format!("SDK-HMAC-SHA256 Access={AK} SignedHeaders={list} Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature={sig}, Extra=1"),
        format!("SDK-HMAC-SHA256 Access, SignedHeaders={list}, Signature={sig}"),
        format!(
            "V11-HMAC-SHA256 Credential={AK}/20261128/region/osm, SignedHeaders={list}, Signature={sig}"
        ),
        format!("SDK-HMAC-SHA256 Credential={AK}, SignedHeaders={list}, Signature={sig}"),
    ];
    for shape in &shapes {
        assert!(
            signing::parse_authorization(shape).is_err(),
            "parse_authorization accepted {shape:?}"
        );
        let mut t = req.clone();
        t.set_authorization(shape);
        assert_refused(t.verify(), &format!("Authorization {shape:?}"));
    }
    // Not text at all.
    let mut t = req.clone();
    t.headers.insert(
        http::header::AUTHORIZATION,
        HeaderValue::from_bytes(b"SDK-HMAC-SHA256 Access=\xff").unwrap(),
    );
    let e = assert_refused(t.verify(), "binary Authorization");
    assert!(e.message.contains("not text"), "{e}");
}

/// `req` signed again over `list` as it is written (names repeated or in upper case
/// included), with the right key: what only the parser can refuse.
fn signed_over(req: &Signed, list: &[&str]) -> String {
    let parts = RequestParts {
        method: &req.method,
        path: req.url.path(),
        query: req.url.query(),
        headers: &req.headers,
        body: &req.body,
    };
    let list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    let canonical = signing::canonical_request(&parts, &list).unwrap();
    let sig = signing::signature(SK, &signing::string_to_sign("20261128T083000Z", &canonical));
    signing::authorization(AK, &list, &sig)
}

#[test]
fn ambiguous_authorization_is_refused() {
    let req = post_json();
    let good = header_str(&req.headers, "authorization").to_owned();
    assert_eq!(req.verify(), Ok(AK.to_owned()));
    let sig = signing::parse_authorization(&good).unwrap().signature;
    let list = "content-type;host;x-language;x-sdk-date";
    let params = format!("Access={AK}, SignedHeaders={list}, Signature={sig}");
    let refused = |value: &str, why: &str| {
        let e = signing::parse_authorization(value)
            .err()
            .unwrap_or_else(|| panic!("parse_authorization accepted {value:?}"));
        assert_eq!(e.code, "APIGW.0301");
        assert!(e.message.contains(why), "{value:?}: {e}");
        let mut t = req.clone();
        t.set_authorization(value);
        assert_refused(t.verify(), value);
    };

    // A repeated parameter: whichever copy a parser keeps, the header is ambiguous.
    for (value, name) in [
        (
            format!(
                "SDK-HMAC-SHA256 Access=AKX, Signature=00, SignedHeaders={list}, Signature={sig}"
            ),
            "Signature",
        ),
        (
            format!("SDK-HMAC-SHA256 {params}, Signature={sig}"),
            "Signature",
        ),
        (format!("SDK-HMAC-SHA256 Access=AKX, {params}"), "Access"),
        (format!("SDK-HMAC-SHA256 {params}, Access={AK}"), "Access"),
        (
            format!("SDK-HMAC-SHA256 SignedHeaders=host, {params}"),
            "SignedHeaders",
        ),
    ] {
        refused(&value, &format!("repeats {name}"));
    }

    // Unknown parameters, and names in another case.
    for value in [
        format!("SDK-HMAC-SHA256 {params}, Extra=1"),
        format!("SDK-HMAC-SHA256 {params}, Region=cn-north-4"),
        format!("SDK-HMAC-SHA256 access={AK}, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, signedheaders={list}, Signature={sig}"),
    ] {
        refused(&value, "unknown parameter");
    }

    // Empty parts, and what a parameter's value cannot hold.
    for value in [
        format!("SDK-HMAC-SHA256 {params},"),
        format!("SDK-HMAC-SHA256 , {params}"),
        format!("SDK-HMAC-SHA256 {params},, Extra"),
        format!("SDK-HMAC-SHA256 Access={AK}=, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK} X, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}\u{e9}, SignedHeaders={list}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list};, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature={sig}00"),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature={}",
            &sig[..63]
        ),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature={}",
            sig.to_uppercase()
        ),
        format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature={}g",
            &sig[..63]
        ),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders={list}, Signature=\"{sig}\""),
        format!("SDK-HMAC-SHA256\t{params}"),
    ] {
        assert!(
            signing::parse_authorization(&value).is_err(),
            "parse_authorization accepted {value:?}"
        );
        let mut t = req.clone();
        t.set_authorization(&value);
        assert_refused(t.verify(), &value);
    }

    // A header list that repeats a name, or spells one in upper case, signed correctly
    // over the list as written: the signature holds, the list is still refused.
    for (list, why) in [
        (
            &["content-type", "host", "host", "x-language", "x-sdk-date"][..],
            "repeats host",
        ),
        (
            &["content-type", "Host", "x-language", "x-sdk-date"][..],
            "\"Host\"",
        ),
    ] {
        let value = signed_over(&req, list);
        refused(&value, why);
    }
    refused(
        &format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;ho st;x-sdk-date, Signature={sig}"
        ),
        "\"ho st\"",
    );
    // Too many names to be a real request's.
    let many: Vec<String> = (0..=signing::MAX_SIGNED_HEADERS)
        .map(|i| format!("x-h{i}"))
        .collect();
    refused(
        &format!(
            "SDK-HMAC-SHA256 Access={AK}, SignedHeaders={}, Signature={sig}",
            many.join(";")
        ),
        &format!("at most {}", signing::MAX_SIGNED_HEADERS),
    );

    // What the vendor's SDKs send, and spaces around the separators, still pass.
    for value in [
        good.clone(),
        format!("SDK-HMAC-SHA256   Access={AK} ,SignedHeaders={list} ,  Signature={sig} "),
        format!("SDK-HMAC-SHA256 Signature={sig}, Access={AK}, SignedHeaders={list}"),
    ] {
        let mut t = req.clone();
        t.set_authorization(&value);
        assert_eq!(t.verify(), Ok(AK.to_owned()), "{value:?}");
    }
}

#[test]
fn x_sdk_date_must_be_signed_present_and_well_formed() {
    // A correct signature over a list that leaves X-Sdk-Date out.
    let mut req = post_json();
    let without_date: Vec<String> = vec!["content-type".into(), "host".into(), "x-language".into()];
    let parts = RequestParts {
        method: &req.method,
        path: req.url.path(),
        query: req.url.query(),
        headers: &req.headers,
        body: &req.body,
    };
    let canonical = signing::canonical_request(&parts, &without_date).unwrap();
    let sig = signing::signature(SK, &signing::string_to_sign("20261128T083000Z", &canonical));
    req.set_authorization(&signing::authorization(AK, &without_date, &sig));
    let e = assert_refused(req.verify(), "date not signed");
    assert!(e.message.contains("X-Sdk-Date"), "{e}");

    // Listed but absent.
    let mut req = post_json();
    req.headers.remove("x-sdk-date");
    let e = assert_refused(req.verify(), "date absent");
    assert!(e.message.contains("X-Sdk-Date"), "{e}");

    // Signed as it is, but not a date: the preset value is signed verbatim by `sign`.
    for bad in [
        "2026-11-28T08:30:00Z",
        "20261128T083000",
        "20261131T083000Z",
    ] {
        let req = Signed::new(
            &key(),
            "GET",
            &format!("{ENDPOINT}/v2/servicerequest/cases"),
            &[("X-Sdk-Date", bad)],
            b"",
            t0(),
        );
        assert_eq!(header_str(&req.headers, "x-sdk-date"), bad);
        let e = assert_refused(req.verify(), bad);
        assert!(e.message.contains("YYYYMMDDTHHMMSSZ"), "{bad}: {e}");
    }
}

#[test]
fn a_listed_header_missing_from_the_request_is_refused() {
    let mut req = post_json();
    let auth = header_str(&req.headers, "authorization").to_owned();
    req.set_authorization(&auth.replace("x-language;", "x-language;x-not-sent;"));
    let e = assert_refused(req.verify(), "listed header absent");
    assert!(e.message.contains("missing"), "{e}");
}

#[test]
fn sign_keeps_a_preset_date_and_replaces_an_old_authorization() {
    let url = Url::parse(&format!("{ENDPOINT}/v2/servicerequest/cases")).unwrap();
    let mut headers = header_map([("content-type", "application/json")]);
    signing::sign(&key(), "POST", &url, &mut headers, BODY, t0()).unwrap();
    let first = header_str(&headers, "authorization").to_owned();
    // Signing again later (a retry) keeps the date and yields one Authorization.
    let later = t0() + Duration::from_secs(3600);
    signing::sign(&key(), "POST", &url, &mut headers, BODY, later).unwrap();
    assert_eq!(header_str(&headers, "x-sdk-date"), "20261128T083000Z");
    assert_eq!(headers.get_all("authorization").iter().count(), 1);
    assert_eq!(header_str(&headers, "authorization"), first);
    // Without a preset date the clock is used.
    let mut headers = HeaderMap::new();
    signing::sign(&key(), "GET", &url, &mut headers, b"", later).unwrap();
    assert_eq!(header_str(&headers, "x-sdk-date"), "20261128T093000Z");
}

#[test]
fn sign_puts_the_port_in_host() {
    let url = Url::parse("http://127.0.0.1:37767/v2/servicerequest/cases").unwrap();
    let mut headers = HeaderMap::new();
    signing::sign(&key(), "GET", &url, &mut headers, b"", t0()).unwrap();
    assert_eq!(header_str(&headers, "host"), "127.0.0.1:37767");
}

#[test]
fn sign_refuses_values_that_cannot_be_sent() {
    let url = Url::parse(&format!("{ENDPOINT}/v2/servicerequest/cases")).unwrap();
    let bad_token = secret("st\nInjected: yes");
    let k = SigningKey {
        security_token: Some(&bad_token),
        ..key()
    };
    let err = signing::sign(&k, "GET", &url, &mut HeaderMap::new(), b"", t0()).unwrap_err();
    assert!(err.to_string().contains("security token"), "{err}");
    assert!(!err.to_string().contains("Injected"), "{err}");
    let k = SigningKey {
        domain_id: Some("dom\r\nain"),
        ..key()
    };
    let err = signing::sign(&k, "GET", &url, &mut HeaderMap::new(), b"", t0()).unwrap_err();
    assert!(err.to_string().contains("domain id"), "{err}");
}

// ---------------------------------------------------------------------------------------
// 4. Date formatting
// ---------------------------------------------------------------------------------------

#[test]
fn sdk_date_round_trips() {
    for (secs, text) in [
        (0, "19700101T000000Z"),
        (951_782_400, "20000229T000000Z"),
        (1_709_251_199, "20240229T235959Z"),
        (1_709_251_200, "20240301T000000Z"),
        (1_795_854_600, "20261128T083000Z"),
        (4_107_542_399, "21000228T235959Z"),
        (4_107_542_400, "21000301T000000Z"),
        (253_402_300_799, "99991231T235959Z"),
    ] {
        let t = UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(signing::format_sdk_date(t), text, "format {secs}");
        assert_eq!(signing::parse_sdk_date(text), Some(t), "parse {text}");
    }
    // Sub-second parts are dropped, not rounded.
    let t = UNIX_EPOCH + Duration::from_millis(1_795_854_600_999);
    assert_eq!(signing::format_sdk_date(t), "20261128T083000Z");
    // A sweep from 1970 to 2101, one step of 7 days 1 h 1 min 1 s at a time.
    let step = 7 * 86_400 + 3_661;
    for secs in (0..4_107_542_400_u64 + 400 * 86_400).step_by(step) {
        let t = UNIX_EPOCH + Duration::from_secs(secs);
        let text = signing::format_sdk_date(t);
        assert_eq!(signing::parse_sdk_date(&text), Some(t), "{text}");
    }
}

#[test]
fn malformed_sdk_dates_are_rejected() {
    for bad in [
        "",
        "20261128",
        "20261128T083000",
        "20261128T083000Z ",
        " 20261128T083000Z",
        "20261128t083000z",
        "20261128 083000Z",
        "2026-11-28T08:30:00Z",
        "20261128T0830000Z",
        "2026112T083000Z0",
        "20261328T083000Z", // month 13
        "20260028T083000Z", // month 0
        "20261100T083000Z", // day 0
        "20261132T083000Z", // day 32
        "20261131T083000Z", // 31 November
        "20250229T083000Z", // 29 February, not a leap year
        "21000229T083000Z", // nor is 2100
        "20261128T243000Z", // hour 24
        "20261128T086000Z", // minute 60
        "20261128T083060Z", // no leap seconds
        "2026+111T083000Z", // signs are not digits
        "+0261128T083000Z",
        "20261128T08+300Z",
        "2026١١28T083000Z", // non-ASCII digits
        "19691231T235959Z", // before the epoch
    ] {
        assert_eq!(signing::parse_sdk_date(bad), None, "{bad:?}");
    }
    // Leap days that exist are fine.
    for good in ["20240229T000000Z", "20000229T120000Z"] {
        assert!(signing::parse_sdk_date(good).is_some(), "{good}");
    }
}
