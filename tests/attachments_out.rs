//! Attachments out of the service, through the library: a picture with its media type
//! (download_images), links that need no signing (list_accessory_access_urls,
//! show_download_accessory_url), the names tickets show, and every attachment of a ticket
//! into a directory (Client::download_case_attachments) against the emulator and against
//! a loopback server that answers hostile names and broken downloads.

use std::collections::BTreeSet;
use std::path::Path;

use huaweicloud_osm::ops::attachments::{DownloadAllOptions, UnsavedAttachment};
use huaweicloud_osm::rules::{self, AnswerKind, Location};
use huaweicloud_osm::{Client, Credentials, ErrorKind, NewCase, RetryPolicy};
use osm_emulator::{Emulator, RunningEmulator};

const TOKEN: &str = "attachments-out-token";

/// A PNG's signature and a few bytes: enough for a picture by name and content.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-really-a-picture";

async fn setup() -> (RunningEmulator, Client) {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let client = client_at(&emu.base_url());
    (emu, client)
}

fn client_at(url: &str) -> Client {
    Client::builder()
        .endpoint(url)
        .credentials(Credentials::token(TOKEN))
        .retry(RetryPolicy::default().with_max_attempts(1))
        .build()
        .unwrap()
}

fn max_length(op: &rules::OperationRules, location: Location, name: &str) -> usize {
    op.param(location, name)
        .and_then(|r| r.max_length)
        .unwrap_or_else(|| panic!("{} {name} has a maximum length in the spec", op.id))
}

/// The names of the files in `dir`, temporary ones included.
fn files_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_spec_declares_the_picture_a_file_of_an_image_type() {
    assert!(matches!(
        rules::DOWNLOAD_IMAGES.answer,
        AnswerKind::Bytes { media_type } if media_type.starts_with("image/")
    ));
}

#[tokio::test]
async fn a_picture_comes_back_with_its_media_type_and_other_files_are_refused() {
    let (emu, client) = setup().await;
    let png = client.upload_attachment("screen.png", PNG).await.unwrap();
    let mut out = Vec::new();
    let got = client
        .download_images()
        .accessory_id(&png)
        .send_to(&mut out, PNG.len() as u64)
        .await
        .unwrap();
    assert_eq!(out, PNG);
    assert_eq!(got.content_type.as_deref(), Some("image/png"));
    // Over the caller's bound: nothing written.
    let mut out = Vec::new();
    let err = client
        .download_images()
        .accessory_id(&png)
        .send_to(&mut out, PNG.len() as u64 - 1)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(out.is_empty());
    // A log file is no picture.
    let log = client
        .upload_attachment("dmesg.log", "a log")
        .await
        .unwrap();
    let err = client
        .download_images()
        .accessory_id(&log)
        .send_to(&mut Vec::new(), 1 << 20)
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400));
    assert!(err.to_string().contains("is not an image"), "{err}");
    // An id over the spec's limit is refused before sending.
    let max = max_length(rules::DOWNLOAD_IMAGES, Location::Path, "accessory_id");
    let seen = emu.requests_seen();
    let err = client
        .download_images()
        .accessory_id("a".repeat(max + 1))
        .send_to(&mut Vec::new(), 10)
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert_eq!(
        err.validation().map(|v| v.field()),
        Some("accessory_id"),
        "{err}"
    );
    assert_eq!(emu.requests_seen(), seen, "nothing sent");
    emu.shutdown().await;
}

#[tokio::test]
async fn links_lead_to_the_bytes_without_signing() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (emu, client) = setup().await;
    let a = client
        .upload_attachment("a.log", "first file")
        .await
        .unwrap();
    let b = client.upload_attachment("b.png", PNG).await.unwrap();
    let answer = client
        .list_accessory_access_urls()
        .accessory_ids([
            a.as_str(),
            "0123456789abcdef0123456789abcdef",
            b.as_str(),
            a.as_str(),
        ])
        .send()
        .await
        .unwrap();
    let urls = &answer.value().accessory_urls;
    // The unknown id is left out, the repeated one answered once, in the order asked.
    let ids: Vec<_> = urls
        .iter()
        .map(|u| u.accessory_id.as_deref().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    assert_eq!(urls[0].accessory_name.as_deref(), Some("a.log"));
    assert_eq!(urls[1].accessory_name.as_deref(), Some("b.png"));
    for (u, want) in urls.iter().zip([b"first file".as_slice(), PNG]) {
        // A plain GET, with no token and no signature.
        let got = reqwest::get(u.accessory_url.as_deref().unwrap())
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().as_ref(), want);
    }
    // One link, for an attachment of a ticket.
    let case = client
        .create_case(&NewCase::new("1", "a ticket with a file").accessory_ids([a.as_str()]))
        .await
        .unwrap()
        .incident_id;
    let one = client
        .show_download_accessory_url()
        .accessory_id(&a)
        .relation_type("INCIDENT")
        .incident_id(&case)
        .send()
        .await
        .unwrap();
    let url = one.value().accessory_url.clone().unwrap();
    assert_eq!(
        reqwest::get(&url)
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"first file"
    );
    // An unknown ticket, an unknown attachment: refused.
    let err = client
        .show_download_accessory_url()
        .accessory_id(&a)
        .relation_type("INCIDENT")
        .incident_id("no-such-ticket")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let err = client
        .show_download_accessory_url()
        .accessory_id("0123456789abcdef0123456789abcdef")
        .relation_type("DEFAULT")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err}");
    // Refused before sending: no relation_type, a relation_type the spec does not list,
    // more ids than the spec allows.
    let seen = emu.requests_seen();
    let err = client
        .show_download_accessory_url()
        .accessory_id(&a)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().map(|v| v.field()), Some("relation_type"));
    let err = client
        .show_download_accessory_url()
        .accessory_id(&a)
        .relation_type("TICKET")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().map(|v| v.field()), Some("relation_type"));
    let max = rules::LIST_ACCESSORY_ACCESS_URLS
        .param(Location::Query, "accessory_ids")
        .and_then(|r| r.max_items)
        .unwrap();
    let err = client
        .list_accessory_access_urls()
        .accessory_ids(vec![a.clone(); max + 1])
        .send()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(err.to_string().contains(&max.to_string()), "{err}");
    assert_eq!(emu.requests_seen(), seen, "nothing sent");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_ticket_shows_its_attachments_by_the_names_they_were_uploaded_under() {
    let (emu, client) = setup().await;
    let id = client
        .upload_attachment("kernel panic.log", "oops")
        .await
        .unwrap();
    let case = client
        .create_case(&NewCase::new("1", "panic").accessory_ids([id.as_str()]))
        .await
        .unwrap()
        .incident_id;
    let detail = client
        .show_case_detail()
        .case_id(&case)
        .send()
        .await
        .unwrap();
    let first = &detail
        .value()
        .incident_detail_info
        .as_ref()
        .unwrap()
        .message_list[0];
    assert_eq!(
        first.accessory_list[0].accessory_id.as_deref(),
        Some(id.as_str())
    );
    assert_eq!(
        first.accessory_list[0].file_actual_name.as_deref(),
        Some("kernel panic.log")
    );
    emu.shutdown().await;
}

/// A ticket with `a.log` and `b.png` and a message with another `a.log`.
async fn ticket_with_files(client: &Client) -> (String, [String; 3]) {
    let a = client.upload_attachment("a.log", "first a").await.unwrap();
    let b = client.upload_attachment("b.png", PNG).await.unwrap();
    let case = client
        .create_case(&NewCase::new("1", "three files").accessory_ids([a.as_str(), b.as_str()]))
        .await
        .unwrap()
        .incident_id;
    let c = client
        .upload_attachment_with(
            &huaweicloud_osm::Attachment::new("A.LOG", "second a, longer"),
            &huaweicloud_osm::ops::attachments::UploadOptions::default()
                .purpose(huaweicloud_osm::ops::attachments::Purpose::Message),
        )
        .await
        .unwrap();
    client
        .create_message()
        .case_id(&case)
        .message(serde_json::json!({"content": "another file", "accessory_ids": [c]}))
        .send()
        .await
        .unwrap();
    (case, [a, b, c])
}

#[tokio::test]
async fn every_attachment_of_a_ticket_lands_in_the_directory_once_and_nothing_is_overwritten() {
    let (emu, client) = setup().await;
    let (case, [a, b, c]) = ticket_with_files(&client).await;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("case-files");
    let options = DownloadAllOptions::new(1 << 20, 1 << 20);
    let done = client
        .download_case_attachments(&case, &dir, &options)
        .await
        .unwrap();
    let got: Vec<(&str, String, u64)> = done
        .saved
        .iter()
        .map(|s| {
            (
                s.attachment.accessory_id.as_str(),
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.bytes,
            )
        })
        .collect();
    // In the order the messages list them; the second a.log (in any case) numbered.
    assert_eq!(
        got,
        [
            (a.as_str(), "a.log".to_owned(), 7),
            (b.as_str(), "b.png".to_owned(), PNG.len() as u64),
            (c.as_str(), "A-2.LOG".to_owned(), 16),
        ]
    );
    assert_eq!(std::fs::read(dir.join("a.log")).unwrap(), b"first a");
    assert_eq!(std::fs::read(dir.join("b.png")).unwrap(), PNG);
    assert_eq!(
        std::fs::read(dir.join("A-2.LOG")).unwrap(),
        b"second a, longer"
    );
    assert_eq!(done.bytes(), 7 + PNG.len() as u64 + 16);
    // Again into the same directory: every file exists, none is touched, and nothing
    // was fetched for them.
    std::fs::write(dir.join("a.log"), "edited by hand").unwrap();
    let before = files_in(&dir);
    let err = client
        .download_case_attachments(&case, &dir, &options)
        .await
        .unwrap_err();
    assert!(err.saved().is_empty() && err.error().is_none(), "{err}");
    assert_eq!(err.unsaved().len(), 3);
    for u in err.unsaved() {
        assert!(
            u.error.to_string().contains("not overwritten"),
            "{}",
            u.error
        );
        assert_eq!(u.error.kind(), ErrorKind::Configuration);
    }
    assert_eq!(files_in(&dir), before, "no file added, none left over");
    assert_eq!(std::fs::read(dir.join("a.log")).unwrap(), b"edited by hand");
    emu.shutdown().await;
}

#[tokio::test]
async fn the_bounds_refuse_files_whole_and_a_ticket_with_too_many() {
    let (emu, client) = setup().await;
    let (case, [a, b, c]) = ticket_with_files(&client).await;
    let root = tempfile::tempdir().unwrap();
    // Per file: 16 bytes refuses the picture only (a.log is 7 bytes, the second 16).
    let dir = root.path().join("per-file");
    let err = client
        .download_case_attachments(&case, &dir, &DownloadAllOptions::new(16, 1 << 20))
        .await
        .unwrap_err();
    let saved: Vec<_> = err
        .saved()
        .iter()
        .map(|s| s.attachment.accessory_id.clone())
        .collect();
    assert_eq!(saved, [a.clone(), c.clone()]);
    let [u]: &[UnsavedAttachment] = err.unsaved() else {
        panic!("one not saved: {err}");
    };
    assert_eq!(u.attachment.accessory_id, b);
    assert!(u.error.to_string().contains("16"), "{}", u.error);
    assert_eq!(
        files_in(&dir),
        BTreeSet::from(["a.log".into(), "A-2.LOG".into()])
    );
    // In all: the first two use the total bound up exactly; the third is not fetched.
    let dir = root.path().join("total");
    let total = 7 + PNG.len() as u64;
    let err = client
        .download_case_attachments(&case, &dir, &DownloadAllOptions::new(1 << 20, total))
        .await
        .unwrap_err();
    assert_eq!(err.saved().len(), 2);
    assert_eq!(err.unsaved().len(), 1);
    assert!(
        err.unsaved()[0].error.to_string().contains("total bound"),
        "{err}"
    );
    let dir = root.path().join("total-short");
    let err = client
        .download_case_attachments(&case, &dir, &DownloadAllOptions::new(1 << 20, total - 1))
        .await
        .unwrap_err();
    // a.log fits; the picture does not fit what is left (and is not saved in part); the
    // third, smaller, still does.
    assert_eq!(err.saved().len(), 2);
    assert_eq!(err.unsaved().len(), 1);
    assert_eq!(err.unsaved()[0].attachment.accessory_id, b);
    assert!(
        err.unsaved()[0].error.to_string().contains("total bound"),
        "{}",
        err.unsaved()[0].error
    );
    assert_eq!(
        files_in(&dir),
        BTreeSet::from(["a.log".into(), "A-2.LOG".into()])
    );
    // Count: three attachments, a bound of two: nothing downloaded, no directory made.
    let dir = root.path().join("count");
    let seen = emu.requests_seen();
    let err = client
        .download_case_attachments(
            &case,
            &dir,
            &DownloadAllOptions::new(1 << 20, 1 << 20).max_files(2),
        )
        .await
        .unwrap_err();
    assert!(
        err.error().unwrap().to_string().contains("more than 2"),
        "{err}"
    );
    assert!(err.saved().is_empty() && err.unsaved().is_empty());
    assert!(!dir.exists());
    // Only the listing was asked, and it stopped at the third: show_case_detail.
    assert_eq!(emu.requests_seen(), seen + 1);
    // An unknown ticket: the listing's error, nothing made.
    let err = client
        .download_case_attachments(
            "no-such-ticket",
            root.path().join("none"),
            &DownloadAllOptions::new(1, 1),
        )
        .await
        .unwrap_err();
    assert_eq!(err.error().unwrap().http_status(), Some(404));
    assert!(!root.path().join("none").exists());
    emu.shutdown().await;
}

/// A service that lists hostile names and answers broken downloads, on loopback.
mod hostile {
    use axum::Router;
    use axum::body::Body;
    use axum::extract::Path;
    use axum::http::{StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use serde_json::{Value, json};

    /// (id, name as listed, bytes; `None` for a download that breaks off).
    pub const FILES: &[(&str, &str, Option<&[u8]>)] = &[
        ("up", "../../escaped.txt", Some(b"up")),
        ("abs", "/etc/passwd", Some(b"abs")),
        ("win", "C:\\Windows\\system.ini", Some(b"win")),
        ("dev", "CON", Some(b"dev")),
        ("nul", "a\0b.txt", Some(b"nul")),
        ("esc", "x\u{1b}]0;owned\u{7}.log", Some(b"esc")),
        ("rlo", "invoice\u{202E}gpj.exe", Some(b"rlo")),
        ("dots", "..", Some(b"dots")),
        ("dup1", "same.txt", Some(b"dup1")),
        ("dup2", "SAME.txt", Some(b"dup2")),
        ("cut", "cut.bin", None),
        ("gone", "gone.txt", Some(b"")),
    ];

    fn refs() -> Vec<Value> {
        FILES
            .iter()
            .map(|(id, name, _)| json!({"accessory_id": id, "file_actual_name": name}))
            .collect()
    }

    pub async fn serve() -> String {
        let app = Router::new()
            .route(
                "/v2/servicerequest/cases/{case}",
                get(|| async {
                    axum::Json(json!({"incident_detail_info": {
                        "message_list": [{"accessory_list": refs()}]
                    }}))
                }),
            )
            .route(
                "/v2/servicerequest/cases/{case}/messages",
                // The same attachments again, and one listed only here.
                get(|| async {
                    let mut list = refs();
                    list.push(json!({"accessory_id": "late", "file_actual_name": "late.txt"}));
                    axum::Json(json!({"count": 1, "message_list": [{"accessory_list": list}]}))
                }),
            )
            .route(
                "/v2/servicerequest/accessorys/{id}",
                get(|Path(id): Path<String>| async move { download(&id) }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn download(id: &str) -> Response {
        if id == "late" {
            return (StatusCode::OK, "late").into_response();
        }
        if id == "gone" {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error_code": "OSM.0001", "error_msg": "gone"})),
            )
                .into_response();
        }
        match FILES.iter().find(|(i, _, _)| *i == id) {
            Some((_, _, Some(bytes))) => (
                [(header::CONTENT_TYPE, "application/octet-stream")],
                bytes.to_vec(),
            )
                .into_response(),
            Some((_, _, None)) => {
                // Some bytes, then the connection breaks.
                let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                    Ok(vec![b'x'; 1000]),
                    Err(std::io::Error::other("cut off on purpose")),
                ];
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .body(Body::from_stream(futures_util::stream::iter(chunks)))
                    .unwrap()
            }
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

#[tokio::test]
async fn hostile_names_stay_inside_the_directory_and_failures_leave_no_file() {
    let url = hostile::serve().await;
    let client = client_at(&url);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a").join("b");
    let err = client
        .download_case_attachments("case-1", &dir, &DownloadAllOptions::new(1 << 20, 1 << 20))
        .await
        .unwrap_err();
    // Everything lands in the directory, under names that are only names.
    let names = files_in(&dir);
    assert_eq!(
        names,
        BTreeSet::from(
            [
                "_.._escaped.txt",
                "_etc_passwd",
                "C__Windows_system.ini",
                "_CON",
                "a_b.txt",
                "x_]0;owned_.log",
                "invoice_gpj.exe",
                "attachment-dots",
                "same.txt",
                "SAME-2.txt",
                "late.txt",
            ]
            .map(String::from)
        ),
        "no temporary file is left either"
    );
    assert_eq!(files_in(root.path()), BTreeSet::from(["a".to_owned()]));
    assert_eq!(
        files_in(&root.path().join("a")),
        BTreeSet::from(["b".to_owned()])
    );
    assert_eq!(std::fs::read(dir.join("_CON")).unwrap(), b"dev");
    assert_eq!(std::fs::read(dir.join("SAME-2.txt")).unwrap(), b"dup2");
    // The saved ones keep the service's names as given; the two that failed are named.
    let saved: BTreeSet<_> = err
        .saved()
        .iter()
        .map(|s| s.attachment.accessory_id.as_str())
        .collect();
    assert_eq!(saved.len(), 11, "listed once each, `late` included");
    let unsaved: Vec<_> = err
        .unsaved()
        .iter()
        .map(|u| (u.attachment.accessory_id.as_str(), u.error.kind()))
        .collect();
    assert_eq!(
        unsaved,
        [("cut", ErrorKind::Transport), ("gone", ErrorKind::Service)]
    );
    let esc = err
        .saved()
        .iter()
        .find(|s| s.attachment.accessory_id == "esc")
        .unwrap();
    assert_eq!(
        esc.attachment.name.as_deref(),
        Some("x\u{1b}]0;owned\u{7}.log")
    );
    assert!(err.to_string().contains("2 of the 13 attachments"), "{err}");
    // A bound of files below what the service lists: nothing is fetched.
    let other = root.path().join("bounded");
    let err = client
        .download_case_attachments(
            "case-1",
            &other,
            &DownloadAllOptions::new(1 << 20, 1 << 20).max_files(hostile::FILES.len() - 1),
        )
        .await
        .unwrap_err();
    assert!(err.error().is_some(), "{err}");
    assert!(!other.exists());
}
