//! Attachments: uploads (multipart and Base64 in JSON) checked against the configured
//! limits, the limits themselves, deletion, downloads (the bytes, a picture with its
//! media type, links that need no signing), the names tickets show, and the check of a
//! ticket's `accessory_ids`.

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
    ("download_images", super::Handler::Sync(image)),
    ("list_accessory_access_urls", super::Handler::Sync(access_urls)),
    ("show_download_accessory_url", super::Handler::Sync(access_url)),
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

fn unknown_attachment(id: &str, rid: &str) -> Reply {
    bad_request(
        &format!("accessory_id {id:?} names no uploaded attachment"),
        rid,
    )
    .into()
}

/// The media type of a picture, by its file name's extension; `None` for a file that
/// is not one.
fn picture_type(name: &str) -> Option<&'static str> {
    let (_, ext) = name.rsplit_once('.')?;
    Some(match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// `download_images`: the bytes of an attachment that is a picture, with its media
/// type. The vendor documents only pictures; another file is refused.
fn image(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let id = call.text("accessory_id").unwrap_or_default();
    let Some(meta) = shared.files.get(&id) else {
        return unknown_attachment(&id, rid);
    };
    let Some(media_type) = picture_type(&meta.name) else {
        return bad_request(
            &format!(
                "accessory_id {id:?} is not an image (a jpg, jpeg, png, gif, bmp or webp file); download it with download_attachment"
            ),
            rid,
        )
        .into();
    };
    let Some(bytes) = shared.files.bytes(&id) else {
        return unknown_attachment(&id, rid);
    };
    crate::http::response(StatusCode::OK, media_type, bytes, rid).into()
}

/// The link the emulator answers for attachment `id`: its own admin route that serves
/// the bytes (`GET /__emulator/attachments/{id}`), on the host the request was sent to.
/// The real service answers a link to its storage, which needs no signing either.
fn link(call: &Call, id: &str) -> String {
    let host = call
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']'))
        })
        .unwrap_or("127.0.0.1");
    format!("http://{host}{}attachments/{id}", crate::ADMIN_PREFIX)
}

/// `list_accessory_access_urls`: a link for each id asked for that names a kept
/// attachment, in the order asked, once each; the other ids are left out.
fn access_urls(shared: &Shared, call: &Call) -> Reply {
    let ids: Vec<String> = call
        .param("accessory_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let urls: Vec<Value> = ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .filter_map(|id| shared.files.get(id))
        .map(|meta| {
            json!({
                "accessory_id": meta.id,
                "accessory_name": meta.name,
                "accessory_url": link(call, &meta.id),
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "accessory_urls": urls }), &call.request_id).into()
}

/// `show_download_accessory_url`: the link of one kept attachment. A ticket named by
/// `incident_id` must exist (404 otherwise, as the other operations on a ticket answer);
/// `relation_type` and `relation_id` are taken as given, since the vendor does not say
/// what they change.
fn access_url(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let id = call.text("accessory_id").unwrap_or_default();
    if !shared.files.contains(&id) {
        return unknown_attachment(&id, rid);
    }
    if let Some(case) = call.text("incident_id").filter(|c| !c.is_empty())
        && shared.store.find(&case).is_none()
    {
        return service_error(
            StatusCode::NOT_FOUND,
            "OSM.0001",
            &format!("there is no ticket {case:?}"),
            rid,
        )
        .into();
    }
    json_response(
        StatusCode::OK,
        &json!({ "accessory_url": link(call, &id) }),
        rid,
    )
    .into()
}

/// How a ticket or a message shows its attachments (`accessory_list`): each id with the
/// name it was uploaded under (the id itself once the attachment is deleted).
pub(crate) fn refs(shared: &Shared, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| {
            let name = shared.files.get(id).map_or_else(|| id.clone(), |a| a.name);
            json!({ "accessory_id": id, "file_actual_name": name })
        })
        .collect()
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
