//! Types that read what the vendor actually sends where its documents declare
//! something stricter. The spec names them with `x-rust-type` on the component schemas
//! `LenientBoolean` and `LenientString`; the generated types use them in those places.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A yes/no flag that the vendor declares boolean but whose own examples send `0`/`1`.
/// Reads `true`, `false`, `0`, `1` (any non-zero integer is yes) and the strings
/// `"true"`, `"false"`, `"0"`, `"1"`; writes a boolean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LenientBool(pub bool);

impl LenientBool {
    /// The flag.
    pub fn get(self) -> bool {
        self.0
    }
}

impl From<LenientBool> for bool {
    fn from(v: LenientBool) -> bool {
        v.0
    }
}

impl From<bool> for LenientBool {
    fn from(v: bool) -> Self {
        LenientBool(v)
    }
}

impl fmt::Display for LenientBool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for LenientBool {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(self.0)
    }
}

impl<'de> Deserialize<'de> for LenientBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LenientBool;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, or 0 or 1")
            }
            fn visit_bool<E>(self, v: bool) -> Result<LenientBool, E> {
                Ok(LenientBool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientBool, E> {
                Ok(LenientBool(v != 0))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientBool, E> {
                Ok(LenientBool(v != 0))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LenientBool, E> {
                match v {
                    "true" | "1" => Ok(LenientBool(true)),
                    "false" | "0" => Ok(LenientBool(false)),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Text that the vendor declares a string but whose own examples send as a number
/// (`"limit_count": 5`). Reads a string or a number, keeps it as text; writes a string.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LenientString(pub String);

impl LenientString {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LenientString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<LenientString> for String {
    fn from(v: LenientString) -> String {
        v.0
    }
}

impl From<&str> for LenientString {
    fn from(v: &str) -> Self {
        LenientString(v.to_owned())
    }
}

impl Serialize for LenientString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = LenientString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<LenientString, E> {
                Ok(LenientString(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<LenientString, E> {
                Ok(LenientString(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<LenientString, E> {
                Ok(LenientString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The schema of what [`LenientBool`] reads: a boolean, `0` or `1`, or one of the
/// strings `"true"`, `"false"`, `"0"`, `"1"`.
impl schemars::JsonSchema for LenientBool {
    fn schema_name() -> String {
        "LenientBoolean".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        let any_of = vec![
            serde_json::json!({"type": "boolean"}),
            serde_json::json!({"type": "integer"}),
            serde_json::json!({"type": "string", "enum": ["true", "false", "0", "1"]}),
        ];
        serde_json::from_value(serde_json::json!({ "anyOf": any_of })).expect("a literal schema")
    }
}

/// The schema of what [`LenientString`] reads: a string or a number.
impl schemars::JsonSchema for LenientString {
    fn schema_name() -> String {
        "LenientString".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        serde_json::from_value(serde_json::json!({"type": ["string", "number"]}))
            .expect("a literal schema")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_read_numbers_and_strings() {
        for (text, want) in [
            ("true", true),
            ("false", false),
            ("1", true),
            ("0", false),
            ("\"1\"", true),
        ] {
            let v: LenientBool = serde_json::from_str(text).unwrap();
            assert_eq!(v.get(), want, "{text}");
        }
        assert!(serde_json::from_str::<LenientBool>("\"yes\"").is_err());
        assert_eq!(serde_json::to_string(&LenientBool(true)).unwrap(), "true");
    }

    #[test]
    fn strings_read_numbers() {
        let v: LenientString = serde_json::from_str("5").unwrap();
        assert_eq!(v.as_str(), "5");
        let v: LenientString = serde_json::from_str("\"jpg\"").unwrap();
        assert_eq!(v.as_str(), "jpg");
        assert_eq!(
            serde_json::to_string(&LenientString("4".into())).unwrap(),
            "\"4\""
        );
    }

    #[test]
    fn schemas_describe_what_is_read() {
        let b = serde_json::to_value(schemars::schema_for!(LenientBool)).unwrap();
        assert_eq!(b["anyOf"][0]["type"], "boolean");
        assert_eq!(b["anyOf"][2]["enum"][3], "1");
        let s = serde_json::to_value(schemars::schema_for!(LenientString)).unwrap();
        assert_eq!(s["type"], serde_json::json!(["string", "number"]));
    }
}
