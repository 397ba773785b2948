//! The chaos suite: issue 17's points, each with its figures printed.

mod shutdown;
mod sockets;
