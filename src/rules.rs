//! The constraints of every header and body field, as `build.rs` read them from
//! `spec/osm.yaml`.
//!
//! typify turns string lengths into validating newtypes, but it does not enforce item
//! counts, and its errors name neither the field nor the value's size. This table is
//! what [`crate::validation`] checks against, so that an error can say
//! "simple_description is 1201 characters long; the limit is 1200". The emulator checks
//! incoming requests against the very same table.

/// Where a field travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// An HTTP request header.
    Header,
    /// A member of the JSON request body.
    Body,
}

/// The JSON type a field must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// An array of strings.
    StringArray,
    /// A free-form JSON object.
    Object,
}

/// A requirement that applies only when another field has a given value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredWhen {
    /// The field whose value triggers the requirement.
    pub field: &'static str,
    /// The value that triggers it.
    pub equals: &'static str,
}

/// The constraints of one header or body field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    /// Name on the wire: the header name or the JSON member name.
    pub name: &'static str,
    /// Header or body.
    pub location: Location,
    /// JSON type.
    pub kind: Kind,
    /// Whether the spec marks it required.
    pub required: bool,
    /// Minimum length in characters (strings).
    pub min_length: Option<usize>,
    /// Maximum length in characters (strings).
    pub max_length: Option<usize>,
    /// Minimum number of items (arrays).
    pub min_items: Option<usize>,
    /// Maximum number of items (arrays).
    pub max_items: Option<usize>,
    /// Minimum length of each item (arrays of strings).
    pub item_min_length: Option<usize>,
    /// Maximum length of each item (arrays of strings).
    pub item_max_length: Option<usize>,
    /// The default value, when the spec gives one.
    pub default: Option<&'static str>,
    /// The only values allowed, when the spec lists them.
    pub allowed: &'static [&'static str],
    /// A requirement that depends on another field.
    pub required_when: Option<RequiredWhen>,
    /// The spec's description of the field.
    pub description: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/spec_rules.rs"));

/// The rule of the body field `name`, if the spec declares one.
pub fn body_field(name: &str) -> Option<&'static FieldRule> {
    BODY.iter().find(|r| r.name == name)
}

/// The rule of the header `name` (compared case-insensitively), if the spec declares one.
pub fn header(name: &str) -> Option<&'static FieldRule> {
    HEADERS.iter().find(|r| r.name.eq_ignore_ascii_case(name))
}
