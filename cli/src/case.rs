//! `osm case …`: open a ticket. Every body field and header of create_case is a flag,
//! derived from the spec's rules.

use clap::{Arg, ArgMatches, Command};
use huaweicloud_osm::rules::{self, Location};
use huaweicloud_osm::{Credentials, Error, NewCase, Site};
use serde_json::{Map, Value, json};

use crate::args;
use crate::output::{self, Failure, from_error};
use crate::session::{self, Session};

const CREATE_EXAMPLES: &str = "\
Examples:
  Try it against the embedded emulator (no real ticket is opened):
    osm --emulator case create --business-type-id 1 --simple-description \"disk full on ecs-01\"

  Pick a problem type first, then open a real ticket signed with an access key pair:
    osm lookup problem-types -o text
    export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=...
    osm --site intl case create --business-type-id <id> --region-id ap-southeast-3 \\
        --simple-description \"ECS ecs-01 does not boot\" --accessory-id att-1 --accessory-id att-2

  Take the body from a file, override one field, and see what would be sent:
    osm --dry-run case create --body ticket.json --severity-id 2

  Read the body from standard input, print JSON:
    echo '{\"business_type_id\":\"1\",\"simple_description\":\"disk full\"}' | osm --output json case create --body -";

/// `osm case`.
pub fn command() -> Command {
    let create = Command::new("create")
        .about("Open a service ticket")
        .long_about(
            "Open a service ticket. Each body field and header of the API has a flag; --body takes a \
             whole JSON body from a file or standard input, and flags override its fields. source_id \
             is filled in.",
        )
        .after_help(format!("{CREATE_EXAMPLES}\n\n{}", args::EXIT_CODES))
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE")
                .help("Read the whole JSON body from FILE, or from standard input with - (at most 1 MiB)")
                .help_heading("Body"),
        );
    Command::new("case")
        .about("Service tickets")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(crate::attachment::attach_args(args::operation_args(
            create,
            rules::CREATE_CASE,
            true,
        )))
}

/// Runs `osm case …`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    match m.subcommand() {
        Some(("create", create)) => create_case(global, create, json_output).await,
        _ => Err(Failure::usage("unknown case command; see osm case --help")),
    }
}

fn flag(field: &str) -> Option<String> {
    args::flag_of(rules::CREATE_CASE, field)
}

/// The body from `--body`, then the flags on top, and the header flags.
fn build_case(m: &ArgMatches) -> Result<NewCase, Failure> {
    let body = match m.get_one::<String>("body") {
        Some(path) => args::read_body(path)?,
        None => Map::new(),
    };
    let case =
        NewCase::from_json(Value::Object(body)).map_err(|e| Failure::usage(e.to_string()))?;
    let mut input = huaweicloud_osm::exec::Input::new(rules::CREATE_CASE);
    input.set_body_map(case.body().clone());
    args::fill_input(rules::CREATE_CASE, m, &mut input, true)?;
    let mut case = NewCase::from_json(Value::Object(input.body().clone()))
        .map_err(|e| Failure::usage(e.to_string()))?;
    for rule in rules::CREATE_CASE
        .params
        .iter()
        .filter(|r| r.location == Location::Header)
    {
        if let Some(Value::String(v)) = input.param(rule.name) {
            case = case.header(rule.name, v.clone());
        }
    }
    Ok(case)
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
    let url = format!(
        "{}{}",
        endpoint.trim_end_matches('/'),
        rules::CREATE_CASE.path
    );
    let body = Value::Object(case.body().clone());
    if json_output {
        let headers: Map<String, Value> = headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        output::out(
            &json!({"dry_run": true, "method": rules::CREATE_CASE.method, "url": url, "headers": headers, "body": body})
                .to_string(),
        );
    } else {
        output::out(&format!("{} {url}", rules::CREATE_CASE.method));
        for (k, v) in headers {
            output::out(&format!("{k}: {v}"));
        }
        output::out("");
        output::out(&serde_json::to_string_pretty(&body).unwrap_or_default());
        eprintln!("osm: dry run: nothing was sent");
    }
}

async fn create_case(
    global: &ArgMatches,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let case = build_case(m)?;
    let credentials = session::credentials(global)?;
    session::logging(global, credentials.as_ref());
    // Invalid input exits 2 before anything starts or is sent, dry run included.
    case.validate()
        .map_err(|v| from_error(Error::from(v), flag))?;
    if m.get_many::<String>("attach").is_some() {
        return crate::attachment::create_with(global, m, case, json_output).await;
    }
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        let site = session::site(global);
        let endpoint = global
            .get_one::<String>("endpoint")
            .cloned()
            .unwrap_or_else(|| site.endpoint().to_owned());
        dry_run(&endpoint, site, credentials.as_ref(), &case, json_output);
        return Ok(());
    }
    let session = Session::start(global, credentials).await?;
    let result = session.client.create_case(&case).await;
    session.finish().await;
    let created = result.map_err(|e| from_error(e, flag))?;
    if json_output {
        output::out(&serde_json::to_string(&created).unwrap_or_default());
    } else {
        output::out(&format!(
            "Created ticket {}",
            output::clean(&created.incident_id)
        ));
        if let Some(id) = &created.request_id {
            output::out(&format!("  request id: {}", output::clean(id)));
        }
    }
    Ok(())
}
