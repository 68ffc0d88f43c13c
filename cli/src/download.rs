//! The commands of operations whose answer is a file (`--out FILE`, `--max-bytes`): the
//! file streams to disk (written beside the target, then renamed) or to standard output,
//! never through memory whole, and never to a terminal.

use std::io::IsTerminal;
use std::path::Path;

use clap::ArgMatches;
use huaweicloud_osm::Error;
use huaweicloud_osm::exec::Input;
use serde_json::json;

use crate::args;
use crate::output::{self, Failure};
use crate::session::Session;

/// Sends `input` and writes the file it answers where `--out` says. A library error is
/// returned as such (`Err(Err(e))`) for the caller to map with its flags.
pub async fn save(
    session: &Session,
    m: &ArgMatches,
    input: Input,
    json_output: bool,
) -> Result<(), Result<Failure, Error>> {
    let out = m
        .get_one::<String>("out")
        .map(String::as_str)
        .unwrap_or("-");
    let limit = m
        .get_one::<u64>("max_bytes")
        .copied()
        .unwrap_or(args::DEFAULT_MAX_DOWNLOAD);
    let done = if out == "-" {
        if std::io::stdout().is_terminal() {
            return Err(Ok(Failure::usage(
                "--out -: standard output is a terminal; name a file with --out FILE",
            )));
        }
        let mut stdout = tokio::io::stdout();
        session.client.download(input, &mut stdout, limit).await
    } else {
        session
            .client
            .download_to_file(input, Path::new(out), limit)
            .await
    }
    .map_err(Err)?;
    if out == "-" {
        // The file went to standard output; what was done goes to standard error.
        eprintln!("osm: wrote {} bytes to standard output", done.bytes);
    } else if json_output {
        let mut v = serde_json::to_value(&done).unwrap_or_default();
        v["path"] = json!(out);
        output::json(&v.to_string());
    } else {
        output::out(&format!(
            "Saved {} bytes to {}",
            done.bytes,
            output::clean(out)
        ));
        if let Some(name) = &done.file_name {
            output::out(&format!(
                "  name given by the service: {}",
                output::clean(name)
            ));
        }
    }
    Ok(())
}
