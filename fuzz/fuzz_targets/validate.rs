//! The policy's `validate` on arbitrary bytes: it must answer (accept or reject), never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = disruption_guard::validate(data);
});
