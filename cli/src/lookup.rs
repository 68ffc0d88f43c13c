//! `osm lookup …`: one subcommand per look-up operation of the spec (its family
//! `lookups`), with a flag per query parameter, derived from the rules.

use clap::{ArgMatches, Command};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{self, OperationRules};

use crate::args;
use crate::output::{self, Failure, from_error};
use crate::session;

/// The subcommand name of a look-up: its id without `list_`/`show_` and `case_`, in
/// kebab case (`list_problem_types` → `problem-types`, `list_case_limits` → `limits`).
pub fn name(op: &OperationRules) -> String {
    let id = op.id;
    let id = id
        .strip_prefix("list_")
        .or_else(|| id.strip_prefix("show_"))
        .unwrap_or(id);
    let id = id.strip_prefix("case_").unwrap_or(id);
    id.replace('_', "-")
}

fn lookups() -> impl Iterator<Item = &'static OperationRules> {
    rules::OPERATIONS.iter().filter(|o| o.family == "lookups")
}

/// `osm lookup`.
pub fn command() -> Command {
    let mut cmd = Command::new("lookup")
        .about("The lists a ticket is filled in from: problem types, categories, severities, regions…")
        .long_about(
            "The lists a ticket is filled in from. JSON output is the service's answer as it came; \
             text output is a table of ids and names to copy from.",
        )
        .after_help(format!(
            "Examples:\n  osm --emulator lookup problem-types -o text\n  \
             osm --emulator lookup severities --product-category-id <id> --business-type-id <id>\n\n{}",
            args::EXIT_CODES_READ
        ))
        .subcommand_required(true)
        .arg_required_else_help(true);
    for op in lookups() {
        let sub = Command::new(name(op)).about(op.summary);
        cmd = cmd.subcommand(args::operation_args(sub, op, false));
    }
    cmd
}

/// Runs `osm lookup NAME`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let (sub, sm) = m
        .subcommand()
        .ok_or_else(|| Failure::usage("which look-up? see osm lookup --help"))?;
    let op = lookups()
        .find(|o| name(o) == sub)
        .ok_or_else(|| Failure::usage(format!("unknown look-up {sub}")))?;
    let flag = |field: &str| args::flag_of(op, field);
    let mut input = Input::new(op);
    args::fill_input(op, sm, &mut input, false)?;
    let Some(session) = session::for_operation(global, op, &input).await? else {
        return Ok(());
    };
    let result = session.client.send_json(input).await;
    session.finish().await;
    let answer = result.map_err(|e| from_error(e, flag))?;
    output::answer(answer.raw_json(), answer.value(), json_output);
    Ok(())
}
