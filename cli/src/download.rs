//! The commands of operations whose answer is a file (`--out FILE`, `--max-bytes`): the
//! file streams to disk (written beside the target, then renamed) or to standard output,
//! never through memory whole, and never to a terminal. And `osm attachment
//! download-all`: every attachment of a ticket into a directory
//! ([`huaweicloud_osm::Client::download_case_attachments`]).

use std::io::IsTerminal;
use std::path::Path;

use clap::{Arg, ArgMatches, Command};
use huaweicloud_osm::Error;
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::ops::attachments::download_all::DEFAULT_MAX_FILES;
use huaweicloud_osm::ops::attachments::{DownloadAllOptions, SavedAttachment};
use huaweicloud_osm::rules;
use serde_json::{Value, json};

use crate::args;
use crate::output::{self, Failure, from_error};
use crate::session::{self, Session};

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

/// `osm attachment download-all CASE_ID --dir DIR`.
pub fn all_command() -> Command {
    let max_bytes = |id: &'static str, long: &'static str, help: &'static str| {
        Arg::new(id)
            .long(long)
            .value_name("BYTES")
            .value_parser(clap::value_parser!(u64).range(1..))
            .default_value(args::DEFAULT_MAX_DOWNLOAD.to_string())
            .help(help)
    };
    Command::new("download-all")
        .about("Download every attachment of a ticket into a directory")
        .long_about(
            "Download every attachment of a ticket (those its messages list, from \
             show_case_detail and list_messages) into DIR, created if missing. Each file is \
             written beside its final name and renamed when whole, so a failure leaves no \
             partial file. Names come from the service and are made safe: one file name \
             inside DIR (no path, no '..', no control or invisible character, no name \
             Windows reserves), equal names numbered (name-2.log). An existing file is never \
             overwritten: that attachment is reported as not saved. The files saved are \
             listed even when others failed.",
        )
        .arg(
            Arg::new("case_id")
                .value_name("CASE_ID")
                .required(true)
                .help("Id of the ticket"),
        )
        .arg(
            Arg::new("dir")
                .long("dir")
                .value_name("DIR")
                .required(true)
                .help("Directory to save the files in (created if missing)"),
        )
        .arg(max_bytes(
            "max_bytes",
            "max-bytes",
            "Refuse (and do not save) a file longer than this",
        ))
        .arg(max_bytes(
            "max_total_bytes",
            "max-total-bytes",
            "Save no more than this many bytes in all; a file that would pass it is not saved",
        ))
        .arg(
            Arg::new("max_files")
                .long("max-files")
                .value_name("N")
                .value_parser(clap::value_parser!(u64).range(1..=1_000_000))
                .default_value(DEFAULT_MAX_FILES.to_string())
                .help("Download nothing if the ticket lists more attachments than this"),
        )
        .arg(
            Arg::new("group_id")
                .long("group-id")
                .value_name("ID")
                .help("IAM user group id, for a ticket opened by another member of the group"),
        )
        .after_help(
            "Example:\n  osm attachment download-all <case-id> --dir ./case-files\n\n\
             Exit codes:\n  \
             0  every attachment saved (none is fine)\n  \
             1  the service refused a request (the listing, or a download), or a file or \
             the ticket passed a bound\n  \
             2  invalid input or usage; nothing was sent\n  \
             4  nothing could be sent, a file exists already, or the directory could not be \
             written\n  \
             5  authentication failed: the credentials were refused\n\
             When only some files failed, the code is the first failure's; the files saved \
             are listed either way.",
        )
}

fn saved_json(s: &SavedAttachment) -> Value {
    json!({
        "accessory_id": s.attachment.accessory_id,
        "name": s.attachment.name,
        "path": s.path.display().to_string(),
        "bytes": s.bytes,
    })
}

/// Runs `osm attachment download-all`.
pub async fn save_all(
    global: &ArgMatches,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let case_id = m.get_one::<String>("case_id").cloned().unwrap_or_default();
    let dir = m.get_one::<String>("dir").cloned().unwrap_or_default();
    let bound = |id: &str| {
        m.get_one::<u64>(id)
            .copied()
            .unwrap_or(args::DEFAULT_MAX_DOWNLOAD)
    };
    let mut options = DownloadAllOptions::new(bound("max_bytes"), bound("max_total_bytes"))
        .max_files(
            m.get_one::<u64>("max_files")
                .map_or(DEFAULT_MAX_FILES, |n| {
                    usize::try_from(*n).unwrap_or(usize::MAX)
                }),
        );
    // The first request, checked before anything is sent (a CASE_ID over the spec's
    // limit exits 2); the dry run shows it.
    let mut listing = Input::new(rules::SHOW_CASE_DETAIL);
    let _ = listing.set("case_id", Value::String(case_id.clone()));
    if let Some(g) = m.get_one::<String>("group_id") {
        options = options.group_id(g);
        let _ = listing.set("group_id", Value::String(g.clone()));
    }
    let flag = |field: &str| match field {
        "case_id" => Some("CASE_ID".to_owned()),
        "group_id" => Some("--group-id".to_owned()),
        _ => None,
    };
    let Some(session) = session::for_operation(global, rules::SHOW_CASE_DETAIL, &listing).await?
    else {
        return Ok(());
    };
    let result = session
        .client
        .download_case_attachments(&case_id, &dir, &options)
        .await;
    session.finish().await;
    match result {
        Ok(done) => {
            if json_output {
                let saved: Vec<Value> = done.saved.iter().map(saved_json).collect();
                output::json(
                    &json!({
                        "case_id": done.case_id,
                        "dir": dir,
                        "saved": saved,
                        "unsaved": [],
                        "bytes": done.bytes(),
                    })
                    .to_string(),
                );
            } else {
                output::out(&format!(
                    "Saved {} attachment(s), {} bytes, of ticket {} in {}",
                    done.saved.len(),
                    done.bytes(),
                    output::clean(&case_id),
                    output::clean(&dir)
                ));
                print_saved(&done.saved);
            }
            Ok(())
        }
        Err(e) => {
            let unsaved: Vec<Value> = e
                .unsaved()
                .iter()
                .map(|u| {
                    json!({
                        "accessory_id": u.attachment.accessory_id,
                        "name": u.attachment.name,
                        "path": u.path.as_ref().map(|p| p.display().to_string()),
                        "error": u.error.to_string(),
                    })
                })
                .collect();
            let saved: Vec<Value> = e.saved().iter().map(saved_json).collect();
            let mut message = None;
            if e.error().is_none() {
                let mut text = format!("error: {}", output::clean(&e.to_string()));
                for u in e.unsaved() {
                    text.push_str(&format!(
                        "\n  not saved: {} {}: {}",
                        output::clean(&u.attachment.accessory_id),
                        output::clean(u.attachment.name.as_deref().unwrap_or("")),
                        output::clean(&u.error.to_string())
                    ));
                }
                message = Some(text);
                if !json_output && !e.saved().is_empty() {
                    output::out(&format!(
                        "Saved {} of the {} attachment(s) of ticket {} in {}",
                        e.saved().len(),
                        e.saved().len() + e.unsaved().len(),
                        output::clean(&case_id),
                        output::clean(&dir)
                    ));
                    print_saved(e.saved());
                }
            }
            let display = e.to_string();
            let mut failure = match e.into_first_error() {
                Some(err) => from_error(err, flag),
                None => Failure::plain_code(1, "Download", display),
            };
            if let Some(m) = message {
                failure.message = m;
            }
            failure.json["case_id"] = json!(case_id);
            failure.json["dir"] = json!(dir);
            failure.json["saved"] = Value::Array(saved);
            failure.json["unsaved"] = Value::Array(unsaved);
            Err(failure)
        }
    }
}

fn print_saved(saved: &[SavedAttachment]) {
    for s in saved {
        output::out(&format!(
            "  {}  {} bytes  {}",
            output::clean(&s.attachment.accessory_id),
            s.bytes,
            output::clean(&s.path.display().to_string())
        ));
    }
}
