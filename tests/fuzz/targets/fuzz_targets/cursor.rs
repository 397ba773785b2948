//! Cursors (`after`/`before` of every connection, `after` of the journal):
//! the first byte picks a list order (none, or up to three terms), the
//! rest is the cursor. Decoding is an answer or a `BAD_USER_INPUT` error,
//! never a panic; a decoded cursor encodes back to the same position; a
//! page window built from it holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relgate::fuzzing::{Cursor, EventCursor, OrderField, OrderTerm, PageArgs};

const FIELDS: [OrderField; 5] = [
    OrderField::Created,
    OrderField::Updated,
    OrderField::Attitude,
    OrderField::Label,
    OrderField::PinnedFirst,
];

/// An order from one byte: its low two bits say how many terms (0 to 3),
/// the rest which fields and directions.
fn order(byte: u8) -> Vec<OrderTerm> {
    let n = usize::from(byte & 3);
    let mut bits = byte >> 2;
    (0..n)
        .map(|i| {
            let term = OrderTerm {
                field: FIELDS[(usize::from(bits) + i) % FIELDS.len()],
                descending: bits & 1 == 1,
            };
            bits = bits.rotate_right(1);
            term
        })
        .collect()
}

fn bad_input(e: &relgate::error::AppError, raw: &str) {
    assert_eq!(e.code(), "BAD_USER_INPUT", "{raw:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(rest) else {
        return;
    };
    let order = order(first);

    match Cursor::decode(raw) {
        Ok(c) => assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c), "{raw:?}"),
        Err(e) => bad_input(&e, raw),
    }
    match Cursor::decode_keyed(raw, &order) {
        Ok((id, key)) => {
            let again = Cursor::keyed(&order, &key, id);
            let back = Cursor::decode_keyed(&again, &order);
            assert_eq!(back.ok(), Some((id, key)), "{raw:?} in {order:?}");
        }
        Err(e) => bad_input(&e, raw),
    }
    match EventCursor::decode(raw, "after") {
        Ok(c) => assert_eq!(EventCursor::decode(&c.encode(), "after").ok(), Some(c)),
        Err(e) => bad_input(&e, raw),
    }
    // A page of a list in this order, the cursor on either side.
    let size = i32::from(first as i8);
    for args in [
        PageArgs {
            first: Some(size),
            after: Some(raw.to_owned()),
            ..Default::default()
        },
        PageArgs {
            last: Some(size),
            before: Some(raw.to_owned()),
            ..Default::default()
        },
    ] {
        match args.window_in(20, 100, &order) {
            Ok(w) => assert!(w.limit <= 100, "{raw:?}: a page of {}", w.limit),
            Err(e) => bad_input(&e, raw),
        }
    }
});
