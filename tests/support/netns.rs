//! A "pod" for transparent-mode tests: a network namespace joined to the test's namespace by
//! a veth pair, removed (with everything started in it) when dropped.

use std::net::Ipv4Addr;
use std::process::{Command, Output};

/// Environment variable that turns a missing prerequisite (root, `ip`, `iptables`) into a
/// failure instead of a skip. `.ci/run` sets it, so CI never skips these tests.
pub const REQUIRE_ENV: &str = "MESHTRACE_REQUIRE_NETNS";

/// Why network-namespace tests cannot run here, if they cannot.
pub fn unavailable() -> Option<String> {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .is_some_and(|o| o.stdout == b"0\n");
    if !root {
        return Some("not running as root".into());
    }
    for tool in ["ip", "iptables-restore", "curl", "setpriv", "python3"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output();
        if !found.is_ok_and(|o| o.status.success()) {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    None
}

/// Runs `program args` and panics with its output when it fails.
pub fn run(program: &str, args: &[&str]) -> Output {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A network namespace with one veth link to the host side.
pub struct Pod {
    /// The namespace's name.
    pub name: String,
    host_link: String,
    /// The host side's address (reachable from the pod).
    pub host_ip: Ipv4Addr,
    /// The pod's address.
    pub pod_ip: Ipv4Addr,
}

impl Pod {
    /// Creates the namespace, the veth pair and the addresses (a /30 unique to this process).
    pub fn create() -> Pod {
        let id = std::process::id();
        let (name, host_link, pod_link) =
            (format!("mt-{id}"), format!("mth{id}"), format!("mtp{id}"));
        let subnet = [10, 211, (id % 250) as u8, ((id / 250) % 60 * 4) as u8];
        let host_ip = Ipv4Addr::new(subnet[0], subnet[1], subnet[2], subnet[3] + 1);
        let pod_ip = Ipv4Addr::new(subnet[0], subnet[1], subnet[2], subnet[3] + 2);
        let pod = Pod {
            name,
            host_link,
            host_ip,
            pod_ip,
        };
        run("ip", &["netns", "add", &pod.name]);
        run(
            "ip",
            &[
                "link",
                "add",
                &pod.host_link,
                "type",
                "veth",
                "peer",
                "name",
                &pod_link,
            ],
        );
        run("ip", &["link", "set", &pod_link, "netns", &pod.name]);
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{host_ip}/30"),
                "dev",
                &pod.host_link,
            ],
        );
        run("ip", &["link", "set", &pod.host_link, "up"]);
        pod.exec_ok(&[
            "ip",
            "addr",
            "add",
            &format!("{pod_ip}/30"),
            "dev",
            &pod_link,
        ]);
        pod.exec_ok(&["ip", "link", "set", &pod_link, "up"]);
        pod.exec_ok(&["ip", "link", "set", "lo", "up"]);
        pod
    }

    /// A command that runs `args` inside the pod.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).args(args);
        command
    }

    /// Runs `args` inside the pod and returns its output, whatever the exit status.
    pub fn exec(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("ip netns exec")
    }

    /// Runs `args` inside the pod; panics when it fails.
    pub fn exec_ok(&self, args: &[&str]) -> Output {
        let mut all = vec!["netns", "exec", &self.name];
        all.extend_from_slice(args);
        run("ip", &all)
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        // Processes started in the pod are children of the test and are killed by their own
        // guards; deleting the namespace and the host link removes the rest.
        let _ = Command::new("ip")
            .args(["link", "del", &self.host_link])
            .output();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}
