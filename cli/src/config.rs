//! The CLI's configuration: named profiles in a TOML file, environment variables, flags,
//! and the one place that decides which wins (flag > environment > profile > default).
//!
//! The file is `$OSM_CONFIG_FILE`, else `$XDG_CONFIG_HOME/osm/config.toml`, else
//! `~/.config/osm/config.toml`. Each top-level table is a profile:
//!
//! ```toml
//! [default]
//! site = "intl"
//!
//! [work]
//! site = "eu"
//! language = "en-us"
//! time_zone = "GMT+1"
//! timeout = 30
//! max_attempts = 5
//! credentials = "profile"
//! credentials_file = "/home/me/.huaweicloud/credentials-work"
//! ```
//!
//! `credentials_file` names the vendor's credentials file the profile's key pair is in
//! (`HUAWEICLOUD_SDK_CREDENTIALS_FILE` overrides it), so that each profile keeps its own.
//!
//! Secrets never go here: `osm configure` writes a key pair to the vendor's credentials file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::ArgMatches;
use clap::parser::ValueSource;
use huaweicloud_osm::rules::{self, Location};
use serde_json::{Value, json};
use toml_edit::{DocumentMut, Item};

use crate::args;
use crate::output::Failure;

pub use huaweicloud_osm::credentials::ENV_CREDENTIALS_FILE;

/// Environment variable naming the configuration file.
pub const ENV_CONFIG_FILE: &str = "OSM_CONFIG_FILE";
/// Environment variable for the `language` setting (no global flag).
pub const ENV_LANGUAGE: &str = "OSM_LANGUAGE";
/// Environment variable for the `time_zone` setting (no global flag).
pub const ENV_TIME_ZONE: &str = "OSM_TIME_ZONE";
/// The profile used when neither `--profile` nor `OSM_PROFILE` names one.
pub const DEFAULT_PROFILE: &str = "default";
/// The largest configuration file read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 256 * 1024;
/// The longest profile name.
pub const MAX_PROFILE_NAME: usize = 64;

/// A setting: its key in a profile, and the global flag (clap id) that sets it, if any.
pub struct Key {
    /// The key in a profile table.
    pub name: &'static str,
    /// The clap id of the global flag; `None` for the settings without one.
    pub arg: Option<&'static str>,
    /// The environment variable of the settings without a flag.
    pub env: Option<&'static str>,
}

/// Every setting a profile may hold, in the order `osm configure` asks for them.
pub const KEYS: &[Key] = &[
    Key {
        name: "site",
        arg: Some("site"),
        env: None,
    },
    Key {
        name: "endpoint",
        arg: Some("endpoint"),
        env: None,
    },
    Key {
        name: "language",
        arg: None,
        env: Some(ENV_LANGUAGE),
    },
    Key {
        name: "time_zone",
        arg: None,
        env: Some(ENV_TIME_ZONE),
    },
    Key {
        name: "output",
        arg: Some("output"),
        env: None,
    },
    Key {
        name: "timeout",
        arg: Some("timeout"),
        env: None,
    },
    Key {
        name: "max_attempts",
        arg: Some("max_attempts"),
        env: None,
    },
    Key {
        name: "credentials",
        arg: Some("credentials"),
        env: None,
    },
    Key {
        name: "credentials_file",
        arg: None,
        env: Some(ENV_CREDENTIALS_FILE),
    },
];

/// The longest `credentials_file` path accepted, in characters.
pub const MAX_PATH_LENGTH: usize = 4096;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A flag on the command line.
    Flag,
    /// An environment variable (its name).
    Env(String),
    /// The profile of the configuration file.
    Profile,
    /// The built-in default (or, for `language`, `time_zone`, `endpoint` and `output`,
    /// nothing: the service's or the terminal's default).
    Default,
}

impl Origin {
    /// How `osm configure --list` shows it: `flag`, `env OSM_SITE`, `profile work`, `default`.
    pub fn describe(&self, profile: &str) -> String {
        match self {
            Origin::Flag => "flag".into(),
            Origin::Env(name) => format!("env {name}"),
            Origin::Profile => format!("profile {profile}"),
            Origin::Default => "default".into(),
        }
    }
}

/// One resolved setting.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The key.
    pub key: &'static str,
    /// The value in force, as text; `None` when unset.
    pub value: Option<String>,
    /// Where it came from.
    pub origin: Origin,
}

/// The settings in force for this run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The profile's name, and where the name came from.
    pub profile: String,
    /// Where the profile's name came from.
    pub profile_origin: Origin,
    /// Whether the configuration file has that profile.
    pub profile_found: bool,
    /// The configuration file, when one is known.
    pub config_file: Option<PathBuf>,
    /// Every key of [`KEYS`], resolved.
    pub values: Vec<Resolved>,
}

impl Settings {
    /// The built-in defaults only (nothing resolved yet).
    pub fn defaults() -> Self {
        Self {
            profile: DEFAULT_PROFILE.into(),
            profile_origin: Origin::Default,
            profile_found: false,
            config_file: None,
            values: KEYS
                .iter()
                .map(|k| Resolved {
                    key: k.name,
                    value: default_of(k.name).map(str::to_owned),
                    origin: Origin::Default,
                })
                .collect(),
        }
    }

    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|r| r.key == key)
            .and_then(|r| r.value.as_deref())
    }

    /// `--timeout` in seconds.
    pub fn timeout_secs(&self) -> f64 {
        self.get("timeout")
            .and_then(|t| args::seconds(t).ok())
            .unwrap_or(args::DEFAULT_TIMEOUT_SECS)
    }

    /// `--max-attempts`.
    pub fn max_attempts(&self) -> u32 {
        self.get("max_attempts")
            .and_then(|t| t.parse().ok())
            .unwrap_or(args::DEFAULT_MAX_ATTEMPTS)
    }

    /// The settings as JSON, for `osm configure --list`.
    pub fn to_json(&self) -> Value {
        let settings: serde_json::Map<String, Value> = self
            .values
            .iter()
            .map(|r| {
                (
                    r.key.to_owned(),
                    json!({"value": r.value, "from": r.origin.describe(&self.profile)}),
                )
            })
            .collect();
        json!({
            "profile": {
                "name": self.profile,
                "from": self.profile_origin.describe(&self.profile),
                "found": self.profile_found,
            },
            "config_file": self.config_file.as_ref().map(|p| p.display().to_string()),
            "settings": settings,
        })
    }
}

fn default_of(key: &str) -> Option<&'static str> {
    match key {
        "site" => Some("intl"),
        "timeout" => Some("60"),
        "max_attempts" => Some("3"),
        "credentials" => Some("chain"),
        _ => None,
    }
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Records the settings of this run (once, in `main`).
pub fn install(settings: Settings) {
    let _ = SETTINGS.set(settings);
}

/// The settings of this run ([`Settings::defaults`] before [`install`]).
pub fn settings() -> &'static Settings {
    SETTINGS.get_or_init(Settings::defaults)
}

/// The configuration file's path: `OSM_CONFIG_FILE`, else under `XDG_CONFIG_HOME`, else
/// under the home directory; and whether it was named explicitly (then it must exist).
pub fn config_path() -> Option<(PathBuf, bool)> {
    if let Some(p) = std::env::var_os(ENV_CONFIG_FILE).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some((x.join("osm").join("config.toml"), false));
    }
    std::env::home_dir()
        .map(|h| h.join(".config").join("osm").join("config.toml"))
        .map(|p| (p, false))
}

/// A configuration failure (exit 4: bad configuration, nothing was sent).
fn bad(path: &Path, message: impl std::fmt::Display) -> Failure {
    Failure::plain_code(
        4,
        "Configuration",
        format!("configuration file {}: {message}", path.display()),
    )
}

/// Opens `path` for reading when it is a regular file (or a link to one): a FIFO, a
/// device or a directory would block or never end, so it is refused before it is opened.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, device or directory is not read)",
        )
    };
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = std::fs::File::open(path)?;
    // It may have been swapped since the check: check what was opened too.
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// The configuration file, read and checked (`None` when there is none).
pub struct ConfigFile {
    /// Where it is (or would be).
    pub path: Option<PathBuf>,
    /// Its content; an empty document when the file does not exist.
    pub doc: DocumentMut,
}

impl ConfigFile {
    /// Reads and checks the file: at most [`MAX_CONFIG_BYTES`], TOML, every top-level
    /// item a profile table, every key one of [`KEYS`] with a valid value.
    pub fn load() -> Result<Self, Failure> {
        let Some((path, explicit)) = config_path() else {
            return Ok(Self {
                path: None,
                doc: DocumentMut::new(),
            });
        };
        let file = match open_regular(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                return Ok(Self {
                    path: Some(path),
                    doc: DocumentMut::new(),
                });
            }
            Err(e) => {
                let hint = if explicit {
                    format!(" (named by {ENV_CONFIG_FILE})")
                } else {
                    String::new()
                };
                return Err(bad(&path, format!("cannot read it{hint}: {e}")));
            }
        };
        let mut text = String::new();
        file.take(MAX_CONFIG_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| bad(&path, format!("cannot read it: {e}")))?;
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(bad(
                &path,
                format!("larger than {MAX_CONFIG_BYTES} bytes; a configuration is far smaller"),
            ));
        }
        let doc: DocumentMut = text
            .parse()
            .map_err(|e| bad(&path, format!("not TOML: {e}")))?;
        for (name, item) in doc.iter() {
            let Some(table) = item.as_table_like() else {
                return Err(bad(
                    &path,
                    format!("{name} is not a profile table: write [{name}] and its keys below it"),
                ));
            };
            for (key, value) in table.iter() {
                let Some(k) = KEYS.iter().find(|k| k.name == key) else {
                    return Err(bad(
                        &path,
                        format!(
                            "profile {name}: unknown key {key:?}; the keys are {}",
                            key_names()
                        ),
                    ));
                };
                let text = scalar_text(value).ok_or_else(|| {
                    bad(
                        &path,
                        format!("profile {name}: {key} must be a string or a number"),
                    )
                })?;
                check_value(k.name, &text)
                    .map_err(|e| bad(&path, format!("profile {name}: {key} = {text:?}: {e}")))?;
            }
        }
        Ok(Self {
            path: Some(path),
            doc,
        })
    }

    /// The profile `name`'s value of `key`, as text.
    pub fn value(&self, profile: &str, key: &str) -> Option<String> {
        let table = self.doc.get(profile)?.as_table_like()?;
        scalar_text(table.get(key)?)
    }

    /// Whether the file has profile `name`.
    pub fn has(&self, profile: &str) -> bool {
        self.doc.get(profile).is_some_and(|i| i.is_table_like())
    }

    /// The profiles' names.
    pub fn profiles(&self) -> Vec<String> {
        self.doc.iter().map(|(k, _)| k.to_owned()).collect()
    }
}

/// The keys a profile may hold, for messages.
pub fn key_names() -> String {
    KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
}

fn scalar_text(item: &Item) -> Option<String> {
    let v = item.as_value()?;
    if let Some(s) = v.as_str() {
        return Some(s.to_owned());
    }
    if let Some(i) = v.as_integer() {
        return Some(i.to_string());
    }
    v.as_float().map(|f| f.to_string())
}

/// Checks a setting's value as its flag would: the same lists and limits.
pub fn check_value(key: &str, text: &str) -> Result<(), String> {
    let one_of = |allowed: &[&str]| {
        if allowed.contains(&text) {
            Ok(())
        } else {
            Err(format!("must be one of {}", allowed.join(", ")))
        }
    };
    match key {
        "site" => one_of(&args::SITES),
        "output" => one_of(&["json", "text"]),
        "credentials" => one_of(&args::CREDENTIAL_SOURCES),
        "timeout" => args::seconds(text).map(|_| ()),
        "max_attempts" => match text.parse::<u32>() {
            Ok(n) if (1..=args::MAX_ATTEMPTS).contains(&n) => Ok(()),
            _ => Err(format!(
                "must be a whole number from 1 to {}",
                args::MAX_ATTEMPTS
            )),
        },
        "credentials_file" => {
            let len = text.chars().count();
            if len == 0 || len > MAX_PATH_LENGTH {
                Err(format!(
                    "{len} characters; a path of 1 to {MAX_PATH_LENGTH} expected"
                ))
            } else if text.chars().any(|c| c.is_control()) {
                Err("a path must not hold control characters".into())
            } else {
                Ok(())
            }
        }
        "endpoint" => {
            if text.starts_with("http://") || text.starts_with("https://") {
                Ok(())
            } else {
                Err("must be an http:// or https:// URL".into())
            }
        }
        "language" | "time_zone" => {
            let header = if key == "language" {
                "X-Language"
            } else {
                "X-Time-Zone"
            };
            // The header's limits, from the spec's rules.
            let rule = rules::CREATE_CASE.param(Location::Header, header);
            let max = rule.and_then(|r| r.max_length).unwrap_or(32);
            let min = rule.and_then(|r| r.min_length).unwrap_or(1);
            let len = text.chars().count();
            if len < min || len > max {
                Err(format!(
                    "{len} characters; {header} takes {min} to {max} characters"
                ))
            } else if text.chars().any(|c| c.is_control()) {
                Err(format!("{header} must not hold control characters"))
            } else {
                Ok(())
            }
        }
        _ => Err(format!("unknown key; the keys are {}", key_names())),
    }
}

/// The environment variable clap reads for the global flag `id`.
pub fn env_of(id: &str) -> Option<String> {
    args::command()
        .get_arguments()
        .find(|a| a.get_id() == id)
        .and_then(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
}

/// Resolves every setting: flag > environment > profile > default. With
/// `allow_missing_profile` (osm configure), a profile named but not in the file is no
/// error.
pub fn resolve(
    m: &ArgMatches,
    file: &ConfigFile,
    allow_missing_profile: bool,
) -> Result<Settings, Failure> {
    let (profile, profile_origin) = match m.get_one::<String>("profile") {
        Some(p) => (
            p.clone(),
            origin_of(m, "profile").unwrap_or(Origin::Default),
        ),
        None => (DEFAULT_PROFILE.to_owned(), Origin::Default),
    };
    if profile.is_empty()
        || profile.len() > MAX_PROFILE_NAME
        || !profile
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Failure::usage(format!(
            "--profile {profile:?}: a profile name is 1 to {MAX_PROFILE_NAME} letters, digits, - or _"
        )));
    }
    let found = file.has(&profile);
    if !found && profile_origin != Origin::Default && !allow_missing_profile {
        let path = file
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no configuration file: no home directory)".into());
        let known = file.profiles();
        let known = if known.is_empty() {
            "it has none".to_owned()
        } else {
            format!("it has {}", known.join(", "))
        };
        return Err(Failure::plain_code(
            4,
            "Configuration",
            format!(
                "profile {profile} is not in the configuration file {path} ({known}); write it with osm configure --profile {profile}"
            ),
        ));
    }
    let mut values = Vec::new();
    for k in KEYS {
        let from_flag = k.arg.and_then(|id| {
            let v = m.get_raw(id)?.next()?.to_string_lossy().into_owned();
            Some((v, origin_of(m, id)?))
        });
        let from_env = || {
            let var = k.env?;
            let v = std::env::var(var).ok().filter(|v| !v.is_empty())?;
            Some((v, Origin::Env(var.to_owned())))
        };
        let resolved = match from_flag.or_else(from_env) {
            Some((v, origin)) => {
                if k.arg.is_none() {
                    check_value(k.name, &v).map_err(|e| {
                        Failure::usage(format!("{} {v:?}: {e}", k.env.unwrap_or(k.name)))
                    })?;
                }
                Resolved {
                    key: k.name,
                    value: Some(v),
                    origin,
                }
            }
            None => match file.value(&profile, k.name) {
                Some(v) => Resolved {
                    key: k.name,
                    value: Some(v),
                    origin: Origin::Profile,
                },
                None => Resolved {
                    key: k.name,
                    value: default_of(k.name).map(str::to_owned),
                    origin: Origin::Default,
                },
            },
        };
        values.push(resolved);
    }
    Ok(Settings {
        profile,
        profile_origin,
        profile_found: found,
        config_file: file.path.clone(),
        values,
    })
}

/// Whether the global flag `id` was given on the command line or through its variable.
fn origin_of(m: &ArgMatches, id: &str) -> Option<Origin> {
    match m.value_source(id)? {
        ValueSource::CommandLine => Some(Origin::Flag),
        ValueSource::EnvVariable => Some(Origin::Env(env_of(id).unwrap_or_default())),
        _ => None,
    }
}
