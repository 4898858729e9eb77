//! Runs one parsed command. Each command turns its flags into a component config, starts
//! the component and waits for Ctrl-C.

mod collector;
mod config;
mod inject;
mod iptables;
mod sampling;
mod sidecar;

use crate::cli::Command;
use crate::{bench, demo};

/// Why a command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The collector could not start.
    #[error("collector: {0}")]
    Collector(#[from] ::collector::StartError),
    /// The sidecar could not start.
    #[error("sidecar: {0}")]
    Sidecar(#[from] proxy_integration::StartError),
    /// The demo failed.
    #[error("demo: {0}")]
    Demo(#[from] demo::DemoError),
    /// A bench could not run.
    #[error("bench: {0}")]
    Bench(#[from] bench::BenchError),
    /// `meshtrace iptables` could not install or remove the rules.
    #[error("iptables: {0}")]
    Iptables(#[from] proxy_integration::mesh::iptables::ApplyError),
    /// `meshtrace inject` could not read its input.
    #[error("inject: cannot read {path}: {source}")]
    InjectRead {
        /// The file named by `-f` (`-` for standard input).
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `meshtrace inject` got input it cannot transform.
    #[error("inject: {0}")]
    Inject(#[from] proxy_integration::mesh::inject::InjectError),
    /// `meshtrace config` could not render its output.
    #[error("config: {0}")]
    Config(#[from] proxy_integration::mesh::config::RenderError),
    /// Writing the result to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// A config or policy file cannot be read or parsed.
    #[error("{}: {message}", path.display())]
    ConfigFile {
        /// The file named by the flag.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// An `--export-header` flag is not `NAME=VALUE`.
    #[error("--export-header number {0} is not NAME=VALUE")]
    ExportHeader(usize),
    /// A sampling command failed (unreachable collector, refused change, bad input).
    #[error("sampling: {0}")]
    Sampling(String),
    /// Waiting for Ctrl-C failed.
    #[error("cannot listen for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

/// Runs `command` to completion.
pub async fn run(command: Command) -> Result<(), CommandError> {
    match command {
        Command::Demo(args) => Ok(demo::run(args).await?),
        Command::Collector(args) => collector::run(args).await,
        Command::Sidecar(args) => sidecar::run(args).await,
        Command::Sampling(args) => sampling::run(args).await,
        Command::Inject(args) => inject::run(args),
        Command::Iptables(args) => iptables::run(args),
        Command::Config(args) => config::run(args),
        Command::Bench(args) => Ok(bench::run(args).await?),
    }
}

/// Writes a command's whole output to stdout; a closed pipe is an error, not a panic.
pub fn write_stdout(text: &str) -> Result<(), CommandError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(CommandError::Stdout)
}

/// Waits for Ctrl-C or SIGTERM (what Kubernetes sends).
pub async fn shutdown_signal() -> Result<(), CommandError> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(CommandError::Signal)?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(CommandError::Signal),
        _ = term.recv() => Ok(()),
    }
}
