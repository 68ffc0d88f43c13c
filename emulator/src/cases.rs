//! What happens to tickets after they are opened: their status, their messages, when
//! they were last urged. Kept in memory, and with a state file also in a journal beside
//! it (`<state>.cases`, one JSON object a line, written and `fsync`ed before the answer),
//! replayed on start. The state file's lock covers the journal too.
//!
//! Status values are the vendor's: 0 pending acceptance, 1 processing, 2 result to be
//! confirmed, 3 completed, 4 cancelled, 5 paused, 12 invalid, 13 deleted, 17 waiting for
//! the customer's feedback.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::store::rfc3339;

/// Pending acceptance: every new ticket's status.
pub const STATUS_PENDING: i64 = 0;
/// Processing.
pub const STATUS_PROCESSING: i64 = 1;
/// Result to be confirmed.
pub const STATUS_TO_CONFIRM: i64 = 2;
/// Completed (closed).
pub const STATUS_COMPLETED: i64 = 3;
/// Cancelled (withdrawn).
pub const STATUS_CANCELLED: i64 = 4;
/// Invalid.
pub const STATUS_INVALID: i64 = 12;
/// Deleted: no longer listed.
pub const STATUS_DELETED: i64 = 13;
/// Waiting for the customer's feedback.
pub const STATUS_FEEDBACK: i64 = 17;

/// The status values the vendor documents.
pub const STATUSES: [i64; 9] = [0, 1, 2, 3, 4, 5, 12, 13, 17];

/// The shortest time between two urges of one ticket; an earlier urge is refused with
/// `OSM.01010004`.
pub const URGE_INTERVAL: Duration = Duration::from_secs(60);

/// Most messages one ticket holds.
pub const MAX_MESSAGES: usize = 1000;

/// One message of a ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseMessage {
    /// 0 from the customer, 1 from a Huawei engineer.
    #[serde(rename = "type")]
    pub kind: i64,
    /// Who wrote it.
    pub replier: String,
    /// The text.
    pub content: String,
    /// When it was written.
    #[serde(with = "rfc3339")]
    pub at: SystemTime,
    /// Attachment ids it refers to.
    #[serde(default)]
    pub accessory_ids: Vec<String>,
}

/// What the emulator knows of a ticket beyond how it was opened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseState {
    /// The status.
    pub status: i64,
    /// Messages after the opening description, oldest first.
    pub messages: Vec<CaseMessage>,
    /// When the ticket was last urged.
    pub urged_at: Option<SystemTime>,
}

/// One journal line.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Event {
    incident_id: String,
    #[serde(with = "rfc3339")]
    at: SystemTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<CaseMessage>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    urged: bool,
}

/// The ticket states of one emulator.
pub(crate) struct Cases {
    states: Mutex<HashMap<String, CaseState>>,
    journal: Mutex<Option<File>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The journal beside a state file.
pub(crate) fn journal_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".cases");
    PathBuf::from(name)
}

impl Cases {
    /// In memory only.
    pub(crate) fn memory() -> Self {
        Self {
            states: Mutex::default(),
            journal: Mutex::new(None),
        }
    }

    /// With a journal at `path`, replayed. Blocking. A torn last line (a crash
    /// mid-write, never acknowledged) is cut off; any other bad line refuses the file.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut states: HashMap<String, CaseState> = HashMap::new();
        let mut good = 0u64;
        let mut reader = io::BufReader::new(&mut file);
        let mut line = Vec::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line)?;
            if read == 0 {
                break;
            }
            n += 1;
            let terminated = line.last() == Some(&b'\n');
            match serde_json::from_slice::<Event>(line.trim_ascii()) {
                Ok(e) if terminated => {
                    apply(&mut states, e);
                    good += read as u64;
                }
                _ if !terminated => break,
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("line {n} of {} is not a ticket event: {e}", path.display()),
                    ));
                }
                Ok(_) => unreachable!(),
            }
        }
        drop(reader);
        if file.metadata()?.len() != good {
            tracing::warn!(path = %path.display(), "cutting off a torn last line of the ticket journal");
            file.set_len(good)?;
            file.sync_data()?;
        }
        Ok(Self {
            states: Mutex::new(states),
            journal: Mutex::new(Some(file)),
        })
    }

    /// Forgets every ticket state of a memory-only emulator; returns how many.
    pub(crate) fn clear(&self) -> Result<usize, String> {
        if lock(&self.journal).is_some() {
            return Err("the ticket journal cannot be cleared".into());
        }
        let mut states = lock(&self.states);
        let n = states.len();
        states.clear();
        Ok(n)
    }

    /// The state of ticket `id` (a ticket never touched is pending, with no messages).
    pub(crate) fn get(&self, id: &str) -> CaseState {
        lock(&self.states).get(id).cloned().unwrap_or_default()
    }

    /// Records a change, in the journal first (durably) when there is one.
    fn record(&self, event: Event) -> Result<CaseState, String> {
        // One lock for both, so that the journal's order is the order of the changes.
        let mut states = lock(&self.states);
        if let Some(file) = lock(&self.journal).as_mut() {
            let mut line = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
            line.push(b'\n');
            file.write_all(&line)
                .and_then(|()| file.sync_data())
                .map_err(|e| format!("the ticket journal cannot be written: {e}"))?;
        }
        let id = event.incident_id.clone();
        apply(&mut states, event);
        Ok(states.get(&id).cloned().unwrap_or_default())
    }

    /// Sets the status of ticket `id`.
    pub(crate) fn set_status(
        &self,
        id: &str,
        status: i64,
        at: SystemTime,
    ) -> Result<CaseState, String> {
        self.record(Event {
            incident_id: id.to_owned(),
            at,
            status: Some(status),
            message: None,
            urged: false,
        })
    }

    /// Adds a message to ticket `id`, and sets its status if `status` is given.
    pub(crate) fn add_message(
        &self,
        id: &str,
        message: CaseMessage,
        status: Option<i64>,
    ) -> Result<CaseState, String> {
        if self.get(id).messages.len() >= MAX_MESSAGES {
            return Err(format!(
                "the ticket holds {MAX_MESSAGES} messages, the most the emulator keeps"
            ));
        }
        self.record(Event {
            incident_id: id.to_owned(),
            at: message.at,
            status,
            message: Some(message),
            urged: false,
        })
    }

    /// Notes that ticket `id` was urged.
    pub(crate) fn urge(&self, id: &str, at: SystemTime) -> Result<CaseState, String> {
        self.record(Event {
            incident_id: id.to_owned(),
            at,
            status: None,
            message: None,
            urged: true,
        })
    }
}

fn apply(states: &mut HashMap<String, CaseState>, e: Event) {
    let s = states.entry(e.incident_id).or_default();
    if let Some(status) = e.status {
        s.status = status;
    }
    if let Some(m) = e.message {
        s.messages.push(m);
    }
    if e.urged {
        s.urged_at = Some(e.at);
    }
}

/// What an action does to a ticket in `status`: the new status, or why it is refused.
pub(crate) fn act(action: &str, status: i64) -> Result<i64, String> {
    let open = matches!(
        status,
        STATUS_PENDING | STATUS_PROCESSING | STATUS_TO_CONFIRM | STATUS_FEEDBACK | 5
    );
    match action {
        "cancel"
            if matches!(
                status,
                STATUS_PENDING | STATUS_PROCESSING | STATUS_FEEDBACK | 5
            ) =>
        {
            Ok(STATUS_CANCELLED)
        }
        "close" if open => Ok(STATUS_COMPLETED),
        "press" if open => Ok(status),
        "delete" if matches!(status, STATUS_COMPLETED | STATUS_CANCELLED | STATUS_INVALID) => {
            Ok(STATUS_DELETED)
        }
        "cancel" | "close" | "press" | "delete" => Err(format!(
            "the ticket's status is {status} ({}): it cannot be {}",
            status_name(status),
            match action {
                "cancel" => "cancelled",
                "close" => "closed",
                "press" => "urged",
                _ => "deleted (only completed, cancelled or invalid tickets can)",
            }
        )),
        other => Err(format!("unknown action {other:?}")),
    }
}

/// The English name of a status.
pub(crate) fn status_name(status: i64) -> &'static str {
    match status {
        0 => "pending acceptance",
        1 => "processing",
        2 => "result to be confirmed",
        3 => "completed",
        4 => "cancelled",
        5 => "paused",
        12 => "invalid",
        13 => "deleted",
        17 => "waiting for the customer's feedback",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_follow_the_status() {
        assert_eq!(act("cancel", STATUS_PENDING), Ok(STATUS_CANCELLED));
        assert_eq!(act("close", STATUS_TO_CONFIRM), Ok(STATUS_COMPLETED));
        assert!(act("close", STATUS_COMPLETED).is_err());
        assert!(act("cancel", STATUS_COMPLETED).is_err());
        assert!(act("delete", STATUS_PROCESSING).is_err());
        assert_eq!(act("delete", STATUS_CANCELLED), Ok(STATUS_DELETED));
        assert_eq!(act("press", STATUS_PROCESSING), Ok(STATUS_PROCESSING));
        assert!(act("press", STATUS_CANCELLED).is_err());
    }

    #[test]
    fn the_journal_replays_and_cuts_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.cases");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        {
            let c = Cases::open(&path).unwrap();
            c.set_status("CS1", STATUS_PROCESSING, t).unwrap();
            let m = CaseMessage {
                kind: 1,
                replier: "engineer".into(),
                content: "looking".into(),
                at: t,
                accessory_ids: vec![],
            };
            c.add_message("CS1", m, Some(STATUS_FEEDBACK)).unwrap();
        }
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"incident_id":"CS1","at":"#).unwrap();
        drop(f);
        let c = Cases::open(&path).unwrap();
        let s = c.get("CS1");
        assert_eq!(s.status, STATUS_FEEDBACK);
        assert_eq!(s.messages.len(), 1);
        assert!(std::fs::read_to_string(&path).unwrap().ends_with('\n'));
    }
}
