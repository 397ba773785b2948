//! Copper's relate/remove body (`{"resource": {"id": 123, "type":
//! "person"}}`): parsed and the record's key checked as the handler does
//! before it asks the store. Bad input is a 4xx in Copper's envelope,
//! never a panic and never a 5xx.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(status) = relgate::fuzzing::copper_body(data) {
        assert!((400..500).contains(&status), "status {status}");
    }
});
