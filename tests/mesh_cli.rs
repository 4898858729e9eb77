//! Golden-file tests of the commands that switch tracing on in a mesh, run through the real
//! binary: `iptables --dry-run`, `inject` and `config`. Fixtures live in
//! `tests/fixtures/{iptables,inject,config}/`; `UPDATE_GOLDEN=1 cargo test --test mesh_cli`
//! rewrites them after an intended change.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn meshtrace(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run meshtrace");
    let mut pipe = child.stdin.take().unwrap();
    pipe.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Runs `args` and compares stdout with the golden file `name`.
fn golden(name: &str, args: &[&str]) -> String {
    let run = meshtrace(args, None);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    let path = fixture(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &run.stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        run.stdout,
        expected,
        "{args:?} differs from {}",
        path.display()
    );
    run.stdout
}

#[test]
fn iptables_dry_run_prints_the_rules() {
    golden("iptables/default.rules", &["iptables", "--dry-run"]);
    golden(
        "iptables/ports-and-gid.rules",
        &[
            "iptables",
            "--dry-run",
            "-g",
            "1337",
            "-b",
            "9080,9443",
            "-o",
            "5432,6379",
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
        ],
    );
    golden(
        "iptables/cleanup.txt",
        &["iptables", "--cleanup", "--dry-run"],
    );
}

#[test]
fn iptables_bad_port_list_is_a_usage_error() {
    let run = meshtrace(&["iptables", "--dry-run", "-d", "15021,http"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`http` is not a port number"),
        "{}",
        run.stderr
    );
}

#[test]
fn inject_matches_the_golden_file_and_is_idempotent() {
    let injected = golden(
        "inject/bookinfo.injected.yaml",
        &["inject", "-f", "tests/fixtures/inject/bookinfo.yaml"],
    );
    let again = meshtrace(&["inject", "-f", "-"], Some(&injected));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout, injected, "inject(inject(x)) != inject(x)");
}

#[test]
fn inject_flags_reach_the_containers() {
    let input = std::fs::read_to_string(fixture("inject/bookinfo.yaml")).unwrap();
    let run = meshtrace(
        &[
            "inject",
            "-f",
            "-",
            "--image",
            "registry.local/meshtrace:dev",
            "--collector",
            "grpc://c.obs:4317",
            "--app-port",
            "7000",
        ],
        Some(&input),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("image: registry.local/meshtrace:dev"));
    assert!(run.stdout.contains("- grpc://c.obs:4317"));
    assert!(run.stdout.contains("- 127.0.0.1:7000"));
    assert!(!run.stdout.contains("127.0.0.1:9080"));
}

#[test]
fn inject_bad_input_is_one_line_and_exit_1() {
    let run = meshtrace(
        &["inject", "-f", "tests/fixtures/inject/missing.yaml"],
        None,
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("cannot read tests/fixtures/inject/missing.yaml"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let run = meshtrace(
        &["inject", "-f", "-"],
        Some("kind: Service\n---\nkind: [Pod\nx: 1\n"),
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "no partial output: {}", run.stdout);
    assert!(
        run.stderr.contains("document 2: invalid YAML at line 4"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn config_prints_envoy_and_istio_tracing() {
    golden(
        "config/envoy.yaml",
        &[
            "config",
            "envoy",
            "--collector",
            "meshtrace-collector.meshtrace-system:4317",
            "--sampling",
            "10",
        ],
    );
    golden(
        "config/istio.yaml",
        &[
            "config",
            "istio",
            "--collector",
            "meshtrace-collector.meshtrace-system.svc.cluster.local:4317",
            "--sampling",
            "10",
        ],
    );
    let run = meshtrace(&["config", "envoy", "--collector", "nohost"], None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`nohost` is not HOST:PORT"),
        "{}",
        run.stderr
    );
}

/// `deploy/bookinfo-injected.yaml` is exactly what `inject` makes of `deploy/bookinfo.yaml`,
/// so the example manifests never drift from the command.
#[test]
fn deploy_example_is_what_inject_makes_of_bookinfo() {
    let run = meshtrace(&["inject", "-f", "deploy/bookinfo.yaml"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/bookinfo-injected.yaml");
    let header =
        "# Generated: meshtrace inject -f deploy/bookinfo.yaml (tests/mesh_cli.rs checks it).\n";
    let generated = format!("{header}{}", run.stdout);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    assert_eq!(
        generated,
        std::fs::read_to_string(&path).unwrap(),
        "{} is stale",
        path.display()
    );
}
