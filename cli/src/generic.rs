//! The command of every operation of the spec that no module composes by hand: `osm
//! NOUN VERB`, the noun from the operation's tag and the verb from the operation (`x-cli`
//! in the spec), a flag per parameter and body field from its rules, and the answer by
//! its kind (JSON printed as it came, a file written with `--out`). An operation added to
//! the spec gets its command here with no edit to the CLI; a module that composes several
//! calls (`case create` with `--attach`, `case watch`) defines its command by hand, and
//! the hand-written one wins.

use std::sync::OnceLock;

use clap::{ArgMatches, Command};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::rules::{self, AnswerKind, OperationRules};

use crate::args;
use crate::output::{self, Failure, from_error};
use crate::session;

/// The (noun, verb) pairs whose command this module made.
static GENERATED: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();

/// Adds to `root` the command of every operation whose `NOUN VERB` the hand-written
/// modules left free, creating the nouns of tags that have no module.
pub fn attach(mut root: Command) -> Command {
    let mut generated = Vec::new();
    for op in rules::OPERATIONS {
        if root.find_subcommand(op.noun).is_none() {
            let about = rules::TAGS
                .iter()
                .find(|t| t.noun == op.noun)
                .map_or(op.noun, |t| t.description);
            root = root.subcommand(
                Command::new(op.noun)
                    .about(about)
                    .subcommand_required(true)
                    .arg_required_else_help(true)
                    .after_help(args::EXIT_CODES_READ),
            );
        }
        let taken = root
            .find_subcommand(op.noun)
            .and_then(|n| n.find_subcommand(op.verb))
            .is_some();
        if taken {
            continue;
        }
        root = root.mut_subcommand(op.noun, |noun| noun.subcommand(command(op)));
        generated.push((op.noun, op.verb));
    }
    let _ = GENERATED.set(generated);
    root
}

/// The command of one operation.
fn command(op: &'static OperationRules) -> Command {
    let about = format!("{} ({})", op.summary.trim_end_matches('.'), op.id);
    let after = match op.answer {
        AnswerKind::Bytes { .. } => args::EXIT_CODES_READ,
        _ if op.idempotent => args::EXIT_CODES_READ,
        _ => args::EXIT_CODES_ACTION,
    };
    args::operation_args(
        Command::new(op.verb).about(about).after_help(after),
        op,
        true,
    )
}

/// The operation of `osm NOUN VERB` when this module made its command.
pub fn find(noun: &str, verb: &str) -> Option<&'static OperationRules> {
    let made = GENERATED.get()?;
    made.iter()
        .any(|(n, v)| *n == noun && *v == verb)
        .then(|| {
            rules::OPERATIONS
                .iter()
                .find(|o| o.noun == noun && o.verb == verb)
        })
        .flatten()
}

/// Runs the command of `op`: the flags into the request, checked before anything is
/// sent, then the answer by its kind.
pub async fn run(
    global: &ArgMatches,
    op: &'static OperationRules,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let flag = |field: &str| args::flag_of(op, field);
    let mut input = Input::new(op);
    args::fill_input(op, m, &mut input, true)?;
    let Some(session) = session::for_operation(global, op, &input).await? else {
        return Ok(());
    };
    if matches!(op.answer, AnswerKind::Bytes { .. }) {
        let result = crate::download::save(&session, m, input, json_output).await;
        session.finish().await;
        return result.map_err(|e| e.unwrap_or_else(|e| from_error(e, flag)));
    }
    let result = session.client.send_json(input).await;
    session.finish().await;
    let answer = result.map_err(|e| from_error(e, flag))?;
    if json_output || !answer.value().as_object().is_some_and(|o| o.is_empty()) {
        output::answer(answer.raw_json(), answer.value(), json_output);
    } else {
        output::out("Done");
    }
    Ok(())
}
