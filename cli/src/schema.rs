//! `osm schema NAME`: the JSON Schema of an operation's body, for `--body` files an
//! editor can check, or (`--skeleton`) a body with every member, ready to fill in. One
//! subcommand per operation with a JSON body, both derived from the generated types
//! (`huaweicloud_osm::schema`), so no field is listed here.

use clap::{Arg, ArgAction, ArgMatches, Command};
use huaweicloud_osm::schema;

use crate::output::{self, Failure};

/// The subcommand of an operation: `verb_noun` read as the CLI's `noun verb`
/// (`create_case` → `case-create`), a longer id in kebab case
/// (`send_verify_code` → `send-verify-code`).
pub fn name(operation_id: &str) -> String {
    match operation_id.split('_').collect::<Vec<_>>().as_slice() {
        [verb, noun] => format!("{noun}-{verb}"),
        words => words.join("-"),
    }
}

/// `osm schema`.
pub fn command() -> Command {
    let mut cmd = Command::new("schema")
        .about("Print the JSON Schema of a request body, or a body to fill in")
        .long_about(
            "Print the JSON Schema (draft 7) of an operation's request body, with the spec's \
             limits, for the files given to --body; point an editor at it to check them as \
             they are written. With --skeleton, print a body with every member instead.",
        )
        .after_help(
            "Examples:\n  osm schema case-create > case.schema.json\n  \
             osm schema case-create --skeleton > ticket.json",
        )
        .subcommand_required(true)
        .arg_required_else_help(true);
    for id in schema::operations_with_body() {
        cmd = cmd.subcommand(
            Command::new(name(id))
                .about(format!("The body of {id}"))
                .arg(
                Arg::new("skeleton")
                    .long("skeleton")
                    .action(ArgAction::SetTrue)
                    .help(
                        "Print a body with every member, ready to fill in, instead of the schema",
                    ),
            ),
        );
    }
    cmd
}

/// Runs `osm schema NAME`.
pub fn run(m: &ArgMatches) -> Result<(), Failure> {
    let (sub, sm) = m
        .subcommand()
        .ok_or_else(|| Failure::usage("which body? see osm schema --help"))?;
    let id = schema::operations_with_body()
        .find(|id| name(id) == sub)
        .ok_or_else(|| Failure::usage(format!("unknown body {sub}")))?;
    if sm.get_flag("skeleton") {
        return print_skeleton(id);
    }
    let value = schema::request_body(id)
        .ok_or_else(|| Failure::usage(format!("{id} takes no JSON body")))?;
    print(&value)
}

/// Prints the body of `operation_id` with every member, ready to fill in: what
/// `osm schema NAME --skeleton` and `osm case create --skeleton` print.
pub fn print_skeleton(operation_id: &str) -> Result<(), Failure> {
    let value = schema::skeleton(operation_id)
        .ok_or_else(|| Failure::usage(format!("{operation_id} takes no JSON body")))?;
    print(&value)
}

fn print(value: &serde_json::Value) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Failure::setup(format!("cannot print the schema: {e}")))?;
    output::out(&text);
    Ok(())
}
