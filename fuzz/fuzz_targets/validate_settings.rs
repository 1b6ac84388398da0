//! `validate_settings` on arbitrary bytes: valid or a message, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = disruption_guard::validate_settings(data);
});
