//! The `pipeline` binary: everything lives in the library; this only records the start time (the budget counts
//! from process start), hands over, and exits.

fn main() {
    let started = std::time::Instant::now();
    let code = pipeline::cli::main(started);
    pipeline::cli::exit_now(code)
}
