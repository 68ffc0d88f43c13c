//! `osm`: open Huawei Cloud service tickets from the shell. See `osm --help`.

mod args;
mod redact;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Duration;

use clap::ArgMatches;
use huaweicloud_osm::rules::{self, Kind};
use huaweicloud_osm::{Client, Credentials, Error, ErrorKind, NewCase, Site};
use serde_json::{Map, Value, json};

/// Token used with `--emulator` when the environment holds no credentials.
const EMULATOR_TOKEN: &str = "osm-emulator-demo-token";

/// A failure with its exit code; the message is printed on standard error.
struct Failure {
    code: u8,
    message: String,
    json: Option<Value>,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
            json: None,
        }
    }

    fn setup(message: impl Into<String>) -> Self {
        Self {
            code: 4,
            message: message.into(),
            json: None,
        }
    }
}

fn exit_code(err: &Error) -> u8 {
    match err.kind() {
        ErrorKind::Validation => 2,
        ErrorKind::Credentials | ErrorKind::Configuration | ErrorKind::Connect => 4,
        _ if err.outcome_unknown() => 3,
        _ => 1,
    }
}

fn error_json(err: &Error) -> Value {
    json!({
        "error": {
            "kind": format!("{:?}", err.kind()),
            "message": err.to_string(),
            "http_status": err.http_status(),
            "error_code": err.error_code(),
            "error_msg": err.error_msg(),
            "request_id": err.request_id(),
            "outcome_unknown": err.outcome_unknown(),
            "attempts": err.attempts(),
        }
    })
}

fn from_error(err: Error) -> Failure {
    let mut message = format!("error: {err}");
    if let Some(rule) = err.validation().and_then(|v| rules::body_field(v.field())) {
        message.push_str(&format!(" (flag --{})", args::flag_name(rule)));
    }
    if err.kind() == ErrorKind::Service {
        for (label, value) in [
            ("error_code", err.error_code()),
            ("error_msg", err.error_msg()),
            ("request id", err.request_id()),
        ] {
            if let Some(v) = value {
                message.push_str(&format!("\n  {label}: {v}"));
            }
        }
    } else if err.outcome_unknown() {
        message.push_str(&format!(
            "\n  the ticket may exist: check the console before trying again (request id: {})",
            err.request_id().unwrap_or("unknown")
        ));
    }
    Failure {
        code: exit_code(&err),
        message,
        json: Some(error_json(&err)),
    }
}

fn main() -> ExitCode {
    let matches = args::command().get_matches();
    let json_output = match matches.get_one::<String>("output").map(String::as_str) {
        Some("json") => true,
        Some(_) => false,
        None => !std::io::stdout().is_terminal(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("osm: cannot start: {e}");
            return ExitCode::from(4);
        }
    };
    match runtime.block_on(run(&matches, json_output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if let Some(j) = f.json.as_ref().filter(|_| json_output) {
                println!("{j}");
            }
            eprintln!("osm: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn run(matches: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    match matches.subcommand() {
        Some(("completions", sub)) => {
            let shell = *sub
                .get_one::<clap_complete::Shell>("shell")
                .ok_or_else(|| Failure::usage("no shell"))?;
            clap_complete::generate(shell, &mut args::command(), "osm", &mut std::io::stdout());
            Ok(())
        }
        Some(("case", sub)) => match sub.subcommand() {
            Some(("create", create)) => create_case(matches, create, json_output).await,
            _ => Err(Failure::usage("unknown case command; see osm case --help")),
        },
        _ => Err(Failure::usage("unknown command; see osm --help")),
    }
}

/// The body from `--body` (a file, or `-` for standard input), then the flags on top.
fn build_case(m: &ArgMatches) -> Result<NewCase, Failure> {
    let mut case = match m.get_one::<String>("body") {
        Some(path) => {
            let text = if path == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| Failure::usage(format!("--body -: {e}")))?;
                s
            } else {
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::usage(format!("--body {path}: {e}")))?
            };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| Failure::usage(format!("--body {path}: not JSON: {e}")))?;
            NewCase::from_json(value).map_err(|e| Failure::usage(format!("--body {path}: {e}")))?
        }
        None => NewCase::from_json(Value::Object(Map::new()))
            .map_err(|e| Failure::usage(e.to_string()))?,
    };
    for rule in rules::BODY {
        match rule.kind {
            Kind::StringArray => {
                if let Some(items) = m.get_many::<String>(rule.name) {
                    case = case.set(
                        rule.name,
                        Value::Array(items.cloned().map(Value::String).collect()),
                    );
                }
            }
            Kind::Object => {
                if let Some(pairs) = m.get_many::<String>(rule.name) {
                    let mut map = case
                        .body()
                        .get(rule.name)
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for pair in pairs {
                        let (k, v) = pair.split_once('=').ok_or_else(|| {
                            Failure::usage(format!(
                                "--{} {pair:?}: expected KEY=JSON",
                                args::flag_name(rule)
                            ))
                        })?;
                        // A value that is not JSON is taken as a string: channel=alerting.
                        let v =
                            serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_owned()));
                        map.insert(k.to_owned(), v);
                    }
                    case = case.set(rule.name, Value::Object(map));
                }
            }
            _ => {
                if let Some(v) = m.get_one::<String>(rule.name) {
                    case = case.set(rule.name, Value::String(v.clone()));
                }
            }
        }
    }
    if let Some(v) = m.get_one::<String>("language") {
        case = case.language(v);
    }
    if let Some(v) = m.get_one::<String>("time_zone") {
        case = case.time_zone(v);
    }
    if let Some(v) = m.get_one::<String>("phone_verified_id") {
        case = case.phone_verified_id(v);
    }
    if let Some(v) = m.get_one::<String>("email_verified_id") {
        case = case.email_verified_id(v);
    }
    Ok(case)
}

fn site(m: &ArgMatches) -> Site {
    match m.get_one::<String>("site").map(String::as_str) {
        Some("cn") => Site::China,
        Some("eu") => Site::Europe,
        _ => Site::International,
    }
}

/// What `--dry-run` prints: the request as it would go out, secrets redacted.
fn dry_run(
    endpoint: &str,
    site: Site,
    credentials: Option<&Credentials>,
    case: &NewCase,
    json_output: bool,
) {
    let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    match credentials {
        Some(c) if c.scheme() == "token" => headers.push(("X-Auth-Token".into(), "[REDACTED]".into())),
        Some(c) => headers.push((
            "Authorization".into(),
            format!(
                "SDK-HMAC-SHA256 Access={}, SignedHeaders=[computed when sent], Signature=[computed when sent]",
                c.access_key().unwrap_or_default()
            ),
        )),
        None => headers.push(("Authorization".into(), "[no credentials found]".into())),
    }
    if let Some(x) = site.x_site() {
        headers.push(("X-Site".into(), x.to_string()));
    }
    for (name, value) in case.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    let url = format!("{}/v2/servicerequest/cases", endpoint.trim_end_matches('/'));
    let body = Value::Object(case.body().clone());
    if json_output {
        let headers: Map<String, Value> = headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        println!(
            "{}",
            json!({"dry_run": true, "method": "POST", "url": url, "headers": headers, "body": body})
        );
    } else {
        println!("POST {url}");
        for (k, v) in headers {
            println!("{k}: {v}");
        }
        println!();
        println!(
            "{}",
            serde_json::to_string_pretty(&body).unwrap_or_default()
        );
        eprintln!("osm: dry run: nothing was sent");
    }
}

async fn create_case(
    global: &ArgMatches,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let case = build_case(m)?;
    let site = site(global);
    let use_emulator = global.get_flag("emulator");
    let credentials = match Credentials::from_env() {
        Ok(c) => Some(c),
        Err(_) if use_emulator => Some(Credentials::token(EMULATOR_TOKEN)),
        Err(e) if global.get_flag("dry_run") => {
            tracing::debug!("{e}");
            None
        }
        Err(e) => {
            return Err(Failure::setup(format!(
                "{e}\n  or try without an account: osm --emulator case create ..."
            )));
        }
    };
    redact::init_logging(
        global.get_count("verbose"),
        credentials
            .as_ref()
            .map(|c| c.secrets().into_iter().map(str::to_owned).collect())
            .unwrap_or_default(),
    );
    // Invalid input exits 2 before anything starts or is sent, dry run included.
    case.validate().map_err(|v| from_error(Error::from(v)))?;

    let endpoint_flag = global.get_one::<String>("endpoint").cloned();
    if global.get_flag("dry_run") {
        let endpoint = endpoint_flag.unwrap_or_else(|| site.endpoint().to_owned());
        dry_run(&endpoint, site, credentials.as_ref(), &case, json_output);
        return Ok(());
    }

    let emulator = if use_emulator {
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
    let endpoint = match (&emulator, endpoint_flag) {
        (Some(e), _) => e.base_url().to_string(),
        (None, Some(url)) => url,
        (None, None) => site.endpoint().to_owned(),
    };
    let timeout = global.get_one::<f64>("timeout").copied().unwrap_or(60.0);
    let timeout = Duration::try_from_secs_f64(timeout)
        .map_err(|_| Failure::usage("--timeout must be a positive number of seconds"))?;
    let mut builder = Client::builder()
        .site(site)
        .endpoint(endpoint)
        .timeout(timeout);
    if let Some(c) = credentials {
        builder = builder.credentials(c);
    }
    let client = builder.build().map_err(from_error)?;
    let result = client.create_case(&case).await;
    if let Some(e) = emulator {
        e.shutdown().await;
    }
    let created = result.map_err(from_error)?;
    if json_output {
        println!("{}", serde_json::to_string(&created).unwrap_or_default());
    } else {
        println!("Created ticket {}", created.incident_id);
        if let Some(id) = &created.request_id {
            println!("  request id: {id}");
        }
    }
    Ok(())
}
