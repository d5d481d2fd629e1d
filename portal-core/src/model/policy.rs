//! casbin policy lines, as stored. The casbin model decides what the values mean (for the
//! shipped RBAC-with-domains model: `p, role, portal, object, action` and
//! `g, user-or-role, role, portal`); storage keeps them verbatim.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{Error, Result};

/// One casbin policy line: its type (`p`, `g`, `p2`, `g2`, …) and its values, in order.
///
/// Values are what casbin's CSV format can carry without quoting: 1 to 6 fields, each 1 to 256
/// bytes, no comma, no control character, no leading or trailing whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "RawRule", into = "RawRule")]
pub struct PolicyRule {
    ptype: String,
    values: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct RawRule {
    ptype: String,
    values: Vec<String>,
}

impl TryFrom<RawRule> for PolicyRule {
    type Error = Error;
    fn try_from(raw: RawRule) -> Result<Self> {
        PolicyRule::new(raw.ptype, raw.values)
    }
}

impl From<PolicyRule> for RawRule {
    fn from(rule: PolicyRule) -> Self {
        RawRule { ptype: rule.ptype, values: rule.values }
    }
}

impl PolicyRule {
    /// Most values a line may have (casbin's `v0`–`v5`).
    pub const MAX_VALUES: usize = 6;
    /// Longest value, in bytes.
    pub const MAX_VALUE_BYTES: usize = 256;

    /// A checked line; `InvalidInput` when the type or a value breaks the rules above.
    pub fn new<V: Into<String>>(ptype: impl Into<String>, values: impl IntoIterator<Item = V>) -> Result<Self> {
        let ptype = ptype.into();
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        let type_ok = ptype.len() <= 8
            && matches!(ptype.as_bytes().first(), Some(b'p' | b'g'))
            && ptype.bytes().skip(1).all(|b| b.is_ascii_digit());
        if !type_ok {
            return Err(Error::invalid_input("a policy type is `p` or `g`, optionally followed by digits"));
        }
        if values.is_empty() || values.len() > Self::MAX_VALUES {
            return Err(Error::invalid_input("a policy line has 1 to 6 values"));
        }
        for v in &values {
            let ok = !v.is_empty()
                && v.len() <= Self::MAX_VALUE_BYTES
                && v.trim() == v
                && !v.chars().any(|c| c == ',' || c.is_control());
            if !ok {
                return Err(Error::invalid_input(
                    "a policy value is 1-256 bytes without commas, control characters or outer spaces",
                )
                .with_context("value", crate::model::escape_controls(v)));
            }
        }
        Ok(PolicyRule { ptype, values })
    }

    /// The line type: `p`, `g`, `p2`, …
    pub fn ptype(&self) -> &str {
        &self.ptype
    }

    /// The casbin section the type belongs to: `"p"` or `"g"`.
    pub fn section(&self) -> &'static str {
        if self.ptype.starts_with('g') {
            "g"
        } else {
            "p"
        }
    }

    /// The values, in order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Type and values, taken apart.
    pub fn into_parts(self) -> (String, Vec<String>) {
        (self.ptype, self.values)
    }
}

/// casbin CSV: `p, admin, *, member, list`.
impl fmt::Display for PolicyRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ptype)?;
        for v in &self.values {
            write!(f, ", {v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_valid_line_displays_as_casbin_csv() {
        let r = PolicyRule::new("p", ["admin", "*", "member", "list"]).unwrap();
        assert_eq!(r.to_string(), "p, admin, *, member, list");
        assert_eq!(r.section(), "p");
        assert_eq!(PolicyRule::new("g2", ["a", "b"]).unwrap().section(), "g");
    }

    #[test]
    fn lines_casbin_csv_cannot_carry_are_invalid_input() {
        let bad: Vec<(&str, Vec<&str>)> = vec![
            ("x", vec!["a"]),
            ("", vec!["a"]),
            ("pp", vec!["a"]),
            ("p", vec![]),
            ("p", vec!["a"; 7]),
            ("p", vec![""]),
            ("p", vec!["a,b"]),
            ("p", vec![" a"]),
            ("p", vec!["a\nb"]),
        ];
        for (ptype, values) in bad {
            let e = PolicyRule::new(ptype, values.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{ptype:?} {values:?}");
        }
        let long = "x".repeat(PolicyRule::MAX_VALUE_BYTES + 1);
        assert_eq!(PolicyRule::new("p", [long]).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn deserializing_checks_the_line_too() {
        let ok: PolicyRule = serde_json::from_str(r#"{"ptype":"g","values":["u","admin","p1"]}"#).unwrap();
        assert_eq!(ok.values(), ["u", "admin", "p1"]);
        assert!(serde_json::from_str::<PolicyRule>(r#"{"ptype":"g","values":["a,b"]}"#).is_err());
    }
}
