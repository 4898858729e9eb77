//! `meshtrace sampling`: a client of the collector's control API.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `meshtrace sampling`.
#[derive(Debug, Args)]
pub struct SamplingArgs {
    /// The collector's `--http` address.
    #[arg(long, global = true, default_value = "http://127.0.0.1:16686")]
    pub collector: String,
    /// Bearer token for changes (the collector's `--admin-token`).
    #[arg(
        long,
        global = true,
        env = "MESHTRACE_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Print the collector's JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub action: SamplingAction,
}

/// What `meshtrace sampling` does.
#[derive(Debug, Subcommand)]
pub enum SamplingAction {
    /// Every service's strategy, the default, the version and when it was applied.
    List,
    /// One service's strategy.
    Get {
        /// The service.
        #[arg(long)]
        service: String,
    },
    /// Sets a service's strategy, or one operation's probability; an unknown service gets an
    /// entry. Reaches the service's sidecars within a second.
    Set {
        /// The service.
        #[arg(long)]
        service: String,
        /// Only this operation (span name, e.g. `GET /checkout`): probability only.
        #[arg(long)]
        operation: Option<String>,
        /// Probabilistic sampling at this probability (0..=1).
        #[arg(
            long,
            required_unless_present = "per_second",
            conflicts_with = "per_second"
        )]
        probability: Option<f64>,
        /// Rate-limited sampling at this many traces per second.
        #[arg(long, conflicts_with = "operation")]
        per_second: Option<f64>,
    },
    /// Removes a service's entry (it falls back to the default), or one operation's.
    Unset {
        /// The service.
        #[arg(long)]
        service: String,
        /// Only this operation.
        #[arg(long)]
        operation: Option<String>,
    },
    /// Replaces every strategy with a Jaeger strategies file (JSON or YAML; `-` = stdin).
    Apply {
        /// The file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Tail sampling policies.
    Tail {
        /// Show or replace them.
        #[command(subcommand)]
        action: TailAction,
    },
}

/// `meshtrace sampling tail ...`.
#[derive(Debug, Subcommand)]
pub enum TailAction {
    /// The policies in force.
    Get,
    /// Replaces the policies (the `tail_sampling` block, YAML or JSON; `-` = stdin).
    Apply {
        /// The file.
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
}
