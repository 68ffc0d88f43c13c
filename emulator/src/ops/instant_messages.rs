//! Instant messages: a ticket's conversation seen as a chat. The messages themselves are
//! the ticket's ([`crate::cases`]: its description, the caller's create_message, support's
//! replies through the admin route); what this family adds is kept in the generic store
//! ([`crate::collections`]):
//!
//! - collection `im_read` (key: the ticket id, value `{"read_through": n}`): the
//!   caller has read the ticket's first `n` messages (update_new_instant_messages_read
//!   sets `n` to how many the ticket has then; it never goes down, so a message read
//!   stays read);
//! - collection `im_withdrawn` (key: the ticket id, value: the positions of the
//!   messages withdrawn with revoke_message). A withdrawn message is no longer listed
//!   anywhere (list_messages, show_case_detail, this family): the vendor's message
//!   models have no member that could mark it.
//!
//! A message's id is `{ticket id}-{position}`, as show_case_detail answers it; the
//! position counts the ticket's description as 0 and does not change when a message is
//! withdrawn. Unread messages are support's (type 1) past the read mark.
//!
//! The poll's cursor (`last_message_time_id`) and list_more_instant_messages'
//! `create_time` are timestamps in milliseconds since 1970-01-01 UTC; a time as the
//! answers show it (`2026-11-28T08:38:54.123Z`) is read too.

use std::time::{SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::{Value, json};

use crate::Shared;
use crate::cases::{self, CaseMessage, CaseState};
use crate::collections::Data;
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::store::{RecordedTicket, rfc3339};
use crate::vendor::Refusal;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("list_new_instant_messages", super::Handler::Sync(handle)),
    ("list_unread_new_instant_messages", super::Handler::Sync(handle)),
    ("update_new_instant_messages_read", super::Handler::Sync(handle)),
    ("list_more_instant_messages", super::Handler::Sync(handle)),
    ("revoke_message", super::Handler::Sync(handle)),
];

/// The collection of the read marks.
const READ: &str = "im_read";
/// The collection of the withdrawn messages.
const WITHDRAWN: &str = "im_withdrawn";

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let answer = match call.op.id {
        "list_new_instant_messages" => poll(shared, call),
        "list_unread_new_instant_messages" => Ok(unread(shared, call)),
        "update_new_instant_messages_read" => mark_read(shared, call),
        "list_more_instant_messages" => earlier(shared, call),
        "revoke_message" => withdraw(shared, call),
        _ => return super::not_implemented(call),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, rid).into(),
        Err(r) => r.reply(rid),
    }
}

/// The positions of the messages of ticket `case_id` that were withdrawn.
fn withdrawn_in(data: &Data, case_id: &str) -> Vec<usize> {
    data.get(WITHDRAWN, case_id)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).map(|n| n as usize).collect())
        .unwrap_or_default()
}

/// How many of the ticket's first messages the caller has read.
fn read_through(data: &Data, case_id: &str) -> usize {
    data.get(READ, case_id)
        .and_then(|v| v.get("read_through"))
        .and_then(Value::as_u64)
        .map_or(0, |n| n as usize)
}

/// The messages of a ticket that are listed: all but those withdrawn, each with its
/// position (for list_messages, show_case_detail and this family).
pub(crate) fn visible(
    shared: &Shared,
    t: &RecordedTicket,
    state: &CaseState,
) -> Vec<(usize, CaseMessage)> {
    let gone = shared
        .collections
        .read(|d| withdrawn_in(d, &t.incident_id));
    super::followup::all_messages(t, state)
        .into_iter()
        .filter(|(i, _)| !gone.contains(i))
        .collect()
}

/// How many of the listed messages of a ticket are support's and past the read mark.
fn unread_count(shared: &Shared, t: &RecordedTicket, state: &CaseState) -> usize {
    let mark = shared
        .collections
        .read(|d| read_through(d, &t.incident_id));
    visible(shared, t, state)
        .iter()
        .filter(|(i, m)| *i >= mark && m.kind == 1)
        .count()
}

/// The ticket `id` and its state, if the emulator holds it and it is not deleted.
fn ticket(shared: &Shared, id: &str) -> Option<(RecordedTicket, CaseState)> {
    let t = shared.store.find(id)?;
    let state = shared.cases.get(id);
    (state.status != cases::STATUS_DELETED).then_some((t, state))
}

fn known(shared: &Shared, call: &Call) -> Result<(RecordedTicket, CaseState), Refusal> {
    let id = call.text("case_id").unwrap_or_default();
    ticket(shared, &id).ok_or_else(|| Refusal::NotFound(format!("there is no ticket {id:?}")))
}

/// The tickets of `case_ids` the emulator holds, in the order given, each once; the
/// others are passed over, as a poll of several tickets does.
fn named(shared: &Shared, call: &Call) -> Vec<(RecordedTicket, CaseState)> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for id in call
        .param("case_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if seen.iter().any(|s| s == id) {
            continue;
        }
        seen.push(id.to_owned());
        if let Some(found) = ticket(shared, id) {
            out.push(found);
        }
    }
    out
}

/// Milliseconds since 1970-01-01 UTC.
fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// A time as the family takes it: a timestamp in milliseconds, or an answer's time.
fn time_param(call: &Call, name: &str) -> Result<Option<u128>, Refusal> {
    let Some(text) = call.text(name).filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let text = text.trim();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u128>().map(Some).map_err(|_| {
            Refusal::Invalid(format!("{name} {text:?} is not a timestamp in milliseconds"))
        });
    }
    rfc3339::parse(text).map(|t| Some(millis(t))).ok_or_else(|| {
        Refusal::Invalid(format!(
            "{name} {text:?} is neither a timestamp in milliseconds nor a time such as \
             2026-11-28T08:38:54.123Z"
        ))
    })
}

fn poll(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let after = time_param(call, "last_message_time_id")?;
    let lang = call.language();
    let mut newest = after;
    let mut states = Vec::new();
    let mut lists = Vec::new();
    for (t, state) in named(shared, call) {
        let unread = unread_count(shared, &t, &state);
        states.push(json!({
            "status": i64::from(unread == 0),
            "incident_id": t.incident_id,
        }));
        let fresh: Vec<(usize, CaseMessage)> = visible(shared, &t, &state)
            .into_iter()
            .filter(|(_, m)| after.is_none_or(|a| millis(m.at) > a))
            .collect();
        if let Some(last) = fresh.iter().map(|(_, m)| millis(m.at)).max() {
            newest = Some(newest.map_or(last, |n| n.max(last)));
        }
        if !fresh.is_empty() {
            let list: Vec<Value> = fresh
                .iter()
                .map(|(i, m)| super::followup::message_json(shared, *i, m, lang))
                .collect();
            lists.push(json!({ "incident_id": t.incident_id, "message_list": list }));
        }
    }
    Ok(json!({
        "imstatus": states,
        "immsg": lists,
        "last_message_time_id": newest.map(|n| n.to_string()).unwrap_or_default(),
    }))
}

fn unread(shared: &Shared, call: &Call) -> Value {
    let list: Vec<Value> = named(shared, call)
        .iter()
        .map(|(t, state)| {
            json!({
                "status": state.status,
                "incident_id": t.incident_id,
                "unread_num": unread_count(shared, t, state),
            })
        })
        .collect();
    json!({ "imunread": list })
}

fn mark_read(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, state) = known(shared, call)?;
    let count = super::followup::all_messages(&t, &state).len();
    shared.collections.update(|tx| {
        // A mark never goes back: what was read stays read.
        if read_through(tx.data(), &t.incident_id) < count {
            tx.put(READ, &t.incident_id, json!({ "read_through": count }))?;
        }
        Ok::<_, Refusal>(())
    })?;
    Ok(json!({}))
}

fn earlier(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, state) = known(shared, call)?;
    let before = time_param(call, "create_time")?.unwrap_or(u128::MAX);
    let limit = call.int("limit").unwrap_or(0).max(0) as usize;
    let lang = call.language();
    let older: Vec<(usize, CaseMessage)> = visible(shared, &t, &state)
        .into_iter()
        .filter(|(_, m)| millis(m.at) < before)
        .collect();
    let skip = older.len().saturating_sub(limit);
    let list: Vec<Value> = older
        .iter()
        .skip(skip)
        .map(|(i, m)| super::followup::message_json(shared, *i, m, lang))
        .collect();
    Ok(json!({ "count": older.len(), "message_list": list }))
}

fn withdraw(shared: &Shared, call: &Call) -> Result<Value, Refusal> {
    let (t, state) = known(shared, call)?;
    let id = call.text("message_id").unwrap_or_default();
    let all = super::followup::all_messages(&t, &state);
    let position = id
        .strip_prefix(&t.incident_id)
        .and_then(|rest| rest.strip_prefix('-'))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < all.len())
        .ok_or_else(|| {
            Refusal::NotFound(format!(
                "ticket {} has no message {id:?}",
                t.incident_id
            ))
        })?;
    if position == 0 {
        return Err(Refusal::Business(
            "the ticket's first message (its description) cannot be withdrawn".into(),
        ));
    }
    if all[position].1.kind != 0 {
        return Err(Refusal::Business(format!(
            "message {id} was written by support; only the caller's own messages can be withdrawn"
        )));
    }
    if matches!(
        state.status,
        cases::STATUS_COMPLETED | cases::STATUS_CANCELLED | cases::STATUS_INVALID
    ) {
        return Err(Refusal::Business(format!(
            "the ticket's status is {} ({}): its messages can no longer be withdrawn",
            state.status,
            cases::status_name(state.status)
        )));
    }
    shared.collections.update(|tx| {
        let mut gone = withdrawn_in(tx.data(), &t.incident_id);
        if gone.contains(&position) {
            return Err(Refusal::Business(format!(
                "message {id} was already withdrawn"
            )));
        }
        gone.push(position);
        gone.sort_unstable();
        tx.put(WITHDRAWN, &t.incident_id, json!(gone))?;
        Ok(())
    })?;
    Ok(json!({}))
}
