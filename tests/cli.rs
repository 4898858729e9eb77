//! The CLI's surface: help lists every command of the SPEC, unbuilt commands say so and
//! exit 2, bad input gets one clear line and a non-zero exit.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

fn meshtrace(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_meshtrace"))
        .args(args)
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_command() {
    let (code, stdout, _) = meshtrace(&["--help"]);
    assert_eq!(code, 0);
    for command in [
        "demo",
        "collector",
        "sidecar",
        "sampling",
        "inject",
        "iptables",
        "config",
    ] {
        assert!(
            stdout.contains(&format!("  {command} ")),
            "{command} missing from:\n{stdout}"
        );
    }
    for command in [
        "demo",
        "collector",
        "sidecar",
        "inject",
        "iptables",
        "config",
    ] {
        let (code, stdout, _) = meshtrace(&[command, "--help"]);
        assert_eq!(code, 0, "{command} --help");
        assert!(stdout.contains("Usage: meshtrace"), "{stdout}");
    }
}

#[test]
fn an_unreachable_collector_is_one_clear_line() {
    // Nothing listens on port 9.
    let (code, stdout, stderr) =
        meshtrace(&["sampling", "list", "--collector", "http://127.0.0.1:9"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot reach the collector at http://127.0.0.1:9"),
        "{stderr}"
    );
    let (code, _, stderr) = meshtrace(&["sampling", "set", "--service", "svc"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--probability"), "{stderr}");
}

#[test]
fn bad_input_is_one_clear_line() {
    let (code, _, stderr) = meshtrace(&[
        "sidecar",
        "--service",
        "a",
        "--app",
        "127.0.0.1:1",
        "--sampling-probability",
        "3",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("--sampling-probability must be within 0..=1, got 3"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let (code, _, stderr) = meshtrace(&["sidecar", "--service", "a", "--app", "not-an-addr"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--app"), "{stderr}");

    let (code, _, stderr) = meshtrace(&[
        "sidecar",
        "--service",
        "a",
        "--app",
        "127.0.0.1:1",
        "--propagation",
        "zipkin",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown propagation format"), "{stderr}");
}

#[test]
fn a_taken_port_names_the_listener() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, stderr) = meshtrace(&[
        "collector",
        "--otlp-grpc",
        "127.0.0.1:0",
        "--otlp-http",
        "127.0.0.1:0",
        "--zipkin",
        "127.0.0.1:0",
        "--sampling-http",
        "127.0.0.1:0",
        "--sampling-grpc",
        "127.0.0.1:0",
        "--http",
        &addr,
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains(&format!("cannot listen for HTTP on {addr}")),
        "{stderr}"
    );
}

#[test]
fn a_bad_export_url_is_named_with_its_flag() {
    let (code, _, stderr) = meshtrace(&["collector", "--export", "ftp://backend:4318"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--export"), "{stderr}");
    assert!(stderr.contains("unknown scheme `ftp`"), "{stderr}");
}

#[test]
fn bad_export_headers_are_named_without_their_values() {
    let export = ["collector", "--export", "grpc://127.0.0.1:1"];
    let (code, _, stderr) = meshtrace(&[&export[..], &["--export-header", "s3cret"]].concat());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("--export-header number 1 is not NAME=VALUE"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    let bad_value = [
        "--export-header",
        "x-ok=1",
        "--export-header",
        "x-token=s3c\nret",
    ];
    let (code, _, stderr) = meshtrace(&[&export[..], &bad_value[..]].concat());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("header `x-token`"), "{stderr}");
    assert!(!stderr.contains("s3c"), "{stderr}");
}

#[test]
fn a_config_file_is_used_and_flags_beat_it() {
    let dir = std::env::temp_dir().join(format!("meshtrace-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The file's HTTP address is taken: the collector only starts if the flag wins.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let file = dir.join("collector.yaml");
    std::fs::write(
        &file,
        format!(
            "otlp_grpc: 127.0.0.1:0\notlp_http: 127.0.0.1:0\nzipkin: 127.0.0.1:0\n\
             sampling_http: 127.0.0.1:0\nsampling_grpc: 127.0.0.1:0\nhttp: {}\n\
             store: {{max_traces: 5}}\n\
             tail_sampling:\n  policies: [{{name: errors, type: status_code, status_code: {{status_codes: [ERROR]}}}}]\n",
            taken.local_addr().unwrap()
        ),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (code, _, stderr) = meshtrace(&["collector", "--config", path]);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot listen for HTTP"), "{stderr}");
    let collector = support::collector(&["--config", path]);
    assert!(collector.addrs["http"].port() != taken.local_addr().unwrap().port());

    // A misspelt key is named, with its line.
    std::fs::write(&file, "otlp_grpc: 127.0.0.1:0\nstorre: {}\n").unwrap();
    let (code, _, stderr) = meshtrace(&["collector", "--config", path]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown field `storre`") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
