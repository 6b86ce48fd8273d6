//! What the destructive commands (`reset`, `forget`) share: the wait for a watch cycle, and the question asked
//! before anything is deleted.

use super::{EXIT_OK, EXIT_USAGE};
use std::io::{BufRead, IsTerminal, Write};

/// Longest wait for a `pipeline watch` cycle to release the data dir.
pub const WATCH_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether to go on deleting: with `--yes` (`yes`) at once; otherwise `question` is asked on the terminal, and
/// without a terminal the command refuses to delete `what`. `Some(code)`: stop now and exit with `code`.
pub fn refusal(yes: bool, what: &str, question: &str) -> anyhow::Result<Option<u8>> {
    if yes {
        return Ok(None);
    }
    if !std::io::stdin().is_terminal() {
        eprintln!("error: refusing to delete {what} without --yes (stdin is not a terminal)");
        return Ok(Some(EXIT_USAGE));
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        return Ok(None);
    }
    eprintln!("nothing deleted");
    Ok(Some(EXIT_OK))
}
