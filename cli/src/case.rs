//! `osm case …`: open a ticket. Every body field and header of create_case is a flag,
//! derived from the spec's rules.

use std::io::IsTerminal;

use clap::{Arg, ArgAction, ArgMatches, Command};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{self, Location, OperationRules};
use huaweicloud_osm::{Credentials, Error, NewCase};
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

  Start from a body with every member, fill it in, send it:
    osm case create --skeleton > ticket.json
    osm case create --body ticket.json

  Read the body from standard input, print JSON:
    echo '{\"business_type_id\":\"1\",\"simple_description\":\"disk full\"}' | osm --output json case create --body -";

/// The longest `--unless-open` window: a year.
const UNLESS_OPEN_MAX: f64 = 366.0 * 86_400.0;

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
        )
        .arg(
            Arg::new("skeleton")
                .long("skeleton")
                .action(ArgAction::SetTrue)
                .help(
                    "Print a body with every member, ready to fill in and pass to --body; \
                     send nothing",
                )
                .help_heading("Body"),
        )
        .arg(
            args::duration_arg("unless_open", UNLESS_OPEN_MAX)
                .long("unless-open")
                .help(
                    "If a ticket with the same description and problem type was opened within \
                     DURATION (24h, 90m, 7d, or SECONDS) and is still open, print it \
                     (already_open) instead of opening another. For handlers that may run \
                     twice for one event: put the event's fingerprint in the description",
                ),
        );
    let mut cmd = Command::new("case")
        .about("Service tickets: open, list, read, follow and act on them")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(crate::attachment::attach_args(args::operation_args(
            create,
            rules::CREATE_CASE,
            true,
        )));
    for (name, op, about, _) in FOLLOW_UP {
        let mut sub = Command::new(*name).about(*about);
        // Every body field is a flag, an action's too (--operate-desc, --judgement…);
        // only the action_id a command fixes, and reply's message (below), are not.
        sub = args::operation_args_except(sub, op, true, &["action_id", "message"]);
        if *name == "reply" {
            // The message's members, from the spec's rules of the nested object.
            let members = op
                .body_field("message")
                .map(|r| r.properties)
                .unwrap_or_default();
            for m in members {
                let arg = Arg::new(m.name)
                    .long(args::flag_name(m))
                    .help(args::field_help(m))
                    .required(m.required)
                    .help_heading("Message");
                sub = sub.arg(if m.kind == huaweicloud_osm::rules::Kind::Array {
                    arg.action(clap::ArgAction::Append).value_name("ID")
                } else {
                    arg.value_name("TEXT")
                });
            }
            sub = crate::attachment::reply_attach_arg(sub, op);
        }
        if *name == "watch" {
            sub = sub
                .arg(
                    Arg::new("interval")
                        .long("interval")
                        .value_name("SECONDS")
                        .allow_negative_numbers(true)
                        .value_parser(args::seconds)
                        .default_value("30")
                        .help("Seconds between two looks at the status"),
                )
                .arg(
                    Arg::new("from")
                        .long("from")
                        .value_name("STATUS")
                        .value_parser(clap::value_parser!(i64))
                        .help(
                            "Wait until the status differs from STATUS rather than from the first \
                             one seen (a change made before the watch starts is seen at once)",
                        ),
                )
                .arg(
                    Arg::new("max_polls")
                        .long("max-polls")
                        .value_name("N")
                        .value_parser(clap::value_parser!(u32).range(1..))
                        .default_value("2880")
                        .help("Give up (exit 6) after this many looks without a change"),
                );
        }
        let codes = match (*name, op.method) {
            ("watch", _) => args::EXIT_CODES_WATCH,
            (_, "GET") => args::EXIT_CODES_READ,
            _ => args::EXIT_CODES_ACTION,
        };
        cmd = cmd.subcommand(sub.after_help(codes));
    }
    cmd
}

/// The follow-up commands: name, operation, help, and the `action_id` a command fixes.
const FOLLOW_UP: &[(&str, &OperationRules, &str, Option<&str>)] = &[
    (
        "list",
        rules::LIST_CASES,
        "List tickets, newest first, with filters",
        None,
    ),
    (
        "show",
        rules::SHOW_CASE_DETAIL,
        "Show a ticket with its messages and contact details",
        None,
    ),
    (
        "status",
        rules::SHOW_CASE_STATUS,
        "Show a ticket's status",
        None,
    ),
    (
        "messages",
        rules::LIST_MESSAGES,
        "List a ticket's messages",
        None,
    ),
    (
        "reply",
        rules::CREATE_MESSAGE,
        "Add a message to a ticket (--content)",
        None,
    ),
    (
        "close",
        rules::UPDATE_CASE,
        "Close a ticket (its problem is solved)",
        Some("close"),
    ),
    (
        "cancel",
        rules::UPDATE_CASE,
        "Cancel (withdraw) a ticket",
        Some("cancel"),
    ),
    (
        "urge",
        rules::UPDATE_CASE,
        "Urge support to handle a ticket",
        Some("press"),
    ),
    (
        "delete",
        rules::UPDATE_CASE,
        "Delete a completed or cancelled ticket",
        Some("delete"),
    ),
    (
        "watch",
        rules::SHOW_CASE_STATUS,
        "Wait until a ticket's status changes, then print it",
        None,
    ),
];

/// Runs `osm case …`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    match m.subcommand() {
        Some(("create", create)) => create_case(global, create, json_output).await,
        Some((name, sm)) => match FOLLOW_UP.iter().find(|(n, ..)| *n == name) {
            Some((name, op, _, fixed)) => {
                follow_up(global, sm, json_output, name, op, *fixed).await
            }
            None => Err(Failure::usage("unknown case command; see osm case --help")),
        },
        None => Err(Failure::usage("unknown case command; see osm case --help")),
    }
}

async fn follow_up(
    global: &ArgMatches,
    m: &ArgMatches,
    json_output: bool,
    name: &str,
    op: &'static OperationRules,
    fixed: Option<&str>,
) -> Result<(), Failure> {
    let flag = |field: &str| args::flag_of(op, field);
    let mut input = Input::new(op);
    // `reply` takes the message as flags of the nested object's members.
    if name == "reply" {
        let mut message = Map::new();
        for member in op
            .body_field("message")
            .map(|r| r.properties)
            .unwrap_or_default()
        {
            if let Some(items) = m
                .get_many::<String>(member.name)
                .filter(|_| member.kind == huaweicloud_osm::rules::Kind::Array)
            {
                message.insert(
                    member.name.into(),
                    Value::Array(items.cloned().map(Value::String).collect()),
                );
            } else if let Some(v) = m.get_one::<String>(member.name) {
                message.insert(member.name.into(), Value::String(v.clone()));
            }
        }
        input.set_body("message", Value::Object(message));
    }
    args::fill_input_except(op, m, &mut input, true, &["action_id", "message"])?;
    if let Some(action) = fixed {
        input
            .set("action_id", Value::String(action.into()))
            .map_err(|e| Failure::usage(e.to_string()))?;
    }
    if name == "reply" && m.get_many::<String>("attach").is_some() {
        return crate::attachment::reply_with(global, m, input, json_output).await;
    }
    let Some(session) = session::for_operation(global, op, &input).await? else {
        return Ok(());
    };
    if name == "watch" {
        return watch(global, session, m, input, json_output).await;
    }
    let result = {
        session
            .client
            .send_json(input)
            .await
            .map(|a| {
                if fixed.is_some() || name == "reply" {
                    if json_output {
                        output::json(String::from_utf8_lossy(a.raw_json()).trim());
                    } else {
                        output::out(&format!("done: {name}"));
                    }
                } else {
                    answer(a.raw_json(), a.value(), json_output);
                }
            })
            .map_err(|e| from_error(e, flag))
    };
    session.finish().await;
    result
}

/// Prints an answer of a ticket: JSON as the service sent it, or text with each
/// status shown with its label.
fn answer(raw: &[u8], value: &Value, json_output: bool) {
    if json_output {
        output::answer(raw, value, true);
    } else {
        let mut labelled = value.clone();
        crate::status::label_members(&mut labelled);
        output::text(&labelled);
    }
}

/// Polls the status until it differs from the first one seen, then prints the old and
/// the new status and the ticket's newest message. Under `--emulator` the emulator is
/// started for each look (and stopped between looks), so that other commands — the
/// support side's `osm emulator reply` — can change the state meanwhile.
async fn watch(
    global: &ArgMatches,
    mut session: Session,
    m: &ArgMatches,
    input: Input,
    json_output: bool,
) -> Result<(), Failure> {
    let interval = m.get_one::<f64>("interval").copied().unwrap_or(30.0);
    if interval.is_nan() || interval <= 0.0 {
        session.finish().await;
        return Err(Failure::usage(
            "--interval must be a positive number of seconds",
        ));
    }
    let interval = std::time::Duration::from_secs_f64(interval.min(86_400.0));
    let max = m.get_one::<u32>("max_polls").copied().unwrap_or(2880);
    let flag = |field: &str| args::flag_of(rules::SHOW_CASE_STATUS, field);
    let terminal = std::io::stderr().is_terminal();
    let mut first = m.get_one::<i64>("from").map(|s| Some(*s));
    for poll in 1..=max {
        let a = match session.client.send_json(input.clone()).await {
            Ok(a) => a,
            Err(e) => {
                session.finish().await;
                return Err(from_error(e, flag));
            }
        };
        let status = a.value().get("status").and_then(Value::as_i64);
        match first {
            None => first = Some(status),
            Some(old) if old != status => {
                let newest = newest_message(&session, &input).await;
                session.finish().await;
                print_change(&input, old, status, newest, json_output);
                return Ok(());
            }
            Some(_) => {}
        }
        if terminal {
            eprint!(
                "\rosm: status {} after {poll} look(s); next in {} s  ",
                status.map_or("?".into(), crate::status::show),
                interval.as_secs_f64()
            );
        }
        if poll < max {
            if session.is_emulated() {
                session.finish().await;
                tokio::time::sleep(interval).await;
                let credentials = session::credentials(global).await?;
                session = Session::start(global, credentials).await?;
            } else {
                tokio::time::sleep(interval).await;
            }
        }
    }
    session.finish().await;
    if terminal {
        eprintln!();
    }
    let shown = first
        .flatten()
        .map_or("unknown".into(), crate::status::show);
    Err(Failure::plain_code(
        6,
        "WatchGaveUp",
        format!("gave up: the status did not change in {max} looks (still {shown})"),
    ))
}

/// The ticket's newest message (by `create_time`), if the messages can be read.
async fn newest_message(session: &Session, status_input: &Input) -> Option<Value> {
    let id = status_input.param("case_id")?.clone();
    let mut input = Input::new(rules::LIST_MESSAGES);
    input.set("case_id", id).ok()?;
    let answer = session.client.send_json(input).await.ok()?;
    answer
        .value()
        .get("message_list")?
        .as_array()?
        .iter()
        .take(10_000)
        .max_by_key(|m| {
            m.get("create_time")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .cloned()
}

/// What `case watch` prints when the status changed.
fn print_change(
    input: &Input,
    old: Option<i64>,
    new: Option<i64>,
    newest: Option<Value>,
    json_output: bool,
) {
    let id = input
        .param("case_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if json_output {
        output::json(
            &json!({
                "incident_id": id,
                "previous_status": old,
                "status": new,
                "status_label": new.and_then(crate::status::label),
                "newest_message": newest,
            })
            .to_string(),
        );
        return;
    }
    let show = |s: Option<i64>| s.map_or("unknown".into(), crate::status::show);
    output::out(&format!(
        "{}: status {} → {}",
        output::clean(id),
        show(old),
        show(new)
    ));
    if let Some(m) = newest {
        let field = |k: &str| {
            m.get(k)
                .and_then(Value::as_str)
                .map(output::clean)
                .unwrap_or_default()
        };
        let who = match m.get("type").and_then(Value::as_i64) {
            Some(1) => "support".to_owned(),
            _ => field("replier"),
        };
        output::out(&format!(
            "newest message ({}, {}): {}",
            who,
            field("create_time"),
            field("content")
        ));
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

/// What `--dry-run` prints for a create: the request as it would go out, secrets
/// redacted (see [`crate::dryrun`]).
pub fn create_request(
    global: &ArgMatches,
    credentials: Option<&Credentials>,
    case: &NewCase,
) -> crate::dryrun::Request {
    let mut input = Input::new(rules::CREATE_CASE);
    input.set_body_map(case.body().clone());
    for (name, value) in case.headers() {
        let _ = input.set(name, Value::String(value.to_owned()));
    }
    crate::dryrun::Request::of(global, credentials, &input)
}

async fn create_case(
    global: &ArgMatches,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    if m.get_flag("skeleton") {
        return crate::schema::print_skeleton(rules::CREATE_CASE.id);
    }
    let case = build_case(m)?;
    let credentials = session::credentials(global).await?;
    session::logging(global, credentials.as_ref());
    // Invalid input exits 2 before anything starts or is sent, dry run included.
    case.validate()
        .map_err(|v| from_error(Error::from(v), flag))?;
    if m.get_many::<String>("attach").is_some() {
        return crate::attachment::create_with(global, m, case, json_output).await;
    }
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        let request = create_request(global, credentials.as_ref(), &case);
        crate::dryrun::print(&[request], json_output);
        return Ok(());
    }
    let session = Session::start(global, credentials).await?;
    let result = match m.get_one::<std::time::Duration>("unless_open") {
        Some(within) => session.client.create_case_unless_open(&case, *within).await,
        None => session.client.create_case(&case).await,
    };
    session.finish().await;
    let created = result.map_err(|e| unsettled(e, &case, flag))?;
    print_created(&created, json_output);
    Ok(())
}

/// What a create printed: the ticket, and whether it was open already.
pub fn print_created(created: &huaweicloud_osm::CreatedCase, json_output: bool) {
    if json_output {
        output::json(&serde_json::to_string(created).unwrap_or_default());
        return;
    }
    if created.already_open {
        output::out(&format!(
            "Ticket {} is already open (same description and problem type); none was opened",
            output::clean(&created.incident_id)
        ));
    } else {
        output::out(&format!(
            "Created ticket {}",
            output::clean(&created.incident_id)
        ));
    }
    if let Some(id) = &created.request_id {
        output::out(&format!("  request id: {}", output::clean(id)));
    }
    if let Some(f) = &created.found_after {
        output::out(&format!(
            "  the answer was lost ({}); the ticket was found in the ticket list",
            output::clean(f)
        ));
    }
}

/// A failed create as a failure; when the ticket may exist, with the candidates the
/// look-ups found and how to find the ticket later.
pub fn unsettled(err: Error, case: &NewCase, flag: impl Fn(&str) -> Option<String>) -> Failure {
    let candidates: Vec<String> = err.candidates().iter().map(|c| output::clean(c)).collect();
    let unknown = err.outcome_unknown();
    let mut f = from_error(err, flag);
    if !unknown {
        return f;
    }
    if !candidates.is_empty() {
        f.message.push_str(&format!(
            "\n  tickets that may be this one: {}",
            candidates.join(", ")
        ));
    }
    let key: String = case
        .get_simple_description()
        .unwrap_or_default()
        .chars()
        .take(64)
        .collect();
    let search = args::flag_of(rules::LIST_CASES, "search_key").unwrap_or_default();
    f.message.push_str(&format!(
        "\n  to find it later: osm case list {search} '{}'\n  \
         to open it only if it did not appear: run the same command again with --unless-open 1h",
        output::clean(&key.replace('\'', "'\\''"))
    ));
    f.json["error"]["candidates"] = json!(candidates);
    f
}
