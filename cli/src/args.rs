//! The command line, built from the spec: every operation's flags are derived from its
//! rules (read through the library's rules table, itself generated from
//! `spec/osm.yaml`), so a parameter or body field added to the spec is a flag without
//! touching this file.

use clap::{Arg, ArgAction, ArgMatches, Command, value_parser};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{FieldRule, Kind, Location, OperationRules};
use serde_json::{Map, Value};

use crate::output::Failure;

/// Exit codes, documented in `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done (the ticket was created, the answer printed)
  1  the service refused the request (a ticket was not created)
  2  invalid input or usage; nothing was sent
  3  outcome unknown: the request may have reached the service and the ticket may exist
  4  nothing could be sent: no credentials, bad configuration, or no connection
  5  authentication failed: the credentials were refused (HTTP 401/403, APIGW.0301, OSM.0002/0003)";

/// The exit codes of a command that only reads (a GET: retried when safe, never
/// "outcome unknown").
pub const EXIT_CODES_READ: &str = "\
Exit codes:
  0  done (the answer printed)
  1  the service refused the request
  2  invalid input or usage; nothing was sent
  4  nothing could be sent: no credentials, bad configuration, or no connection
  5  authentication failed: the credentials were refused (HTTP 401/403, APIGW.0301, OSM.0002/0003)";

/// The exit codes of a command that changes something (a reply, an action, an upload,
/// a code sent).
pub const EXIT_CODES_ACTION: &str = "\
Exit codes:
  0  done
  1  the service refused the request (nothing was changed)
  2  invalid input or usage; nothing was sent
  3  outcome unknown: the request may have reached the service and taken effect; look before sending it again
  4  nothing could be sent: no credentials, bad configuration, or no connection
  5  authentication failed: the credentials were refused (HTTP 401/403, APIGW.0301, OSM.0002/0003)";

/// The exit codes of `osm case watch`.
pub const EXIT_CODES_WATCH: &str = "\
Exit codes:
  0  the status changed (old and new status printed, with the newest message)
  1  the service refused the request
  2  invalid input or usage; nothing was sent
  4  nothing could be sent: no credentials, bad configuration, or no connection
  5  authentication failed: the credentials were refused (HTTP 401/403, APIGW.0301, OSM.0002/0003)
  6  gave up: the status did not change in --max-polls looks";

/// Every exit code of `osm`, for `osm --help` (each command's help lists its own).
pub const EXIT_CODES_ALL: &str = "\
Exit codes (each command's --help lists those it uses):
  0  done
  1  the service refused the request
  2  invalid input or usage; nothing was sent
  3  outcome unknown: the request may have reached the service (the ticket may exist)
  4  nothing could be sent: no credentials, bad configuration, or no connection
  5  authentication failed: the credentials were refused
  6  osm case watch gave up: the status did not change in --max-polls looks";

/// Global flags, whose names a field's flag must not take.
pub const GLOBAL_FLAGS: &[&str] = &[
    "profile",
    "endpoint",
    "max-attempts",
    "credentials",
    "query",
    "raw",
    "site",
    "timeout",
    "output",
    "dry-run",
    "verbose",
    "emulator",
    "emulator-state",
    "no-reconcile",
    "reconcile-window",
    "unless-open",
    "body",
    "skeleton",
    "out",
    "max-bytes",
    "help",
    "version",
];

/// The flag name of a field: its API name in kebab case (a camelCase name split at its
/// capitals: `pageNo` → `--page-no`), without a header's `x-` prefix; arrays take one
/// item per flag, so their name is singular (`accessory_ids` → `--accessory-id`).
pub fn flag_name(rule: &FieldRule) -> String {
    let mut kebab = String::with_capacity(rule.name.len() + 4);
    let mut previous: Option<char> = None;
    for c in rule.name.chars() {
        if c.is_ascii_uppercase()
            && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
        {
            kebab.push('-');
        }
        kebab.push(if c == '_' {
            '-'
        } else {
            c.to_ascii_lowercase()
        });
        previous = Some(c);
    }
    if rule.location == Location::Header
        && let Some(rest) = kebab.strip_prefix("x-")
    {
        kebab = rest.to_owned();
    }
    match rule.kind {
        Kind::Array => kebab.strip_suffix('s').map(str::to_owned).unwrap_or(kebab),
        _ => kebab,
    }
}

/// Whether a field gets a flag of its own: a header whose flag a global flag already
/// is (`X-Site` and `--site`) is set through the global one.
pub fn has_flag(rule: &FieldRule) -> bool {
    !(rule.location == Location::Header && GLOBAL_FLAGS.contains(&flag_name(rule).as_str()))
}

/// The help line of a field: the spec's description and constraints.
pub fn field_help(rule: &FieldRule) -> String {
    let mut help = rule.description.to_owned();
    let mut limits = Vec::new();
    if rule.required && rule.default.is_none() && rule.fixed().is_none() {
        limits.push("required".to_owned());
    }
    if let Some(max) = rule.max_length {
        limits.push(format!("{}-{max} characters", rule.min_length.unwrap_or(0)));
    }
    if let (Some(min), Some(max)) = (rule.minimum, rule.maximum) {
        limits.push(format!("{min}-{max}"));
    }
    if let Some(max) = rule.max_items {
        limits.push(format!("{}-{max} items", rule.min_items.unwrap_or(0)));
    }
    if let Some(items) = rule.items
        && let Some(max) = items.max_length
    {
        limits.push(format!(
            "each {}-{max} characters",
            items.min_length.unwrap_or(0)
        ));
    }
    if rule.allowed.len() > 1 {
        limits.push(format!("one of {}", rule.allowed.join(", ")));
    }
    if let Some(d) = rule.default {
        limits.push(format!("default {d}"));
    }
    if let Some(w) = rule.required_when {
        limits.push(format!("required when {w}"));
    }
    match rule.location {
        Location::Header => limits.push(format!("header {}", rule.name)),
        Location::Query => limits.push(format!("query {}", rule.name)),
        _ => {}
    }
    if !limits.is_empty() {
        help.push_str(&format!(" [{}]", limits.join("; ")));
    }
    help
}

fn value_name(rule: &FieldRule) -> &'static str {
    match rule.kind {
        Kind::Array => "ITEM",
        Kind::Object => "KEY=JSON",
        Kind::Integer => "N",
        Kind::Boolean => "true|false",
        _ => "TEXT",
    }
}

/// One flag (or, for a path parameter, a positional argument) per field of `op` that
/// has a flag; body fields when `with_body`.
pub fn operation_args(cmd: Command, op: &OperationRules, with_body: bool) -> Command {
    operation_args_except(cmd, op, with_body, &[])
}

/// [`operation_args`] without the fields named in `except` (a command that fixes them).
pub fn operation_args_except(
    mut cmd: Command,
    op: &OperationRules,
    with_body: bool,
    except: &[&str],
) -> Command {
    for rule in op
        .params
        .iter()
        .filter(|r| has_flag(r) && !except.contains(&r.name))
    {
        let arg = match rule.location {
            Location::Path => Arg::new(rule.name)
                .value_name(rule.name.to_ascii_uppercase())
                .required(true)
                .help(field_help(rule)),
            _ => {
                let heading = match rule.location {
                    Location::Header => "Headers",
                    _ => "Query parameters",
                };
                let mut arg = Arg::new(rule.name)
                    .long(flag_name(rule))
                    .value_name(value_name(rule))
                    .help(field_help(rule))
                    .help_heading(heading);
                if rule.kind == Kind::Array {
                    arg = arg.action(ArgAction::Append);
                }
                arg
            }
        };
        cmd = cmd.arg(arg);
    }
    if with_body {
        for rule in op.body.iter().filter(|r| !except.contains(&r.name)) {
            let mut arg = Arg::new(rule.name)
                .long(flag_name(rule))
                .value_name(value_name(rule))
                .help(field_help(rule))
                .help_heading("Body fields");
            if matches!(rule.kind, Kind::Array | Kind::Object) {
                arg = arg.action(ArgAction::Append);
            }
            cmd = cmd.arg(arg);
        }
    }
    if let huaweicloud_osm::rules::AnswerKind::Bytes { media_type } = op.answer {
        cmd = cmd
            .arg(
                Arg::new("out")
                    .long("out")
                    .value_name("FILE")
                    .required(true)
                    .help(format!(
                        "Write the file the service answers ({media_type}) to FILE (written \
                         beside it, then renamed: a failed download leaves nothing), or to \
                         standard output with - (not a terminal)"
                    ))
                    .help_heading("Download"),
            )
            .arg(
                Arg::new("max_bytes")
                    .long("max-bytes")
                    .value_name("BYTES")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .default_value(DEFAULT_MAX_DOWNLOAD.to_string())
                    .help("Refuse a file longer than this")
                    .help_heading("Download"),
            );
    }
    cmd
}

/// The default bound of a download (`--max-bytes`): 1 GiB.
pub const DEFAULT_MAX_DOWNLOAD: u64 = 1 << 30;

/// The flag a field is set with, for messages: `--simple-description`, or the
/// positional `CASE_ID`.
pub fn flag_of(op: &OperationRules, field: &str) -> Option<String> {
    let rule = op
        .params
        .iter()
        .chain(op.body)
        .find(|r| r.name.eq_ignore_ascii_case(field))?;
    Some(match rule.location {
        Location::Path => rule.name.to_ascii_uppercase(),
        _ => format!("--{}", flag_name(rule)),
    })
}

/// A flag's text as the JSON value its rule wants. Integers must be integers that fit
/// (no silent rounding), booleans `true`/`false`, objects JSON objects; other text stays
/// text.
fn scalar(rule: &FieldRule, flag: &str, text: &str) -> Result<Value, Failure> {
    match rule.kind {
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| Failure::usage(format!("{flag} {text:?}: expected an integer"))),
        Kind::Boolean => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Failure::usage(format!(
                "{flag} {text:?}: expected true or false"
            ))),
        },
        // An object as an array's item (a rating of `--incident-satisfaction-list`):
        // the item's JSON text.
        Kind::Object => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(Failure::usage(format!(
                "{flag} {text:?}: expected a JSON object"
            ))),
        },
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// One `KEY=JSON` pair of an object flag. A value that starts like JSON (an object,
/// an array, a quoted string) must be valid JSON; a number must fit without rounding; a
/// bare word is taken as a string (`channel=alerting`).
pub fn key_value(flag: &str, pair: &str) -> Result<(String, Value), Failure> {
    let (k, v) = pair
        .split_once('=')
        .ok_or_else(|| Failure::usage(format!("{flag} {pair:?}: expected KEY=JSON")))?;
    if k.is_empty() {
        return Err(Failure::usage(format!("{flag} {pair:?}: the key is empty")));
    }
    let trimmed = v.trim_start();
    let looks_json = trimmed.starts_with(['{', '[', '"']);
    let looks_number = trimmed.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    let value = match serde_json::from_str::<Value>(v) {
        Ok(Value::Number(n)) if looks_number => {
            // serde_json reads an integer that overflows i64/u64 as a float: refuse
            // rather than send 1.2345678901234568e29 for 123456789012345678901234567890.
            if n.is_f64() && !v.contains(['.', 'e', 'E']) {
                return Err(Failure::usage(format!(
                    "{flag} {pair:?}: the number {v} does not fit in 64 bits; quote it to send it as a string"
                )));
            }
            Value::Number(n)
        }
        Ok(value) => value,
        Err(e) if looks_json || looks_number => {
            return Err(Failure::usage(format!(
                "{flag} {pair:?}: the value is not valid JSON ({e}); quote it as a JSON string to send text"
            )));
        }
        Err(_) => Value::String(v.to_owned()),
    };
    Ok((k.to_owned(), value))
}

/// Sets every field of `op` given on the command line into `input`.
pub fn fill_input(
    op: &OperationRules,
    m: &ArgMatches,
    input: &mut Input,
    with_body: bool,
) -> Result<(), Failure> {
    fill_input_except(op, m, input, with_body, &[])
}

/// [`fill_input`] without the fields named in `except`.
pub fn fill_input_except(
    op: &OperationRules,
    m: &ArgMatches,
    input: &mut Input,
    with_body: bool,
    except: &[&str],
) -> Result<(), Failure> {
    let body_rules: &[FieldRule] = if with_body { op.body } else { &[] };
    for rule in op
        .params
        .iter()
        .filter(|r| has_flag(r))
        .chain(body_rules)
        .filter(|r| !except.contains(&r.name))
    {
        let flag = flag_of(op, rule.name).unwrap_or_default();
        let value = match rule.kind {
            Kind::Array => match m.get_many::<String>(rule.name) {
                Some(items) => {
                    let item_rule = rule.items;
                    let items: Result<Vec<Value>, Failure> = items
                        .map(|t| match item_rule {
                            Some(r) => scalar(r, &flag, t),
                            None => Ok(Value::String(t.clone())),
                        })
                        .collect();
                    Some(Value::Array(items?))
                }
                None => None,
            },
            Kind::Object => match m.get_many::<String>(rule.name) {
                Some(pairs) => {
                    let mut map = input
                        .body()
                        .get(rule.name)
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    for pair in pairs {
                        let (k, v) = key_value(&flag, pair)?;
                        map.insert(k, v);
                    }
                    Some(Value::Object(map))
                }
                None => None,
            },
            _ => match m.get_one::<String>(rule.name) {
                Some(t) => Some(scalar(rule, &flag, t)?),
                None => None,
            },
        };
        if let Some(value) = value {
            input
                .set(rule.name, value)
                .map_err(|e| Failure::usage(e.to_string()))?;
        }
    }
    Ok(())
}

/// The largest `--body` accepted, in bytes: far above any valid body, and a bound on
/// what is read from a file or standard input.
pub const MAX_BODY_FILE_BYTES: u64 = 1024 * 1024;

/// Reads `--body FILE|-` as a JSON object, at most [`MAX_BODY_FILE_BYTES`].
pub fn read_body(path: &str) -> Result<Map<String, Value>, Failure> {
    use std::io::Read;
    let mut text = String::new();
    let limit = MAX_BODY_FILE_BYTES + 1;
    let read = if path == "-" {
        std::io::stdin().take(limit).read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_string(&mut text))
    };
    read.map_err(|e| Failure::usage(format!("--body {path}: {e}")))?;
    if text.len() as u64 > MAX_BODY_FILE_BYTES {
        return Err(Failure::usage(format!(
            "--body {path}: larger than {MAX_BODY_FILE_BYTES} bytes; a request body is far smaller"
        )));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::usage(format!(
            "--body {path}: the body must be a JSON object"
        ))),
        Err(e) => Err(Failure::usage(format!("--body {path}: not JSON: {e}"))),
    }
}

/// What `osm --help` says about credentials, configuration and precedence.
pub const LONG_ABOUT: &str = "\
Open and follow Huawei Cloud service tickets (OSM) from the shell.

Credentials: the first source that is set up, in this order: HUAWEICLOUD_SDK_AK and \
HUAWEICLOUD_SDK_SK (with HUAWEICLOUD_SDK_SECURITY_TOKEN and HUAWEICLOUD_SDK_DOMAIN_ID where \
needed) or HUAWEICLOUD_AUTH_TOKEN; an IAM password login (HUAWEICLOUD_IAM_USER, \
HUAWEICLOUD_IAM_PASSWORD, HUAWEICLOUD_IAM_DOMAIN); the [global] section of the credentials \
file (HUAWEICLOUD_SDK_CREDENTIALS_FILE, else ~/.huaweicloud/credentials, written by osm \
configure); the ECS metadata service when HUAWEICLOUD_ECS_METADATA=true. --credentials picks \
one source. Try everything without an account with --emulator, which uses its own \
credentials whatever the environment holds.

Configuration: named profiles in a TOML file, OSM_CONFIG_FILE, else \
$XDG_CONFIG_HOME/osm/config.toml, else ~/.config/osm/config.toml; one table per profile \
([default] unless --profile or OSM_PROFILE names another), with the keys endpoint, site, \
language, time_zone, output, timeout, max_attempts and credentials. Write one with osm \
configure; see the values in force with osm configure --list.

Precedence, for every setting: flag > environment variable (OSM_..., shown beside each \
flag) > profile > default. language and time_zone have no global flag: OSM_LANGUAGE and \
OSM_TIME_ZONE, the profile, then the service's default; an operation's --language or \
--time-zone wins over all of them.";

/// The `--timeout` default, in seconds.
pub const DEFAULT_TIMEOUT_SECS: f64 = 60.0;
/// The largest duration a flag takes, in seconds (a day).
pub const MAX_SECONDS: f64 = 86_400.0;
/// The `--max-attempts` default (the library's retry policy's).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// The largest `--max-attempts`.
pub const MAX_ATTEMPTS: u32 = 10;
/// The sites `--site` takes.
pub const SITES: [&str; 3] = ["cn", "intl", "eu"];
/// The credential sources `--credentials` takes: the default chain, or one source.
pub const CREDENTIAL_SOURCES: [&str; 5] = ["chain", "env", "iam", "profile", "ecs"];

/// A duration flag's text as seconds: a finite number greater than zero and at most
/// [`MAX_SECONDS`]. Zero, negative numbers, NaN and infinity are refused (exit 2, clap
/// names the flag).
pub fn seconds(text: &str) -> Result<f64, String> {
    let secs: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > MAX_SECONDS {
        return Err(format!(
            "must be a number of seconds greater than 0 and at most {MAX_SECONDS}"
        ));
    }
    Ok(secs)
}

/// A duration flag: `SECONDS`, checked by [`seconds`] (`-1` reaches the check, so the
/// message names the flag).
pub fn seconds_arg(id: &'static str) -> Arg {
    Arg::new(id)
        .value_name("SECONDS")
        .allow_negative_numbers(true)
        .value_parser(seconds)
}

/// A duration: a number of seconds (`120`, `0.5`) or a number with a unit (`90s`,
/// `5m`, `24h`, `7d`), greater than 0 and at most `max` seconds.
pub fn duration(text: &str, max: f64) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let d = match t.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 && secs <= max => {
            std::time::Duration::from_secs_f64(secs)
        }
        Ok(_) => return Err(format!("must be greater than 0 and at most {max} seconds")),
        Err(_) => humantime::parse_duration(t).map_err(|_| {
            format!(
                "{text:?} is not a duration (SECONDS, or a number with a unit: 90s, 5m, 24h, 7d)"
            )
        })?,
    };
    if d.is_zero() || d.as_secs_f64() > max {
        return Err(format!("must be greater than 0 and at most {max} seconds"));
    }
    Ok(d)
}

/// A duration flag checked by [`duration`] against `max` seconds.
pub fn duration_arg(id: &'static str, max: f64) -> Arg {
    Arg::new(id)
        .value_name("DURATION")
        .allow_negative_numbers(true)
        .value_parser(move |t: &str| duration(t, max))
}

/// What each subcommand's help says instead of repeating the global flags.
const GLOBALS_NOTE: &str = "Global options (--emulator, --dry-run, --query, --raw, -o, --profile, \
--site, --endpoint, --timeout, -v…) go before or after the command: see osm --help.";

/// The whole `osm` command, as parsed. The global flags are accepted before or after
/// any subcommand but listed once, in `osm --help` (a section rendered from their
/// definitions); each subcommand's help points there instead of repeating them.
pub fn command() -> Command {
    let mut cmd = full_command();
    let globals: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().clone())
        .collect();
    let section = globals_section(&cmd);
    for id in &globals {
        cmd = cmd.mut_arg(id, |a| a.hide(true));
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, |sub| hide_globals(sub, 0));
    }
    cmd.after_help(format!("{section}\n\n{EXIT_CODES_ALL}"))
}

/// The "Global options" section of `osm --help`, from the flags' own definitions.
fn globals_section(cmd: &Command) -> String {
    let mut rows: Vec<(String, String)> = Vec::new();
    for a in cmd.get_arguments().filter(|a| a.is_global_set()) {
        let mut name = String::new();
        if let Some(short) = a.get_short() {
            name.push_str(&format!("-{short}, "));
        }
        if let Some(long) = a.get_long() {
            name.push_str(&format!("--{long}"));
        }
        if a.get_action().takes_values() {
            let value = a.get_value_names().and_then(|v| v.first()).map_or_else(
                || a.get_id().as_str().to_ascii_uppercase(),
                ToString::to_string,
            );
            name.push_str(&format!(" <{value}>"));
        }
        let mut help = a.get_help().map(ToString::to_string).unwrap_or_default();
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        if !values.is_empty() && a.get_action().takes_values() {
            help.push_str(&format!(" [possible values: {}]", values.join(", ")));
        }
        if let Some(env) = a.get_env() {
            help.push_str(&format!(" [env: {}]", env.to_string_lossy()));
        }
        rows.push((name, help));
    }
    // Wrapped here, with a hanging indent, below clap's own width of 100.
    let mut out = String::from("Global options (before or after any command):");
    for (name, help) in rows {
        out.push_str(&format!("\n  {name}"));
        let mut line = String::new();
        for word in help.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > 80 {
                out.push_str(&format!("\n          {line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        if !line.is_empty() {
            out.push_str(&format!("\n          {line}"));
        }
    }
    out
}

/// Adds [`GLOBALS_NOTE`] to the help of `cmd` and of its subcommands (at most a few
/// levels: `osm case create`).
fn hide_globals(mut cmd: Command, depth: usize) -> Command {
    let after = cmd
        .get_after_help()
        .map(|h| format!("{GLOBALS_NOTE}\n\n{h}"))
        .unwrap_or_else(|| GLOBALS_NOTE.to_owned());
    cmd = cmd.after_help(after);
    if depth < 4 {
        let subs: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .collect();
        for name in subs {
            cmd = cmd.mut_subcommand(name, |sub| hide_globals(sub, depth + 1));
        }
    }
    cmd
}

/// The whole `osm` command with every flag shown everywhere (for completion scripts).
pub fn full_command() -> Command {
    // The hand-written commands first; every operation of the spec they leave free gets
    // its generated command.
    crate::generic::attach(hand_written())
}

/// The commands written by hand (those that compose calls, and the tool's own).
fn hand_written() -> Command {
    Command::new("osm")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Open and follow Huawei Cloud service tickets (OSM) from the shell")
        .long_about(LONG_ABOUT)
        .after_help(EXIT_CODES_ALL)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("profile")
                .long("profile")
                .global(true)
                .env("OSM_PROFILE")
                .value_name("NAME")
                .help("Take defaults from this profile of the configuration file [default: default]"),
        )
        .arg(
            Arg::new("endpoint")
                .long("endpoint")
                .global(true)
                .env("OSM_ENDPOINT")
                .value_name("URL")
                .help("Send requests to URL instead of the site's endpoint"),
        )
        .arg(
            Arg::new("site")
                .long("site")
                .global(true)
                .env("OSM_SITE")
                .value_parser(SITES)
                .help("The Huawei Cloud site: China, International or Europe [default: intl]"),
        )
        .arg(
            seconds_arg("timeout")
                .long("timeout")
                .global(true)
                .env("OSM_TIMEOUT")
                .help("Time allowed for one attempt [default: 60]"),
        )
        .arg(
            Arg::new("max_attempts")
                .long("max-attempts")
                .global(true)
                .env("OSM_MAX_ATTEMPTS")
                .value_name("N")
                .value_parser(value_parser!(u32).range(1..=i64::from(MAX_ATTEMPTS)))
                .help("Attempts in all for a call whose failure is safe to retry [default: 3]"),
        )
        .arg(
            Arg::new("credentials")
                .long("credentials")
                .global(true)
                .env("OSM_CREDENTIALS")
                .value_name("SOURCE")
                .value_parser(CREDENTIAL_SOURCES)
                .help("Where credentials come from: every source in turn (chain), or only one [default: chain]"),
        )
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .env("OSM_OUTPUT")
                .value_parser(["json", "text"])
                .help("Output format [default: text on a terminal, json otherwise]"),
        )
        .arg(
            Arg::new("query")
                .long("query")
                .global(true)
                .env("OSM_QUERY")
                .value_name("JMESPATH")
                .help("Print only what this JMESPath expression picks from the JSON answer (implies -o json)"),
        )
        .arg(
            Arg::new("raw")
                .long("raw")
                .short('r')
                .global(true)
                .env("OSM_RAW")
                .action(ArgAction::SetTrue)
                .value_parser(clap::builder::BoolishValueParser::new())
                .help("With --query: print a string without quotes, and a list of scalars one per line (as jq -r), for ID=$(osm --query incident_id --raw ...)"),
        )
        .arg(
            Arg::new("dry_run")
                .long("dry-run")
                .global(true)
                .env("OSM_DRY_RUN")
                .action(ArgAction::SetTrue)
                .value_parser(clap::builder::BoolishValueParser::new())
                .help("Print the request that would be sent (secrets redacted) and send nothing"),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .env("OSM_VERBOSE")
                .action(ArgAction::Count)
                .help("Log to standard error; repeat for more (-vvv: everything); RUST_LOG, when set, chooses what is logged instead. Secrets are redacted"),
        )
        .arg(
            Arg::new("emulator")
                .long("emulator")
                .global(true)
                .env("OSM_EMULATOR")
                .action(ArgAction::SetTrue)
                .value_parser(clap::builder::BoolishValueParser::new())
                .help("Run against an embedded emulator that remembers between commands (see osm emulator --help); no real ticket is opened"),
        )
        .arg(
            Arg::new("no_reconcile")
                .long("no-reconcile")
                .global(true)
                .env("OSM_NO_RECONCILE")
                .action(ArgAction::SetTrue)
                .value_parser(clap::builder::BoolishValueParser::new())
                .help("After an ambiguous failure of case create, do not look the ticket up (exit 3 instead)"),
        )
        .arg(
            duration_arg("reconcile_window", MAX_SECONDS)
                .long("reconcile-window")
                .global(true)
                .env("OSM_RECONCILE_WINDOW")
                .help(
                    "After an ambiguous failure of case create, look for the ticket this long \
                     (SECONDS, or 90s, 5m…) before saying the outcome is unknown (exit 3) \
                     [default: 120]",
                ),
        )
        .arg(
            Arg::new("emulator_state")
                .long("emulator-state")
                .global(true)
                .env("OSM_EMULATOR_STATE")
                .value_name("FILE")
                .help(
                    "With --emulator: the emulator's state file [default: tickets.jsonl in \
                     $XDG_STATE_HOME/osm/emulator/, else ~/.local/state/osm/emulator/]",
                ),
        )
        .subcommand(crate::case::command())
        .subcommand(crate::lookup::command())
        .subcommand(crate::attachment::command())
        .subcommand(crate::contact::command())
        .subcommand(crate::configure::command())
        .subcommand(crate::schema::command())
        .subcommand(crate::emulator::command())
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
