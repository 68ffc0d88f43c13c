//! Attachments: uploads (multipart and Base64 in JSON) checked against the configured
//! limits, the limits themselves, deletion, and the check of a ticket's `accessory_ids`.

use base64::Engine;
use http::StatusCode;
use http::header;
use huaweicloud_osm::rules;
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::files::{NewAttachment, StoreError};
use crate::http::{Reply, json_response};
use crate::multipart;
use crate::router::Call;
use crate::vendor::{bad_request, business_error, service_error};

/// Handles an operation of the `attachments` family.
/// The handlers of this module, by operation id. Uploads and deletions write files,
/// then note them: they run detached, so that a client going away in between cannot
/// leave the two apart.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("upload_json_attachment", super::Handler::Detached(detached)),
    ("upload_attachment", super::Handler::Detached(detached)),
    ("show_attachment_limits", super::Handler::Sync(limits)),
    ("delete_attachment", super::Handler::Detached(detached)),
    ("download_attachment", super::Handler::Sync(download)),
];

fn detached(shared: std::sync::Arc<Shared>, call: Call) -> super::BoxReply<'static> {
    Box::pin(async move { handle(&shared, call).await })
}

/// The bytes of a stored attachment, with its name.
fn download(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let id = call.text("accessory_id").unwrap_or_default();
    let (Some(bytes), Some(meta)) = (
        shared.files.bytes(&id),
        shared.files.list().into_iter().find(|a| a.id == id),
    ) else {
        return bad_request(
            &format!("accessory_id {id:?} names no uploaded attachment"),
            rid,
        )
        .into();
    };
    let mut answer = crate::http::response(StatusCode::OK, "application/octet-stream", bytes, rid);
    let name: String = meta
        .name
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        answer
            .headers_mut()
            .insert(http::header::CONTENT_DISPOSITION, v);
    }
    answer.into()
}

async fn handle(shared: &Shared, call: Call) -> Reply {
    match call.op.id {
        "upload_json_attachment" => upload_json(shared, &call).await,
        "upload_attachment" => upload_multipart(shared, &call).await,
        "show_attachment_limits" => limits(shared, &call),
        "delete_attachment" => delete(shared, &call).await,
        _ => super::not_implemented(&call),
    }
}

/// The answer of `show_attachment_limits`: the spec's documented answer, with the
/// configured size.
pub(crate) fn limits_answer(max_mb: u32) -> Value {
    let mut answer: Value = rules::SHOW_ATTACHMENT_LIMITS
        .default_answer
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| json!({ "accessory_limit": {} }));
    if let Some(limit) = answer
        .get_mut("accessory_limit")
        .and_then(Value::as_object_mut)
    {
        limit.insert("limit_size".into(), Value::String(max_mb.to_string()));
    }
    answer
}

fn limits(shared: &Shared, call: &Call) -> Reply {
    json_response(
        StatusCode::OK,
        &limits_answer(shared.attachment_max_mb),
        &call.request_id,
    )
    .into()
}

/// Checks the file against the limits and stores it.
async fn store(shared: &Shared, call: &Call, new: NewAttachment) -> Reply {
    let rid = call.request_id.as_str();
    if let Err(e) = shared
        .attachment_limits
        .check(&new.name, new.data.len() as u64)
    {
        return bad_request(&format!("{e} (see show_attachment_limits)"), rid).into();
    }
    match shared.files.store(new).await {
        Ok(stored) => {
            tracing::info!(id = %stored.id, size = stored.size, "attachment stored");
            json_response(StatusCode::OK, &json!({ "accessory_id": stored.id }), rid).into()
        }
        Err(StoreError::Full(msg)) => business_error("OSM.01010005", &msg, rid).into(),
        Err(StoreError::Io(msg)) => {
            service_error(StatusCode::INTERNAL_SERVER_ERROR, "OSM.0004", &msg, rid).into()
        }
    }
}

async fn upload_json(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let text = |k: &str| call.body.get(k).and_then(Value::as_str).unwrap_or_default();
    let data = match base64::engine::general_purpose::STANDARD.decode(text("accessory_data")) {
        Ok(d) => d,
        Err(e) => {
            return bad_request(&format!("accessory_data is not valid Base64: {e}"), rid).into();
        }
    };
    let new = NewAttachment {
        name: text("accessory_name").to_owned(),
        from: text("accessory_from").to_owned(),
        upload_type: call
            .body
            .get("upload_type")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        encoding: "json",
        uploaded_at: (shared.clock)(),
        data: data.into(),
    };
    store(shared, call, new).await
}

/// The first of `keys` present in `form`, as text.
fn form_text<'a>(form: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| form.get(*k))
        .and_then(Value::as_str)
}

/// The keys each page of the vendor spells `form_data`'s members with.
const FROM_KEYS: [&str; 3] = ["accessoryFrom", "accessFrom", "accessory_from"];
const NAME_KEYS: [&str; 3] = ["fileName", "file_name", "accessory_name"];
const TYPE_KEYS: [&str; 2] = ["uploadType", "upload_type"];

async fn upload_multipart(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let bad = |msg: &str| -> Reply { bad_request(msg, rid).into() };
    let content_type = call
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = match multipart::boundary(content_type) {
        Ok(b) => b,
        Err(msg) => return bad(&msg),
    };
    let parts = match multipart::parse(&call.raw_body, &boundary) {
        Ok(p) => p,
        Err(msg) => return bad(&format!("the multipart body is malformed: {msg}")),
    };
    let names: Vec<&str> = call.op.body.iter().map(|r| r.name).collect();
    if let Some(p) = parts.iter().find(|p| !names.contains(&p.name.as_str())) {
        return bad(&format!(
            "the form has a part {:?}; it takes {}",
            p.name,
            names.join(" and ")
        ));
    }
    for rule in call.op.body.iter().filter(|r| r.required) {
        match parts.iter().filter(|p| p.name == rule.name).count() {
            0 => return bad(&format!("the form has no part {}", rule.name)),
            1 => {}
            n => {
                return bad(&format!(
                    "the form has {n} parts {}; it takes one",
                    rule.name
                ));
            }
        }
    }
    let Some(file) = parts.iter().find(|p| p.name == "file") else {
        return bad("the form has no part file");
    };
    let Some(form) = parts.iter().find(|p| p.name == "form_data") else {
        return bad("the form has no part form_data");
    };
    let Ok(form_text_value) = std::str::from_utf8(&form.data) else {
        return bad("form_data is not UTF-8 text");
    };
    if let Some(rule) = call.op.body_field("form_data") {
        let len = form_text_value.chars().count();
        let (min, max) = (
            rule.min_length.unwrap_or(0),
            rule.max_length.unwrap_or(usize::MAX),
        );
        if len < min || len > max {
            return bad(&format!(
                "form_data is {len} characters long; it must be {min} to {max}"
            ));
        }
    }
    let fields: Map<String, Value> = match serde_json::from_str(form_text_value) {
        Ok(Value::Object(m)) => m,
        _ => return bad("form_data must be JSON text holding an object"),
    };
    let allowed = rules::UPLOAD_JSON_ATTACHMENT
        .body_field("accessory_from")
        .map(|r| r.allowed)
        .unwrap_or_default();
    let from = match form_text(&fields, &FROM_KEYS) {
        Some(f) if allowed.contains(&f) => f.to_owned(),
        Some(f) => {
            return bad(&format!(
                "form_data's source {f:?} must be one of {}",
                allowed.join(", ")
            ));
        }
        None => {
            return bad(&format!(
                "form_data names no source ({}: incident or message)",
                FROM_KEYS.join(", ")
            ));
        }
    };
    let name = form_text(&fields, &NAME_KEYS)
        .map(str::to_owned)
        .or_else(|| file.file_name.clone());
    let Some(name) = name else {
        return bad("the file part has no filename and form_data names none");
    };
    let upload_type = TYPE_KEYS.iter().find_map(|k| fields.get(*k)).map(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    });
    let upload_type = match upload_type {
        None => 0,
        Some(Some(t @ (0 | 1))) => t,
        Some(_) => return bad("form_data's upload type must be 0 or 1"),
    };
    let new = NewAttachment {
        name,
        from,
        upload_type,
        encoding: "multipart",
        uploaded_at: (shared.clock)(),
        data: file.data.clone(),
    };
    store(shared, call, new).await
}

async fn delete(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let id = call.text("accessory_id").unwrap_or_default();
    match shared.files.delete(&id).await {
        Ok(true) => json_response(StatusCode::OK, &json!({}), rid).into(),
        Ok(false) => bad_request(
            &format!("accessory_id {id:?} names no uploaded attachment"),
            rid,
        )
        .into(),
        Err(msg) => service_error(StatusCode::INTERNAL_SERVER_ERROR, "OSM.0004", &msg, rid).into(),
    }
}

/// The refusal of a ticket whose `accessory_ids` name an attachment nobody uploaded.
pub(crate) fn refuse_unknown_ids(shared: &Shared, call: &Call) -> Option<Reply> {
    let ids = call.body.get("accessory_ids")?.as_array()?;
    let (index, id) = ids
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
        .find(|(_, id)| !shared.files.contains(id))?;
    Some(
        bad_request(
            &format!(
                "accessory_ids item {index} {id:?} names no uploaded attachment \
                 (upload it first with upload_attachment or upload_json_attachment)"
            ),
            &call.request_id,
        )
        .into(),
    )
}
