#!/usr/bin/env python3
"""Record the exact HTTP request the official Python SDK sends for OSM CreateCases.

This script is run by hand by maintainers; it is NOT run by the test suite.
It starts a throw-away HTTP server on 127.0.0.1 (ephemeral port), points the
real ``huaweicloudsdkosm`` v2 ``OsmClient`` at it, calls ``create_cases`` and
records what arrived on the wire (method, path, headers in wire order with
original case, raw body). No traffic leaves 127.0.0.1.

How to run (from the repository root, any virtualenv location works)::

    python3 -m venv <some-dir-outside-the-repo>
    <venv>/bin/pip install huaweicloudsdkcore huaweicloudsdkosm
    <venv>/bin/python scripts/record_python_sdk_request.py

Output (relative to this file): ``tests/data/python_sdk/create_case_request.json``.

The request is NOT deterministic: X-Sdk-Date is the current time, the Host
header carries the ephemeral port and the User-Agent contains OS/Python
details plus a random per-run application id. Consumers should verify the
recorded Authorization by recomputing it from the recorded headers/body
(this script does that itself, see ``verify_signature``).

Calls made:
  1. main: GlobalCredentials(ak, sk, domain_id), x_language="en-us"  -> top level of the JSON
  2. temporary_credentials_with_x_site: same plus security token, x_site=1
  3. no_domain_id: GlobalCredentials(ak, sk) without domain id (endpoint given directly,
     so the SDK does not try to discover the domain id via IAM)
  4. error_response: server answers 400 with X-Request-Id to see how the SDK surfaces it
Token (IAM X-Auth-Token) auth is not supported by huaweicloudsdkcore: the only
credential types are AK/SK based (Basic/Global, optionally with a security token).
"""

import hashlib
import hmac
import json
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from urllib.parse import quote, unquote, urlsplit

# Importing the SDK creates ~/.huaweicloud/application_id (random UUID used in
# the User-Agent) as a side effect; keep it out of the real home directory.
_TMP_HOME = tempfile.TemporaryDirectory(prefix="hwsdk-home-")
os.environ["HOME"] = _TMP_HOME.name
os.environ["USERPROFILE"] = _TMP_HOME.name
# requests honours *_proxy variables; make sure nothing is proxied.
for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from huaweicloudsdkcore.auth.credentials import GlobalCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import SdkException  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkosm.v2 import (  # noqa: E402
    CreateCasesRequest,
    CreateCasesResponse,
    CreateOrderIncidentV2Req,
    OsmClient,
)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, os.pardir, "tests", "data", "python_sdk", "create_case_request.json")

AK = "AKTESTEXAMPLE0000001"
SK = "sk-test-example-secret-0000000000000001"
SECURITY_TOKEN = "st-test-example-token"
DOMAIN_ID = "0123456789abcdef0123456789abcdef"
RESPONSE_REQUEST_ID = "req-test-0000000000000001"


# --------------------------------------------------------------------------
# Recording server
# --------------------------------------------------------------------------
class Recorder:
    def __init__(self):
        self.requests = []
        self.next_response = None  # (status, headers, body) or None for the default
        self.lock = threading.Lock()


def make_handler(recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with recorder.lock:
                recorder.requests.append({
                    "method": self.command,
                    "raw_target": self.path,
                    "http_version": self.request_version,
                    # email.message.Message keeps wire order and original case
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body_bytes": body,
                })
                planned = recorder.next_response
                recorder.next_response = None
            status, headers, payload = planned or (
                200,
                [("Content-Type", "application/json"), ("X-Request-Id", RESPONSE_REQUEST_ID)],
                b'{"incident_id":"TEST-0001"}',
            )
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, *args):
            pass

    return Handler


# --------------------------------------------------------------------------
# Independent signature check (does not use the SDK signer)
# --------------------------------------------------------------------------
def _enc(s):
    return quote(s, safe="~")


def verify_signature(rec, sk):
    """Recompute SDK-HMAC-SHA256 from what was received; return (ok, canonical_request)."""
    headers = {k.lower(): v for k, v in rec["headers"]}
    auth = headers["authorization"]
    algo, rest = auth.split(" ", 1)
    fields = dict(part.strip().split("=", 1) for part in rest.split(","))
    signed = fields["SignedHeaders"].split(";")

    parts = urlsplit(rec["raw_target"])
    segs = [_enc(p) for p in unquote(parts.path).split("/")]
    curi = "/".join(segs)
    if not curi.endswith("/"):
        curi += "/"
    pairs = []
    for item in parts.query.split("&") if parts.query else []:
        k, _, v = item.partition("=")
        pairs.append((unquote(k), unquote(v)))
    cquery = "&".join("%s=%s" % (_enc(k), _enc(v)) for k, v in sorted(pairs))
    cheaders = "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed)
    body = rec["body_bytes"]
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = "\n".join([rec["method"], curi, cquery, cheaders, ";".join(signed), payload_hash])
    sts = "\n".join([algo, headers["x-sdk-date"], hashlib.sha256(canonical.encode()).hexdigest()])
    sig = hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()
    return sig == fields["Signature"], canonical, sts


# --------------------------------------------------------------------------
# SDK calls
# --------------------------------------------------------------------------
def new_client(endpoint, credentials):
    # No region: with_endpoints() alone avoids any IAM/region lookup. The
    # default HttpConfig is used so its defaults are what we observe.
    return (OsmClient.new_builder()
            .with_credentials(credentials)
            .with_endpoints([endpoint])
            .build())


def create_case_request(**headers):
    body = CreateOrderIncidentV2Req(
        business_type_id="1",
        simple_description="disk full on ecs-01",
        source_id="83aeb0f2834c4df49826c781d32a963e",
    )
    return CreateCasesRequest(body=body, **headers)


def summarise(rec, sk):
    hdrs = rec["headers"]
    lower = {k.lower(): v for k, v in hdrs}
    auth = lower.get("authorization", "")
    signed = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";") if "SignedHeaders=" in auth else []
    ok, canonical, sts = verify_signature(rec, sk)
    parts = urlsplit(rec["raw_target"])
    return {
        "method": rec["method"],
        "path": parts.path,
        "query": parts.query,
        "http_version": rec["http_version"],
        "headers": hdrs,
        "body": rec["body_bytes"].decode("utf-8"),
        "observed": {
            "signed_headers": signed,
            "unsigned_headers_sent": [k for k, _ in hdrs if k.lower() not in signed],
            "sent_x_site": "x-site" in lower,
            "x_site_value": lower.get("x-site"),
            "sent_x_domain_id": "x-domain-id" in lower,
            "sent_x_security_token": "x-security-token" in lower,
            "user_agent": lower.get("user-agent"),
            "content_type": lower.get("content-type"),
            "signature_verified_independently": ok,
            "recomputed_canonical_request": canonical,
            "recomputed_string_to_sign": sts,
        },
    }


def main():
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(recorder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = "http://127.0.0.1:%d" % server.server_address[1]

    try:
        # 1. main call
        client = new_client(endpoint, GlobalCredentials(AK, SK, DOMAIN_ID))
        resp = client.create_cases(create_case_request(x_language="en-us"))
        main_rec = recorder.requests[-1]
        main_resp = {
            "type": type(resp).__name__,
            "status_code": resp.status_code,
            "incident_id": resp.incident_id,
            "response_attribute_map": CreateCasesResponse.attribute_map,
            "x_request_id_exposed_on_success": "X-Request-Id" in CreateCasesResponse.attribute_map.values(),
        }

        # 2. temporary credentials (AK/SK + security token) and X-Site
        creds = GlobalCredentials(AK, SK, DOMAIN_ID).with_security_token(SECURITY_TOKEN)
        client2 = new_client(endpoint, creds)
        client2.create_cases(create_case_request(x_language="en-us", x_site=1))
        tmp_rec = recorder.requests[-1]

        # 3. no domain id
        client3 = new_client(endpoint, GlobalCredentials(AK, SK))
        client3.create_cases(create_case_request(x_language="en-us"))
        nodom_rec = recorder.requests[-1]

        # 4. error response -> how X-Request-Id is surfaced
        recorder.next_response = (
            400,
            [("Content-Type", "application/json"), ("X-Request-Id", RESPONSE_REQUEST_ID)],
            b'{"error_code":"CC.00000000","error_msg":"test error"}',
        )
        err = {}
        try:
            client.create_cases(create_case_request(x_language="en-us"))
            err["raised"] = None
        except SdkException as e:
            err = {
                "raised": type(e).__name__,
                "status_code": getattr(e, "status_code", None),
                "request_id": getattr(e, "request_id", None),
                "error_code": getattr(e, "error_code", None),
                "error_msg": getattr(e, "error_msg", None),
            }
    finally:
        server.shutdown()
        server.server_close()

    cfg = HttpConfig.get_default_config()
    main_summary = summarise(main_rec, SK)
    result = {
        "sdk_versions": {
            "huaweicloudsdkcore": metadata.version("huaweicloudsdkcore"),
            "huaweicloudsdkosm": metadata.version("huaweicloudsdkosm"),
            "requests": metadata.version("requests"),
            "python": sys.version.split()[0],
        },
        "script": "scripts/record_python_sdk_request.py",
        "client_setup": "OsmClient.new_builder().with_credentials(GlobalCredentials(ak, sk, domain_id))"
                        ".with_endpoints(['http://127.0.0.1:<port>']).build()",
        "sdk_call": "client.create_cases(CreateCasesRequest(x_language='en-us', body=CreateOrderIncidentV2Req("
                    "business_type_id='1', simple_description='disk full on ecs-01', "
                    "source_id='83aeb0f2834c4df49826c781d32a963e')))",
        "ak": AK,
        "sk": SK,
        "domain_id": DOMAIN_ID,
        "method": main_summary["method"],
        "path": main_summary["path"],
        "query": main_summary["query"],
        "http_version": main_summary["http_version"],
        "headers": main_summary["headers"],
        "body": main_summary["body"],
        "observed": main_summary["observed"],
        "response": main_resp,
        "http_config_defaults": {
            "timeout_connect_read_seconds": list(cfg.timeout) if isinstance(cfg.timeout, tuple) else cfg.timeout,
            "retry_times": cfg.retry_times,
            "retry_status_forcelist": [429],
            "allow_redirects": cfg.allow_redirects,
            "ignore_content_type_for_get_request": cfg.ignore_content_type_for_get_request,
            "signing_algorithm": cfg.signing_algorithm.name,
        },
        "token_auth": {
            "supported": False,
            "note": "huaweicloudsdkcore has no IAM-token (X-Auth-Token) credential type; only AK/SK "
                    "(BasicCredentials/GlobalCredentials), optionally with a security token. "
                    "The closest equivalent is recorded under additional_calls "
                    "'temporary_credentials_with_x_site'.",
        },
        "additional_calls": [
            dict(name="temporary_credentials_with_x_site", security_token=SECURITY_TOKEN,
                 sdk_call_extra="GlobalCredentials(...).with_security_token(token); "
                                "CreateCasesRequest(x_site=1, ...)",
                 **summarise(tmp_rec, SK)),
            dict(name="no_domain_id",
                 sdk_call_extra="GlobalCredentials(ak, sk) without domain_id, endpoint set directly",
                 **summarise(nodom_rec, SK)),
            {"name": "error_response",
             "server_reply": {"status": 400, "headers": {"X-Request-Id": RESPONSE_REQUEST_ID},
                              "body": '{"error_code":"CC.00000000","error_msg":"test error"}'},
             "exception": err},
        ],
    }
    os.makedirs(os.path.dirname(OUT_PATH), exist_ok=True)
    with open(OUT_PATH, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote %s" % os.path.normpath(OUT_PATH))
    print(json.dumps({"signed": main_summary["observed"]["signed_headers"],
                      "verified": main_summary["observed"]["signature_verified_independently"]}))


if __name__ == "__main__":
    main()
