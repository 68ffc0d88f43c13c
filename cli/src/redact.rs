//! Logging to standard error with every secret replaced by `[REDACTED]`.
//!
//! The library never logs secrets, and marks its auth headers sensitive; this is the
//! second line of defence, for whatever a dependency prints at trace level.

use std::io::{self, Write};
use std::sync::Arc;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Replaces every occurrence of each secret in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "[REDACTED]");
    }
    out
}

#[derive(Clone)]
struct Redacting {
    secrets: Arc<Vec<String>>,
}

/// Buffers one log event, then writes it redacted.
struct EventWriter {
    secrets: Arc<Vec<String>>,
    buf: Vec<u8>,
}

impl Write for EventWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let _ = io::stderr().write_all(redact(&text, &self.secrets).as_bytes());
    }
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter {
            secrets: self.secrets.clone(),
            buf: Vec::new(),
        }
    }
}

/// Turns on logging for `-v` (info), `-vv` (debug) or `-vvv` (trace, dependencies too).
/// `RUST_LOG`, when set, chooses what is logged instead (and turns logging on without
/// `-v`); an invalid `RUST_LOG` is reported and the `-v` level used. Either way every
/// line goes through the redacting writer.
pub fn init_logging(verbosity: u8, secrets: Vec<String>) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    if verbosity == 0 && from_env.is_none() {
        return;
    }
    let by_level = || {
        EnvFilter::new(match verbosity {
            0 => "off",
            1 => "huaweicloud_osm=info,osm=info,osm_emulator=info",
            2 => "huaweicloud_osm=debug,osm=debug,osm_emulator=debug,reqwest=debug",
            _ => "trace",
        })
    };
    let filter = match from_env {
        Some(directives) => EnvFilter::try_new(&directives).unwrap_or_else(|e| {
            eprintln!("osm: RUST_LOG ignored ({e}); using the -v level");
            by_level()
        }),
        None => by_level(),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Redacting {
            secrets: Arc::new(secrets),
        })
        .with_ansi(false)
        .try_init();
}
