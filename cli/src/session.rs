//! What every command that talks to the service needs: credentials, the client, and
//! with `--emulator` an embedded emulator started for the command. Settings come from
//! [`crate::config`] (flag > environment > profile > default).

use std::sync::OnceLock;
use std::time::Duration;

use clap::ArgMatches;
use huaweicloud_osm::credentials::{
    ChainProvider, CredentialsErrorKind, ENV_AK, ENV_DOMAIN_ID, ENV_ECS_METADATA_ENDPOINT,
    ENV_IAM_PASSWORD, ENV_SECURITY_TOKEN, ENV_SK, ENV_TOKEN, EcsMetadataProvider,
    EnvironmentProvider, IamPasswordProvider, ProfileProvider,
};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::OperationRules;
use huaweicloud_osm::{
    Client, Credentials, CredentialsError, CredentialsProvider, RetryPolicy, Site,
};
use serde_json::json;

use crate::config;
use crate::output::{Failure, from_error};
use crate::redact;

/// Token used with `--emulator`: the embedded emulator accepts it, whatever credentials
/// the environment holds (an operator's real key pair would not verify there).
pub const EMULATOR_TOKEN: &str = "osm-emulator-demo-token";

/// The provider the credentials of this run came from, handed to the client so that
/// credentials that expire (an IAM token, temporary keys) are refreshed in a long
/// `case watch`.
static PROVIDER: OnceLock<CredentialsProvider> = OnceLock::new();

/// The site in force (`--site`, `OSM_SITE`, the profile's `site`, else International).
pub fn site(_global: &ArgMatches) -> Site {
    match config::settings().get("site") {
        Some("cn") => Site::China,
        Some("eu") => Site::Europe,
        _ => Site::International,
    }
}

/// The endpoint requests go to without `--emulator`: the one configured, else the site's.
pub fn endpoint(global: &ArgMatches) -> String {
    config::settings()
        .get("endpoint")
        .map(str::to_owned)
        .unwrap_or_else(|| site(global).endpoint().to_owned())
}

/// The credential source in force (`--credentials`, `OSM_CREDENTIALS`, the profile's
/// `credentials`, else `chain`).
fn source() -> &'static str {
    config::settings().get("credentials").unwrap_or("chain")
}

/// The process environment, with `HUAWEICLOUD_SDK_CREDENTIALS_FILE` taken from the
/// settings (the variable, else the profile's `credentials_file`), so that each profile
/// reads its own credentials file.
fn lookup() -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let file = config::settings()
        .get("credentials_file")
        .map(str::to_owned);
    move |name| match (name, &file) {
        (config::ENV_CREDENTIALS_FILE, Some(f)) => Some(f.clone()),
        _ => std::env::var(name).ok(),
    }
}

/// The credentials file source of this run.
fn profile_provider() -> ProfileProvider {
    ProfileProvider::from_lookup(lookup(), std::env::home_dir())
}

/// The provider of a source.
fn provider(source: &str) -> Result<CredentialsProvider, CredentialsError> {
    Ok(match source {
        "env" => CredentialsProvider::new(EnvironmentProvider::new()),
        "profile" => CredentialsProvider::new(profile_provider()),
        "iam" => CredentialsProvider::new(IamPasswordProvider::from_env()?),
        "ecs" => {
            let mut p = EcsMetadataProvider::new();
            if let Some(url) = std::env::var(ENV_ECS_METADATA_ENDPOINT)
                .ok()
                .filter(|v| !v.is_empty())
            {
                p = p.with_endpoint(&url)?;
            }
            if let Some(d) = std::env::var(ENV_DOMAIN_ID).ok().filter(|v| !v.is_empty()) {
                p = p.with_domain_id(d);
            }
            CredentialsProvider::new(p)
        }
        _ => CredentialsProvider::new(ChainProvider::default_chain_from(
            lookup(),
            std::env::home_dir(),
        )),
    })
}

/// For a dry run: credentials from the local sources only (environment, credentials
/// file), so that nothing goes out, not even an IAM login.
fn local_credentials(source: &str) -> Option<Credentials> {
    let env = || EnvironmentProvider::new().load();
    let file = || profile_provider().load().map(|p| p.credentials().clone());
    let found = match source {
        "chain" => env().or_else(|e| {
            if e.is_not_configured() {
                file()
            } else {
                Err(e)
            }
        }),
        "env" => env(),
        "profile" => file(),
        _ => return None,
    };
    found.map_err(|e| tracing::debug!("{e}")).ok()
}

/// Credentials that could not be obtained, as a failure: exit 5 when the source refused
/// them (IAM rejected the password), else 4; the message is the provider's, which names
/// every source tried and why it was skipped, with what to do next.
fn credentials_failure(e: &CredentialsError) -> Failure {
    let code = if e.kind() == CredentialsErrorKind::Rejected {
        5
    } else {
        4
    };
    let mut message = e.to_string();
    if matches!(
        e.kind(),
        CredentialsErrorKind::NoneFound | CredentialsErrorKind::NotConfigured
    ) {
        message.push_str(&format!(
            "\n  set {ENV_AK} and {ENV_SK} (with {ENV_SECURITY_TOKEN} and {ENV_DOMAIN_ID} where \
             needed) or {ENV_TOKEN}, or write a key pair with osm configure"
        ));
    }
    message.push_str("\n  or try without an account: osm --emulator ...");
    let tried: Vec<_> = e
        .tried()
        .iter()
        .map(|t| json!({"source": t.source_name(), "message": t.message()}))
        .collect();
    Failure {
        code,
        json: json!({"error": {
            "kind": "Credentials",
            "message": message,
            "source": e.source_name(),
            "tried": tried,
            "outcome_unknown": false,
        }}),
        message,
    }
}

/// The credentials a command uses: the emulator's own with `--emulator` (whatever the
/// environment or the profile holds), else the first the configured source yields;
/// `None` only for a dry run without any.
pub async fn credentials(global: &ArgMatches) -> Result<Option<Credentials>, Failure> {
    if global.get_flag("emulator") {
        return Ok(Some(Credentials::token(EMULATOR_TOKEN)));
    }
    let source = source();
    if global.get_flag("dry_run") {
        return Ok(local_credentials(source));
    }
    let provider = provider(source).map_err(|e| credentials_failure(&e))?;
    let current = provider
        .current()
        .await
        .map_err(|e| credentials_failure(&e))?;
    let _ = PROVIDER.set(provider);
    Ok(Some(current))
}

/// Turns on logging (`-v`, or `RUST_LOG`) with every secret of `credentials`, and the
/// IAM password of the environment, redacted.
pub fn logging(global: &ArgMatches, credentials: Option<&Credentials>) {
    let mut secrets: Vec<String> = credentials
        .map(|c| c.secrets().into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    if let Ok(p) = std::env::var(ENV_IAM_PASSWORD) {
        secrets.push(p);
    }
    redact::init_logging(global.get_count("verbose"), secrets);
}

/// The timeout in force (checked when read: a positive, finite number of seconds).
pub fn timeout(_global: &ArgMatches) -> Result<Duration, Failure> {
    let secs = config::settings().timeout_secs();
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Failure::usage("--timeout must be a positive number of seconds"))
}

/// What every command built from an operation's rules does before its call: checks
/// `input` against the spec (exit 2 before anything starts), gets the credentials and
/// turns on logging, then either prints the dry run (the request as it would go,
/// see [`crate::dryrun`]) and gives `None`, or starts the session to send it in.
pub async fn for_operation(
    global: &ArgMatches,
    op: &'static OperationRules,
    input: &Input,
) -> Result<Option<Session>, Failure> {
    input
        .check()
        .map_err(|e| from_error(e.into(), |field| crate::args::flag_of(op, field)))?;
    let credentials = credentials(global).await?;
    logging(global, credentials.as_ref());
    if global.get_flag("dry_run") {
        let request = crate::dryrun::Request::of(global, credentials.as_ref(), input);
        crate::dryrun::print(&[request], dry_run_json(global));
        return Ok(None);
    }
    Session::start(global, credentials).await.map(Some)
}

/// Whether the output in force is JSON (for the commands that do not pass it down).
fn dry_run_json(global: &ArgMatches) -> bool {
    use std::io::IsTerminal;
    global.get_one::<String>("query").is_some()
        || match config::settings().get("output") {
            Some(o) => o == "json",
            None => !std::io::stdout().is_terminal(),
        }
}

/// A client, and the emulator it talks to when `--emulator` is given.
pub struct Session {
    pub client: Client,
    emulator: Option<crate::emulator::Held>,
}

/// Set once the emulator was announced, so that a command that starts it again (each
/// look of `case watch`) says so once.
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl Session {
    /// Starts the emulator if asked, and builds the client.
    pub async fn start(
        global: &ArgMatches,
        credentials: Option<Credentials>,
    ) -> Result<Session, Failure> {
        let timeout = timeout(global)?;
        let settings = config::settings();
        let emulator = if global.get_flag("emulator") {
            let held = crate::emulator::start(global, None).await?;
            if !QUIET.load(std::sync::atomic::Ordering::Relaxed) {
                eprintln!(
                    "osm: using the embedded emulator on {} (no real ticket is opened; start \
                     afresh with osm emulator reset)",
                    crate::emulator::state_file(global)?.display()
                );
            }
            Some(held)
        } else {
            None
        };
        let site = site(global);
        let endpoint = match &emulator {
            Some(e) => e.emulator.base_url().to_string(),
            None => endpoint(global),
        };
        let mut builder = Client::builder()
            .site(site)
            .endpoint(endpoint)
            .timeout(timeout)
            .retry(RetryPolicy::default().with_max_attempts(settings.max_attempts()))
            // A create whose answer is lost is looked up rather than left to the operator.
            .exactly_once(!global.get_flag("no_reconcile"));
        if let Some(w) = global.get_one::<std::time::Duration>("reconcile_window") {
            builder = builder.reconcile_window(*w);
        }
        if let Some(l) = settings.get("language") {
            builder = builder.language(l);
        }
        if let Some(t) = settings.get("time_zone") {
            builder = builder.time_zone(t);
        }
        match (PROVIDER.get(), credentials) {
            (Some(p), _) if emulator.is_none() => builder = builder.credentials_provider(p.clone()),
            (_, Some(c)) => builder = builder.credentials(c),
            _ => {}
        }
        let client = builder.build().map_err(|e| from_error(e, |_| None))?;
        Ok(Session { client, emulator })
    }

    /// The base URL of the embedded emulator, if one was started.
    pub fn emulator_url(&self) -> Option<String> {
        self.emulator.as_ref().map(|e| e.emulator.base_url())
    }

    /// Whether the session talks to the embedded emulator.
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }

    /// Stops the emulator, if one was started, keeping its state and letting the next
    /// command use it.
    pub async fn finish(self) {
        if let Some(e) = self.emulator {
            e.finish().await;
            QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
