#!/usr/bin/env python3
"""Check the emulator's look-up catalogue against spec/osm.yaml.

The catalogue (``emulator/data/catalogue/``, format in its README.md) is rendered into
the answer of every look-up operation, once per language, the way the emulator renders
it; each answer is then checked against the operation's HTTP 200 schema in the spec
(lengths, ranges, item counts, types, ``oneOf``), and every id the catalogue offers as a
query value is checked against that operation's query-parameter schema. The limits are
read from the spec, never restated here. On top of that come the catalogue's own rules:
unique ids, references that resolve, the documented ``case_type`` and ``param_type``
values, every (product category, problem type) pair having severities, and so on.

Run from the repository root (needs PyYAML)::

    python3 scripts/check_catalogue.py                 # the built-in catalogue
    python3 scripts/check_catalogue.py --catalogue DIR # a replacement catalogue

Exit status 0 when everything holds; 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "osm.yaml"
DEFAULT_CATALOGUE = ROOT / "emulator" / "data" / "catalogue"

# The languages every display text of the built-in catalogue has. `zh-cn` is the
# service's default (the spec's X-Language default); a replacement catalogue needs it.
BUILT_IN_LANGUAGES = ("en-us", "zh-cn")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
# case_type values the vendor documents (ProblemType.case_type in the spec).
CASE_TYPES = {"0", "5"}
# param_type values the vendor documents (ExtendsParam.param_type in the spec).
PARAM_TYPES = {1, 3, 4, 5, 7, 8}
CHOICE_TYPES = {4, 5}
REGION_TYPES = {0, 1, 2}
FILES = (
    "problem_types.json",
    "case_categories.json",
    "product_categories.json",
    "severities.json",
    "regions.json",
    "area_codes.json",
    "extends_params.json",
    "templates.json",
    "limits.json",
    "quotas.json",
)
# Largest catalogue file read, a bound on what a replacement folder can make us load.
MAX_FILE_BYTES = 4 * 1024 * 1024


class Problems:
    """Collects problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def check(self, condition: bool, where: str, message: str) -> None:
        if not condition:
            self.add(where, message)


# --- the spec -------------------------------------------------------------------------


class Spec:
    def __init__(self, path: Path) -> None:
        self.root = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.ops: dict[str, dict] = {}
        for _, item in self.root["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and "operationId" in op:
                    self.ops[op["operationId"]] = op

    def resolve(self, node: dict) -> dict:
        while isinstance(node, dict) and "$ref" in node:
            node = self.at(node["$ref"])
        return node

    def at(self, ref: str) -> dict:
        node = self.root
        for key in ref.removeprefix("#/").split("/"):
            node = node[key]
        return node

    def response_schema(self, op_id: str) -> dict:
        ok = self.resolve(self.ops[op_id]["responses"]["200"])
        return ok["content"]["application/json"]["schema"]

    def query_param(self, op_id: str, name: str) -> dict:
        for p in self.ops[op_id].get("parameters", []):
            p = self.resolve(p)
            if p.get("in") == "query" and p.get("name") == name:
                return p
        raise KeyError(f"{op_id} has no query parameter {name}")


def type_ok(kind: str, value) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise ValueError(f"schema type {kind} is not handled by this checker")


def validate(spec: Spec, schema: dict, value, where: str, out: list[str]) -> None:
    """The subset of OpenAPI 3.0 schema rules the spec's look-up schemas use."""
    schema = spec.resolve(schema)
    if "oneOf" in schema:
        matches = 0
        for alternative in schema["oneOf"]:
            sub: list[str] = []
            validate(spec, alternative, value, where, sub)
            matches += not sub
        if matches != 1:
            out.append(f"{where}: {value!r} matches {matches} of the oneOf alternatives, not one")
        return
    kind = schema.get("type")
    if kind is not None and not type_ok(kind, value):
        out.append(f"{where}: {value!r} is not of type {kind}")
        return
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        n = len(value)  # characters, as the generated client counts them
        if "minLength" in schema and n < schema["minLength"]:
            out.append(f"{where}: {n} characters, fewer than minLength {schema['minLength']}")
        if "maxLength" in schema and n > schema["maxLength"]:
            out.append(f"{where}: {n} characters, more than maxLength {schema['maxLength']}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{where}: {value} is below minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{where}: {value} is above maximum {schema['maximum']}")
    if isinstance(value, list):
        n = len(value)
        if "minItems" in schema and n < schema["minItems"]:
            out.append(f"{where}: {n} items, fewer than minItems {schema['minItems']}")
        if "maxItems" in schema and n > schema["maxItems"]:
            out.append(f"{where}: {n} items, more than maxItems {schema['maxItems']}")
        if "items" in schema:
            for i, item in enumerate(value):
                validate(spec, schema["items"], item, f"{where}[{i}]", out)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                out.append(f"{where}: required member {name} is missing")
        for name, member in value.items():
            if name in props:
                validate(spec, props[name], member, f"{where}.{name}", out)
            elif schema.get("additionalProperties") is False or props:
                # Response schemas are tolerant on the wire, but the emulator should
                # answer only members the spec declares.
                out.append(f"{where}: member {name} is not declared by the spec")


# --- the catalogue --------------------------------------------------------------------


def load(directory: Path, problems: Problems) -> dict[str, object] | None:
    data = {}
    for name in FILES:
        path = directory / name
        if not path.is_file():
            problems.add(name, "missing")
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.add(name, f"{size} bytes, more than the {MAX_FILE_BYTES} this checker reads")
            continue
        try:
            data[name] = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            problems.add(name, f"not UTF-8 JSON: {e}")
    return data if len(data) == len(FILES) else None


def localized(value, language: str, where: str, required, problems: Problems) -> str | None:
    """A display text: an object from language tag to string; `zh-cn` when `language` is absent."""
    if not isinstance(value, dict) or not value:
        problems.add(where, "a display text must be an object from language tag to text")
        return None
    for tag, text in value.items():
        problems.check(tag == tag.lower(), where, f"language tag {tag} must be lower case")
        problems.check(isinstance(text, str), where, f"the {tag} text is not a string")
    for tag in required:
        problems.check(tag in value, where, f"no {tag} text")
    text = value.get(language, value.get("zh-cn"))
    return text if isinstance(text, str) else None


def unique(values, where: str, what: str, problems: Problems) -> None:
    seen = set()
    for v in values:
        problems.check(v not in seen, where, f"{what} {v} appears twice")
        seen.add(v)


class Renderer:
    """Turns the catalogue into the answers the emulator gives, in one language."""

    def __init__(self, data: dict, required, problems: Problems) -> None:
        self.data = data
        self.required = required
        self.p = problems

    def text(self, value, language, where):
        return localized(value, language, where, self.required, self.p)

    def product_category(self, pc: dict, language: str, where: str) -> dict:
        out = {}
        for key, value in pc.items():
            if key in ("incident_product_category_name", "incident_product_category_desc"):
                out[key] = self.text(value, language, f"{where}.{key}")
            else:
                out[key] = value
        return out

    def product_categories(self) -> list[dict]:
        return self.data["product_categories.json"]["product_categories"]

    def problem_types(self) -> list[dict]:
        return self.data["problem_types.json"]["problem_types"]

    def list_product_categories(self, language: str) -> dict:
        pcs = self.product_categories()
        items = [
            self.product_category(pc, language, f"product_categories.json[{i}]")
            for i, pc in enumerate(pcs)
        ]
        return {"total_count": len(items), "incident_product_category_list": items}

    def list_case_categories(self, language: str) -> dict:
        by_id = {pc.get("incident_product_category_id"): pc for pc in self.product_categories()}
        items = []
        for i, cc in enumerate(self.data["case_categories.json"]["case_categories"]):
            where = f"case_categories.json[{i}]"
            pcs = []
            for pc_id in cc.get("product_category_ids", []):
                if pc_id in by_id:
                    pcs.append(self.product_category(by_id[pc_id], language, where))
                else:
                    self.p.add(where, f"product category {pc_id} is not in product_categories.json")
            items.append({
                "incident_sub_type_id": cc.get("incident_sub_type_id"),
                "incident_sub_type_name": self.text(
                    cc.get("incident_sub_type_name"), language, f"{where}.incident_sub_type_name"),
                "incident_product_category_list": pcs,
            })
        return {"total_count": len(items), "incident_sub_type_list": items}

    def list_problem_types(self, language: str, product_category_id=None) -> dict:
        items = []
        for i, pt in enumerate(self.problem_types()):
            if product_category_id is not None and product_category_id not in pt.get(
                    "product_category_ids", []):
                continue
            item = {k: v for k, v in pt.items() if k != "product_category_ids"}
            item["business_type_name"] = self.text(
                pt.get("business_type_name"), language, f"problem_types.json[{i}].business_type_name")
            items.append(item)
        return {"total_count": len(items), "incident_business_type_list": items}

    def list_severities(self, language: str, combination: dict, where: str) -> dict:
        levels = {s.get("severity_id"): s for s in self.data["severities.json"]["severities"]}
        out = []
        for sid in combination.get("severity_ids", []):
            if sid not in levels:
                self.p.add(where, f"severity {sid} is not in the severities list")
                continue
            out.append({
                "language": language,
                "severity_name": self.text(levels[sid].get("severity_name"), language, f"severity {sid}"),
                "severity_id": sid,
            })
        return {"show": combination.get("show"), "severity_list": out}

    def list_regions(self, language: str) -> dict:
        items = []
        for i, r in enumerate(self.data["regions.json"]["regions"]):
            item = dict(r)
            item["region_name"] = self.text(r.get("region_name"), language, f"regions.json[{i}].region_name")
            items.append(item)
        return {"total_count": len(items), "data_center_list": items}

    def list_area_codes(self, language: str) -> dict:
        items = []
        for i, a in enumerate(self.data["area_codes.json"]["area_codes"]):
            item = dict(a)
            item["area_name"] = self.text(a.get("area_name"), language, f"area_codes.json[{i}].area_name")
            items.append(item)
        return {"area_code_list": items}

    LOCALIZED_EXTENDS = ("param_name", "tips", "param_desc", "default_value", "select_item")
    MATCH_KEYS = ("business_type_id", "incident_sub_type_id", "product_category_id")

    def matching_entries(self, query: dict) -> list[dict]:
        out = []
        for e in self.data["extends_params.json"]["entries"]:
            if all(k not in e or query.get(k) == e[k] for k in self.MATCH_KEYS):
                out.append(e)
        return out

    def list_extends_params(self, language: str, query: dict) -> dict:
        extends, commons = [], []
        for e in self.matching_entries(query):
            for i, param in enumerate(e.get("extends_params", [])):
                item = {}
                for key, value in param.items():
                    if key in self.LOCALIZED_EXTENDS:
                        item[key] = self.text(value, language, f"extends param {param.get('param_key')}.{key}")
                    else:
                        item[key] = value
                item["language"] = language
                extends.append(item)
            for param in e.get("common_params", []):
                item = dict(param)
                item["param_name"] = self.text(
                    param.get("param_name"), language, f"common param {param.get('param_key')}.param_name")
                commons.append(item)
        return {"extends_params": extends, "common_params": commons}

    def list_case_templates(self, language: str, business_type_id: str) -> dict:
        items = []
        for i, t in enumerate(self.data["templates.json"]["templates"]):
            if t.get("business_type_id") != business_type_id:
                continue
            where = f"templates.json[{i}]"
            items.append({
                "incident_template_id": t.get("incident_template_id"),
                "incident_template_name": self.text(
                    t.get("incident_template_name"), language, f"{where}.incident_template_name"),
                "incident_template_content": self.text(
                    t.get("incident_template_content"), language, f"{where}.incident_template_content"),
            })
        return {"total_count": len(items), "incident_template_list": items}


def language_tags(value) -> set[str]:
    """Every language tag of every display text in the catalogue."""
    tags: set[str] = set()
    if isinstance(value, dict):
        if "zh-cn" in value and all(isinstance(v, str) for v in value.values()):
            return set(value)
        for v in value.values():
            tags |= language_tags(v)
    elif isinstance(value, list):
        for v in value:
            tags |= language_tags(v)
    return tags


def check(spec: Spec, data: dict, required, languages, built_in: bool, p: Problems) -> int:
    """Renders every answer in every language; returns how many were checked.

    `built_in` adds the coverage rules of the built-in catalogue (32-hex ids, every
    documented case_type, param_type and site); a replacement catalogue may be smaller.
    """
    r = Renderer(data, required, p)
    checked = 0

    def answer(op_id: str, body: dict, where: str) -> None:
        nonlocal checked
        out: list[str] = []
        validate(spec, spec.response_schema(op_id), body, f"{op_id} {where}", out)
        for line in out:
            p.items.append(line)
        checked += 1

    def query(op_id: str, name: str, value, where: str) -> None:
        out: list[str] = []
        validate(spec, spec.query_param(op_id, name)["schema"], value, f"{where}: as {op_id}'s {name}", out)
        p.items.extend(out)

    pcs = r.product_categories()
    pts = r.problem_types()
    ccs = data["case_categories.json"]["case_categories"]
    pc_ids = [pc.get("incident_product_category_id") for pc in pcs]
    pt_ids = [pt.get("business_type_id") for pt in pts]
    cc_ids = [cc.get("incident_sub_type_id") for cc in ccs]
    unique(pc_ids, "product_categories.json", "id", p)
    unique(pt_ids, "problem_types.json", "id", p)
    unique(cc_ids, "case_categories.json", "id", p)
    for what, ids in (("product category", pc_ids), ("problem type", pt_ids), ("case category", cc_ids)):
        for i in ids:
            p.check(not built_in or (isinstance(i, str) and bool(HEX32.match(i))), what,
                    f"id {i!r} is not 32 lower-case hex digits")

    # The spec's default product category for ListCaseQuotas must exist.
    default_pc = spec.query_param("list_case_quotas", "product_category_id")["schema"].get("default")
    p.check(default_pc in pc_ids, "product_categories.json",
            f"the spec's default product category {default_pc} (list_case_quotas) is missing")

    # Problem types: documented case types, product categories that exist.
    case_types = set()
    for i, pt in enumerate(pts):
        where = f"problem_types.json[{i}]"
        case_types.add(pt.get("case_type"))
        p.check(pt.get("case_type") in CASE_TYPES, where,
                f"case_type {pt.get('case_type')!r} is not one of the documented {sorted(CASE_TYPES)}")
        refs = pt.get("product_category_ids", [])
        p.check(bool(refs), where, "product_category_ids is empty")
        for pc in refs:
            p.check(pc in pc_ids, where, f"product category {pc} is not in product_categories.json")
    p.check(not built_in or CASE_TYPES <= case_types, "problem_types.json",
            f"needs problem types of every case_type {sorted(CASE_TYPES)}, has {sorted(case_types)}")
    in_some_category = {pc for cc in ccs for pc in cc.get("product_category_ids", [])}
    for pc in pc_ids:
        p.check(pc in in_some_category, "case_categories.json", f"product category {pc} is in no case category")

    # Severities: one combination per advertised (product category, problem type) pair.
    sev = data["severities.json"]
    unique([s.get("severity_id") for s in sev["severities"]], "severities.json", "severity id", p)
    combos = {}
    for i, c in enumerate(sev["combinations"]):
        key = (c.get("product_category_id"), c.get("business_type_id"))
        p.check(key not in combos, f"severities.json combinations[{i}]", f"pair {key} appears twice")
        combos[key] = c
    pairs = {(pc, pt.get("business_type_id")) for pt in pts for pc in pt.get("product_category_ids", [])}
    for pair in sorted(pairs - combos.keys()):
        p.add("severities.json", f"no severities for product category {pair[0]} and problem type {pair[1]}")
    for pair in sorted(combos.keys() - pairs):
        p.add("severities.json", f"pair {pair} is not advertised by problem_types.json")

    # Extends params: documented types, unique keys per problem type, no duplicate match keys.
    entries = data["extends_params.json"]["entries"]
    seen_types = set()
    seen_match = set()
    keys_by_bt: dict[str, list[str]] = {}
    commons_by_bt: dict[str, list[str]] = {}
    for i, e in enumerate(entries):
        where = f"extends_params.json entries[{i}]"
        match = tuple(e.get(k) for k in Renderer.MATCH_KEYS)
        p.check(match not in seen_match, where, f"another entry has the same keys {match}")
        seen_match.add(match)
        bt = e.get("business_type_id")
        p.check(bt in pt_ids, where, f"problem type {bt} is not in problem_types.json")
        if "incident_sub_type_id" in e:
            p.check(e["incident_sub_type_id"] in cc_ids, where, "incident_sub_type_id is not a case category")
        if "product_category_id" in e:
            p.check(e["product_category_id"] in pc_ids, where, "product_category_id is not a product category")
        for param in e.get("extends_params", []):
            t = param.get("param_type")
            seen_types.add(t)
            pw = f"{where} {param.get('param_key')}"
            p.check(t in PARAM_TYPES, pw, f"param_type {t!r} is not one of the documented {sorted(PARAM_TYPES)}")
            if t in CHOICE_TYPES:
                p.check("select_item" in param, pw, "a choice field needs select_item")
            else:
                p.check("select_item" not in param, pw, "only choice fields (4, 5) have select_item")
            if "min_value" in param and "max_value" in param:
                p.check(param["min_value"] <= param["max_value"], pw, "min_value is above max_value")
            keys_by_bt.setdefault(bt, []).append(param.get("param_key"))
        for param in e.get("common_params", []):
            commons_by_bt.setdefault(bt, []).append(param.get("param_key"))
    p.check(not built_in or PARAM_TYPES <= seen_types, "extends_params.json",
            f"needs every documented param_type {sorted(PARAM_TYPES)}, has {sorted(x for x in seen_types if isinstance(x, int))}")
    for bt, keys in keys_by_bt.items():
        unique(keys, f"extends_params.json problem type {bt}", "param_key", p)
    for bt, keys in commons_by_bt.items():
        unique(keys, f"extends_params.json problem type {bt}", "common param_key", p)

    # Templates and quotas refer to problem types and product categories that exist.
    for i, t in enumerate(data["templates.json"]["templates"]):
        p.check(t.get("business_type_id") in pt_ids, f"templates.json[{i}]", "business_type_id is not a problem type")
    unique([t.get("incident_template_id") for t in data["templates.json"]["templates"]],
           "templates.json", "template id", p)
    quotas = data["quotas.json"]
    seen_q = set()
    for i, q in enumerate(quotas.get("quotas", [])):
        where = f"quotas.json quotas[{i}]"
        p.check(q.get("business_type_id") in pt_ids, where, "business_type_id is not a problem type")
        if "product_category_id" in q:
            p.check(q["product_category_id"] in pc_ids, where, "product_category_id is not a product category")
        key = (q.get("business_type_id"), q.get("product_category_id"))
        p.check(key not in seen_q, where, f"another quota has the same keys {key}")
        seen_q.add(key)

    # Regions: every site.
    types = {reg.get("type") for reg in data["regions.json"]["regions"]}
    p.check(not built_in or REGION_TYPES <= types, "regions.json", f"needs regions of every site type {sorted(REGION_TYPES)}")
    unique([reg.get("region_id") for reg in data["regions.json"]["regions"]], "regions.json", "region_id", p)
    unique([a.get("id") for a in data["area_codes.json"]["area_codes"]], "area_codes.json", "id", p)

    # Ids offered as query values fit the query parameters that take them.
    for pc in pc_ids:
        for op in ("list_problem_types", "list_severities", "list_extends_params", "list_case_quotas"):
            query(op, "product_category_id", pc, f"product category {pc}")
    for bt in pt_ids:
        for op in ("list_severities", "list_extends_params", "list_case_templates", "list_case_quotas"):
            query(op, "business_type_id", bt, f"problem type {bt}")
    for cc in cc_ids:
        query("list_extends_params", "incident_sub_type_id", cc, f"case category {cc}")
    for pc in pcs:
        acronym = pc.get("incident_product_category_acronym")
        if acronym:
            query("list_product_categories", "product_category_name", acronym, f"acronym {acronym}")

    # Every answer, in every language.
    for language in languages:
        answer("list_product_categories", r.list_product_categories(language), language)
        answer("list_case_categories", r.list_case_categories(language), language)
        answer("list_problem_types", r.list_problem_types(language), language)
        for pc in pc_ids:
            answer("list_problem_types", r.list_problem_types(language, pc), f"{language} product category {pc}")
        for (pc, bt), c in combos.items():
            answer("list_severities", r.list_severities(language, c, f"severities for {pc}/{bt}"),
                   f"{language} {pc}/{bt}")
        answer("list_regions", r.list_regions(language), language)
        answer("list_area_codes", r.list_area_codes(language), language)
        for bt in pt_ids:
            answer("list_extends_params", r.list_extends_params(language, {"business_type_id": bt}),
                   f"{language} {bt}")
            answer("list_case_templates", r.list_case_templates(language, bt), f"{language} {bt}")
        for e in entries:
            q = {k: e[k] for k in Renderer.MATCH_KEYS if k in e}
            answer("list_extends_params", r.list_extends_params(language, q), f"{language} {q}")
        # Every sub-type and product category together, the widest union.
        for pt in pts:
            for cc in ccs:
                for pc in pt.get("product_category_ids", []):
                    if pc in cc.get("product_category_ids", []):
                        q = {"business_type_id": pt.get("business_type_id"),
                             "incident_sub_type_id": cc.get("incident_sub_type_id"), "product_category_id": pc}
                        answer("list_extends_params", r.list_extends_params(language, q), f"{language} {q}")
    answer("list_case_limits", data["limits.json"], "limits.json")
    p.check("default" in quotas, "quotas.json", "no default quota")
    for i, q in enumerate([quotas.get("default", {})] + quotas.get("quotas", [])):
        body = {k: q[k] for k in ("total", "un_used") if k in q}
        p.check(set(body) == {"total", "un_used"}, f"quotas.json entry {i}", "needs total and un_used")
        if set(body) == {"total", "un_used"} and body["total"] >= 0 and body["un_used"] >= 0:
            p.check(body["un_used"] <= body["total"], f"quotas.json entry {i}", "un_used is above total")
        answer("list_case_quotas", body, f"quotas.json entry {i}")
    return checked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", type=Path, default=DEFAULT_CATALOGUE,
                        help="catalogue folder (default: the built-in one)")
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document")
    args = parser.parse_args()
    built_in = args.catalogue.resolve() == DEFAULT_CATALOGUE.resolve()
    required = BUILT_IN_LANGUAGES if built_in else ("zh-cn",)

    problems = Problems()
    spec = Spec(args.spec)
    data = load(args.catalogue, problems)
    checked = 0
    languages = required
    if data is not None:
        # Render in every language any text has, so that each one is checked.
        languages = tuple(sorted(set(required) | language_tags(data)))
        try:
            checked = check(spec, data, required, languages, built_in, problems)
        except (KeyError, TypeError, AttributeError) as e:
            problems.add(str(args.catalogue), f"does not have the documented shape: {type(e).__name__}: {e}")
    for line in dict.fromkeys(problems.items):  # each language finds the same ones
        print(line, file=sys.stderr)
    if problems.items:
        print(f"{len(dict.fromkeys(problems.items))} problem(s)", file=sys.stderr)
        return 1
    print(f"catalogue OK: {checked} rendered answers checked against the spec, languages {', '.join(languages)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
