//! Support authorizations through the library, against the emulator: an authorization
//! support asks for is listed pending, granted (confirm_authorizations), rejected or
//! cancelled (update_authorizations) and then shows that state in the list and the
//! detail; a grant ends by the emulator's clock; a host's login is checked; support's
//! sessions, their commands and file transfers are listed by time and paged; each
//! account sees only its own; everything survives a restart with a state file and goes
//! with a reset; and input over the spec's limits is refused before it is sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::values::AuthorizationStatus;
use huaweicloud_osm::{Client, Credentials, ErrorKind};
use osm_emulator::{
    AuthorizationRequest, Emulator, EmulatorBuilder, RequestedAuthorization, RunningEmulator,
    SupportFileTransfer, SupportHost, SupportSession,
};
use serde_json::{Value, json};

mod support;

const AK: &str = "AKAUTHORIZATIONS";
const SK: &str = "sk-authorizations-secret";

fn builder() -> EmulatorBuilder {
    Emulator::builder().ak_sk(AK, SK)
}

fn client_for(emu: &RunningEmulator, domain: &str) -> Client {
    support::account_client(&emu.base_url(), AK, SK, domain)
}

fn host(name: &str, port: u16) -> SupportHost {
    SupportHost {
        instance_id: format!("{name}-id"),
        instance_name: name.into(),
        region_id: "cn-north-4".into(),
        port,
        account: "root".into(),
    }
}

/// Support asks `domain` for access to two hosts on ticket `ticket`.
fn ask(emu: &RunningEmulator, domain: &str, ticket: &str) -> RequestedAuthorization {
    emu.request_authorization(&AuthorizationRequest {
        account: domain.into(),
        incident_id: ticket.into(),
        simple_description: format!("{ticket}: disk full on the database hosts"),
        auth_describe: "read the logs of the database".into(),
        sub_user: "ops-team".into(),
        hosts: vec![host("db-01", 22), host("db-02", 2222)],
    })
    .unwrap()
}

async fn status_of(client: &Client, id: &str) -> Option<AuthorizationStatus> {
    client
        .show_authorization_detail()
        .authorization_id(id)
        .send()
        .await
        .unwrap()
        .status
        .clone()
}

#[tokio::test]
async fn a_pending_authorization_is_granted_and_then_shown_authorized() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let asked = ask(&emu, "domain-a", "CS-1");
    assert_eq!(asked.detail_ids.len(), 2);

    let page = client.list_authorizations().send().await.unwrap();
    assert_eq!(page.count, Some(1));
    let listed = &page.incident_auth_list[0];
    assert_eq!(listed.id.as_deref(), Some(asked.id.as_str()));
    assert_eq!(listed.status, Some(AuthorizationStatus::Pending));
    assert_eq!(listed.incident_id.as_deref(), Some("CS-1"));
    assert_eq!(listed.customer_id.as_deref(), Some("domain-a"));
    assert!(
        listed
            .create_time
            .as_ref()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(listed.auth_expire_time, None, "no grant yet");

    let shown = client
        .show_authorization_detail()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = shown
        .incident_auth_detail_list
        .iter()
        .map(|d| *d.id.clone().unwrap())
        .collect();
    assert_eq!(ids, asked.detail_ids);
    assert_eq!(shown.incident_auth_detail_list[1].port, Some(2222));
    assert_eq!(shown.incident_auth_detail_list[0].type_, Some(1), "a host");

    // Granted for one day, with another login for the second host.
    let start_ms = 1_900_000_000_000_i64;
    let end_ms = start_ms + 86_400_000;
    client
        .confirm_authorizations()
        .authorization_id(&asked.id)
        .auth_effective_time(start_ms)
        .auth_expire_time(end_ms)
        .auth_detail_list([json!({
            "auth_detail_id": asked.detail_ids[1],
            "port": 2200,
            "account": "support",
            "password": "host-password-1"
        })])
        .send()
        .await
        .unwrap();
    let shown = client
        .show_authorization_detail()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status, Some(AuthorizationStatus::Authorized));
    assert_eq!(
        shown.auth_effective_time.as_deref(),
        Some("2030-03-17T17:46:40Z")
    );
    assert_eq!(
        shown.auth_expire_time.as_deref(),
        Some("2030-03-18T17:46:40Z")
    );
    assert_eq!(shown.incident_auth_detail_list[1].port, Some(2200));
    assert_eq!(
        shown.incident_auth_detail_list[1].account.as_deref(),
        Some("support")
    );
    assert_eq!(shown.auth_handler_name.as_deref(), Some("domain-a"));
    // The password is used, never kept nor answered.
    assert!(!String::from_utf8_lossy(shown.raw_json()).contains("host-password-1"));

    // The list filters by state.
    let authorized = client.list_authorizations().status(1).send().await.unwrap();
    assert_eq!(authorized.count, Some(1));
    let pending = client.list_authorizations().status(0).send().await.unwrap();
    assert_eq!(pending.count, Some(0));

    // A grant cannot be granted again.
    let err = client
        .confirm_authorizations()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");

    // Another account neither lists nor reads it.
    let other = client_for(&emu, "domain-b");
    let theirs = other.list_authorizations().send().await.unwrap();
    assert_eq!(theirs.count, Some(0));
    let err = other
        .show_authorization_detail()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn rejected_and_cancelled_authorizations_show_their_state() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let first = ask(&emu, "domain-a", "CS-1");
    let second = ask(&emu, "domain-a", "CS-2");
    let third = ask(&emu, "domain-a", "CS-3");

    client
        .update_authorizations()
        .authorization_id(&first.id)
        .action_id("reject")
        .reject_reason("we do not allow root logins")
        .send()
        .await
        .unwrap();
    let shown = client
        .show_authorization_detail()
        .authorization_id(&first.id)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status, Some(AuthorizationStatus::Rejected));
    assert_eq!(
        shown.reject_reason.as_deref(),
        Some("we do not allow root logins")
    );

    // A pending one cancelled, and a granted one cancelled.
    client
        .update_authorizations()
        .authorization_id(&second.id)
        .action_id("cancel")
        .send()
        .await
        .unwrap();
    client
        .confirm_authorizations()
        .authorization_id(&third.id)
        .send()
        .await
        .unwrap();
    client
        .update_authorizations()
        .authorization_id(&third.id)
        .action_id("cancel")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_of(&client, &second.id).await,
        Some(AuthorizationStatus::Cancelled)
    );
    assert_eq!(
        status_of(&client, &third.id).await,
        Some(AuthorizationStatus::Cancelled)
    );

    // Newest first, with the states the changes left.
    let page = client.list_authorizations().send().await.unwrap();
    let states: Vec<(Option<String>, Option<AuthorizationStatus>)> = page
        .incident_auth_list
        .iter()
        .map(|a| (a.incident_id.clone(), a.status.clone()))
        .collect();
    assert_eq!(
        states,
        [
            (Some("CS-3".into()), Some(AuthorizationStatus::Cancelled)),
            (Some("CS-2".into()), Some(AuthorizationStatus::Cancelled)),
            (Some("CS-1".into()), Some(AuthorizationStatus::Rejected)),
        ]
    );
    // Filters: the ticket, a part of the description, the sub-user; and a page.
    let of_ticket = client
        .list_authorizations()
        .incident_id("CS-2")
        .send()
        .await
        .unwrap();
    assert_eq!(of_ticket.count, Some(1));
    let described = client
        .list_authorizations()
        .simple_description("CS-3:")
        .sub_customer_name("ops")
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.incident_auth_list[0].incident_id.as_deref(),
        Some("CS-3")
    );
    let second_page = client
        .list_authorizations()
        .offset(1)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(second_page.count, Some(3));
    assert_eq!(
        second_page.incident_auth_list[0].incident_id.as_deref(),
        Some("CS-2")
    );

    // A rejected one can be neither rejected, granted nor cancelled again.
    for action in ["reject", "cancel"] {
        let err = client
            .update_authorizations()
            .authorization_id(&first.id)
            .action_id(action)
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.error_code(), Some("OSM.01010001"), "{action}: {err}");
    }
    let err = client
        .confirm_authorizations()
        .authorization_id(&first.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    // A change that names no action is refused by the client, before anything is sent
    // (the spec requires action_id, as a request without it names no change).
    let seen = emu.requests_seen();
    let err = client
        .update_authorizations()
        .authorization_id(&first.id)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_validation(), "{err}");
    assert!(err.to_string().contains("action_id"), "{err}");
    assert_eq!(emu.requests_seen(), seen, "nothing was sent");
    emu.shutdown().await;
}

/// A clock the test moves.
#[derive(Clone)]
struct TestClock(Arc<AtomicU64>);

impl TestClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0.load(Ordering::SeqCst))
    }
    fn advance(&self, by: Duration) {
        self.0.fetch_add(by.as_secs(), Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_grant_expires_by_the_emulator_s_clock() {
    let clock = TestClock(Arc::new(AtomicU64::new(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )));
    let c = clock.clone();
    // A token: a signature would be refused once the emulator's clock is days ahead.
    let emu = Emulator::builder()
        .token("auth-token")
        .clock(move || c.now())
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .endpoint(emu.base_url())
        .credentials(Credentials::token("auth-token"))
        .build()
        .unwrap();
    let asked = ask(&emu, "", "CS-9");
    // Without times: from now, for the emulator's default of seven days.
    client
        .confirm_authorizations()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_of(&client, &asked.id).await,
        Some(AuthorizationStatus::Authorized)
    );
    clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    assert_eq!(
        status_of(&client, &asked.id).await,
        Some(AuthorizationStatus::Expired)
    );
    // Support can no longer hold a session on it.
    let err = emu
        .record_support_session(
            &asked.id,
            &SupportSession {
                detail_id: asked.detail_ids[0],
                ..SupportSession::default()
            },
        )
        .unwrap_err();
    assert!(err.contains("not granted"), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_host_s_login_is_checked() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let asked = ask(&emu, "domain-a", "CS-1");
    client
        .check_hosts()
        .authorization_detail_id(asked.detail_ids[1])
        .port(2222)
        .account("root")
        .password("host-password")
        .send()
        .await
        .unwrap();
    let err = client
        .check_hosts()
        .authorization_detail_id(asked.detail_ids[1])
        .port(22)
        .account("root")
        .password("host-password")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");
    assert!(!err.to_string().contains("host-password"), "{err}");
    // Another account's host is not found.
    let err = client_for(&emu, "domain-b")
        .check_hosts()
        .authorization_detail_id(asked.detail_ids[1])
        .port(2222)
        .account("root")
        .password("host-password")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    // The console is no host.
    let console = emu
        .request_authorization(&AuthorizationRequest {
            account: "domain-a".into(),
            incident_id: "CS-2".into(),
            ..AuthorizationRequest::default()
        })
        .unwrap();
    let shown = client
        .show_authorization_detail()
        .authorization_id(&console.id)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.incident_auth_detail_list[0].type_, Some(0));
    let err = client
        .check_hosts()
        .authorization_detail_id(console.detail_ids[0])
        .port(22)
        .account("root")
        .password("p")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("OSM.01010001"), "{err}");

    let login = client.show_login_type().send().await.unwrap();
    assert_eq!(login.login_type.as_deref(), Some("password"));
    emu.shutdown().await;
}

fn session(detail_id: i64, commands: &[&str], files: &[&str]) -> SupportSession {
    SupportSession {
        detail_id,
        commands: commands.iter().map(|c| (*c).to_owned()).collect(),
        files: files
            .iter()
            .map(|f| SupportFileTransfer {
                file_name: (*f).to_owned(),
                operate_type: "download".into(),
                from_path: format!("/var/log/{f}"),
                to_path: format!("support-desk/{f}"),
                file_size: "12K".into(),
            })
            .collect(),
        seconds: 3725,
    }
}

#[tokio::test]
async fn support_s_sessions_commands_and_transfers_are_listed() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let asked = ask(&emu, "domain-a", "CS-1");
    let host = asked.detail_ids[0];
    // Support cannot reach a host before the grant.
    let err = emu
        .record_support_session(&asked.id, &session(host, &["ls"], &[]))
        .unwrap_err();
    assert!(err.contains("not granted"), "{err}");
    client
        .confirm_authorizations()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap();
    let first = emu
        .record_support_session(
            &asked.id,
            &session(
                host,
                &["df -h", "du -sh /var/lib/mysql", "tail mysqld.log"],
                &["mysqld.log"],
            ),
        )
        .unwrap();
    let second = emu
        .record_support_session(&asked.id, &session(host, &["uptime"], &[]))
        .unwrap();
    assert!(second > first);

    let sessions = client
        .list_history_sessions()
        .authorization_id(&asked.id)
        .authorization_detail_id(host)
        .send()
        .await
        .unwrap();
    assert_eq!(sessions.total_count, Some(2));
    let ids: Vec<i64> = sessions
        .session_list
        .iter()
        .map(|s| *s.session_id.clone().unwrap())
        .collect();
    assert_eq!(ids, [second, first], "newest first");
    assert_eq!(
        sessions.session_list[1].duration.as_deref(),
        Some("01:02:05")
    );
    // The other host has none.
    let none = client
        .list_history_sessions()
        .authorization_id(&asked.id)
        .authorization_detail_id(asked.detail_ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(none.total_count, Some(0));

    let newest_first = client
        .list_history_operate_logs()
        .authorization_id(&asked.id)
        .authorization_detail_id(host)
        .session_id(first)
        .send()
        .await
        .unwrap();
    let commands: Vec<&str> = newest_first
        .ops_list
        .iter()
        .filter_map(|o| o.oper.as_deref())
        .collect();
    assert_eq!(
        commands,
        ["tail mysqld.log", "du -sh /var/lib/mysql", "df -h"]
    );
    let oldest_first = client
        .list_history_operate_logs()
        .authorization_id(&asked.id)
        .authorization_detail_id(host)
        .session_id(first)
        .sort(1)
        .offset(1)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(oldest_first.total_count, Some(3));
    assert_eq!(
        oldest_first.ops_list[0].oper.as_deref(),
        Some("du -sh /var/lib/mysql")
    );
    assert!(oldest_first.ops_list[0].operate_time.is_some());

    let files = client
        .list_transport_histories()
        .authorization_id(&asked.id)
        .authorization_detail_id(host)
        .session_id(first)
        .send()
        .await
        .unwrap();
    assert_eq!(files.total_count, Some(1));
    let f = &files.file_ops_list[0];
    assert_eq!(f.file_name.as_deref(), Some("mysqld.log"));
    assert_eq!(f.operate_type.as_deref(), Some("download"));
    assert_eq!(f.to_path.as_deref(), Some("support-desk/mysqld.log"));

    // A session of another detail, or unknown, is not found.
    let err = client
        .list_transport_histories()
        .authorization_id(&asked.id)
        .authorization_detail_id(asked.detail_ids[1])
        .session_id(first)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    let err = client_for(&emu, "domain-b")
        .list_history_sessions()
        .authorization_id(&asked.id)
        .authorization_detail_id(host)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(404), "{err}");
    emu.shutdown().await;
}

#[tokio::test]
async fn support_is_played_over_the_admin_routes() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let asked: Value = http
        .post(format!("{}/__emulator/authorizations", emu.base_url()))
        .json(&json!({
            "account": "domain-a",
            "incident_id": "CS-7",
            "hosts": [{"instance_name": "web-01", "port": 22, "account": "admin"}]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = asked["id"].as_str().unwrap().to_owned();
    let detail = asked["detail_ids"][0].as_i64().unwrap();
    assert_eq!(
        status_of(&client, &id).await,
        Some(AuthorizationStatus::Pending)
    );
    let sessions = format!("{}/__emulator/authorizations/{id}/sessions", emu.base_url());
    let refused = http
        .post(&sessions)
        .json(&json!({"detail_id": detail, "commands": ["ls"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409, "not granted yet");
    client
        .confirm_authorizations()
        .authorization_id(&id)
        .send()
        .await
        .unwrap();
    let held: Value = http
        .post(&sessions)
        .json(&json!({"detail_id": detail, "commands": ["ls"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(held["session_id"].as_i64().is_some(), "{held}");
    // Members it does not know, and more commands than a session records, are refused.
    let bad = http
        .post(format!("{}/__emulator/authorizations", emu.base_url()))
        .json(&json!({"acount": "domain-a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let many: Vec<String> = (0..=osm_emulator::MAX_SESSION_ENTRIES)
        .map(|i| format!("echo {i}"))
        .collect();
    let bad = http
        .post(&sessions)
        .json(&json!({"detail_id": detail, "commands": many}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    emu.shutdown().await;
}

#[tokio::test]
async fn authorizations_survive_a_restart_and_go_with_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    let asked = ask(&emu, "domain-a", "CS-1");
    client
        .confirm_authorizations()
        .authorization_id(&asked.id)
        .send()
        .await
        .unwrap();
    let held = emu
        .record_support_session(&asked.id, &session(asked.detail_ids[0], &["whoami"], &[]))
        .unwrap();
    emu.shutdown().await;

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    assert_eq!(
        status_of(&client, &asked.id).await,
        Some(AuthorizationStatus::Authorized)
    );
    let logs = client
        .list_history_operate_logs()
        .authorization_id(&asked.id)
        .authorization_detail_id(asked.detail_ids[0])
        .session_id(held)
        .send()
        .await
        .unwrap();
    assert_eq!(logs.ops_list[0].oper.as_deref(), Some("whoami"));
    // Ids go on after the restart.
    let next = ask(&emu, "domain-a", "CS-2");
    assert!(next.id.parse::<u64>().unwrap() > asked.id.parse::<u64>().unwrap());
    assert!(next.detail_ids[0] > asked.detail_ids[1]);
    emu.shutdown().await;

    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    ask(&emu, "domain-a", "CS-1");
    let cleared = emu.reset().unwrap();
    assert_eq!(cleared.get("records"), Some(&1), "{cleared:?}");
    let page = client.list_authorizations().send().await.unwrap();
    assert_eq!(page.count, Some(0));
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");

    let limit = rules::LIST_AUTHORIZATIONS
        .param(Location::Query, "limit")
        .unwrap();
    let top = limit.maximum.unwrap();
    let err = client
        .list_authorizations()
        .limit(top + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "limit");
    assert!(err.to_string().contains(&top.to_string()), "{err}");

    let id = rules::SHOW_AUTHORIZATION_DETAIL
        .param(Location::Path, "authorization_id")
        .unwrap();
    let err = client
        .show_authorization_detail()
        .authorization_id("a".repeat(id.max_length.unwrap() + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "authorization_id");

    let port = rules::CHECK_HOSTS.body_field("port").unwrap();
    let err = client
        .check_hosts()
        .authorization_detail_id(1)
        .port(port.maximum.unwrap() + 1)
        .account("root")
        .password("p")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "port");
    // The password is required, and bounded; neither error shows what was given.
    let err = client
        .check_hosts()
        .authorization_detail_id(1)
        .port(22)
        .account("root")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "password");
    let password = rules::CHECK_HOSTS.body_field("password").unwrap();
    let long = "s".repeat(password.max_length.unwrap() + 1);
    let err = client
        .check_hosts()
        .authorization_detail_id(1)
        .port(22)
        .account("root")
        .password(long.clone())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "password");
    assert!(!err.to_string().contains(&long), "{err}");

    let logins = rules::CONFIRM_AUTHORIZATIONS
        .body_field("auth_detail_list")
        .unwrap();
    let many = logins.max_items.unwrap() + 1;
    let err = client
        .confirm_authorizations()
        .authorization_id("1")
        .auth_detail_list((0..many).map(|i| json!({ "auth_detail_id": i })))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "auth_detail_list");

    let reason = rules::UPDATE_AUTHORIZATIONS
        .body_field("reject_reason")
        .unwrap();
    let err = client
        .update_authorizations()
        .authorization_id("1")
        .action_id("reject")
        .reject_reason("r".repeat(reason.max_length.unwrap() + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "reject_reason");

    let sort = rules::LIST_HISTORY_OPERATE_LOGS
        .param(Location::Query, "sort")
        .unwrap();
    let err = client
        .list_history_operate_logs()
        .authorization_id("1")
        .authorization_detail_id(1)
        .session_id(1)
        .sort(sort.maximum.unwrap() + 1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "sort");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
