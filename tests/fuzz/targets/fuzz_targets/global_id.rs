//! Global ids (`Node.id`, every `ID` argument): decoding any string is an
//! answer or a `BAD_USER_INPUT` error, never a panic, and what decodes
//! encodes back to the same node.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relgate::fuzzing::{GlobalId, NodeType};

fuzz_target!(|data: &[u8]| {
    // GraphQL hands relgate strings: only UTF-8 reaches the decoder.
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    match GlobalId::decode(raw) {
        Ok(id) => {
            assert!(id.id > 0, "{raw:?} decoded to row {}", id.id);
            let again = GlobalId::decode(&id.encode());
            assert_eq!(again.ok(), Some(id), "{raw:?} does not round-trip");
        }
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT", "{raw:?}"),
    }
    for ty in [NodeType::Entity, NodeType::Relation, NodeType::RelationType] {
        if let Err(e) = GlobalId::decode_as(raw, ty, "id") {
            assert_eq!(e.code(), "BAD_USER_INPUT", "{raw:?} as {ty:?}");
        }
    }
});
