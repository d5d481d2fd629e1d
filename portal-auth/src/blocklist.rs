//! The common-password block list, from zxcvbn's frequency lists and pattern matchers (its
//! 30,000 most common passwords from the xato dump, plus English words, names, keyboard walks,
//! repeats, sequences and dates).

use portal_core::ports::PasswordBlocklist;
use zxcvbn::matching::patterns::{DictionaryPattern, MatchPattern};

/// Blocks a password that is, as a whole, one dictionary entry (a common password or word, also
/// reversed, l33t-spelled or re-cased), or that zxcvbn estimates to fall within 10^8 guesses
/// (repeats, sequences, keyboard walks, common words stuck together, context words).
///
/// zxcvbn looks at the first 100 characters only; a longer password is judged on its start.
#[derive(Debug, Default, Clone, Copy)]
pub struct ZxcvbnBlocklist;

/// log10 of the guesses below which a password is refused.
const MIN_GUESSES_LOG10: f64 = 8.0;

impl PasswordBlocklist for ZxcvbnBlocklist {
    fn is_blocked(&self, password: &str, context: &[&str]) -> bool {
        if password.is_empty() {
            return true;
        }
        let estimate = zxcvbn::zxcvbn(password, context);
        let whole_is_one_word = matches!(
            estimate.sequence(),
            [m] if matches!(m.pattern, MatchPattern::Dictionary(DictionaryPattern { .. }))
        );
        whole_is_one_word || estimate.guesses_log10() < MIN_GUESSES_LOG10
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a3_common_and_patterned_passwords_are_blocked() {
        let b = ZxcvbnBlocklist;
        for p in [
            "password",
            "passwordpassword",
            "P@ssw0rdP@ssw0rd",
            "123456789012345",
            "qwertyuiopasdfgh",
            "aaaaaaaaaaaaaaaa",
            "iloveyouiloveyou",
            "abcdefghijklmnop",
        ] {
            assert!(b.is_blocked(p, &[]), "{p} should be blocked");
        }
    }

    #[test]
    fn a3_context_words_weaken_a_password() {
        let b = ZxcvbnBlocklist;
        assert!(b.is_blocked("acmesupportacme", &["acmesupport", "acme"]));
    }

    #[test]
    fn a3_passphrases_and_random_strings_pass() {
        let b = ZxcvbnBlocklist;
        for p in [
            "violet tractor under rain",
            "correct horse battery staple",
            "mZ7#qL2v!xR9@tWk",
            "ながいあいことばをつかいましょう",
        ] {
            assert!(!b.is_blocked(p, &[]), "{p} should pass");
        }
    }
}
