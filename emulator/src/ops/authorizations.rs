//! Support authorizations: Huawei Cloud support asks the account for access to its
//! console or hosts while handling a ticket; the customer grants it
//! (confirm_authorizations), rejects or cancels it (update_authorizations), checks a
//! host's login first (check_hosts); support's sessions on a host, the commands run in
//! each and the files moved are listed afterwards. Kept in the generic store
//! ([`crate::collections`]): collection `authorizations` (key: the authorization id,
//! value: the authorization with its details) and `authorization_sessions` (key: the
//! session id, value: the session with its commands and file transfers). Ids come from
//! the sequences `authorizations`, `authorization_details` and
//! `authorization_sessions` and are never given twice. Each account (the caller's
//! `X-Domain-Id`, else its access key, else `emulator-account`) sees only its own.
//!
//! Support's side has no operation of the service: a test plays it with
//! [`crate::RunningEmulator::request_authorization`] and
//! [`crate::RunningEmulator::record_support_session`], or the admin routes
//! `POST /__emulator/authorizations` and `POST /__emulator/authorizations/{id}/sessions`
//! ([`admin`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use hyper::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use huaweicloud_osm::rules::{self, Location};

use crate::Shared;
use crate::body::ResBody;
use crate::collections::{Data, StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::{Refusal, not_found, service_error};

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("list_authorizations", super::Handler::Sync(handle)),
    ("show_authorization_detail", super::Handler::Sync(handle)),
    ("confirm_authorizations", super::Handler::Sync(handle)),
    ("update_authorizations", super::Handler::Sync(handle)),
    ("check_hosts", super::Handler::Sync(handle)),
    ("show_login_type", super::Handler::Sync(handle)),
    ("list_history_sessions", super::Handler::Sync(handle)),
    ("list_history_operate_logs", super::Handler::Sync(handle)),
    ("list_transport_histories", super::Handler::Sync(handle)),
];

/// The collection (and sequence) of the authorizations.
const AUTHS: &str = "authorizations";
/// The sequence of the authorization details.
const DETAILS: &str = "authorization_details";
/// The collection (and sequence) of support's sessions.
const SESSIONS: &str = "authorization_sessions";

/// The states of an authorization (the spec's `AuthorizationStatus`).
const PENDING: i64 = 0;
const AUTHORIZED: i64 = 1;
const REJECTED: i64 = 2;
const EXPIRED: i64 = 3;
const CANCELLED: i64 = 5;

/// How long a grant lasts when confirm_authorizations gives no end.
const DEFAULT_GRANT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The most commands, and the most file transfers, one support session records.
pub const MAX_SESSION_ENTRIES: usize = 200;

/// The longest text of a support request or session the emulator keeps (a command, a
/// path, a description), in characters.
pub const MAX_SUPPORT_TEXT: usize = 2000;

/// What the login type answers.
const LOGIN_TYPE: &str = "password";

/// An authorization support asks for, as a test plays support
/// ([`crate::RunningEmulator::request_authorization`], or the JSON body of
/// `POST /__emulator/authorizations`). Every member may be left out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorizationRequest {
    /// The account asked (its `X-Domain-Id`, or the access key of a call without one);
    /// `emulator-account`, every token's account, when empty.
    pub account: String,
    /// The ticket it is asked on.
    pub incident_id: String,
    /// The ticket's brief description.
    pub simple_description: String,
    /// What support asks to do.
    pub auth_describe: String,
    /// The sub-user it concerns, if any (`xcustomer_name`).
    pub sub_user: String,
    /// The hosts support asks to reach (at most as many as confirm_authorizations'
    /// `auth_detail_list` holds); none asks for the console.
    pub hosts: Vec<SupportHost>,
}

/// A host support asks to reach.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportHost {
    /// Id of the host's instance.
    pub instance_id: String,
    /// Name of the host's instance.
    pub instance_name: String,
    /// Region of the host.
    pub region_id: String,
    /// Port support would log in on (22 when 0).
    pub port: u16,
    /// Account support would log in with (`root` when empty).
    pub account: String,
}

/// An authorization the emulator holds, as [`crate::RunningEmulator::request_authorization`]
/// answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedAuthorization {
    /// Its id, which every operation on it takes.
    pub id: String,
    /// The ids of its details (one per host, or one for the console), in order.
    pub detail_ids: Vec<i64>,
}

/// A session support held on a host of a granted authorization, as a test plays
/// support ([`crate::RunningEmulator::record_support_session`], or the JSON body of
/// `POST /__emulator/authorizations/{id}/sessions`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportSession {
    /// The authorization detail (host) it was held on.
    pub detail_id: i64,
    /// The commands run, in order, one second apart from the session's start (at most
    /// [`MAX_SESSION_ENTRIES`]).
    pub commands: Vec<String>,
    /// The files moved, in order, after the commands (at most [`MAX_SESSION_ENTRIES`]).
    pub files: Vec<SupportFileTransfer>,
    /// How long the session lasted, in seconds (at least one second per entry).
    pub seconds: u64,
}

/// A file support moved in a session.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportFileTransfer {
    /// Name of the file.
    pub file_name: String,
    /// `upload` (when empty) or `download`.
    pub operate_type: String,
    /// Where it was taken from.
    pub from_path: String,
    /// Where it was put.
    pub to_path: String,
    /// Its size as the service writes it (`12K`, `3M`).
    pub file_size: String,
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let me = super::diagnosis::account(call);
    let now = (shared.clock)();
    let answer = match call.op.id {
        "list_authorizations" => Ok(shared.collections.read(|d| list(d, call, &me, now))),
        "show_authorization_detail" => shared
            .collections
            .read(|d| mine(d, &authorization_id(call), &me).map(|a| detail_view(&a, now))),
        "confirm_authorizations" => shared.collections.update(|tx| confirm(tx, call, &me, now)),
        "update_authorizations" => shared.collections.update(|tx| act(tx, call, &me, now)),
        "check_hosts" => shared.collections.read(|d| check_host(d, call, &me)),
        "show_login_type" => Ok(json!({ "login_type": LOGIN_TYPE })),
        "list_history_sessions" => shared.collections.read(|d| sessions(d, call, &me)),
        "list_history_operate_logs" => {
            shared.collections.read(|d| session_log(d, call, &me, "commands", "ops_list"))
        }
        "list_transport_histories" => {
            shared.collections.read(|d| session_log(d, call, &me, "files", "file_ops_list"))
        }
        _ => return super::not_implemented(call),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, rid).into(),
        Err(r) => r.reply(rid),
    }
}

fn authorization_id(call: &Call) -> String {
    call.text("authorization_id").unwrap_or_default()
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A time (seconds since 1970) as the emulator answers it: `yyyy-MM-ddTHH:mm:ssZ`, UTC.
fn iso(secs: u64) -> String {
    let d = huaweicloud_signing::format_sdk_date(UNIX_EPOCH + Duration::from_secs(secs));
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

/// Seconds as `hh:mm:ss`.
fn clock_time(secs: u64) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The default of a query parameter of `op`, from the spec.
fn default_of(op: &str, name: &str, fallback: i64) -> i64 {
    rules::operation(op)
        .and_then(|o| o.param(Location::Query, name))
        .and_then(|r| r.default)
        .and_then(|d| d.parse().ok())
        .unwrap_or(fallback)
}

/// The page `offset`/`limit` of the call selects.
fn page(call: &Call) -> (usize, usize) {
    let offset = call.int("offset").unwrap_or(0).max(0);
    let limit = call
        .int("limit")
        .unwrap_or_else(|| default_of(call.op.id, "limit", 10))
        .max(0);
    (
        usize::try_from(offset).unwrap_or(usize::MAX),
        usize::try_from(limit).unwrap_or(0),
    )
}

fn owner(a: &Value) -> &str {
    a["account"].as_str().unwrap_or_default()
}

/// The state an authorization shows at `now`: a grant whose end has passed is expired.
fn status_at(a: &Value, now: SystemTime) -> i64 {
    let status = a["status"].as_i64().unwrap_or(PENDING);
    let ends = a["expire_secs"].as_u64();
    if status == AUTHORIZED && ends.is_some_and(|e| secs(now) > e) {
        EXPIRED
    } else {
        status
    }
}

/// The authorization `id` of the account `me`.
fn mine(d: &Data, id: &str, me: &str) -> Result<Value, Refusal> {
    d.get(AUTHS, id)
        .filter(|a| owner(a) == me)
        .cloned()
        .ok_or_else(|| Refusal::NotFound(format!("there is no authorization {id:?}")))
}

/// A time member of the answers: the stored seconds as text, or null (left out by
/// [`without_nulls`]) while unset, such as a grant's times before the grant.
fn time_member(a: &Value, name: &str) -> Value {
    a[name].as_u64().map_or(Value::Null, |t| Value::String(iso(t)))
}

/// `v` without its null members: a time not set yet is left out of an answer, since
/// the SDKs read these members as times and an empty text is none.
fn without_nulls(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, m| !m.is_null());
    }
    v
}

/// An authorization as list_authorizations answers it.
fn list_view(a: &Value, now: SystemTime) -> Value {
    without_nulls(json!({
        "id": a["id"],
        "status": status_at(a, now),
        "incident_id": a["incident_id"],
        "simple_description": a["simple_description"],
        "auth_describe": a["auth_describe"],
        "resource_type_id": a["resource_type_id"],
        "resource_type_name": a["resource_type_name"],
        "visit_type_id": a["visit_type_id"],
        "visit_type_name": a["visit_type_name"],
        "create_time": time_member(a, "create_secs"),
        "auth_effective_time": time_member(a, "effective_secs"),
        "auth_expire_time": time_member(a, "expire_secs"),
        "reject_reason": a["reject_reason"],
        "customer_id": a["account"],
        "x_customer_id": a["x_customer_id"],
        "xcustomer_name": a["xcustomer_name"],
        "content_of_auth_letter": a["content_of_auth_letter"],
    }))
}

/// An authorization as show_authorization_detail answers it.
fn detail_view(a: &Value, now: SystemTime) -> Value {
    let details: Vec<Value> = a["details"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    json!({
                        "id": d["id"],
                        "port": d["port"],
                        "account": d["account"],
                        "type": d["type"],
                        "instance_id": d["instance_id"],
                        "instance_name": d["instance_name"],
                        "region_id": d["region_id"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    without_nulls(json!({
        "id": a["id"],
        "status": status_at(a, now),
        "incident_id": a["incident_id"],
        "simple_description": a["simple_description"],
        "resource_type_id": a["resource_type_id"],
        "resource_type_name": a["resource_type_name"],
        "visit_type_id": a["visit_type_id"],
        "visit_type_name": a["visit_type_name"],
        "auth_effective_time": time_member(a, "effective_secs"),
        "auth_expire_time": time_member(a, "expire_secs"),
        "reject_reason": a["reject_reason"],
        "incident_auth_detail_list": details,
        "xcustomer_name": a["xcustomer_name"],
        "auth_handler_name": a["auth_handler_name"],
        "agency_name": a["agency_name"],
        "auth_describe": a["auth_describe"],
        "content_type_id": a["resource_type_id"],
        "content_type_name": a["resource_type_name"],
    }))
}

fn contains(have: &Value, wanted: Option<&String>) -> bool {
    wanted
        .filter(|w| !w.is_empty())
        .is_none_or(|w| have.as_str().is_some_and(|h| h.contains(w.as_str())))
}

fn list(d: &Data, call: &Call, me: &str, now: SystemTime) -> Value {
    let sub_user = call.text("sub_customer_name");
    let ticket = call.text("incident_id").filter(|t| !t.is_empty());
    let description = call.text("simple_description");
    let status = call.int("status");
    let mut matching: Vec<(u64, &Value)> = d
        .iter(AUTHS)
        .filter_map(|(k, a)| Some((k.parse::<u64>().ok()?, a)))
        .filter(|(_, a)| {
            owner(a) == me
                && contains(&a["xcustomer_name"], sub_user.as_ref())
                && contains(&a["simple_description"], description.as_ref())
                && ticket.as_deref().is_none_or(|t| a["incident_id"] == t)
                && status.is_none_or(|s| status_at(a, now) == s)
        })
        .collect();
    matching.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let (offset, limit) = page(call);
    let listed: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(_, a)| list_view(a, now))
        .collect();
    json!({ "count": matching.len(), "incident_auth_list": listed })
}

fn body_text(call: &Call, name: &str) -> Option<String> {
    call.body
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn body_int(call: &Call, name: &str) -> Option<i64> {
    call.body.get(name).and_then(Value::as_i64)
}

fn confirm(tx: &mut Tx<'_>, call: &Call, me: &str, now: SystemTime) -> Result<Value, Refusal> {
    let id = authorization_id(call);
    let mut a = mine(tx.data(), &id, me)?;
    let state = status_at(&a, now);
    if state != PENDING {
        return Err(Refusal::Business(format!(
            "authorization {id} is not waiting for the customer (state {state}); only a pending one can be granted"
        )));
    }
    let now_ms = i64::try_from(secs(now)).unwrap_or(i64::MAX).saturating_mul(1000);
    let start = body_int(call, "auth_effective_time").unwrap_or(now_ms);
    let grant_ms = i64::try_from(DEFAULT_GRANT.as_millis()).unwrap_or(i64::MAX);
    let end = body_int(call, "auth_expire_time").unwrap_or(start.saturating_add(grant_ms));
    if end <= start {
        return Err(Refusal::Invalid(format!(
            "auth_expire_time: {end} is not after auth_effective_time {start}"
        )));
    }
    let logins = call
        .body
        .get("auth_detail_list")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let details = a["details"].as_array_mut().map(std::mem::take).unwrap_or_default();
    let mut details = details;
    for (i, login) in logins.iter().enumerate() {
        let wanted = login["auth_detail_id"].as_i64();
        let Some(detail) = details
            .iter_mut()
            .find(|d| wanted.is_some() && d["id"].as_i64() == wanted)
        else {
            return Err(Refusal::Invalid(format!(
                "auth_detail_list[{i}].auth_detail_id: authorization {id} has no detail {}",
                login["auth_detail_id"]
            )));
        };
        if detail["type"].as_i64() != Some(1) {
            return Err(Refusal::Invalid(format!(
                "auth_detail_list[{i}]: detail {} is the console, which takes no login",
                detail["id"]
            )));
        }
        // The password is checked by check_hosts, never kept.
        if let Some(port) = login["port"].as_i64() {
            detail["port"] = json!(port);
        }
        if let Some(account) = login["account"].as_str() {
            detail["account"] = json!(account);
        }
    }
    a["details"] = Value::Array(details);
    a["status"] = json!(AUTHORIZED);
    a["effective_secs"] = json!(u64::try_from(start / 1000).unwrap_or(0));
    a["expire_secs"] = json!(u64::try_from(end / 1000).unwrap_or(0));
    a["auth_handler_name"] = json!(me);
    a["agency_name"] = json!(body_text(call, "agency_id").unwrap_or_default());
    tx.put(AUTHS, &id, a)?;
    Ok(json!({}))
}

fn act(tx: &mut Tx<'_>, call: &Call, me: &str, now: SystemTime) -> Result<Value, Refusal> {
    let id = authorization_id(call);
    let mut a = mine(tx.data(), &id, me)?;
    let state = status_at(&a, now);
    match call.text("action_id").as_deref() {
        Some("reject") => {
            if state != PENDING {
                return Err(Refusal::Business(format!(
                    "authorization {id} is not waiting for the customer (state {state}); only a pending one can be rejected"
                )));
            }
            a["status"] = json!(REJECTED);
            a["reject_reason"] = json!(body_text(call, "reject_reason").unwrap_or_default());
        }
        Some("cancel") => {
            if state != PENDING && state != AUTHORIZED {
                return Err(Refusal::Business(format!(
                    "authorization {id} is neither pending nor granted (state {state}); it cannot be cancelled"
                )));
            }
            a["status"] = json!(CANCELLED);
        }
        _ => {
            return Err(Refusal::Invalid(
                "action_id: give reject or cancel".to_owned(),
            ));
        }
    }
    a["auth_handler_name"] = json!(me);
    tx.put(AUTHS, &id, a)?;
    Ok(json!({}))
}

/// The detail `detail_id` of the account's authorizations, with its authorization.
fn find_detail(d: &Data, me: &str, detail_id: i64) -> Option<(Value, Value)> {
    d.iter(AUTHS).filter(|(_, a)| owner(a) == me).find_map(|(_, a)| {
        a["details"]
            .as_array()?
            .iter()
            .find(|x| x["id"].as_i64() == Some(detail_id))
            .map(|x| (a.clone(), x.clone()))
    })
}

fn check_host(d: &Data, call: &Call, me: &str) -> Result<Value, Refusal> {
    let detail_id = call.int("authorization_detail_id").unwrap_or(-1);
    let (_, detail) = find_detail(d, me, detail_id)
        .ok_or_else(|| Refusal::NotFound(format!("there is no authorization detail {detail_id}")))?;
    if detail["type"].as_i64() != Some(1) {
        return Err(Refusal::Business(format!(
            "authorization detail {detail_id} is the console, not a host"
        )));
    }
    let port = body_int(call, "port");
    let account = body_text(call, "account");
    if port != detail["port"].as_i64() || account.as_deref() != detail["account"].as_str() {
        // Never says what was tried: the answer must not echo a login.
        return Err(Refusal::Business(format!(
            "cannot log in to the host of authorization detail {detail_id} with that port and account"
        )));
    }
    Ok(json!({}))
}

/// The authorization and detail the call's path names, of the account.
fn path_detail(d: &Data, call: &Call, me: &str) -> Result<(String, i64), Refusal> {
    let id = authorization_id(call);
    let a = mine(d, &id, me)?;
    let detail_id = call.int("authorization_detail_id").unwrap_or(-1);
    let known = a["details"]
        .as_array()
        .is_some_and(|ds| ds.iter().any(|x| x["id"].as_i64() == Some(detail_id)));
    if !known {
        return Err(Refusal::NotFound(format!(
            "authorization {id} has no detail {detail_id}"
        )));
    }
    Ok((id, detail_id))
}

fn sessions(d: &Data, call: &Call, me: &str) -> Result<Value, Refusal> {
    let (id, detail_id) = path_detail(d, call, me)?;
    let mut held: Vec<&Value> = d
        .iter(SESSIONS)
        .map(|(_, s)| s)
        .filter(|s| s["authorization_id"] == id.as_str() && s["detail_id"].as_i64() == Some(detail_id))
        .collect();
    held.sort_by_key(|s| std::cmp::Reverse(s["session_id"].as_u64()));
    let (offset, limit) = page(call);
    let listed: Vec<Value> = held
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| {
            let start = s["start_secs"].as_u64().unwrap_or(0);
            let end = s["end_secs"].as_u64().unwrap_or(start);
            json!({
                "duration": clock_time(end.saturating_sub(start)),
                "session_id": s["session_id"],
                "start_time": iso(start),
                "end_time": iso(end),
            })
        })
        .collect();
    Ok(json!({ "total_count": held.len(), "session_list": listed }))
}

/// list_history_operate_logs' and list_transport_histories' answer: the session's
/// `kind` entries (`commands` or `files`) by time, under `member`.
fn session_log(d: &Data, call: &Call, me: &str, kind: &str, member: &str) -> Result<Value, Refusal> {
    let (id, detail_id) = path_detail(d, call, me)?;
    let session_id = call.int("session_id").unwrap_or(-1);
    let session = d
        .get(SESSIONS, &session_id.to_string())
        .filter(|s| s["authorization_id"] == id.as_str() && s["detail_id"].as_i64() == Some(detail_id))
        .ok_or_else(|| {
            Refusal::NotFound(format!(
                "detail {detail_id} of authorization {id} has no session {session_id}"
            ))
        })?;
    let mut entries: Vec<&Value> = session[kind].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    // Stored oldest first; sort 0 (the default) answers newest first.
    if call.int("sort").unwrap_or_else(|| default_of(call.op.id, "sort", 0)) == 0 {
        entries.reverse();
    }
    let (offset, limit) = page(call);
    let listed: Vec<Value> = entries
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| {
            let mut out = (*e).clone();
            if let Some(o) = out.as_object_mut()
                && let Some(at) = o.remove("at_secs").and_then(|v| v.as_u64())
            {
                o.insert("operate_time".into(), json!(iso(at)));
            }
            out
        })
        .collect();
    Ok(json!({ "total_count": entries.len(), member: listed }))
}

/// Cuts `s` to [`MAX_SUPPORT_TEXT`] characters.
fn bounded(s: &str) -> String {
    s.chars().take(MAX_SUPPORT_TEXT).collect()
}

/// Records an authorization support asks for (pending), answering its ids.
pub(crate) fn request(
    shared: &Shared,
    req: &AuthorizationRequest,
) -> Result<RequestedAuthorization, String> {
    let max_hosts = rules::CONFIRM_AUTHORIZATIONS
        .body_field("auth_detail_list")
        .and_then(|r| r.max_items)
        .unwrap_or(6);
    if req.hosts.len() > max_hosts {
        return Err(format!(
            "hosts: {} given; an authorization names at most {max_hosts}",
            req.hosts.len()
        ));
    }
    let account = if req.account.is_empty() {
        "emulator-account".to_owned()
    } else {
        bounded(&req.account)
    };
    let now = secs((shared.clock)());
    shared
        .collections
        .update(|tx| -> Result<RequestedAuthorization, Refusal> {
            let n = tx.next_id(AUTHS, u64::from(u32::MAX)).ok_or_else(|| {
                Refusal::Store(StoreError::Full("no authorization id is left".into()))
            })?;
            let mut next_detail = || {
                tx.next_id(DETAILS, i64::MAX as u64)
                    .and_then(|d| i64::try_from(d).ok())
                    .ok_or_else(|| {
                        Refusal::Store(StoreError::Full("no authorization detail id is left".into()))
                    })
            };
            let mut details = Vec::new();
            if req.hosts.is_empty() {
                details.push(json!({
                    "id": next_detail()?, "type": 0, "port": 0, "account": "",
                    "instance_id": "", "instance_name": "", "region_id": "",
                }));
            }
            for h in &req.hosts {
                details.push(json!({
                    "id": next_detail()?,
                    "type": 1,
                    "port": if h.port == 0 { 22 } else { h.port },
                    "account": if h.account.is_empty() { "root".to_owned() } else { bounded(&h.account) },
                    "instance_id": bounded(&h.instance_id),
                    "instance_name": bounded(&h.instance_name),
                    "region_id": bounded(&h.region_id),
                }));
            }
            let hosts = !req.hosts.is_empty();
            let id = n.to_string();
            let detail_ids = details.iter().filter_map(|d| d["id"].as_i64()).collect();
            let a = json!({
                "id": id,
                "account": account,
                "status": PENDING,
                "incident_id": req.incident_id.chars().take(64).collect::<String>(),
                "simple_description": bounded(&req.simple_description),
                "auth_describe": bounded(&req.auth_describe),
                "resource_type_id": if hosts { "host" } else { "console" },
                "resource_type_name": if hosts { "Hosts" } else { "Console" },
                "visit_type_id": if hosts { "bastion" } else { "console" },
                "visit_type_name": if hosts { "Through the bastion host" } else { "Console login" },
                "create_secs": now,
                "reject_reason": "",
                "x_customer_id": "",
                "xcustomer_name": bounded(&req.sub_user),
                "content_of_auth_letter": "Huawei Cloud support uses this access only to handle the ticket, and records every session.",
                "auth_handler_name": "",
                "agency_name": "",
                "details": details,
            });
            tx.put(AUTHS, &id, a)?;
            Ok(RequestedAuthorization { id, detail_ids })
        })
        .map_err(|r| r.message())
}

/// Records a session support held on a host of a granted authorization, answering
/// its id.
pub(crate) fn record_session(
    shared: &Shared,
    authorization_id: &str,
    session: &SupportSession,
) -> Result<i64, String> {
    held_session(shared, authorization_id, session).map_err(|r| r.message())
}

fn held_session(
    shared: &Shared,
    authorization_id: &str,
    session: &SupportSession,
) -> Result<i64, Refusal> {
    if session.commands.len() > MAX_SESSION_ENTRIES || session.files.len() > MAX_SESSION_ENTRIES {
        return Err(Refusal::Invalid(format!(
            "a session records at most {MAX_SESSION_ENTRIES} commands and {MAX_SESSION_ENTRIES} file transfers"
        )));
    }
    let now = (shared.clock)();
    shared
        .collections
        .update(|tx| -> Result<i64, Refusal> {
            let a = tx
                .data()
                .get(AUTHS, authorization_id)
                .cloned()
                .ok_or_else(|| Refusal::NotFound(format!("there is no authorization {authorization_id:?}")))?;
            let state = status_at(&a, now);
            if state != AUTHORIZED {
                return Err(Refusal::Business(format!(
                    "authorization {authorization_id} is not granted (state {state}): support cannot reach its hosts"
                )));
            }
            let known = a["details"].as_array().is_some_and(|ds| {
                ds.iter().any(|d| d["id"].as_i64() == Some(session.detail_id))
            });
            if !known {
                return Err(Refusal::NotFound(format!(
                    "authorization {authorization_id} has no detail {}",
                    session.detail_id
                )));
            }
            let n = tx.next_id(SESSIONS, i64::MAX as u64).ok_or_else(|| {
                Refusal::Store(StoreError::Full("no session id is left".into()))
            })?;
            let start = secs(now);
            let mut at = start;
            let commands: Vec<Value> = session
                .commands
                .iter()
                .map(|c| {
                    at += 1;
                    json!({ "oper": bounded(c), "at_secs": at })
                })
                .collect();
            let files: Vec<Value> = session
                .files
                .iter()
                .map(|f| {
                    at += 1;
                    json!({
                        "duration": clock_time(1),
                        "at_secs": at,
                        "operate_type": if f.operate_type.is_empty() { "upload".to_owned() } else { bounded(&f.operate_type) },
                        "file_name": bounded(&f.file_name),
                        "from_path": bounded(&f.from_path),
                        "to_path": bounded(&f.to_path),
                        "file_size": bounded(&f.file_size),
                        "oper_result": "success",
                    })
                })
                .collect();
            let end = (start.saturating_add(session.seconds)).max(at);
            let record = json!({
                "session_id": n,
                "authorization_id": authorization_id,
                "detail_id": session.detail_id,
                "start_secs": start,
                "end_secs": end,
                "commands": commands,
                "files": files,
            });
            tx.put(SESSIONS, &n.to_string(), record)?;
            Ok(i64::try_from(n).unwrap_or(i64::MAX))
        })
}

/// The admin routes of support's side (`route` is the path after `/__emulator/`):
/// `POST authorizations` (an [`AuthorizationRequest`]) answers
/// `{"id", "detail_ids"}`; `POST authorizations/{id}/sessions` (a [`SupportSession`])
/// answers `{"session_id"}`.
pub(crate) fn admin(shared: &Shared, route: &str, body: &[u8], rid: &str) -> Response<ResBody> {
    let fail = |status: StatusCode, msg: &str| service_error(status, "EMULATOR.0001", msg, rid);
    let parts: Vec<&str> = route.split('/').collect();
    match parts.as_slice() {
        ["authorizations"] => match serde_json::from_slice::<AuthorizationRequest>(body) {
            Ok(req) => match request(shared, &req) {
                Ok(done) => json_response(
                    StatusCode::OK,
                    &json!({ "id": done.id, "detail_ids": done.detail_ids }),
                    rid,
                ),
                Err(msg) => fail(StatusCode::BAD_REQUEST, &msg),
            },
            Err(e) => fail(StatusCode::BAD_REQUEST, &format!("the body is not an authorization request: {e}")),
        },
        ["authorizations", id, "sessions"] => {
            match serde_json::from_slice::<SupportSession>(body) {
                Ok(s) => match held_session(shared, id, &s) {
                    Ok(n) => json_response(StatusCode::OK, &json!({ "session_id": n }), rid),
                    Err(r) => {
                        let status = match r {
                            Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
                            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
                            Refusal::Business(_) => StatusCode::CONFLICT,
                            Refusal::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
                        };
                        fail(status, &r.message())
                    }
                },
                Err(e) => fail(StatusCode::BAD_REQUEST, &format!("the body is not a support session: {e}")),
            }
        }
        _ => not_found(route, rid),
    }
}
