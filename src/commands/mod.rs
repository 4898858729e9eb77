//! Runs one parsed command. Each command turns its flags into a component config, starts
//! the component and waits for Ctrl-C.

mod collector;
mod sidecar;

use crate::cli::Command;
use crate::demo;

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
    /// The command exists in the SPEC but is not built yet.
    #[error("`meshtrace {0}` is not built yet")]
    NotBuilt(&'static str),
    /// Waiting for Ctrl-C failed.
    #[error("cannot listen for Ctrl-C: {0}")]
    Signal(std::io::Error),
}

impl CommandError {
    /// Process exit code: 2 for commands not built (like a usage error), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::NotBuilt(_) => 2,
            _ => 1,
        }
    }
}

/// Runs `command` to completion.
pub async fn run(command: Command) -> Result<(), CommandError> {
    match command {
        Command::Demo(args) => Ok(demo::run(args).await?),
        Command::Collector(args) => collector::run(args).await,
        Command::Sidecar(args) => sidecar::run(args).await,
        Command::Sampling(_) => Err(CommandError::NotBuilt("sampling")),
        Command::Inject(_) => Err(CommandError::NotBuilt("inject")),
        Command::Iptables(_) => Err(CommandError::NotBuilt("iptables")),
        Command::Config(_) => Err(CommandError::NotBuilt("config")),
    }
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
