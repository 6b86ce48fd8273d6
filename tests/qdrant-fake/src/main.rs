//! `qdrant-fake [--port N] [--ignore-stdin]`: runs the in-memory FAKE Qdrant gRPC server
//! (proves the wiring, not Qdrant's behaviour).
//!
//! Prints exactly one line, `listening http://127.0.0.1:PORT`, then serves until stdin reaches
//! end-of-file (or, with `--ignore-stdin`, until killed).

use std::io::{self, Write};
use std::process::ExitCode;

use qdrant_fake::FakeQdrant;

fn main() -> ExitCode {
    let mut port = 0u16;
    let mut ignore_stdin = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => return usage("--port needs a number"),
            },
            "--ignore-stdin" => ignore_stdin = true,
            "-h" | "--help" => {
                println!("usage: qdrant-fake [--port N] [--ignore-stdin]");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let mut fake = match FakeQdrant::start_in_background_on(port) {
        Ok(fake) => fake,
        Err(error) => {
            eprintln!("qdrant-fake: cannot listen on port {port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = io::stdout().lock();
    if writeln!(stdout, "listening {}", fake.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    if ignore_stdin {
        loop {
            std::thread::park();
        }
    }
    // Serve until whoever started us closes our stdin (or goes away).
    let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
    fake.stop_blocking();
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("qdrant-fake: {problem}\nusage: qdrant-fake [--port N] [--ignore-stdin]");
    ExitCode::from(2)
}
