#!/usr/bin/env python3
"""Generate golden AK/SK signing vectors from the official Huawei Cloud Python SDK.

This script is run by hand by maintainers; it is NOT run by the test suite.
It drives the real signer shipped in ``huaweicloudsdkcore`` with a fixed
``X-Sdk-Date`` so the output is deterministic, and records every
intermediate value of the signing process for each case.

How to run (from the repository root, any virtualenv location works)::

    python3 -m venv <some-dir-outside-the-repo>
    <venv>/bin/pip install huaweicloudsdkcore==3.1.219 huaweicloudsdkosm==3.1.219
    <venv>/bin/python scripts/gen_signing_vectors.py

The script refuses to run with other versions than ``PINNED_SDK_VERSIONS``; the
signing crate's tests check that the vectors were made with these versions.

Output: ``signing/tests/data/vectors.json`` (path is relative to this file).
No network traffic is made.

Signer internals used (huaweicloudsdkcore 3.1.x, verified against 3.1.219):

* module ``huaweicloudsdkcore.signer.signer``, class ``Signer``
  (``SDK-HMAC-SHA256``). Public entry point ``Signer(credentials).sign(request)``.
* ``Signer.sign`` calls, in this order:
  ``_process_content_header``, ``_process_header_time``,
  ``_process_header_host``, ``_process_signed_headers``,
  ``_process_canonical_request`` (which calls ``_process_canonical_headers``,
  ``_process_hash_payload``, ``_process_canonical_uri``,
  ``_process_canonical_query_string``), ``_process_string_to_sign``,
  ``_sign_string_to_sign``, ``_process_auth_header_value`` and finally
  ``process_request_uri``.
* Intermediates are captured by temporarily wrapping those methods on the
  ``Signer`` class (see ``capture_signer``) while the *real* ``sign`` runs,
  so the recorded values are exactly what the SDK computed. The signature is
  additionally re-checked with ``hmac``/``hashlib``.
* ``huaweicloudsdkcore.sdk_request.SdkRequest`` holds the request;
  ``query_params`` is a list of ``(key, value)`` tuples (value may be a list).
* ``huaweicloudsdkcore.auth.credentials.GlobalCredentials.sign_request`` is used
  for the credential-driven cases; it adds ``X-Domain-Id`` and
  ``X-Security-Token`` before delegating to ``Signer.sign``.
"""

import copy
import hashlib
import hmac
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from importlib import metadata

# Importing huaweicloudsdkcore.auth.credentials pulls in
# huaweicloudsdkcore.http.user_agent, which creates ~/.huaweicloud/application_id
# (a random UUID) as an import-time side effect. Point HOME at a throw-away
# directory so running this script leaves the user's home untouched.
_TMP_HOME = tempfile.TemporaryDirectory(prefix="hwsdk-home-")
os.environ["HOME"] = _TMP_HOME.name
os.environ["USERPROFILE"] = _TMP_HOME.name

import requests  # noqa: E402  (the HTTP library the SDK sends with)
from huaweicloudsdkcore.auth.credentials import GlobalCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer import signer as signer_module  # noqa: E402
from huaweicloudsdkcore.signer.signer import Signer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, os.pardir, "signing", "tests", "data", "vectors.json")

# The SDK versions the vectors are made with (a JSON object, read by the tests too).
PINNED_SDK_VERSIONS = {"huaweicloudsdkcore": "3.1.219", "huaweicloudsdkosm": "3.1.219"}

# Obviously fake credentials.
AK = "AKTESTEXAMPLE0000001"
SK = "sk-test-example-secret-0000000000000001"
SECURITY_TOKEN = "st-test-example-token"
DOMAIN_ID = "0123456789abcdef0123456789abcdef"

SDK_DATE = "20261128T083000Z"
HOST = "osm.ap-southeast-3.myhuaweicloud.com"
SCHEME = "https"

# Exactly what the OSM client serialises for the create-case body
# (simplejson.dumps with default separators, keys in openapi_types order).
CREATE_CASE_BODY = (
    '{"business_type_id": "1", "simple_description": "disk full on ecs-01", '
    '"source_id": "83aeb0f2834c4df49826c781d32a963e"}'
)

# Methods of Signer whose return values are recorded (first call wins).
CAPTURED = [
    "_process_signed_headers",
    "_process_canonical_headers",
    "_process_hash_payload",
    "_process_canonical_uri",
    "_process_canonical_query_string",
    "_process_canonical_request",
    "_process_string_to_sign",
    "_sign_string_to_sign",
    "_process_auth_header_value",
]


@contextmanager
def capture_signer():
    """Wrap selected Signer methods so their results are recorded."""
    record = {}
    originals = {}
    for name in CAPTURED:
        orig = Signer.__dict__[name]
        originals[name] = orig

        if isinstance(orig, classmethod):
            func = orig.__func__

            def make(func=func, name=name):
                def wrapper(cls, *args, **kwargs):
                    result = func(cls, *args, **kwargs)
                    record.setdefault(name, copy.deepcopy(result))
                    return result
                return classmethod(wrapper)
        else:
            func = orig

            def make(func=func, name=name):
                def wrapper(self, *args, **kwargs):
                    result = func(self, *args, **kwargs)
                    record.setdefault(name, copy.deepcopy(result))
                    return result
                return wrapper

        setattr(Signer, name, make())
    try:
        yield record
    finally:
        for name, orig in originals.items():
            setattr(Signer, name, orig)


def build_url(path, query):
    if not query:
        return "%s://%s%s" % (SCHEME, HOST, path)
    parts = []
    for k, v in query:
        for item in (v if isinstance(v, list) else [v]):
            parts.append("%s=%s" % (k, item))
    return "%s://%s%s?%s" % (SCHEME, HOST, path, "&".join(parts))


def run_case(name, method, path, query, headers, body, description,
             security_token=None, domain_id=None, via="signer"):
    headers_in = dict(headers)
    headers_in["X-Sdk-Date"] = SDK_DATE  # preset: Signer._process_header_time honours it
    request = SdkRequest(
        method=method,
        schema=SCHEME,
        host=HOST,
        resource_path=path,
        query_params=copy.deepcopy(query),
        header_params=dict(headers_in),
        body=body,
    )

    with capture_signer() as rec:
        if via == "credentials":
            creds = GlobalCredentials(AK, SK, domain_id)
            if security_token is not None:
                creds.with_security_token(security_token)
            signed = creds.sign_request(request)
        else:
            creds = GlobalCredentials(AK, SK)
            signed = Signer(creds).sign(request)

    string_to_sign = rec["_process_string_to_sign"]
    signature = rec["_sign_string_to_sign"]
    expected_sig = hmac.new(SK.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    assert signature == expected_sig, name
    canonical_request = rec["_process_canonical_request"]
    assert string_to_sign.split("\n")[2] == hashlib.sha256(canonical_request.encode()).hexdigest()

    case = {
        "name": name,
        "description": description,
        "via": via,
        "method": method,
        "url": build_url(path, query),
        "path": path,
        "query": [[k, v] for k, v in query],
        "headers_in": headers_in,
        "body": body,
        "ak": AK,
        "sk": SK,
    }
    if security_token is not None:
        case["security_token"] = security_token
    if domain_id is not None:
        case["domain_id"] = domain_id
    case.update({
        "sdk_date": SDK_DATE,
        "canonical_uri": rec["_process_canonical_uri"],
        "canonical_query_string": rec["_process_canonical_query_string"],
        "canonical_headers": rec["_process_canonical_headers"],
        "payload_hash": rec["_process_hash_payload"],
        "canonical_request": canonical_request,
        "string_to_sign": string_to_sign,
        "signed_headers": rec["_process_signed_headers"],
        "signature": signature,
        "authorization": signed.header_params["Authorization"],
        "headers_out": dict(signed.header_params),
        "url_out": signed.url,
        # What requests (used by the SDK's HttpClient) actually puts on the wire
        # for url_out: it re-quotes characters that are invalid in a URL.
        "url_wire": requests.Request(method, signed.url).prepare().url,
    })
    assert case["authorization"] == rec["_process_auth_header_value"]
    return case


def cases():
    json_headers = {"Content-Type": "application/json", "X-Language": "en-us"}
    base = "/v2/servicerequest/cases"
    out = [
        run_case(
            "post_json_body", "POST", base, [], json_headers, CREATE_CASE_BODY,
            "Create-ticket POST with a JSON body (signed directly with Signer)."),
        run_case(
            "get_query_encoding_repeated_keys", "GET", base,
            [("b", "2"), ("a", "x y"), ("a", "1"), ("c", "/~-_."), ("d", "100%"),
             ("e", ["z", "y"]), ("f", True)],
            {"Content-Type": "application/json"}, "",
            "Query values are given RAW (unencoded) as SdkRequest expects. Repeated key 'a' "
            "as separate tuples; 'e' as a list value; 'f' a bool."),
        run_case(
            "query_sort_raw_vs_encoded", "GET", base,
            [("k", "a"), ("k", "{"), ("k", "\u00e9"), ("k", "Z")],
            {}, "",
            "Pins that the SDK sorts query pairs on RAW key/value before percent-encoding "
            "(encoded sort would give %7B,%C3%A9,Z,a)."),
        run_case(
            "path_needs_encoding", "GET", base + "/a b:c@d", [],
            {"Content-Type": "application/json"}, "",
            "resource_path given raw; the signer unquotes then re-encodes each segment."),
        run_case(
            "empty_body_get", "GET", base, [], {}, "",
            "Plain GET with no extra headers and empty body (only host and x-sdk-date signed)."),
        run_case(
            "header_surrounding_spaces", "GET", base, [],
            {"Content-Type": "application/json", "X-Custom": "  padded   value  "}, "",
            "Leading/trailing spaces are stripped (also in the header actually sent); "
            "inner runs of spaces are kept."),
        run_case(
            "header_with_underscore_unsigned", "GET", base, [],
            {"Content-Type": "application/json", "X_Under_Score": "v", "X-Dash": "w"}, "",
            "Header names containing '_' are sent but never signed."),
        run_case(
            "non_json_content_type_unsigned_payload", "POST", base, [],
            {"Content-Type": "text/plain"}, "hello",
            "Content-Type not application/json or application/bson: signer adds "
            "X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD and uses it as the payload hash."),
        run_case(
            "temporary_credentials", "POST", base, [], json_headers, CREATE_CASE_BODY,
            "GlobalCredentials(ak, sk, domain_id).with_security_token(token).sign_request(): "
            "adds X-Domain-Id and X-Security-Token before signing.",
            security_token=SECURITY_TOKEN, domain_id=DOMAIN_ID, via="credentials"),
        run_case(
            "domain_id_header", "POST", base, [], json_headers, CREATE_CASE_BODY,
            "GlobalCredentials(ak, sk, domain_id).sign_request(): adds X-Domain-Id before signing.",
            domain_id=DOMAIN_ID, via="credentials"),
    ]
    return out


NOTES = [
    "Algorithm SDK-HMAC-SHA256. string_to_sign = 'SDK-HMAC-SHA256\\n' + X-Sdk-Date + '\\n' + "
    "hex(sha256(canonical_request)); there is no credential scope and no key derivation: "
    "signature = hex(HMAC-SHA256(key=SK bytes, msg=string_to_sign)).",
    "Authorization = 'SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>'.",
    "A preset X-Sdk-Date header (matched case-insensitively) is honoured and parsed with "
    "%Y%m%dT%H%M%SZ; only if absent does the signer add one from datetime.utcnow().",
    "Host header 'Host: <request.host>' (netloc incl. port) is added unless any-case 'host' exists.",
    "SignedHeaders = every header present at signing time whose name contains no '_', "
    "lowercased and sorted (plain str sort). Header names with '_' are skipped but still sent.",
    "content-type IS signed whenever present (the OSM client always sets Content-Type: application/json).",
    "Canonical header values: str(value).strip() (leading/trailing whitespace only; inner spaces "
    "are NOT collapsed). The stripped value also replaces the value that is sent.",
    "Canonical URI: unquote(resource_path), split on '/', each segment quote(seg, safe='~') "
    "(so unreserved = A-Z a-z 0-9 - _ . ~; ':' '@' ' ' become %3A %40 %20), joined with '/', "
    "and a trailing '/' is ALWAYS appended if missing (e.g. '/v2/servicerequest/cases/'). "
    "Because the path is unquoted first, an encoded %2F inside a segment becomes a separator.",
    "The trailing '/' is only in the canonical URI; the request actually sent uses resource_path unchanged "
    "(url_out); requests then re-quotes invalid URL characters (space -> %20, ':' and '@' kept), see url_wire.",
    "Canonical query: query_params (list of (k, v) tuples) sorted as Python tuples on the RAW, "
    "unencoded key then value; then each k and v percent-encoded with quote(safe='~') ('%20' for space, "
    "'%25' for '%', '/' -> '%2F'). Repeated keys are separate tuples and sort by raw value. "
    "A list value is sorted in place and emitted as repeated k=v; bool becomes 'true'/'false'. "
    "Empty query -> empty line.",
    "The SDK sends the query string exactly as the canonical query string (sorted and encoded), "
    "see url_out.",
    "Payload hash: empty/None body -> sha256('') constant; else if an X-Sdk-Content-Sha256 header "
    "is present its value is used; else hex(sha256(body bytes)). For Content-Type other than "
    "application/json* or application/bson* the signer itself adds X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD.",
    "Canonical headers block ends with '\\n', so the canonical request has an empty line "
    "between the last header and the SignedHeaders line.",
    "Credentials.sign_request adds X-Security-Token when a security token is set; "
    "GlobalCredentials adds X-Domain-Id when domain_id is set (BasicCredentials would add X-Project-Id); "
    "both are then signed like any other header. If an 'Authorization' header is already present, "
    "sign_request skips signing entirely.",
]


def main():
    for package, pinned in PINNED_SDK_VERSIONS.items():
        installed = metadata.version(package)
        if installed != pinned:
            sys.exit("%s %s is installed; the vectors are made with %s (PINNED_SDK_VERSIONS)"
                     % (package, installed, pinned))
    result = {
        "generator": {
            "script": "scripts/gen_signing_vectors.py",
            "python": sys.version.split()[0],
            "sdk_versions": {
                "huaweicloudsdkcore": metadata.version("huaweicloudsdkcore"),
                "huaweicloudsdkosm": metadata.version("huaweicloudsdkosm"),
            },
            "signer_module": signer_module.__name__,
            "signer_class": "Signer",
            "request_class": "huaweicloudsdkcore.sdk_request.SdkRequest",
            "credentials_class": "huaweicloudsdkcore.auth.credentials.GlobalCredentials",
            "entry_points": ["Signer.sign", "GlobalCredentials.sign_request"],
            "functions_used": ["Signer." + n for n in CAPTURED] + ["Signer.process_request_uri"],
            "capture_method": "Signer methods wrapped at class level while the real Signer.sign runs; "
                              "signature re-verified with hmac/hashlib.",
            "sdk_date": SDK_DATE,
            "notes": NOTES,
        },
        "cases": cases(),
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote %s (%d cases)" % (os.path.normpath(OUT_PATH), len(result["cases"])))


if __name__ == "__main__":
    main()
