//! Following a ticket up: list, detail, status, actions, messages; answered from the
//! tickets the store holds and their states ([`crate::cases`]).

use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde_json::{Map, Value, json};

use huaweicloud_osm::values::CaseOperateType;

use crate::Shared;
use crate::cases::{self, CaseMessage, CaseState};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::store::{AuthScheme, RecordedTicket, rfc3339};
use crate::vendor::{bad_request, business_error, internal_error, service_error};

/// How many tickets a list answers when the request gives no `limit`.
const DEFAULT_LIMIT: usize = 10;

/// Handles a follow-up operation.
/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("list_cases", super::Handler::Sync(handle)),
    ("show_case_status", super::Handler::Sync(handle)),
    ("show_case_detail", super::Handler::Sync(handle)),
    ("list_messages", super::Handler::Sync(handle)),
    ("update_case", super::Handler::Sync(handle)),
    ("create_message", super::Handler::Sync(handle)),
];

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let ok = |body: Value| json_response(StatusCode::OK, &body, rid).into();
    match call.op.id {
        "list_cases" => match list_cases(shared, call) {
            Ok(body) => ok(body),
            Err(msg) => bad_request(&msg, rid).into(),
        },
        "list_messages" | "show_case_detail" | "show_case_status" | "update_case"
        | "create_message" => {
            let id = call.text("case_id").unwrap_or_default();
            let Some(ticket) = shared.store.find(&id) else {
                return not_found(&id, rid);
            };
            let state = shared.cases.get(&id);
            if state.status == cases::STATUS_DELETED && call.op.id != "show_case_status" {
                return not_found(&id, rid);
            }
            match call.op.id {
                "show_case_status" => ok(json!({ "status": state.status })),
                "show_case_detail" => {
                    ok(json!({ "incident_detail_info": detail(shared, call, &ticket, &state) }))
                }
                "list_messages" => ok(messages(shared, call, &ticket, &state)),
                "update_case" => update(shared, call, &ticket, &state),
                _ => add_message(shared, call, &ticket, &state),
            }
        }
        _ => super::not_implemented(call),
    }
}

fn not_found(id: &str, rid: &str) -> Reply {
    service_error(
        StatusCode::NOT_FOUND,
        "OSM.0001",
        &format!("there is no ticket {id:?}"),
        rid,
    )
    .into()
}

pub(super) fn text(v: &Value, key: &str) -> String {
    str_of(v, key).to_owned()
}

/// The string member `key` of `v`, or "".
fn str_of<'v>(v: &'v Value, key: &str) -> &'v str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The account a ticket belongs to, as the emulator sees it: the domain id the request
/// carried, else the access key, else a fixed name for token callers.
pub(crate) fn customer(t: &RecordedTicket) -> String {
    if let Some(d) = t.headers.get("x-domain-id") {
        return d.clone();
    }
    match &t.auth {
        AuthScheme::AkSk { access_key, .. } => access_key.clone(),
        AuthScheme::Token => "emulator-account".into(),
    }
}

/// The names the catalogue gives a ticket's problem type, type and region.
pub(crate) fn names(
    shared: &Shared,
    t: &RecordedTicket,
    lang: &str,
) -> (String, String, String, String) {
    let c = &*shared.catalogue;
    let business = text(&t.body, "business_type_id");
    let problem = c
        .problem_type(&business)
        .map(|p| crate::catalogue::localise(p, lang));
    let problem_name = problem
        .as_ref()
        .map(|p| text(p, "business_type_name"))
        .unwrap_or_else(|| business.clone());
    let en = lang == "en-us";
    let type_name = match (c.is_fault_report(&business), en) {
        (true, true) => "Fault report",
        (true, false) => "故障报障",
        (false, true) => "Consultation",
        (false, false) => "咨询",
    }
    .to_owned();
    let region = text(&t.body, "region_id");
    let region_name = c
        .list("regions", "regions")
        .iter()
        .find(|r| r.get("region_id").and_then(Value::as_str) == Some(region.as_str()))
        .map(|r| text(&crate::catalogue::localise(r, lang), "region_name"))
        .unwrap_or(region);
    let product = text(&t.body, "product_category_id");
    let product_name = c
        .list("product_categories", "product_categories")
        .iter()
        .find(|p| {
            p.get("incident_product_category_id")
                .and_then(Value::as_str)
                == Some(product.as_str())
        })
        .map(|p| {
            text(
                &crate::catalogue::localise(p, lang),
                "incident_product_category_name",
            )
        })
        .unwrap_or(product);
    (problem_name, type_name, region_name, product_name)
}

fn summary(shared: &Shared, call: &Call, t: &RecordedTicket, state: &CaseState) -> Value {
    let (problem, kind, region, product) = names(shared, t, call.language());
    let labels = shared
        .collections
        .read(|d| super::labels::on_case(d, &t.incident_id));
    json!({
        "status": state.status,
        "incident_id": t.incident_id,
        "business_type_name": problem,
        "incident_type_name": kind,
        "product_category_name": product,
        "customer_id": customer(t),
        "dc_name": region,
        "simple_description": text(&t.body, "simple_description"),
        "create_time": rfc3339::format(t.received_at),
        "label_list": labels,
    })
}

/// An offset such as `GMT+8`, `GMT-05:30`, `UTC+1` or `+08:00`, in seconds east of UTC.
pub(crate) fn zone_offset(zone: &str) -> Option<i64> {
    let z = zone.trim();
    let rest = z
        .strip_prefix("GMT")
        .or_else(|| z.strip_prefix("UTC"))
        .unwrap_or(z);
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?),
        None => (rest.parse::<i64>().ok()?, 0),
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// `yyyy-MM-dd HH:mm:ss` in the request's time zone (`X-Time-Zone`, GMT+8 by default).
pub(crate) fn query_time(call: &Call, name: &str) -> Result<Option<SystemTime>, String> {
    let Some(text) = call.text(name).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    // The spec's pattern has been checked: yyyy-MM-dd HH:mm:ss with fields in range. A day
    // past the month's end (2026-02-31) rolls over, as calendars in most services do.
    let n = |r: std::ops::Range<usize>| text.get(r).and_then(|v| v.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(se)) =
        (n(0..4), n(5..7), n(8..10), n(11..13), n(14..16), n(17..19))
    else {
        return Err(format!(
            "{name} {text:?} is not a time of the form yyyy-MM-dd HH:mm:ss"
        ));
    };
    let days = days_from_civil(y, mo, 1) + d - 1;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    let local = if secs >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    };
    let zone = call.text("X-Time-Zone").unwrap_or_else(|| "GMT+8".into());
    let offset = zone_offset(&zone)
        .ok_or_else(|| format!("X-Time-Zone {zone:?} is not an offset such as GMT+8"))?;
    Ok(Some(if offset >= 0 {
        local - Duration::from_secs(offset as u64)
    } else {
        local + Duration::from_secs((-offset) as u64)
    }))
}

/// Days from 1970-01-01 to the first of month `m` of year `y` (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The names a listing of tickets reads its filters from: list_cases' snake_case ones,
/// or the older query's camelCase ones (list_order_incident).
pub(super) struct Filters {
    pub(super) search_key: &'static str,
    pub(super) label_id_list: &'static str,
    pub(super) app_key: &'static str,
    pub(super) incident_id: &'static str,
    pub(super) query_start_time: &'static str,
    pub(super) query_end_time: &'static str,
    pub(super) status: &'static str,
}

/// list_cases' filters.
const LIST_CASES: Filters = Filters {
    search_key: "search_key",
    label_id_list: "label_id_list",
    app_key: "app_key",
    incident_id: "incident_id",
    query_start_time: "query_start_time",
    query_end_time: "query_end_time",
    status: "status",
};

/// The tickets that match the call's filters (named by `f`), newest first; deleted
/// tickets never.
pub(super) fn matching(
    shared: &Shared,
    call: &Call,
    f: &Filters,
) -> Result<Vec<(RecordedTicket, CaseState)>, String> {
    let start = query_time(call, f.query_start_time)?;
    let end = query_time(call, f.query_end_time)?;
    let keys: Vec<String> = call
        .param(f.search_key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    // Label ids as text (list_cases) or numbers (the older query).
    let label_ids: Vec<String> = call
        .param(f.label_id_list)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|id| !id.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let app_key = call.text(f.app_key).filter(|k| !k.is_empty());
    let incident_id = call.text(f.incident_id).filter(|k| !k.is_empty());
    let status = call.int(f.status);
    // What the ticket alone decides is checked under the store's lock, so that only
    // the tickets that match are copied; then their states.
    let mut rows: Vec<(RecordedTicket, CaseState)> = shared
        .store
        .select(|t| {
            let description = str_of(&t.body, "simple_description");
            incident_id.as_deref().is_none_or(|id| t.incident_id == id)
                && start.is_none_or(|st| t.received_at >= st)
                && end.is_none_or(|e| t.received_at <= e)
                && keys.iter().all(|k| description.contains(k.as_str()))
                && app_key
                    .as_deref()
                    .is_none_or(|k| t.incident_id.contains(k) || description.contains(k))
        })
        .into_iter()
        .map(|t| {
            let s = shared.cases.get(&t.incident_id);
            (t, s)
        })
        .filter(|(_, s)| {
            s.status != cases::STATUS_DELETED && status.is_none_or(|st| s.status == st)
        })
        .collect();
    // Labels: a ticket carrying at least one of those asked for.
    if !label_ids.is_empty() {
        shared.collections.read(|d| {
            rows.retain(|(t, _)| super::labels::carries_any(d, &t.incident_id, &label_ids));
        });
    }
    rows.sort_by(|a, b| {
        b.0.received_at
            .cmp(&a.0.received_at)
            .then(b.0.seq.cmp(&a.0.seq))
    });
    Ok(rows)
}

fn list_cases(shared: &Shared, call: &Call) -> Result<Value, String> {
    let rows = matching(shared, call, &LIST_CASES)?;
    let total = rows.len();
    let offset = call.int("offset").unwrap_or(0).max(0) as usize;
    let limit = call
        .int("limit")
        .map_or(DEFAULT_LIMIT, |l| l.max(0) as usize);
    let list: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(t, s)| summary(shared, call, t, s))
        .collect();
    Ok(json!({ "total_count": total, "incident_info_list": list }))
}

fn first_message(t: &RecordedTicket) -> CaseMessage {
    CaseMessage {
        kind: 0,
        replier: customer(t),
        content: text(&t.body, "simple_description"),
        at: t.received_at,
        accessory_ids: t
            .body
            .get("accessory_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Every message of a ticket, withdrawn ones included, each with its position (the
/// description is 0); [`super::instant_messages::visible`] leaves the withdrawn out.
pub(super) fn all_messages(t: &RecordedTicket, state: &CaseState) -> Vec<(usize, CaseMessage)> {
    std::iter::once(first_message(t))
        .chain(state.messages.iter().cloned())
        .enumerate()
        .collect()
}

fn accessories(shared: &Shared, m: &CaseMessage) -> Vec<Value> {
    super::attachments::refs(shared, &m.accessory_ids)
}

fn replier_name(m: &CaseMessage, lang: &str) -> String {
    match (m.kind, lang) {
        (1, "en-us") => "Huawei Cloud support".into(),
        (1, _) => "华为云技术支持".into(),
        _ => m.replier.clone(),
    }
}

fn detail(shared: &Shared, call: &Call, t: &RecordedTicket, state: &CaseState) -> Value {
    let lang = call.language();
    let (problem, kind, region, _) = names(shared, t, lang);
    let messages: Vec<Value> = super::instant_messages::visible(shared, t, state)
        .into_iter()
        .map(|(i, m)| {
            json!({
                "type": m.kind,
                "replier": m.replier,
                "content": m.content,
                "message_id": format!("{}-{i}", t.incident_id),
                "replier_name": replier_name(&m, lang),
                "create_time": rfc3339::format(m.at),
                "is_first_message": i64::from(i == 0),
                "accessory_list": accessories(shared, &m),
            })
        })
        .collect();
    let mut ext = Map::new();
    for key in ["area_code", "remind_mobile", "remind_mail", "remind_time"] {
        if let Some(v) = t.body.get(key) {
            ext.insert(key.into(), v.clone());
        }
    }
    // Contact details changed since (update_case_contact_info).
    ext.extend(super::life::changed_contact(shared, &t.incident_id));
    let (judgement, ratings) =
        super::life::rating(shared, &t.incident_id, lang).unwrap_or_default();
    json!({
        "status": state.status,
        "judgement": judgement,
        "incident_id": t.incident_id,
        "business_type_name": problem,
        "incident_type_name": kind,
        "customer_id": customer(t),
        "dc_name": region,
        "simple_description": text(&t.body, "simple_description"),
        "source_name": "API",
        "create_time": rfc3339::format(t.received_at),
        "message_list": messages,
        "incident_satisfaction": ratings,
        "ext_info": ext,
    })
}

fn messages(shared: &Shared, call: &Call, t: &RecordedTicket, state: &CaseState) -> Value {
    let lang = call.language();
    let all = super::instant_messages::visible(shared, t, state);
    let offset = call.int("offset").unwrap_or(0).max(0) as usize;
    let limit = call
        .int("limit")
        .map_or(DEFAULT_LIMIT, |l| l.max(0) as usize);
    let list: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(i, m)| message_json(shared, *i, m, lang))
        .collect();
    json!({ "count": all.len(), "message_list": list })
}

/// A message as list_messages (and the instant-message listings) answer it; `i` is its
/// position in the ticket.
pub(super) fn message_json(shared: &Shared, i: usize, m: &CaseMessage, lang: &str) -> Value {
    json!({
        "type": m.kind,
        "replier_type": m.kind,
        "replier": m.replier,
        "content": m.content,
        "create_time": rfc3339::format(m.at),
        "replier_name": replier_name(m, lang),
        "is_first_message": i64::from(i == 0),
        "accessory_list": accessories(shared, m),
    })
}

fn update(shared: &Shared, call: &Call, t: &RecordedTicket, state: &CaseState) -> Reply {
    let rid = call.request_id.as_str();
    let action = call.text("action_id").unwrap_or_default();
    let now = (shared.clock)();
    let next = match cases::act(&action, state.status) {
        Ok(next) => next,
        Err(msg) => return business_error("OSM.01010001", &msg, rid).into(),
    };
    let logged = match action.as_str() {
        "press" => CaseOperateType::Urged,
        "close" => CaseOperateType::Closed,
        "cancel" => CaseOperateType::Cancelled,
        _ => CaseOperateType::Deleted,
    };
    let result = if action == "press" {
        if let Some(last) = state.urged_at
            && now.duration_since(last).unwrap_or_default() < cases::URGE_INTERVAL
        {
            return business_error(
                "OSM.01010004",
                &format!(
                    "the ticket was urged less than {} s ago; try again later",
                    cases::URGE_INTERVAL.as_secs()
                ),
                rid,
            )
            .into();
        }
        shared.cases.urge(&t.incident_id, now)
    } else {
        shared.cases.set_status(&t.incident_id, next, now)
    };
    if let Err(msg) = result {
        return internal_error(&msg).into();
    }
    super::life::record(shared, &[&t.incident_id], logged);
    if action == "close" {
        super::life::rate_on_close(shared, call, &t.incident_id);
    }
    json_response(
        StatusCode::OK,
        &json!({ "error_code": "", "error_msg": "" }),
        rid,
    )
    .into()
}

fn add_message(shared: &Shared, call: &Call, t: &RecordedTicket, state: &CaseState) -> Reply {
    let rid = call.request_id.as_str();
    if matches!(
        state.status,
        cases::STATUS_COMPLETED | cases::STATUS_CANCELLED | cases::STATUS_INVALID
    ) {
        return business_error(
            "OSM.01010001",
            &format!(
                "the ticket's status is {} ({}): it takes no more messages",
                state.status,
                cases::status_name(state.status)
            ),
            rid,
        )
        .into();
    }
    let message = call.body.get("message").cloned().unwrap_or_default();
    let m = CaseMessage {
        kind: 0,
        replier: customer(t),
        content: text(&message, "content"),
        at: (shared.clock)(),
        accessory_ids: message
            .get("accessory_ids")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    };
    // The customer answered what support asked: the ticket is being processed again.
    let status = matches!(
        state.status,
        cases::STATUS_FEEDBACK | cases::STATUS_TO_CONFIRM
    )
    .then_some(cases::STATUS_PROCESSING);
    match shared.cases.add_message(&t.incident_id, m, status) {
        Ok(_) if state.status == cases::STATUS_FEEDBACK => {
            super::life::record(shared, &[&t.incident_id], CaseOperateType::FeedbackGiven);
            json_response(
                StatusCode::OK,
                &json!({ "error_code": "", "error_msg": "" }),
                rid,
            )
            .into()
        }
        Ok(_) => json_response(
            StatusCode::OK,
            &json!({ "error_code": "", "error_msg": "" }),
            rid,
        )
        .into(),
        Err(msg) => internal_error(&msg).into(),
    }
}
