//! Labels: the account's labels (a name and a colour each) and the labels on each
//! ticket, kept in the generic store ([`crate::collections`]): collection `labels`
//! (key: the label id, value: the label as list_labels answers it) and `case_labels`
//! (key: the ticket id, value: the ids of its labels, in the order they were put on).
//! Ids come from the sequence `labels` and are never given twice.

use http::StatusCode;
use serde_json::{Value, json};

use huaweicloud_osm::rules::{self, Location};

use crate::Shared;
use crate::cases;
use crate::collections::{Data, StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::Refusal;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("create_labels", super::Handler::Sync(handle)),
    ("list_labels", super::Handler::Sync(handle)),
    ("update_labels", super::Handler::Sync(handle)),
    ("delete_labels", super::Handler::Sync(handle)),
    ("create_case_labels", super::Handler::Sync(handle)),
    ("list_case_labels", super::Handler::Sync(handle)),
    ("delete_case_labels", super::Handler::Sync(handle)),
];

/// The collection of the labels.
const LABELS: &str = "labels";
/// The collection of the labels on each ticket.
const CASE_LABELS: &str = "case_labels";

/// A spec limit of operation `op`'s parameter or body field `name`.
fn limit(op: &str, location: Option<Location>, name: &str) -> Option<&'static rules::FieldRule> {
    let op = rules::operation(op)?;
    match location {
        Some(l) => op.param(l, name),
        None => op.body_field(name),
    }
}

/// The largest label id (the spec's `LabelId` maximum).
fn max_label_id() -> u64 {
    limit("delete_labels", Some(Location::Path), "label_id")
        .and_then(|r| r.maximum)
        .and_then(|m| u64::try_from(m).ok())
        .unwrap_or(u64::from(u16::MAX))
}

/// How many labels one ticket carries at most (the spec's `case_label_list` bound,
/// which is also how many label ids one request may name).
fn max_per_case() -> usize {
    limit("create_case_labels", Some(Location::Query), "label_ids")
        .and_then(|r| r.max_items)
        .unwrap_or(5)
}

/// How many labels a list answers when the request gives no `limit` (the spec's default).
fn default_limit() -> usize {
    limit("list_labels", Some(Location::Query), "limit")
        .and_then(|r| r.default)
        .and_then(|d| d.parse().ok())
        .unwrap_or(10)
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let answer = match call.op.id {
        "list_labels" => Ok(list_labels(shared, call)),
        "list_case_labels" => known_case(shared, call)
            .map(|id| shared.collections.read(|d| json!({ "case_label_list": on_case(d, &id) }))),
        "create_labels" => shared.collections.update(|tx| create(tx, call)),
        "update_labels" => shared.collections.update(|tx| update(tx, call)),
        "delete_labels" => shared.collections.update(|tx| delete(tx, call)),
        "create_case_labels" | "delete_case_labels" => known_case(shared, call).and_then(|id| {
            shared.collections.update(|tx| {
                if call.op.id == "create_case_labels" {
                    put_on(tx, call, &id)
                } else {
                    take_off(tx, call, &id)
                }
            })
        }),
        _ => return super::not_implemented(call),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, rid).into(),
        Err(r) => r.reply(rid),
    }
}

/// The labels of the ticket `case_id`, as list_cases and list_case_labels answer them
/// (a label deleted since is left out).
pub(crate) fn on_case(data: &Data, case_id: &str) -> Vec<Value> {
    ids_on(data, case_id)
        .iter()
        .filter_map(|id| data.get(LABELS, &id.to_string()).cloned())
        .collect()
}

/// Whether the ticket `case_id` carries at least one of the labels `wanted` (label ids
/// as text, as list_cases' `label_id_list` gives them).
pub(crate) fn carries_any(data: &Data, case_id: &str, wanted: &[String]) -> bool {
    ids_on(data, case_id)
        .iter()
        .any(|id| wanted.iter().any(|w| w.trim() == id.to_string()))
}

/// The ids of the labels on the ticket `case_id`.
fn ids_on(data: &Data, case_id: &str) -> Vec<u64> {
    data.get(CASE_LABELS, case_id)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

/// The ticket the call names, if the emulator holds it (and it is not deleted).
fn known_case(shared: &Shared, call: &Call) -> Result<String, Refusal> {
    let id = call.text("case_id").unwrap_or_default();
    if shared.store.find(&id).is_none() || shared.cases.get(&id).status == cases::STATUS_DELETED {
        return Err(Refusal::NotFound(format!("there is no ticket {id:?}")));
    }
    Ok(id)
}

/// The label ids of the call's `label_ids`, in order, each once.
fn label_ids(call: &Call) -> Vec<u64> {
    let mut ids: Vec<u64> = Vec::new();
    for id in call
        .param("label_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
    {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The label the call's path names, if it exists.
fn existing(tx: &Tx<'_>, call: &Call) -> Result<String, Refusal> {
    let id = call.text("label_id").unwrap_or_default();
    match tx.data().get(LABELS, &id) {
        Some(_) => Ok(id),
        None => Err(Refusal::NotFound(format!("there is no label {id}"))),
    }
}

fn text(call: &Call, name: &str) -> String {
    call.body
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn create(tx: &mut Tx<'_>, call: &Call) -> Result<Value, Refusal> {
    let max = max_label_id();
    let id = tx.next_id(LABELS, max).ok_or_else(|| {
        Refusal::Store(StoreError::Full(format!(
            "every label id up to {max} has been given; the emulator gives no more"
        )))
    })?;
    let label = json!({ "label_id": id, "name": text(call, "name"), "color": text(call, "color") });
    tx.put(LABELS, &id.to_string(), label)?;
    Ok(json!({}))
}

fn update(tx: &mut Tx<'_>, call: &Call) -> Result<Value, Refusal> {
    let id = existing(tx, call)?;
    let label_id: u64 = id.parse().unwrap_or_default();
    let label =
        json!({ "label_id": label_id, "name": text(call, "name"), "color": text(call, "color") });
    tx.put(LABELS, &id, label)?;
    Ok(json!({}))
}

/// Deletes a label and takes it off every ticket, in one change.
fn delete(tx: &mut Tx<'_>, call: &Call) -> Result<Value, Refusal> {
    let id = existing(tx, call)?;
    let label_id: u64 = id.parse().unwrap_or_default();
    tx.remove(LABELS, &id);
    let marked: Vec<(String, Vec<u64>)> = tx
        .data()
        .iter(CASE_LABELS)
        .filter_map(|(case, ids)| {
            let ids: Vec<u64> = ids.as_array()?.iter().filter_map(Value::as_u64).collect();
            ids.contains(&label_id).then(|| (case.clone(), ids))
        })
        .collect();
    for (case, ids) in marked {
        set_on_case(tx, &case, ids.into_iter().filter(|i| *i != label_id).collect())?;
    }
    Ok(json!({}))
}

fn set_on_case(tx: &mut Tx<'_>, case_id: &str, ids: Vec<u64>) -> Result<(), StoreError> {
    if ids.is_empty() {
        tx.remove(CASE_LABELS, case_id);
        Ok(())
    } else {
        tx.put(CASE_LABELS, case_id, json!(ids))
    }
}

fn put_on(tx: &mut Tx<'_>, call: &Call, case_id: &str) -> Result<Value, Refusal> {
    let wanted = label_ids(call);
    if let Some(unknown) = wanted
        .iter()
        .find(|id| tx.data().get(LABELS, &id.to_string()).is_none())
    {
        return Err(Refusal::NotFound(format!("there is no label {unknown}")));
    }
    let mut ids = ids_on(tx.data(), case_id);
    // A label deleted since no longer counts.
    ids.retain(|id| tx.data().get(LABELS, &id.to_string()).is_some());
    for id in wanted {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let max = max_per_case();
    if ids.len() > max {
        return Err(Refusal::Invalid(format!(
            "label_ids: ticket {case_id} would carry {} labels; a ticket carries at most {max}",
            ids.len()
        )));
    }
    set_on_case(tx, case_id, ids)?;
    Ok(json!({}))
}

fn take_off(tx: &mut Tx<'_>, call: &Call, case_id: &str) -> Result<Value, Refusal> {
    let gone = label_ids(call);
    let before = ids_on(tx.data(), case_id);
    let after: Vec<u64> = before.iter().copied().filter(|id| !gone.contains(id)).collect();
    if after != before {
        set_on_case(tx, case_id, after)?;
    }
    Ok(json!({}))
}

fn list_labels(shared: &Shared, call: &Call) -> Value {
    let name = call.text("name").filter(|n| !n.is_empty());
    let wanted_id = call.int("label_id");
    let offset = call.int("offset").unwrap_or(0).max(0) as usize;
    let limit = call
        .int("limit")
        .map_or_else(default_limit, |l| l.max(0) as usize);
    shared.collections.read(|d| {
        let mut matching: Vec<(u64, &Value)> = d
            .iter(LABELS)
            .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v)))
            .filter(|(id, v)| {
                wanted_id.is_none_or(|w| u64::try_from(w).is_ok_and(|w| w == *id))
                    && name.as_deref().is_none_or(|n| {
                        v.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|have| have.contains(n))
                    })
            })
            .collect();
        matching.sort_by_key(|(id, _)| *id);
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|(_, v)| (*v).clone())
            .collect();
        json!({ "total_count": matching.len(), "label_list": page })
    })
}
