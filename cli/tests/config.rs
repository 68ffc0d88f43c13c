//! The real `osm` binary: its configuration (profiles, `OSM_*` variables, precedence),
//! `osm configure`, and the command-line contract (duration flags, `--query`,
//! `RUST_LOG`, closed pipes, one JSON error object per failure), against the emulator
//! in process or with `--dry-run`. Every command runs with an empty environment and a
//! temporary home: never the developer's files.

mod common;

use common::{assert_no_secret, run, text};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use assert_cmd::Command;
use osm_emulator::{AuthScheme, Emulator, Fault, RunningEmulator};
use serde_json::Value;

const TOKEN: &str = "config-test-token-LEAKMARK-0123";
const AK: &str = "AKCONFIGTEST";
const SK: &str = "sk-config-secret-LEAKMARK";
const MIN_CASE: [&str; 6] = [
    "case",
    "create",
    "--business-type-id",
    "1",
    "--simple-description",
    "x",
];

/// A temporary home, with the paths osm reads under it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The default configuration file (XDG_CONFIG_HOME is not set).
    fn config(&self) -> PathBuf {
        self.path().join(".config/osm/config.toml")
    }

    /// The vendor's default credentials file.
    fn credentials(&self) -> PathBuf {
        self.path().join(".huaweicloud/credentials")
    }

    fn write_config(&self, text: &str) {
        std::fs::create_dir_all(self.config().parent().unwrap()).unwrap();
        std::fs::write(self.config(), text).unwrap();
    }

    /// `osm` with only HOME set.
    fn osm(&self) -> Command {
        let mut cmd = Command::cargo_bin("osm").unwrap();
        cmd.env_clear().env("HOME", self.path());
        cmd
    }
}

async fn emulator() -> RunningEmulator {
    Emulator::builder()
        .token(TOKEN)
        .ak_sk(AK, SK)
        .start()
        .await
        .unwrap()
}

/// Standard output as exactly one JSON value (a second one, or trailing text, fails).
fn one_json(out: &Output) -> Value {
    let mut stream = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>();
    let first = stream
        .next()
        .unwrap_or_else(|| panic!("no JSON on stdout; stderr: {}", text(&out.stderr)))
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&out.stdout)));
    assert!(
        stream.next().is_none(),
        "more than one JSON value on stdout: {}",
        text(&out.stdout)
    );
    first
}

// ---------------------------------------------------------------------------------
// Precedence

/// Variables set for one command.
type Vars<'a> = Vec<(&'a str, &'a str)>;
/// One row of the precedence table: flags, variables, the layer expected to win, its
/// value, and how `--list` names where it came from.
type Row<'a> = (Vec<&'a str>, Vars<'a>, &'a str, Option<&'a str>, String);

/// One setting's four layers: the flag (if the setting has one), its variable, the
/// profile's value, and the default.
struct Layers {
    key: &'static str,
    flag: Option<(&'static str, &'static str)>,
    env: (&'static str, &'static str),
    profile: &'static str,
    default: Option<&'static str>,
}

const TABLE: &[Layers] = &[
    Layers {
        key: "site",
        flag: Some(("--site", "cn")),
        env: ("OSM_SITE", "eu"),
        profile: "\"intl\"",
        default: Some("intl"),
    },
    Layers {
        key: "endpoint",
        flag: Some(("--endpoint", "http://flag.invalid")),
        env: ("OSM_ENDPOINT", "http://env.invalid"),
        profile: "\"http://profile.invalid\"",
        default: None,
    },
    Layers {
        key: "timeout",
        flag: Some(("--timeout", "11")),
        env: ("OSM_TIMEOUT", "22"),
        profile: "33",
        default: Some("60"),
    },
    Layers {
        key: "max_attempts",
        flag: Some(("--max-attempts", "4")),
        env: ("OSM_MAX_ATTEMPTS", "5"),
        profile: "6",
        default: Some("3"),
    },
    Layers {
        key: "credentials",
        flag: Some(("--credentials", "env")),
        env: ("OSM_CREDENTIALS", "iam"),
        profile: "\"profile\"",
        default: Some("chain"),
    },
    Layers {
        key: "output",
        flag: Some(("--output", "text")),
        env: ("OSM_OUTPUT", "json"),
        profile: "\"text\"",
        default: None,
    },
    Layers {
        key: "language",
        flag: None,
        env: ("OSM_LANGUAGE", "en-us"),
        profile: "\"zh-cn\"",
        default: None,
    },
    Layers {
        key: "time_zone",
        flag: None,
        env: ("OSM_TIME_ZONE", "GMT+1"),
        profile: "\"GMT+2\"",
        default: None,
    },
];

/// `osm configure --list`, as JSON whatever --output says (`--query @` implies JSON).
fn list(home: &Home, flags: &[&str], env: &[(&str, &str)]) -> Value {
    let mut cmd = home.osm();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(flags)
        .args(["--query", "@", "configure", "--list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    one_json(&out)
}

#[test]
fn precedence_is_flag_then_env_then_profile_then_default() {
    let home = Home::new();
    let mut profile = String::from("[p]\n");
    for l in TABLE {
        profile.push_str(&format!("{} = {}\n", l.key, l.profile));
    }
    home.write_config(&format!("# the test's profiles\n{profile}\n[empty]\n"));
    for l in TABLE {
        let unquote = l.profile.trim_matches('"');
        let mut rows: Vec<Row> = vec![
            (
                vec!["--profile", "p"],
                vec![l.env],
                "env",
                Some(l.env.1),
                format!("env {}", l.env.0),
            ),
            (
                vec!["--profile", "p"],
                vec![],
                "profile",
                Some(unquote),
                "profile p".into(),
            ),
            (
                vec!["--profile", "empty"],
                vec![],
                "default",
                l.default,
                "default".into(),
            ),
        ];
        if let Some((flag, v)) = l.flag {
            rows.insert(
                0,
                (
                    vec!["--profile", "p", flag, v],
                    vec![l.env],
                    "flag",
                    Some(v),
                    "flag".into(),
                ),
            );
        }
        for (flags, env, layer, value, from) in rows {
            let j = list(&home, &flags, &env);
            let got = &j["settings"][l.key];
            assert_eq!(
                got["value"].as_str(),
                value,
                "{} from the {layer}: {got}",
                l.key
            );
            assert_eq!(got["from"], from.as_str(), "{} from the {layer}", l.key);
        }
    }
    // The profile's name itself: flag > OSM_PROFILE > default.
    let j = list(&home, &["--profile", "p"], &[("OSM_PROFILE", "empty")]);
    assert_eq!(j["profile"]["name"], "p");
    assert_eq!(j["profile"]["from"], "flag");
    let j = list(&home, &[], &[("OSM_PROFILE", "p")]);
    assert_eq!(j["profile"]["name"], "p");
    assert_eq!(j["profile"]["from"], "env OSM_PROFILE");
    assert_eq!(j["settings"]["timeout"]["value"], "33");
    let j = list(&home, &[], &[]);
    assert_eq!(j["profile"]["name"], "default");
    assert_eq!(j["profile"]["found"], false);
}

#[test]
fn xdg_config_home_and_osm_config_file_choose_the_file() {
    let home = Home::new();
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("osm")).unwrap();
    std::fs::write(xdg.join("osm/config.toml"), "[default]\ntimeout = 7\n").unwrap();
    let named = home.path().join("named.toml");
    std::fs::write(&named, "[default]\ntimeout = 8\n").unwrap();
    let xdg_s = xdg.to_str().unwrap();
    let j = list(&home, &[], &[("XDG_CONFIG_HOME", xdg_s)]);
    assert_eq!(j["settings"]["timeout"]["value"], "7");
    let j = list(
        &home,
        &[],
        &[
            ("XDG_CONFIG_HOME", xdg_s),
            ("OSM_CONFIG_FILE", named.to_str().unwrap()),
        ],
    );
    assert_eq!(j["settings"]["timeout"]["value"], "8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_profile_reaches_the_request_and_env_and_flags_override_it() {
    let emu = emulator().await;
    let home = Home::new();
    home.write_config(&format!(
        "[p]\nendpoint = \"{}\"\nlanguage = \"en-us\"\ntime_zone = \"GMT+1\"\noutput = \"json\"\n",
        emu.base_url()
    ));
    #[allow(clippy::type_complexity)] // variables, flags, expected language and time zone
    let cases: [(&[(&str, &str)], &[&str], &str, &str); 3] = [
        (&[], &[], "en-us", "GMT+1"),
        (&[("OSM_LANGUAGE", "fr-fr")], &[], "fr-fr", "GMT+1"),
        (
            &[("OSM_LANGUAGE", "fr-fr")],
            &["--language", "de-de", "--time-zone", "GMT+3"],
            "de-de",
            "GMT+3",
        ),
    ];
    for (i, (env, flags, language, time_zone)) in cases.into_iter().enumerate() {
        let mut cmd = home.osm();
        cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
            .env("OSM_PROFILE", "p")
            .envs(env.iter().copied())
            .args(MIN_CASE)
            .args(flags);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        // output = "json" in the profile: stdout is JSON.
        assert!(one_json(&out)["incident_id"].is_string());
        let t = &emu.tickets()[i];
        assert_eq!(
            t.headers.get("x-language").map(String::as_str),
            Some(language)
        );
        assert_eq!(
            t.headers.get("x-time-zone").map(String::as_str),
            Some(time_zone)
        );
    }
    emu.shutdown().await;
}

#[test]
fn configuration_errors_exit_4_naming_the_file_the_profile_and_the_key() {
    let cases: [(&str, &[&str], &[&str]); 5] = [
        (
            "[p]\ntimeout = 0\n",
            &["--profile", "p"],
            &["profile p", "timeout", "greater than 0"],
        ),
        (
            "[p]\ncolour = \"blue\"\n",
            &["--profile", "p"],
            &["profile p", "unknown key \"colour\"", "max_attempts"],
        ),
        ("[p\n", &["--profile", "p"], &["not TOML"]),
        ("site = \"eu\"\n", &[], &["site is not a profile table"]),
        (
            "[p]\nsite = \"eu\"\n",
            &["--profile", "nope"],
            &[
                "profile nope is not in",
                "it has p",
                "osm configure --profile nope",
            ],
        ),
    ];
    for (file, flags, words) in cases {
        let home = Home::new();
        home.write_config(file);
        let out = home
            .osm()
            .args(["--dry-run", "-o", "json"])
            .args(flags)
            .args(MIN_CASE)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{file}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(home.config().to_str().unwrap()), "{stderr}");
        for w in words {
            assert!(stderr.contains(w), "{file}: {w:?} not in {stderr}");
        }
        assert_eq!(one_json(&out)["error"]["kind"], "Configuration");
    }
    // A file named by OSM_CONFIG_FILE must exist.
    let home = Home::new();
    let out = home
        .osm()
        .env("OSM_CONFIG_FILE", home.path().join("missing.toml"))
        .args(["--dry-run"])
        .args(MIN_CASE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("OSM_CONFIG_FILE"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------
// osm configure

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configure_writes_a_profile_and_the_key_pair_to_the_vendor_file() {
    let emu = emulator().await;
    let home = Home::new();
    // A profile other than `default` keeps its key pair in a file of its own.
    let work_file = home.path().join(".huaweicloud/credentials-work");
    home.write_config("# my notes\n[other]\nsite = \"cn\" # keep me\n");
    std::fs::create_dir_all(work_file.parent().unwrap()).unwrap();
    std::fs::write(
        &work_file,
        "[basic]\nak=REGIONAL\nsk=regional-sk\n[global]\nak=OLD\nsk=old\nsecurity_token=stale\n",
    )
    .unwrap();

    let mut cmd = home.osm();
    cmd.args(["configure", "--profile", "work", "--site", "eu"])
        .args(["--language", "en-us", "--timeout", "30"])
        .args(["--endpoint", &emu.base_url(), "-o", "json"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j = one_json(&out);
    assert_eq!(j["profile"], "work");
    let config = std::fs::read_to_string(home.config()).unwrap();
    assert!(
        config.contains("# my notes") && config.contains("# keep me"),
        "{config}"
    );
    assert!(
        config.contains("[work]") && config.contains("site = \"eu\""),
        "{config}"
    );
    assert!(config.contains("timeout = 30"), "{config}");

    // The key pair, from standard input.
    let mut cmd = home.osm();
    cmd.args(["-vvv", "configure", "--profile", "work"])
        .args(["--access-key", AK, "--secret-key-stdin", "-o", "text"])
        .write_stdin(format!("{SK}\n"));
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_secret(
        &format!("{}{}", text(&out.stdout), text(&out.stderr)),
        &[SK],
    );
    let ini = std::fs::read_to_string(&work_file).unwrap();
    assert!(
        ini.contains(&format!("ak={AK}")) && ini.contains(&format!("sk={SK}")),
        "{ini}"
    );
    assert!(
        ini.contains("[basic]") && ini.contains("ak=REGIONAL"),
        "{ini}"
    );
    assert!(!ini.contains("security_token"), "{ini}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&work_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let config = std::fs::read_to_string(home.config()).unwrap();
    assert!(
        !config.contains("LEAKMARK") && !config.contains(AK),
        "{config}"
    );
    assert!(config.contains("credentials = \"profile\""), "{config}");
    assert!(
        config.contains(&format!(
            "credentials_file = {:?}",
            work_file.to_str().unwrap()
        )),
        "{config}"
    );
    assert!(!home.credentials().exists());

    // The profile now opens a ticket signed with that pair.
    let mut cmd = home.osm();
    cmd.args(["--profile", "work", "-o", "json"]).args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = &emu.tickets()[0];
    assert_eq!(
        t.auth,
        AuthScheme::AkSk {
            access_key: AK.into(),
            temporary: false
        }
    );
    assert_eq!(
        t.headers.get("x-language").map(String::as_str),
        Some("en-us")
    );
    emu.shutdown().await;
}

#[test]
fn configure_asks_and_asks_again_after_an_invalid_answer() {
    let home = Home::new();
    // site, endpoint, language, time_zone, output, timeout (0 is refused, then 45),
    // max_attempts, credentials, access key id, secret key.
    let answers = format!("eu\n\n\n\n\n0\n45\n\n\n{AK}\n{SK}\n");
    let out = home
        .osm()
        .args(["configure", "--prompt", "--profile", "asked", "-o", "text"])
        .write_stdin(answers)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("timeout: must be a number of seconds"),
        "{stderr}"
    );
    assert_no_secret(&format!("{}{stderr}", text(&out.stdout)), &[SK]);
    let config = std::fs::read_to_string(home.config()).unwrap();
    assert!(
        config.contains("[asked]") && config.contains("timeout = 45"),
        "{config}"
    );
    assert!(!config.contains("LEAKMARK"), "{config}");
    // The profile `asked` keeps its pair in a file of its own.
    assert!(
        std::fs::read_to_string(home.path().join(".huaweicloud/credentials-asked"))
            .unwrap()
            .contains(SK)
    );
}

#[test]
fn configure_without_settings_off_a_terminal_writes_nothing() {
    let home = Home::new();
    let out = home
        .osm()
        .args(["configure", "-o", "json", "--profile", "p"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("nothing to write"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(one_json(&out)["error"]["kind"], "Usage");
    assert!(!home.config().exists());
    // A secret key with a space is refused without being shown.
    let out = home
        .osm()
        .args(["configure", "--access-key", AK, "--secret-key-stdin"])
        .write_stdin("bad LEAKMARK key")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !text(&out.stderr).contains("LEAKMARK"),
        "{}",
        text(&out.stderr)
    );
    assert!(!home.credentials().exists());
}

// ---------------------------------------------------------------------------------
// Credentials

#[test]
fn the_main_job_works_with_the_vendor_variables_exported() {
    let home = Home::new();
    // A pair the embedded emulator does not know, and a profile asking for it.
    home.write_config("[default]\ncredentials = \"env\"\n");
    let out = home
        .osm()
        .env("HUAWEICLOUD_SDK_AK", "AKUNKNOWNTOTHEEMULATOR")
        .env("HUAWEICLOUD_SDK_SK", "sk-unknown-to-the-emulator")
        .args(["--emulator", "-o", "json"])
        .args(["case", "create", "--business-type-id", "1"])
        .args(["--simple-description", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(one_json(&out)["incident_id"].is_string());
}

#[test]
fn no_credentials_names_every_source_and_the_emulator() {
    let home = Home::new();
    let out = home
        .osm()
        .args(["--endpoint", "http://127.0.0.1:9", "-o", "json"])
        .args(MIN_CASE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    for source in [
        "environment",
        "IAM password",
        "profile",
        "ECS metadata",
        "--emulator",
    ] {
        assert!(stderr.contains(source), "{source}: {stderr}");
    }
    assert!(
        stderr.contains(home.credentials().to_str().unwrap()),
        "{stderr}"
    );
    let j = one_json(&out);
    assert_eq!(j["error"]["kind"], "Credentials");
    assert_eq!(j["error"]["tried"].as_array().unwrap().len(), 4);
    // One source only: the error is that source's.
    let out = home
        .osm()
        .args([
            "--credentials",
            "profile",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .args(MIN_CASE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("profile:") && !stderr.contains("IAM password"),
        "{stderr}"
    );
    // A dry run needs none.
    let out = home
        .osm()
        .args(["--dry-run", "-o", "json"])
        .args(MIN_CASE)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        one_json(&out)["headers"]["Authorization"],
        "[no credentials found]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_source_shows_its_secret_at_the_most_verbose_level() {
    let emu = emulator().await;
    let security_token = "st-config-LEAKMARK-token";
    // Each source the CLI reads, set up in its own home: the environment (a key pair
    // with a security token, and a token), a credentials file written by hand, and one
    // written by osm configure.
    enum Setup {
        Env(&'static [(&'static str, &'static str)]),
        File(String),
        Configure,
    }
    let env_pair: &'static [(&str, &str)] = &[
        ("HUAWEICLOUD_SDK_AK", AK),
        ("HUAWEICLOUD_SDK_SK", SK),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", "st-config-LEAKMARK-token"),
    ];
    let setups = [
        Setup::Env(env_pair),
        Setup::Env(&[("HUAWEICLOUD_AUTH_TOKEN", TOKEN)]),
        Setup::File(format!("[global]\nak = {AK}\nsk = {SK}\n")),
        Setup::Configure,
    ];
    for setup in setups {
        let home = Home::new();
        let mut env: Vec<(&str, &str)> = Vec::new();
        match &setup {
            Setup::Env(vars) => env.extend(vars.iter().copied()),
            Setup::File(text) => {
                std::fs::create_dir_all(home.credentials().parent().unwrap()).unwrap();
                std::fs::write(home.credentials(), text).unwrap();
            }
            Setup::Configure => {
                let mut cmd = home.osm();
                cmd.args([
                    "-vvv",
                    "configure",
                    "--access-key",
                    AK,
                    "--secret-key-stdin",
                ])
                .write_stdin(SK);
                let out = run(cmd).await;
                assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
                assert_no_secret(
                    &format!("{}{}", text(&out.stdout), text(&out.stderr)),
                    &[SK],
                );
            }
        }
        // A success, a 500 and a dry run, each at -vvv.
        for (fault, dry) in [
            (None, false),
            (Some(Fault::error(500, "OSM.0004", "internal error")), false),
            (None, true),
        ] {
            if let Some(f) = fault {
                emu.faults().push(f);
            }
            let mut cmd = home.osm();
            cmd.envs(env.iter().copied()).args([
                "-vvv",
                "-o",
                "json",
                "--no-reconcile",
                "--endpoint",
                &emu.base_url(),
            ]);
            if dry {
                cmd.arg("--dry-run");
            }
            cmd.args(MIN_CASE);
            let out = run(cmd).await;
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            if !dry {
                assert!(all.contains("osm.call{operation=\"create_case\""), "{all}");
                // Authenticated: the emulator answered the fault or a ticket, not a 401.
                assert!(
                    !all.contains("APIGW.0301") && !all.contains("OSM.0002"),
                    "{all}"
                );
            }
            assert_no_secret(&all, &[SK, TOKEN, security_token]);
        }
    }
    emu.shutdown().await;
}

// ---------------------------------------------------------------------------------
// The command-line contract

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duration_flags_refuse_zero_negative_nan_and_infinity_naming_the_flag() {
    let emu = emulator().await;
    let home = Home::new();
    let mut cases: Vec<(Vec<String>, Vars, &str)> = Vec::new();
    for bad in ["0", "-1", "-0.5", "NaN", "inf", "-inf", "1e300", "soon"] {
        cases.push((vec![format!("--timeout={bad}")], vec![], "--timeout"));
        cases.push((
            vec![
                "case".into(),
                "watch".into(),
                "CS1".into(),
                format!("--interval={bad}"),
            ],
            vec![],
            "--interval",
        ));
    }
    // A negative number as the next argument reaches the check too.
    cases.push((vec!["--timeout".into(), "-1".into()], vec![], "--timeout"));
    cases.push((vec![], vec![("OSM_TIMEOUT", "0")], "--timeout"));
    for (args, env, flag) in cases {
        let mut cmd = home.osm();
        cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
            .envs(env.iter().copied())
            .args(["-o", "json", "--endpoint", &emu.base_url()]);
        if args.first().map(String::as_str) == Some("case") {
            cmd.args(&args);
        } else {
            cmd.args(&args).args(MIN_CASE);
        }
        let out = run(cmd).await;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        let j = one_json(&out);
        assert_eq!(j["error"]["kind"], "Usage");
        assert!(
            j["error"]["message"].as_str().unwrap().contains(flag),
            "{j}"
        );
    }
    assert_eq!(emu.requests_seen(), 0, "nothing was sent");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_prints_one_json_error_object() {
    let emu = emulator().await;
    let home = Home::new();
    let refused = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("http://127.0.0.1:{refused}");
    let missing_body = home.path().join("no-such-body.json");
    std::fs::write(home.path().join("bad.json"), "{not json").unwrap();
    let bad_body = home.path().join("bad.json");
    struct Case<'a> {
        name: &'a str,
        token: bool,
        endpoint: &'a str,
        args: Vec<&'a str>,
        fault: Option<Fault>,
        code: i32,
        kind: &'a str,
    }
    let create = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut v = MIN_CASE.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let emu_url = emu.base_url();
    let cases = vec![
        Case {
            name: "no credentials",
            token: false,
            endpoint: &emu_url,
            args: create(&[]),
            fault: None,
            code: 4,
            kind: "Credentials",
        },
        Case {
            name: "missing --body file",
            token: true,
            endpoint: &emu_url,
            args: vec!["case", "create", "--body", missing_body.to_str().unwrap()],
            fault: None,
            code: 2,
            kind: "Usage",
        },
        Case {
            name: "--body not JSON",
            token: true,
            endpoint: &emu_url,
            args: vec!["case", "create", "--body", bad_body.to_str().unwrap()],
            fault: None,
            code: 2,
            kind: "Usage",
        },
        Case {
            name: "invalid flag value",
            token: true,
            endpoint: &emu_url,
            args: [&["--site", "mars"][..], &MIN_CASE].concat(),
            fault: None,
            code: 2,
            kind: "Usage",
        },
        Case {
            name: "unknown flag",
            token: true,
            endpoint: &emu_url,
            args: create(&["--no-such-flag"]),
            fault: None,
            code: 2,
            kind: "Usage",
        },
        Case {
            name: "bad --query",
            token: true,
            endpoint: &emu_url,
            args: [&["--query", "a[[["][..], &MIN_CASE].concat(),
            fault: None,
            code: 2,
            kind: "Usage",
        },
        Case {
            name: "connection refused",
            token: true,
            endpoint: &refused,
            args: create(&[]),
            fault: None,
            code: 4,
            kind: "Connect",
        },
        Case {
            name: "service refusal",
            token: true,
            endpoint: &emu_url,
            args: create(&[]),
            fault: Some(Fault::business_error("OSM.01010003", "refused")),
            code: 1,
            kind: "Service",
        },
        Case {
            name: "authentication failure",
            token: false,
            endpoint: &emu_url,
            args: create(&[]),
            fault: None,
            code: 5,
            kind: "Service",
        },
    ];
    for case in cases {
        if let Some(f) = case.fault {
            emu.faults().push(f);
        }
        let mut cmd = home.osm();
        if case.token {
            cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN);
        } else if case.code == 5 {
            cmd.env("HUAWEICLOUD_AUTH_TOKEN", "a-token-the-emulator-refuses");
        }
        cmd.args(["-o", "json", "--endpoint", case.endpoint])
            .args(&case.args);
        let out = run(cmd).await;
        assert_eq!(
            out.status.code(),
            Some(case.code),
            "{}: {}",
            case.name,
            text(&out.stderr)
        );
        let j = one_json(&out);
        assert_eq!(j["error"]["kind"], case.kind, "{}: {j}", case.name);
        assert!(j["error"]["message"].is_string(), "{}: {j}", case.name);
        if case.kind == "Connect" {
            // The cause is the error's source chain, printed in JSON and in text.
            let causes = j["error"]["causes"].to_string();
            assert!(causes.to_lowercase().contains("connection refused"), "{j}");
            let mut cmd = home.osm();
            cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
                .args(["-o", "text", "--endpoint", case.endpoint])
                .args(&case.args);
            let out = run(cmd).await;
            let err = text(&out.stderr);
            assert!(err.to_lowercase().contains("connection refused"), "{err}");
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_picks_fields_from_the_json_answer() {
    let emu = emulator().await;
    let home = Home::new();
    let mut cmd = home.osm();
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .args(["--endpoint", &emu.base_url(), "-o", "text"])
        .args(["--query", "incident_id"])
        .args(MIN_CASE);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let id = one_json(&out);
    assert_eq!(id, emu.tickets()[0].incident_id.as_str());

    let mut cmd = home.osm();
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
        .env(
            "OSM_QUERY",
            "incident_business_type_list[].business_type_id",
        )
        .args(["--endpoint", &emu.base_url(), "lookup", "problem-types"]);
    let out = run(cmd).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ids = one_json(&out);
    let ids = ids.as_array().expect("an array of ids");
    assert!(
        !ids.is_empty() && ids.iter().all(Value::is_string),
        "{ids:?}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_chooses_what_is_logged_beside_v_and_is_redacted() {
    let emu = emulator().await;
    let home = Home::new();
    let cases = [
        // RUST_LOG alone turns logging on.
        (None, "trace", true),
        // RUST_LOG wins over -vvv.
        (Some("-vvv"), "off", false),
        (Some("-v"), "huaweicloud_osm=trace", true),
    ];
    for (v, rust_log, logged) in cases {
        let mut cmd = home.osm();
        cmd.env("HUAWEICLOUD_AUTH_TOKEN", TOKEN)
            .env("RUST_LOG", rust_log)
            .args(["-o", "json", "--endpoint", &emu.base_url()]);
        if let Some(v) = v {
            cmd.arg(v);
        }
        cmd.args(MIN_CASE);
        let out = run(cmd).await;
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert_eq!(
            stderr.contains("osm.call{operation=\"create_case\""),
            logged,
            "RUST_LOG={rust_log} {v:?}: {stderr}"
        );
        assert_no_secret(&format!("{}{stderr}", text(&out.stdout)), &[TOKEN]);
    }
    emu.shutdown().await;
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let home = Home::new();
    // `osm completions bash | head -1`: one line read, then the pipe closed.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("osm"))
        .env_clear()
        .env("HOME", home.path())
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("_osm()"), "{first}");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );

    // The reader gone before anything is written: every write fails (EPIPE), for the
    // completions and for a text table alike.
    for args in [
        &["completions", "bash"][..],
        &["--emulator", "-o", "text", "lookup", "problem-types"][..],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("osm"))
            .env_clear()
            .env("HOME", home.path())
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            !text(&out.stderr).contains("panicked"),
            "{}",
            text(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------
// Hardening: concurrent runs, the vendor's file kept as it is, one key pair per
// profile, files that are not regular files.

/// `osm configure` with a secret key on standard input.
fn configure_pair(home: &Home, flags: &[&str], ak: &str, sk: &str) -> Output {
    home.osm()
        .args(["configure", "-o", "text"])
        .args(flags)
        .args(["--access-key", ak, "--secret-key-stdin"])
        .write_stdin(format!("{sk}\n"))
        .output()
        .unwrap()
}

#[test]
fn concurrent_configure_runs_lose_no_profile() {
    let home = Home::new();
    let runs = 12;
    let children: Vec<_> = (0..runs)
        .map(|i| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("osm"))
                .env_clear()
                .env("HOME", home.path())
                .args(["configure", "--profile", &format!("p{i}"), "--site", "eu"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let config = std::fs::read_to_string(home.config()).unwrap();
    for i in 0..runs {
        assert!(
            config.contains(&format!("[p{i}]\nsite = \"eu\"")),
            "profile p{i} was lost:\n{config}"
        );
    }
}

#[cfg(unix)]
#[test]
fn configure_changes_only_the_keys_it_sets_and_follows_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let real_dir = home.path().join("real");
    std::fs::create_dir_all(&real_dir).unwrap();
    std::fs::create_dir_all(home.credentials().parent().unwrap()).unwrap();
    let real = real_dir.join("creds");
    let before = "# my comment\n[basic]\nak = REGIONAL\nsk = \"SK;with#chars\"\n\n[global]\n; keep me\nak = OLDAK\nsk = old-secret\nsecurity_token = stale\ndomain_id = d-1\n";
    std::fs::write(&real, before).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink("../real/creds", home.credentials()).unwrap();

    let out = configure_pair(&home, &[], AK, SK);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Said before it is done, naming the key replaced and the file.
    assert!(
        text(&out.stderr).contains("replacing access key OLDAK"),
        "{}",
        text(&out.stderr)
    );
    assert_no_secret(
        &format!("{}{}", text(&out.stdout), text(&out.stderr)),
        &[SK],
    );
    assert!(
        std::fs::symlink_metadata(home.credentials())
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    let after = std::fs::read_to_string(&real).unwrap();
    assert_eq!(
        after,
        format!(
            "# my comment\n[basic]\nak = REGIONAL\nsk = \"SK;with#chars\"\n\n[global]\n; keep me\nak = {AK}\nsk = {SK}\ndomain_id = d-1\n"
        )
    );
    let mode = std::fs::metadata(&real).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_profile_keeps_its_own_key_pair() {
    const AK2: &str = "AKWORKPROFILE";
    const SK2: &str = "sk-work-secret-LEAKMARK";
    let emu = Emulator::builder()
        .ak_sk(AK, SK)
        .ak_sk(AK2, SK2)
        .start()
        .await
        .unwrap();
    let home = Home::new();
    let url = emu.base_url();
    let flags = |p: &'static str| ["--profile", p, "--endpoint", url.as_str()];
    let first = configure_pair(&home, &flags("emu"), AK, SK);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let second = configure_pair(&home, &flags("work"), AK2, SK2);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert!(
        !text(&second.stderr).contains("replacing"),
        "another profile's pair was replaced: {}",
        text(&second.stderr)
    );
    for (profile, ak) in [("emu", AK), ("work", AK2)] {
        let mut cmd = home.osm();
        cmd.args(["--profile", profile, "-o", "json"])
            .args(MIN_CASE);
        let out = run(cmd).await;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{profile}: {}",
            text(&out.stderr)
        );
        let t = emu.tickets().into_iter().last().unwrap();
        assert_eq!(
            t.auth,
            AuthScheme::AkSk {
                access_key: ak.into(),
                temporary: false
            },
            "{profile}"
        );
    }
    // Each pair lives in a file the vendor's SDKs read (named in the profile), and a
    // profile's own pair, written again, is named before it is replaced.
    let config = std::fs::read_to_string(home.config()).unwrap();
    assert!(config.contains("credentials-work"), "{config}");
    let third = configure_pair(&home, &flags("work"), AK2, SK2);
    assert_eq!(third.status.code(), Some(0), "{}", text(&third.stderr));
    assert!(
        text(&third.stderr).contains(&format!("replacing access key {AK2}")),
        "{}",
        text(&third.stderr)
    );
    for out in [first, second, third] {
        assert_no_secret(
            &format!("{}{}", text(&out.stdout), text(&out.stderr)),
            &[SK, SK2],
        );
    }
    emu.shutdown().await;
}

#[cfg(unix)]
#[test]
fn a_fifo_as_the_configuration_or_credentials_file_is_refused_naming_it() {
    let home = Home::new();
    let fifo = home.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo_s = fifo.to_str().unwrap();
    // The configuration file.
    let out = home
        .osm()
        .env("OSM_CONFIG_FILE", fifo_s)
        .args(["--dry-run"])
        .args(MIN_CASE)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(fifo_s) && text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
    // The credentials file, read for a call and written by configure.
    let out = home
        .osm()
        .env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", fifo_s)
        .args([
            "--credentials",
            "profile",
            "--endpoint",
            "http://127.0.0.1:9",
        ])
        .args(MIN_CASE)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(fifo_s) && text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
    let out = home
        .osm()
        .env("HUAWEICLOUD_SDK_CREDENTIALS_FILE", fifo_s)
        .args(["configure", "--access-key", AK, "--secret-key-stdin"])
        .write_stdin(format!("{SK}\n"))
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(fifo_s) && text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
}
