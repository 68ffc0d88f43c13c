//! The look-ups, answered from the catalogue ([`crate::catalogue`]) in the request's
//! language, with the filters the vendor documents.

use http::StatusCode;
use serde_json::{Value, json};

use crate::Shared;
use crate::catalogue::{Catalogue, localise};
use crate::http::{Reply, json_response};
use crate::router::Call;

/// The product category the service assumes when `list_case_quotas` names none (User
/// Center), as the spec's default says.
fn default_quota_category(call: &Call) -> Option<&'static str> {
    call.op
        .params
        .iter()
        .find(|r| r.name == "product_category_id")
        .and_then(|r| r.default)
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn has_category(entry: &Value, id: &str) -> bool {
    entry
        .get("product_category_ids")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|i| i.as_str() == Some(id)))
}

/// Answers a look-up.
/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("list_problem_types", super::Handler::Sync(handle)),
    ("list_case_categories", super::Handler::Sync(handle)),
    ("list_product_categories", super::Handler::Sync(handle)),
    ("list_severities", super::Handler::Sync(handle)),
    ("list_regions", super::Handler::Sync(handle)),
    ("list_area_codes", super::Handler::Sync(handle)),
    ("list_extends_params", super::Handler::Sync(handle)),
    ("list_case_templates", super::Handler::Sync(handle)),
    ("list_case_limits", super::Handler::Sync(handle)),
    ("list_case_quotas", super::Handler::Sync(handle)),
];

fn handle(shared: &Shared, call: &Call) -> Reply {
    let c = &*shared.catalogue;
    let lang = call.language();
    let body = match call.op.id {
        "list_problem_types" => problem_types(c, call, lang),
        "list_case_categories" => case_categories(c, lang),
        "list_product_categories" => product_categories(c, call, lang),
        "list_severities" => match severities(c, call, lang) {
            Some(body) => body,
            None => {
                return crate::vendor::bad_request(
                    &format!(
                        "no severities for product category {:?} and problem type {:?} (see list_problem_types)",
                        call.text("product_category_id").unwrap_or_default(),
                        call.text("business_type_id").unwrap_or_default()
                    ),
                    &call.request_id,
                )
                .into();
            }
        },
        "list_regions" => {
            let list = localise(&Value::Array(c.list("regions", "regions").to_vec()), lang);
            json!({ "total_count": len(&list), "data_center_list": list })
        }
        "list_area_codes" => {
            json!({ "area_code_list": localise(&Value::Array(c.list("area_codes", "area_codes").to_vec()), lang) })
        }
        "list_extends_params" => extends_params(c, call, lang),
        "list_case_templates" => {
            let id = call.text("business_type_id").unwrap_or_default();
            let list: Vec<Value> = c
                .list("templates", "templates")
                .iter()
                .filter(|t| str_of(t, "business_type_id") == Some(id.as_str()))
                .map(|t| without(localise(t, lang), &["business_type_id"]))
                .collect();
            json!({ "total_count": list.len(), "incident_template_list": list })
        }
        "list_case_limits" => {
            json!({ "config": c.get("limits", "config").cloned().unwrap_or(json!({})) })
        }
        "list_case_quotas" => quotas(c, call),
        _ => return super::not_implemented(call),
    };
    json_response(StatusCode::OK, &body, &call.request_id).into()
}

fn len(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// `v` without the members `keys` (the catalogue's match keys).
fn without(mut v: Value, keys: &[&str]) -> Value {
    if let Value::Object(map) = &mut v {
        for k in keys {
            map.remove(*k);
        }
    }
    v
}

fn problem_types(c: &Catalogue, call: &Call, lang: &str) -> Value {
    let filter = call.text("product_category_id");
    let list: Vec<Value> = c
        .list("problem_types", "problem_types")
        .iter()
        .filter(|p| filter.as_deref().is_none_or(|id| has_category(p, id)))
        .map(|p| localise(p, lang))
        .collect();
    json!({ "total_count": list.len(), "incident_business_type_list": list })
}

fn product_category(c: &Catalogue, id: &str) -> Option<Value> {
    c.list("product_categories", "product_categories")
        .iter()
        .find(|p| str_of(p, "incident_product_category_id") == Some(id))
        .cloned()
}

fn case_categories(c: &Catalogue, lang: &str) -> Value {
    let list: Vec<Value> = c
        .list("case_categories", "case_categories")
        .iter()
        .map(|sub| {
            let products: Vec<Value> = sub
                .get("product_category_ids")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|id| product_category(c, id.as_str()?))
                        .map(|p| localise(&p, lang))
                        .collect()
                })
                .unwrap_or_default();
            let mut sub = localise(sub, lang);
            if let Value::Object(map) = &mut sub {
                map.insert(
                    "incident_product_category_list".into(),
                    Value::Array(products),
                );
            }
            sub
        })
        .collect();
    json!({ "total_count": list.len(), "incident_sub_type_list": list })
}

/// `product_category_name` matches a category's name (in any language) or acronym,
/// case-insensitively, as a substring: the vendor's one example is `ECS`.
fn product_categories(c: &Catalogue, call: &Call, lang: &str) -> Value {
    let name = call.text("product_category_name").map(|n| n.to_lowercase());
    let matches = |p: &Value| {
        let Some(name) = name.as_deref().filter(|n| !n.is_empty()) else {
            return true;
        };
        let mut texts: Vec<String> = Vec::new();
        if let Some(a) = str_of(p, "incident_product_category_acronym") {
            texts.push(a.to_lowercase());
        }
        match p.get("incident_product_category_name") {
            Some(Value::Object(m)) => {
                texts.extend(m.values().filter_map(Value::as_str).map(str::to_lowercase))
            }
            Some(Value::String(s)) => texts.push(s.to_lowercase()),
            _ => {}
        }
        texts.iter().any(|t| t.contains(name))
    };
    let list: Vec<Value> = c
        .list("product_categories", "product_categories")
        .iter()
        .filter(|p| matches(p))
        .map(|p| localise(p, lang))
        .collect();
    json!({ "total_count": list.len(), "incident_product_category_list": list })
}

/// The severities of a pair of product category and problem type; `None` for a pair
/// the catalogue does not know (the service has at least one severity for any pair it
/// offers).
fn severities(c: &Catalogue, call: &Call, lang: &str) -> Option<Value> {
    let product = call.text("product_category_id").unwrap_or_default();
    let business = call.text("business_type_id").unwrap_or_default();
    let combination = c.list("severities", "combinations").iter().find(|k| {
        str_of(k, "product_category_id") == Some(product.as_str())
            && str_of(k, "business_type_id") == Some(business.as_str())
    })?;
    let all = c.list("severities", "severities");
    let list: Vec<Value> = combination
        .get("severity_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|id| all.iter().find(|s| s.get("severity_id") == Some(id)))
                .map(|s| {
                    let mut s = localise(s, lang);
                    if let Value::Object(m) = &mut s {
                        m.insert("language".into(), json!(lang));
                    }
                    s
                })
                .collect()
        })
        .unwrap_or_default();
    Some(
        json!({ "show": combination.get("show").cloned().unwrap_or(json!(true)), "severity_list": list }),
    )
}

fn extends_params(c: &Catalogue, call: &Call, lang: &str) -> Value {
    let business = call.text("business_type_id").unwrap_or_default();
    let sub = call.text("incident_sub_type_id");
    let product = call.text("product_category_id");
    let applies = |e: &Value| {
        str_of(e, "business_type_id") == Some(business.as_str())
            && str_of(e, "incident_sub_type_id").is_none_or(|v| sub.as_deref() == Some(v))
            && str_of(e, "product_category_id").is_none_or(|v| product.as_deref() == Some(v))
    };
    let mut extends = Vec::new();
    let mut common = Vec::new();
    for e in c
        .list("extends_params", "entries")
        .iter()
        .filter(|e| applies(e))
    {
        if let Some(list) = e.get("extends_params").and_then(Value::as_array) {
            for p in list {
                let mut p = localise(p, lang);
                if let Value::Object(m) = &mut p {
                    m.insert("language".into(), json!(lang));
                }
                extends.push(p);
            }
        }
        if let Some(list) = e.get("common_params").and_then(Value::as_array) {
            common.extend(list.iter().map(|p| localise(p, lang)));
        }
    }
    json!({ "extends_params": extends, "common_params": common })
}

fn quotas(c: &Catalogue, call: &Call) -> Value {
    let business = call.text("business_type_id").unwrap_or_default();
    let product = call
        .text("product_category_id")
        .or_else(|| default_quota_category(call).map(str::to_owned));
    let entries = c.list("quotas", "quotas");
    let pick = |v: &Value| json!({ "total": v.get("total"), "un_used": v.get("un_used") });
    let exact = entries.iter().find(|q| {
        str_of(q, "business_type_id") == Some(business.as_str())
            && product.is_some()
            && str_of(q, "product_category_id") == product.as_deref()
    });
    let by_type = || {
        entries.iter().find(|q| {
            str_of(q, "business_type_id") == Some(business.as_str())
                && q.get("product_category_id").is_none()
        })
    };
    match exact.or_else(by_type) {
        Some(q) => pick(q),
        None => c
            .get("quotas", "default")
            .map(pick)
            .unwrap_or(json!({ "total": 0, "un_used": 0 })),
    }
}
