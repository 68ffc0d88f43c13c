//! Secrets never reach the logs: with a subscriber at TRACE for every target (the
//! library, the emulator running in-process, reqwest, hyper and rustls through the `log`
//! bridge), a series of failing and succeeding calls with token and AK/SK credentials
//! (with a security token) leaves no token, secret key or security token in the output,
//! nor in any error's `Display` or `Debug`.
//!
//! One test in this binary, because the subscriber is the process-wide default: spans and
//! events of other threads and tasks (the emulator's, the connection pool's) are only
//! seen by a global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use huaweicloud_osm::{Client, Credentials, Error, NewCase, RetryPolicy};
use osm_emulator::{Emulator, Fault, RunningEmulator};
use tracing_subscriber::fmt::format::FmtSpan;

const TOKEN: &str = "tok-SECRET-0123456789abcdef";
const WRONG_TOKEN: &str = "tok-WRONG-SECRET-fedcba9876543210";
const AK: &str = "AKLEAKTEST";
const SK: &str = "sk-SECRET-5f4dcc3b5aa765d61d83";
const WRONG_SK: &str = "sk-WRONG-SECRET-e99a18c428cb38d5";
const SECURITY_TOKEN: &str = "st-SECRET-9b74c9897bac770ffc029102a200c5de";

const SECRETS: &[&str] = &[TOKEN, WRONG_TOKEN, SK, WRONG_SK, SECURITY_TOKEN];

/// Everything the subscriber writes, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "{what} contains the secret {secret:?}:\n{text}"
        );
    }
    // Nor the parts of a signed request that would let it be replayed.
    assert!(
        !text.contains("Signature="),
        "{what} contains an Authorization value:\n{text}"
    );
}

fn client(emu: &RunningEmulator, credentials: Credentials) -> Client {
    Client::builder()
        .endpoint(emu.base_url())
        .credentials(credentials)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(500))
        .build()
        .expect("client builds")
}

fn case() -> NewCase {
    NewCase::new("1", "tracing leak test")
}

/// Checks the error's `Display` and `Debug`, and the client's `Debug`.
fn check_error(what: &str, client: &Client, err: &Error) {
    assert_no_secret(&format!("{what}: Display"), &err.to_string());
    assert_no_secret(&format!("{what}: Debug"), &format!("{err:?}"));
    assert_no_secret(&format!("{what}: Debug (pretty)"), &format!("{err:#?}"));
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        assert_no_secret(&format!("{what}: source"), &format!("{s} {s:?}"));
        source = s.source();
    }
    assert_no_secret("Client Debug", &format!("{client:?} {client:#?}"));
}

#[test]
fn no_secret_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_span_events(FmtSpan::FULL)
        .with_thread_names(true)
        .try_init()
        .expect("the only subscriber of this test binary");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let emu = Emulator::builder()
            .token(TOKEN)
            .ak_sk(AK, SK)
            .start()
            .await
            .expect("emulator starts");

        let token = client(&emu, Credentials::token(TOKEN));
        let temporary = client(
            &emu,
            Credentials::ak_sk(AK, SK)
                .with_security_token(SECURITY_TOKEN)
                .with_domain_id("domain-leak-test"),
        );
        for (label, c) in [("token", &token), ("AK/SK", &temporary)] {
            c.create_case(&case()).await.expect("a ticket");

            emu.faults()
                .push(Fault::error(500, "OSM.0004", "internal error"));
            let err = c.create_case(&case()).await.unwrap_err();
            assert_eq!(err.http_status(), Some(500));
            check_error(&format!("{label} 500"), c, &err);

            emu.faults().push(Fault::DropAfterRecord);
            let err = c.create_case(&case()).await.unwrap_err();
            assert!(err.outcome_unknown(), "{err:?}");
            check_error(&format!("{label} drop after record"), c, &err);

            emu.faults().push(Fault::TruncatedBody);
            let err = c.create_case(&case()).await.unwrap_err();
            assert!(err.outcome_unknown(), "{err:?}");
            check_error(&format!("{label} truncated body"), c, &err);

            emu.faults()
                .push(Fault::DelayAfterRecord(Duration::from_secs(5)));
            let err = c.create_case(&case()).await.unwrap_err();
            assert!(err.is_timeout(), "{err:?}");
            check_error(&format!("{label} timeout"), c, &err);
        }

        // Refused credentials: 401 from the service (token) and the gateway (signature).
        let wrong = client(&emu, Credentials::token(WRONG_TOKEN));
        let err = wrong.create_case(&case()).await.unwrap_err();
        assert_eq!(err.http_status(), Some(401));
        assert_eq!(err.error_code(), Some("OSM.0002"));
        check_error("wrong token", &wrong, &err);

        let wrong = client(
            &emu,
            Credentials::ak_sk(AK, WRONG_SK).with_security_token(SECURITY_TOKEN),
        );
        let err = wrong.create_case(&case()).await.unwrap_err();
        assert_eq!(err.http_status(), Some(401));
        assert_eq!(err.error_code(), Some("APIGW.0301"));
        check_error("wrong secret key", &wrong, &err);

        // Nothing listens: a connection error, retried by the default policy.
        let base = emu.base_url();
        emu.shutdown().await;
        let gone = Client::builder()
            .endpoint(base)
            .credentials(Credentials::ak_sk(AK, SK).with_security_token(SECURITY_TOKEN))
            .retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
            )
            .build()
            .expect("client builds");
        let err = gone.create_case(&case()).await.unwrap_err();
        assert!(!err.may_have_been_sent(), "{err:?}");
        assert!(err.attempts() > 1, "{err:?}");
        check_error("connection refused", &gone, &err);
    });
    drop(rt);

    let logs = captured.text();
    // To look at what was captured: TRACING_LEAK_DUMP=logs.txt.
    if let Some(path) = std::env::var_os("TRACING_LEAK_DUMP") {
        std::fs::write(path, &logs).expect("dump written");
    }
    // The capture works: the client's span, the emulator's request log, and the HTTP
    // stack underneath are all there.
    assert!(
        logs.contains("osm.call{operation=\"create_case\""),
        "no client span:\n{logs}"
    );
    assert!(logs.contains("attempt failed"), "no client event:\n{logs}");
    assert!(logs.contains("status=500"), "no emulator log:\n{logs}");
    assert!(
        logs.contains("reqwest") || logs.contains("hyper"),
        "nothing from the HTTP stack:\n{logs}"
    );
    assert_no_secret("the logs", &logs);
}
