#!/usr/bin/env python3
"""The vendor's official Python SDK against osm-emulator, for `cargo xtask interop`.

Drives ``huaweicloudsdkosm`` v2 ``OsmClient`` (``huaweicloudsdkcore`` underneath,
``requests`` on the wire), signing with AK/SK as that SDK does, against a running
emulator, and checks that the SDK reads every answer into its own models without
losing anything:

- a response handler on the SDK's own HTTP client (``HttpHandler``) keeps the raw body
  of every answer as it came off the wire;
- every member of that JSON must be found in the SDK's model, recursively (through the
  model's ``attribute_map``, the SDK's wire names), with an equal value once the SDK's
  declared type is taken into account: ``"5"`` read as ``5`` into an ``int`` is the
  same value, ``"false"`` read as ``True`` into a ``bool`` or ``1.5`` read as ``1``
  into an ``int`` is not; a member the model has no place for is lost;
- ``to_dict()`` of the response must work.

Calls, in English (``X-Language: en-us``, ``X-Site: 1``, ``X-Time-Zone``) and then with
no header at all (the service's defaults, Chinese): the ten look-ups, with ids taken
from the earlier answers (the first ticket category and its first product category,
the first consultation and the first fault problem type of that product category; the
extra fields for each product category of that ticket category), a self-test of the
comparison first, and ``create_cases`` with the consultation problem type and with the fault one and a
region; then a fault ticket without a region, which must be refused (400 ``OSM.0001``
naming ``region_id``), and the tickets the emulator recorded (its admin route), which
must hold what the SDK sent. Last, once, the follow-up, attachment and verification
operations: an operation that answers 501 ``EMULATOR.0501`` is not served by the
emulator yet and is reported as ``skip``; then a ticket's life on three other tickets
(counts, contact details, extra fields, relations, a rating, the operation log, the
copied addresses, the export read as a workbook, a report of abuse).

Output, one line per call: ``ok <operation> (<context>)``, ``skip <operation>: not
served by the emulator yet``, ``FAIL <operation> (<context>): <what was lost>``; lines
starting with ``note`` say how the SDK's types differ from the wire's without losing
anything. With ``--spec-operation 'METHOD PATH ID'`` (repeatable, from the spec), every
spec operation must have been called, found by the SDK's own method and path; else
``FAIL coverage``; and the spec's operations must be the SDK's, every one the SDK's
``OsmClient`` can call (method and path) and no other; else ``FAIL parity``, naming each
operation the vendor has that the spec lacks. Exit status 1 if any line is a ``FAIL``.

Importing the SDK writes ``~/.huaweicloud/application_id``; point ``HOME`` at a scratch
directory (``cargo xtask interop`` uses ``target/interop/python-home``).
"""

import argparse
import base64
import decimal
import json
import os
import re
import sys
import tempfile
import traceback
import urllib.request

for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

from huaweicloudsdkcore.auth.credentials import GlobalCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ServiceResponseException  # noqa: E402
from huaweicloudsdkcore.http.formdata import FormFile  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402
from huaweicloudsdkcore.http.http_handler import HttpHandler  # noqa: E402
from huaweicloudsdkosm.v2 import OsmClient  # noqa: E402
import huaweicloudsdkosm.v2.model as osm  # noqa: E402

# The one source id the service accepts (the spec's enum of `source_id`).
SOURCE_ID = "83aeb0f2834c4df49826c781d32a963e"
NOT_SERVED = "EMULATOR.0501"
SCALARS = ("str", "int", "long", "float", "bool", "decimal.Decimal")


class Wire:
    """The raw answers, as the SDK's HTTP client received them."""

    def __init__(self):
        self.last = None

    def handler(self, **kwargs):
        r = kwargs["response"]
        self.last = (r.request.method, r.url, r.status_code, r.content)


def short(value, limit=80):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------
# The comparison of a raw JSON value with what the SDK made of it.


def as_decimal(v):
    try:
        return decimal.Decimal(str(v))
    except (decimal.InvalidOperation, ValueError):
        return None


def same_scalar(raw, value):
    """Whether `value` (the SDK's) holds the JSON scalar `raw`, the SDK's type aside."""
    if isinstance(raw, bool):
        if isinstance(value, bool):
            return value == raw
        if isinstance(value, str):
            return value.lower() == str(raw).lower()
        return isinstance(value, int) and value in (0, 1) and bool(value) == raw
    if isinstance(raw, (int, float, decimal.Decimal)):
        if isinstance(value, bool):
            return raw in (0, 1) and int(value) == raw
        if isinstance(value, (int, float, decimal.Decimal, str)):
            d = as_decimal(value)
            return d is not None and d == as_decimal(raw)
        return False
    if isinstance(raw, str):
        if isinstance(value, str):
            return value == raw
        if isinstance(value, bool):
            return raw.lower() == str(value).lower()
        if isinstance(value, (int, float, decimal.Decimal)):
            d = as_decimal(raw)
            return d is not None and d == as_decimal(value)
    return False


def parse_time(text):
    from dateutil.parser import parse

    return parse(text if text.endswith("Z") else text + "Z")


class Comparison:
    """What the SDK lost of one answer, and how its types differ (notes)."""

    def __init__(self):
        self.lost = []
        self.notes = []
        self.leaves = 0

    def value(self, raw, value, typ, path):
        if raw is None:
            if value is not None:
                self.lost.append(f"{path}: null read as {short(value)}")
            return
        if value is None:
            self.lost.append(f"{path}: {short(raw)} read as nothing (SDK type {typ})")
            return
        if typ.startswith("list["):
            inner = typ[len("list["):-1]
            if not isinstance(raw, list):
                self.lost.append(f"{path}: {short(raw)} is not a list, the SDK declares {typ}")
            elif not isinstance(value, list) or len(value) != len(raw):
                self.lost.append(f"{path}: {len(raw)} items read as {short(value)}")
            else:
                for i, (r, v) in enumerate(zip(raw, value)):
                    self.value(r, v, inner, f"{path}[{i}]")
            return
        if typ.startswith("dict("):
            inner = re.match(r"dict\(([^,]*), (.*)\)", typ).group(2)
            if not isinstance(raw, dict) or not isinstance(value, dict):
                self.lost.append(f"{path}: {short(raw)} read as {short(value)} (SDK type {typ})")
                return
            for k, r in raw.items():
                if k not in value:
                    self.lost.append(f"{path}.{k}: missing from the SDK's map")
                else:
                    self.value(r, value[k], inner, f"{path}.{k}")
            return
        if typ == "object":
            self.leaves += 1
            if json.dumps(raw, sort_keys=True, default=str) != json.dumps(value, sort_keys=True, default=str):
                self.lost.append(f"{path}: {short(raw)} read as {short(value)}")
            return
        if typ in ("datetime", "date"):
            self.leaves += 1
            try:
                want = parse_time(raw) if isinstance(raw, str) else None
                if typ == "date" and want is not None:
                    want = want.date()
            except (ValueError, OverflowError):
                want = None
            if want is None or want != value:
                self.lost.append(f"{path}: {short(raw)} read as {value!r} (SDK type {typ})")
            return
        if typ in SCALARS:
            self.leaves += 1
            if isinstance(raw, (dict, list)):
                self.lost.append(f"{path}: {short(raw)} flattened into {typ} {short(value)}")
            elif not same_scalar(raw, value):
                self.lost.append(f"{path}: {short(raw)} read as {value!r} (SDK type {typ})")
            elif type(raw).__name__ != type(value).__name__ and not (
                isinstance(raw, str) and isinstance(value, str)
            ):
                self.notes.append(f"{path}: {type(raw).__name__} {short(raw)} read as {typ} {value!r}")
            return
        if typ == "file":
            self.lost.append(f"{path}: an answer member the SDK types as a file")
            return
        klass = getattr(osm, typ, None)
        if klass is None:
            self.lost.append(f"{path}: the SDK names an unknown type {typ}")
            return
        self.model(raw, value, klass, path)

    def model(self, raw, value, klass, path):
        name = klass.__name__
        if not isinstance(raw, dict):
            self.lost.append(f"{path}: {short(raw)} is not an object, the SDK expects {name}")
            return
        if not isinstance(value, klass):
            self.lost.append(f"{path}: read as {type(value).__name__}, not the SDK's {name}")
            return
        by_wire = {wire: attr for attr, wire in klass.attribute_map.items()}
        for key, member in raw.items():
            attr = by_wire.get(key)
            where = f"{path}.{key}" if path else key
            if attr is None:
                self.lost.append(f"{where}: {short(member)} has no place in the SDK's {name}")
                continue
            self.value(member, getattr(value, attr), klass.openapi_types[attr], where)


def compare(raw_body, response):
    """Compares the raw JSON answer with the SDK's response object."""
    c = Comparison()
    try:
        raw = json.loads(raw_body.decode("utf-8"), parse_float=decimal.Decimal)
    except (UnicodeDecodeError, ValueError) as e:
        c.lost.append(f"the answer is not JSON ({e}): {raw_body[:80]!r}")
        return c
    c.model(raw, response, type(response), "")
    try:
        response.to_dict()
    except Exception as e:  # noqa: BLE001 — any failure of to_dict() is a finding
        c.lost.append(f"to_dict() failed: {type(e).__name__}: {e}")
    return c


# ---------------------------------------------------------------------------------------
# The run.


class NotServed(Exception):
    pass


class Run:
    def __init__(self, args):
        self.args = args
        self.wire = Wire()
        config = HttpConfig.get_default_config()
        config.timeout = (args.connect_timeout, args.read_timeout)
        config.retry_times = 0
        handler = HttpHandler().add_response_handler(self.wire.handler)
        self.client = (
            OsmClient.new_builder()
            .with_credentials(GlobalCredentials(args.ak, args.sk))
            .with_endpoints([args.endpoint])
            .with_http_config(config)
            .with_http_handler(handler)
            .build()
        )
        self.failed = []
        self.skipped = []
        self.called = set()
        self.notes = set()

    def report(self, status, op, context, detail=None):
        label = f"{op} ({context})" if context else op
        line = f"{status} {label}" + (f": {detail}" if detail else "")
        print(line, flush=True)
        if status == "FAIL":
            self.failed.append(label)

    def call(self, op, request, context="", nonempty=(), served_required=True, empty=False):
        """Calls `op` with `request` and compares; returns the response, or None if there is none.

        `empty`: the spec documents an empty object as the answer, so `{}` is the answer to
        expect (and anything else a failure)."""
        self.called.add(op)
        self.wire.last = None
        try:
            response = getattr(self.client, op)(request)
        except ServiceResponseException as e:
            if e.status_code == 501 and e.error_code == NOT_SERVED and not served_required:
                self.skipped.append(op)
                print(f"skip {op}: not served by the emulator yet", flush=True)
                raise NotServed(op) from None
            self.report("FAIL", op, context, f"HTTP {e.status_code} {e.error_code}: {e.error_msg}")
            return None
        except Exception as e:  # noqa: BLE001 — timeouts, connection errors, SDK bugs
            self.report("FAIL", op, context, f"{type(e).__name__}: {e}")
            return None
        if self.wire.last is None:
            self.report("FAIL", op, context, "the response handler saw no answer")
            return None
        method, url, status, body = self.wire.last
        if not 200 <= status < 300:
            self.report("FAIL", op, context, f"HTTP {status} without an SDK exception")
            return None
        c = compare(body, response)
        for path in nonempty:
            if not getattr(response, path, None):
                c.lost.append(f"{path}: empty, so nothing to compare")
        if empty:
            try:
                if json.loads(body) != {}:
                    c.lost.append(f"expected the documented empty answer, got {body[:80]!r}")
            except ValueError:
                c.lost.append(f"the answer is not JSON: {body[:80]!r}")
            if not c.lost:
                self.report("ok", op, context, "the documented empty answer")
                return response
        elif c.leaves == 0:
            c.lost.append(f"nothing to compare in the answer {body[:80]!r}")
        for n in c.notes:
            self.notes.add(f"note {op}: {re.sub(r'[[][0-9]+[]]', '[]', n)}")
        if c.lost:
            self.report("FAIL", op, context, "; ".join(c.lost[:8]) + (" ..." if len(c.lost) > 8 else ""))
            # What the SDK did read still feeds the later calls.
            return response
        self.report("ok", op, context, f"{c.leaves} values compared")
        return response

    def expect_refusal(self, op, request, context, status, code, mentions):
        """Calls `op`, which must be refused with `status` and `code`, naming `mentions`."""
        self.called.add(op)
        try:
            getattr(self.client, op)(request)
        except ServiceResponseException as e:
            if e.status_code == status and e.error_code == code and mentions in (e.error_msg or ""):
                if e.request_id:
                    self.report("ok", op, context, f"refused, HTTP {status} {code}, request id {e.request_id}")
                else:
                    self.report("FAIL", op, context, "refused, but the SDK found no X-Request-Id")
            else:
                self.report(
                    "FAIL", op, context,
                    f"expected HTTP {status} {code} naming {mentions}, got HTTP {e.status_code} "
                    f"{e.error_code}: {e.error_msg}",
                )
            return
        except Exception as e:  # noqa: BLE001
            self.report("FAIL", op, context, f"{type(e).__name__}: {e}")
            return
        self.report("FAIL", op, context, f"accepted, expected HTTP {status} {code}")

    def admin(self, route):
        """GET /__emulator/<route>: (status, JSON or None)."""
        url = self.args.endpoint.rstrip("/") + "/__emulator/" + route
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=self.args.read_timeout) as r:
                return r.status, json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            return e.code, None


def first(items, what, pred=lambda _: True):
    for i in items or []:
        if pred(i):
            return i
    raise LookupError(f"no {what} in the answer")


def lookups(run, lang):
    """The ten look-ups and two creates in one language; returns the ids of the tickets."""
    if lang:
        hdr = dict(x_language=lang, x_site=1, x_time_zone="GMT+08:00")
        ctx = lang
    else:
        hdr = {}
        ctx = "defaults, zh-cn"
    c = run.call("list_case_categories", osm.ListCaseCategoriesRequest(**hdr), ctx, ["incident_sub_type_list"])
    run.call("list_product_categories", osm.ListProductCategoriesRequest(**hdr), ctx,
             ["incident_product_category_list"])
    run.call("list_product_categories", osm.ListProductCategoriesRequest(product_category_name="ECS", **hdr),
             f"{ctx}, product_category_name=ECS", ["incident_product_category_list"])
    run.call("list_problem_types", osm.ListProblemTypesRequest(**hdr), ctx, ["incident_business_type_list"])
    if c is None:
        raise LookupError("no ticket categories to take ids from")
    sub = first(c.incident_sub_type_list, "ticket category", lambda s: s.incident_product_category_list)
    product = sub.incident_product_category_list[0].incident_product_category_id
    sub_id = sub.incident_sub_type_id
    p = run.call("list_problem_types", osm.ListProblemTypesRequest(product_category_id=product, **hdr),
                 f"{ctx}, product_category_id", ["incident_business_type_list"])
    if p is None:
        raise LookupError("no problem types to take ids from")
    types = p.incident_business_type_list
    consultation = first(types, "consultation problem type (case_type 0)", lambda t: t.case_type == "0")
    fault = first(types, "fault problem type (case_type 5)", lambda t: t.case_type == "5")
    severities = {}
    for kind, t in (("consultation", consultation), ("fault", fault)):
        s = run.call("list_severities",
                     osm.ListSeveritiesRequest(product_category_id=product, business_type_id=t.business_type_id,
                                               **hdr), f"{ctx}, {kind}", ["severity_list"])
        severities[kind] = s.severity_list[0].severity_id if s and s.severity_list else None
    r = run.call("list_regions", osm.ListRegionsRequest(**hdr), ctx, ["data_center_list"])
    run.call("list_area_codes", osm.ListAreaCodesRequest(**hdr), ctx, ["area_code_list"])
    # Every product category of the ticket category: extra fields differ between them.
    for i, pc in enumerate(sub.incident_product_category_list):
        run.call("list_extends_params",
                 osm.ListExtendsParamsRequest(business_type_id=fault.business_type_id, incident_sub_type_id=sub_id,
                                              product_category_id=pc.incident_product_category_id, **hdr),
                 f"{ctx}, product category {i + 1}", ["extends_params"])
    run.call("list_case_templates", osm.ListCaseTemplatesRequest(business_type_id=fault.business_type_id, **hdr),
             ctx, ["incident_template_list"])
    run.call("list_case_limits", osm.ListCaseLimitsRequest(**hdr), ctx, ["config"])
    run.call("list_case_quotas",
             osm.ListCaseQuotasRequest(business_type_id=fault.business_type_id, product_category_id=product, **hdr),
             ctx)

    region = first(r.data_center_list, "region").region_id if r else "ap-southeast-3"
    sent = {}
    for kind, t, region_id in (("consultation", consultation, None), ("fault", fault, region)):
        body = osm.CreateOrderIncidentV2Req(
            incident_sub_type_id=sub_id,
            product_category_id=product,
            business_type_id=t.business_type_id,
            region_id=region_id,
            simple_description=f"interop: {kind} ticket opened by the vendor's Python SDK",
            source_id=SOURCE_ID,
            severity_id=severities[kind],
        )
        created = run.call("create_cases", osm.CreateCasesRequest(body=body, **hdr), f"{ctx}, {kind}")
        if created is not None:
            if created.incident_id:
                sent[created.incident_id] = (body, hdr)
            else:
                run.report("FAIL", "create_cases", f"{ctx}, {kind}", "no incident_id in the answer")
    body = osm.CreateOrderIncidentV2Req(
        business_type_id=fault.business_type_id,
        simple_description="interop: a fault ticket without a region",
        source_id=SOURCE_ID,
    )
    run.expect_refusal("create_cases", osm.CreateCasesRequest(body=body, **hdr), f"{ctx}, fault without region_id",
                       400, "OSM.0001", "region_id")
    return sent


def recorded(run, sent):
    """The emulator recorded each ticket as the SDK sent it."""
    status, answer = run.admin("tickets")
    if status != 200 or not isinstance(answer, dict):
        run.report("FAIL", "recorded tickets", "", f"GET /__emulator/tickets answered {status}")
        return
    tickets = {t.get("incident_id"): t for t in answer.get("tickets", [])}
    for incident_id, (body, hdr) in sent.items():
        t = tickets.get(incident_id)
        if t is None:
            run.report("FAIL", "recorded tickets", incident_id, "the emulator holds no such ticket")
            continue
        want = {k: v for k, v in body.to_dict().items() if v is not None}
        got = t.get("body", {})
        diff = [f"{k}: sent {short(v)}, recorded {short(got.get(k))}" for k, v in want.items() if got.get(k) != v]
        diff += [f"{k}: recorded but not sent" for k in got if k not in want]
        headers = {k.lower(): v for k, v in t.get("headers", {}).items()}
        for attr, name in (("x_language", "x-language"), ("x_site", "x-site"), ("x_time_zone", "x-time-zone")):
            if attr in hdr and headers.get(name) != str(hdr[attr]):
                diff.append(f"header {name}: sent {hdr[attr]!r}, recorded {headers.get(name)!r}")
            if attr not in hdr and name in headers:
                diff.append(f"header {name}: not sent, recorded {headers[name]!r}")
        if diff:
            run.report("FAIL", "recorded tickets", incident_id, "; ".join(diff))
        else:
            run.report("ok", "recorded tickets", incident_id, f"{len(want)} members and the headers as sent")


def labels(run, incident_id):
    """The seven label operations: a label created, found by its name (create_labels
    answers no id), renamed, put on the ticket, read back through list_case_labels and
    list_cases' label_id_list filter, taken off; a second one deleted. One label stays on
    the ticket, so that the follow-ups' list_cases reads a label_list too."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    run.call("create_labels", osm.CreateLabelsRequest(
        body=osm.CreateLabelsReq(name="interop-kept", color="#112233"), **hdr), ctx, empty=True)
    run.call("create_labels", osm.CreateLabelsRequest(
        body=osm.CreateLabelsReq(name="interop-gone", color="#445566"), **hdr), "a second label", empty=True)
    found = run.call("list_labels", osm.ListLabelsRequest(name="interop", offset=0, limit=10, **hdr), ctx,
                     nonempty=("label_list",))
    ids = {l.name: l.label_id for l in getattr(found, "label_list", None) or []}
    kept, gone = ids.get("interop-kept"), ids.get("interop-gone")
    if kept is None or gone is None:
        run.report("FAIL", "list_labels", ctx, f"the two labels created are not listed by name: {ids}")
        return
    run.call("update_labels", osm.UpdateLabelsRequest(
        label_id=kept, body=osm.UpdateLabelsReq(name="interop-kept", color="#000000"), **hdr), ctx, empty=True)
    run.call("create_case_labels", osm.CreateCaseLabelsRequest(
        case_id=incident_id, label_ids=[kept, gone], **hdr), ctx, empty=True)
    on = run.call("list_case_labels", osm.ListCaseLabelsRequest(case_id=incident_id, **hdr), ctx,
                  nonempty=("case_label_list",))
    got = sorted(l.label_id for l in getattr(on, "case_label_list", None) or [])
    if got != sorted([kept, gone]):
        run.report("FAIL", "create_case_labels", ctx, f"the ticket carries {got}, expected {[kept, gone]}")
    listed = run.call("list_cases", osm.ListCasesRequest(label_id_list=[str(gone)], **hdr), "label_id_list",
                      nonempty=("incident_info_list",))
    if listed is not None and [c.incident_id for c in listed.incident_info_list or []] != [incident_id]:
        run.report("FAIL", "list_cases", "label_id_list", "the labelled ticket is not the one listed")
    run.call("delete_case_labels", osm.DeleteCaseLabelsRequest(
        case_id=incident_id, label_ids=[gone], **hdr), ctx, empty=True)
    run.call("delete_labels", osm.DeleteLabelsRequest(label_id=gone, **hdr), ctx, empty=True)
    after = run.call("list_labels", osm.ListLabelsRequest(**hdr), "after delete_labels", nonempty=("label_list",))
    left = [l.label_id for l in getattr(after, "label_list", None) or []]
    if gone in left or kept not in left:
        run.report("FAIL", "delete_labels", ctx, f"labels left: {left}")


def diagnosis(run):
    """The six diagnosis operations (the /v2.0 paths, no X-Language/X-Site headers): a job
    started, shown, its problem check read back by id, found among the records of its
    type; the machines a diagnosis can look at; feedback given."""
    ctx = "no headers"
    started = run.call("create_diagnose_job", osm.CreateDiagnoseJobRequest(body=osm.SubmitDiagnoseJobReq(
        type=1, params={"eip": "203.0.113.7"}, region_id="cn-north-4")), ctx)
    job_id = getattr(started, "job_id", None)
    if not job_id:
        run.report("FAIL", "create_diagnose_job", ctx, "no job_id in the answer")
        return
    job = run.call("list_diagnose_job", osm.ListDiagnoseJobRequest(job_id=job_id), ctx,
                   nonempty=("items_result",))
    problems = [c.check_id for c in getattr(job, "items_result", None) or [] if c.problem_level == 4]
    if job is not None and str(job.job_id) != job_id:
        run.report("FAIL", "list_diagnose_job", ctx, f"job {job.job_id} shown for {job_id}")
    run.call("list_diagnose_items", osm.ListDiagnoseItemsRequest(body=osm.QueryDiagnoseItemsReq(
        job_id=job_id, item_ids=",".join(problems) or None)), ctx, nonempty=("item_results",))
    run.call("list_diagnose_resources", osm.ListDiagnoseResourcesRequest(body=osm.QueryTscDiagnoseResourcesReq(
        project_id="interop-project", region="cn-north-4")), ctx, nonempty=("result",))
    records = run.call("list_diagnose_records", osm.ListDiagnoseRecordsRequest(page_size=10, page_no=1, type=1), ctx,
                       nonempty=("records",))
    if records is not None and job_id not in [r.job_id for r in records.records or []]:
        run.report("FAIL", "list_diagnose_records", ctx, f"job {job_id} is not among the records")
    run.call("create_diagnose_feedback", osm.CreateDiagnoseFeedbackRequest(body=osm.CreateFeedbackReq(
        type=1, content="interop: the diagnosis helped", is_helpful=True)), ctx, empty=True)


def authorizations(run):
    """The nine authorization operations: support (the emulator's admin route) asks the
    SDK's account (its access key: the SDK sends no X-Domain-Id) for two hosts; the
    authorization is listed pending, read in detail, a host's login checked, granted with
    a host's login, and shown granted; support's session (the admin route) listed with
    its commands and file transfers; the login type; a second authorization rejected and
    shown so."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    status, asked = admin_post(run, "authorizations", {
        "account": run.args.ak, "incident_id": "interop-ticket", "simple_description": "interop: disk full",
        "hosts": [{"instance_name": "db-01", "port": 22, "account": "root"},
                  {"instance_name": "db-02", "port": 2222, "account": "admin"}]})
    if status != 200:
        run.report("FAIL", "authorizations", ctx, f"POST /__emulator/authorizations answered {status}")
        return
    auth_id, details = asked["id"], asked["detail_ids"]
    listed = run.call("list_authorizations", osm.ListAuthorizationsRequest(status=0, offset=0, limit=10, **hdr),
                      "pending", nonempty=("incident_auth_list",))
    if listed is not None and auth_id not in [a.id for a in listed.incident_auth_list or []]:
        run.report("FAIL", "list_authorizations", "pending", f"authorization {auth_id} is not listed pending")
    run.call("show_authorization_detail", osm.ShowAuthorizationDetailRequest(authorization_id=auth_id, **hdr),
             "pending", nonempty=("incident_auth_detail_list",))
    run.call("check_hosts", osm.CheckHostsRequest(authorization_detail_id=details[1], body=osm.VerifyHostV2Req(
        port=2222, account="admin", password="interop-host-password"), **hdr), ctx, empty=True)
    run.call("confirm_authorizations", osm.ConfirmAuthorizationsRequest(
        authorization_id=auth_id, body=osm.AgreeTenantAuthorizationV2Req(auth_detail_list=[
            osm.TenantAgreeAuthDetailV2(auth_detail_id=details[0], port=2200, account="support",
                                        password="interop-host-password")]), **hdr), ctx, empty=True)
    shown = run.call("show_authorization_detail", osm.ShowAuthorizationDetailRequest(
        authorization_id=auth_id, **hdr), "granted", nonempty=("incident_auth_detail_list", "auth_expire_time"))
    if shown is not None and (shown.status != 1 or shown.incident_auth_detail_list[0].port != 2200):
        run.report("FAIL", "confirm_authorizations", ctx, f"shown in state {shown.status} after the grant")
    granted = run.call("list_authorizations", osm.ListAuthorizationsRequest(incident_id="interop-ticket", **hdr),
                       "granted", nonempty=("incident_auth_list",))
    if granted is not None and [a.status for a in granted.incident_auth_list or []] != [1]:
        run.report("FAIL", "list_authorizations", "granted", "the grant is not listed in state 1")
    status, held = admin_post(run, f"authorizations/{auth_id}/sessions", {
        "detail_id": details[0], "commands": ["df -h", "tail /var/log/messages"], "seconds": 600,
        "files": [{"file_name": "messages", "operate_type": "download", "from_path": "/var/log/messages",
                   "to_path": "support-desk/messages", "file_size": "12K"}]})
    if status != 200:
        run.report("FAIL", "authorizations", ctx, f"POST /__emulator/authorizations/.../sessions answered {status}")
        return
    session = held["session_id"]
    sessions = run.call("list_history_sessions", osm.ListHistorySessionsRequest(
        authorization_id=auth_id, authorization_detail_id=details[0], offset=0, limit=10, **hdr), ctx,
        nonempty=("session_list",))
    if sessions is not None and [x.session_id for x in sessions.session_list or []] != [session]:
        run.report("FAIL", "list_history_sessions", ctx, f"session {session} is not the one listed")
    logs = run.call("list_history_operate_logs", osm.ListHistoryOperateLogsRequest(
        authorization_id=auth_id, authorization_detail_id=details[0], session_id=session, sort=1, **hdr), ctx,
        nonempty=("ops_list",))
    if logs is not None and [o.oper for o in logs.ops_list or []] != ["df -h", "tail /var/log/messages"]:
        run.report("FAIL", "list_history_operate_logs", ctx, "the commands are not listed oldest first")
    run.call("list_transport_histories", osm.ListTransportHistoriesRequest(
        authorization_id=auth_id, authorization_detail_id=details[0], session_id=session, **hdr), ctx,
        nonempty=("file_ops_list",))
    run.call("show_login_type", osm.ShowLoginTypeRequest(x_language="en-us"), ctx, nonempty=("login_type",))
    status, other = admin_post(run, "authorizations", {"account": run.args.ak, "incident_id": "interop-ticket-2"})
    if status != 200:
        run.report("FAIL", "authorizations", ctx, f"POST /__emulator/authorizations answered {status}")
        return
    run.call("update_authorizations", osm.UpdateAuthorizationsRequest(
        authorization_id=other["id"], action_id="reject",
        body=osm.OperateAuthorizationV2Req(reject_reason="interop: not now"), **hdr), "reject", empty=True)
    rejected = run.call("show_authorization_detail", osm.ShowAuthorizationDetailRequest(
        authorization_id=other["id"], **hdr), "rejected", nonempty=("reject_reason",))
    if rejected is not None and rejected.status != 2:
        run.report("FAIL", "update_authorizations", "reject", f"shown in state {rejected.status}")


def privileges(run):
    """The six privilege operations: a privilege granted, then answered held; withdrawn,
    then answered not held; the restriction switch; the sub-users, one of them found by its
    id; the agencies; the regions associated with the caller."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"

    def held(context):
        answer = run.call("list_privileges", osm.ListPrivilegesRequest(privilege="export", **hdr), context)
        return getattr(answer, "has_privilege", None)

    run.call("create_privileges", osm.CreatePrivilegesRequest(body=osm.CreateAndDeletePrivilegeReq(
        operation="create", privilege="export"), **hdr), "create", empty=True)
    if held("after create") != 1:
        run.report("FAIL", "create_privileges", ctx, "the privilege granted is not held")
    run.call("create_privileges", osm.CreatePrivilegesRequest(body=osm.CreateAndDeletePrivilegeReq(
        operation="delete", privilege="export"), **hdr), "delete", empty=True)
    if held("after delete") != 0:
        run.report("FAIL", "create_privileges", ctx, "the privilege withdrawn is still held")
    run.call("show_customer_privilege_policy", osm.ShowCustomerPrivilegePolicyRequest(**hdr), ctx)
    users = run.call("list_sub_customers", osm.ListSubCustomersRequest(**hdr), ctx, nonempty=("sub_customer_infos",))
    ids = [u.customer_id for u in getattr(users, "sub_customer_infos", None) or []]
    if ids:
        one = run.call("list_sub_customers", osm.ListSubCustomersRequest(sub_customer_id=ids[0], **hdr), "by id",
                       nonempty=("sub_customer_infos",))
        if one is not None and [u.customer_id for u in one.sub_customer_infos or []] != ids[:1]:
            run.report("FAIL", "list_sub_customers", "by id", f"expected only {ids[0]}")
    run.call("list_agencies", osm.ListAgenciesRequest(**hdr), ctx, nonempty=("agency_list",))
    regions = run.call("list_customers_regions", osm.ListCustomersRegionsRequest(**hdr), ctx,
                       nonempty=("region_infos",))
    if regions is not None and regions.count != len(regions.region_infos or []):
        run.report("FAIL", "list_customers_regions", ctx, f"count {regions.count} for {len(regions.region_infos or [])}")


def agreements(run):
    """The three agreement operations and show_configuration: the latest authorisation
    agreement, not signed, then signed by its id and answered signed; a configuration item
    read by its key."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    latest = run.call("show_latest_published_agreement", osm.ShowLatestPublishedAgreementRequest(
        agreement_type="2", **hdr), ctx, nonempty=("case_agreement",))
    agreement = getattr(latest, "case_agreement", None)
    if agreement is None or not agreement.id:
        run.report("FAIL", "show_latest_published_agreement", ctx, "no agreement id to sign")
        return
    before = run.call("show_signed_latest_published_agreement", osm.ShowSignedLatestPublishedAgreementRequest(
        agreement_type="2", **hdr), "before signing")
    if before is not None and before.is_signed_latest is not False:
        run.report("FAIL", "show_signed_latest_published_agreement", ctx, "signed before sign_published_agreement")
    run.call("sign_published_agreement", osm.SignPublishedAgreementRequest(
        id=int(agreement.id), body=osm.SignAgreementReq(relation_id="interop-relation"), **hdr), ctx)
    after = run.call("show_signed_latest_published_agreement", osm.ShowSignedLatestPublishedAgreementRequest(
        agreement_type="2", **hdr), "after signing")
    if after is not None and after.is_signed_latest is not True:
        run.report("FAIL", "sign_published_agreement", ctx, "the agreement signed is not answered signed")
    item = run.call("show_configuration", osm.ShowConfigurationRequest(config_key="case_cc_email_max_count"),
                    "no headers")
    if item is not None and item.config_key != "case_cc_email_max_count":
        run.report("FAIL", "show_configuration", "no headers", f"answered the key {item.config_key!r}")


def partners(run):
    """The two partner operations."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    run.call("show_partners_cases_privilege", osm.ShowPartnersCasesPrivilegeRequest(**hdr), ctx)
    run.call("show_partners_service_info", osm.ShowPartnersServiceInfoRequest(
        case_sub_type_id="interop-sub-type", product_id="interop-product", **hdr), ctx,
        nonempty=("partners_service_info",))


def follow_ups(run, incident_id):
    """Follow-up, attachment and verification operations; 501 ones are skipped."""
    hdr = dict(x_language="en-us", x_site=1)

    def attempt(op, request, nonempty=(), empty=False):
        try:
            return run.call(op, request, "en-us", nonempty, served_required=False, empty=empty)
        except NotServed:
            return None

    attempt("list_cases", osm.ListCasesRequest(incident_id=incident_id, offset=0, limit=10, **hdr))
    attempt("show_case_detail", osm.ShowCaseDetailRequest(case_id=incident_id, **hdr))
    attempt("show_case_status", osm.ShowCaseStatusRequest(case_id=incident_id, **hdr))
    message = osm.CreateMessageV2Req(message=osm.CreateMessageDoV2(content="interop: a reply from the SDK"))
    attempt("create_messages", osm.CreateMessagesRequest(case_id=incident_id, body=message, **hdr))
    attempt("list_messages", osm.ListMessagesRequest(case_id=incident_id, offset=0, limit=10, **hdr))

    attempt("show_accessory_limits", osm.ShowAccessoryLimitsRequest(**hdr))
    data = base64.b64encode(b"interop: a log line from the vendor's SDK\n").decode("ascii")
    up = attempt("upload_json_accessories", osm.UploadJsonAccessoriesRequest(
        body=osm.AccessoryJsonFormatReq(accessory_name="interop.log", accessory_from="incident", upload_type=0,
                                        accessory_data=data), **hdr))
    # The SDK's FormFile wants a file opened in "rb" mode, so the form's file is written
    # to a scratch directory of this run and removed with it.
    with tempfile.TemporaryDirectory(prefix="osm-interop-") as scratch:
        path = os.path.join(scratch, "interop-form.log")
        with open(path, "wb") as f:
            f.write(b"interop: a multipart upload from the vendor's SDK\n")
        with open(path, "rb") as f:
            # The eu page's example keys; the spec keeps the part an opaque string.
            form_data = json.dumps({"accessoryFrom": "incident", "fileName": "interop-form.log", "uploadType": 0})
            form = osm.UploadAccessoryRequestBody(file=FormFile(f), form_data=form_data)
            attempt("upload_accessory", osm.UploadAccessoryRequest(body=form, **hdr))
    accessory_id = getattr(up, "accessory_id", None) or "interop-no-such-attachment"
    same_bytes(run, "download_accessories", osm.DownloadAccessoriesRequest(accessory_id=accessory_id, **hdr),
               b"interop: a log line from the vendor's SDK\n", "the file as uploaded")
    attachments_out(run, attempt, incident_id, accessory_id, hdr)
    attempt("delete_accessories", osm.DeleteAccessoriesRequest(accessory_id=accessory_id, **hdr), empty=True)

    contact = dict(contact_value="oncall@example.com", contact_way=1, area_code="86")
    attempt("check_need_verify", osm.CheckNeedVerifyRequest(**contact, **hdr))
    sent = attempt("send_verify_codes", osm.SendVerifyCodesRequest(body=osm.SendVerifyCodeReq(**contact), **hdr), empty=True)
    code = "000000"
    if sent is not None:
        status, codes = run.admin("verification-codes")
        mine = [c for c in codes or [] if isinstance(c, dict) and c.get("contact_value") == contact["contact_value"]]
        if status == 200 and mine:
            code = str(mine[-1].get("verify_code"))
        else:
            run.report("FAIL", "send_verify_codes", "en-us",
                       f"GET /__emulator/verification-codes answered {status} without a code for the contact")
    attempt("check_verify_codes", osm.CheckVerifyCodesRequest(
        body=osm.VerifyVerifyCodeV2Req(verify_code=code, **contact), **hdr), empty=True)
    attempt("list_has_verified_contacts", osm.ListHasVerifiedContactsRequest(contact_way=1, **hdr))
    attempt("update_cases", osm.UpdateCasesRequest(case_id=incident_id, action_id="cancel", **hdr))


def life(run, incident_ids):
    """A ticket's life: counts, contact details shown back in the detail, extra fields,
    relations created, listed and undone, a rating of a closed ticket (once: a second one
    is a business error), the operation log of it all, the copied addresses, the export
    (a workbook holding the tickets asked for) and a report of abuse."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    if len(incident_ids) < 3:
        run.report("FAIL", "life", ctx, f"three tickets needed, {len(incident_ids)} opened")
        return
    a, b, c = incident_ids[:3]
    counts = run.call("list_case_counts", osm.ListCaseCountsRequest(**hdr), ctx, nonempty=("incident_status_counts",))
    if counts is not None and sum(x.count for x in counts.incident_status_counts or []) < 3:
        run.report("FAIL", "list_case_counts", ctx, "fewer tickets counted than were opened")
    run.call("list_case_counts", osm.ListCaseCountsRequest(status=0, **hdr), "status=0",
             nonempty=("incident_status_counts",))

    run.call("update_case_contact_info", osm.UpdateCaseContactInfoRequest(
        case_id=a, body=osm.UpdateCaseContactInfoReq(remind_mail="interop@example.com", remind_time="09:00-18:00"),
        **hdr), ctx, empty=True)
    shown = run.call("show_case_detail", osm.ShowCaseDetailRequest(case_id=a, **hdr), "after update_case_contact_info")
    ext = getattr(getattr(shown, "incident_detail_info", None), "ext_info", None)
    if shown is not None and getattr(ext, "remind_mail", None) != "interop@example.com":
        run.report("FAIL", "update_case_contact_info", ctx, "show_case_detail does not show the new address")

    run.call("create_case_extends_param", osm.CreateCaseExtendsParamRequest(
        case_id=a, body=osm.PutCaseExtParamReq(extends_map={"instance_id": "i-interop"}), **hdr), ctx, empty=True)
    run.call("show_case_extends_param", osm.ShowCaseExtendsParamRequest(case_id=a, **hdr), ctx, empty=True)

    run.call("create_relations", osm.CreateRelationsRequest(
        case_id=a, body=osm.CreateRelationsReq(related_id_list=[b, c]), **hdr), ctx, empty=True)
    rel = run.call("list_relation", osm.ListRelationRequest(case_id=a, **hdr), ctx, nonempty=("case_relation_list",))
    got = [r.case_id for r in getattr(rel, "case_relation_list", None) or []]
    if rel is not None and got != [b, c]:
        run.report("FAIL", "create_relations", ctx, f"related {got}, expected {[b, c]}")
    run.call("delete_relation", osm.DeleteRelationRequest(
        case_id=a, body=osm.DeleteRelationsReq(related_id=c), **hdr), ctx, empty=True)
    rel = run.call("list_relation", osm.ListRelationRequest(case_id=a, **hdr), "after delete_relation",
                   nonempty=("case_relation_list",))
    got = [r.case_id for r in getattr(rel, "case_relation_list", None) or []]
    if rel is not None and got != [b]:
        run.report("FAIL", "delete_relation", ctx, f"related {got}, expected {[b]}")

    dims = run.call("list_satisfaction_dimensions", osm.ListSatisfactionDimensionsRequest(**hdr), ctx,
                    nonempty=("satisfaction_dimension_list",))
    dim = (getattr(dims, "satisfaction_dimension_list", None) or [None])[0]
    run.call("update_cases", osm.UpdateCasesRequest(case_id=b, action_id="close", **hdr), "close before rating")
    if dim is not None:
        rating = osm.CreateScoreV2Req(judgement="interop: solved", incident_satisfaction_list=[
            osm.IncidentSatisfactionV2Do(satisfaction_id=dim.satisfaction_id, satisfaction_value=dim.value)])
        run.call("create_scores", osm.CreateScoresRequest(case_id=b, body=rating, **hdr), ctx, empty=True)
        shown = run.call("show_case_detail", osm.ShowCaseDetailRequest(case_id=b, **hdr), "after create_scores")
        info = getattr(shown, "incident_detail_info", None)
        if shown is not None and (getattr(info, "judgement", None) != "interop: solved"
                                  or not getattr(info, "incident_satisfaction", None)):
            run.report("FAIL", "create_scores", ctx, "show_case_detail does not show the rating")
        # A second rating: the service's business error in a 200, which the SDK hands back.
        try:
            again = run.client.create_scores(osm.CreateScoresRequest(case_id=b, body=rating, **hdr))
            if getattr(again, "error_code", None) == "OSM.01010001":
                run.report("ok", "create_scores", "a second rating", "refused, 200 OSM.01010001")
            else:
                run.report("FAIL", "create_scores", "a second rating", f"answered {again}")
        except Exception as e:  # noqa: BLE001
            run.report("FAIL", "create_scores", "a second rating", f"{type(e).__name__}: {e}")

    logs = run.call("list_case_operate_logs", osm.ListCaseOperateLogsRequest(case_id=b, offset=0, limit=10, **hdr),
                    ctx, nonempty=("incident_operate_log_list",))
    kinds = [entry.operate_type for entry in getattr(logs, "incident_operate_log_list", None) or []]
    if logs is not None and kinds != [0, 3, 5]:
        run.report("FAIL", "list_case_operate_logs", ctx, f"types {kinds}, expected opened, closed, rated [0, 3, 5]")
    run.call("list_case_cc_emails", osm.ListCaseCcEmailsRequest(**hdr), ctx)

    export(run, [a, b], c, hdr)

    data = base64.b64encode(b"interop: proof of the infringement\n").decode("ascii")
    up = run.call("upload_json_accessories", osm.UploadJsonAccessoriesRequest(
        body=osm.AccessoryJsonFormatReq(accessory_name="proof.txt", accessory_from="incident", upload_type=0,
                                        accessory_data=data), **hdr), "proof for create_feedback")
    proof = getattr(up, "accessory_id", None) or "interop-no-such-attachment"
    report = osm.CreateFeedbackV2Req(
        type="copyright", title="OBS;https://example.com/copy", content="interop: a copy of a book",
        files=[proof], contacts=osm.ContactWayInfoV2(name="Interop", mobile="+86 100", id_type=20, id_files=[proof]))
    run.call("create_feedback", osm.CreateFeedbackRequest(body=report), "", empty=True)


def export(run, wanted, other, hdr):
    """download_cases: a file (the spec's application/octet-stream) the SDK streams whole,
    a zip archive holding a workbook whose sheet lists the tickets asked for, and not the
    other one."""
    import io
    import zipfile

    op = "download_cases"
    got = streamed(run, op, osm.DownloadCasesRequest(
        language="en-us", timezone="GMT+8", incident_id=",".join(wanted), **hdr))
    if got is None:
        return
    try:
        with zipfile.ZipFile(io.BytesIO(got)) as z:
            bad = z.testzip()
            sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
            names = z.namelist()
    except Exception as e:  # noqa: BLE001 - a file that is no workbook is a finding
        run.report("FAIL", op, "en-us", f"{type(e).__name__}: {e}")
        return
    missing = [t for t in wanted if t not in sheet]
    if bad is not None or missing or other in sheet or "[Content_Types].xml" not in names:
        run.report("FAIL", op, "en-us", f"workbook of {names}: bad member {bad}, missing {missing}")
    else:
        run.report("ok", op, "en-us", f"{len(got)} bytes, a workbook listing the {len(wanted)} tickets asked for")

# The smallest PNG: one transparent pixel.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def attachments_out(run, attempt, incident_id, accessory_id, hdr):
    """The attachments a user reads back: the links of several attachments named by id
    (the one asked for listed, an unknown one left out), the link of one, and a picture's
    bytes through download_images (the SDK streams them whole)."""
    links = attempt("list_accessory_access_urls", osm.ListAccessoryAccessUrlsRequest(
        accessory_ids=[accessory_id, "interop-no-such-attachment"], **hdr), nonempty=("accessory_urls",))
    listed = [getattr(u, "accessory_id", None) for u in getattr(links, "accessory_urls", None) or []]
    if links is not None and listed != [accessory_id]:
        run.report("FAIL", "list_accessory_access_urls", "en-us", f"listed {listed}, expected [{accessory_id!r}]")
    attempt("show_download_accessory_url", osm.ShowDownloadAccessoryUrlRequest(
        accessory_id=accessory_id, relation_type="INCIDENT", incident_id=incident_id), nonempty=("accessory_url",))
    up = attempt("upload_json_accessories", osm.UploadJsonAccessoriesRequest(
        body=osm.AccessoryJsonFormatReq(accessory_name="interop.png", accessory_from="incident", upload_type=0,
                                        accessory_data=base64.b64encode(PNG).decode("ascii")), **hdr))
    image_id = getattr(up, "accessory_id", None) or "interop-no-such-attachment"
    same_bytes(run, "download_images", osm.DownloadImagesRequest(accessory_id=image_id, **hdr), PNG,
               "the picture as uploaded")


def order_incident(run, incident_ids):
    """The older query (camelCase query names and answer members, pages by number): one of
    the tickets by id, then a page of one ticket that still counts them all."""
    ctx = "no headers"
    if not incident_ids:
        run.report("FAIL", "list_order_incident", ctx, "no ticket to look for")
        return
    one = run.call("list_order_incident", osm.ListOrderIncidentRequest(incident_id=incident_ids[0]), ctx,
                   nonempty=("incident_info_list",))
    ids = [getattr(i, "incident_id", None) for i in getattr(one, "incident_info_list", None) or []]
    if one is not None and ids != [incident_ids[0]]:
        run.report("FAIL", "list_order_incident", ctx, f"listed {ids}, expected [{incident_ids[0]!r}]")
    page = run.call("list_order_incident", osm.ListOrderIncidentRequest(page_no=1, page_size=1), "a page of one",
                    nonempty=("incident_info_list",))
    listed = getattr(page, "incident_info_list", None) or []
    total = getattr(page, "total_count", None) or 0
    if page is not None and (len(listed) != 1 or total < len(incident_ids)):
        run.report("FAIL", "list_order_incident", "a page of one",
                   f"{len(listed)} listed of {total}, expected 1 of at least {len(incident_ids)}")


def streamed(run, op, request):
    """Calls `op`, whose answer is a file the SDK streams, and reads the stream whole: its
    bytes, or None after reporting why there are none."""
    run.called.add(op)
    try:
        response = getattr(run.client, op)(request)
        chunks = []
        response.consume_download_stream(lambda stream: chunks.extend(stream.iter_content(8192)))
        return b"".join(chunks)
    except ServiceResponseException as e:
        run.report("FAIL", op, "en-us", f"HTTP {e.status_code} {e.error_code}: {e.error_msg}")
    except Exception as e:  # noqa: BLE001 - any failure of the SDK is a finding
        run.report("FAIL", op, "en-us", f"{type(e).__name__}: {e}")
    return None


def same_bytes(run, op, request, want, what):
    """A file answer (a non-JSON media type in the spec): the SDK's stream hands back
    `want` whole."""
    got = streamed(run, op, request)
    if got is None:
        return
    if got == want:
        run.report("ok", op, "en-us", f"{len(got)} bytes, {what}")
    else:
        run.report("FAIL", op, "en-us", f"{len(got)} bytes differ from the {len(want)} of {what}")


def coverage(run, spec_operations):
    """Every spec operation was called, matched by the SDK's own method and path."""
    if not spec_operations:
        return
    spec = {}
    for line in spec_operations:
        method, path, op_id = line.split()
        spec[(method.upper(), path)] = op_id
    called = set()
    for op in sorted(run.called):
        info = getattr(OsmClient, f"_{op}_http_info", None)
        if info is None:
            continue
        request = getattr(osm, "".join(w.capitalize() for w in op.split("_")) + "Request")()
        http = info(request)
        key = (http["method"].upper(), http["resource_path"])
        if key not in spec:
            run.report("FAIL", "coverage", op, f"{key[0]} {key[1]} is not an operation of the spec")
        called.add(key)
    missing = [f"{op_id} ({m} {p})" for (m, p), op_id in spec.items() if (m, p) not in called]
    if missing:
        run.report("FAIL", "coverage", "", "spec operations the script never calls: " + ", ".join(missing))
    else:
        run.report("ok", "coverage", "", f"all {len(spec)} operations of the spec called")


def parity(run, spec_operations):
    """The spec against the vendor's SDK: every operation the SDK's OsmClient can call (its
    ``_<name>_http_info`` methods, asked for their HTTP method and path without sending
    anything) must be an operation of the spec, and every spec operation one of the SDK's,
    so that an operation the vendor adds is noticed."""
    if not spec_operations:
        return
    spec = {}
    for line in spec_operations:
        method, path, op_id = line.split()
        spec[(method.upper(), path)] = op_id
    sdk = {}
    for attr in sorted(dir(OsmClient)):
        if not (attr.startswith("_") and attr.endswith("_http_info")):
            continue
        name = attr[1:-len("_http_info")]
        request_class = getattr(osm, "".join(w.capitalize() for w in name.split("_")) + "Request", None)
        if request_class is None:
            run.report("FAIL", "parity", name, "the SDK has no request class for it")
            continue
        http = getattr(OsmClient, attr)(request_class())
        sdk[(http["method"].upper(), http["resource_path"])] = name
    not_in_spec = [f"{name} ({m} {p})" for (m, p), name in sorted(sdk.items(), key=lambda kv: kv[1])
                   if (m, p) not in spec]
    not_in_sdk = [f"{op_id} ({m} {p})" for (m, p), op_id in sorted(spec.items(), key=lambda kv: kv[1])
                  if (m, p) not in sdk]
    if not_in_spec:
        run.report("FAIL", "parity", "", f"{len(not_in_spec)} of the SDK's {len(sdk)} operations are not in the spec: "
                   + ", ".join(not_in_spec))
    if not_in_sdk:
        run.report("FAIL", "parity", "", "spec operations the SDK does not have: " + ", ".join(not_in_sdk))
    if not not_in_spec and not not_in_sdk:
        run.report("ok", "parity", "", f"the spec's {len(spec)} operations are the SDK's {len(sdk)}, method and path")


def admin_post(run, route, body):
    """POST /__emulator/<route> with a JSON body: (status, JSON or None)."""
    url = run.args.endpoint.rstrip("/") + "/__emulator/" + route
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with opener.open(request, timeout=run.args.read_timeout) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, None


def instant_messages(run, incident_id):
    """The five instant-message operations on one ticket: a message of the caller's and a
    reply of support's (the emulator's admin route plays support), the unread count, a
    poll and its cursor, the read mark, earlier history, and the caller's message
    withdrawn (its id from show_case_detail), then gone from list_messages."""
    hdr = dict(x_language="en-us", x_site=1)
    ctx = "en-us"
    mine = "interop: a message to withdraw"
    run.call("create_messages", osm.CreateMessagesRequest(
        case_id=incident_id, body=osm.CreateMessageV2Req(message=osm.CreateMessageDoV2(content=mine)), **hdr),
        "instant messages")
    status, _ = admin_post(run, f"tickets/{incident_id}/reply", {"content": "interop: support's reply"})
    if status != 200:
        run.report("FAIL", "instant messages", ctx, f"POST /__emulator/tickets/.../reply answered {status}")
    unread = run.call("list_unread_new_instant_messages", osm.ListUnreadNewInstantMessagesRequest(
        case_ids=[incident_id], **hdr), ctx, nonempty=("imunread",))
    counts = [u.unread_num for u in getattr(unread, "imunread", None) or []]
    if counts and counts[0] < 1:
        run.report("FAIL", "list_unread_new_instant_messages", ctx, f"support's reply is not unread: {counts}")
    polled = run.call("list_new_instant_messages", osm.ListNewInstantMessagesRequest(
        case_ids=[incident_id], **hdr), ctx, nonempty=("imstatus", "immsg", "last_message_time_id"))
    cursor = getattr(polled, "last_message_time_id", None) or "0"
    run.call("list_new_instant_messages", osm.ListNewInstantMessagesRequest(
        case_ids=[incident_id], last_message_time_id=cursor, **hdr), "with the cursor", nonempty=("imstatus",))
    run.call("update_new_instant_messages_read", osm.UpdateNewInstantMessagesReadRequest(
        case_id=incident_id, body=osm.UpdateUnreadNewInstantMsgV2Req(), **hdr), ctx, empty=True)
    after = run.call("list_unread_new_instant_messages", osm.ListUnreadNewInstantMessagesRequest(
        case_ids=[incident_id], **hdr), "after the read mark", nonempty=("imunread",))
    counts = [u.unread_num for u in getattr(after, "imunread", None) or []]
    if counts != [0]:
        run.report("FAIL", "update_new_instant_messages_read", ctx, f"unread after the mark: {counts}")
    run.call("list_more_instant_messages", osm.ListMoreInstantMessagesRequest(
        case_id=incident_id, create_time=cursor, type=1, limit=10, **hdr), ctx, nonempty=("message_list",))
    detail = run.call("show_case_detail", osm.ShowCaseDetailRequest(case_id=incident_id, **hdr), "instant messages")
    info = getattr(detail, "incident_detail_info", None)
    ids = [m.message_id for m in getattr(info, "message_list", None) or [] if m.content == mine]
    if not ids:
        run.report("FAIL", "revoke_message", ctx, "show_case_detail lists no id of the message to withdraw")
        return
    run.call("revoke_message", osm.RevokeMessageRequest(case_id=incident_id, message_id=ids[0], **hdr), ctx,
             empty=True)
    listed = run.call("list_messages", osm.ListMessagesRequest(case_id=incident_id, offset=0, limit=100, **hdr),
                      "after revoke_message", nonempty=("message_list",))
    if any(m.content == mine for m in getattr(listed, "message_list", None) or []):
        run.report("FAIL", "revoke_message", ctx, "the withdrawn message is still listed")


def self_test(client):
    """The comparison itself, on answers made up here and read by the SDK's own deserializer:
    a faithful answer must compare clean, and each kind of loss must be found."""
    region = {"type": 0, "region_id": "cn-north-4", "region_name": "CN North-Beijing4", "is_sensitive": 0}
    cases = [
        ("a faithful answer", "ListRegionsResponse", {"total_count": 1, "data_center_list": [region]}, None),
        ("a member the model has no place for", "ListRegionsResponse",
         {"total_count": 1, "data_center_list": [dict(region, az_count=3)]}, "data_center_list[0].az_count"),
        ('"false" read into a bool', "ListProblemTypesResponse",
         {"incident_business_type_list": [{"business_type_id": "x", "can_use_support_plan": "false"}]},
         "can_use_support_plan"),
        ("1.5 read into an int", "ListCaseQuotasResponse", {"total": 1.5, "un_used": 1}, "total"),
        ("a top-level member the model has no place for", "ListCaseLimitsResponse",
         {"config": {"create_case_ccemail_max_count": 1}, "extra": {"a": 1}}, "extra"),
        ("a nested object where a string is declared", "ListAreaCodesResponse",
         {"area_code_list": [{"id": 1, "area_code": {"code": "86"}, "area_name": "China"}]}, "area_code"),
    ]
    bad = []
    for what, klass, data, expect in cases:
        response = client._deserialize(data, klass)
        c = compare(json.dumps(data).encode("utf-8"), response)
        found = "; ".join(c.lost)
        if expect is None and c.lost:
            bad.append(f"{what}: reported {found}")
        if expect is not None and expect not in found:
            bad.append(f"{what}: not reported (got {found or 'nothing'})")
    if bad:
        print("FAIL self-test: " + "; ".join(bad))
        return False
    print(f"ok self-test: the comparison finds each of {len(cases) - 1} kinds of loss, and none in a faithful answer")
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--ak", required=True)
    p.add_argument("--sk", required=True)
    p.add_argument("--connect-timeout", type=float, default=5.0)
    p.add_argument("--read-timeout", type=float, default=30.0)
    p.add_argument("--spec-operation", action="append", default=[], metavar="'METHOD PATH ID'")
    args = p.parse_args()

    run = Run(args)
    if not self_test(run.client):
        run.failed.append("self-test")
    tickets = {}
    for lang in ("en-us", None):
        try:
            tickets.update(lookups(run, lang))
        except LookupError as e:
            run.report("FAIL", "look-ups", lang or "defaults", str(e))
        except Exception:  # noqa: BLE001 — a bug here must not hide the rest
            run.report("FAIL", "look-ups", lang or "defaults", traceback.format_exc(limit=3).replace("\n", " | "))
    recorded(run, tickets)
    try:
        labels(run, next(iter(tickets), "interop-no-such-ticket"))
        instant_messages(run, next(iter(tickets), "interop-no-such-ticket"))
        diagnosis(run)
        authorizations(run)
        privileges(run)
        agreements(run)
        partners(run)
        follow_ups(run, next(iter(tickets), "interop-no-such-ticket"))
        life(run, list(tickets)[1:])
        order_incident(run, list(tickets))
    except Exception:  # noqa: BLE001
        run.report("FAIL", "follow-ups", "", traceback.format_exc(limit=3).replace("\n", " | "))
    coverage(run, args.spec_operation)
    parity(run, args.spec_operation)
    for n in sorted(run.notes):
        print(n)
    skipped = sorted(set(run.skipped))
    print(f"summary: {len(run.failed)} failed, {len(skipped)} not served by the emulator yet"
          + (f" ({', '.join(skipped)})" if skipped else ""))
    sys.exit(1 if run.failed else 0)


if __name__ == "__main__":
    main()
