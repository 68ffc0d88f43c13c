//! Credentials from the vendor's profile file (`~/.huaweicloud/credentials`).

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::env::{Lookup, process_env};
use super::error::{CredentialsError, CredentialsErrorKind};
use super::ini::{Document, IniError};
use super::{Credentials, ProvideCredentials, ProvideFuture};

const SOURCE: &str = "profile";
/// The section the vendor's SDKs read for global services such as OSM.
const SECTION: &str = "global";

/// Environment variable naming the profile file, instead of `~/.huaweicloud/credentials`.
pub const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";

/// The largest profile file read, in bytes.
pub const MAX_PROFILE_SIZE: u64 = 64 * 1024;

/// What the `[global]` section of a profile file holds.
#[derive(Clone, Debug)]
pub struct Profile {
    path: PathBuf,
    credentials: Credentials,
    iam_endpoint: Option<String>,
}

impl Profile {
    /// The file read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key pair (`ak`, `sk`, with `security_token` and `domain_id` when present).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The `iam_endpoint` key, when present: the IAM the account belongs to.
    pub fn iam_endpoint(&self) -> Option<&str> {
        self.iam_endpoint.as_deref()
    }
}

#[derive(Clone)]
enum Location {
    /// A path given by the program: a missing file is an error.
    Given(PathBuf),
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE` (a missing file is an error), else the home
    /// directory's file (a missing file means "not configured").
    Default {
        lookup: Lookup,
        home: Option<PathBuf>,
    },
}

/// Credentials from the `[global]` section of an INI profile file, the vendor SDKs' format:
///
/// ```ini
/// [global]
/// ak = AK…
/// sk = …
/// security_token = …   ; optional, for temporary keys
/// domain_id = …        ; optional, sent as X-Domain-Id
/// iam_endpoint = https://iam.myhuaweicloud.com   ; optional
/// ```
///
/// The file is `$HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`, read
/// anew each time the source is asked, exactly as the vendor's Python SDK
/// (`huaweicloudsdkcore`) reads it with Python's `configparser`: keys without regard to
/// case, values trimmed and otherwise literal (quotes, `;` and `#` after a value are part
/// of it), whole-line comments with `#` or `;`, indented lines continuing a value,
/// `[DEFAULT]`'s keys inherited, `%%` for a `%` and `%(key)s` for another key's value. A
/// file that SDK refuses is refused, naming the line: a section or a key given twice, a
/// line before the first section (a UTF-8 byte-order mark included), a line that is not
/// `key = value`. A FIFO, device or directory is refused without being read. A missing
/// default file is [`CredentialsErrorKind::NotConfigured`]; a missing file named by the
/// variable or by [`ProfileProvider::with_path`], a missing `[global]` section, a missing
/// `ak` or `sk`, or a file that is not INI is [`CredentialsErrorKind::InvalidConfiguration`],
/// with a message that names the file and the key.
#[derive(Clone)]
pub struct ProfileProvider {
    location: Location,
}

impl ProfileProvider {
    /// `$HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`.
    pub fn new() -> Self {
        Self {
            location: Location::Default {
                lookup: process_env(),
                home: std::env::home_dir(),
            },
        }
    }

    /// Reads this file.
    pub fn with_path(path: impl Into<PathBuf>) -> Self {
        Self {
            location: Location::Given(path.into()),
        }
    }

    /// Like [`ProfileProvider::new`], with `HUAWEICLOUD_SDK_CREDENTIALS_FILE` read through
    /// `lookup` and `home` as the home directory (tests, sandboxes).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
        home: Option<PathBuf>,
    ) -> Self {
        Self::with_lookup(std::sync::Arc::new(lookup), home)
    }

    pub(crate) fn with_lookup(lookup: Lookup, home: Option<PathBuf>) -> Self {
        Self {
            location: Location::Default { lookup, home },
        }
    }

    /// The file this source reads now, and whether it was named explicitly.
    fn path(&self) -> Result<(PathBuf, bool), CredentialsError> {
        match &self.location {
            Location::Given(p) => Ok((p.clone(), true)),
            Location::Default { lookup, home } => {
                if let Some(p) = lookup(ENV_CREDENTIALS_FILE).filter(|p| !p.is_empty()) {
                    return Ok((PathBuf::from(p), true));
                }
                match home {
                    Some(h) => Ok((h.join(".huaweicloud").join("credentials"), false)),
                    None => Err(CredentialsError::new(
                        CredentialsErrorKind::NotConfigured,
                        SOURCE,
                        format!("{ENV_CREDENTIALS_FILE} not set and no home directory known"),
                    )),
                }
            }
        }
    }

    /// Reads the file now.
    pub fn load(&self) -> Result<Profile, CredentialsError> {
        let (path, named) = self.path()?;
        let text = read(&path, named)?;
        parse(&path, &text)
    }
}

impl Default for ProfileProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProfileProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("ProfileProvider");
        match &self.location {
            Location::Given(p) => s.field("path", p),
            Location::Default { home, .. } => s.field("home", home),
        };
        s.finish()
    }
}

impl ProvideCredentials for ProfileProvider {
    fn provide(&self) -> ProvideFuture<'_> {
        // A small local file: read in place rather than on a blocking thread.
        let result = self.load().map(|p| p.credentials);
        Box::pin(async move { result })
    }
}

fn invalid(path: &Path, why: impl fmt::Display) -> CredentialsError {
    CredentialsError::new(
        CredentialsErrorKind::InvalidConfiguration,
        SOURCE,
        format!("{}: {why}", path.display()),
    )
}

/// Opens `path` for reading when it is a regular file (or a link to one): a FIFO, a
/// device or a directory would block or never end.
pub(crate) fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, device or directory is not read)",
        ));
    }
    let file = std::fs::File::open(path)?;
    // What was opened may have been swapped since the check: check the open file too.
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

fn read(path: &Path, named: bool) -> Result<String, CredentialsError> {
    match read_profile_text(path)? {
        Some(text) => Ok(text),
        None if named => Err(invalid(
            path,
            format!("not found (named by {ENV_CREDENTIALS_FILE})"),
        )),
        None => Err(CredentialsError::new(
            CredentialsErrorKind::NotConfigured,
            SOURCE,
            format!(
                "{} not found (set {ENV_CREDENTIALS_FILE} to read another file)",
                path.display()
            ),
        )),
    }
}

/// The text of a credentials file, read as [`ProfileProvider`] reads it: a regular file
/// (a FIFO or device is refused, naming the file), at most [`MAX_PROFILE_SIZE`] bytes,
/// UTF-8; `None` when it does not exist. The message of an error names the file, never
/// a value.
pub fn read_profile_text(path: &Path) -> Result<Option<String>, CredentialsError> {
    let file = match open_regular(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(invalid(path, e));
        }
        Err(e) => return Err(invalid(path, "cannot be opened").with_cause(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_PROFILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| invalid(path, "cannot be read").with_cause(e))?;
    if bytes.len() as u64 > MAX_PROFILE_SIZE {
        return Err(invalid(
            path,
            format!("is larger than the limit of {MAX_PROFILE_SIZE} bytes"),
        ));
    }
    String::from_utf8(bytes).map(Some).map_err(|e| {
        invalid(
            path,
            format!("is not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// `text` (the content of the credentials file `path`) with the keys `set` given their
/// values in `[global]` and the keys `remove` taken out; every other line (comments,
/// other sections, quotes) stays as it was. A file the vendor's SDKs would refuse is
/// refused (see [`ProfileProvider`]); the message names the file and the line, never a
/// value. Values are written so that the vendor's SDKs read them back unchanged (a `%`
/// is doubled); they must be one line without surrounding spaces.
pub fn edit_profile_text(
    path: &Path,
    text: &str,
    set: &[(&str, &str)],
    remove: &[&str],
) -> Result<String, CredentialsError> {
    let doc = Document::parse(text).map_err(|e| not_ini(path, e))?;
    if let Some(Err(e)) = doc.items(SECTION) {
        return Err(not_ini(path, e));
    }
    Ok(doc.edit(SECTION, set, remove))
}

/// What the `[global]` section of the credentials file `path` holding `text` gives, read
/// as [`ProfileProvider::load`] reads it.
pub fn parse_profile_text(path: &Path, text: &str) -> Result<Profile, CredentialsError> {
    parse(path, text)
}

fn not_ini(path: &Path, e: IniError) -> CredentialsError {
    invalid(
        path,
        format_args!("cannot be read as the vendor's SDKs read it ({e})"),
    )
}

fn parse(path: &Path, text: &str) -> Result<Profile, CredentialsError> {
    let doc = Document::parse(text).map_err(|e| not_ini(path, e))?;
    let section = doc
        .items(SECTION)
        .ok_or_else(|| invalid(path, format_args!("no [{SECTION}] section")))?
        .map_err(|e| not_ini(path, e))?;
    let get = |key: &str| {
        section
            .get(key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let require = |key: &str| {
        get(key).ok_or_else(|| invalid(path, format_args!("[{SECTION}] has no `{key}`")))
    };
    let ak = require("ak")?;
    let sk = require("sk")?;
    let mut credentials = Credentials::ak_sk(ak, sk);
    if let Some(st) = get("security_token") {
        credentials = credentials.with_security_token(st);
    }
    if let Some(d) = get("domain_id") {
        credentials = credentials.with_domain_id(d);
    }
    Ok(Profile {
        path: path.to_owned(),
        credentials,
        iam_endpoint: get("iam_endpoint"),
    })
}
