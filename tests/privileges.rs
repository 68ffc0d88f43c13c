//! Ticket privileges through the library, against the emulator: a privilege granted is
//! answered by list_privileges, a withdrawn one no longer, each account its own; the
//! grants survive a restart with a state file and are cleared by a reset; the sub-users,
//! agencies, regions and the restriction switch are read; and input outside the spec's
//! values and limits is refused before it is sent.

use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Client, ErrorKind};
use osm_emulator::{Emulator, EmulatorBuilder, RunningEmulator};

mod support;

const AK: &str = "AKPRIVILEGES";
const SK: &str = "sk-privileges-secret";

fn builder() -> EmulatorBuilder {
    Emulator::builder().ak_sk(AK, SK)
}

fn client_for(emu: &RunningEmulator, domain: &str) -> Client {
    support::account_client(&emu.base_url(), AK, SK, domain)
}

async fn holds(client: &Client, privilege: &str) -> i32 {
    client
        .list_privileges()
        .privilege(privilege)
        .send()
        .await
        .unwrap()
        .has_privilege
        .expect("has_privilege")
}

async fn change(client: &Client, operation: &str, privilege: &str) {
    let answer = client
        .create_privileges()
        .operation(operation)
        .privilege(privilege)
        .send()
        .await
        .unwrap();
    assert!(answer.error_code.is_none(), "{answer:?}");
}

#[tokio::test]
async fn a_granted_privilege_is_held_until_withdrawn_by_its_own_account_only() {
    let emu = builder().start().await.unwrap();
    let a = client_for(&emu, "domain-a");
    let b = client_for(&emu, "domain-b");
    assert_eq!(holds(&a, "export").await, 0, "none is held until granted");

    change(&a, "create", "export").await;
    assert_eq!(holds(&a, "export").await, 1);
    assert_eq!(holds(&a, "createCase").await, 0, "only the one granted");
    assert_eq!(
        holds(&b, "export").await,
        0,
        "another account holds nothing"
    );
    // Granting again changes nothing.
    change(&a, "create", "export").await;
    change(&a, "create", "createCase").await;
    assert_eq!(holds(&a, "createCase").await, 1);

    change(&a, "delete", "export").await;
    assert_eq!(holds(&a, "export").await, 0);
    assert_eq!(holds(&a, "createCase").await, 1, "the other stays");
    // Withdrawing what is not held is no error.
    change(&b, "delete", "export").await;

    // An account of any length (an X-Domain-Id is any header value) is its own account:
    // two long ones that differ only at the end are two accounts.
    let long = "d".repeat(4096);
    let long_a = client_for(&emu, &format!("{long}a"));
    let long_b = client_for(&emu, &format!("{long}b"));
    change(&long_a, "create", "export").await;
    assert_eq!(holds(&long_a, "export").await, 1);
    assert_eq!(holds(&long_b, "export").await, 0);

    let sent: Vec<String> = emu
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.body.clone())
        .collect();
    assert!(
        sent.iter()
            .any(|b| b.contains("\"operation\":\"delete\"")
                && b.contains("\"privilege\":\"export\"")),
        "{sent:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn grants_survive_a_restart_and_a_reset_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.jsonl");
    let emu = builder().state_file(&state).start().await.unwrap();
    change(&client_for(&emu, "domain-a"), "create", "createCase").await;
    emu.shutdown().await;

    let emu = builder().state_file(&state).start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    assert_eq!(holds(&client, "createCase").await, 1);
    emu.shutdown().await;

    // A memory-only emulator (one with a state file is never reset).
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");
    change(&client, "create", "createCase").await;
    let cleared = emu.reset().unwrap();
    assert_eq!(cleared.get("records"), Some(&1), "{cleared:?}");
    assert_eq!(holds(&client, "createCase").await, 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn sub_users_agencies_regions_and_the_switch_are_read() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");

    let all = client.list_sub_customers().send().await.unwrap();
    assert!(all.sub_customer_infos.len() > 1, "{all:?}");
    let first = &all.sub_customer_infos[0];
    assert_eq!(
        first.domain_id.as_ref().map(ToString::to_string).as_deref(),
        Some("domain-a")
    );
    let id = first.customer_id.as_ref().unwrap().to_string();
    let one = client
        .list_sub_customers()
        .sub_customer_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(one.sub_customer_infos.len(), 1);
    assert_eq!(
        one.sub_customer_infos[0]
            .customer_id
            .as_ref()
            .map(ToString::to_string),
        Some(id)
    );
    let none = client
        .list_sub_customers()
        .sub_customer_name("no-such-user")
        .send()
        .await
        .unwrap();
    assert!(none.sub_customer_infos.is_empty());
    let agencies = client.list_agencies().send().await.unwrap();
    assert_eq!(
        agencies.total_count.map(|n| n as usize),
        Some(agencies.agency_list.len())
    );
    assert!(!agencies.agency_list.is_empty());

    let regions = client
        .list_customers_regions()
        .language("en-us")
        .send()
        .await
        .unwrap();
    assert_eq!(
        regions.count.map(|n| n as usize),
        Some(regions.region_infos.len())
    );
    let known = client.list_regions().send().await.unwrap();
    let ids = |it: Vec<String>| {
        let mut it = it;
        it.sort();
        it
    };
    assert_eq!(
        ids(regions
            .region_infos
            .iter()
            .filter_map(|r| r.region_id.as_ref().map(ToString::to_string))
            .collect()),
        ids(known
            .data_center_list
            .iter()
            .filter_map(|r| r.region_id.as_ref().map(ToString::to_string))
            .collect()),
        "the catalogue's regions"
    );

    let policy = client
        .show_customer_privilege_policy()
        .send()
        .await
        .unwrap();
    assert_eq!(policy.policy_switch, Some(false));
    emu.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_refused_before_it_is_sent() {
    let emu = builder().start().await.unwrap();
    let client = client_for(&emu, "domain-a");

    let privilege = rules::LIST_PRIVILEGES
        .param(Location::Query, "privilege")
        .unwrap();
    assert!(privilege.required);
    let err = client
        .list_privileges()
        .privilege("admin")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Validation);
    assert_eq!(err.validation().unwrap().field(), "privilege");
    for allowed in privilege.allowed {
        assert!(err.to_string().contains(allowed), "{err}");
    }
    let err = client.list_privileges().send().await.unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "privilege");

    let operation = rules::CREATE_PRIVILEGES.body_field("operation").unwrap();
    assert!(operation.required);
    let err = client
        .create_privileges()
        .privilege("export")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "operation");
    let err = client
        .create_privileges()
        .operation("grant")
        .privilege("export")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "operation");

    let name = rules::LIST_SUB_CUSTOMERS
        .param(Location::Query, "sub_customer_name")
        .unwrap();
    let max = name.max_length.unwrap();
    let err = client
        .list_sub_customers()
        .sub_customer_name("n".repeat(max + 1))
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.validation().unwrap().field(), "sub_customer_name");
    assert!(err.to_string().contains(&max.to_string()), "{err}");

    assert_eq!(emu.requests_seen(), 0, "nothing reached the emulator");
    emu.shutdown().await;
}
