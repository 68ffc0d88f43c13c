//! `osm`: open and follow Huawei Cloud service tickets from the shell. See `osm --help`.
//!
//! One module per noun (`case`, `lookup`, `attachment`, `contact`), the flags of each operation derived from the
//! spec's rules (`args`), the client and the embedded emulator (`session`), and what is
//! printed (`output`).

mod args;
mod attachment;
mod case;
mod config;
mod configure;
mod contact;
mod download;
mod dryrun;
mod emulator;
mod generic;
mod lookup;
mod output;
mod redact;
mod schema;
mod session;
mod status;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::ArgMatches;
use clap::error::ErrorKind as ClapKind;

use crate::output::Failure;

fn main() -> ExitCode {
    let matches = match args::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_failure(&e),
    };
    let explicit_output = matches.get_one::<String>("output").map(String::as_str);
    let mut json_output = match explicit_output {
        Some(o) => o == "json",
        None => !std::io::stdout().is_terminal(),
    };
    match prepare(&matches) {
        Ok(json) => json_output = json,
        Err(f) => return fail(&f, json_output),
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&Failure::setup(format!("cannot start: {e}")), json_output),
    };
    match runtime.block_on(run(&matches, json_output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => fail(&f, json_output),
    }
}

/// Reads the configuration, resolves the settings of this run and `--query`; answers
/// whether the output is JSON.
fn prepare(matches: &ArgMatches) -> Result<bool, Failure> {
    let file = config::ConfigFile::load()?;
    let configure = matches.subcommand_name() == Some("configure");
    let settings = config::resolve(matches, &file, configure)?;
    let json_output = match settings.get("output") {
        Some(o) => o == "json",
        None => !std::io::stdout().is_terminal(),
    };
    config::install(settings);
    output::set_raw(matches.get_flag("raw"));
    match matches.get_one::<String>("query") {
        Some(q) => {
            output::set_query(q)?;
            Ok(true)
        }
        None => Ok(json_output),
    }
}

fn fail(f: &Failure, json_output: bool) -> ExitCode {
    output::print_failure(f, json_output);
    ExitCode::from(f.code)
}

/// A command line clap refused (exit 2), with its JSON error object when the output is
/// JSON (`-o json`, `OSM_OUTPUT=json`, or standard output not a terminal); help and
/// version are printed as asked.
fn clap_failure(e: &clap::Error) -> ExitCode {
    if matches!(e.kind(), ClapKind::DisplayHelp | ClapKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    // `args_os`: an argument that is not UTF-8 (the very error clap may be reporting)
    // must not panic here.
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut said = None;
    for (i, a) in argv.iter().enumerate() {
        let value = match a.as_str() {
            "-o" | "--output" => argv.get(i + 1).map(String::as_str),
            other => other
                .strip_prefix("--output=")
                .or_else(|| other.strip_prefix("-o")),
        };
        if let Some(v @ ("json" | "text")) = value {
            said = Some(v == "json");
        }
    }
    let json_output = said
        .or_else(|| std::env::var("OSM_OUTPUT").ok().map(|v| v == "json"))
        .unwrap_or_else(|| !std::io::stdout().is_terminal());
    let rendered = e.render().to_string();
    // The error's own lines, without the usage and the hint clap adds after a blank line.
    let message = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
        .trim_start_matches("error: ")
        .to_owned();
    if json_output {
        let f = Failure::usage(message);
        output::print_failure_json(&f);
    }
    let _ = e.print();
    ExitCode::from(2)
}

async fn run(matches: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    if matches.get_one::<String>("emulator_state").is_some()
        && !matches.get_flag("emulator")
        && matches.subcommand_name() != Some("emulator")
    {
        return Err(Failure::usage(
            "--emulator-state goes with --emulator (or osm emulator …): without it the command \
             would go to the real service",
        ));
    }
    // An operation's generated command (every operation no module composes by hand).
    if let Some((noun, sub)) = matches.subcommand()
        && let Some((verb, sm)) = sub.subcommand()
        && let Some(op) = generic::find(noun, verb)
    {
        return generic::run(matches, op, sm, json_output).await;
    }
    match matches.subcommand() {
        Some(("completions", sub)) => {
            let shell = *sub
                .get_one::<clap_complete::Shell>("shell")
                .ok_or_else(|| Failure::usage("no shell"))?;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut args::full_command(), "osm", &mut script);
            output::out(String::from_utf8_lossy(&script).trim_end());
            Ok(())
        }
        Some(("case", sub)) => case::run(matches, sub, json_output).await,
        Some(("attachment", sub)) => attachment::run(matches, sub, json_output).await,
        Some(("contact", sub)) => contact::run(matches, sub, json_output).await,
        Some(("configure", sub)) => configure::run(matches, sub, json_output),
        Some(("emulator", sub)) => emulator::run(matches, sub, json_output).await,
        Some(("schema", sub)) => schema::run(sub),
        _ => Err(Failure::usage("unknown command; see osm --help")),
    }
}
