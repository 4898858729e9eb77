//! Installs and removes the rules by running `iptables-restore` and `iptables`: the only
//! part of `mesh` that touches the system.

use std::io::{self, Write};
use std::process::{Command, Output, Stdio};

use super::build::cleanup_commands;
use super::rules::RuleSet;

/// The program that installs the rules in one transaction.
pub const IPTABLES_RESTORE: &str = "iptables-restore";
/// The program used for cleanup.
pub const IPTABLES: &str = "iptables";

/// Why installing or removing the rules failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The program is not installed (or not on `PATH`).
    #[error("`{0}` not found: install iptables or put it on PATH")]
    NotFound(&'static str),
    /// The kernel refused: not root and no `NET_ADMIN`.
    #[error("`{0}` was denied: run as root (or with the NET_ADMIN capability)")]
    PermissionDenied(&'static str),
    /// The program could not be run.
    #[error("cannot run `{program}`: {source}")]
    Spawn {
        /// The program.
        program: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The program ran and failed.
    #[error("`{program}` failed: {message}")]
    Failed {
        /// The program.
        program: &'static str,
        /// Its first line of stderr.
        message: String,
    },
}

/// Installs `rules` with `iptables-restore --noflush` (other rules on the host stay).
pub fn apply(rules: &RuleSet) -> Result<(), ApplyError> {
    let program = IPTABLES_RESTORE;
    let mut child = Command::new(program)
        .arg("--noflush")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(program, e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(rules.to_string().as_bytes())
            .map_err(|e| spawn_error(program, e))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| spawn_error(program, e))?;
    check(program, &output)
}

/// Removes every rule and chain `apply` installs; parts already gone are skipped.
pub fn cleanup() -> Result<(), ApplyError> {
    let program = IPTABLES;
    for args in cleanup_commands() {
        let output = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| spawn_error(program, e))?;
        match check(program, &output) {
            Err(ApplyError::Failed { message, .. }) if is_already_gone(&message) => {}
            other => other?,
        }
    }
    Ok(())
}

fn is_already_gone(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["no chain", "does not exist", "bad rule", "no such file"]
        .iter()
        .any(|needle| message.contains(needle))
}

fn spawn_error(program: &'static str, source: io::Error) -> ApplyError {
    match source.kind() {
        io::ErrorKind::NotFound => ApplyError::NotFound(program),
        io::ErrorKind::PermissionDenied => ApplyError::PermissionDenied(program),
        _ => ApplyError::Spawn { program, source },
    }
}

fn check(program: &'static str, output: &Output) -> Result<(), ApplyError> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let message = stderr
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("no error message")
        .to_owned();
    let lower = message.to_ascii_lowercase();
    if lower.contains("permission denied") || lower.contains("must be root") {
        return Err(ApplyError::PermissionDenied(program));
    }
    Err(ApplyError::Failed {
        program,
        message: match output.status.code() {
            Some(code) => format!("{message} (exit {code})"),
            None => message,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn already_gone_is_recognised() {
        assert!(is_already_gone(
            "iptables: No chain/target/match by that name."
        ));
        assert!(is_already_gone(
            "iptables v1.8.9 (nf_tables): Chain 'MESHTRACE_OUTPUT' does not exist"
        ));
        assert!(!is_already_gone("Permission denied (you must be root)"));
    }
}
