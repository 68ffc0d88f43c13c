//! What every command that talks to the service needs: credentials, the client, and
//! with `--emulator` an embedded emulator started for the command.

use std::time::Duration;

use clap::ArgMatches;
use huaweicloud_osm::{Client, Credentials, Site};
use osm_emulator::RunningEmulator;

use crate::output::{Failure, from_error};
use crate::redact;

/// Token used with `--emulator`: the embedded emulator accepts it, whatever credentials
/// the environment holds (an operator's real key pair would not verify there).
pub const EMULATOR_TOKEN: &str = "osm-emulator-demo-token";

/// The site `--site` names.
pub fn site(m: &ArgMatches) -> Site {
    match m.get_one::<String>("site").map(String::as_str) {
        Some("cn") => Site::China,
        Some("eu") => Site::Europe,
        _ => Site::International,
    }
}

/// The credentials a command uses: the emulator's own with `--emulator`, else the
/// environment's; `None` only for a dry run without any.
pub fn credentials(global: &ArgMatches) -> Result<Option<Credentials>, Failure> {
    if global.get_flag("emulator") {
        return Ok(Some(Credentials::token(EMULATOR_TOKEN)));
    }
    match Credentials::from_env() {
        Ok(c) => Ok(Some(c)),
        Err(e) if global.get_flag("dry_run") => {
            tracing::debug!("{e}");
            Ok(None)
        }
        Err(e) => Err(Failure::setup(format!(
            "{e}\n  or try without an account: osm --emulator ..."
        ))),
    }
}

/// Turns on logging with every secret of `credentials` redacted.
pub fn logging(global: &ArgMatches, credentials: Option<&Credentials>) {
    redact::init_logging(
        global.get_count("verbose"),
        credentials
            .map(|c| c.secrets().into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
    );
}

/// The `--timeout`, which must be a positive number of seconds.
pub fn timeout(global: &ArgMatches) -> Result<Duration, Failure> {
    let secs = global.get_one::<f64>("timeout").copied().unwrap_or(60.0);
    if secs.is_nan() || secs <= 0.0 {
        return Err(Failure::usage(format!(
            "--timeout {secs}: must be a positive number of seconds"
        )));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Failure::usage("--timeout must be a positive number of seconds"))
}

/// A client, and the emulator it talks to when `--emulator` is given.
pub struct Session {
    pub client: Client,
    emulator: Option<RunningEmulator>,
}

impl Session {
    /// Starts the emulator if asked, and builds the client.
    pub async fn start(
        global: &ArgMatches,
        credentials: Option<Credentials>,
    ) -> Result<Session, Failure> {
        let timeout = timeout(global)?;
        let emulator = if global.get_flag("emulator") {
            let mut builder = osm_emulator::Emulator::builder().accept_any_token(true);
            if let Some(path) = global.get_one::<String>("emulator_state") {
                builder = builder.state_file(path);
            }
            let running = builder
                .start()
                .await
                .map_err(|e| Failure::setup(format!("cannot start the emulator: {e}")))?;
            eprintln!(
                "osm: using the embedded emulator at {} (no real ticket is opened)",
                running.base_url()
            );
            Some(running)
        } else {
            None
        };
        let site = site(global);
        let endpoint = match (&emulator, global.get_one::<String>("endpoint")) {
            (Some(e), _) => e.base_url().to_string(),
            (None, Some(url)) => url.clone(),
            (None, None) => site.endpoint().to_owned(),
        };
        let mut builder = Client::builder()
            .site(site)
            .endpoint(endpoint)
            .timeout(timeout)
            // A create whose answer is lost is looked up rather than left to the operator.
            .exactly_once(!global.get_flag("no_reconcile"));
        if let Some(c) = credentials {
            builder = builder.credentials(c);
        }
        let client = builder.build().map_err(|e| from_error(e, |_| None))?;
        Ok(Session { client, emulator })
    }

    /// The base URL of the embedded emulator, if one was started.
    pub fn emulator_url(&self) -> Option<String> {
        self.emulator.as_ref().map(|e| e.base_url())
    }

    /// Stops the emulator, if one was started.
    pub async fn finish(self) {
        if let Some(e) = self.emulator {
            e.shutdown().await;
        }
    }
}
