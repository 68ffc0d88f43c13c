//! Attachments through the library, against the emulator (what it stored, byte for byte)
//! and against a scripted loopback server (the multipart bytes read by an independent
//! parser, `multer`, and answers the emulator never gives).

mod support;

use std::sync::{Arc, Mutex};

use huaweicloud_osm::ops::attachments::{
    AttachOptions, AttachStage, Encoding, LimitsSource, Progress, UploadOptions,
};
use huaweicloud_osm::validation::Problem;
use huaweicloud_osm::{
    Attachment, AttachmentLimits, Client, Credentials, ErrorKind, NewCase, RetryPolicy,
};
use osm_emulator::{Emulator, Fault, RunningEmulator};
use serde_json::json;
use support::{Reply, Server};

const TOKEN: &str = "attachments-test-token";
const AK: &str = "AKATTACH";
const SK: &str = "sk-attach-secret";

async fn emulator_with(builder: osm_emulator::EmulatorBuilder) -> RunningEmulator {
    builder.token(TOKEN).ak_sk(AK, SK).start().await.unwrap()
}

fn client_for(url: &str, credentials: Credentials) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(credentials)
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn sha256(data: &[u8]) -> String {
    huaweicloud_signing::hex_sha256(data)
}

/// Bytes that look like a log and hold what a careless multipart writer trips on.
fn log_bytes() -> Vec<u8> {
    let mut data = b"[    0.000000] Linux version 6.1.0\r\n--\r\n\r\n--osm-\"quoted\"\r\n".to_vec();
    data.extend((0..=255u8).cycle().take(3000));
    data
}

#[tokio::test]
async fn a_multipart_upload_arrives_byte_for_byte_with_both_kinds_of_credentials() {
    let emu = emulator_with(Emulator::builder()).await;
    let data = log_bytes();
    for credentials in [Credentials::token(TOKEN), Credentials::ak_sk(AK, SK)] {
        let client = client_for(&emu.base_url(), credentials);
        let id = client
            .upload_attachment("dmesg.log", data.clone())
            .await
            .unwrap();
        let stored = emu.attachments().into_iter().find(|a| a.id == id).unwrap();
        assert_eq!(stored.name, "dmesg.log");
        assert_eq!(stored.from, "incident");
        assert_eq!(stored.encoding, "multipart");
        assert_eq!(stored.size, data.len() as u64);
        assert_eq!(stored.sha256, sha256(&data));
        assert_eq!(emu.attachment_bytes(&id).unwrap(), data);
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_json_upload_and_a_file_upload() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    let data = log_bytes();
    let options = UploadOptions::default()
        .encoding(Encoding::Json)
        .markdown(true);
    let id = client
        .upload_attachment_with(&Attachment::new("notes.txt", data.clone()), &options)
        .await
        .unwrap();
    let stored = &emu.attachments()[0];
    assert_eq!(
        (stored.id.as_str(), stored.encoding.as_str()),
        (id.as_str(), "json")
    );
    assert_eq!(stored.upload_type, 1);
    assert_eq!(stored.sha256, sha256(&data));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kern.log");
    std::fs::write(&path, &data).unwrap();
    let id = client.upload_attachment_file(&path).await.unwrap();
    let stored = &emu.attachments()[1];
    assert_eq!(
        (stored.id.as_str(), stored.name.as_str()),
        (id.as_str(), "kern.log")
    );
    assert_eq!(stored.sha256, sha256(&data));
    emu.shutdown().await;
}

#[tokio::test]
async fn limits_are_checked_before_a_byte_is_sent() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    let max = AttachmentLimits::documented().max_bytes();
    let err = client
        .upload_attachment("big.log", vec![0u8; max as usize + 1])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(
        err.validation().unwrap().problem(),
        &Problem::TooManyBytes {
            max,
            actual: max + 1
        }
    );
    assert!(err.to_string().contains("4194305 bytes"), "{err}");
    let err = client
        .upload_attachment("tool.exe", &b"MZ"[..])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.validation().unwrap().problem(),
            Problem::FileType { .. }
        ),
        "{err}"
    );
    let err = client
        .upload_attachment("a\r\nX-Evil: 1.log", &b"x"[..])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation, "{err}");

    // A 60 MB file on disk (sparse: nothing to write) is refused from its size alone.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.log");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(60 * 1024 * 1024)
        .unwrap();
    let err = client.upload_attachment_file(&path).await.unwrap_err();
    assert!(err.to_string().contains("62914560 bytes (60 MiB)"), "{err}");
    let err = client
        .upload_attachment_file(dir.path().join("missing.log"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.validation().unwrap().problem(), Problem::Unreadable(_)),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_services_limits_when_asked() {
    let emu = emulator_with(Emulator::builder().attachment_max_mb(1)).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    let limits = AttachmentLimits::fetch(&client).await.unwrap();
    assert_eq!(limits.source(), LimitsSource::Service);
    assert_eq!(limits.max_bytes(), 1024 * 1024);
    assert_eq!(limits.max_count(), 5);
    assert_eq!(
        limits.file_types(),
        AttachmentLimits::documented().file_types()
    );
    assert_eq!(emu.requests_seen(), 1);

    // With the service's limits, 1.25 MiB never leaves; with the documented ones it is
    // sent and the emulator refuses it in the vendor's shape.
    let two = Attachment::new("two.log", vec![b'x'; 1280 * 1024]);
    let err = client
        .upload_attachment_with(&two, &UploadOptions::default().limits(limits))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(emu.requests_seen(), 1);
    let err = client
        .upload_attachment_with(&two, &UploadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert_eq!(
        (err.http_status(), err.error_code()),
        (Some(400), Some("OSM.0001"))
    );
    assert!(err.error_msg().unwrap().contains("1310720 bytes"), "{err}");
    assert!(emu.attachments().is_empty());
    emu.shutdown().await;
}

fn files() -> Vec<Attachment> {
    vec![
        Attachment::new("dmesg.log", log_bytes()),
        Attachment::new("screen.png", &b"\x89PNG\r\n\x1a\n"[..]),
    ]
}

#[tokio::test]
async fn a_ticket_with_attachments() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::ak_sk(AK, SK));
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    let options = AttachOptions::new().on_progress(move |p| {
        seen.lock().unwrap().push(match p {
            Progress::Uploading {
                index, total, name, ..
            } => format!("up {index}/{total} {name}"),
            Progress::Uploaded { index, .. } => format!("done {index}"),
            Progress::Creating => "create".into(),
            Progress::Deleting { .. } => "delete".into(),
            _ => "other".into(),
        });
    });
    let case = NewCase::new("1", "kernel panic on ecs-01");
    let done = client
        .create_case_with_attachments(&case, &files(), &options)
        .await
        .unwrap();
    let ids: Vec<&str> = done.attachments.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids.len(), 2);
    let tickets = emu.tickets();
    assert_eq!(tickets[0].incident_id, done.case.incident_id);
    assert_eq!(tickets[0].body["accessory_ids"], json!(ids));
    let stored = emu.attachments();
    assert_eq!(stored[0].sha256, sha256(&log_bytes()));
    assert_eq!(stored[1].name, "screen.png");
    assert_eq!(
        *events.lock().unwrap(),
        [
            "up 0/2 dmesg.log",
            "done 0",
            "up 1/2 screen.png",
            "done 1",
            "create"
        ]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_refused_ticket_takes_its_attachments_with_it() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    emu.faults().push(Fault::business_error(
        "OSM.01010006",
        "The severity does not exist",
    ));
    let err = client
        .create_case_with_attachments(&NewCase::new("1", "x"), &files(), &AttachOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.stage(), &AttachStage::Create);
    assert_eq!(err.error().error_code(), Some("OSM.01010006"));
    assert_eq!(err.uploaded().len(), 2);
    assert_eq!(err.deleted().len(), 2);
    assert!(err.kept().is_empty());
    assert!(err.to_string().contains("deleted again"), "{err}");
    assert!(emu.attachments().is_empty());
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_outcome_keeps_the_attachments() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    emu.faults().push(Fault::DropAfterRecord);
    let err = client
        .create_case_with_attachments(&NewCase::new("1", "x"), &files(), &AttachOptions::new())
        .await
        .unwrap_err();
    assert!(err.error().outcome_unknown(), "{err}");
    assert!(err.deleted().is_empty());
    let kept: Vec<String> = err.kept().iter().map(|s| s.to_string()).collect();
    let stored: Vec<String> = emu.attachments().into_iter().map(|a| a.id).collect();
    assert_eq!(kept, stored);
    // And the ticket does exist, naming them.
    assert_eq!(emu.tickets()[0].body["accessory_ids"], json!(stored));
    assert!(err.to_string().contains("were kept"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_failed_upload_deletes_the_earlier_ones_and_creates_nothing() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    // The second file passes the caller's limits but not the emulator's.
    let limits = AttachmentLimits::new(5, 16 * 1024 * 1024, ["log", "bin"]);
    let files = [
        Attachment::new("a.log", &b"first"[..]),
        Attachment::new("b.bin", vec![0u8; 5 * 1024 * 1024]),
    ];
    let options = AttachOptions::new().upload(UploadOptions::default().limits(limits));
    let err = client
        .create_case_with_attachments(&NewCase::new("1", "x"), &files, &options)
        .await
        .unwrap_err();
    assert_eq!(
        err.stage(),
        &AttachStage::Upload {
            index: 1,
            name: "b.bin".into()
        }
    );
    assert_eq!(err.deleted().len(), 1);
    assert!(emu.attachments().is_empty());
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn every_check_comes_before_the_first_upload() {
    let emu = emulator_with(Emulator::builder()).await;
    let client = client_for(&emu.base_url(), Credentials::token(TOKEN));
    let six: Vec<Attachment> = (0..6)
        .map(|i| Attachment::new(format!("{i}.log"), &b"x"[..]))
        .collect();
    let err = client
        .create_case_with_attachments(&NewCase::new("1", "x"), &six, &AttachOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.stage(), &AttachStage::Check);
    assert_eq!(
        err.error().to_string(),
        "invalid request, nothing was sent: attachments has 6 items; at most 5 are allowed"
    );
    // Two ids already on the ticket and four files: seven ids, over the spec's five.
    let case = NewCase::new("1", "x").accessory_ids(["a", "b"]);
    let err = client
        .create_case_with_attachments(&case, &six[..4], &AttachOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.error().validation().unwrap().field(), "accessory_ids");
    // An invalid ticket: nothing is uploaded for it.
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let err = client
        .create_case_with_attachments(
            &NewCase::new("1", "x".repeat(max + 1)),
            &files(),
            &AttachOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.error().validation().unwrap().field(),
        "simple_description"
    );
    assert_eq!(emu.requests_seen(), 0);
    emu.shutdown().await;
}

/// The form the client sends, read by `multer` (the parser behind axum's `Multipart`).
#[tokio::test]
async fn the_form_reads_with_an_independent_parser() {
    let server = Server::start(vec![Reply::json(200, json!({"accessory_id": "A1"}))]).await;
    let client = support::client(&server.url);
    let data = log_bytes();
    let id = client
        .upload_attachment("ошибка dmesg.log", data.clone())
        .await
        .unwrap();
    assert_eq!(id, "A1");
    let seen = server.only();
    assert_eq!(seen.uri.path(), "/v2/servicerequest/accessorys");
    let content_type = seen.header("content-type").unwrap();
    let boundary = multer::parse_boundary(content_type).unwrap();
    let body = seen.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let file = form.next_field().await.unwrap().unwrap();
    assert_eq!(file.name(), Some("file"));
    assert_eq!(file.file_name(), Some("ошибка dmesg.log"));
    assert_eq!(file.bytes().await.unwrap(), data);
    let meta = form.next_field().await.unwrap().unwrap();
    assert_eq!(meta.name(), Some("form_data"));
    assert_eq!(meta.file_name(), None);
    let meta: serde_json::Value = serde_json::from_str(&meta.text().await.unwrap()).unwrap();
    assert_eq!(
        meta,
        json!({"accessoryFrom": "incident", "fileName": "ошибка dmesg.log", "uploadType": 0})
    );
    assert!(form.next_field().await.unwrap().is_none());
    assert_token_and_length(&seen);
}

/// What the token and the signature look like on the upload.
fn assert_token_and_length(seen: &support::Seen) {
    assert_eq!(seen.header("x-auth-token"), Some("test-token-value"));
    assert_eq!(
        seen.header("content-length"),
        Some(seen.body.len().to_string().as_str())
    );
}

#[tokio::test]
async fn an_upload_signed_with_ak_sk_declares_an_unsigned_payload() {
    let server = Server::start(vec![Reply::json(200, json!({"accessory_id": "A1"}))]).await;
    let client = client_for(&server.url, Credentials::ak_sk(AK, SK));
    client.upload_attachment("a.log", &b"x"[..]).await.unwrap();
    let seen = server.only();
    assert_eq!(
        seen.header("x-sdk-content-sha256"),
        Some("UNSIGNED-PAYLOAD")
    );
    let auth = seen.header("authorization").unwrap();
    assert!(
        auth.starts_with("SDK-HMAC-SHA256 Access=AKATTACH"),
        "{auth}"
    );
    assert!(!auth.contains(SK));
}

#[tokio::test]
async fn answers_without_an_id() {
    // The vendor's "today's upload limit" arrives as a 200 with error_code.
    let server = Server::start(vec![
        Reply::json(
            200,
            json!({"error_code": "OSM.01010005", "error_msg": "limit reached"}),
        ),
        Reply::json(200, json!({})),
    ])
    .await;
    let client = support::client(&server.url);
    let err = client
        .upload_attachment("a.log", &b"x"[..])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.error_code(), Some("OSM.01010005"));
    assert_eq!(err.operation(), Some("upload_attachment"));
    let err = client
        .upload_attachment("a.log", &b"x"[..])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(
        err.to_string().contains("without an attachment id"),
        "{err}"
    );
}
