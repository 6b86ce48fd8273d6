//! The `pipeline` binary: the command line (clap), its output and the process exit live here, at the edge; the
//! library (`pipeline::*`) knows nothing of them. `main` records the start time (the budget counts from process
//! start), hands over to [`cli::main`], and exits.

mod cli;

fn main() {
    let started = std::time::Instant::now();
    let code = cli::main(started);
    cli::exit_now(code)
}
