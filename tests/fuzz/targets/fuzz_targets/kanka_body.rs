//! Kanka's create/update body: the first byte says whether it is sent as
//! a form (`application/x-www-form-urlencoded`, odd byte) or as JSON; the
//! rest is the body, parsed and its target's key checked as the create
//! handler does before it asks the store. Bad input is a 4xx in Kanka's
//! envelope, never a panic and never a 5xx.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    if let Err(status) = relgate::fuzzing::kanka_body(first & 1 == 1, body) {
        assert!((400..500).contains(&status), "status {status}");
    }
});
