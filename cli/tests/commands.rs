//! Every operation of the spec has an `osm` command (`NOUN VERB` from the spec's
//! `x-cli`), and a generated one works end to end against the emulator.

use assert_cmd::Command;
use huaweicloud_osm::rules::OPERATIONS;
use osm_emulator::Emulator;
use serde_json::Value;

mod common;

const TOKEN: &str = "commands-test-token";

fn osm() -> Command {
    let mut cmd = Command::cargo_bin("osm").unwrap();
    cmd.env_clear().env(
        "HOME",
        std::env::temp_dir().join("osm-commands-tests-no-home"),
    );
    cmd
}

#[test]
fn every_operation_of_the_spec_has_a_command() {
    for op in OPERATIONS {
        let out = osm().args([op.noun, op.verb, "--help"]).output().unwrap();
        let help = common::text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "osm {} {}: {}",
            op.noun,
            op.verb,
            common::text(&out.stderr)
        );
        // A command made from the operation alone (its help names it) has a flag or an
        // argument for each parameter; a hand-written one may compose them (--email).
        let generated = help
            .lines()
            .next()
            .is_some_and(|l| l.ends_with(&format!("({})", op.id)));
        for p in op
            .params
            .iter()
            .filter(|p| generated || p.location == huaweicloud_osm::rules::Location::Path)
        {
            // A header's flag drops its `x-` (`X-Language` → `--language`); a camelCase
            // name is split at its capitals (`searchKey` → `--search-key`).
            let mut lower = String::new();
            let mut previous: Option<char> = None;
            for c in p.name.chars() {
                if c.is_ascii_uppercase()
                    && previous.is_some_and(|q| q.is_ascii_lowercase() || q.is_ascii_digit())
                {
                    lower.push('-');
                }
                lower.push(c.to_ascii_lowercase());
                previous = Some(c);
            }
            let flag = format!(
                "--{}",
                match p.location {
                    huaweicloud_osm::rules::Location::Header => {
                        lower.strip_prefix("x-").unwrap_or(&lower)
                    }
                    _ => &lower,
                }
                .replace('_', "-")
            );
            // An array takes one item per flag, named in the singular (`label_ids` →
            // `--label-id`).
            let flag = match p.kind {
                huaweicloud_osm::rules::Kind::Array => {
                    flag.strip_suffix('s').map(str::to_owned).unwrap_or(flag)
                }
                _ => flag,
            };
            let shown = help.contains(&flag) || help.contains(&p.name.to_ascii_uppercase());
            assert!(
                shown,
                "osm {} {}: no flag for {}:\n{help}",
                op.noun, op.verb, p.name
            );
        }
    }
}

#[tokio::test]
async fn a_generated_command_runs_against_the_emulator() {
    let emu = Emulator::builder().token(TOKEN).start().await.unwrap();
    let run = |args: Vec<String>| {
        let mut cmd = osm();
        cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
            .args(["--endpoint", &emu.base_url(), "-o", "json"])
            .args(args);
        common::run(cmd)
    };
    let out = run(vec![
        "case".into(),
        "create".into(),
        "--business-type-id".into(),
        "1".into(),
        "--simple-description".into(),
        "generated commands".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    let id = common::json(&out)["incident_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // `case update` has no hand-written command: it is generated from update_case.
    let out = run(vec![
        "case".into(),
        "update".into(),
        id.clone(),
        "--action-id".into(),
        "press".into(),
        "--operate-desc".into(),
        "still down".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out.stderr));
    let sent = emu
        .requests()
        .into_iter()
        .rfind(|r| r.operation.as_deref() == Some("update_case"))
        .expect("update_case was sent");
    let query = sent.query.clone().unwrap_or_default();
    assert!(query.contains("action_id=press"), "{query}");
    let body: Value = serde_json::from_str(&sent.body).unwrap();
    assert_eq!(body["operate_desc"], "still down");
    // An invalid value is refused before sending, naming the flag.
    let before = emu.requests_seen();
    let out = run(vec![
        "case".into(),
        "update".into(),
        id,
        "--action-id".into(),
        "explode".into(),
    ])
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("--action-id"),
        "{}",
        common::text(&out.stderr)
    );
    assert_eq!(emu.requests_seen(), before);
    emu.shutdown().await;
}
