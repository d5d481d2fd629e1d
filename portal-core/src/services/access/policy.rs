//! Password policy after NIST SP 800-63B §3.1.1.2: length, a block list, context words — and no
//! composition rules, no truncation, no case folding.

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::ports::PasswordBlocklist;
use crate::secret::Password;

/// Length limits, in Unicode characters after NFKC.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PasswordPolicy {
    /// Minimum for accounts without a second factor (default 15).
    pub min_length: usize,
    /// Minimum once the account has MFA (default 8).
    pub min_length_with_mfa: usize,
    /// Maximum (default 256; must be at least 64).
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 15, min_length_with_mfa: 8, max_length: 256 }
    }
}

impl PasswordPolicy {
    /// Refuse settings weaker than the standard allows.
    pub fn validate(&self) -> Result<()> {
        let ok = self.min_length >= 8
            && self.min_length_with_mfa >= 8
            && self.min_length_with_mfa <= self.min_length
            && self.max_length >= 64
            && self.max_length >= self.min_length
            && self.max_length * 4 <= Password::MAX_BYTES;
        if ok {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::ConfigInvalid,
                "password policy: minimums must be >= 8, maximum between 64 and 1024 characters",
            ))
        }
    }

    /// Check a new password. `context` holds account and service words (portal name, email
    /// parts); a password containing one of them (4+ characters, any case) is refused.
    pub fn check(
        &self,
        password: &Password,
        has_mfa: bool,
        context: &[String],
        blocklist: &dyn PasswordBlocklist,
    ) -> Result<()> {
        let len = password.char_count();
        let min = if has_mfa { self.min_length_with_mfa } else { self.min_length };
        if len < min {
            return Err(Error::invalid_input(format!("password must have at least {min} characters")));
        }
        if len > self.max_length {
            return Err(Error::invalid_input(format!("password must have at most {} characters", self.max_length)));
        }
        let lowered = password.expose().to_lowercase();
        let words: Vec<&str> = context.iter().map(String::as_str).filter(|w| w.chars().count() >= 4).collect();
        if words.iter().any(|w| lowered.contains(w)) {
            return Err(Error::invalid_input("password must not contain your email or the portal's name"));
        }
        if blocklist.is_blocked(password.expose(), &words) {
            return Err(Error::invalid_input("password is too common or too easy to guess"));
        }
        Ok(())
    }
}

/// Context words for a member of a portal: the portal's name and slug words and the email's
/// local part and domain labels, lowercased.
pub fn context_words(portal_name: &str, portal_slug: &str, email: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        let w = s.trim().to_lowercase();
        if !w.is_empty() && !words.contains(&w) {
            words.push(w);
        }
    };
    add(portal_name);
    portal_name.split(|c: char| !c.is_alphanumeric()).for_each(&mut add);
    portal_slug.split('-').for_each(&mut add);
    add(portal_slug);
    if let Some((local, domain)) = email.split_once('@') {
        add(local);
        local.split(|c: char| !c.is_alphanumeric()).for_each(&mut add);
        if let Some(first) = domain.split('.').next() {
            add(first);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::NoBlocklist;

    fn check(p: &str, mfa: bool) -> Result<()> {
        PasswordPolicy::default().check(&Password::new(p).unwrap(), mfa, &[], &NoBlocklist)
    }

    #[test]
    fn a1_minimum_is_15_or_8_with_mfa_and_64_plus_is_accepted() {
        assert_eq!(check("fourteen chars", false).unwrap_err().kind(), ErrorKind::InvalidInput);
        assert!(check("fifteen chars!!", false).is_ok());
        assert!(check("eight ch", true).is_ok());
        assert!(check("seven c", true).is_err());
        assert!(check(&"long passphrase ".repeat(8), false).is_ok()); // 128 characters
        assert!(check(&"x".repeat(257), false).is_err());
    }

    #[test]
    fn a1_length_counts_characters_not_bytes() {
        // 15 Japanese characters are 45 bytes but 15 characters: accepted; 14 are not.
        assert!(check("ながいあいことばをつかいましょう", false).is_ok());
        assert!(check("ながいあいことばをつかいまし", false).is_err());
    }

    #[test]
    fn a3_no_composition_rules() {
        // All lowercase letters and spaces: fine, because length is what counts.
        assert!(check("just some lowercase words", false).is_ok());
    }

    #[test]
    fn a3_context_words_are_rejected_in_any_case() {
        let ctx = context_words("Acme Support", "acme", "jane.doe@example.com");
        let policy = PasswordPolicy::default();
        for bad in ["MyAcmeSupportPassword!", "jane.doe wants in 2026", "EXAMPLEexampleEXAMPLE"] {
            let p = Password::new(bad).unwrap();
            assert_eq!(
                policy.check(&p, false, &ctx, &NoBlocklist).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
        let ok = Password::new("violet tractor under rain").unwrap();
        assert!(policy.check(&ok, false, &ctx, &NoBlocklist).is_ok());
    }

    #[test]
    fn weak_policies_are_config_errors() {
        let weak = PasswordPolicy { min_length: 6, ..PasswordPolicy::default() };
        assert_eq!(weak.validate().unwrap_err().kind(), ErrorKind::ConfigInvalid);
        let short_max = PasswordPolicy { max_length: 32, ..PasswordPolicy::default() };
        assert_eq!(short_max.validate().unwrap_err().kind(), ErrorKind::ConfigInvalid);
        assert!(PasswordPolicy::default().validate().is_ok());
    }
}
