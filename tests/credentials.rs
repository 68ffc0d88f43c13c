//! Credentials: redaction and resolution order.

use std::collections::BTreeMap;

use huaweicloud_osm::Credentials;
use huaweicloud_osm::credentials::{ENV_AK, ENV_DOMAIN_ID, ENV_SECURITY_TOKEN, ENV_SK, ENV_TOKEN};

const T: &str = "tok-SECRET-aaaa";
const C_AK: &str = "AKREDACTIONTEST00001";
const C_SK: &str = "sk-SECRET-bbbb";
const ST: &str = "st-SECRET-cccc";
const D: &str = "domain-0123";

#[test]
fn credentials_never_print_secrets() {
    let token = Credentials::token(T);
    let pair = Credentials::ak_sk(C_AK, C_SK);
    let temporary = Credentials::ak_sk(C_AK, C_SK)
        .with_security_token(ST)
        .with_domain_id(D);

    let expected = [
        (
            &token,
            r#"Credentials::Token { token: "[REDACTED]" }"#,
            "Credentials::Token {\n    token: \"[REDACTED]\",\n}",
            "IAM token [REDACTED]",
        ),
        (
            &pair,
            r#"Credentials::AkSk { access_key: "AKREDACTIONTEST00001", secret_key: "[REDACTED]", security_token: None, domain_id: None }"#,
            "Credentials::AkSk {\n    access_key: \"AKREDACTIONTEST00001\",\n    secret_key: \"[REDACTED]\",\n    security_token: None,\n    domain_id: None,\n}",
            "access key AKREDACTIONTEST00001 [secret key REDACTED]",
        ),
        (
            &temporary,
            r#"Credentials::AkSk { access_key: "AKREDACTIONTEST00001", secret_key: "[REDACTED]", security_token: Some("[REDACTED]"), domain_id: Some("domain-0123") }"#,
            "Credentials::AkSk {\n    access_key: \"AKREDACTIONTEST00001\",\n    secret_key: \"[REDACTED]\",\n    security_token: Some(\n        \"[REDACTED]\",\n    ),\n    domain_id: Some(\n        \"domain-0123\",\n    ),\n}",
            "temporary access key AKREDACTIONTEST00001 [secret key and security token REDACTED]",
        ),
    ];
    for (creds, debug, pretty, display) in expected {
        let printed = [
            format!("{creds:?}"),
            format!("{creds:#?}"),
            format!("{creds}"),
        ];
        for text in &printed {
            for s in [T, C_SK, ST, "SECRET"] {
                assert!(!text.contains(s), "{s:?} printed in {text}");
            }
        }
        assert_eq!(printed[0], debug);
        assert_eq!(printed[1], pretty);
        assert_eq!(printed[2], display);
    }
    // The access key and domain id are not secrets.
    assert!(format!("{temporary:?}").contains(C_AK));
    assert!(format!("{temporary:?}").contains(D));
    // The secrets are still there for whoever needs to redact them.
    assert_eq!(token.secrets(), [T]);
    assert_eq!(pair.secrets(), [C_SK]);
    assert_eq!(temporary.secrets(), [C_SK, ST]);
    // Key-pair options do not attach to a token.
    let token_plus = Credentials::token(T)
        .with_security_token(ST)
        .with_domain_id(D);
    assert_eq!(format!("{token_plus:?}"), format!("{token:?}"));
    assert_eq!(token_plus.secrets(), [T]);
}

/// A lookup over fixed variables, for `Credentials::from_lookup`.
fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| vars.get(name).cloned()
}

#[test]
fn key_pair_wins_over_token() {
    let c =
        Credentials::from_lookup(env(&[(ENV_AK, C_AK), (ENV_SK, C_SK), (ENV_TOKEN, T)])).unwrap();
    assert_eq!(c.scheme(), "ak/sk");
    assert_eq!(c.access_key(), Some(C_AK));
    assert_eq!(c.secrets(), [C_SK]);

    let c = Credentials::from_lookup(env(&[
        (ENV_AK, C_AK),
        (ENV_SK, C_SK),
        (ENV_SECURITY_TOKEN, ST),
        (ENV_DOMAIN_ID, D),
        (ENV_TOKEN, T),
    ]))
    .unwrap();
    assert_eq!(c.secrets(), [C_SK, ST]);
    assert!(format!("{c:?}").contains(r#"domain_id: Some("domain-0123")"#));
}

#[test]
fn token_alone_is_used() {
    let c = Credentials::from_lookup(env(&[(ENV_TOKEN, T)])).unwrap();
    assert_eq!(c.scheme(), "token");
    assert_eq!(c.access_key(), None);
    assert_eq!(c.secrets(), [T]);
    // Key-pair extras without a key pair do not matter.
    let c = Credentials::from_lookup(env(&[
        (ENV_TOKEN, T),
        (ENV_SECURITY_TOKEN, ST),
        (ENV_DOMAIN_ID, D),
    ]))
    .unwrap();
    assert_eq!(c.scheme(), "token");
}

#[test]
fn half_a_key_pair_is_an_error() {
    for vars in [vec![(ENV_AK, C_AK)], vec![(ENV_AK, C_AK), (ENV_TOKEN, T)]] {
        let e = Credentials::from_lookup(env(&vars))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HUAWEICLOUD_SDK_SK"), "{e}");
        assert!(!e.contains(C_AK) && !e.contains(T), "{e}");
    }
    let e = Credentials::from_lookup(env(&[(ENV_SK, C_SK)]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("HUAWEICLOUD_SDK_AK"), "{e}");
    assert!(!e.contains(C_SK), "{e}");
}

#[test]
fn no_credentials_names_every_variable() {
    let e = Credentials::from_lookup(env(&[])).unwrap_err().to_string();
    for var in [
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_SECURITY_TOKEN",
        "HUAWEICLOUD_SDK_DOMAIN_ID",
        "HUAWEICLOUD_AUTH_TOKEN",
    ] {
        assert!(e.contains(var), "{var} missing from {e:?}");
    }
}

#[test]
fn empty_variables_count_as_unset() {
    let c = Credentials::from_lookup(env(&[(ENV_AK, ""), (ENV_SK, ""), (ENV_TOKEN, T)])).unwrap();
    assert_eq!(c.scheme(), "token");

    let e = Credentials::from_lookup(env(&[(ENV_AK, C_AK), (ENV_SK, "")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("HUAWEICLOUD_SDK_SK"), "{e}");

    let c = Credentials::from_lookup(env(&[
        (ENV_AK, C_AK),
        (ENV_SK, C_SK),
        (ENV_SECURITY_TOKEN, ""),
        (ENV_DOMAIN_ID, ""),
    ]))
    .unwrap();
    assert_eq!(c.secrets(), [C_SK]);
    assert_eq!(
        format!("{c:?}"),
        format!(
            r#"Credentials::AkSk {{ access_key: "{C_AK}", secret_key: "[REDACTED]", security_token: None, domain_id: None }}"#
        )
    );

    let all_empty = [
        (ENV_AK, ""),
        (ENV_SK, ""),
        (ENV_SECURITY_TOKEN, ""),
        (ENV_DOMAIN_ID, ""),
        (ENV_TOKEN, ""),
    ];
    let e = Credentials::from_lookup(env(&all_empty))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("no credentials"), "{e}");
}

mod providers {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, SystemTime};

    use huaweicloud_osm::credentials::{
        CredentialsErrorKind, CredentialsProvider, EnvironmentProvider, ProvideCredentials,
        ProvideFuture,
    };

    use super::*;

    /// 2027-01-15T08:00:00Z.
    fn t0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn expiry_is_shown_and_secrets_are_not() {
        let c = Credentials::ak_sk(C_AK, C_SK)
            .with_security_token(ST)
            .with_expiry(t0());
        assert_eq!(c.expires_at(), Some(t0()));
        assert_eq!(
            format!("{c:?}"),
            r#"Credentials::AkSk { access_key: "AKREDACTIONTEST00001", secret_key: "[REDACTED]", security_token: Some("[REDACTED]"), domain_id: None, expires_at: "2027-01-15T08:00:00Z" }"#
        );
        assert_eq!(
            c.to_string(),
            "temporary access key AKREDACTIONTEST00001 [secret key and security token REDACTED], \
             expires 2027-01-15T08:00:00Z"
        );
        let t = Credentials::token(T).with_expiry(t0());
        assert_eq!(
            format!("{t:?}"),
            r#"Credentials::Token { token: "[REDACTED]", expires_at: "2027-01-15T08:00:00Z" }"#
        );
        // A time the RFC 3339 formatter cannot write is still printed, not a panic.
        let early =
            Credentials::token(T).with_expiry(SystemTime::UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(
            early.to_string(),
            "IAM token [REDACTED], expires 5 s before the Unix epoch"
        );
    }

    #[tokio::test]
    async fn fixed_credentials_are_a_provider() {
        let provider = CredentialsProvider::from(Credentials::ak_sk(C_AK, C_SK).with_domain_id(D));
        let c = provider.current().await.unwrap();
        assert_eq!(c.access_key(), Some(C_AK));
        assert_eq!(c.domain_id(), Some(D));
        assert_eq!(c.secrets(), [C_SK]);
        let printed = format!("{provider:?} {provider:#?}");
        assert!(
            !printed.contains(C_SK) && !printed.contains("SECRET"),
            "{printed}"
        );
    }

    #[tokio::test]
    async fn environment_provider_kinds() {
        let e = EnvironmentProvider::from_lookup(|_| None)
            .provide()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::NotConfigured);
        assert_eq!(
            e.to_string(),
            "environment: HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK and HUAWEICLOUD_AUTH_TOKEN not set"
        );
        let e = EnvironmentProvider::from_lookup(|n| (n == ENV_SK).then(|| C_SK.to_owned()))
            .provide()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidConfiguration);
        assert!(!format!("{e} {e:?}").contains(C_SK), "{e:?}");
        let c = EnvironmentProvider::from_lookup(env_owned(&[(ENV_AK, C_AK), (ENV_SK, C_SK)]))
            .provide()
            .await
            .unwrap();
        assert_eq!(c.access_key(), Some(C_AK));
    }

    fn env_owned(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    /// A source that answers what the test says and counts the questions.
    #[derive(Debug)]
    struct Scripted {
        asked: Arc<AtomicUsize>,
        answer: fn(usize) -> Credentials,
    }

    impl ProvideCredentials for Scripted {
        fn provide(&self) -> ProvideFuture<'_> {
            let n = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
            let c = (self.answer)(n);
            Box::pin(async move { Ok(c) })
        }
    }

    #[tokio::test]
    async fn credentials_without_expiry_are_asked_for_once() {
        let asked = Arc::new(AtomicUsize::new(0));
        let provider = CredentialsProvider::new(Scripted {
            asked: asked.clone(),
            answer: |_| Credentials::token(T),
        });
        for _ in 0..5 {
            provider.clone().current().await.unwrap();
        }
        assert_eq!(asked.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn short_lived_credentials_refresh_halfway() {
        // Ten minutes of life: refreshed after five, not at every call.
        let asked = Arc::new(AtomicUsize::new(0));
        let now = Arc::new(std::sync::Mutex::new(t0()));
        let clock_now = now.clone();
        let provider = CredentialsProvider::builder(Scripted {
            asked: asked.clone(),
            answer: |n| {
                Credentials::token(format!("tok-{n}"))
                    .with_expiry(t0() + Duration::from_secs(600 * n as u64))
            },
        })
        .clock(Arc::new(move || *clock_now.lock().unwrap()))
        .build();
        assert_eq!(provider.current().await.unwrap().secrets(), ["tok-1"]);
        *now.lock().unwrap() = t0() + Duration::from_secs(299);
        assert_eq!(provider.current().await.unwrap().secrets(), ["tok-1"]);
        *now.lock().unwrap() = t0() + Duration::from_secs(300);
        assert_eq!(provider.current().await.unwrap().secrets(), ["tok-2"]);
        assert_eq!(asked.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn credentials_expired_on_arrival_are_refused() {
        let asked = Arc::new(AtomicUsize::new(0));
        let provider = CredentialsProvider::builder(Scripted {
            asked: asked.clone(),
            answer: |_| Credentials::token(T).with_expiry(t0()),
        })
        .clock(Arc::new(|| t0() + Duration::from_secs(1)))
        .build();
        let e = provider.current().await.unwrap_err();
        assert_eq!(e.kind(), CredentialsErrorKind::InvalidResponse);
        assert_eq!(
            e.to_string(),
            "credentials: the source answered credentials that expired at 2027-01-15T08:00:00Z, \
             before the current time 2027-01-15T08:00:01Z (is the clock right?)"
        );
        assert!(!format!("{e:?}").contains(T));
    }
}
