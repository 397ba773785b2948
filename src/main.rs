//! The `relgate` binary: the command line is the library's ([`relgate::cli`]).

/// mimalloc instead of glibc's malloc: under concurrent load glibc's arenas
/// contended on their locks (about 5% of CPU time in a profile of the fan-out
/// query) and kept more memory resident.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    relgate::cli::main()
}
