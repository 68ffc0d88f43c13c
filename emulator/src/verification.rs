//! Contact verification: the codes sent (readable at `GET /__emulator/verification-codes`,
//! like reading the SMS), the contacts verified with them, and the contacts registered
//! with the account. With a state file, the verified contacts are kept in
//! `<state>.verified.json` and the codes sent in `<state>.codes.json` beside it, so that
//! a later run still knows them: it accepts a code sent before it started (until the
//! code expires), and counts the codes already sent and the wrong guesses already made
//! against its limits.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use huaweicloud_osm::Contact;
use serde::{Deserialize, Serialize};

use crate::store::rfc3339;

/// How long a code stays valid unless configured otherwise: 10 minutes.
pub const DEFAULT_CODE_TTL: Duration = Duration::from_secs(600);

/// Wrong guesses that burn a code.
pub const MAX_FAILED_CHECKS: u32 = 5;

/// The most codes sent to one contact within [`SEND_WINDOW`]; one more is refused with
/// the vendor's "verification failed" (`OSM.01010010`, HTTP 200). With
/// [`MAX_FAILED_CHECKS`] this bounds the guesses at a contact's codes to
/// `MAX_SENDS_PER_CONTACT * MAX_FAILED_CHECKS` per window.
pub const MAX_SENDS_PER_CONTACT: usize = 5;

/// The window [`MAX_SENDS_PER_CONTACT`] counts in, by the emulator's clock: one hour.
pub const SEND_WINDOW: Duration = Duration::from_secs(3600);

/// The most codes remembered (the oldest are forgotten first).
const MAX_CODES: usize = 10_000;

/// The largest codes file loaded, in bytes: far above [`MAX_CODES`] codes of contacts
/// the spec accepts; a larger file is refused at start as not a codes file.
const MAX_CODES_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The most verified contacts kept.
const MAX_VERIFIED: usize = 10_000;

/// A code the emulator "sent".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentCode {
    /// 0 phone (SMS), 1 e-mail.
    pub contact_way: i64,
    /// The phone number or address.
    pub contact_value: String,
    /// The calling code given (may be empty).
    pub area_code: String,
    /// The six digits.
    pub verify_code: String,
    /// When it was sent, by the emulator's clock.
    #[serde(with = "rfc3339")]
    pub sent_at: SystemTime,
    /// When it stops being valid.
    #[serde(with = "rfc3339")]
    pub expires_at: SystemTime,
    /// Whether a check (or a ticket's `verify_code`) used it.
    pub used: bool,
    /// Whether a later code for the same contact, or too many wrong guesses, replaced it.
    pub superseded: bool,
    /// Wrong guesses so far.
    pub failed_checks: u32,
}

/// A contact verified with a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedRecord {
    /// 0 phone, 1 e-mail.
    pub contact_way: i64,
    /// The phone number or address.
    pub contact_value: String,
    /// The calling code (may be empty).
    pub area_code: String,
    /// The id a ticket names it by (32 hex digits).
    pub verified_id: String,
    /// When it was verified.
    #[serde(with = "rfc3339")]
    pub verified_at: SystemTime,
}

/// Whether two contacts are the same: the way, the address ignoring case, or the
/// number with the calling codes compared when both are given (`+` ignored).
pub(crate) fn same(
    way: i64,
    value: &str,
    area: &str,
    way2: i64,
    value2: &str,
    area2: &str,
) -> bool {
    if way != way2 {
        return false;
    }
    let (value, value2) = (value.trim(), value2.trim());
    if way == 1 {
        return value.eq_ignore_ascii_case(value2);
    }
    let (area, area2) = (
        area.trim().trim_start_matches('+'),
        area2.trim().trim_start_matches('+'),
    );
    value == value2 && (area.is_empty() || area2.is_empty() || area == area2)
}

/// Reads a `--registered-contact`: `email:ADDRESS`, `phone:AREA:NUMBER`, `phone:NUMBER`,
/// or a bare address (it holds `@`) or number.
pub fn parse_contact(text: &str) -> Result<Contact, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{text:?} is not a contact: give email:ADDRESS, phone:AREA_CODE:NUMBER, phone:NUMBER, or a bare address or number"
        )
    };
    if let Some(addr) = text.strip_prefix("email:") {
        return if addr.contains('@') {
            Ok(Contact::email(addr))
        } else {
            Err(bad())
        };
    }
    let phone = |rest: &str| -> Result<Contact, String> {
        let (area, number) = rest.split_once(':').unwrap_or(("", rest));
        let area = area.trim_start_matches('+');
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if number.is_empty() || !digits(number) || !digits(area) {
            return Err(bad());
        }
        Ok(Contact::phone(area, number))
    };
    if let Some(rest) = text.strip_prefix("phone:") {
        return phone(rest);
    }
    if text.contains('@') {
        return Ok(Contact::email(text));
    }
    phone(text)
}

/// Why a check failed: the message of the vendor's "verification failed".
pub(crate) type Refusal = String;

/// Why a code was not sent, checked or used.
#[derive(Debug)]
pub(crate) enum CheckFailure {
    /// The code was wrong, used, expired or replaced, or the contact got too many codes
    /// (the vendor's "verification failed").
    Refused(Refusal),
    /// The change could not be saved to the state file (an internal error): nothing
    /// was changed.
    Unsaved(String),
}

struct Inner {
    codes: VecDeque<SentCode>,
    verified: Vec<VerifiedRecord>,
}

/// Where a state file's verification state is kept.
struct Files {
    /// The verified contacts.
    verified: PathBuf,
    /// The codes sent.
    codes: PathBuf,
}

/// The verification state of one emulator.
pub(crate) struct Verification {
    registered: Vec<Contact>,
    ttl: Duration,
    files: Option<Files>,
    inner: Mutex<Inner>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn beside(state: &Path, suffix: &str) -> PathBuf {
    let mut name = state
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    state.with_file_name(name)
}

/// The file that keeps the verified contacts of the state file `state`.
pub(crate) fn file_for(state: &Path) -> PathBuf {
    beside(state, ".verified.json")
}

/// The file that keeps the codes sent, for the state file `state`: a JSON array of
/// codes as `GET /__emulator/verification-codes` shows them, oldest first.
pub(crate) fn codes_file_for(state: &Path) -> PathBuf {
    beside(state, ".codes.json")
}

/// The codes kept beside the state file `state`, oldest first (none without the file).
pub(crate) fn saved_codes(state: &Path) -> io::Result<Vec<SentCode>> {
    let path = codes_file_for(state);
    Ok(load(&path, "verification codes", MAX_CODES_FILE_BYTES)?.unwrap_or_default())
}

/// Reads the JSON file `path` as a `T`, if it exists; at most `max` bytes.
fn load<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    max: u64,
) -> io::Result<Option<T>> {
    use std::io::Read;
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    let invalid = |why: String| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} does not hold {what}: {why}", path.display()),
        )
    };
    if bytes.len() as u64 > max {
        return Err(invalid(format!("it is larger than {max} bytes")));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| invalid(e.to_string()))
}

impl Verification {
    /// The state, loading the verified contacts and the codes sent kept beside the
    /// state file `state`, if any. Blocking; to be called under the state file's lock.
    pub(crate) fn open(
        registered: Vec<Contact>,
        ttl: Duration,
        state: Option<&Path>,
    ) -> io::Result<Self> {
        let files = state.map(|s| Files {
            verified: file_for(s),
            codes: codes_file_for(s),
        });
        let (mut verified, mut codes) = (Vec::new(), VecDeque::new());
        if let Some(f) = &files {
            for path in [&f.verified, &f.codes] {
                crate::durable::remove_unfinished(path)?;
            }
            verified = load(&f.verified, "verified contacts", u64::MAX)?.unwrap_or_default();
            codes = load(&f.codes, "verification codes", MAX_CODES_FILE_BYTES)?.unwrap_or_default();
            while codes.len() > MAX_CODES {
                codes.pop_front();
            }
        }
        Ok(Self {
            registered,
            ttl,
            files,
            inner: Mutex::new(Inner { codes, verified }),
        })
    }

    /// Forgets the codes sent and the contacts verified, returning how many records
    /// there were; for a memory-only emulator (one with a state file keeps them all and
    /// clears nothing).
    pub(crate) fn clear(&self) -> usize {
        if self.files.is_some() {
            return 0;
        }
        let mut inner = lock(&self.inner);
        let n = inner.codes.len() + inner.verified.len();
        inner.codes.clear();
        inner.verified.clear();
        n
    }

    /// Whether the contact is registered with the account.
    pub(crate) fn is_registered(&self, way: i64, value: &str, area: &str) -> bool {
        self.registered.iter().any(|c| {
            same(
                c.way(),
                c.value(),
                c.area_code().unwrap_or_default(),
                way,
                value,
                area,
            )
        })
    }

    /// The latest verification of the contact.
    pub(crate) fn verified(&self, way: i64, value: &str, area: &str) -> Option<VerifiedRecord> {
        lock(&self.inner)
            .verified
            .iter()
            .rev()
            .find(|v| {
                same(
                    v.contact_way,
                    &v.contact_value,
                    &v.area_code,
                    way,
                    value,
                    area,
                )
            })
            .cloned()
    }

    /// Every verified contact, in the order verified.
    pub(crate) fn verified_list(&self) -> Vec<VerifiedRecord> {
        lock(&self.inner).verified.clone()
    }

    /// Every code sent, in the order sent.
    pub(crate) fn codes(&self) -> Vec<SentCode> {
        lock(&self.inner).codes.iter().cloned().collect()
    }

    /// When the contact's pending code expires, if it has one.
    pub(crate) fn pending_expiry(
        &self,
        way: i64,
        value: &str,
        area: &str,
        now: SystemTime,
    ) -> Option<SystemTime> {
        lock(&self.inner)
            .codes
            .iter()
            .rev()
            .find(|c| {
                same(
                    c.contact_way,
                    &c.contact_value,
                    &c.area_code,
                    way,
                    value,
                    area,
                )
            })
            .filter(|c| !c.used && !c.superseded && c.expires_at > now)
            .map(|c| c.expires_at)
    }

    /// Changes the codes with `change` and, with a state file, saves them before they
    /// take effect (under the lock): a change that cannot be saved is not made, and
    /// [`CheckFailure::Unsaved`] says so. `change` says whether it changed anything.
    fn change_codes<R>(
        &self,
        inner: &mut Inner,
        change: impl FnOnce(&mut VecDeque<SentCode>) -> (bool, R),
    ) -> Result<R, CheckFailure> {
        let Some(files) = &self.files else {
            return Ok(change(&mut inner.codes).1);
        };
        let mut codes = inner.codes.clone();
        let (changed, result) = change(&mut codes);
        if changed {
            save(&files.codes, &codes, codes_json).map_err(|e| {
                tracing::error!(path = %files.codes.display(), error = %e, "cannot save the verification codes");
                CheckFailure::Unsaved(format!(
                    "the verification code could not be recorded ({e}); try again"
                ))
            })?;
            inner.codes = codes;
        }
        Ok(result)
    }

    /// Sends a new code: earlier codes of the contact stop being valid. Refused when the
    /// contact got [`MAX_SENDS_PER_CONTACT`] codes within [`SEND_WINDOW`]. With a state
    /// file, the code is saved before this returns.
    pub(crate) fn send(
        &self,
        way: i64,
        value: &str,
        area: &str,
        now: SystemTime,
    ) -> Result<SentCode, CheckFailure> {
        let code = SentCode {
            contact_way: way,
            contact_value: value.trim().to_owned(),
            area_code: area.trim().to_owned(),
            verify_code: format!("{:06}", fastrand::u32(0..1_000_000)),
            sent_at: rfc3339::truncate(now),
            expires_at: rfc3339::truncate(now + self.ttl),
            used: false,
            superseded: false,
            failed_checks: 0,
        };
        let mut inner = lock(&self.inner);
        let window_start = now
            .checked_sub(SEND_WINDOW)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let recent: Vec<SystemTime> = inner
            .codes
            .iter()
            .filter(|c| {
                same(
                    c.contact_way,
                    &c.contact_value,
                    &c.area_code,
                    way,
                    value,
                    area,
                ) && c.sent_at > window_start
            })
            .map(|c| c.sent_at)
            .collect();
        if recent.len() >= MAX_SENDS_PER_CONTACT {
            let next = recent[recent.len() - MAX_SENDS_PER_CONTACT] + SEND_WINDOW;
            return Err(CheckFailure::Refused(format!(
                "too many codes were sent to this contact: at most {MAX_SENDS_PER_CONTACT} in {} s; send again after {} (UTC)",
                SEND_WINDOW.as_secs(),
                vendor_time(next)
            )));
        }
        let sent = code.clone();
        self.change_codes(&mut inner, move |codes| {
            for c in codes.iter_mut() {
                if same(
                    c.contact_way,
                    &c.contact_value,
                    &c.area_code,
                    way,
                    value,
                    area,
                ) {
                    c.superseded = true;
                }
            }
            if codes.len() >= MAX_CODES {
                codes.pop_front();
            }
            codes.push_back(sent);
            (true, ())
        })?;
        Ok(code)
    }

    /// Uses the contact's code `code`, if it is the valid one; a wrong guess counts.
    /// With a state file, what changed (the code used, the guess counted) is saved
    /// before this returns.
    fn take_code(
        &self,
        inner: &mut Inner,
        way: i64,
        value: &str,
        area: &str,
        code: &str,
        now: SystemTime,
    ) -> Result<(), CheckFailure> {
        self.change_codes(inner, |codes| {
            let Some(sent) = codes.iter_mut().rev().find(|c| {
                same(
                    c.contact_way,
                    &c.contact_value,
                    &c.area_code,
                    way,
                    value,
                    area,
                ) && !c.superseded
            }) else {
                return (
                    false,
                    Err(format!(
                        "no valid verification code was sent to {}",
                        value.trim()
                    )),
                );
            };
            if sent.used {
                return (
                    false,
                    Err("the verification code was used already; send a new one".into()),
                );
            }
            if sent.expires_at <= now {
                return (
                    false,
                    Err("the verification code has expired; send a new one".into()),
                );
            }
            if sent.verify_code != code {
                sent.failed_checks += 1;
                if sent.failed_checks >= MAX_FAILED_CHECKS {
                    sent.superseded = true;
                    return (
                        true,
                        Err(format!(
                            "the verification code does not match; after {MAX_FAILED_CHECKS} wrong codes it is no longer valid, send a new one"
                        )),
                    );
                }
                return (true, Err("the verification code does not match".into()));
            }
            sent.used = true;
            (true, Ok(()))
        })?
        .map_err(CheckFailure::Refused)
    }

    /// Checks a code; on success the contact is verified (again, with a new id). With a
    /// state file, the code's use and then the verified contacts are saved before this
    /// returns, under the lock (each a unique temporary file renamed over the old one):
    /// a verification answered is on disk, and one that could not be saved is not
    /// answered as done (its code is used up all the same, so that no code ever
    /// verifies twice).
    pub(crate) fn check(
        &self,
        way: i64,
        value: &str,
        area: &str,
        code: &str,
        now: SystemTime,
    ) -> Result<VerifiedRecord, CheckFailure> {
        let mut inner = lock(&self.inner);
        self.take_code(&mut inner, way, value, area, code, now)?;
        let record = VerifiedRecord {
            contact_way: way,
            contact_value: value.trim().to_owned(),
            area_code: area.trim().to_owned(),
            verified_id: format!("{:032x}", fastrand::u128(..)),
            verified_at: rfc3339::truncate(now),
        };
        let mut verified = inner.verified.clone();
        verified.retain(|v| {
            !same(
                v.contact_way,
                &v.contact_value,
                &v.area_code,
                way,
                value,
                area,
            )
        });
        if verified.len() >= MAX_VERIFIED {
            verified.remove(0);
        }
        verified.push(record.clone());
        if let Some(files) = &self.files {
            save(&files.verified, &verified, |list| {
                serde_json::to_vec_pretty(list).map_err(io::Error::other)
            })
            .map_err(|e| {
                tracing::error!(path = %files.verified.display(), error = %e, "cannot save the verified contacts");
                CheckFailure::Unsaved(format!(
                    "the verification could not be recorded ({e}); check again with a new code"
                ))
            })?;
        }
        inner.verified = verified;
        Ok(record)
    }

    /// A ticket's `verify_code` for one of its contacts: used like a check, without
    /// recording a verification.
    pub(crate) fn use_code(
        &self,
        way: i64,
        value: &str,
        area: &str,
        code: &str,
        now: SystemTime,
    ) -> Result<(), CheckFailure> {
        let mut inner = lock(&self.inner);
        self.take_code(&mut inner, way, value, area, code, now)
    }
}

/// The codes file's text: a JSON array, one code a line.
fn codes_json(codes: &VecDeque<SentCode>) -> io::Result<Vec<u8>> {
    let mut out = b"[".to_vec();
    for (i, c) in codes.iter().enumerate() {
        out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut out, c).map_err(io::Error::other)?;
    }
    out.extend_from_slice(b"\n]\n");
    Ok(out)
}

/// Writes `value` (as `encode` gives it) to `path` through a temporary file of its own
/// (no two saves share one), renamed over the old file and flushed with its directory.
fn save<T: ?Sized>(
    path: &Path,
    value: &T,
    encode: impl FnOnce(&T) -> io::Result<Vec<u8>>,
) -> io::Result<()> {
    static SAVES: AtomicU64 = AtomicU64::new(0);
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(
        ".{}-{}.tmp",
        std::process::id(),
        SAVES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = path.with_file_name(name);
    let written = (|| {
        let bytes = encode(value)?;
        let mut f = fs::File::create_new(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// A time as `yyyy-MM-dd HH:mm:ss` (UTC), the format the vendor gives for these times.
pub(crate) fn vendor_time(t: SystemTime) -> String {
    let d = huaweicloud_signing::format_sdk_date(t); // YYYYMMDDTHHMMSSZ
    format!(
        "{}-{}-{} {}:{}:{}",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Verification {
        Verification::open(
            vec![Contact::email("boss@example.com")],
            DEFAULT_CODE_TTL,
            None,
        )
        .unwrap()
    }

    #[test]
    fn contacts_parse_from_the_flag() {
        assert_eq!(
            parse_contact("email:a@b.c").unwrap(),
            Contact::email("a@b.c")
        );
        assert_eq!(parse_contact("a@b.c").unwrap(), Contact::email("a@b.c"));
        assert_eq!(
            parse_contact("phone:+86:138").unwrap(),
            Contact::phone("86", "138")
        );
        assert_eq!(parse_contact("138").unwrap(), Contact::phone("", "138"));
        for bad in ["email:nobody", "phone:86:12a", "phone:", "x y"] {
            assert!(parse_contact(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_code_is_single_use_and_expires() {
        let v = state();
        let now = SystemTime::now();
        let sent = v.send(1, "a@example.com", "", now).unwrap();
        assert_eq!(sent.verify_code.len(), 6);
        assert!(v.check(1, "a@example.com", "", "abcdef", now).is_err());
        let ok = v
            .check(1, "A@example.com", "", &sent.verify_code, now)
            .unwrap();
        assert_eq!(ok.verified_id.len(), 32);
        let again = v
            .check(1, "a@example.com", "", &sent.verify_code, now)
            .unwrap_err();
        assert!(
            matches!(&again, CheckFailure::Refused(m) if m.contains("used already")),
            "{again:?}"
        );
        let late = v.send(1, "a@example.com", "", now).unwrap();
        let err = v
            .check(
                1,
                "a@example.com",
                "",
                &late.verify_code,
                now + DEFAULT_CODE_TTL,
            )
            .unwrap_err();
        assert!(
            matches!(&err, CheckFailure::Refused(m) if m.contains("expired")),
            "{err:?}"
        );
        assert!(v.verified(1, "a@example.com", "").is_some());
        assert!(v.is_registered(1, "BOSS@example.com", ""));
    }

    #[test]
    fn a_new_code_replaces_the_old_one_and_guesses_are_bounded() {
        let v = state();
        let now = SystemTime::now();
        v.send(0, "138", "86", now).unwrap();
        let second = v.send(0, "138", "86", now).unwrap();
        let codes = v.codes();
        assert!(codes[0].superseded && !codes[1].superseded);
        for _ in 0..MAX_FAILED_CHECKS {
            let _ = v.check(0, "138", "86", "------", now);
        }
        assert!(v.check(0, "138", "86", &second.verify_code, now).is_err());
    }
}
