//! Faults: misbehaviour injected into the next create requests.
//!
//! A fault is taken by the next create request that **passes authentication and
//! validation** (a request that would otherwise open a ticket); refused requests and
//! admin requests leave the queue alone. Each queued fault applies to a given number of
//! such requests, in the order the faults were queued.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One kind of misbehaviour.
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
        }
    }
}

#[derive(Debug)]
struct Entry {
    fault: Fault,
    remaining: u32,
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

    /// Queues a fault for the next create request.
    pub fn push(&self, fault: Fault) {
        self.push_times(fault, 1);
    }

    /// Queues a fault for the next `times` create requests (nothing if `times` is 0).
    pub fn push_times(&self, fault: Fault, times: u32) {
        if times > 0 {
            self.lock().push_back(Entry {
                fault,
                remaining: times,
            });
        }
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

    /// Takes the fault for one request, if any.
    pub(crate) fn take(&self) -> Option<Fault> {
        let mut q = self.lock();
        let front = q.front_mut()?;
        front.remaining -= 1;
        if front.remaining == 0 {
            q.pop_front().map(|e| e.fault)
        } else {
            Some(front.fault.clone())
        }
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_applies_each_fault_the_given_number_of_times() {
        let faults = Faults::default();
        faults.push_times(Fault::DropAfterRecord, 2);
        faults.push(Fault::TruncatedBody);
        faults.push_times(Fault::DropBeforeRecord, 0);
        assert_eq!(faults.remaining(), 3);
        assert_eq!(faults.take(), Some(Fault::DropAfterRecord));
        assert_eq!(
            faults.pending(),
            vec![(Fault::DropAfterRecord, 1), (Fault::TruncatedBody, 1)]
        );
        assert_eq!(faults.take(), Some(Fault::DropAfterRecord));
        assert_eq!(faults.take(), Some(Fault::TruncatedBody));
        assert_eq!(faults.take(), None);
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
}
