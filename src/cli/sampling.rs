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
    /// What to do.
    #[command(subcommand)]
    pub action: SamplingAction,
}

/// What `meshtrace sampling` does.
#[derive(Debug, Subcommand)]
pub enum SamplingAction {
    /// Every strategy, with the version and when it was applied.
    List,
    /// One service's strategy entry.
    Get {
        /// The service.
        service: String,
    },
    /// Sets one service's strategy (reaches its sidecars within a second).
    Set {
        /// The service.
        service: String,
        /// Probabilistic sampling at this probability (0..=1).
        #[arg(long, conflicts_with = "rate")]
        probability: Option<f64>,
        /// Rate-limited sampling at this many traces per second.
        #[arg(long)]
        rate: Option<f64>,
        /// A per-operation probability, `OPERATION=P` (repeatable).
        #[arg(long = "operation", value_name = "OPERATION=P")]
        operations: Vec<String>,
    },
    /// Removes one service's entry (it falls back to the default strategy).
    Delete {
        /// The service.
        service: String,
    },
    /// Replaces every strategy with a Jaeger strategies file (JSON or YAML).
    Apply {
        /// The file (`-` = stdin).
        #[arg(short = 'f', long = "file")]
        file: PathBuf,
    },
    /// Shows (`tail`) or replaces (`tail -f FILE`) the tail sampling policies.
    Tail {
        /// A tail policy document to apply (the `tail_sampling` block, YAML or JSON).
        #[arg(short = 'f', long = "file")]
        file: Option<PathBuf>,
    },
}
