//! Input normalization shared by every service: one place decides what an email is.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// Normalize an email address: trim, NFC, lowercase; then check its shape. Refuses control
/// characters (CR/LF header injection, V3), whitespace inside, missing or repeated `@`,
/// empty local part or domain, a domain without a dot, and anything over 254 bytes.
///
/// Lowercasing the local part is a deliberate choice: portals identify people, and two
/// accounts that differ only by case are a support problem and an impersonation risk.
pub fn email(raw: &str) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid_input("email is empty"));
    }
    if trimmed.len() > MAX_EMAIL_LEN * 4 {
        return Err(Error::invalid_input("email is too long"));
    }
    let e: String = trimmed.nfc().flat_map(char::to_lowercase).collect();
    if e.len() > MAX_EMAIL_LEN {
        return Err(Error::invalid_input("email is too long"));
    }
    if e.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(Error::invalid_input("email contains control or space characters"));
    }
    let mut parts = e.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(l), Some(d), None) => (l, d),
        _ => return Err(Error::invalid_input("email must contain exactly one '@'")),
    };
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(Error::invalid_input("email address is malformed"));
    }
    if local.chars().any(|c| matches!(c, '<' | '>' | '(' | ')' | '[' | ']' | ',' | ';' | ':' | '\\' | '"')) {
        return Err(Error::invalid_input("email address is malformed"));
    }
    Ok(e)
}

/// Normalize a display name: trim, NFC, refuse control characters, at most 200 characters.
/// An empty name becomes the email's local part.
pub fn display_name(raw: &str, email: &str) -> Result<String> {
    let name: String = raw.trim().nfc().collect();
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_input("display name contains control characters"));
    }
    if name.chars().count() > 200 {
        return Err(Error::invalid_input("display name is too long"));
    }
    if name.is_empty() {
        return Ok(email.split('@').next().unwrap_or_default().to_owned());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(email("  Alice@Example.COM ").unwrap(), "alice@example.com");
        assert_eq!(email("ｱ@例え.jp").unwrap(), "ｱ@例え.jp");
    }

    #[test]
    fn v3_bad_emails_are_invalid_input() {
        let long_local = format!("{}@example.com", "a".repeat(10 * 1024));
        for bad in [
            "",
            "   ",
            "no-at",
            "a@b@c.d",
            "@example.com",
            "a@",
            "a@nodot",
            "a@.x.y",
            "a b@example.com",
            "a@example.com\r\nBcc: victim@example.com",
            "a\u{0}@example.com",
            "<a>@example.com",
            long_local.as_str(),
        ] {
            assert_eq!(email(bad).unwrap_err().kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
    }

    #[test]
    fn display_names_default_to_the_local_part() {
        assert_eq!(display_name("  ", "bob@x.org").unwrap(), "bob");
        assert!(display_name("a\nb", "bob@x.org").is_err());
    }
}
