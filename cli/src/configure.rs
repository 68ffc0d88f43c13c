//! `osm configure`: writes a profile of the configuration file, asking on a terminal or
//! taking flags; a key pair goes to the vendor's credentials file (`[global]`, mode 600),
//! never to the configuration: one file per profile, so that profiles keep their own
//! pairs. `osm configure --list` shows the settings in force and where each came from.
//!
//! Every write holds a lock (`FILE.lock` beside each file written) from the read to the
//! rename, so that concurrent runs never lose a write; a run that cannot get the lock in
//! time fails and writes nothing.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};
use huaweicloud_osm::credentials::{
    ENV_CREDENTIALS_FILE, edit_profile_text, parse_profile_text, read_profile_text,
};
use serde_json::json;
use toml_edit::{DocumentMut, value};

use crate::config::{self, ConfigFile, KEYS};
use crate::output::{self, Failure};

/// The longest access key id or secret key accepted.
pub const MAX_KEY_LENGTH: usize = 256;
/// The longest answer read for one prompt.
const MAX_ANSWER: u64 = 4096;
/// How many times a prompt asks again after an invalid answer.
const TRIES: usize = 3;
/// How long `osm configure` waits for another one writing the same file.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// `osm configure`.
pub fn command() -> Command {
    Command::new("configure")
        .about("Write a profile of the configuration file (secrets go to the vendor's credentials file)")
        .long_about(
            "Write a profile of the configuration file. On a terminal without settings given, \
             asks for each (Enter keeps the value shown). Otherwise writes the global flags given \
             on the command line (--site, --endpoint, --timeout, --max-attempts, --credentials) \
             and --language, --time-zone, --output-format, --credentials-file into the profile \
             named by --profile (default: default). An access key pair goes to a vendor's \
             credentials file (section [global], mode 600), never to the configuration: the \
             profile's credentials_file if it has one, else HUAWEICLOUD_SDK_CREDENTIALS_FILE, \
             else ~/.huaweicloud/credentials for the profile default and \
             ~/.huaweicloud/credentials-PROFILE for the others, so that each profile keeps its \
             own pair. The profile then reads it (credentials = \"profile\", credentials_file). \
             Only the keys written change in that file (comments, other sections and quotes \
             stay); a key pair it replaces is named before it is replaced.",
        )
        .after_help(
            "Examples:\n  osm configure\n  \
             osm configure --profile work --site eu --language en-us --time-zone GMT+1 --timeout 30\n  \
             printf '%s' \"$SK\" | osm configure --profile work --access-key AK... --secret-key-stdin\n  \
             osm --profile work configure --list",
        )
        .arg(
            Arg::new("language")
                .long("language")
                .value_name("TEXT")
                .help("The profile's language (X-Language), such as en-us"),
        )
        .arg(
            Arg::new("time_zone")
                .long("time-zone")
                .value_name("TEXT")
                .help("The profile's time zone (X-Time-Zone), such as GMT+1"),
        )
        .arg(
            Arg::new("output_format")
                .long("output-format")
                .value_name("FORMAT")
                .value_parser(["json", "text"])
                .help("The profile's output format (-o is this command's own output)"),
        )
        .arg(
            Arg::new("credentials_file")
                .long("credentials-file")
                .value_name("PATH")
                .help("The vendor's credentials file the profile reads its key pair from"),
        )
        .arg(
            Arg::new("access_key")
                .long("access-key")
                .value_name("AK")
                .requires("secret_key_stdin")
                .help("Write this access key id to the credentials file, with the secret key read from standard input"),
        )
        .arg(
            Arg::new("secret_key_stdin")
                .long("secret-key-stdin")
                .action(ArgAction::SetTrue)
                .requires("access_key")
                .help("Read the secret key from standard input (never give it as a flag)"),
        )
        .arg(
            Arg::new("prompt")
                .long("prompt")
                .action(ArgAction::SetTrue)
                .help("Ask for each setting even when standard input is not a terminal (answers one per line)"),
        )
        .arg(
            Arg::new("list")
                .long("list")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["language", "time_zone", "output_format", "credentials_file", "access_key", "prompt"])
                .help("Show the settings in force and where each comes from; write nothing"),
        )
}

/// Runs `osm configure`.
pub fn run(global: &ArgMatches, m: &ArgMatches, json_output: bool) -> Result<(), Failure> {
    if m.get_flag("list") {
        return list(json_output);
    }
    let (path, _) = config::config_path().ok_or_else(|| {
        Failure::setup(format!(
            "no configuration file: set {} or HOME",
            config::ENV_CONFIG_FILE
        ))
    })?;
    // Read, change and write under the lock: a concurrent run waits, then sees this one's
    // profile.
    let _config_lock = lock_beside(&path)?;
    let mut file = ConfigFile::load()?;
    let profile = config::settings().profile.clone();
    let mut updates: Vec<(&'static str, String)> = Vec::new();
    for k in KEYS {
        let given = match k.arg {
            // Only what is on this command line: a variable of the environment is not
            // written into a profile.
            // -o is this command's own output; the profile's is --output-format.
            Some("output") => m.get_one::<String>("output_format").cloned(),
            Some(id) if global.value_source(id) == Some(ValueSource::CommandLine) => global
                .get_raw(id)
                .and_then(|mut v| v.next())
                .map(|v| v.to_string_lossy().into_owned()),
            Some(_) => None,
            None => m.get_one::<String>(k.name).cloned(),
        };
        if let Some(v) = given {
            config::check_value(k.name, &v)
                .map_err(|e| Failure::usage(format!("{}: {e}", k.name)))?;
            updates.push((k.name, v));
        }
    }
    let mut key_pair = None;
    if let Some(ak) = m.get_one::<String>("access_key") {
        check_key("--access-key", ak)?;
        let sk = read_secret_from_stdin()?;
        key_pair = Some((ak.clone(), sk));
    }
    let interactive = m.get_flag("prompt")
        || (updates.is_empty() && key_pair.is_none() && std::io::stdin().is_terminal());
    if interactive {
        let (u, kp) = ask(&file, &profile)?;
        updates = u;
        key_pair = kp;
    } else if updates.is_empty() && key_pair.is_none() {
        return Err(Failure::usage(
            "nothing to write: give settings as flags (osm configure --profile work --site eu ...) \
             or run osm configure on a terminal",
        ));
    }
    let mut written: Vec<&str> = updates.iter().map(|(k, _)| *k).collect();
    let credentials_file = match &key_pair {
        Some((ak, sk)) => {
            let (target, own) = credentials_target(&file, &profile, &updates)?;
            let _credentials_lock = lock_beside(&target)?;
            write_key_pair(&file, &profile, &target, ak, sk)?;
            for (k, v) in [
                ("credentials", Some("profile".to_owned())),
                ("credentials_file", own),
            ] {
                if let Some(v) = v
                    && !updates.iter().any(|(u, _)| *u == k)
                {
                    updates.push((k, v));
                    written.push(k);
                }
            }
            Some((target, ak.clone()))
        }
        None => None,
    };
    let doc = &mut file.doc;
    if !doc.contains_key(&profile) {
        doc.insert(&profile, toml_edit::table());
    }
    for (k, v) in &updates {
        doc[profile.as_str()][*k] = match *k {
            "timeout" => match v.parse::<i64>() {
                Ok(i) => value(i),
                Err(_) => value(v.parse::<f64>().unwrap_or(60.0)),
            },
            "max_attempts" => value(v.parse::<i64>().unwrap_or(3)),
            _ => value(v.as_str()),
        };
    }
    write_config(&path, doc)?;
    if json_output {
        output::json(
            &json!({
                "profile": profile,
                "config_file": path.display().to_string(),
                "written": written,
                "credentials_file": credentials_file.as_ref().map(|(p, _)| p.display().to_string()),
                "access_key": credentials_file.as_ref().map(|(_, ak)| ak),
            })
            .to_string(),
        );
    } else {
        output::out(&format!(
            "wrote profile {profile} to {} ({})",
            path.display(),
            written.join(", ")
        ));
        if let Some((p, ak)) = &credentials_file {
            output::out(&format!(
                "wrote access key {ak} and its secret key to {} ([global], mode 600; the \
                 vendor's SDKs read it with {ENV_CREDENTIALS_FILE}={})",
                p.display(),
                p.display()
            ));
        }
    }
    Ok(())
}

/// `osm configure --list`.
fn list(json_output: bool) -> Result<(), Failure> {
    let s = config::settings();
    if json_output {
        output::json(&s.to_json().to_string());
        return Ok(());
    }
    let file = s
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(none)".into());
    output::out(&format!(
        "profile {} ({}) in {file}",
        s.profile,
        if s.profile_found {
            "found"
        } else {
            "not in the file"
        }
    ));
    // Columns in this order: serde_json keeps an object's keys sorted.
    let rows: Vec<_> = s
        .values
        .iter()
        .map(|r| {
            let from = r.origin.describe(&s.profile);
            json!({"name": r.key, "value": r.value, "where": from})
        })
        .collect();
    for line in output::table(&rows) {
        output::out(&line);
    }
    Ok(())
}

/// An access key id or secret key: printable ASCII without spaces, `;` or `#` (which
/// an INI reader may take for a comment), at most [`MAX_KEY_LENGTH`]. The message never
/// holds the value.
fn check_key(what: &str, key: &str) -> Result<(), Failure> {
    let len = key.chars().count();
    if len == 0 || len > MAX_KEY_LENGTH {
        return Err(Failure::usage(format!(
            "{what}: {len} characters; 1 to {MAX_KEY_LENGTH} expected"
        )));
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_graphic() && c != ';' && c != '#')
    {
        return Err(Failure::usage(format!(
            "{what}: only printable ASCII without spaces, ';' or '#' is accepted ({len} characters given)"
        )));
    }
    Ok(())
}

/// The secret key from standard input: one line, at most [`MAX_KEY_LENGTH`].
fn read_secret_from_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_KEY_LENGTH as u64 + 3)
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("--secret-key-stdin: cannot read: {e}")))?;
    let sk = text.trim_end_matches(['\r', '\n']).to_owned();
    check_key("the secret key", &sk)?;
    Ok(sk)
}

/// One answer line from standard input (bounded), without its line end; `None` at the
/// end of the input.
fn read_line(input: &mut impl BufRead) -> Result<Option<String>, Failure> {
    let mut line = String::new();
    let n = input
        .take(MAX_ANSWER)
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).trim().to_owned()))
}

fn prompt(text: &str) {
    let mut err = std::io::stderr();
    let _ = write!(err, "{text}");
    let _ = err.flush();
}

type Answers = (Vec<(&'static str, String)>, Option<(String, String)>);

/// Asks for each setting (Enter keeps the value shown), then for a key pair.
fn ask(file: &ConfigFile, profile: &str) -> Result<Answers, Failure> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let mut input = stdin.lock();
    eprintln!("osm: configuring profile {profile}; Enter keeps the value in brackets");
    let mut updates = Vec::new();
    // The credentials file follows from the profile (see credentials_target); it is a
    // flag, not a question.
    for k in KEYS.iter().filter(|k| k.name != "credentials_file") {
        let current = file.value(profile, k.name);
        let shown = current.clone().unwrap_or_default();
        let mut tries = 0;
        loop {
            prompt(&format!("{} [{shown}]: ", k.name));
            let Some(answer) = read_line(&mut input)? else {
                return Ok((updates, None));
            };
            if answer.is_empty() {
                break;
            }
            match config::check_value(k.name, &answer) {
                Ok(()) => {
                    if current.as_deref() != Some(answer.as_str()) {
                        updates.push((k.name, answer));
                    }
                    break;
                }
                Err(e) => {
                    tries += 1;
                    eprintln!("osm: {}: {e}", k.name);
                    if tries == TRIES {
                        return Err(Failure::usage(format!("{}: {e}", k.name)));
                    }
                }
            }
        }
    }
    prompt("access key id (Enter: leave the credentials file as it is): ");
    let Some(ak) = read_line(&mut input)?.filter(|a| !a.is_empty()) else {
        return Ok((updates, None));
    };
    check_key("the access key id", &ak)?;
    let sk = if terminal {
        drop(input);
        rpassword::prompt_password("secret access key (not shown): ")
            .map_err(|e| Failure::usage(format!("cannot read the secret key: {e}")))?
    } else {
        prompt("secret access key: ");
        read_line(&mut input)?.unwrap_or_default()
    };
    check_key("the secret key", &sk)?;
    Ok((updates, Some((ak, sk))))
}

/// The credentials file the key pair of `profile` goes to, and the path to record as the
/// profile's `credentials_file` when the profile does not name it yet: `--credentials-file`,
/// else the profile's `credentials_file`, else `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
/// `~/.huaweicloud/credentials` for the profile `default` and
/// `~/.huaweicloud/credentials-PROFILE` for any other, so that two profiles never share a
/// pair unless told to.
fn credentials_target(
    file: &ConfigFile,
    profile: &str,
    updates: &[(&'static str, String)],
) -> Result<(PathBuf, Option<String>), Failure> {
    if let Some((_, p)) = updates.iter().find(|(k, _)| *k == "credentials_file") {
        return Ok((PathBuf::from(p), None));
    }
    if let Some(p) = file.value(profile, "credentials_file") {
        return Ok((PathBuf::from(p), None));
    }
    if let Some(p) = std::env::var_os(ENV_CREDENTIALS_FILE).filter(|p| !p.is_empty()) {
        return Ok((PathBuf::from(p), None));
    }
    let dir = std::env::home_dir()
        .map(|h| h.join(".huaweicloud"))
        .ok_or_else(|| {
            Failure::setup(format!(
                "no home directory: give --credentials-file or set {ENV_CREDENTIALS_FILE} to say \
                 where the key pair goes"
            ))
        })?;
    if profile == config::DEFAULT_PROFILE {
        return Ok((dir.join("credentials"), None));
    }
    let own = dir.join(format!("credentials-{profile}"));
    let recorded = own.to_string_lossy().into_owned();
    Ok((own, Some(recorded)))
}

/// The credentials file another profile of `file` reads when its source is `profile`.
fn file_of(file: &ConfigFile, profile: &str) -> Option<PathBuf> {
    if let Some(p) = file.value(profile, "credentials_file") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os(ENV_CREDENTIALS_FILE).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    std::env::home_dir().map(|h| h.join(".huaweicloud").join("credentials"))
}

/// Holds an exclusive lock on `PATH.lock` beside `path` (created, mode 600) until the
/// returned file is dropped; waits at most [`LOCK_WAIT`] for another `osm configure`,
/// then fails naming the file.
fn lock_beside(path: &Path) -> Result<std::fs::File, Failure> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_dir(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let lock = options
        .open(&lock_path)
        .map_err(|e| Failure::setup(format!("cannot lock {}: {e}", lock_path.display())))?;
    let deadline = std::time::Instant::now() + LOCK_WAIT;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Failure::setup(format!(
                    "{} is being written by another osm configure ({} held for {} s); \
                     nothing was written, try again",
                    path.display(),
                    lock_path.display(),
                    LOCK_WAIT.as_secs()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Failure::setup(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )));
            }
        }
    }
}

/// Creates `dir` (and its parents), private to the user where it is new.
fn create_dir(dir: &Path) -> Result<(), Failure> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| Failure::setup(format!("cannot create {}: {e}", dir.display())))
}

/// The file a write to `path` must replace: the target of a symbolic link (links
/// followed, at most 40), else `path`.
fn real_target(path: &Path) -> Result<PathBuf, Failure> {
    let mut p = path.to_owned();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&p).map_err(|e| {
                    Failure::setup(format!("cannot read the link {}: {e}", p.display()))
                })?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(Failure::setup(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

/// Writes `text` to `path` through a new file beside it (mode 600 where the platform
/// has modes), renamed over the old one: a reader never sees half a file. A symbolic
/// link stays a link: the file it points to is replaced.
fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    let path = &real_target(path)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir(dir)?;
    let fail = |e: std::io::Error| Failure::setup(format!("cannot write {}: {e}", path.display()));
    // tempfile creates the file with mode 600 on Unix.
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

fn write_config(path: &Path, doc: &DocumentMut) -> Result<(), Failure> {
    write_atomically(path, &doc.to_string())
}

/// Sets `ak` and `sk` in the `[global]` section of the credentials file `path`, changing
/// no other line (comments, other sections, quotes stay as they are); a `security_token`
/// left from temporary keys is removed (it belongs to another key pair). Says first, on
/// standard error, which access key it replaces and which other profiles read the file.
fn write_key_pair(
    file: &ConfigFile,
    profile: &str,
    path: &Path,
    ak: &str,
    sk: &str,
) -> Result<(), Failure> {
    let setup = |e: huaweicloud_osm::CredentialsError| {
        Failure::setup(format!("{e}; fix or remove it first"))
    };
    let text = read_profile_text(path).map_err(setup)?.unwrap_or_default();
    if let Ok(old) = parse_profile_text(path, &text)
        && let Some(old_ak) = old.credentials().access_key()
    {
        let readers: Vec<String> = file
            .profiles()
            .into_iter()
            .filter(|p| p != profile)
            .filter(|p| file.value(p, "credentials").as_deref() != Some("env"))
            .filter(|p| file_of(file, p).as_deref() == Some(path))
            .collect();
        let also = if readers.is_empty() {
            String::new()
        } else {
            format!(" (profiles {} read this file too)", readers.join(", "))
        };
        eprintln!(
            "osm: replacing access key {} in {} [global]{also}",
            output::clean(old_ak),
            path.display()
        );
    }
    let edited = edit_profile_text(path, &text, &[("ak", ak), ("sk", sk)], &["security_token"])
        .map_err(setup)?;
    write_atomically(path, &edited)
}
