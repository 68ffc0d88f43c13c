//! `osm` against hostile input and hostile servers: every input the probe broke is
//! refused before anything is sent, and a server cannot forge lines on the terminal or
//! exhaust memory.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn osm() -> Command {
    let mut cmd = Command::cargo_bin("osm").unwrap();
    // Nothing from the developer's environment or home: no credentials, no OSM_*
    // variable, no configuration or credentials file.
    cmd.env_clear()
        .env("HOME", std::env::temp_dir().join("osm-cli-tests-no-home"));
    cmd.env("HUAWEICLOUD_AUTH_TOKEN", "abuse-token");
    cmd
}

/// A server on loopback that answers every connection with `answer` (bounded: at most
/// `connections` connections, then it stops). Returns its URL and a counter of requests.
fn server(
    answer: Vec<u8>,
    connections: usize,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            s.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&answer);
        }
    });
    (url, seen)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn inputs_the_probe_broke_exit_2_and_send_nothing() {
    let (url, seen) = server(b"HTTP/1.1 500 X\r\ncontent-length: 0\r\n\r\n".to_vec(), 100);
    let base = [
        "--endpoint",
        url.as_str(),
        "case",
        "create",
        "--business-type-id",
        "1",
        "--simple-description",
        "x",
    ];
    let cases: [(&[&str], &str); 4] = [
        (
            &["--extends-map", "k=123456789012345678901234567890"],
            "does not fit in 64 bits",
        ),
        (&["--extends-map", "k={\"n\":"], "not valid JSON"),
        (&["--language", "en\r\nX: 1"], "X-Language"),
        (&["--accessory-id", &"a".repeat(33)], "accessory_ids"),
    ];
    for (extra, words) in cases {
        let out = osm().args(base).args(extra).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(words), "{extra:?}: {}", stderr(&out));
    }
    // A body without end (or just too large) is cut at 1 MiB and refused.
    let out = osm()
        .args(["--endpoint", &url, "case", "create", "--body", "/dev/zero"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    assert_eq!(
        seen.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was sent"
    );
}

#[test]
fn endpoints_that_would_lose_the_path_or_leak_a_password_are_refused() {
    for endpoint in [
        "http://127.0.0.1:9/prefix?x=1#f",
        "http://user:s3cr3t-marker@127.0.0.1:9",
    ] {
        let out = osm()
            .args([
                "--endpoint",
                endpoint,
                "case",
                "create",
                "--business-type-id",
                "1",
                "--simple-description",
                "x",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4), "{endpoint}: {}", stderr(&out));
        assert!(!stderr(&out).contains("s3cr3t-marker"));
    }
}

#[test]
fn a_ticket_id_with_control_characters_cannot_forge_lines() {
    let body = "{\"incident_id\":\"CS1\\u001b[2J\\nCreated ticket FORGED\"}";
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, _) = server(answer.into_bytes(), 4);
    let out = osm()
        .args([
            "--endpoint",
            &url,
            "--no-reconcile",
            "-o",
            "text",
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "x",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "an id that is not one: {}",
        stderr(&out)
    );
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(
        !all.contains('\u{1b}'),
        "a raw escape reached the terminal: {all:?}"
    );
    assert!(
        !all.lines().any(|l| l.starts_with("Created ticket FORGED")),
        "a forged line: {all}"
    );
}

/// The largest resident set of process `pid` seen while it runs, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn an_endless_answer_ends_in_time_with_exit_3_and_bounded_memory() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for _ in 0..4 {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            std::thread::spawn(move || {
                let mut buf = [0u8; 65536];
                let _ = s.read(&mut buf);
                if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n").is_err() {
                    return;
                }
                let block = vec![b' '; 1 << 16];
                let chunk = [
                    format!("{:x}\r\n", block.len()).into_bytes(),
                    block,
                    b"\r\n".to_vec(),
                ]
                .concat();
                let stop = Instant::now() + Duration::from_secs(60);
                while Instant::now() < stop && s.write_all(&chunk).is_ok() {}
            });
        }
    });
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("osm"))
        .env("HUAWEICLOUD_AUTH_TOKEN", "abuse-token")
        .args([
            "--endpoint",
            &url,
            "--timeout",
            "20",
            "--no-reconcile",
            "-o",
            "json",
            "case",
            "create",
            "--business-type-id",
            "1",
            "--simple-description",
            "x",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "osm did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
    assert!(peak > 0, "the process was measured at least once");
    assert!(peak < 100 * 1024, "peak resident memory {peak} KiB");
}

/// Characters that must never reach a terminal raw: ESC (screen, title, OSC 52
/// clipboard), BEL, the right-to-left override, the first-strong isolate, a zero-width
/// joiner and a line separator.
const RAW: [char; 6] = [
    '\u{1b}', '\u{7}', '\u{202e}', '\u{2066}', '\u{200d}', '\u{2028}',
];

#[test]
fn keys_and_values_from_the_service_cannot_drive_the_terminal() {
    // Hostile keys and values at every level the text output shows: a member, a table
    // column, a nested object's member.
    let body = serde_json::json!({
        "incident_id": "CS1",
        "\u{1b}]52;c;SGVsbG8=\u{7}clip": "x",
        "\u{1b}]0;title\u{7}": "y",
        "simple_description": "safe\u{202e}txt.exe",
        "incident_info_list": [
            {"\u{1b}[2Jcolumn": "v", "content": "a\u{2066}b\u{200d}c\u{2028}d"}
        ],
        "messages": [
            {"\u{1b}[2Jcolumn": "v", "content": "a\u{2066}b"}
        ],
        "nested": {"\u{202e}inner": "z"}
    })
    .to_string();
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (url, seen) = server(answer.into_bytes(), 64);
    let commands: [&[&str]; 3] = [
        &["case", "show", "CS1"],
        &["case", "messages", "CS1"],
        &["case", "list"],
    ];
    for command in commands {
        let out = osm()
            .args(["--endpoint", &url, "-o", "text"])
            .args(command)
            .output()
            .unwrap();
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        for c in RAW {
            assert!(
                !all.contains(c),
                "{command:?}: U+{:04X} reached the terminal raw: {all:?}",
                c as u32
            );
        }
        if out.status.success() {
            // Shown, as an escape, rather than dropped.
            assert!(
                all.contains("\\u{1b}") && all.contains("\\u{202e}"),
                "{command:?}: {all}"
            );
        }
    }
    assert!(seen.load(std::sync::atomic::Ordering::SeqCst) >= 3);
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_exits_2_with_a_message() {
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"CS\xff");
    let out = osm()
        .args(["--endpoint", "http://127.0.0.1:9", "case", "show"])
        .arg(bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("UTF-8"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn a_query_too_deep_for_the_parser_exits_2_naming_the_limit() {
    let projections = format!("a{}", "[]".repeat(500));
    let parentheses = format!("{}a{}", "(".repeat(2000), ")".repeat(2000));
    let negations = format!("{}a", "!".repeat(1000));
    for (how, expression) in [
        ("flag", &projections),
        ("flag", &parentheses),
        ("env", &negations),
        ("env", &parentheses),
    ] {
        let mut cmd = osm();
        cmd.args(["--emulator", "lookup", "regions"]);
        if how == "flag" {
            cmd.args(["--query", expression]);
        } else {
            cmd.env("OSM_QUERY", expression);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{how} {}…: {}",
            &expression[..8],
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("--query") && stderr(&out).contains("at most"),
            "{}",
            stderr(&out)
        );
    }
    // A query of ordinary depth still works.
    let out = osm()
        .args(["--emulator", "--query", "length(@)", "lookup", "regions"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
