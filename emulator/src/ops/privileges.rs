//! Ticket privileges and what they concern: create_privileges grants or withdraws a
//! privilege of the calling account, which list_privileges then answers, kept in the
//! generic store ([`crate::collections`]): collection `privileges` (key: the account,
//! the caller's `X-Domain-Id`, else its access key, else `emulator-account`, past 64
//! characters shortened with a hash ([`account_key`]); value: the
//! privileges it holds, in the order granted). An account holds none until granted.
//!
//! The rest answer what no operation of the API changes: the restriction switch (off),
//! three made-up sub-users of the calling account (their contact details masked as the
//! service masks them), two made-up agencies, and the regions of the catalogue as the
//! regions associated with the caller.

use http::StatusCode;
use serde_json::{Value, json};

use super::diagnosis::account;
use crate::Shared;
use crate::catalogue::localise;
use crate::collections::{StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::service_error;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("create_privileges", super::Handler::Sync(handle)),
    ("list_privileges", super::Handler::Sync(handle)),
    (
        "show_customer_privilege_policy",
        super::Handler::Sync(handle),
    ),
    ("list_sub_customers", super::Handler::Sync(handle)),
    ("list_agencies", super::Handler::Sync(handle)),
    ("list_customers_regions", super::Handler::Sync(handle)),
];

/// The collection of the privileges granted, by account.
const PRIVILEGES: &str = "privileges";

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let body = match call.op.id {
        "create_privileges" => match shared.collections.update(|tx| change(tx, call)) {
            Ok(body) => body,
            Err(e) => {
                return service_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "OSM.0004",
                    &e.to_string(),
                    rid,
                )
                .into();
            }
        },
        "list_privileges" => {
            let wanted = call.text("privilege").unwrap_or_default();
            let me = account_key(call);
            let held = shared
                .collections
                .read(|d| granted(d.get(PRIVILEGES, &me)).contains(&wanted));
            json!({ "has_privilege": i32::from(held) })
        }
        "show_customer_privilege_policy" => json!({ "policy_switch": false }),
        "list_sub_customers" => sub_customers(call),
        "list_agencies" => {
            let list = agencies(call);
            json!({ "total_count": list.len(), "agency_list": list })
        }
        "list_customers_regions" => {
            let lang = call.language();
            let list: Vec<Value> = shared
                .catalogue
                .list("regions", "regions")
                .iter()
                .map(|r| {
                    let r = localise(r, lang);
                    json!({ "region_id": r["region_id"], "region_name": r["region_name"] })
                })
                .collect();
            json!({ "count": list.len(), "region_infos": list })
        }
        _ => return super::not_implemented(call),
    };
    json_response(StatusCode::OK, &body, rid).into()
}

/// The store key of the calling account: the account itself, or, when it is longer than
/// 64 characters (an `X-Domain-Id` is any header value), its first 64 characters and an
/// FNV-1a hash of the whole, so that a key stays small whatever the caller sends.
pub(crate) fn account_key(call: &Call) -> String {
    let me = account(call);
    if me.chars().count() <= 64 {
        return me;
    }
    let hash = me.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let prefix: String = me.chars().take(64).collect();
    format!("{prefix}#{hash:016x}")
}

/// The privileges of a record of the collection.
fn granted(record: Option<&Value>) -> Vec<String> {
    record
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Grants (`create`) or withdraws (`delete`) the body's privilege for the calling
/// account; granting a privilege held, or withdrawing one not held, changes nothing.
fn change(tx: &mut Tx<'_>, call: &Call) -> Result<Value, StoreError> {
    let me = account_key(call);
    let text = |name: &str| {
        call.body
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let privilege = text("privilege");
    let mut held = granted(tx.data().get(PRIVILEGES, &me));
    let before = held.len();
    if text("operation") == "delete" {
        held.retain(|p| *p != privilege);
    } else if !held.contains(&privilege) {
        held.push(privilege);
    }
    if held.len() != before {
        if held.is_empty() {
            tx.remove(PRIVILEGES, &me);
        } else {
            tx.put(PRIVILEGES, &me, json!(held))?;
        }
    }
    Ok(json!({}))
}

/// The calling account's made-up sub-users, narrowed by `sub_customer_name` (a part of
/// the name) and `sub_customer_id`.
fn sub_customers(call: &Call) -> Value {
    // The domain id is the caller's header, of any length; the answer holds 64 at most.
    let me: String = account(call).chars().take(64).collect();
    let name = call.text("sub_customer_name").filter(|n| !n.is_empty());
    let id = call.text("sub_customer_id").filter(|i| !i.is_empty());
    // (id, name, masked name, masked mobile, masked e-mail)
    const USERS: [(&str, &str, &str, &str, &str); 3] = [
        (
            "sub-user-ops",
            "ops",
            "o**",
            "138****0001",
            "o**@example.com",
        ),
        (
            "sub-user-dev",
            "developer",
            "d*******r",
            "138****0002",
            "d*******r@example.com",
        ),
        (
            "sub-user-finance",
            "finance",
            "f*****e",
            "138****0003",
            "f*****e@example.com",
        ),
    ];
    let list: Vec<Value> = USERS
        .iter()
        .filter(|(uid, uname, ..)| {
            name.as_deref().is_none_or(|n| uname.contains(n))
                && id.as_deref().is_none_or(|i| i == *uid)
        })
        .map(|(uid, _, masked, mobile, email)| {
            json!({
                "mobile": mobile,
                "email": email,
                "customer_id": uid,
                "domain_id": me,
                "customer_name": masked,
                "area_code": "86",
            })
        })
        .collect();
    json!({ "sub_customer_infos": list })
}

/// The calling account's two made-up agencies.
fn agencies(call: &Call) -> Vec<Value> {
    let me = account(call);
    // The domain id is the caller's header, of any length; the answer holds 64 at most.
    let prefix: String = me.chars().take(40).collect();
    vec![
        json!({
            "id": format!("{prefix}-agency-support"),
            "name": "support_access",
            "duration": "FOREVER",
            "trust_domain_name": "huaweicloud-support",
            "trust_domain_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "create_time": "2026-01-05T08:00:00Z",
            "expire_time": "",
        }),
        json!({
            "id": format!("{prefix}-agency-partner"),
            "name": "partner_ops",
            "duration": "ONEDAY",
            "trust_domain_name": "emulator-partner",
            "trust_domain_id": "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "create_time": "2026-02-10T09:30:00Z",
            "expire_time": "2026-02-11T09:30:00Z",
        }),
    ]
}
