//! The emulator `osm --emulator` talks to, which remembers between commands, and
//! `osm emulator …`, which plays the support side on the same state: reply to a ticket,
//! set its status, show the verification codes sent, start afresh, serve in the
//! foreground.
//!
//! The state is a state file of the emulator's (`--emulator-state FILE`, else
//! `tickets.jsonl` in `$XDG_STATE_HOME/osm/emulator/` or `~/.local/state/osm/emulator/`)
//! with the files the emulator keeps beside it. Every command that uses it holds an
//! exclusive lock on `<state file>.shell-lock` from before the emulator loads the state
//! until it has written its last change, so two commands run at once take turns (the
//! second says that it waits, and for whom) and never lose each other's writes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command};
use osm_emulator::RunningEmulator;
use serde_json::{Value, json};

use crate::output::{self, Failure};
use crate::status;

/// The state file's name in the default state directory.
const STATE_FILE_NAME: &str = "tickets.jsonl";

/// The default state directory: `$XDG_STATE_HOME/osm/emulator`, else
/// `$HOME/.local/state/osm/emulator` (relative values are ignored, as the XDG rules say).
pub fn default_dir() -> Result<PathBuf, Failure> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(state) = absolute("XDG_STATE_HOME") {
        return Ok(state.join("osm").join("emulator"));
    }
    if let Some(home) = absolute("HOME") {
        return Ok(home
            .join(".local")
            .join("state")
            .join("osm")
            .join("emulator"));
    }
    Err(Failure::setup(
        "no place for the emulator's state: neither XDG_STATE_HOME nor HOME is set to an \
         absolute path; choose a file with --emulator-state FILE",
    ))
}

/// The state file in force: `--emulator-state FILE`, else the default one.
pub fn state_file(global: &ArgMatches) -> Result<PathBuf, Failure> {
    match global.get_one::<String>("emulator_state") {
        Some(path) => Ok(PathBuf::from(path)),
        None => Ok(default_dir()?.join(STATE_FILE_NAME)),
    }
}

fn sibling(state: &Path, suffix: &str) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The lock every `osm` command using the state file holds.
fn lock_path(state: &Path) -> PathBuf {
    sibling(state, ".shell-lock")
}

/// The lock on a state file, held while the value lives.
pub struct StateLock {
    _file: File,
    /// The state file it covers.
    pub state: PathBuf,
}

/// Takes the lock on `state`'s state (creating its directory), waiting for the command
/// that holds it, and saying so on standard error.
pub fn lock(state: &Path) -> Result<StateLock, Failure> {
    let setup = |what: &str, path: &Path, e: std::io::Error| {
        Failure::setup(format!("cannot {what} {}: {e}", path.display()))
    };
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(|e| setup("create the state directory", dir, e))?;
    }
    let path = lock_path(state);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| setup("open the lock", &path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = (&file).take(32).read_to_string(&mut holder);
            let holder = holder.trim();
            eprintln!(
                "osm: waiting for another osm command using the emulator's state {} to finish{}",
                state.display(),
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (pid {})", output::clean(holder))
                }
            );
            file.lock().map_err(|e| setup("lock", &path, e))?;
        }
        Err(TryLockError::Error(e)) => return Err(setup("lock", &path, e)),
    }
    // Informative only: who holds it, for the next command's message.
    let _ = file.set_len(0).and_then(|()| {
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(0))?;
        write!(file, "{}", std::process::id())
    });
    Ok(StateLock {
        _file: file,
        state: state.to_path_buf(),
    })
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// An emulator on the state of this run, and its lock.
pub struct Held {
    pub emulator: RunningEmulator,
    lock: StateLock,
}

/// Locks the state and starts an emulator on it, accepting any token, listening on
/// `listen` (an ephemeral loopback port unless given).
pub async fn start(global: &ArgMatches, listen: Option<&str>) -> Result<Held, Failure> {
    let state = state_file(global)?;
    let lock = lock(&state)?;
    let mut builder = osm_emulator::Emulator::builder()
        .accept_any_token(true)
        .state_file(&state);
    if let Some(addr) = listen {
        let addr: std::net::SocketAddr = addr.parse().map_err(|_| {
            Failure::usage(format!(
                "--listen {addr:?}: not an address like 127.0.0.1:8086"
            ))
        })?;
        builder = builder.listen(addr);
    }
    let emulator = builder.start().await.map_err(|e| {
        let mut message = format!("cannot start the emulator: {e}");
        if e.kind() == std::io::ErrorKind::WouldBlock {
            message.push_str(
                "\n  an osm-emulator process serves this state: stop it, or give another \
                 file with --emulator-state FILE",
            );
        } else if e.kind() == std::io::ErrorKind::InvalidData {
            message.push_str("\n  start afresh with: osm emulator reset");
        }
        Failure::setup(message)
    })?;
    Ok(Held { emulator, lock })
}

impl Held {
    /// Stops the emulator (what it changed is in its state files already: tickets,
    /// attachments, verified contacts, the codes it sent), then lets the next command in.
    pub async fn finish(self) {
        self.emulator.shutdown().await;
        drop(self.lock);
    }
}

/// What `osm emulator --help` says after the subcommands.
const EMULATOR_EXAMPLES: &str = "\
Examples:
  ID=$(osm --emulator --query incident_id --raw case create --business-type-id 1 --simple-description \"disk full\")
  osm emulator reply \"$ID\" --content \"Please send the output of df -h.\" --status 17
  osm emulator set-status \"$ID\" 3
  osm emulator codes
  osm emulator serve --listen 127.0.0.1:8086
  osm emulator reset

Exit codes:
  0  done
  1  the emulator refused (no such ticket, a status it does not know)
  2  invalid input or usage
  4  the state could not be used (locked by an osm-emulator process, unreadable)";

/// `osm emulator`.
pub fn command() -> Command {
    let case_id = || {
        Arg::new("case_id")
            .value_name("CASE_ID")
            .required(true)
            .help("The ticket's id (incident_id)")
    };
    let status_arg = |required: bool| {
        Arg::new("status")
            .value_name("STATUS")
            .required(required)
            .value_parser(parse_status)
            .help(format!("A status of the spec's: {}", status::help_list()))
    };
    Command::new("emulator")
        .about("Play the support side on the emulator osm --emulator uses: reply, set a status, codes, reset, serve")
        .long_about(
            "Play the support side on the emulator osm --emulator uses. Its state (tickets, \
             their messages and statuses, attachments, verified contacts, codes sent) is kept \
             in --emulator-state FILE, else in $XDG_STATE_HOME/osm/emulator/ (or \
             ~/.local/state/osm/emulator/). Commands that use it at the same time take turns.",
        )
        .after_help(EMULATOR_EXAMPLES)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("reply")
                .about("Reply to a ticket as the support engineer, and set its status")
                .arg(case_id())
                .arg(
                    Arg::new("content")
                        .long("content")
                        .value_name("TEXT")
                        .required(true)
                        .help("The reply"),
                )
                .arg(
                    status_arg(false)
                        .long("status")
                        .help("Also set the ticket's status (17, waiting for the customer's feedback, is usual)"),
                ),
        )
        .subcommand(
            Command::new("set-status")
                .about("Set a ticket's status as the support side would")
                .arg(case_id())
                .arg(status_arg(true)),
        )
        .subcommand(Command::new("codes").about("Show the verification codes the emulator sent"))
        .subcommand(
            Command::new("reset")
                .about("Start afresh: remove every ticket, message, attachment, verified contact and code"),
        )
        .subcommand(
            Command::new("serve")
                .about("Serve the emulator on an address in the foreground, for other clients, until interrupted")
                .long_about(
                    "Serve the emulator on an address in the foreground until interrupted \
                     (Ctrl-C, SIGTERM), on the same state as osm --emulator, accepting any \
                     token (X-Auth-Token). Prints its URL on standard output. osm --emulator \
                     commands wait while it serves.",
                )
                .arg(
                    Arg::new("listen")
                        .long("listen")
                        .value_name("ADDR")
                        .default_value(osm_emulator::DEFAULT_BINARY_LISTEN)
                        .help("The address to listen on (port 0: any free port)"),
                ),
        )
}

/// A status the spec names, by its number.
fn parse_status(text: &str) -> Result<i64, String> {
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a status number"))?;
    if status::label(n).is_none() {
        return Err(format!("{n} is not a status: {}", status::help_list()));
    }
    Ok(n)
}

/// Runs `osm emulator …`.
pub async fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let (sub, sm) = m
        .subcommand()
        .ok_or_else(|| Failure::usage("which emulator command? see osm emulator --help"))?;
    match sub {
        "reset" => reset(global, json_output),
        "codes" => codes(global, json_output),
        "serve" => serve(global, sm).await,
        "reply" | "set-status" => support(global, sub, sm, json_output).await,
        _ => Err(Failure::usage(format!("unknown emulator command {sub}"))),
    }
}

async fn support(
    global: &ArgMatches,
    sub: &str,
    m: &ArgMatches,
    json_output: bool,
) -> Result<(), Failure> {
    let id = m.get_one::<String>("case_id").cloned().unwrap_or_default();
    let status = m.get_one::<i64>("status").copied();
    let held = start(global, None).await?;
    let result = match sub {
        "reply" => {
            let content = m.get_one::<String>("content").cloned().unwrap_or_default();
            held.emulator.reply(&id, &content, status)
        }
        _ => held
            .emulator
            .set_case_status(&id, status.unwrap_or_default()),
    };
    let now = held.emulator.case_status(&id);
    held.finish().await;
    result.map_err(|e| Failure::plain_code(1, "Emulator", output::clean(&e)))?;
    if json_output {
        output::json(&json!({"incident_id": id, "status": now, "done": sub}).to_string());
    } else {
        let shown = now.map(status::show).unwrap_or_else(|| "?".into());
        let what = if sub == "reply" {
            "replied to"
        } else {
            "set the status of"
        };
        output::out(&format!(
            "Support {what} {}; its status is {shown}",
            output::clean(&id)
        ));
    }
    Ok(())
}

fn reset(global: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let state = state_file(global)?;
    let lock = lock(&state)?;
    let mut removed = Vec::new();
    for path in osm_emulator::state_paths(&state) {
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Ok(()) => removed.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Failure::setup(format!(
                    "cannot remove {}: {e}",
                    path.display()
                )));
            }
        }
    }
    drop(lock);
    if json_output {
        output::json(
            &json!({"state": state.display().to_string(), "removed": removed}).to_string(),
        );
    } else if removed.is_empty() {
        output::out(&format!(
            "Nothing to remove: {} holds no state",
            state.display()
        ));
    } else {
        output::out(&format!("Started afresh: removed {}", removed.join(", ")));
    }
    Ok(())
}

/// The codes the emulator sent, from its own codes file beside the state file.
fn codes(global: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    let state = state_file(global)?;
    let lock = lock(&state)?;
    let codes = osm_emulator::saved_verification_codes(&state);
    drop(lock);
    let codes: Vec<Value> = codes
        .map_err(|e| {
            Failure::setup(format!(
                "cannot read the verification codes of {}: {e}\n  start afresh with: osm emulator reset",
                state.display()
            ))
        })?
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect();
    if json_output {
        output::json(&json!({ "codes": codes }).to_string());
    } else if codes.is_empty() {
        output::out(
            "No code was sent (osm --emulator contact send-code --email ADDRESS sends one)",
        );
    } else {
        for l in output::table(&codes) {
            output::out(&l);
        }
    }
    Ok(())
}

async fn serve(global: &ArgMatches, m: &ArgMatches) -> Result<(), Failure> {
    let listen = m.get_one::<String>("listen").map(String::as_str);
    let held = start(global, listen).await?;
    eprintln!(
        "osm: the emulator serves {} at {}, accepting any X-Auth-Token; Ctrl-C stops it",
        held.lock.state.display(),
        held.emulator.base_url()
    );
    output::out(&held.emulator.base_url());
    wait_for_signal().await;
    held.finish().await;
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
