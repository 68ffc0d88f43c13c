//! Operations whose answer is a file (`AnswerKind::Bytes` in the spec), through the
//! library against the emulator: the bytes stream to a writer or a file under the
//! caller's bound, and an error answer is mapped like any other.

use huaweicloud_osm::rules::{self, AnswerKind};
use huaweicloud_osm::{Client, Credentials, ErrorKind};
use osm_emulator::{Emulator, RunningEmulator};

const TOKEN: &str = "download-token";

async fn setup() -> (RunningEmulator, Client) {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .build()
        .unwrap();
    (emu, client)
}

#[test]
fn the_spec_declares_the_download_a_file() {
    assert!(matches!(
        rules::DOWNLOAD_ATTACHMENT.answer,
        AnswerKind::Bytes { media_type } if !media_type.contains("json")
    ));
}

#[tokio::test]
async fn an_attachment_comes_back_byte_for_byte() {
    let (emu, client) = setup().await;
    let data: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
    let id = client
        .upload_attachment("dmesg.log", data.clone())
        .await
        .unwrap();
    let mut out = Vec::new();
    let got = client
        .download_attachment()
        .accessory_id(&id)
        .send_to(&mut out, data.len() as u64)
        .await
        .unwrap();
    assert_eq!(out, data);
    assert_eq!(got.bytes, data.len() as u64);
    assert_eq!(got.file_name.as_deref(), Some("dmesg.log"));
    assert_eq!(
        got.content_type.as_deref(),
        Some("application/octet-stream")
    );
    assert!(got.request_id.is_some());
    assert_eq!(got.attempts, 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_file_over_the_bound_is_refused_and_nothing_is_left() {
    let (emu, client) = setup().await;
    let id = client
        .upload_attachment("big.log", vec![b'x'; 4096])
        .await
        .unwrap();
    let mut out = Vec::new();
    let err = client
        .download_attachment()
        .accessory_id(&id)
        .send_to(&mut out, 4095)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("4095"), "{err}");
    assert!(out.is_empty(), "nothing written");
    // Saved to a file: neither the file nor a temporary one is left.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("big.log");
    client
        .download_attachment()
        .accessory_id(&id)
        .save(&target, 100)
        .await
        .unwrap_err();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Within the bound, the file is there whole.
    client
        .download_attachment()
        .accessory_id(&id)
        .save(&target, 4096)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), vec![b'x'; 4096]);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_attachment_is_an_error_and_an_existing_file_is_kept() {
    let (emu, client) = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.txt");
    std::fs::write(&target, "mine").unwrap();
    let err = client
        .download_attachment()
        .accessory_id("0123456789abcdef0123456789abcdef")
        .save(&target, 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.operation(), Some("download_attachment"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");
    // An id over the spec's limit is refused before sending.
    let max = rules::DOWNLOAD_ATTACHMENT
        .param(rules::Location::Path, "accessory_id")
        .and_then(|r| r.max_length)
        .unwrap();
    let seen = emu.requests_seen();
    let err = client
        .download_attachment()
        .accessory_id("a".repeat(max + 1))
        .send_to(&mut Vec::new(), 10)
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert_eq!(emu.requests_seen(), seen, "nothing sent");
    emu.shutdown().await;
}
