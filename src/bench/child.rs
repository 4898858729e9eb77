//! The collector under test when no `--target` is given: `meshtrace collector` (this same
//! binary) as a child process, every listener on 127.0.0.1:0, exporting to the bench's sink.
//! Its OTLP/gRPC address comes from the `collector otlp-grpc listening on ADDR` line it
//! prints (see `crate::listening`).

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// Listeners a collector announces before it is ready.
const LISTENERS: usize = 6;
/// Longest wait for the announcements.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Every listener flag, each given 127.0.0.1:0.
const LISTENER_FLAGS: [&str; LISTENERS] = [
    "--otlp-grpc",
    "--otlp-http",
    "--zipkin",
    "--http",
    "--sampling-http",
    "--sampling-grpc",
];

/// Why the collector child did not start.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// This binary's path is unknown.
    #[error("cannot find this executable to start a collector: {0}")]
    Exe(std::io::Error),
    /// The process could not be started.
    #[error("cannot start the collector child ({exe}): {source}")]
    Spawn {
        /// The executable.
        exe: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It exited, or stopped printing, before announcing its listeners.
    #[error("the collector child exited before announcing its listeners (see its log above)")]
    Exited,
    /// It did not announce its listeners in time.
    #[error("the collector child did not announce its listeners within {0:?}")]
    Timeout(Duration),
}

/// A running collector child; killed when dropped.
#[derive(Debug)]
pub struct CollectorChild {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// Its OTLP/gRPC listener.
    pub otlp_grpc: SocketAddr,
    /// Its HTTP listener (`/metrics`).
    pub http: SocketAddr,
}

impl CollectorChild {
    /// Starts `meshtrace collector` exporting to `export` (in pass-through when
    /// `passthrough`) and waits for its listeners.
    pub async fn start(export: &str, passthrough: bool) -> Result<Self, ChildError> {
        let exe = std::env::current_exe().map_err(ChildError::Exe)?;
        let mut command = Command::new(&exe);
        command.arg("collector");
        for flag in LISTENER_FLAGS {
            command.args([flag, "127.0.0.1:0"]);
        }
        command.args(["--export", export]);
        if passthrough {
            command.arg("--passthrough");
        }
        // The bench's own output is the report: the child logs only warnings unless asked.
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| ChildError::Spawn {
                exe: exe.display().to_string(),
                source,
            })?;
        let pid = child.id().ok_or(ChildError::Exited)?;
        let stdout = child.stdout.take().ok_or(ChildError::Exited)?;
        let (otlp_grpc, http) = tokio::time::timeout(START_TIMEOUT, announced(stdout))
            .await
            .map_err(|_| ChildError::Timeout(START_TIMEOUT))??;
        Ok(Self {
            child,
            pid,
            otlp_grpc,
            http,
        })
    }

    /// Stops the child (SIGKILL: its figures are read by then) and reaps it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Reads the child's stdout until every listener is announced; its OTLP/gRPC and HTTP
/// addresses. The rest of stdout is drained in a task, so the child never blocks on a full
/// pipe.
async fn announced(stdout: ChildStdout) -> Result<(SocketAddr, SocketAddr), ChildError> {
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = 0;
    let (mut otlp_grpc, mut http) = (None, None);
    while seen < LISTENERS {
        let line = lines
            .next_line()
            .await
            .ok()
            .flatten()
            .ok_or(ChildError::Exited)?;
        // "<component> <listener> listening on <addr>"
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, listener, "listening", "on", addr] = words[..] {
            seen += 1;
            match listener {
                "otlp-grpc" => otlp_grpc = addr.parse().ok(),
                "http" => http = addr.parse().ok(),
                _ => {}
            }
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    otlp_grpc.zip(http).ok_or(ChildError::Exited)
}
