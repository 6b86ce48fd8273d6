//! The `pipeline` binary: the command line (clap), its output and the process exit live here, at the edge; the
//! library (`pipeline::*`) knows nothing of them. `main` records the start time (the budget counts from process
//! start), hands over to [`cli::main`], and exits.

mod cli;

fn main() {
    let started = std::time::Instant::now();
    // What this process writes (the data dir, exports, logs) is a copy of private conversations: owner only.
    pipeline::private::owner_only_files();
    let code = cli::main(started);
    cli::exit_now(code)
}
