//! `osm`: open and follow Huawei Cloud service tickets from the shell. See `osm --help`.
//!
//! One module per noun (`case`, `lookup`), the flags of each operation derived from the
//! spec's rules (`args`), the client and the embedded emulator (`session`), and what is
//! printed (`output`).

mod args;
mod case;
mod lookup;
mod output;
mod redact;
mod schema;
mod session;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::ArgMatches;

use crate::output::Failure;

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
            if json_output {
                output::out(&f.json.to_string());
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
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut args::command(), "osm", &mut script);
            output::out(String::from_utf8_lossy(&script).trim_end());
            Ok(())
        }
        Some(("case", sub)) => case::run(matches, sub, json_output).await,
        Some(("lookup", sub)) => lookup::run(matches, sub, json_output).await,
        Some(("schema", sub)) => schema::run(sub),
        _ => Err(Failure::usage("unknown command; see osm --help")),
    }
}
