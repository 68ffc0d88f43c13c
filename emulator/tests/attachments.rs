//! Attachments over raw HTTP: multipart and Base64 uploads, the size and type limits in
//! the vendor's error shape, the admin routes, deletion, the state directory, and the
//! create check of `accessory_ids`.

mod common;

use base64::Engine;
use common::{Answer, TOKEN, body, raw};
use osm_emulator::{Emulator, RunningEmulator};
use serde_json::{Value, json};

const UPLOAD: &str = "/v2/servicerequest/accessorys";
const UPLOAD_JSON: &str = "/v2/servicerequest/accessorys/json-format-content";
const LIMITS: &str = "/v2/servicerequest/accessorys/limits";
const CASES: &str = "/v2/servicerequest/cases";

async fn emulator_with(builder: osm_emulator::EmulatorBuilder) -> RunningEmulator {
    builder.token(TOKEN).start().await.expect("emulator starts")
}

/// A form as a browser or the vendor's SDK writes it, built here by hand.
fn form(boundary: &str, file_name: &str, data: &[u8], form_data: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(data);
    b.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"form_data\"\r\n\r\n{form_data}\r\n--{boundary}--\r\n"
        )
        .as_bytes(),
    );
    b
}

async fn upload(emu: &RunningEmulator, file_name: &str, data: &[u8], form_data: &str) -> Answer {
    Answer::from(
        raw()
            .post(format!("{}{UPLOAD}", emu.base_url()))
            .header("x-auth-token", TOKEN)
            .header("content-type", "multipart/form-data; boundary=----b0undary")
            .body(form("----b0undary", file_name, data, form_data))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn post_json(emu: &RunningEmulator, path: &str, body: &Value) -> Answer {
    Answer::from(
        raw()
            .post(format!("{}{path}", emu.base_url()))
            .header("x-auth-token", TOKEN)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn get(emu: &RunningEmulator, path: &str) -> Answer {
    Answer::from(
        raw()
            .get(format!("{}{path}", emu.base_url()))
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn create_with(emu: &RunningEmulator, ids: &[&str]) -> Answer {
    let mut b = body();
    b["accessory_ids"] = json!(ids);
    post_json(emu, CASES, &b).await
}

fn sha256(data: &[u8]) -> String {
    huaweicloud_signing::hex_sha256(data)
}

#[tokio::test]
async fn a_multipart_upload_is_stored_listed_and_named_by_a_ticket() {
    let emu = emulator_with(Emulator::builder()).await;
    let data = b"[    0.000000] Linux version 6.1\r\n--not-the-boundary\r\n\x00\xff".to_vec();
    let a = upload(
        &emu,
        "dmesg.log",
        &data,
        r#"{"accessoryFrom":"incident","fileName":"dmesg.log","uploadType":0}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.json()["accessory_id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);

    // The admin list: metadata, never bytes.
    let list = Answer::from(
        raw()
            .get(format!("{}/__emulator/attachments", emu.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let list = list.json();
    let entry = &list.as_array().unwrap()[0];
    assert_eq!(entry["id"], id.as_str());
    assert_eq!(entry["name"], "dmesg.log");
    assert_eq!(entry["size"], data.len());
    assert_eq!(entry["from"], "incident");
    assert_eq!(entry["encoding"], "multipart");
    assert_eq!(entry["sha256"], sha256(&data).as_str());
    assert!(entry.get("data").is_none());
    // The bytes, exactly as sent.
    let bytes = raw()
        .get(format!("{}/__emulator/attachments/{id}", emu.base_url()))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &data[..]);
    assert_eq!(emu.attachment_bytes(&id).unwrap(), data);

    let a = create_with(&emu, &[&id]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(emu.tickets()[0].body["accessory_ids"], json!([id]));

    // An id nobody uploaded: refused, naming the field and the id.
    let a = create_with(&emu, &[&id, "0123456789abcdef"]).await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(
        msg.contains("accessory_ids item 1") && msg.contains("0123456789abcdef"),
        "{msg}"
    );
    assert_eq!(emu.ticket_count(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_sources_spellings_and_a_json_upload() {
    let emu = emulator_with(Emulator::builder()).await;
    // The intl page's key, and no file name in form_data: the part's filename is taken.
    let a = upload(&emu, "shot.png", b"\x89PNG", r#"{"accessFrom":"message"}"#).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let data = b"hello, json".to_vec();
    let a = post_json(
        &emu,
        UPLOAD_JSON,
        &json!({
            "accessory_name": "notes.txt",
            "accessory_from": "incident",
            "upload_type": 1,
            "accessory_data": base64::engine::general_purpose::STANDARD.encode(&data),
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let list = emu.attachments();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].name.as_str(), list[0].from.as_str()),
        ("shot.png", "message")
    );
    assert_eq!(list[1].name, "notes.txt");
    assert_eq!(
        (list[1].encoding.as_str(), list[1].upload_type),
        ("json", 1)
    );
    assert_eq!(list[1].sha256, sha256(&data));

    let a = post_json(
        &emu,
        UPLOAD_JSON,
        &json!({"accessory_name": "x.txt", "accessory_from": "incident", "accessory_data": "***"}),
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("accessory_data is not valid Base64"), "{msg}");

    for (form_data, expected) in [
        (r#"{"fileName":"a.log"}"#, "names no source"),
        (
            r#"{"accessoryFrom":"ticket"}"#,
            "must be one of incident, message",
        ),
        ("not json", "must be JSON text"),
        (
            r#"{"accessoryFrom":"incident","uploadType":7}"#,
            "upload type must be 0 or 1",
        ),
    ] {
        let a = upload(&emu, "a.log", b"x", form_data).await;
        let msg = a.assert_error(400, "OSM.0001", false);
        assert!(msg.contains(expected), "{form_data}: {msg}");
    }
    assert_eq!(emu.attachments().len(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn size_and_type_limits_are_enforced_and_reported() {
    let emu = emulator_with(Emulator::builder().attachment_max_mb(1)).await;
    let limits = get(&emu, LIMITS).await.json();
    assert_eq!(limits["accessory_limit"]["limit_size"], "1");
    assert_eq!(limits["accessory_limit"]["limit_count"], "5");
    assert!(
        limits["accessory_limit"]["limit_file_type"]
            .as_str()
            .unwrap()
            .contains("log")
    );

    let mib = 1024 * 1024;
    let a = upload(
        &emu,
        "big.log",
        &vec![b'x'; mib],
        r#"{"accessoryFrom":"incident"}"#,
    )
    .await;
    assert_eq!(a.status, 200, "exactly the limit is fine: {}", a.text);
    let a = upload(
        &emu,
        "big.log",
        &vec![b'x'; mib + 1],
        r#"{"accessoryFrom":"incident"}"#,
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(
        msg.contains("1048577 bytes") && msg.contains("1048576 bytes"),
        "{msg}"
    );
    let a = post_json(
        &emu,
        UPLOAD_JSON,
        &json!({
            "accessory_name": "big.log",
            "accessory_from": "incident",
            "accessory_data": base64::engine::general_purpose::STANDARD.encode(vec![0u8; mib + 1]),
        }),
    )
    .await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("1048577 bytes"), "{msg}");
    // Far over: the gateway refuses the body itself.
    let a = upload(
        &emu,
        "huge.log",
        &vec![b'x'; 3 * mib],
        r#"{"accessoryFrom":"incident"}"#,
    )
    .await;
    a.assert_error(413, "APIGW.0201", true);

    let a = upload(&emu, "tool.exe", b"MZ", r#"{"accessoryFrom":"incident"}"#).await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("not of an accepted file type"), "{msg}");
    assert_eq!(emu.attachments().len(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_deleted_attachment_is_gone() {
    let emu = emulator_with(Emulator::builder()).await;
    let a = upload(&emu, "a.txt", b"a", r#"{"accessoryFrom":"incident"}"#).await;
    let id = a.json()["accessory_id"].as_str().unwrap().to_owned();
    let del = |id: String| {
        let url = format!("{}{UPLOAD}/{id}", emu.base_url());
        async move {
            Answer::from(
                raw()
                    .delete(url)
                    .header("x-auth-token", TOKEN)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let a = del(id.clone()).await;
    assert_eq!((a.status, a.json()), (200, json!({})));
    assert!(emu.attachments().is_empty());
    let a = del(id.clone()).await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert!(msg.contains(&id), "{msg}");
    let a = create_with(&emu, &[&id]).await;
    a.assert_error(400, "OSM.0001", false);
    let a = Answer::from(
        raw()
            .get(format!("{}/__emulator/attachments/{id}", emu.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(404, "EMULATOR.0001", false);
    emu.shutdown().await;
}

#[tokio::test]
async fn attachments_live_beside_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = emulator_with(Emulator::builder().state_file(&state)).await;
    let data = b"persisted bytes";
    let a = upload(&emu, "keep.txt", data, r#"{"accessoryFrom":"incident"}"#).await;
    let id = a.json()["accessory_id"].as_str().unwrap().to_owned();
    emu.shutdown().await;
    let side = dir.path().join("state.jsonl.attachments");
    assert_eq!(std::fs::read(side.join(format!("{id}.bin"))).unwrap(), data);

    let emu = emulator_with(Emulator::builder().state_file(&state)).await;
    assert_eq!(emu.attachments()[0].id, id);
    assert_eq!(emu.attachment_bytes(&id).unwrap(), data);
    let a = create_with(&emu, &[&id]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emu.shutdown().await;
}

/// What a failed write or a `kill -9` leaves (a `.tmp` file before its rename, bytes
/// whose metadata was never written) is removed at start; what was answered stays.
#[tokio::test]
async fn unfinished_writes_are_cleaned_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = emulator_with(Emulator::builder().state_file(&state)).await;
    let data = b"answered bytes";
    let a = upload(&emu, "keep.txt", data, r#"{"accessoryFrom":"incident"}"#).await;
    let id = a.json()["accessory_id"].as_str().unwrap().to_owned();
    emu.shutdown().await;
    let side = dir.path().join("state.jsonl.attachments");
    let orphan = "0123456789abcdef0123456789abcdef";
    let leftovers = [
        side.join(format!("{id}.tmp")),
        side.join(format!("{orphan}.tmp")),
        side.join("anything.tmp"),
        side.join(format!("{orphan}.bin")),
    ];
    for path in &leftovers {
        std::fs::write(path, b"half a write").unwrap();
    }

    let emu = emulator_with(Emulator::builder().state_file(&state)).await;
    for path in &leftovers {
        assert!(!path.exists(), "{} is still there", path.display());
    }
    let ids: Vec<_> = emu.attachments().into_iter().map(|a| a.id).collect();
    assert_eq!(ids, std::slice::from_ref(&id));
    assert_eq!(emu.attachment_bytes(&id).unwrap(), data);
    emu.shutdown().await;
}

#[tokio::test]
async fn references_are_not_checked_when_told_so() {
    let emu = emulator_with(Emulator::builder().check_references(false)).await;
    let a = create_with(&emu, &["att-1"]).await;
    assert_eq!(a.status, 200, "{}", a.text);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_reset_forgets_attachments_and_a_ticket_can_no_longer_name_them() {
    let emu = emulator_with(Emulator::builder()).await;
    let a = upload(&emu, "dmesg.log", b"log", r#"{"accessoryFrom":"incident"}"#).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.json()["accessory_id"].as_str().unwrap().to_owned();

    let cleared = emu.reset().unwrap();
    assert_eq!(cleared["attachments"], 1, "{cleared:?}");
    assert!(emu.attachment_bytes(&id).is_none());
    let a = create_with(&emu, &[&id]).await;
    a.assert_error(400, "OSM.0001", false);
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}
