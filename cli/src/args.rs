//! The command line, built from the spec: `osm case create` has one flag per body field
//! of `spec/osm.yaml` (read through the library's rules table), so a field added to the
//! spec is a flag without touching this file.

use clap::{Arg, ArgAction, Command, value_parser};
use huaweicloud_osm::rules::{self, FieldRule, Kind};

/// Exit codes, documented in `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  the ticket was created
  1  the service refused the ticket (it was not created)
  2  invalid input or usage; nothing was sent
  3  outcome unknown: the request may have reached the service and the ticket may exist
  4  nothing could be sent: no credentials, bad configuration, or no connection";

const CREATE_EXAMPLES: &str = "\
Examples:
  Try it against the embedded emulator (no real ticket is opened):
    osm --emulator case create --business-type-id 1 --simple-description \"disk full on ecs-01\"

  Open a real ticket, signed with an access key pair:
    export HUAWEICLOUD_SDK_AK=... HUAWEICLOUD_SDK_SK=...
    osm --site intl case create --business-type-id 5 --region-id ap-southeast-3 \\
        --simple-description \"ECS ecs-01 does not boot\" --accessory-id att-1 --accessory-id att-2

  Take the body from a file, override one field, and see what would be sent:
    osm --dry-run case create --body ticket.json --severity-id 2

  Read the body from standard input, print JSON:
    echo '{\"business_type_id\":\"1\",\"simple_description\":\"disk full\"}' | osm --output json case create --body -";

/// The flag name of a body field: its API name in kebab case; arrays take one item per
/// flag, so their name is singular (`accessory_ids` → `--accessory-id`).
pub fn flag_name(rule: &FieldRule) -> String {
    let kebab = rule.name.replace('_', "-");
    match rule.kind {
        Kind::StringArray => kebab.strip_suffix('s').map(str::to_owned).unwrap_or(kebab),
        _ => kebab,
    }
}

/// The help line of a field: the spec's description and constraints.
fn field_help(rule: &FieldRule) -> String {
    let mut help = rule.description.to_owned();
    let mut limits = Vec::new();
    if rule.required && rule.default.is_none() {
        limits.push("required".to_owned());
    }
    if let Some(max) = rule.max_length {
        limits.push(format!("{}-{max} characters", rule.min_length.unwrap_or(0)));
    }
    if let Some(max) = rule.max_items {
        limits.push(format!("{}-{max} items", rule.min_items.unwrap_or(0)));
    }
    if let Some(max) = rule.item_max_length {
        limits.push(format!(
            "each {}-{max} characters",
            rule.item_min_length.unwrap_or(0)
        ));
    }
    if let Some(d) = rule.default {
        limits.push(format!("default {d}"));
    }
    if let Some(w) = rule.required_when {
        limits.push(format!("required when {} is {}", w.field, w.equals));
    }
    if !limits.is_empty() {
        help.push_str(&format!(" [{}]", limits.join("; ")));
    }
    help
}

fn create_command() -> Command {
    let mut cmd = Command::new("create")
        .about("Open a service ticket")
        .long_about(
            "Open a service ticket. Each body field of the API has a flag; --body takes a whole JSON \
             body from a file or standard input, and flags override its fields. source_id is filled in.",
        )
        .after_help(format!("{CREATE_EXAMPLES}\n\n{EXIT_CODES}"))
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE")
                .help("Read the whole JSON body from FILE, or from standard input with -")
                .help_heading("Body"),
        );
    for rule in rules::BODY {
        let name = flag_name(rule);
        let mut arg = Arg::new(rule.name)
            .long(name)
            .help(field_help(rule))
            .help_heading("Body fields");
        arg = match rule.kind {
            Kind::StringArray => arg.value_name("ID").action(ArgAction::Append),
            Kind::Object => arg.value_name("KEY=JSON").action(ArgAction::Append),
            _ => arg.value_name("TEXT"),
        };
        cmd = cmd.arg(arg);
    }
    let header = |id: &'static str, long: &'static str, wire: &'static str| {
        let rule = rules::header(wire);
        let help = rule.map(field_help).unwrap_or_default();
        Arg::new(id)
            .long(long)
            .value_name("TEXT")
            .help(format!("{help} (header {wire})"))
            .help_heading("Headers")
    };
    cmd.arg(header("language", "language", "X-Language"))
        .arg(header("time_zone", "time-zone", "X-Time-Zone"))
        .arg(header(
            "phone_verified_id",
            "phone-verified-id",
            "x-phone-verifiedid",
        ))
        .arg(header(
            "email_verified_id",
            "email-verified-id",
            "x-email-verifiedid",
        ))
}

/// The whole `osm` command.
pub fn command() -> Command {
    Command::new("osm")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Open Huawei Cloud service tickets (OSM) from the shell")
        .long_about(
            "Open Huawei Cloud service tickets (OSM) from the shell.\n\n\
             Credentials come from the environment: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK \
             (with HUAWEICLOUD_SDK_SECURITY_TOKEN and HUAWEICLOUD_SDK_DOMAIN_ID where needed), \
             or HUAWEICLOUD_AUTH_TOKEN. Try everything without an account with --emulator.",
        )
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(Arg::new("endpoint").long("endpoint").global(true).value_name("URL").help("Send requests to URL instead of the site's endpoint"))
        .arg(
            Arg::new("site")
                .long("site")
                .global(true)
                .value_parser(["cn", "intl", "eu"])
                .default_value("intl")
                .help("The Huawei Cloud site: China, International or Europe"),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .global(true)
                .value_name("SECONDS")
                .value_parser(value_parser!(f64))
                .default_value("60")
                .help("Time allowed for one attempt"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_parser(["json", "text"])
                .help("Output format [default: text on a terminal, json otherwise]"),
        )
        .arg(
            Arg::new("dry_run")
                .long("dry-run")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Print the request that would be sent (secrets redacted) and send nothing"),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .action(ArgAction::Count)
                .help("Log to standard error; repeat for more (-vvv: everything). Secrets are redacted"),
        )
        .arg(
            Arg::new("emulator")
                .long("emulator")
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Run against an embedded emulator started for this command; no real ticket is opened"),
        )
        .arg(
            Arg::new("emulator_state")
                .long("emulator-state")
                .global(true)
                .value_name("FILE")
                .requires("emulator")
                .help("With --emulator: keep the emulator's tickets in FILE between runs"),
        )
        .subcommand(
            Command::new("case")
                .about("Service tickets")
                .subcommand_required(true)
                .arg_required_else_help(true)
                .subcommand(create_command()),
        )
        .subcommand(
            Command::new("completions")
                .about("Print a shell completion script")
                .after_help("Example:\n  osm completions bash > ~/.local/share/bash-completion/completions/osm")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(value_parser!(clap_complete::Shell)),
                ),
        )
}
