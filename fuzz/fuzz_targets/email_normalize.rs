//! Email normalization never panics, and anything it accepts is stable, single-line and short.
#![no_main]

use libfuzzer_sys::fuzz_target;
use portal_core::normalize;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(e) = normalize::email(s) {
            assert!(e.len() <= normalize::MAX_EMAIL_LEN);
            assert!(!e.contains(['\r', '\n', '\0']));
            assert_eq!(normalize::email(&e).ok().as_deref(), Some(e.as_str()), "idempotent");
        }
    }
});
