//! Agreements: one published agreement of each type (0 opening a ticket as a common
//! user, 1 as an ISV user, 2 authorisation), made up and fixed, and the signatures of
//! sign_published_agreement, which show_signed_latest_published_agreement reads, kept in
//! the generic store ([`crate::collections`]): collection `agreement_signatures` (key:
//! the account, the caller's `X-Domain-Id`, else its access key, else
//! `emulator-account`, shortened as [`super::privileges::account_key`] does; value: by agreement type, the id and version signed last, the
//! signature's record id and its `relation_id`). Record ids come from the sequence of
//! the same name and are never given twice. When a request names no type, type 0.

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::privileges::account_key;
use crate::Shared;
use crate::collections::{StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::vendor::service_error;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    (
        "show_latest_published_agreement",
        super::Handler::Sync(handle),
    ),
    (
        "show_signed_latest_published_agreement",
        super::Handler::Sync(handle),
    ),
    ("sign_published_agreement", super::Handler::Sync(handle)),
];

/// The collection (and sequence) of the signatures.
const SIGNATURES: &str = "agreement_signatures";

/// The largest signature record id: the answer's `agreement_signed_record_id` is an
/// int32.
const MAX_RECORD_ID: u64 = i32::MAX as u64;

/// A published agreement: its type, id, version, and names and text in Chinese and
/// English.
struct Published {
    kind: &'static str,
    id: i64,
    version: i64,
    name: [&'static str; 2],
    type_name: [&'static str; 2],
    content: [&'static str; 2],
}

/// The latest published agreement of each type.
const PUBLISHED: [Published; 3] = [
    Published {
        kind: "0",
        id: 11,
        version: 2,
        name: ["工单服务协议", "Service Ticket Agreement"],
        type_name: ["新建工单-普通用户", "New ticket, common user"],
        content: [
            "提交工单即表示您同意华为云技术支持人员处理您提供的信息。",
            "By submitting a ticket you agree that support staff handle the information you give.",
        ],
    },
    Published {
        kind: "1",
        id: 12,
        version: 1,
        name: ["ISV工单服务协议", "ISV Service Ticket Agreement"],
        type_name: ["新建工单-ISV用户", "New ticket, ISV user"],
        content: [
            "提交工单即表示您同意将工单信息共享给相关的ISV伙伴。",
            "By submitting a ticket you agree that its information is shared with the ISV partner concerned.",
        ],
    },
    Published {
        kind: "2",
        id: 13,
        version: 3,
        name: ["授权协议", "Authorisation Agreement"],
        type_name: ["授权", "Authorisation"],
        content: [
            "授权即表示您同意技术支持人员在授权期限内访问您授权的资源。",
            "By authorising you agree that support staff access the resources you name for the time you set.",
        ],
    },
];

/// The type a call names (`agreement_type`), 0 when it names none.
fn kind_of(call: &Call) -> String {
    call.text("agreement_type")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "0".into())
}

fn published(kind: &str) -> Option<&'static Published> {
    PUBLISHED.iter().find(|p| p.kind == kind)
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let english = usize::from(call.language() == "en-us");
    let not_found = |msg: String| -> Reply {
        service_error(StatusCode::NOT_FOUND, "OSM.0001", &msg, rid).into()
    };
    let body = match call.op.id {
        "show_latest_published_agreement" => {
            let kind = kind_of(call);
            let Some(p) = published(&kind) else {
                return not_found(format!("there is no published agreement of type {kind}"));
            };
            json!({ "case_agreement": {
                "id": p.id.to_string(),
                "agreement_name": p.name[english],
                "agreement_type": p.kind,
                "agreement_type_name": p.type_name[english],
                "content": p.content[english],
                "version": p.version,
            }})
        }
        "show_signed_latest_published_agreement" => {
            let kind = kind_of(call);
            let Some(p) = published(&kind) else {
                return not_found(format!("there is no published agreement of type {kind}"));
            };
            let me = account_key(call);
            let signed = shared.collections.read(|d| {
                d.get(SIGNATURES, &me)
                    .and_then(|s| s.get(p.kind))
                    .is_some_and(|s| {
                        s["agreement_id"].as_i64() == Some(p.id)
                            && s["version"].as_i64() == Some(p.version)
                    })
            });
            json!({ "is_signed_latest": signed })
        }
        "sign_published_agreement" => {
            let id = call.int("id").unwrap_or_default();
            let Some(p) = PUBLISHED.iter().find(|p| p.id == id) else {
                return not_found(format!("there is no published agreement {id}"));
            };
            match shared.collections.update(|tx| sign(tx, call, p)) {
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
            }
        }
        _ => return super::not_implemented(call),
    };
    json_response(StatusCode::OK, &body, rid).into()
}

/// Records the caller's signature of the published agreement `p`.
fn sign(tx: &mut Tx<'_>, call: &Call, p: &Published) -> Result<Value, StoreError> {
    let me = account_key(call);
    let record = tx.next_id(SIGNATURES, MAX_RECORD_ID).ok_or_else(|| {
        StoreError::Full(format!(
            "every signature record id up to {MAX_RECORD_ID} has been given; the emulator gives no more"
        ))
    })?;
    let mut signed: Map<String, Value> = tx
        .data()
        .get(SIGNATURES, &me)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let relation = call.body.get("relation_id").cloned().unwrap_or(Value::Null);
    signed.insert(
        p.kind.into(),
        json!({
            "agreement_id": p.id,
            "version": p.version,
            "record_id": record,
            "relation_id": relation,
        }),
    );
    tx.put(SIGNATURES, &me, Value::Object(signed))?;
    Ok(json!({ "agreement_signed_record_id": record }))
}
