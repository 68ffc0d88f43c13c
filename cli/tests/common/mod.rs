//! Helpers shared by the CLI's test binaries.

#![allow(dead_code)] // each test binary uses a different part

use std::process::Output;

/// Runs a command off the async runtime, so that an emulator running in the test's
/// process keeps serving while the command waits for it.
pub async fn run(mut cmd: assert_cmd::Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Bytes as text (invalid UTF-8 replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Standard output as JSON; the test fails, showing it, if it is not.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&out.stdout)))
}

/// No secret, in any common encoding, and not the marker every secret holds.
pub fn assert_no_secret(all: &str, secrets: &[&str]) {
    assert!(!all.contains("LEAKMARK"), "a secret leaked:\n{all}");
    for secret in secrets {
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        let forms = [
            secret.to_string(),
            hex.clone(),
            hex.to_uppercase(),
            base64_encode(secret.as_bytes()),
            serde_json::to_string(secret).unwrap(),
            format!("{secret:?}"),
        ];
        for form in forms {
            assert!(!all.contains(&form), "{secret} leaked as {form}:\n{all}");
        }
    }
}

/// Standard Base64 with padding (the form a leak in a header would take).
pub fn base64_encode(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `osm --endpoint BASE_URL -o json ARGS` with nothing in its environment but the token
/// `token` (and a HOME that does not exist, so that no configuration file is read).
pub async fn osm_json(base_url: &str, token: &str, args: &[&str]) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("osm").unwrap();
    cmd.env_clear()
        .env("HOME", std::env::temp_dir().join("osm-cli-tests-no-home"))
        .env("HUAWEICLOUD_AUTH_TOKEN", token)
        .args(["--endpoint", base_url, "-o", "json"])
        .args(args);
    run(cmd).await
}

/// [`osm_json`] for a command that must succeed: its JSON answer.
pub async fn ok_json(base_url: &str, token: &str, args: &[&str]) -> serde_json::Value {
    let out = osm_json(base_url, token, args).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "osm {}: {}",
        args.join(" "),
        text(&out.stderr)
    );
    json(&out)
}
