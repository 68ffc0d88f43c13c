//! Faults: misbehaviour injected into requests.
//!
//! A fault is taken by a request that **passes authentication and validation** (the
//! generic checks of every operation: a request its handler would serve); refused
//! requests and admin requests leave the queue alone. Each queued fault applies to a
//! given number of such requests, in the order the faults were queued:
//!
//! - queued with [`Faults::push`] (or over HTTP without `"match"`), it applies to
//!   creates (`create_case`), as it always has;
//! - aimed with [`Faults::aim`] (or with `"match"`), it applies to the requests its
//!   [`Matcher`] describes, of any operation. A request takes the first queued fault
//!   that applies to it, so faults aimed alike form a sequence (first a 503, then
//!   success: [`Fault::Pass`] holds a place in a sequence without misbehaving).
//!
//! [`Fault::ResetOnAccept`] is the exception: it happens before any request is read, so
//! it applies to the next connections accepted and cannot be aimed.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::journal::RecordedRequest;
use crate::matcher::{MatchSpec, Matcher, check_operation};

/// One kind of misbehaviour. "Record" below means running the operation's handler (for a
/// create, opening the ticket).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this response instead of opening a ticket; nothing is recorded.
    ///
    /// Without a `Content-Type` among `headers`, a body starting with `<` is sent as
    /// `text/html; charset=utf-8` and any other as `application/json;charset=UTF-8`.
    /// `X-Request-Id` is added unless `headers` has one.
    Respond {
        /// HTTP status, 200 to 599.
        status: u16,
        /// Extra response headers, as (name, value).
        headers: Vec<(String, String)>,
        /// The body, sent as it is (it need not be JSON).
        body: String,
    },
    /// Record the ticket, then wait this long before answering `200` (a client whose
    /// timeout is shorter sees a timeout although the ticket exists). Shutting the
    /// emulator down cuts the wait short.
    DelayAfterRecord(Duration),
    /// Read the request, then close the connection without an answer; nothing is
    /// recorded.
    DropBeforeRecord,
    /// Record the ticket, then close the connection without an answer.
    DropAfterRecord,
    /// Record the ticket, answer `200` with a `Content-Length` larger than the bytes
    /// that follow (half of the body is sent), then close the connection.
    TruncatedBody,
    /// Wait this long, then handle the request as usual (record the ticket and
    /// answer): a client whose timeout is shorter sees a timeout, and the ticket
    /// appears after it. Shutting the emulator down cuts the wait short.
    DelayBeforeRecord(Duration),
    /// Handle the request as usual, then send the answer's body this many bytes a
    /// second (at least 1), headers first; the whole body is sent in the end.
    SlowBody {
        /// The pace, in bytes per second.
        bytes_per_second: u32,
    },
    /// Close the next accepted connection at once with a TCP reset (`SO_LINGER` 0),
    /// before reading anything. It applies to connections, not requests: it cannot be
    /// aimed ([`Faults::aim`] refuses it), and a client that keeps its connection alive
    /// meets it only when it opens a new one.
    ResetOnAccept,
    /// Handle the request as usual: holds a place in a sequence of faults (success
    /// first, then a 503).
    Pass,
}

impl Fault {
    /// A canned response with no extra headers.
    pub fn respond(status: u16, body: impl Into<String>) -> Self {
        Fault::Respond {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// An error in the vendor's shape, `{"error_code": .., "error_msg": ..}`, such as
    /// `Fault::error(500, "OSM.0004", "internal error")`.
    pub fn error(status: u16, code: &str, msg: &str) -> Self {
        Self::respond(
            status,
            serde_json::json!({ "error_code": code, "error_msg": msg }).to_string(),
        )
    }

    /// A business error as the service sends it: HTTP **200** with `error_code` and
    /// `error_msg` and no `incident_id`, such as
    /// `Fault::business_error("OSM.01010003", "urged too often")`.
    pub fn business_error(code: &str, msg: &str) -> Self {
        Self::error(200, code, msg)
    }

    /// Adds a response header to a [`Fault::Respond`]; other faults are returned as they
    /// are.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        if let Fault::Respond { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }

    /// The name used by the admin routes' JSON (`"respond"`, `"delay_after_record"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Fault::Respond { .. } => "respond",
            Fault::DelayAfterRecord(_) => "delay_after_record",
            Fault::DropBeforeRecord => "drop_before_record",
            Fault::DropAfterRecord => "drop_after_record",
            Fault::TruncatedBody => "truncated_body",
            Fault::DelayBeforeRecord(_) => "delay_before_record",
            Fault::SlowBody { .. } => "slow_body",
            Fault::ResetOnAccept => "reset_on_accept",
            Fault::Pass => "pass",
        }
    }

    /// The name the request record gives a request that suffered this fault:
    /// [`name`](Self::name), except that an answer of HTTP 200 carrying an `error_code`
    /// (what [`Fault::business_error`] and the admin routes' `business_error` queue) is
    /// recorded as `"business_error"`.
    pub fn recorded_name(&self) -> &'static str {
        if self.business_error_code().is_some() {
            "business_error"
        } else {
            self.name()
        }
    }

    /// The `error_code` of a [`Fault::Respond`] answering HTTP 200: a business error.
    fn business_error_code(&self) -> Option<String> {
        match self {
            Fault::Respond {
                status: 200, body, ..
            } => crate::journal::error_code_of(body.as_bytes()),
            _ => None,
        }
    }
}

/// Why [`Faults::aim`] refused a fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AimError(String);

impl fmt::Display for AimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AimError {}

/// Checks that `fault` can be aimed with `matcher`.
fn check_aim(matcher: &Matcher, fault: &Fault) -> Result<(), String> {
    if *fault == Fault::ResetOnAccept {
        return Err(
            "reset_on_accept happens before a request is read, so it cannot be aimed at \
             requests: queue it without a matcher (it applies to the next connections)"
                .into(),
        );
    }
    if let Some(id) = matcher.operation_id() {
        let op = check_operation(id)?;
        if let Some(code) = fault.business_error_code()
            && !op.business_errors
        {
            let with: Vec<&str> = huaweicloud_osm::rules::OPERATIONS
                .iter()
                .filter(|o| o.business_errors)
                .map(|o| o.id)
                .collect();
            return Err(format!(
                "{id} does not answer business errors (HTTP 200 with error_code, here {code}): \
                 the spec marks only {} with x-business-errors",
                with.join(", ")
            ));
        }
    }
    Ok(())
}

#[derive(Debug)]
struct Entry {
    fault: Fault,
    remaining: u32,
    /// `None`: creates only (or connections, for [`Fault::ResetOnAccept`]).
    matcher: Option<Matcher>,
}

impl Entry {
    fn applies_to(&self, request: &RecordedRequest) -> bool {
        match (&self.matcher, &self.fault) {
            (_, Fault::ResetOnAccept) => false,
            (Some(m), _) => m.matches(request),
            (None, _) => request.operation.as_deref() == Some("create_case"),
        }
    }
}

/// The queue of faults of a running emulator; see
/// [`RunningEmulator::faults`](crate::RunningEmulator::faults). Cheap to clone; clones
/// share the queue.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    queue: Arc<Mutex<VecDeque<Entry>>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Entry>> {
        // A panic while holding this lock cannot leave the queue inconsistent.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a fault for the next create request ([`Fault::ResetOnAccept`]: for the
    /// next connection).
    pub fn push(&self, fault: Fault) {
        self.push_times(fault, 1);
    }

    /// Queues a fault for the next `times` create requests (nothing if `times` is 0).
    pub fn push_times(&self, fault: Fault, times: u32) {
        self.queue(None, fault, times);
    }

    fn queue(&self, matcher: Option<Matcher>, fault: Fault, times: u32) {
        if times > 0 {
            self.lock().push_back(Entry {
                fault,
                remaining: times,
                matcher,
            });
        }
    }

    /// Aims a fault at the next request `matcher` describes, of any operation:
    ///
    /// ```
    /// # use osm_emulator::{Fault, Faults, Matcher};
    /// # let faults = Faults::default();
    /// faults.aim(Matcher::operation("list_problem_types"),
    ///            Fault::error(503, "OSM.0004", "busy")).unwrap();
    /// faults.aim(Matcher::operation("update_case"),
    ///            Fault::business_error("OSM.01010003", "urged too often")).unwrap();
    /// // list_problem_types has no business errors in the spec:
    /// assert!(faults.aim(Matcher::operation("list_problem_types"),
    ///                    Fault::business_error("OSM.01010003", "x")).is_err());
    /// ```
    ///
    /// Refused: [`Fault::ResetOnAccept`] (it cannot be aimed), an operation id the spec
    /// does not have, and a business error (HTTP 200 with `error_code`) aimed at an
    /// operation the spec does not mark with `x-business-errors`.
    pub fn aim(&self, matcher: Matcher, fault: Fault) -> Result<(), AimError> {
        self.aim_times(matcher, fault, 1)
    }

    /// Aims a fault at the next `times` requests `matcher` describes (see
    /// [`aim`](Self::aim)).
    pub fn aim_times(&self, matcher: Matcher, fault: Fault, times: u32) -> Result<(), AimError> {
        check_aim(&matcher, &fault).map_err(AimError)?;
        self.queue(Some(matcher), fault, times);
        Ok(())
    }

    /// Aims a sequence: the first request `matcher` describes suffers the first fault,
    /// the next the second, …; then requests are served as usual. All are checked
    /// before any is queued.
    pub fn aim_sequence(
        &self,
        matcher: Matcher,
        faults: impl IntoIterator<Item = Fault>,
    ) -> Result<(), AimError> {
        let faults: Vec<Fault> = faults.into_iter().collect();
        for f in &faults {
            check_aim(&matcher, f).map_err(AimError)?;
        }
        let mut q = self.lock();
        for fault in faults {
            q.push_back(Entry {
                fault,
                remaining: 1,
                matcher: Some(matcher.clone()),
            });
        }
        Ok(())
    }

    /// Removes every queued fault; returns how many entries were removed.
    pub fn clear(&self) -> usize {
        let mut q = self.lock();
        let n = q.len();
        q.clear();
        n
    }

    /// The queued faults, each with the number of requests it still applies to.
    pub fn pending(&self) -> Vec<(Fault, u32)> {
        self.lock()
            .iter()
            .map(|e| (e.fault.clone(), e.remaining))
            .collect()
    }

    /// How many requests the queued faults still apply to in all.
    pub fn remaining(&self) -> u64 {
        self.lock().iter().map(|e| u64::from(e.remaining)).sum()
    }

    /// `true` when no fault is queued.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The queued faults with their matchers (`None`: creates only).
    pub(crate) fn pending_aimed(&self) -> Vec<(Option<Matcher>, Fault, u32)> {
        self.lock()
            .iter()
            .map(|e| (e.matcher.clone(), e.fault.clone(), e.remaining))
            .collect()
    }

    /// Takes the fault for one request, if any applies to it.
    pub(crate) fn take_for(&self, request: &RecordedRequest) -> Option<Fault> {
        let mut q = self.lock();
        let i = q.iter().position(|e| e.applies_to(request))?;
        Self::take_at(&mut q, i)
    }

    fn take_at(q: &mut VecDeque<Entry>, i: usize) -> Option<Fault> {
        let entry = q.get_mut(i)?;
        entry.remaining -= 1;
        if entry.remaining == 0 {
            q.remove(i).map(|e| e.fault)
        } else {
            Some(entry.fault.clone())
        }
    }

    /// Whether the connection just accepted is to be reset (takes the fault).
    pub(crate) fn take_reset(&self) -> bool {
        let mut q = self.lock();
        match q.iter().position(|e| e.fault == Fault::ResetOnAccept) {
            Some(i) => Self::take_at(&mut q, i).is_some(),
            None => false,
        }
    }

    /// Whether any fault is queued for requests (not only connections).
    pub(crate) fn any_for_requests(&self) -> bool {
        self.lock().iter().any(|e| e.fault != Fault::ResetOnAccept)
    }
}

fn one() -> u32 {
    1
}

/// The JSON form of a fault, for the admin routes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum FaultSpec {
    Respond {
        status: u16,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        /// A string is sent as it is; any other JSON value is sent serialised.
        #[serde(default)]
        body: Value,
        #[serde(default = "one")]
        times: u32,
    },
    DelayAfterRecord {
        delay_ms: u64,
        #[serde(default = "one")]
        times: u32,
    },
    DropBeforeRecord {
        #[serde(default = "one")]
        times: u32,
    },
    DropAfterRecord {
        #[serde(default = "one")]
        times: u32,
    },
    TruncatedBody {
        #[serde(default = "one")]
        times: u32,
    },
    DelayBeforeRecord {
        delay_ms: u64,
        #[serde(default = "one")]
        times: u32,
    },
    SlowBody {
        bytes_per_second: u32,
        #[serde(default = "one")]
        times: u32,
    },
    ResetOnAccept {
        #[serde(default = "one")]
        times: u32,
    },
    Pass {
        #[serde(default = "one")]
        times: u32,
    },
    /// HTTP 200 with `error_code` and `error_msg`.
    BusinessError {
        error_code: String,
        error_msg: String,
        #[serde(default = "one")]
        times: u32,
    },
}

/// A fault of the admin routes with what it is aimed at.
pub(crate) struct AimedSpec {
    pub(crate) matcher: Option<Matcher>,
    pub(crate) fault: Fault,
    pub(crate) times: u32,
}

impl AimedSpec {
    /// One fault object: a [`FaultSpec`] with an optional `"match"` ([`MatchSpec`]).
    pub(crate) fn parse(mut item: Value) -> Result<Self, String> {
        let matcher = match item.as_object_mut().and_then(|o| o.remove("match")) {
            Some(m) => Some(
                serde_json::from_value::<MatchSpec>(m)
                    .map_err(|e| format!("match: {e}"))?
                    .into_matcher()
                    .map_err(|e| format!("match: {e}"))?,
            ),
            None => None,
        };
        let (fault, times) = serde_json::from_value::<FaultSpec>(item)
            .map_err(|e| e.to_string())?
            .into_fault()?;
        if let Some(m) = &matcher {
            check_aim(m, &fault)?;
        }
        Ok(Self {
            matcher,
            fault,
            times,
        })
    }

    /// Queues it.
    pub(crate) fn queue(self, faults: &Faults) {
        faults.queue(self.matcher, self.fault, self.times);
    }
}

impl FaultSpec {
    /// Checks a spec from the admin route and turns it into a fault.
    pub(crate) fn into_fault(self) -> Result<(Fault, u32), String> {
        Ok(match self {
            FaultSpec::Respond {
                status,
                headers,
                body,
                times,
            } => {
                if !(200..=599).contains(&status) {
                    return Err(format!("status {status} is not between 200 and 599"));
                }
                for (name, value) in &headers {
                    if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                        return Err(format!("{name:?} is not a valid header name"));
                    }
                    if http::HeaderValue::from_str(value).is_err() {
                        return Err(format!("the value of header {name} is not valid"));
                    }
                }
                let body = match body {
                    Value::Null => String::new(),
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (
                    Fault::Respond {
                        status,
                        headers: headers.into_iter().collect(),
                        body,
                    },
                    times,
                )
            }
            FaultSpec::DelayAfterRecord { delay_ms, times } => (
                Fault::DelayAfterRecord(Duration::from_millis(delay_ms)),
                times,
            ),
            FaultSpec::DropBeforeRecord { times } => (Fault::DropBeforeRecord, times),
            FaultSpec::DropAfterRecord { times } => (Fault::DropAfterRecord, times),
            FaultSpec::TruncatedBody { times } => (Fault::TruncatedBody, times),
            FaultSpec::DelayBeforeRecord { delay_ms, times } => (
                Fault::DelayBeforeRecord(Duration::from_millis(delay_ms)),
                times,
            ),
            FaultSpec::SlowBody {
                bytes_per_second,
                times,
            } => {
                if bytes_per_second == 0 {
                    return Err("bytes_per_second must be at least 1".into());
                }
                (Fault::SlowBody { bytes_per_second }, times)
            }
            FaultSpec::ResetOnAccept { times } => (Fault::ResetOnAccept, times),
            FaultSpec::Pass { times } => (Fault::Pass, times),
            FaultSpec::BusinessError {
                error_code,
                error_msg,
                times,
            } => (Fault::business_error(&error_code, &error_msg), times),
        })
    }

    /// The JSON form of a queued fault.
    pub(crate) fn from_fault(fault: &Fault, times: u32) -> Self {
        match fault {
            Fault::Respond {
                status,
                headers,
                body,
            } => FaultSpec::Respond {
                status: *status,
                headers: headers.iter().cloned().collect(),
                body: Value::String(body.clone()),
                times,
            },
            Fault::DelayAfterRecord(d) => FaultSpec::DelayAfterRecord {
                delay_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                times,
            },
            Fault::DropBeforeRecord => FaultSpec::DropBeforeRecord { times },
            Fault::DropAfterRecord => FaultSpec::DropAfterRecord { times },
            Fault::TruncatedBody => FaultSpec::TruncatedBody { times },
            Fault::DelayBeforeRecord(d) => FaultSpec::DelayBeforeRecord {
                delay_ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
                times,
            },
            Fault::SlowBody { bytes_per_second } => FaultSpec::SlowBody {
                bytes_per_second: *bytes_per_second,
                times,
            },
            Fault::ResetOnAccept => FaultSpec::ResetOnAccept { times },
            Fault::Pass => FaultSpec::Pass { times },
        }
    }

    /// The JSON form of a queued fault with its matcher, if aimed.
    pub(crate) fn json_of(matcher: Option<&Matcher>, fault: &Fault, times: u32) -> Value {
        let mut v = serde_json::to_value(Self::from_fault(fault, times)).unwrap_or(Value::Null);
        if let (Some(m), Some(o)) = (matcher, v.as_object_mut()) {
            o.insert("match".into(), m.to_json());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create() -> RecordedRequest {
        request("create_case")
    }

    fn request(op: &'static str) -> RecordedRequest {
        let journal = crate::journal::Journal::new(1, 1024);
        let id = journal.open(
            std::time::SystemTime::now(),
            &http::Method::POST,
            "/x",
            None,
            &http::HeaderMap::new(),
        );
        journal.note_operation(id, op);
        journal.requests().remove(0)
    }

    #[test]
    fn aimed_faults_skip_other_requests_and_keep_their_order() {
        let faults = Faults::default();
        faults.push(Fault::DropAfterRecord);
        faults
            .aim_sequence(
                Matcher::operation("list_regions"),
                [Fault::error(503, "OSM.0004", "busy"), Fault::Pass],
            )
            .unwrap();
        faults.push(Fault::ResetOnAccept);
        assert_eq!(faults.take_for(&request("list_severities")), None);
        assert_eq!(
            faults.take_for(&request("list_regions")),
            Some(Fault::error(503, "OSM.0004", "busy"))
        );
        assert_eq!(faults.take_for(&create()), Some(Fault::DropAfterRecord));
        assert_eq!(
            faults.take_for(&create()),
            None,
            "reset_on_accept is not for requests"
        );
        assert_eq!(faults.take_for(&request("list_regions")), Some(Fault::Pass));
        assert!(faults.take_reset());
        assert!(!faults.take_reset());
        assert!(faults.is_empty());
        let err = faults
            .aim(Matcher::operation("list_regions"), Fault::ResetOnAccept)
            .unwrap_err();
        assert!(err.to_string().contains("cannot be aimed"), "{err}");
        let err = faults
            .aim(
                Matcher::operation("list_regions"),
                Fault::business_error("OSM.01010003", "x"),
            )
            .unwrap_err();
        assert!(err.to_string().contains("x-business-errors"), "{err}");
        assert!(err.to_string().contains("update_case"), "{err}");
        assert!(faults.is_empty());
    }

    #[test]
    fn queue_applies_each_fault_the_given_number_of_times() {
        let faults = Faults::default();
        faults.push_times(Fault::DropAfterRecord, 2);
        faults.push(Fault::TruncatedBody);
        faults.push_times(Fault::DropBeforeRecord, 0);
        assert_eq!(faults.remaining(), 3);
        assert_eq!(faults.take_for(&create()), Some(Fault::DropAfterRecord));
        assert_eq!(
            faults.pending(),
            vec![(Fault::DropAfterRecord, 1), (Fault::TruncatedBody, 1)]
        );
        assert_eq!(faults.take_for(&create()), Some(Fault::DropAfterRecord));
        assert_eq!(faults.take_for(&create()), Some(Fault::TruncatedBody));
        assert_eq!(faults.take_for(&create()), None);
        assert!(faults.is_empty());
    }

    #[test]
    fn admin_json_round_trips() {
        let spec: FaultSpec = serde_json::from_str(
            r#"{"fault":"respond","status":503,"headers":{"Retry-After":"2"},
                "body":{"error_code":"OSM.0004","error_msg":"busy"},"times":2}"#,
        )
        .unwrap();
        let (fault, times) = spec.into_fault().unwrap();
        assert_eq!(times, 2);
        assert_eq!(
            fault,
            Fault::error(503, "OSM.0004", "busy").with_header("Retry-After", "2")
        );
        let spec: FaultSpec =
            serde_json::from_str(r#"{"fault":"delay_after_record","delay_ms":1500}"#).unwrap();
        assert_eq!(
            spec.into_fault().unwrap(),
            (Fault::DelayAfterRecord(Duration::from_millis(1500)), 1)
        );
        let json = serde_json::to_value(FaultSpec::from_fault(&Fault::TruncatedBody, 3)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"fault": "truncated_body", "times": 3})
        );
    }

    #[test]
    fn admin_json_is_checked() {
        for bad in [
            r#"{"fault":"respond","status":99}"#,
            r#"{"fault":"respond","status":700}"#,
            r#"{"fault":"respond","status":500,"headers":{"bad name":"x"}}"#,
        ] {
            let spec: FaultSpec = serde_json::from_str(bad).unwrap();
            assert!(spec.into_fault().is_err(), "{bad}");
        }
        for bad in [
            r#"{"fault":"explode"}"#,
            r#"{"fault":"delay_after_record","delay":5}"#,
            r#"{"status":500}"#,
        ] {
            assert!(serde_json::from_str::<FaultSpec>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_business_error_is_recorded_as_one() {
        assert_eq!(
            Fault::business_error("OSM.01010003", "urged too often").recorded_name(),
            "business_error"
        );
        assert_eq!(
            Fault::error(500, "OSM.0004", "x").recorded_name(),
            "respond"
        );
        assert_eq!(
            Fault::DropBeforeRecord.recorded_name(),
            "drop_before_record"
        );
    }
}
