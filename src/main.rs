//! `meshtrace`: one binary for the collector, the sidecar, the demo and the tooling around
//! them. This file only parses, sets up logging and dispatches.

/// Writes a line to stdout, ignoring a closed stdout: a reader that went away (a pipe closed
/// early) must not make a long-running command panic.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod bench;
mod cli;
mod commands;
mod demo;
mod listening;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command};

/// mimalloc rather than glibc malloc: with many spans buffered for tail sampling, glibc's
/// free-list sorting made OTLP decoding 3-4x slower (docs/BENCHMARKS.md, tail sampling).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo and the bench print their own progress; keep their logs to warnings unless
    // asked.
    init_logging(
        if matches!(cli.command, Command::Demo(_) | Command::Bench(_)) {
            "warn"
        } else {
            "info"
        },
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("meshtrace: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(commands::run(cli.command));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meshtrace: {e}");
            ExitCode::FAILURE
        }
    }
}
