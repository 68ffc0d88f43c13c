//! Verifying a contact (a phone number or an e-mail address) that is not registered with
//! the account, so that a ticket may send notifications to it.
//!
//! The flow: [`crate::Client::needs_verification`] (is the contact registered or
//! verified already?), [`crate::Client::send_verification_code`] (the contact receives a
//! six-digit code by SMS or e-mail), [`crate::Client::verify_contact`] (checks the code
//! and answers the verified id), then [`NewCase::notify`] names the contact on a ticket
//! with its verified id (`x-phone-verifiedid` / `x-email-verifiedid`).
//!
//! ```no_run
//! # async fn demo(client: huaweicloud_osm::Client) -> Result<(), huaweicloud_osm::Error> {
//! use huaweicloud_osm::NewCase;
//! use huaweicloud_osm::ops::verification::Contact;
//!
//! let on_call = Contact::email("oncall@example.com");
//! if client.needs_verification(&on_call).await? {
//!     client.send_verification_code(&on_call).await?;
//!     let code = "123456"; // as received by the contact
//!     let verified = client.verify_contact(&on_call, code).await?;
//!     let case = NewCase::new("1", "disk full").notify(&verified);
//!     client.create_case(&case).await?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The generated builders ([`crate::Client::check_need_verify`],
//! [`crate::Client::send_verify_code`], [`crate::Client::check_verify_code`],
//! [`crate::Client::list_verified_contacts`]) stay available for raw calls.

use std::fmt;

use crate::case::NewCase;
use crate::error::{Error, ErrorKind};
use crate::rules;

include!("../generated/ops_verification.rs");

/// A phone number or an e-mail address to send notifications to.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "way", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Contact {
    /// A mobile phone number (SMS).
    Phone {
        /// Country or region calling code, such as `86`.
        area_code: String,
        /// The number.
        number: String,
    },
    /// An e-mail address.
    Email {
        /// The address.
        address: String,
    },
}

impl fmt::Debug for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: shown masked, as the request types show none of their values.
        let masked = |s: &str| {
            let first: String = s.chars().take(1).collect();
            format!("{first}…({} characters)", s.chars().count())
        };
        match self {
            Contact::Phone { area_code, number } => f
                .debug_struct("Phone")
                .field("area_code", area_code)
                .field("number", &masked(number))
                .finish(),
            Contact::Email { address } => f
                .debug_struct("Email")
                .field("address", &masked(address))
                .finish(),
        }
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Phone { area_code, number } if area_code.is_empty() => f.write_str(number),
            Contact::Phone { area_code, number } => write!(f, "+{area_code} {number}"),
            Contact::Email { address } => f.write_str(address),
        }
    }
}

impl Contact {
    /// An e-mail address.
    pub fn email(address: impl Into<String>) -> Self {
        Contact::Email {
            address: address.into(),
        }
    }

    /// A mobile phone number with its calling code (`86` for China).
    pub fn phone(area_code: impl Into<String>, number: impl Into<String>) -> Self {
        Contact::Phone {
            area_code: area_code.into(),
            number: number.into(),
        }
    }

    /// `contact_way` on the wire: 0 for a phone, 1 for an e-mail address, as the spec
    /// describes the field.
    pub fn way(&self) -> i64 {
        match self {
            Contact::Phone { .. } => 0,
            Contact::Email { .. } => 1,
        }
    }

    /// `contact_value` on the wire: the number or the address.
    pub fn value(&self) -> &str {
        match self {
            Contact::Phone { number, .. } => number,
            Contact::Email { address } => address,
        }
    }

    /// The calling code of a phone number.
    pub fn area_code(&self) -> Option<&str> {
        match self {
            Contact::Phone { area_code, .. } => Some(area_code),
            Contact::Email { .. } => None,
        }
    }

    fn matches(&self, way: Option<i64>, value: Option<&str>, area_code: Option<&str>) -> bool {
        if way != Some(self.way()) {
            return false;
        }
        let Some(value) = value else { return false };
        match self {
            Contact::Email { address } => address.eq_ignore_ascii_case(value.trim()),
            Contact::Phone {
                area_code: a,
                number,
            } => {
                number == value.trim()
                    && (a.is_empty() || area_code.is_none_or(|b| b.trim_start_matches('+') == a))
            }
        }
    }
}

/// A contact whose verification succeeded, with the id a ticket names it by.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct VerifiedContact {
    /// The contact.
    pub contact: Contact,
    /// The verified id, for `x-phone-verifiedid` or `x-email-verifiedid`.
    pub verified_id: String,
}

impl VerifiedContact {
    /// A contact verified earlier, by its verified id.
    pub fn new(contact: Contact, verified_id: impl Into<String>) -> Self {
        Self {
            contact,
            verified_id: verified_id.into(),
        }
    }
}

impl NewCase {
    /// Sends the ticket's notifications to a verified contact: `remind_mail` and
    /// `x-email-verifiedid` for an e-mail address; `remind_mobile`, `area_code` and
    /// `x-phone-verifiedid` for a phone number.
    pub fn notify(self, verified: &VerifiedContact) -> Self {
        match &verified.contact {
            Contact::Email { address } => self
                .remind_mail(address.clone())
                .email_verified_id(verified.verified_id.clone()),
            Contact::Phone { area_code, number } => {
                let case = self
                    .remind_mobile(number.clone())
                    .phone_verified_id(verified.verified_id.clone());
                if area_code.is_empty() {
                    case
                } else {
                    case.area_code(area_code.clone())
                }
            }
        }
    }
}

impl crate::Client {
    /// Whether `contact` must be verified before a ticket may notify it
    /// (`check_need_verify`): `false` for a contact registered with the account or
    /// verified already.
    pub async fn needs_verification(&self, contact: &Contact) -> Result<bool, Error> {
        let mut request = self
            .check_need_verify()
            .contact_way(contact.way())
            .contact_value(contact.value());
        if let Some(code) = contact.area_code().filter(|c| !c.is_empty()) {
            request = request.area_code(code);
        }
        let answer = request.send().await?;
        match answer.need_verify_code {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            other => Err(Error::new(
                ErrorKind::InvalidResponse,
                format!("the service answered need_verify_code {other:?}; expected 0 or 1"),
            )
            .for_operation(rules::CHECK_NEED_VERIFY)),
        }
    }

    /// Sends a verification code to `contact` by SMS or e-mail (`send_verify_code`).
    /// Every call sends another code.
    pub async fn send_verification_code(&self, contact: &Contact) -> Result<(), Error> {
        // area_code is required even for an e-mail address; empty is allowed.
        self.send_verify_code()
            .contact_way(contact.way())
            .contact_value(contact.value())
            .area_code(contact.area_code().unwrap_or_default())
            .send()
            .await?;
        Ok(())
    }

    /// Checks the `code` the contact received (`check_verify_code`), then looks up its
    /// verified id (`list_verified_contacts`). A wrong, expired or used code is refused
    /// by the service ([`ErrorKind::Service`] with its error code).
    pub async fn verify_contact(
        &self,
        contact: &Contact,
        code: &str,
    ) -> Result<VerifiedContact, Error> {
        let mut request = self
            .check_verify_code()
            .verify_code(code)
            .contact_way(contact.way())
            .contact_value(contact.value());
        if let Some(area) = contact.area_code().filter(|c| !c.is_empty()) {
            request = request.area_code(area);
        }
        request.send().await?;
        self.find_verified_contact(contact).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidResponse,
                "the code was accepted, but list_verified_contacts does not list the contact",
            )
            .for_operation(rules::LIST_VERIFIED_CONTACTS)
        })
    }

    /// The verified id of `contact`, if it was verified (`list_verified_contacts`,
    /// filtered by the contact; the latest verification wins).
    pub async fn find_verified_contact(
        &self,
        contact: &Contact,
    ) -> Result<Option<VerifiedContact>, Error> {
        let limit = rules::LIST_VERIFIED_CONTACTS
            .params
            .iter()
            .find(|r| r.name == "limit")
            .and_then(|r| r.maximum)
            .unwrap_or(10);
        let mut request = self
            .list_verified_contacts()
            .contact_way(contact.way())
            .contact_value(contact.value())
            .limit(limit);
        if let Some(area) = contact.area_code().filter(|c| !c.is_empty()) {
            request = request.area_code(area);
        }
        let answer = request.send().await?;
        Ok(answer
            .into_inner()
            .contact_list
            .into_iter()
            .rev()
            .filter(|c| {
                contact.matches(
                    c.contact_way,
                    c.contact_value.as_deref(),
                    c.area_code.as_deref(),
                )
            })
            .find_map(|c| c.verified_id.filter(|id| !id.is_empty()))
            .map(|verified_id| VerifiedContact {
                contact: contact.clone(),
                verified_id,
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_ways_are_the_specs_values() {
        let rule = rules::SEND_VERIFY_CODE.body_field("contact_way").unwrap();
        assert_eq!(rule.allowed, ["0", "1"]);
        assert!(
            rule.description.contains("0 by SMS, 1 by e-mail"),
            "{}",
            rule.description
        );
        assert_eq!(Contact::phone("86", "1").way(), 0);
        assert_eq!(Contact::email("a@b").way(), 1);
    }

    #[test]
    fn debug_masks_the_contact() {
        let shown = format!(
            "{:?} {:?}",
            Contact::email("oncall@example.com"),
            Contact::phone("86", "13800000000")
        );
        assert!(!shown.contains("oncall@example.com"), "{shown}");
        assert!(!shown.contains("13800000000"), "{shown}");
    }

    #[test]
    fn notify_sets_the_contact_and_its_header() {
        let email = VerifiedContact::new(Contact::email("a@example.com"), "V1");
        let case = NewCase::new("1", "x").notify(&email);
        assert_eq!(case.body()["remind_mail"], "a@example.com");
        assert!(case.headers().any(|h| h == ("x-email-verifiedid", "V1")));
        let phone = VerifiedContact::new(Contact::phone("86", "13800000000"), "V2");
        let case = NewCase::new("1", "x").notify(&phone);
        assert_eq!(case.body()["remind_mobile"], "13800000000");
        assert_eq!(case.body()["area_code"], "86");
        assert!(case.headers().any(|h| h == ("x-phone-verifiedid", "V2")));
        assert!(case.validate().is_ok());
    }

    #[test]
    fn matching_is_exact_except_for_the_case_of_addresses() {
        let e = Contact::email("A@Example.com");
        assert!(e.matches(Some(1), Some("a@example.com"), None));
        assert!(!e.matches(Some(0), Some("a@example.com"), None));
        assert!(!e.matches(Some(1), Some("b@example.com"), None));
        let p = Contact::phone("86", "138");
        assert!(p.matches(Some(0), Some("138"), Some("86")));
        assert!(p.matches(Some(0), Some("138"), Some("+86")));
        assert!(!p.matches(Some(0), Some("138"), Some("44")));
        assert!(!p.matches(Some(0), Some("1380"), Some("86")));
    }
}
