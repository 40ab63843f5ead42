//! `redline`: the command-line front of the farmland-redline engine.
//!
//! Flags are parsed into [`cli::Cli`], each command is a short function over the library
//! crates, and the exit code says how the run went: 0 clean, 1 finished with data issues,
//! 2 failed.

/// `println!` that hands a failed write (a closed pipe: `redline info … | head`) back to the
/// caller as an error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod check;
mod cli;
mod diagnostics;
mod info;
mod province;
mod run;
mod summary;
mod synth;

use clap::Parser;
use std::process::ExitCode;

/// jemalloc instead of the system's malloc (the `jemalloc` feature): a county's geometry is
/// millions of small blocks freed by other threads than those that made them, and glibc's
/// malloc, with its per-block header and many arenas, held a tenth more memory at the peak
/// (README, "Measured").
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How a command ended.
pub(crate) enum Exit {
    /// Nothing to report.
    Clean,
    /// Finished, but data issues were found.
    Issues,
    /// Finished and wrote its outputs, but part of the work failed (a county of a province):
    /// exit 2 like an error, the failures listed in the outputs.
    Failed,
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let diagnostics = diagnostics::destination(&cli.command);
    let result = match &cli.command {
        cli::Command::Info(args) => info::run(args),
        cli::Command::Check(args) => check::run(args),
        cli::Command::Synth(args) => synth::run(args),
        cli::Command::Run(args) => run::run(args),
        cli::Command::Demo(args) => run::demo(args),
    };
    if let Some(destination) = &diagnostics {
        if let Err(e) = diagnostics::write(destination, result.as_ref().err()) {
            eprintln!("redline: error: writing the diagnostics: {e}");
            return ExitCode::from(2);
        }
    }
    match result {
        Ok(Exit::Clean) => ExitCode::from(0),
        Ok(Exit::Issues) => ExitCode::from(1),
        Ok(Exit::Failed) => ExitCode::from(2),
        Err(err) if is_broken_pipe(&err) => ExitCode::from(0),
        Err(err) => {
            eprintln!("redline: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error is stdout's reader going away (`| head`): the Unix way is to stop quietly.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
