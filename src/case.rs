//! The ticket to open ([`NewCase`]) and what comes back ([`CreatedCase`]).

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::generated::types::CreateCaseRequest;
use crate::rules::{self, Location};

include!("generated/case_setters.rs");
use crate::validation::{self, Problem, ValidationError};

/// A ticket to open: the JSON body plus the per-ticket headers.
///
/// [`NewCase::new`] takes the two fields the service requires from the caller and fills
/// in `source_id`, whose only allowed value the spec gives. Every other body field has a
/// setter generated from `spec/osm.yaml`, named after the field. Nothing is checked until
/// [`NewCase::validate`] (which [`crate::Client::create_case`] calls before sending), so
/// the error can name every problem precisely. Each field also has a getter, `get_` and
/// its name (`get_region_id`), as the setters take the plain names.
///
/// There is no `Default`: a case without a problem type and a description is not one.
///
/// `Debug` shows every field but hides the values the spec marks as personal data
/// (`x-personal-data`: the phone number, the e-mail address, the verification code and
/// the verified ids). `NewCase` serialises to `{"body": {..}, "headers": {..}}` and
/// back, so a ticket that could not be sent can be stored and retried later.
///
/// ```
/// use huaweicloud_osm::NewCase;
///
/// let case = NewCase::new("5", "ECS instance ecs-01 does not boot")
///     .region_id("ap-southeast-3")
///     .severity_id("2")
///     .accessory_ids(["att-1", "att-2"]);
/// assert!(case.validate().is_ok());
/// assert_eq!(case.get_region_id(), Some("ap-southeast-3"));
/// assert_eq!(case.get_accessory_ids(), Some(vec!["att-1", "att-2"]));
///
/// // What the application already holds works as it is.
/// let ids: Vec<&str> = vec!["att-1"];
/// let owned: Vec<String> = vec!["att-2".into()];
/// let mut extends = std::collections::HashMap::new();
/// extends.insert("channel", "alerting");
/// let case = case
///     .accessory_ids(&ids)
///     .accessory_ids(owned.as_slice())
///     .extends_map(&extends);
/// assert_eq!(case.get_accessory_ids(), Some(vec!["att-2"]));
/// assert_eq!(case.get_extends_map().unwrap()["channel"], "alerting");
///
/// let err = NewCase::new("1", "x".repeat(1201)).validate().unwrap_err();
/// assert_eq!(err.to_string(), "simple_description is 1201 characters long; the maximum length is 1200");
/// ```
///
/// Whether `region_id` is required depends on the problem type (a fault report needs
/// it), which the case alone cannot tell: see
/// [`crate::ClientBuilder::check_fault_report_region`].
#[derive(Clone, PartialEq)]
pub struct NewCase {
    pub(crate) fields: Map<String, Value>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl NewCase {
    /// A ticket of problem type `business_type_id` described by `simple_description`, with
    /// the spec's defaults (the fixed `source_id`) filled in.
    pub fn new(business_type_id: impl Into<String>, simple_description: impl Into<String>) -> Self {
        Self::with_defaults(Map::new())
            .business_type_id(business_type_id)
            .simple_description(simple_description)
    }

    fn with_defaults(mut fields: Map<String, Value>) -> Self {
        for rule in rules::BODY {
            if let Some(default) = rule.default {
                fields
                    .entry(rule.name)
                    .or_insert_with(|| Value::String(default.to_owned()));
            }
        }
        Self {
            fields,
            headers: Vec::new(),
        }
    }

    /// A ticket from a whole JSON body (a JSON object), with the spec's defaults filled
    /// in where the body leaves them out. Checked later, like any other.
    pub fn from_json(body: Value) -> Result<Self, ValidationError> {
        match body {
            Value::Object(map) => Ok(Self::with_defaults(map)),
            _ => Err(ValidationError::new(
                "body",
                Location::Body,
                Problem::WrongType {
                    expected: "a JSON object",
                },
            )),
        }
    }

    /// Sets any body field by its API name; `Value::Null` removes it.
    pub fn set(mut self, field: &str, value: Value) -> Self {
        if value.is_null() {
            self.fields.remove(field);
        } else {
            self.fields.insert(field.to_owned(), value);
        }
        self
    }

    /// The body as it stands.
    pub fn body(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// Sets a header of create_case by its wire name (one of the spec's headers of the
    /// operation, such as `X-Language`; checked with the rest by [`NewCase::validate`]).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// Language of the service's answer for this ticket (`X-Language`), overriding the
    /// client's.
    pub fn language(self, language: impl Into<String>) -> Self {
        self.header("X-Language", language)
    }

    /// Time zone for this ticket (`X-Time-Zone`), overriding the client's.
    pub fn time_zone(self, time_zone: impl Into<String>) -> Self {
        self.header("X-Time-Zone", time_zone)
    }

    /// Id of a completed phone verification (`x-phone-verifiedid`), needed when
    /// `remind_mobile` is not registered with the account.
    pub fn phone_verified_id(self, id: impl Into<String>) -> Self {
        self.header("x-phone-verifiedid", id)
    }

    /// Id of a completed e-mail verification (`x-email-verifiedid`), needed when
    /// `remind_mail` is not registered with the account.
    pub fn email_verified_id(self, id: impl Into<String>) -> Self {
        self.header("x-email-verifiedid", id)
    }

    /// The per-ticket headers set on this case.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.headers.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// Checks the headers and the body against every rule of the spec and returns the
    /// generated request type.
    pub fn validate(&self) -> Result<CreateCaseRequest, ValidationError> {
        for (name, value) in &self.headers {
            validation::check_header(name, value)?;
        }
        validation::parse_body_ref(&self.fields)
    }
}

/// A setter's value as JSON. A value that cannot be (a map with keys that are not text,
/// a `Serialize` impl that fails) is kept as a string saying why, which
/// [`NewCase::validate`] then refuses as of the wrong type, naming the field.
pub(crate) fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value)
        .unwrap_or_else(|e| Value::String(format!("<cannot be written as JSON: {e}>")))
}

/// What `Debug` shows in place of personal data.
const HIDDEN: &str = "<personal data>";

impl fmt::Debug for NewCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Shown<'a>(&'a Value, bool);
        impl fmt::Debug for Shown<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.1 {
                    f.write_str(HIDDEN)
                } else {
                    fmt::Debug::fmt(self.0, f)
                }
            }
        }
        struct Body<'a>(&'a Map<String, Value>);
        impl fmt::Debug for Body<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(
                        self.0
                            .iter()
                            .map(|(k, v)| (k, Shown(v, PERSONAL_FIELDS.contains(&k.as_str())))),
                    )
                    .finish()
            }
        }
        struct Headers<'a>(&'a [(&'static str, String)]);
        impl fmt::Debug for Headers<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(n, v)| {
                        let personal = PERSONAL_HEADERS.iter().any(|p| p.eq_ignore_ascii_case(n));
                        (n, if personal { HIDDEN } else { v.as_str() })
                    }))
                    .finish()
            }
        }
        f.debug_struct("NewCase")
            .field("body", &Body(&self.fields))
            .field("headers", &Headers(&self.headers))
            .finish()
    }
}

/// The stored form: `{"body": {..}, "headers": {"X-Language": "en-us", ..}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored<B, H> {
    body: B,
    #[serde(default)]
    headers: H,
}

impl Serialize for NewCase {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let headers: Map<String, Value> = self
            .headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), Value::String(v.clone())))
            .collect();
        Stored {
            body: &self.fields,
            headers,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for NewCase {
    /// Reads the stored form back. A header must be one of create_case's (any case); the
    /// body is checked later, by [`NewCase::validate`], like any other.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let stored = Stored::<Map<String, Value>, Map<String, Value>>::deserialize(d)?;
        let mut case = NewCase {
            fields: stored.body,
            headers: Vec::new(),
        };
        for (name, value) in stored.headers {
            let rule = rules::CREATE_CASE
                .params
                .iter()
                .find(|r| r.location == Location::Header && r.name.eq_ignore_ascii_case(&name))
                .ok_or_else(|| D::Error::custom(format!("create_case takes no header {name:?}")))?;
            let Value::String(value) = value else {
                return Err(D::Error::custom(format!(
                    "header {name:?} must be a string"
                )));
            };
            case = case.header(rule.name, value);
        }
        Ok(case)
    }
}

/// A ticket the service opened.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CreatedCase {
    /// The ticket id.
    pub incident_id: String,
    /// The request id from the `X-Request-Id` response header, if there was one.
    pub request_id: Option<String>,
    /// How many attempts it took.
    pub attempts: u32,
    /// `None` when the service answered with the ticket id. With exactly-once creates,
    /// `Some(the failure)` when the answer was lost (a timeout, a dropped connection, a
    /// 5xx…) and the ticket was then found by listing the tickets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_after: Option<String>,
    /// `true` when no ticket was opened because one with the same description and problem
    /// type was open already ([`crate::Client::create_case_unless_open`]): this is that
    /// ticket.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_open: bool,
}
