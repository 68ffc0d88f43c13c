//! `osm attachment upload FILE | limits | download-all CASE_ID --dir DIR`, and the `--attach FILE` of
//! `osm case create`: files checked against the attachment limits (the documented ones,
//! or the service's with `--service-limits`) before anything is uploaded or created.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use huaweicloud_osm::exec::Input;
use huaweicloud_osm::ops::attachments::{
    AttachOptions, Encoding, LimitsSource, Progress, Purpose, UploadOptions,
};
use huaweicloud_osm::rules::{self, OperationRules};
use huaweicloud_osm::{Attachment, AttachmentLimits, Error, NewCase};
use serde_json::json;

use crate::args;
use crate::dryrun::Request;
use crate::output::{self, Failure, from_error};
use crate::session::{self, Session};

/// The `--attach` flag of `osm case create`.
pub fn attach_args(cmd: Command) -> Command {
    let max = AttachmentLimits::documented().max_count();
    cmd.arg(
        Arg::new("attach")
            .long("attach")
            .value_name("FILE")
            .action(ArgAction::Append)
            .help(format!(
                "Upload FILE and attach it to the ticket (repeatable, at most {max}); every file is \
                 checked against the attachment limits before anything is uploaded or created"
            ))
            .help_heading("Attachments"),
    )
    .arg(service_limits_arg().help_heading("Attachments"))
}

fn service_limits_arg() -> Arg {
    Arg::new("service_limits")
        .long("service-limits")
        .action(ArgAction::SetTrue)
        .help(
            "Check files against the limits the service reports (show_attachment_limits) \
             instead of the documented ones; asks the service first",
        )
}

/// `osm attachment`.
pub fn command() -> Command {
    let limits = AttachmentLimits::documented();
    let upload = Command::new("upload")
        .about("Upload a file and print its attachment id, for --accessory-id")
        .arg(Arg::new("file").value_name("FILE").required(true).help("The file to upload"))
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Send it Base64-encoded in a JSON body (upload_json_attachment) instead of a multipart form"),
        )
        .arg(
            Arg::new("purpose")
                .long("purpose")
                .value_parser(["incident", "message"])
                .default_value("incident")
                .help("What the file is for: a ticket being opened, or a message"),
        )
        .arg(
            Arg::new("markdown")
                .long("markdown")
                .action(ArgAction::SetTrue)
                .help("Upload in markdown mode (upload_type 1)"),
        )
        .arg(service_limits_arg());
    let limits_cmd = args::operation_args(
        Command::new("limits")
            .about("Show how many files, how large and of which types (show_attachment_limits)")
            .arg(
                Arg::new("documented")
                    .long("documented")
                    .action(ArgAction::SetTrue)
                    .help("Print the documented limits the client checks by default, without asking the service"),
            ),
        rules::SHOW_ATTACHMENT_LIMITS,
        false,
    );
    // delete, download, image, url and urls are the operations' generated commands
    // (crate::generic); download-all composes several calls (crate::download).
    Command::new("attachment")
        .about("Files to attach to a ticket: upload, limits, delete, download")
        .long_about(format!(
            "Files to attach to a ticket. Uploads are checked before anything is sent against the \
             documented limits (at most {} files of {} bytes, of the types {}), or against the \
             service's with --service-limits. osm case create --attach FILE uploads and attaches \
             in one go.",
            limits.max_count(),
            limits.max_bytes(),
            limits.file_types().join(", ")
        ))
        .after_help(format!(
            "Examples:\n  osm --emulator attachment upload dmesg.log\n  \
             osm attachment limits -o json\n  \
             osm attachment download-all <case-id> --dir ./case-files\n  \
             osm case create --business-type-id <id> --simple-description \"panic\" --attach dmesg.log\n\n{}",
            args::EXIT_CODES_ACTION
        ))
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(upload)
        .subcommand(limits_cmd)
        .subcommand(crate::download::all_command())
}

/// Runs `osm attachment …`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    match m.subcommand() {
        Some(("upload", sm)) => upload(global, sm, json_output).await,
        Some(("download-all", sm)) => crate::download::save_all(global, sm, json_output).await,
        Some(("limits", sm)) if sm.get_flag("documented") => {
            print_limits(&AttachmentLimits::documented(), json_output);
            Ok(())
        }
        Some(("limits", sm)) => {
            crate::generic::run(global, rules::SHOW_ATTACHMENT_LIMITS, sm, json_output).await
        }
        _ => Err(Failure::usage(
            "unknown attachment command; see osm attachment --help",
        )),
    }
}

fn print_limits(limits: &AttachmentLimits, json_output: bool) {
    let source = match limits.source() {
        LimitsSource::Service => "service",
        LimitsSource::Documented => "documented",
        _ => "custom",
    };
    if json_output {
        output::json(
            &json!({
                "source": source,
                "max_count": limits.max_count(),
                "max_bytes": limits.max_bytes(),
                "file_types": limits.file_types(),
            })
            .to_string(),
        );
    } else {
        output::out(&format!("limits ({source}):"));
        output::out(&format!("  files per ticket: {}", limits.max_count()));
        output::out(&format!("  largest file: {} bytes", limits.max_bytes()));
        output::out(&format!("  file types: {}", limits.file_types().join(", ")));
    }
}

/// What a dry run shows for the uploads of `paths`, for `purpose` (`incident` or
/// `message`), before the request that names them.
fn planned_uploads(
    global: &ArgMatches,
    credentials: Option<&huaweicloud_osm::Credentials>,
    paths: &[PathBuf],
    purpose: &str,
) -> Vec<Request> {
    paths
        .iter()
        .map(|p| Request::upload(global, credentials, rules::UPLOAD_ATTACHMENT, p, purpose))
        .collect()
}

/// What a dry run shows in place of the id upload `i` (from 1) will answer.
fn pending_id(i: usize) -> serde_json::Value {
    json!(format!("[the id upload {i} answers]"))
}

fn attach_flag(_: &str) -> Option<String> {
    Some("--attach".into())
}

/// Checks files against `limits` from the file system, without reading them: count,
/// names, types and sizes. Invalid input exits 2.
fn check_paths(paths: &[PathBuf], limits: &AttachmentLimits, flag: &str) -> Result<(), Failure> {
    let flag_of = |_: &str| Some(flag.to_owned());
    limits
        .check_count(paths.len())
        .map_err(|e| from_error(Error::from(e), flag_of))?;
    for path in paths {
        limits
            .check_path(path)
            .map_err(|e| from_error(e, flag_of))?;
    }
    Ok(())
}

/// The limits to check against: the documented ones, or with `--service-limits` those
/// the service reports (asked through `session`).
async fn limits(m: &ArgMatches, session: Option<&Session>) -> Result<AttachmentLimits, Failure> {
    match session {
        Some(s) if m.get_flag("service_limits") => AttachmentLimits::fetch(&s.client)
            .await
            .map_err(|e| from_error(e, |_| None)),
        _ => Ok(AttachmentLimits::documented()),
    }
}

fn read(paths: &[PathBuf], limits: &AttachmentLimits) -> Result<Vec<Attachment>, Failure> {
    paths
        .iter()
        .map(|p| Attachment::read_blocking(p, limits).map_err(|e| from_error(e, attach_flag)))
        .collect()
}

fn human(n: u64) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}

/// Progress lines on standard error, when it is a terminal.
fn progress(p: &Progress<'_>) {
    match p {
        Progress::Uploading {
            index,
            total,
            name,
            size,
        } => eprintln!(
            "osm: uploading {} ({}) [{}/{total}]…",
            output::clean(name),
            human(*size),
            index + 1
        ),
        Progress::Uploaded { name, id, .. } => {
            eprintln!(
                "osm: uploaded {} as {}",
                output::clean(name),
                output::clean(id)
            )
        }
        Progress::Creating => eprintln!("osm: creating the ticket…"),
        Progress::Deleting { id } => eprintln!("osm: deleting attachment {}…", output::clean(id)),
        _ => {}
    }
}

/// `osm case create … --attach FILE…`: the case is valid already.
pub async fn create_with(
    global: &ArgMatches,
    m: &ArgMatches,
    case: NewCase,
    json_output: bool,
) -> Result<(), Failure> {
    let paths: Vec<PathBuf> = m
        .get_many::<String>("attach")
        .map(|v| v.map(PathBuf::from).collect())
        .unwrap_or_default();
    // Every limit before anything starts or is sent (with --service-limits, once the
    // service said what they are: still before any upload).
    if !m.get_flag("service_limits") {
        check_paths(&paths, &AttachmentLimits::documented(), "--attach")?;
    }
    let credentials = session::credentials(global).await?;
    session::logging(global, credentials.as_ref());
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        let mut requests = planned_uploads(global, credentials.as_ref(), &paths, "incident");
        let mut create = crate::case::create_request(global, credentials.as_ref(), &case);
        let mut ids: Vec<serde_json::Value> = case
            .body()
            .get("accessory_ids")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        ids.extend((1..=paths.len()).map(pending_id));
        create.set_body("accessory_ids", json!(ids));
        requests.push(create);
        crate::dryrun::print(&requests, json_output);
        return Ok(());
    }
    let session = Session::start(global, credentials).await?;
    let result = async {
        // An open ticket for the same thing: nothing is uploaded, nothing opened.
        if let Some(within) = m.get_one::<std::time::Duration>("unless_open")
            && let Some(open) = session
                .client
                .find_open_case(&case, *within)
                .await
                .map_err(|e| crate::case::unsettled(e, &case, |_| None))?
        {
            return Ok(Err(open));
        }
        let limits = limits(m, Some(&session)).await?;
        check_paths(&paths, &limits, "--attach")?;
        let files = read(&paths, &limits)?;
        let mut options = AttachOptions::new().upload(UploadOptions::default().limits(limits));
        if std::io::stderr().is_terminal() {
            options = options.on_progress(progress);
        }
        session
            .client
            .create_case_with_attachments(&case, &files, &options)
            .await
            .map_err(|e| {
                let deleted = e.deleted().to_vec();
                let kept: Vec<String> = e.kept().into_iter().map(str::to_owned).collect();
                let mut f = crate::case::unsettled(e.into_error(), &case, |field| {
                    args::flag_of(rules::CREATE_CASE, field)
                        .or_else(|| field.starts_with("attachment").then(|| "--attach".into()))
                });
                if !deleted.is_empty() {
                    f.message.push_str(&format!(
                        "\n  the attachments uploaded for it were deleted again: {}",
                        deleted.join(", ")
                    ));
                }
                if !kept.is_empty() {
                    f.message.push_str(&format!(
                        "\n  attachments kept (the ticket may name them): {}",
                        kept.join(", ")
                    ));
                }
                f.json["error"]["attachments_deleted"] = json!(deleted);
                f.json["error"]["attachments_kept"] = json!(kept);
                f
            })
            .map(Ok)
    }
    .await;
    session.finish().await;
    let done = match result? {
        Ok(done) => done,
        Err(open) => {
            crate::case::print_created(&open, json_output);
            return Ok(());
        }
    };
    if json_output {
        output::json(&serde_json::to_string(&done).unwrap_or_default());
    } else {
        output::out(&format!(
            "Created ticket {}",
            output::clean(&done.case.incident_id)
        ));
        for a in &done.attachments {
            output::out(&format!(
                "  attachment {}: {}",
                output::clean(&a.name),
                output::clean(&a.id)
            ));
        }
        if let Some(id) = &done.case.request_id {
            output::out(&format!("  request id: {}", output::clean(id)));
        }
    }
    Ok(())
}

async fn upload(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let path = PathBuf::from(m.get_one::<String>("file").cloned().unwrap_or_default());
    let paths = [path];
    if !m.get_flag("service_limits") {
        check_paths(&paths, &AttachmentLimits::documented(), "FILE")?;
    }
    let credentials = session::credentials(global).await?;
    session::logging(global, credentials.as_ref());
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        let purpose = m
            .get_one::<String>("purpose")
            .map_or("incident", String::as_str);
        let request = if m.get_flag("json") {
            let mut r = Request::upload(
                global,
                credentials.as_ref(),
                rules::UPLOAD_JSON_ATTACHMENT,
                &paths[0],
                purpose,
            );
            r.set_body("encoding", json!("base64 in a JSON body"));
            r
        } else {
            Request::upload(
                global,
                credentials.as_ref(),
                rules::UPLOAD_ATTACHMENT,
                &paths[0],
                purpose,
            )
        };
        crate::dryrun::print(&[request], json_output);
        return Ok(());
    }
    let session = Session::start(global, credentials).await?;
    let result = async {
        let limits = limits(m, Some(&session)).await?;
        check_paths(&paths, &limits, "FILE")?;
        let file = read(&paths, &limits)?.remove(0);
        let options = UploadOptions::default()
            .limits(limits)
            .encoding(if m.get_flag("json") {
                Encoding::Json
            } else {
                Encoding::Multipart
            })
            .purpose(match m.get_one::<String>("purpose").map(String::as_str) {
                Some("message") => Purpose::Message,
                _ => Purpose::Incident,
            })
            .markdown(m.get_flag("markdown"));
        if std::io::stderr().is_terminal() {
            progress(&Progress::Uploading {
                index: 0,
                total: 1,
                name: file.name(),
                size: file.len(),
            });
        }
        let id = session
            .client
            .upload_attachment_with(&file, &options)
            .await
            .map_err(|e| from_error(e, |_| Some("FILE".into())))?;
        Ok::<_, Failure>((file, id))
    }
    .await;
    session.finish().await;
    let (file, id) = result?;
    if json_output {
        output::json(
            &json!({"accessory_id": id, "name": file.name(), "size": file.len()}).to_string(),
        );
    } else {
        output::out(&format!(
            "Uploaded {} as {}",
            output::clean(file.name()),
            output::clean(&id)
        ));
        output::out(&format!(
            "  attach it with: osm case create … --accessory-id {}",
            output::clean(&id)
        ));
    }
    Ok(())
}

/// The most attachments one message names: the spec's limit of `message.accessory_ids`.
fn message_max_attachments(op: &OperationRules) -> Option<usize> {
    op.body_field("message")?
        .properties
        .iter()
        .find(|r| r.name == "accessory_ids")?
        .max_items
}

/// The `--attach FILE` of `osm case reply`.
pub fn reply_attach_arg(cmd: Command, op: &OperationRules) -> Command {
    let max = message_max_attachments(op)
        .map(|m| format!(", at most {m} with --accessory-id"))
        .unwrap_or_default();
    cmd.arg(
        Arg::new("attach")
            .long("attach")
            .value_name("FILE")
            .action(ArgAction::Append)
            .help(format!(
                "Upload FILE for the message and attach it (repeatable{max}); every file is \
                 checked against the attachment limits before anything is uploaded or sent"
            ))
            .help_heading("Attachments"),
    )
}

/// `osm case reply … --attach FILE…`: uploads each file for a message, then sends the
/// reply naming them. `input` is the reply, filled in from the other flags.
pub async fn reply_with(
    global: &ArgMatches,
    m: &ArgMatches,
    mut input: Input,
    json_output: bool,
) -> Result<(), Failure> {
    let op = input.operation();
    let paths: Vec<PathBuf> = m
        .get_many::<String>("attach")
        .map(|v| v.map(PathBuf::from).collect())
        .unwrap_or_default();
    let mut message = input
        .body()
        .get("message")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    let mut ids: Vec<serde_json::Value> = message
        .get("accessory_ids")
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default();
    // Every limit before anything is sent: the files, and the message's count with
    // placeholders of the length of an id (checked again with the real ids).
    let limits = AttachmentLimits::documented();
    for path in &paths {
        limits
            .check_path(path)
            .map_err(|e| from_error(e, attach_flag))?;
    }
    if let Some(max) = message_max_attachments(op)
        && ids.len() + paths.len() > max
    {
        return Err(Failure::usage(format!(
            "message.accessory_ids would name {} attachments (--attach and --accessory-id); the \
             maximum is {max}",
            ids.len() + paths.len()
        )));
    }
    let mut planned = message.clone();
    let mut all = ids.clone();
    all.extend((1..=paths.len()).map(|i| json!(format!("a{i:031}"))));
    planned.insert("accessory_ids".into(), json!(all));
    let mut check = input.clone();
    check.set_body("message", serde_json::Value::Object(planned));
    check
        .check()
        .map_err(|e| from_error(e.into(), |f| args::flag_of(op, f)))?;
    let credentials = session::credentials(global).await?;
    session::logging(global, credentials.as_ref());
    session::timeout(global)?;
    if global.get_flag("dry_run") {
        let mut requests = planned_uploads(global, credentials.as_ref(), &paths, "message");
        let mut reply = Request::of(global, credentials.as_ref(), &input);
        let mut shown = ids.clone();
        shown.extend((1..=paths.len()).map(pending_id));
        reply.set_nested("message", "accessory_ids", json!(shown));
        requests.push(reply);
        crate::dryrun::print(&requests, json_output);
        return Ok(());
    }
    let session = Session::start(global, credentials).await?;
    let result = async {
        let files = read(&paths, &limits)?;
        let options = UploadOptions::default()
            .limits(limits.clone())
            .purpose(Purpose::Message);
        let mut uploaded = Vec::new();
        for file in &files {
            let id = session
                .client
                .upload_attachment_with(file, &options)
                .await
                .map_err(|e| {
                    let mut f = from_error(e, attach_flag);
                    if !uploaded.is_empty() {
                        f.message.push_str(&format!(
                            "\n  uploaded already (not attached to any message): {}",
                            uploaded.join(", ")
                        ));
                    }
                    f
                })?;
            if std::io::stderr().is_terminal() {
                eprintln!(
                    "osm: uploaded {} as {}",
                    output::clean(file.name()),
                    output::clean(&id)
                );
            }
            uploaded.push(id);
        }
        ids.extend(uploaded.iter().map(|id| json!(id)));
        message.insert("accessory_ids".into(), json!(ids));
        input.set_body("message", serde_json::Value::Object(message));
        let answer = session.client.send_json(input).await.map_err(|e| {
            let mut f = from_error(e, |field| args::flag_of(op, field));
            f.message.push_str(&format!(
                "\n  the files were uploaded as {}",
                uploaded.join(", ")
            ));
            f
        })?;
        Ok::<_, Failure>((answer, uploaded))
    }
    .await;
    session.finish().await;
    let (answer, uploaded) = result?;
    if json_output {
        let mut value = answer.value().clone();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("accessory_ids".into(), json!(uploaded));
        }
        output::json(&value.to_string());
    } else {
        output::out(&format!(
            "done: reply with {} attachment(s)",
            uploaded.len()
        ));
        for (file, id) in paths.iter().zip(&uploaded) {
            output::out(&format!(
                "  attachment {}: {}",
                output::clean(&file.display().to_string()),
                output::clean(id)
            ));
        }
    }
    Ok(())
}
