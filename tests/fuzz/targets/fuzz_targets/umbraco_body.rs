//! Umbraco's create body (`{"parentId": GUID, "childId": GUID,
//! "relationTypeAlias": ..., "comment": ...}`): parsed and both nodes'
//! keys checked as the handler does before it asks the store. Bad input
//! is a 4xx in Umbraco's envelope, never a panic and never a 5xx.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(status) = relgate::fuzzing::umbraco_body(data) {
        assert!((400..500).contains(&status), "status {status}");
    }
});
