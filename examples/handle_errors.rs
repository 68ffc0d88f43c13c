//! How an application decides what to do with a failed ticket create, and how it
//! unit-tests that decision without a server: [`Error`]'s constructors build the same
//! errors the client returns.
//!
//! ```text
//! cargo run --example handle_errors     # prints the decision for a few errors
//! cargo test --example handle_errors    # runs the unit tests below
//! ```

use std::time::Duration;

use huaweicloud_osm::{Error, ErrorKind, rules};

/// What the application does after a failed create.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Fix the input and try again: the service saw nothing, or refused it for good.
    FixInput,
    /// Renew the credentials.
    Reauthenticate,
    /// Send the same request again after this long.
    RetryAfter(Duration),
    /// The ticket may exist: look it up before sending anything again.
    LookUpFirst,
    /// Give up and tell a human.
    Escalate,
}

fn decide(err: &Error) -> Next {
    if err.outcome_unknown() {
        Next::LookUpFirst
    } else if err.is_auth() {
        Next::Reauthenticate
    } else if err.is_retryable() {
        Next::RetryAfter(err.retry_after().unwrap_or(Duration::from_secs(1)))
    } else if err.is_validation() || err.kind() == ErrorKind::Service {
        Next::FixInput
    } else {
        Next::Escalate
    }
}

fn main() {
    let examples = [
        Error::service(400, "OSM.0001", "Parameter check failed"),
        Error::service(
            401,
            "APIGW.0301",
            "Incorrect IAM authentication information",
        ),
        Error::service(429, "APIGW.0308", "throttled").with_retry_after(Duration::from_secs(3)),
        Error::timeout().with_operation(rules::CREATE_CASE),
        Error::configuration("no endpoint"),
    ];
    for err in &examples {
        println!("{err} -> {:?}", decide(err));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_of_a_create_is_looked_up_before_anything_else() {
        let err = Error::timeout().with_operation(rules::CREATE_CASE);
        assert!(err.outcome_unknown());
        assert_eq!(decide(&err), Next::LookUpFirst);
    }

    #[test]
    fn a_timeout_of_a_look_up_is_simply_retried() {
        let err = Error::timeout().with_operation(rules::LIST_CASES);
        assert!(!err.outcome_unknown());
        assert_eq!(decide(&err), Next::RetryAfter(Duration::from_secs(1)));
    }

    #[test]
    fn a_refused_signature_renews_the_credentials() {
        let err = Error::service(
            401,
            "APIGW.0301",
            "Incorrect IAM authentication information",
        )
        .with_operation(rules::CREATE_CASE);
        assert_eq!(decide(&err), Next::Reauthenticate);
    }

    #[test]
    fn throttling_waits_as_long_as_the_service_asks() {
        let err = Error::service(429, "", "").with_retry_after(Duration::from_secs(3));
        assert_eq!(decide(&err), Next::RetryAfter(Duration::from_secs(3)));
    }

    #[test]
    fn a_5xx_of_a_create_may_have_opened_the_ticket() {
        let err =
            Error::service(500, "OSM.0004", "Internal error").with_operation(rules::CREATE_CASE);
        assert_eq!(decide(&err), Next::LookUpFirst);
    }

    #[test]
    fn a_parameter_error_is_fixed_in_the_input() {
        let err = Error::service(400, "OSM.0001", "Parameter check failed");
        assert_eq!(decide(&err), Next::FixInput);
    }
}
