//! `osm lookup`: the noun of the look-up operations, with its help; each look-up's
//! subcommand is generated from the spec (`crate::generic`), with a flag per query
//! parameter.

use clap::Command;

use crate::args;

/// `osm lookup`.
pub fn command() -> Command {
    Command::new("lookup")
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
        .arg_required_else_help(true)
    // Its subcommands are the look-up operations' generated commands (crate::generic).
}
