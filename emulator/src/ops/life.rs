//! A ticket's life beyond its conversation: counts by state, the operation log, the
//! copied addresses, changed contact details, extra fields submitted later, relations
//! between tickets, the customer's rating and the satisfaction dimensions it covers, and
//! reports of abuse. (The export is [`super::export`].)
//!
//! State lives in the generic store ([`crate::collections`]), so it is journaled with
//! `--state`, cleared by the reset and bounded by `max_records`:
//!
//! | collection | key | value |
//! |---|---|---|
//! | `case_relations` | ticket id | ids of its related tickets, in the order they were related |
//! | `case_scores` | ticket id | `{judgement, ratings: [{satisfaction_id, satisfaction_value}], at}` |
//! | `case_contacts` | ticket id | the contact members changed since the ticket was opened |
//! | `case_extends_params` | ticket id | `{extends_map, message_id}`, the values submitted, merged |
//! | `case_logs` | `<ticket id>/<n>` | `{operate_type, at}`: what was done, in order (`n` from 1) |
//! | `feedbacks` | report number | the report as filed, and when |
//!
//! The operation log's first entry, the opening (type 0), is the ticket's own record;
//! the others are written by the handlers that act on a ticket ([`record`]).

use std::collections::BTreeMap;
use std::time::SystemTime;

use http::StatusCode;
use serde_json::{Map, Value, json};

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::values::CaseOperateType;

use crate::Shared;
use crate::cases;
use crate::collections::{StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::store::{RecordedTicket, rfc3339};
use crate::vendor::Refusal;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("list_case_counts", super::Handler::Sync(handle)),
    ("list_case_operate_logs", super::Handler::Sync(handle)),
    ("list_case_cc_emails", super::Handler::Sync(handle)),
    ("update_case_contact_info", super::Handler::Sync(handle)),
    ("create_case_extends_param", super::Handler::Sync(handle)),
    ("show_case_extends_param", super::Handler::Sync(handle)),
    ("create_relations", super::Handler::Sync(handle)),
    ("list_relation", super::Handler::Sync(handle)),
    ("delete_relation", super::Handler::Sync(handle)),
    ("create_scores", super::Handler::Sync(handle)),
    ("list_satisfaction_dimensions", super::Handler::Sync(handle)),
    ("create_feedback", super::Handler::Sync(handle)),
];

const RELATIONS: &str = "case_relations";
const SCORES: &str = "case_scores";
const CONTACTS: &str = "case_contacts";
const EXTENDS: &str = "case_extends_params";
const LOGS: &str = "case_logs";
const FEEDBACKS: &str = "feedbacks";

/// What an operation type says, in English (the spec's label) and in Chinese.
fn operate_desc(kind: &CaseOperateType, lang: &str) -> String {
    if lang == "en-us" {
        let label = kind.label().unwrap_or("operation");
        let mut c = label.chars();
        return c
            .next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default();
    }
    match kind {
        CaseOperateType::Created => "创建工单",
        CaseOperateType::Urged => "催单",
        CaseOperateType::Closed => "关单",
        CaseOperateType::Cancelled => "撤销工单",
        CaseOperateType::Rated => "评价",
        CaseOperateType::Deleted => "删除工单",
        CaseOperateType::Exported => "导出工单",
        CaseOperateType::FeedbackGiven => "客户回复待反馈工单",
        CaseOperateType::ContactChanged => "修改工单客户沟通方式",
        CaseOperateType::ContactDeleted => "删除工单客户沟通方式",
        _ => "操作",
    }
    .to_owned()
}

/// One satisfaction dimension: id, highest score, what one step is worth, category, and
/// name and description in English and Chinese.
struct Dimension {
    id: i64,
    value: i64,
    per_value: i64,
    category: &'static str,
    en: (&'static str, &'static str),
    zh: (&'static str, &'static str),
}

/// The dimensions a rating covers. The historical v1 API rated 1 (timeliness) and 3
/// (the result) on 1 to 5; the emulator adds 2 (the engineer's skill) between them.
const DIMENSIONS: &[Dimension] = &[
    Dimension {
        id: 1,
        value: 5,
        per_value: 1,
        category: "1",
        en: ("Timeliness", "How quickly support answered"),
        zh: ("响应及时性", "技术支持的响应速度"),
    },
    Dimension {
        id: 2,
        value: 5,
        per_value: 1,
        category: "1",
        en: ("Professionalism", "How well the engineer knew the product"),
        zh: ("专业能力", "工程师的专业水平"),
    },
    Dimension {
        id: 3,
        value: 5,
        per_value: 1,
        category: "1",
        en: ("Result", "Whether the problem was solved"),
        zh: ("问题解决", "问题是否得到解决"),
    },
];

fn dimension(id: i64) -> Option<&'static Dimension> {
    DIMENSIONS.iter().find(|d| d.id == id)
}

fn dimension_json(d: &Dimension, lang: &str) -> Value {
    let (name, desc) = if lang == "en-us" { d.en } else { d.zh };
    json!({
        "value": d.value,
        "satisfaction_id": d.id,
        "satisfaction_name": name,
        "satisfaction_desc": desc,
        "per_value": d.per_value,
        "sat_category_id": d.category,
    })
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let answer = match call.op.id {
        "list_case_counts" => Ok(counts(shared, call)),
        "list_case_operate_logs" => ticket(shared, &case_id(call), true)
            .map(|(t, _)| operate_logs(shared, call, &t)),
        "list_case_cc_emails" => Ok(cc_emails(call)),
        "update_case_contact_info" => change_contact(shared, call),
        "create_case_extends_param" => submit_extends(shared, call),
        "show_case_extends_param" => ticket(shared, &case_id(call), false).map(|_| json!({})),
        "create_relations" => relate(shared, call),
        "list_relation" => ticket(shared, &case_id(call), false)
            .map(|(t, _)| json!({ "case_relation_list": related(shared, &t.incident_id) })),
        "delete_relation" => unrelate(shared, call),
        "create_scores" => rate(shared, call),
        "list_satisfaction_dimensions" => {
            let lang = call.language();
            let list: Vec<Value> = DIMENSIONS.iter().map(|d| dimension_json(d, lang)).collect();
            Ok(json!({ "total_count": list.len(), "satisfaction_dimension_list": list }))
        }
        "create_feedback" => file_feedback(shared, call),
        _ => return super::not_implemented(call),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, rid).into(),
        Err(r) => r.reply(rid),
    }
}

fn case_id(call: &Call) -> String {
    call.text("case_id").unwrap_or_default()
}

/// The ticket `id` and its state, if the emulator holds it; a deleted ticket only when
/// `deleted_too`.
fn ticket(
    shared: &Shared,
    id: &str,
    deleted_too: bool,
) -> Result<(RecordedTicket, cases::CaseState), Refusal> {
    let not_found = || Refusal::NotFound(format!("there is no ticket {id:?}"));
    let t = shared.store.find(id).ok_or_else(not_found)?;
    let state = shared.cases.get(id);
    if state.status == cases::STATUS_DELETED && !deleted_too {
        return Err(not_found());
    }
    Ok((t, state))
}

/// A spec limit of operation `op`'s body field or parameter `name`.
fn field_rule(op: &str, location: Option<Location>, name: &str) -> Option<&'static rules::FieldRule> {
    let op = rules::operation(op)?;
    match location {
        Some(l) => op.param(l, name),
        None => op.body_field(name),
    }
}

/// The body member `name` as text, if it is a string.
fn body_text<'c>(call: &'c Call, name: &str) -> Option<&'c str> {
    call.body.get(name).and_then(Value::as_str)
}

// ---------------------------------------------------------------------------------------
// The operation log.

/// Notes in the operation log of each ticket of `case_ids` that `operate_type` was done
/// to it now, in one change. The action itself has been taken already: a log that cannot
/// be written (the store is full) is reported in the emulator's log, not to the caller.
pub(crate) fn record(shared: &Shared, case_ids: &[&str], operate_type: CaseOperateType) {
    let at = rfc3339::format((shared.clock)());
    let result = shared.collections.update(|tx| -> Result<(), StoreError> {
        for id in case_ids {
            append_log(tx, id, &operate_type, &at)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        tracing::warn!(operate_type = operate_type.value(), error = %e, "the operation log could not be written");
    }
}

fn append_log(
    tx: &mut Tx<'_>,
    case_id: &str,
    operate_type: &CaseOperateType,
    at: &str,
) -> Result<(), StoreError> {
    let n = tx
        .next_id(&format!("{LOGS}/{case_id}"), u64::MAX)
        .ok_or_else(|| StoreError::Full("the operation log of the ticket is full".into()))?;
    tx.put(
        LOGS,
        &format!("{case_id}/{n:010}"),
        json!({ "operate_type": operate_type.value(), "at": at }),
    )
}

/// The operation log of ticket `t`, oldest first: (entry number, type, when).
fn log_of(shared: &Shared, t: &RecordedTicket) -> Vec<(u64, CaseOperateType, SystemTime)> {
    let prefix = format!("{}/", t.incident_id);
    let mut entries = vec![(0, CaseOperateType::Created, t.received_at)];
    shared.collections.read(|d| {
        for (k, v) in d.iter(LOGS) {
            let Some(n) = k.strip_prefix(&prefix).and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            let kind = CaseOperateType::from_value(
                v.get("operate_type").and_then(Value::as_i64).unwrap_or(-1),
            );
            let at = v
                .get("at")
                .and_then(Value::as_str)
                .and_then(rfc3339::parse)
                .unwrap_or(t.received_at);
            entries.push((n, kind, at));
        }
    });
    entries
}

fn operate_logs(shared: &Shared, call: &Call, t: &RecordedTicket) -> Value {
    let lang = call.language();
    let entries = log_of(shared, t);
    let offset = call.int("offset").unwrap_or(0).max(0) as usize;
    let limit = call
        .int("limit")
        .or_else(|| {
            field_rule(call.op.id, Some(Location::Query), "limit")
                .and_then(|r| r.default)
                .and_then(|d| d.parse().ok())
        })
        .unwrap_or(10)
        .max(0) as usize;
    let who = super::followup::customer(t);
    let page: Vec<Value> = entries
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(n, kind, at)| {
            let when = rfc3339::format(*at);
            json!({
                "incident_log_id": format!("{}-{n}", t.incident_id),
                "incident_id": t.incident_id,
                "operate_type": kind.value(),
                "operator_type": 0,
                "operator_id": who,
                "operator_name": who,
                "operate_desc": operate_desc(kind, lang),
                "operate_time": when,
                "timestamp_operate_time": when,
            })
        })
        .collect();
    json!({ "total_count": entries.len(), "incident_operate_log_list": page })
}

// ---------------------------------------------------------------------------------------
// Counts and copied addresses.

/// The highest count an answer carries (the maximum of `CaseStatusCount.count` in the
/// spec, as the vendor documents it); a larger count is answered as this one.
const MAX_COUNT: u64 = 65_535;

fn counts(shared: &Shared, call: &Call) -> Value {
    let product = call.text("product_category_id").filter(|p| !p.is_empty());
    let business = call.text("business_type_id").filter(|b| !b.is_empty());
    let of = |t: &RecordedTicket, key: &str| {
        t.body
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let ids: Vec<String> = shared
        .store
        .select(|t| {
            product
                .as_deref()
                .is_none_or(|p| of(t, "product_category_id") == p)
                && business
                    .as_deref()
                    .is_none_or(|b| of(t, "business_type_id") == b)
        })
        .into_iter()
        .map(|t| t.incident_id)
        .collect();
    let mut tally: BTreeMap<i64, u64> = BTreeMap::new();
    for id in &ids {
        *tally.entry(shared.cases.get(id).status).or_default() += 1;
    }
    let cap = MAX_COUNT;
    let entry = |status: i64, n: u64| json!({ "status": status, "count": n.min(cap) });
    let list: Vec<Value> = match call.int("status") {
        Some(s) => vec![entry(s, tally.get(&s).copied().unwrap_or(0))],
        None => tally.into_iter().map(|(s, n)| entry(s, n)).collect(),
    };
    json!({ "incident_status_counts": list })
}

/// The caller's account, as the emulator sees it: the domain id the request carries,
/// else the access key, else a fixed name for token callers.
fn account(call: &Call) -> String {
    if let Some(d) = call.headers.get("x-domain-id").and_then(|v| v.to_str().ok()) {
        return d.to_owned();
    }
    match &call.auth {
        crate::store::AuthScheme::AkSk { access_key, .. } => access_key.clone(),
        crate::store::AuthScheme::Token => "emulator-account".into(),
    }
}

/// No operation of the API sets the addresses tickets are copied to, so the emulator's
/// account has none: the caller, and an empty list.
fn cc_emails(call: &Call) -> Value {
    let who = account(call);
    json!({
        "cc_email_info": { "user_id": who, "customer_id": who, "cc_email": "" },
        "mc_email_infos": [],
    })
}

// ---------------------------------------------------------------------------------------
// Contact details and extra fields.

/// The contact members a ticket's contact details consist of.
const CONTACT_MEMBERS: [&str; 4] = ["area_code", "remind_mobile", "remind_mail", "remind_time"];

/// The contact members of ticket `case_id` changed since it was opened, for
/// show_case_detail's `ext_info`.
pub(crate) fn changed_contact(shared: &Shared, case_id: &str) -> Map<String, Value> {
    shared.collections.read(|d| {
        d.get(CONTACTS, case_id)
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| CONTACT_MEMBERS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    })
}

fn change_contact(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, _) = ticket(shared, &case_id(call), false)?;
    let id = t.incident_id;
    shared.collections.update(|tx| -> Result<(), Refusal> {
        let mut stored = tx
            .data()
            .get(CONTACTS, &id)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        for key in CONTACT_MEMBERS {
            if let Some(v) = body_text(call, key) {
                stored.insert(key.into(), json!(v));
            }
        }
        if let Some(Value::Object(more)) = call.body.get("extension_map") {
            let ext = stored
                .entry("extension_map")
                .or_insert_with(|| json!({}));
            if let Some(ext) = ext.as_object_mut() {
                ext.extend(more.clone());
            }
        }
        tx.put(CONTACTS, &id, Value::Object(stored))?;
        let at = rfc3339::format((shared.clock)());
        append_log(tx, &id, &CaseOperateType::ContactChanged, &at)?;
        Ok(())
    })?;
    Ok(json!({}))
}

/// The extra fields submitted for ticket `case_id` since it was opened (merged, the
/// latest value of each key), as the admin route shows them.
pub(crate) fn submitted_extends(shared: &Shared, case_id: &str) -> Option<Value> {
    shared.collections.read(|d| d.get(EXTENDS, case_id).cloned())
}

fn submit_extends(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, _) = ticket(shared, &case_id(call), false)?;
    let id = t.incident_id;
    shared.collections.update(|tx| -> Result<(), Refusal> {
        let mut stored = tx
            .data()
            .get(EXTENDS, &id)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let map = stored
            .entry("extends_map")
            .or_insert_with(|| json!({}));
        if let (Some(map), Some(Value::Object(more))) =
            (map.as_object_mut(), call.body.get("extends_map"))
        {
            map.extend(more.clone());
        }
        if let Some(m) = body_text(call, "message_id") {
            stored.insert("message_id".into(), json!(m));
        }
        tx.put(EXTENDS, &id, Value::Object(stored))?;
        Ok(())
    })?;
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------
// Relations.

/// How many tickets one ticket is related to at most (the spec's `related_id_list`
/// bound, which is what the vendor says a ticket holds).
fn max_related() -> usize {
    field_rule("create_relations", None, "related_id_list")
        .and_then(|r| r.max_items)
        .unwrap_or(3)
}

fn related_ids(data: &crate::collections::Data, case_id: &str) -> Vec<String> {
    data.get(RELATIONS, case_id)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The tickets related to `case_id` that still exist, as list_relation answers them.
fn related(shared: &Shared, case_id: &str) -> Vec<Value> {
    let ids = shared.collections.read(|d| related_ids(d, case_id));
    ids.iter()
        .filter_map(|id| ticket(shared, id, false).ok())
        .map(|(t, _)| {
            json!({
                "case_id": t.incident_id,
                "simple_description": t
                    .body
                    .get("simple_description")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                "user_name": super::followup::customer(&t),
            })
        })
        .collect()
}

fn relate(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, _) = ticket(shared, &case_id(call), false)?;
    let id = t.incident_id;
    let mut wanted: Vec<String> = Vec::new();
    for other in call
        .body
        .get("related_id_list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if other == id {
            return Err(Refusal::Invalid(format!(
                "related_id_list: ticket {id} cannot be related to itself"
            )));
        }
        ticket(shared, other, false)?;
        if !wanted.iter().any(|w| w == other) {
            wanted.push(other.to_owned());
        }
    }
    let max = max_related();
    shared.collections.update(|tx| -> Result<(), Refusal> {
        // A related ticket deleted since no longer counts.
        let mut ids: Vec<String> = related_ids(tx.data(), &id)
            .into_iter()
            .filter(|r| ticket(shared, r, false).is_ok())
            .collect();
        for w in wanted {
            if !ids.contains(&w) {
                ids.push(w);
            }
        }
        if ids.len() > max {
            return Err(Refusal::Invalid(format!(
                "related_id_list: ticket {id} would have {} related tickets; a ticket has at most {max}",
                ids.len()
            )));
        }
        tx.put(RELATIONS, &id, json!(ids))?;
        Ok(())
    })?;
    Ok(json!({}))
}

fn unrelate(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, _) = ticket(shared, &case_id(call), false)?;
    let id = t.incident_id;
    let gone = body_text(call, "related_id").unwrap_or_default().to_owned();
    shared.collections.update(|tx| -> Result<(), Refusal> {
        let before = related_ids(tx.data(), &id);
        let after: Vec<String> = before.iter().filter(|r| **r != gone).cloned().collect();
        if after.len() != before.len() {
            if after.is_empty() {
                tx.remove(RELATIONS, &id);
            } else {
                tx.put(RELATIONS, &id, json!(after))?;
            }
        }
        Ok(())
    })?;
    Ok(json!({}))
}

// ---------------------------------------------------------------------------------------
// Ratings.

/// The verdict and ratings of ticket `case_id`, as show_case_detail shows them, if it
/// was rated: (judgement, incident_satisfaction).
pub(crate) fn rating(shared: &Shared, case_id: &str, lang: &str) -> Option<(String, Vec<Value>)> {
    let stored = shared.collections.read(|d| d.get(SCORES, case_id).cloned())?;
    let judgement = stored
        .get("judgement")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let ratings = stored
        .get("ratings")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|r| {
                    let id = r.get("satisfaction_id").and_then(Value::as_i64).unwrap_or(0);
                    let given = r
                        .get("satisfaction_value")
                        .and_then(Value::as_i64)
                        .unwrap_or(0);
                    let mut out = json!({ "satisfaction_id": id, "satisfaction_value": given });
                    if let Some(d) = dimension(id) {
                        let (name, _) = if lang == "en-us" { d.en } else { d.zh };
                        let o = out.as_object_mut().expect("an object");
                        o.insert("value".into(), json!(d.value));
                        o.insert("per_value".into(), json!(d.per_value));
                        o.insert("satisfaction_name".into(), json!(name));
                        o.insert("sat_category_id".into(), json!(d.category));
                    }
                    out
                })
                .collect()
        })
        .unwrap_or_default();
    Some((judgement, ratings))
}

/// The ratings of the call's `incident_satisfaction_list`, as stored.
fn ratings_of(call: &Call) -> Vec<Value> {
    call.body
        .get("incident_satisfaction_list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            json!({
                "satisfaction_id": r.get("satisfaction_id").cloned().unwrap_or(Value::Null),
                "satisfaction_value": r.get("satisfaction_value").cloned().unwrap_or(Value::Null),
            })
        })
        .collect()
}

/// Stores the rating of ticket `case_id` and notes it in its log, in one change; a
/// ticket already rated keeps its rating (`Ok(false)`).
fn store_rating(
    shared: &Shared,
    case_id: &str,
    judgement: &str,
    ratings: Vec<Value>,
) -> Result<bool, StoreError> {
    let at = rfc3339::format((shared.clock)());
    shared.collections.update(|tx| {
        if tx.data().get(SCORES, case_id).is_some() {
            return Ok(false);
        }
        tx.put(
            SCORES,
            case_id,
            json!({ "judgement": judgement, "ratings": ratings, "at": at }),
        )?;
        append_log(tx, case_id, &CaseOperateType::Rated, &at)?;
        Ok(true)
    })
}

fn rate(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, state) = ticket(shared, &case_id(call), false)?;
    if state.status != cases::STATUS_COMPLETED {
        return Err(Refusal::Business(format!(
            "the ticket's status is {} ({}): only a completed ticket is rated",
            state.status,
            cases::status_name(state.status)
        )));
    }
    let ratings = ratings_of(call);
    let mut seen = Vec::new();
    for (i, r) in ratings.iter().enumerate() {
        let id = r["satisfaction_id"].as_i64().unwrap_or(-1);
        let Some(d) = dimension(id) else {
            return Err(Refusal::Invalid(format!(
                "incident_satisfaction_list item {i}: satisfaction_id {id} is no satisfaction \
                 dimension (see list_satisfaction_dimensions)"
            )));
        };
        if seen.contains(&id) {
            return Err(Refusal::Invalid(format!(
                "incident_satisfaction_list item {i}: satisfaction_id {id} is rated twice"
            )));
        }
        seen.push(id);
        let given = r["satisfaction_value"].as_i64().unwrap_or(-1);
        if given > d.value {
            return Err(Refusal::Invalid(format!(
                "incident_satisfaction_list item {i}: satisfaction_value {given} is more than \
                 dimension {id}'s highest score, {}",
                d.value
            )));
        }
    }
    let judgement = body_text(call, "judgement").unwrap_or_default();
    if !store_rating(shared, &t.incident_id, judgement, ratings)? {
        return Err(Refusal::Business(format!(
            "ticket {} is rated already; a ticket is rated once",
            t.incident_id
        )));
    }
    Ok(json!({}))
}

/// update_case's close may carry the customer's verdict and ratings: they are the
/// ticket's rating, as create_scores would give it (unless it is rated already).
pub(crate) fn rate_on_close(shared: &Shared, call: &Call, case_id: &str) {
    let judgement = body_text(call, "judgement").unwrap_or_default();
    let ratings = ratings_of(call);
    if judgement.is_empty() && ratings.is_empty() {
        return;
    }
    if let Err(e) = store_rating(shared, case_id, judgement, ratings) {
        tracing::warn!(error = %e, "the rating given with a close could not be stored");
    }
}

// ---------------------------------------------------------------------------------------
// Reports.

fn file_feedback(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    if shared.check_references {
        let mut named = Vec::new();
        for (field, list) in [
            ("files", call.body.get("files")),
            (
                "contacts.id_files",
                call.body.get("contacts").and_then(|c| c.get("id_files")),
            ),
        ] {
            for (i, id) in list
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                named.push((field, i, id.as_str().unwrap_or_default().to_owned()));
            }
        }
        if let Some((field, i, id)) = named.into_iter().find(|(_, _, id)| !shared.files.contains(id)) {
            return Err(Refusal::Invalid(format!(
                "{field} item {i} {id:?} names no uploaded attachment (upload it first with \
                 upload_attachment or upload_json_attachment)"
            )));
        }
    }
    let at = rfc3339::format((shared.clock)());
    shared.collections.update(|tx| -> Result<(), Refusal> {
        let n = tx.next_id(FEEDBACKS, u64::MAX).ok_or_else(|| {
            Refusal::Store(StoreError::Full("no more report numbers".into()))
        })?;
        tx.put(
            FEEDBACKS,
            &format!("{n:010}"),
            json!({ "report": Value::Object(call.body.clone()), "at": at }),
        )?;
        Ok(())
    })?;
    Ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_type_has_a_description_in_both_languages() {
        for kind in CaseOperateType::ALL {
            assert!(!operate_desc(kind, "en-us").is_empty());
            assert!(operate_desc(kind, "en-us").starts_with(char::is_uppercase));
        }
        for kind in [
            CaseOperateType::Created,
            CaseOperateType::Urged,
            CaseOperateType::Closed,
            CaseOperateType::Cancelled,
            CaseOperateType::Rated,
            CaseOperateType::Deleted,
            CaseOperateType::Exported,
            CaseOperateType::FeedbackGiven,
            CaseOperateType::ContactChanged,
        ] {
            assert_ne!(operate_desc(&kind, "zh-cn"), "操作", "{kind:?}");
        }
    }

    #[test]
    fn dimensions_fit_the_spec() {
        for d in DIMENSIONS {
            for lang in ["en-us", "zh-cn"] {
                let j = dimension_json(d, lang);
                let name = j["satisfaction_name"].as_str().unwrap();
                assert!((1..=32).contains(&name.chars().count()), "{name}");
                assert!(j["satisfaction_desc"].as_str().unwrap().chars().count() <= 128);
            }
        }
    }
}
