//! The create-case operation over real sockets: success with each auth scheme, every
//! refusal in the vendor's shape, a request recorded from the vendor's Python SDK, and
//! the admin routes.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use huaweicloud_osm::{Credentials, ErrorKind};
use osm_emulator::{AuthScheme, Emulator, Fault};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn post_json(url: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut req = raw()
        .post(format!("{url}/v2/servicerequest/cases"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    Answer::from(req.send().await.expect("request goes through")).await
}

#[tokio::test]
async fn token_create_is_recorded() {
    let emu = emulator().await;
    let client = huaweicloud_osm::Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token(TOKEN))
        .retry(huaweicloud_osm::RetryPolicy::none())
        .language("en-us")
        .build()
        .unwrap();
    let created = client
        .create_case(&case().region_id("ap-southeast-3").phone_verified_id("pv-1"))
        .await
        .unwrap();
    assert!(
        created.incident_id.starts_with("CS"),
        "{}",
        created.incident_id
    );
    assert!(created.incident_id.len() <= 64);
    assert_is_request_id(created.request_id.as_deref().unwrap());

    let tickets = emu.tickets();
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t.seq, 1);
    assert_eq!(t.incident_id, created.incident_id);
    assert_eq!(Some(&t.request_id), created.request_id.as_ref());
    assert_eq!(t.auth, AuthScheme::Token);
    assert_eq!(t.headers["x-language"], "en-us");
    assert_eq!(t.headers["x-phone-verifiedid"], "pv-1");
    assert_eq!(t.headers["x-site"], "1");
    assert!(!t.headers.contains_key("x-auth-token"));
    assert_eq!(
        t.body,
        json!({
            "business_type_id": "1",
            "simple_description": "disk full on ecs-01",
            "source_id": "83aeb0f2834c4df49826c781d32a963e",
            "region_id": "ap-southeast-3",
        })
    );
    let age = SystemTime::now().duration_since(t.received_at).unwrap();
    assert!(age < Duration::from_secs(60));

    let second = client.create_case(&case()).await.unwrap();
    assert_ne!(second.incident_id, created.incident_id);
    assert_eq!(emu.ticket_count(), 2);
    assert_eq!(emu.requests_seen(), 2);
    emu.shutdown().await;
}

#[tokio::test]
async fn ak_sk_create_is_verified_and_recorded() {
    let emu = emulator().await;
    let client = client(
        &emu,
        Credentials::ak_sk(AK, SK)
            .with_security_token("st-1")
            .with_domain_id("domain-1"),
    );
    let created = client.create_case(&case()).await.unwrap();
    let t = &emu.tickets()[0];
    assert_eq!(t.incident_id, created.incident_id);
    assert_eq!(
        t.auth,
        AuthScheme::AkSk {
            access_key: AK.into(),
            temporary: true
        }
    );
    assert_eq!(t.headers["x-domain-id"], "domain-1");
    assert!(!t.headers.contains_key("authorization"));
    assert!(!t.headers.contains_key("x-security-token"));
    emu.shutdown().await;
}

#[tokio::test]
async fn authentication_failures() {
    let emu = emulator().await;
    let url = emu.base_url();

    // No credentials at all.
    let a = post_json(&url, &[], &body().to_string()).await;
    let msg = a.assert_error(401, "OSM.0002", false);
    assert!(msg.contains("no credentials"), "{msg}");

    // A token the emulator does not know, through the library.
    let err = client(&emu, Credentials::token("not-the-token"))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.http_status(), Some(401));
    assert_eq!(err.error_code(), Some("OSM.0002"));
    assert!(!err.outcome_unknown());
    assert_is_request_id(err.request_id().unwrap());

    // A token longer than the spec allows.
    let long = "t".repeat(5001);
    let a = post_json(&url, &[("x-auth-token", &long)], &body().to_string()).await;
    let msg = a.assert_error(401, "OSM.0002", false);
    assert_eq!(
        msg,
        "header X-Auth-Token is 5001 characters long; the maximum length is 5000"
    );

    // A wrong secret key: the gateway's APIGW.0301, with request_id in the body.
    let err = client(&emu, Credentials::ak_sk(AK, "wrong-secret"))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(401));
    assert_eq!(err.error_code(), Some("APIGW.0301"));
    assert_eq!(err.error_msg(), Some("the signature does not match"));
    assert_is_request_id(err.request_id().unwrap());

    // An unknown access key.
    let err = client(&emu, Credentials::ak_sk("AKUNKNOWN", SK))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("APIGW.0301"));
    assert_eq!(err.error_msg(), Some("the access key is not known"));

    // A signature dated an hour ago.
    let stale = huaweicloud_osm::Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::ak_sk(AK, SK))
        .retry(huaweicloud_osm::RetryPolicy::none())
        .clock(|| SystemTime::now() - Duration::from_secs(3600))
        .build()
        .unwrap();
    let err = stale.create_case(&case()).await.unwrap_err();
    assert_eq!(err.error_code(), Some("APIGW.0301"));
    assert!(
        err.error_msg()
            .unwrap()
            .contains("away from the gateway's clock")
    );

    // A non-HMAC Authorization header and no token.
    let a = post_json(
        &url,
        &[("authorization", "Bearer abc")],
        &body().to_string(),
    )
    .await;
    a.assert_error(401, "APIGW.0301", true);

    assert_eq!(emu.ticket_count(), 0);
    assert_eq!(emu.requests_seen(), 7);
    emu.shutdown().await;
}

#[tokio::test]
async fn parameter_check_failures() {
    let emu = emulator().await;
    let url = emu.base_url();
    let auth = [("x-auth-token", TOKEN)];

    // The library refuses a too-long description before sending...
    let max = huaweicloud_osm::rules::CREATE_CASE
        .body_field("simple_description")
        .and_then(|r| r.max_length)
        .unwrap();
    let mut too_long = body();
    too_long["simple_description"] = Value::String("x".repeat(max + 1));
    let err = token_client(&emu)
        .create_case(&case().simple_description("x".repeat(max + 1)))
        .await
        .unwrap_err();
    assert!(err.is_validation());
    assert_eq!(emu.requests_seen(), 0, "nothing was sent");
    // ...and the emulator refuses it with the same words when it is sent anyway.
    let a = post_json(&url, &auth, &too_long.to_string()).await;
    let msg = a.assert_error(400, "OSM.0001", false);
    assert_eq!(
        msg,
        format!(
            "simple_description is {} characters long; the maximum length is {max}",
            max + 1
        )
    );

    let mut missing = body();
    missing.as_object_mut().unwrap().remove("business_type_id");
    let msg = post_json(&url, &auth, &missing.to_string())
        .await
        .assert_error(400, "OSM.0001", false);
    assert_eq!(msg, "business_type_id is required but missing");

    // A fault report (a problem type whose case_type is "5") without a region.
    let fault = token_client(&emu)
        .list_problem_types()
        .send()
        .await
        .unwrap()
        .incident_business_type_list
        .iter()
        .find(|p| p.case_type == Some(huaweicloud_osm::CaseType::FaultReport))
        .and_then(|p| p.business_type_id.clone())
        .unwrap();
    let mut region = body();
    region["business_type_id"] = fault.into();
    region.as_object_mut().unwrap().remove("region_id");
    let msg = post_json(&url, &auth, &region.to_string())
        .await
        .assert_error(400, "OSM.0001", false);
    assert!(msg.contains("region_id is required"), "{msg}");

    let mut too_many = body();
    too_many["accessory_ids"] = json!(["a", "b", "c", "d", "e", "f"]);
    let msg = post_json(&url, &auth, &too_many.to_string())
        .await
        .assert_error(400, "OSM.0001", false);
    assert_eq!(msg, "accessory_ids has 6 items; at most 5 are allowed");

    let msg = post_json(&url, &auth, "{\"business_type_id\": ")
        .await
        .assert_error(400, "OSM.0001", false);
    assert!(msg.starts_with("body is malformed"), "{msg}");

    let msg = post_json(&url, &auth, "[1, 2]")
        .await
        .assert_error(400, "OSM.0001", false);
    assert_eq!(msg, "body must be a JSON object");

    // Headers the spec declares are checked too.
    let lang = "l".repeat(33);
    let msg = post_json(
        &url,
        &[("x-auth-token", TOKEN), ("x-language", &lang)],
        &body().to_string(),
    )
    .await
    .assert_error(400, "OSM.0001", false);
    assert_eq!(
        msg,
        "header X-Language is 33 characters long; the maximum length is 32"
    );
    let msg = post_json(
        &url,
        &[("x-auth-token", TOKEN), ("x-site", "2")],
        &body().to_string(),
    )
    .await
    .assert_error(400, "OSM.0001", false);
    assert_eq!(msg, "header X-Site must be \"0\" or \"1\"");

    // Content type: text/plain and none are refused; a charset parameter is fine.
    let post = |content_type: Option<&'static str>| {
        let mut request = raw()
            .post(format!("{url}/v2/servicerequest/cases"))
            .header("x-auth-token", TOKEN)
            .body(body().to_string());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let msg = post(Some("text/plain"))
        .await
        .assert_error(400, "OSM.0001", false);
    assert!(
        msg.contains("Content-Type must be application/json"),
        "{msg}"
    );
    let msg = post(None).await.assert_error(400, "OSM.0001", false);
    assert!(msg.contains("no Content-Type"), "{msg}");
    let a = post(Some("Application/JSON; charset=utf-8")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(emu.ticket_count(), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .max_body_bytes(1024)
        .start()
        .await
        .unwrap();
    let url = emu.base_url();
    let mut big = body();
    big["extends_map"] = json!({ "padding": "p".repeat(2000) });
    let big = big.to_string();

    // Declared with Content-Length.
    let a = post_json(&url, &[("x-auth-token", TOKEN)], &big).await;
    let msg = a.assert_error(413, "APIGW.0201", true);
    assert!(
        msg.contains(&format!("the body is {} bytes", big.len())),
        "{msg}"
    );
    assert!(msg.contains("at most 1024 bytes"), "{msg}");

    // Sent chunked, without a length: found while reading.
    let mut tcp = tokio::net::TcpStream::connect(emu.local_addr())
        .await
        .unwrap();
    let mut req = format!(
        "POST /v2/servicerequest/cases HTTP/1.1\r\nhost: x\r\nx-auth-token: {TOKEN}\r\n\
         content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in big.as_bytes().chunks(500) {
        req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        req.extend_from_slice(chunk);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    tcp.write_all(&req).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("APIGW.0201"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-request-id: "),
        "{answer}"
    );

    // Within the limit is fine.
    let a = post_json(&url, &[("x-auth-token", TOKEN)], &body().to_string()).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(emu.ticket_count(), 1);
    assert_eq!(emu.requests_seen(), 3);
    emu.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let emu = emulator().await;
    let url = emu.base_url();
    let a = Answer::from(
        raw()
            .post(format!("{url}/v2/servicerequest/case"))
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let msg = a.assert_error(404, "APIGW.0101", true);
    assert!(msg.contains("/v2/servicerequest/case"), "{msg}");

    let a = Answer::from(
        raw()
            .put(format!("{url}/v2/servicerequest/cases"))
            .header("x-auth-token", TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(405, "APIGW.0101", true);
    // The spec has two operations on this path: list (GET) and create (POST).
    assert_eq!(a.headers["allow"], "GET, POST");

    let a = Answer::from(
        raw()
            .get(format!("{url}/__emulator/nope"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(404, "APIGW.0101", true);

    assert_eq!(emu.requests_seen(), 2, "admin routes are not counted");
    assert_eq!(emu.ticket_count(), 0);
    emu.shutdown().await;
}

/// A request the vendor's Python SDK sent (`signing/tests/data/python_sdk/`), replayed byte for
/// byte with its original signature, is accepted.
#[tokio::test]
async fn python_sdk_request_is_accepted() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../signing/tests/data/python_sdk/create_case_request.json"
    );
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ak = recorded["ak"].as_str().unwrap();
    let sk = recorded["sk"].as_str().unwrap();

    async fn replay(url: &str, call: &Value) -> Answer {
        let mut req = raw().post(format!("{url}{}", call["path"].as_str().unwrap()));
        let mut date = None;
        for pair in call["headers"].as_array().unwrap() {
            let (name, value) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
            if name.eq_ignore_ascii_case("content-length") {
                continue; // reqwest sets the same value from the body
            }
            if name.eq_ignore_ascii_case("x-sdk-date") {
                date = Some(value.to_owned());
            }
            req = req.header(name, value);
        }
        assert!(date.is_some());
        let body = call["body"].as_str().unwrap().to_owned();
        Answer::from(req.body(body).send().await.unwrap()).await
    }

    let sdk_date = recorded["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "X-Sdk-Date")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_owned();
    let signed_at = huaweicloud_signing::parse_sdk_date(&sdk_date).unwrap();
    let emu = Emulator::builder()
        .ak_sk(ak, sk)
        .clock(move || signed_at + Duration::from_secs(5))
        .start()
        .await
        .unwrap();

    let a = replay(&emu.base_url(), &recorded).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let id = a.json()["incident_id"].as_str().unwrap().to_owned();
    assert_eq!(id, format!("CS{}000001", &sdk_date[..8]));
    a.request_id();

    let temporary = recorded["additional_calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "temporary_credentials_with_x_site")
        .unwrap();
    let a = replay(&emu.base_url(), temporary).await;
    assert_eq!(a.status, 200, "{}", a.text);

    let tickets = emu.tickets();
    assert_eq!(tickets.len(), 2);
    assert_eq!(
        tickets[0].auth,
        AuthScheme::AkSk {
            access_key: ak.into(),
            temporary: false
        }
    );
    assert_eq!(tickets[0].headers["x-domain-id"], recorded["domain_id"]);
    assert_eq!(tickets[0].headers["x-language"], "en-us");
    assert_eq!(
        tickets[0].body,
        serde_json::from_str::<Value>(recorded["body"].as_str().unwrap()).unwrap()
    );
    assert_eq!(
        tickets[1].auth,
        AuthScheme::AkSk {
            access_key: ak.into(),
            temporary: true
        }
    );
    assert_eq!(tickets[1].headers["x-site"], "1");
    emu.shutdown().await;

    // The same request 16 minutes after it was signed is too old.
    let emu = Emulator::builder()
        .ak_sk(ak, sk)
        .clock(move || signed_at + Duration::from_secs(16 * 60))
        .start()
        .await
        .unwrap();
    let a = replay(&emu.base_url(), &recorded).await;
    let msg = a.assert_error(401, "APIGW.0301", true);
    assert!(msg.contains("away from the gateway's clock"), "{msg}");
    emu.shutdown().await;
}

#[tokio::test]
async fn accept_any_token_mode() {
    let emu = Emulator::builder()
        .accept_any_token(true)
        .start()
        .await
        .unwrap();
    let created = client(&emu, Credentials::token("anything-goes"))
        .create_case(&case())
        .await
        .unwrap();
    assert_eq!(emu.tickets()[0].incident_id, created.incident_id);
    // Signatures still need a configured pair.
    let err = client(&emu, Credentials::ak_sk(AK, SK))
        .create_case(&case())
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("APIGW.0301"));
    emu.shutdown().await;
}

#[tokio::test]
async fn admin_routes() {
    let emu = emulator().await;
    let url = emu.base_url();
    let http = raw();

    let a = Answer::from(
        http.post(format!("{url}/__emulator/faults"))
            .body(
                r#"[{"fault":"respond","status":503,"headers":{"Retry-After":"7"},
                     "body":{"error_code":"OSM.0004","error_msg":"busy"}},
                    {"fault":"drop_after_record","times":2}]"#,
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json(),
        json!({"pending": [
            {"fault": "respond", "status": 503, "headers": {"Retry-After": "7"},
             "body": "{\"error_code\":\"OSM.0004\",\"error_msg\":\"busy\"}", "times": 1},
            {"fault": "drop_after_record", "times": 2},
        ]})
    );
    assert_eq!(emu.faults().remaining(), 3);

    let status = Answer::from(
        http.get(format!("{url}/__emulator/status"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status.json(),
        json!({"requests_seen": 0, "ticket_count": 0, "pending_faults": 3})
    );

    // The first fault answers the next create.
    let err = token_client(&emu).create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(503));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));

    let a = Answer::from(
        http.delete(format!("{url}/__emulator/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.json(), json!({"cleared": 1}));
    let a = Answer::from(
        http.get(format!("{url}/__emulator/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.json(), json!({"pending": []}));

    let created = token_client(&emu).create_case(&case()).await.unwrap();
    let a = Answer::from(
        http.get(format!("{url}/__emulator/tickets"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let json = a.json();
    assert_eq!(json["count"], 1);
    assert_eq!(
        json["tickets"][0]["incident_id"],
        created.incident_id.as_str()
    );
    assert_eq!(json["tickets"][0]["auth"], json!({"scheme": "token"}));
    assert!(
        json["tickets"][0]["received_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // Bad fault specifications are refused whole.
    for bad in [
        r#"{"fault":"explode"}"#,
        r#"[{"fault":"truncated_body"},{"fault":"respond","status":42}]"#,
        "not json",
    ] {
        let a = Answer::from(
            http.post(format!("{url}/__emulator/faults"))
                .body(bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        a.assert_error(400, "EMULATOR.0001", false);
    }
    assert!(emu.faults().is_empty());

    let a = Answer::from(
        http.put(format!("{url}/__emulator/tickets"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    a.assert_error(405, "APIGW.0101", true);
    assert_eq!(emu.requests_seen(), 2, "only the two creates count");

    // Faults pushed from Rust show up in the admin view.
    emu.faults()
        .push(Fault::DelayAfterRecord(Duration::from_millis(1500)));
    let a = Answer::from(
        http.get(format!("{url}/__emulator/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        a.json(),
        json!({"pending": [{"fault": "delay_after_record", "delay_ms": 1500, "times": 1}]})
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let emu = emulator().await;
    let addr = emu.local_addr();
    token_client(&emu).create_case(&case()).await.unwrap();
    drop(emu);
    // The port can be bound again once the emulator no longer listens on it (a
    // listening socket keeps others from binding it, SO_REUSEADDR or not); holding
    // the new listener proves it is closed to others, instead of assuming that nobody
    // took the freed port between two connection attempts.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let ours = loop {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(e) => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "still listening on {addr}: {e}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    // Whatever connects now reaches our listener, not the emulator.
    let client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (accepted, peer) = ours.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    drop(accepted);
}

#[tokio::test]
async fn a_full_emulator_refuses_the_next_ticket_and_says_why() {
    let emu = Emulator::builder()
        .token(TOKEN)
        .max_tickets(1)
        .start()
        .await
        .unwrap();
    let client = token_client(&emu);
    client.create_case(&case()).await.unwrap();
    let err = client.create_case(&case()).await.unwrap_err();
    assert_eq!(err.http_status(), Some(500), "{err:?}");
    assert_eq!(err.error_code(), Some("OSM.0004"));
    assert!(
        err.error_msg()
            .is_some_and(|m| m.contains("reached its limit of 1 tickets")),
        "{err:?}"
    );
    assert_eq!(emu.ticket_count(), 1);
    // Forgotten, the tickets make room again.
    emu.reset().unwrap();
    client.create_case(&case()).await.unwrap();
    assert_eq!(emu.ticket_count(), 1);
    emu.shutdown().await;
}
