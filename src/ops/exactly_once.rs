//! The look-ups around an exactly-once create ([`crate::ClientBuilder::exactly_once`]):
//! what the ticket list shows before sending, and after an ambiguous failure which
//! listed ticket, if any, is certainly this call's.
//!
//! The guarantees, in order: a create is never sent a second time after a failure that
//! may have reached the service; a listed ticket is returned only when it is certainly
//! this call's (same description and problem type, opened no earlier than the first send
//! less [`CLOCK_SKEW_ALLOWANCE`], absent from the list taken before sending, not a ticket
//! this client returned before, and no other create of this client with the same
//! description and problem type in flight); anything less certain is "unknown", naming
//! the candidates; a list that cannot be read is never taken for "none".

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde::de::IgnoredAny;

/// How long, by default, an exactly-once create keeps looking for its ticket after an
/// ambiguous failure: 120 s.
///
/// Why this long: the vendor's own SDKs wait up to 120 s for an answer to a create, so
/// the vendor treats a create that takes two minutes as one that can still succeed; a
/// service that records late records within that time or is failing in a way no client
/// can see through. Past the window the outcome is reported as unknown (with how to find
/// out later), never as "not created".
pub const DEFAULT_RECONCILE_WINDOW: Duration = Duration::from_secs(120);

/// How long, by default, an exactly-once create waits after an ambiguous failure before
/// its first look at the ticket list; the waits then double, up to
/// [`MAX_LOOK_INTERVAL`], until the window ends.
pub const DEFAULT_FIRST_LOOK: Duration = Duration::from_secs(1);

/// The longest wait between two looks at the ticket list.
pub const MAX_LOOK_INTERVAL: Duration = Duration::from_secs(15);

/// The shortest wait between two looks, whatever the settings: a look is a list call.
const MIN_LOOK_INTERVAL: Duration = Duration::from_millis(50);

/// How far the service's clock may be behind this machine's: a listed ticket whose
/// creation time is earlier than the first send by more than this is not this call's.
/// A service clock further behind makes this call's own ticket look older; it is then
/// reported as a candidate of an unknown outcome, never taken for another's.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(60);

/// How far back the look-ups reach: tickets opened earlier are never candidates.
pub(crate) const LOOKBACK: Duration = Duration::from_secs(15 * 60);

/// The most tickets one look reads (pages of [`PAGE`]).
pub(crate) const MAX_TICKETS: usize = 1000;

/// Tickets per page of a look.
pub(crate) const PAGE: usize = 100;

/// The list's time window is sent in UTC, and answers' bare times are read as UTC.
pub(crate) const LIST_TIME_ZONE: &str = "GMT+0";

/// The ticket states that are no longer open: completed, withdrawn (cancelled),
/// invalid, deleted (values of the spec's `CaseStatus`).
pub(crate) const CLOSED_STATES: &[crate::CaseStatus] = &[
    crate::CaseStatus::Completed,
    crate::CaseStatus::Withdrawn,
    crate::CaseStatus::Invalid,
    crate::CaseStatus::Deleted,
];

/// A ticket as a look at the list shows it; only those with the exact description.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub(crate) id: String,
    pub(crate) problem: Option<String>,
    pub(crate) created: Option<String>,
    pub(crate) status: Option<crate::CaseStatus>,
}

/// What a look at the list says of this call's ticket.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// This ticket is certainly this call's.
    Found(String),
    /// No listed ticket can be this call's (yet).
    Nothing,
    /// Tickets that may be this call's, with why none can be told to be.
    Unsure {
        why: String,
        candidates: Vec<String>,
    },
}

/// What a look knows besides the list.
pub(crate) struct Known<'a> {
    /// The ids listed before the create was sent.
    pub(crate) before: &'a HashSet<String>,
    /// The name of the case's problem type in the list's language, or why it is unknown.
    pub(crate) problem: Result<&'a str, &'a str>,
    /// When the create was first sent (this machine's clock).
    pub(crate) first_send: SystemTime,
    /// Whether another create of this client with the same description and problem
    /// type ran at the same time.
    pub(crate) concurrent: bool,
}

/// Which of `listed` is this call's ticket. `returned` says whether this client returned
/// an id already.
pub(crate) fn classify(
    listed: &[Listed],
    known: &Known<'_>,
    returned: impl Fn(&str) -> bool,
) -> Verdict {
    let mut sure = Vec::new();
    let mut doubts: Vec<(String, String)> = Vec::new();
    for t in listed {
        if known.before.contains(&t.id) || returned(&t.id) {
            continue;
        }
        if let Err(why) = check_id(&t.id) {
            doubts.push((shown(&t.id), why));
            continue;
        }
        match (&known.problem, t.problem.as_deref()) {
            (Ok(name), Some(p)) if p != *name => continue, // another problem type
            (Ok(_), Some(_)) => {}
            (Ok(_), None) => {
                doubts.push((
                    t.id.clone(),
                    "the list does not show its problem type".into(),
                ));
                continue;
            }
            (Err(why), _) => {
                doubts.push((t.id.clone(), (*why).to_owned()));
                continue;
            }
        }
        match t.created.as_deref().map(|c| (c, parse_time(c))) {
            Some((_, Some(at))) if at + CLOCK_SKEW_ALLOWANCE < known.first_send => continue,
            Some((_, Some(_))) => sure.push(t.id.clone()),
            Some((c, None)) => doubts.push((
                t.id.clone(),
                format!("its creation time {:?} cannot be read", shown(c)),
            )),
            None => doubts.push((
                t.id.clone(),
                "the list does not show its creation time".into(),
            )),
        }
    }
    if sure.len() == 1 && doubts.is_empty() && !known.concurrent {
        return Verdict::Found(sure.remove(0));
    }
    if sure.is_empty() && doubts.is_empty() {
        return Verdict::Nothing;
    }
    let mut candidates: Vec<String> = sure.clone();
    candidates.extend(doubts.iter().map(|(id, _)| id.clone()));
    candidates.sort();
    candidates.dedup();
    let why = if !doubts.is_empty() {
        let reasons: Vec<String> = doubts
            .iter()
            .map(|(id, why)| format!("{id}: {why}"))
            .collect();
        format!(
            "tickets that may be this one appeared but cannot be told to be ({})",
            reasons.join("; ")
        )
    } else if sure.len() > 1 {
        format!(
            "{} tickets with this description and problem type appeared meanwhile ({}); which \
             one is this call's cannot be told",
            sure.len(),
            sure.join(", ")
        )
    } else {
        format!(
            "ticket {} appeared, but another create of this client with the same description \
             and problem type ran at the same time, so whose it is cannot be told",
            sure.join(", ")
        )
    };
    Verdict::Unsure { why, candidates }
}

/// Whether a ticket id can be returned as it is, from an answer or from the list: not
/// empty, no control characters, and usable as the `case_id` of the follow-up calls (the
/// spec's rule of show_case_detail's path parameter).
pub(crate) fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("an empty ticket id".into());
    }
    if id.chars().any(|c| c.is_control()) {
        return Err("a ticket id that holds control characters".into());
    }
    if let Some(rule) =
        crate::rules::SHOW_CASE_DETAIL.param(crate::rules::Location::Path, "case_id")
    {
        crate::validation::check_value(rule, &serde_json::Value::String(id.to_owned())).map_err(
            |p| {
                let why = crate::validation::ValidationError::new(rule.name, rule.location, p);
                format!("a ticket id that cannot be used as a case_id ({why})")
            },
        )?;
    }
    Ok(())
}

/// Text from the service, with control characters escaped and cut short, for a message.
pub(crate) fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(80).flat_map(char::escape_debug).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

/// Reads a listed creation time: RFC 3339 (`2026-12-07T10:00:00.123Z`, `…+08:00`),
/// `yyyy-MM-dd HH:mm:ss` in UTC (the list is asked for in [`LIST_TIME_ZONE`]), or
/// milliseconds (13 digits or more) or seconds since the epoch.
pub(crate) fn parse_time(text: &str) -> Option<SystemTime> {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 20 && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: u64 = t.parse().ok()?;
        return Some(if t.len() >= 13 {
            UNIX_EPOCH + Duration::from_millis(n)
        } else {
            UNIX_EPOCH + Duration::from_secs(n)
        });
    }
    if !t.is_ascii() || t.len() < 19 {
        return None;
    }
    // The date and time, then an optional fraction and zone.
    let (base, rest) = t.split_at(19);
    let rest = match rest.strip_prefix('.') {
        Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => rest,
    };
    let fraction = &t[19..t.len() - rest.len()];
    let offset_secs: i64 = match rest {
        "" | "Z" | "z" => 0,
        zone => {
            let (sign, hm) = match zone.as_bytes()[0] {
                b'+' => (1, &zone[1..]),
                b'-' => (-1, &zone[1..]),
                _ => return None,
            };
            let (h, m) = hm.split_once(':').unwrap_or((hm, "0"));
            let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let at = humantime::parse_rfc3339_weak(&format!("{base}{fraction}")).ok()?;
    let d = Duration::from_secs(offset_secs.unsigned_abs());
    if offset_secs >= 0 {
        at.checked_sub(d)
    } else {
        at.checked_add(d)
    }
}

/// `yyyy-MM-dd HH:mm:ss` in UTC, as ListCases takes its time window (with
/// `X-Time-Zone:` [`LIST_TIME_ZONE`]).
pub(crate) fn list_time(t: SystemTime) -> String {
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

/// The search key ListCases matches against descriptions: the description's first 64
/// characters (the spec's limit for one key), or none for a description that cannot be
/// one (blank, or with control characters).
pub(crate) fn search_key(description: &str) -> Option<String> {
    let key: String = description.chars().take(64).collect();
    (!key.trim().is_empty() && !key.chars().any(char::is_control)).then_some(key)
}

/// The members of a page of the ticket list that must be there for it to say anything:
/// an answer without its list (`{}`), or with an error in it, is unreadable, never an
/// empty list.
#[derive(Deserialize)]
struct PageShape {
    #[allow(dead_code, reason = "required: that it reads is the check")]
    incident_info_list: Vec<IgnoredAny>,
    #[serde(default)]
    error_code: Option<serde_json::Value>,
}

/// Checks the raw body of a page of the ticket list.
pub(crate) fn check_page(raw: &[u8]) -> Result<(), String> {
    match serde_json::from_slice::<PageShape>(raw) {
        Ok(PageShape {
            error_code: Some(code),
            ..
        }) => Err(format!(
            "the list answer carries an error ({})",
            shown(&code.to_string())
        )),
        Ok(_) => Ok(()),
        Err(_) => Err("the list answer holds no ticket list (incident_info_list)".into()),
    }
}

/// The creates of one client that are in flight, by description and problem type: two
/// at once with the same key make a found ticket impossible to attribute.
#[derive(Default)]
pub(crate) struct InFlight {
    running: std::sync::Mutex<Vec<(String, String, Arc<AtomicBool>)>>,
}

/// One create's place in [`InFlight`]; leaves it when dropped.
pub(crate) struct Flight<'a> {
    registry: &'a InFlight,
    flag: Arc<AtomicBool>,
}

impl InFlight {
    /// Registers a create; marks it and every other in flight with the same key.
    pub(crate) fn enter(&self, description: &str, problem: &str) -> Flight<'_> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        for (d, p, other) in running.iter() {
            if d == description && p == problem {
                other.store(true, Ordering::SeqCst);
                flag.store(true, Ordering::SeqCst);
            }
        }
        running.push((
            description.to_owned(),
            problem.to_owned(),
            Arc::clone(&flag),
        ));
        Flight {
            registry: self,
            flag,
        }
    }
}

impl Flight<'_> {
    /// Whether another create with the same key ran at the same time as this one.
    pub(crate) fn concurrent(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        let mut running = self
            .registry
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        running.retain(|(_, _, f)| !Arc::ptr_eq(f, &self.flag));
    }
}

/// The waits between looks: `first`, then doubling up to [`MAX_LOOK_INTERVAL`], never
/// below [`MIN_LOOK_INTERVAL`].
pub(crate) fn next_wait(previous: Option<Duration>, first: Duration) -> Duration {
    match previous {
        None => first.max(MIN_LOOK_INTERVAL),
        Some(p) => p
            .saturating_mul(2)
            .clamp(MIN_LOOK_INTERVAL, MAX_LOOK_INTERVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, problem: &str, created: Option<&str>) -> Listed {
        Listed {
            id: id.into(),
            problem: Some(problem.into()),
            created: created.map(str::to_owned),
            status: Some(crate::CaseStatus::WaitingToBeAccepted),
        }
    }

    #[test]
    fn times_in_every_listed_form() {
        let at = UNIX_EPOCH + Duration::from_secs(1_765_100_000);
        let rfc = "2025-12-07T09:33:20Z";
        assert_eq!(parse_time(rfc), Some(at));
        assert_eq!(parse_time("2025-12-07T09:33:20.000Z"), Some(at));
        assert_eq!(parse_time("2025-12-07 09:33:20"), Some(at));
        assert_eq!(parse_time("2025-12-07T17:33:20+08:00"), Some(at));
        assert_eq!(parse_time("2025-12-07T04:33:20-05:00"), Some(at));
        assert_eq!(parse_time("1765100000000"), Some(at));
        assert_eq!(parse_time("1765100000"), Some(at));
        for bad in [
            "",
            "yesterday",
            "2025-12-07T09:33:20+99:00",
            "2025-13-07 09:33:20",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
        assert_eq!(list_time(at), "2025-12-07 09:33:20");
    }

    #[test]
    fn only_a_certain_ticket_is_found() {
        let first_send = UNIX_EPOCH + Duration::from_secs(1_765_100_000);
        let now = "2025-12-07T09:33:21Z";
        let old = "2025-12-07T09:20:00Z";
        let before: HashSet<String> = ["B0".to_owned()].into();
        let known = Known {
            before: &before,
            problem: Ok("Login"),
            first_send,
            concurrent: false,
        };
        let none = |_: &str| false;
        // One new ticket of the same problem type: found.
        let v = classify(
            &[t("B0", "Login", Some(now)), t("N1", "Login", Some(now))],
            &known,
            none,
        );
        assert_eq!(v, Verdict::Found("N1".into()));
        // Another problem type, an old ticket, a returned one: none of them.
        let listed = [
            t("X", "Billing", Some(now)),
            t("O", "Login", Some(old)),
            t("R", "Login", Some(now)),
        ];
        assert_eq!(classify(&listed, &known, |id| id == "R"), Verdict::Nothing);
        // Two: unsure, both named.
        let v = classify(
            &[t("N1", "Login", Some(now)), t("N2", "Login", Some(now))],
            &known,
            none,
        );
        assert!(matches!(&v, Verdict::Unsure { candidates, .. } if candidates == &["N1", "N2"]));
        // No creation time, an unreadable one, a control character: unsure.
        for listed in [
            t("N1", "Login", None),
            t("N1", "Login", Some("soon")),
            t("N\u{1b}1", "Login", Some(now)),
        ] {
            assert!(matches!(
                classify(&[listed], &known, none),
                Verdict::Unsure { .. }
            ));
        }
        // A problem type that cannot be compared, or a concurrent create: unsure.
        let unknown = Known {
            problem: Err("not in the problem-type list"),
            ..known
        };
        assert!(matches!(
            classify(&[t("N1", "Login", Some(now))], &unknown, none),
            Verdict::Unsure { .. }
        ));
        let concurrent = Known {
            before: &before,
            problem: Ok("Login"),
            first_send,
            concurrent: true,
        };
        assert!(matches!(
            classify(&[t("N1", "Login", Some(now))], &concurrent, none),
            Verdict::Unsure { .. }
        ));
    }

    #[test]
    fn a_page_without_its_list_says_nothing() {
        assert!(check_page(br#"{"incident_info_list": [], "total_count": 0}"#).is_ok());
        for bad in [
            &b"{}"[..],
            br#"{"error_code": "OSM.0004", "error_msg": "x"}"#,
            br#"{"incident_info_list": [], "error_code": "OSM.01010001"}"#,
            br#"{"incident_info_list": {}}"#,
            b"[]",
        ] {
            assert!(check_page(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn flights_with_one_key_see_each_other() {
        let r = InFlight::default();
        let a = r.enter("d", "p");
        let other = r.enter("d", "q");
        assert!(!a.concurrent() && !other.concurrent());
        let b = r.enter("d", "p");
        assert!(a.concurrent() && b.concurrent());
        drop((a, b));
        let c = r.enter("d", "p");
        assert!(!c.concurrent(), "finished creates leave the registry");
    }

    #[test]
    fn waits_grow_to_their_cap() {
        let mut w = None;
        let mut seen = Vec::new();
        for _ in 0..10 {
            let next = next_wait(w, Duration::from_secs(1));
            seen.push(next);
            w = Some(next);
        }
        assert_eq!(seen[0], Duration::from_secs(1));
        assert!(seen.windows(2).all(|p| p[1] >= p[0]));
        assert_eq!(*seen.last().unwrap(), MAX_LOOK_INTERVAL);
        assert_eq!(next_wait(None, Duration::ZERO), MIN_LOOK_INTERVAL);
    }
}
