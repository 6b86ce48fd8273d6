//! The `pipeline` binary: everything lives in the library; this only records the start time (the budget counts
//! from process start) and hands over.

use std::process::ExitCode;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    pipeline::cli::main(started)
}
