//! A closed stdout pipe (`hqsync status | head`, `hqsync demo | head`) ends the command quietly:
//! errors from `writeln!` are recognised, and `println!`'s panic on one exits with 0.

use std::io;

/// Whether `error` (anywhere in its chain) is a write to a closed pipe.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// Whether a panic message is `println!`'s on a closed stdout ("failed printing to stdout:
/// Broken pipe (os error 32)", the standard library's wording).
pub fn is_broken_pipe_panic(message: &str) -> bool {
    message.starts_with("failed printing to stdout") && message.contains("Broken pipe")
}

/// Makes `println!` on a closed pipe end the process quietly with status 0 (the reader has
/// what it wanted) instead of a panic message; every other panic is reported as before.
/// A hook rather than resetting SIGPIPE, which needs `unsafe` and a libc call.
pub fn exit_quietly_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if is_broken_pipe_panic(message) {
            std::process::exit(0);
        }
        report(info)
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn a_closed_pipe_is_recognised_through_context() {
        let err = Err::<(), _>(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the table")
            .unwrap_err();
        assert!(is_broken_pipe(&err));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }

    #[test]
    fn the_print_panic_on_a_closed_pipe_is_recognised() {
        assert!(is_broken_pipe_panic(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(!is_broken_pipe_panic("failed printing to stdout: other"));
        assert!(!is_broken_pipe_panic("index out of bounds"));
    }
}
