//! Turns capture options into the rule set, chain by chain as Istio's
//! `tools/istio-iptables/pkg/capture/run.go` does in REDIRECT mode (its golden files under
//! `pkg/capture/testdata/` show the same shape with `ISTIO_*` chains).

use std::net::Ipv4Addr;

use super::options::{CaptureOptions, InboundPorts};
use super::rules::{Chain, Match, Rule, RuleSet, Target};

fn rule(chain: Chain, matches: Vec<Match>, target: Target) -> Rule {
    Rule {
        chain,
        matches,
        target,
    }
}

/// The full rule set for `options`.
pub fn build(options: &CaptureOptions) -> RuleSet {
    let mut rules = vec![
        rule(
            Chain::InRedirect,
            vec![Match::Tcp],
            Target::Redirect(options.inbound_capture_port),
        ),
        rule(
            Chain::Redirect,
            vec![Match::Tcp],
            Target::Redirect(options.proxy_port),
        ),
    ];
    inbound(options, &mut rules);
    outbound(options, &mut rules);
    RuleSet { rules }
}

/// PREROUTING -> MESHTRACE_INBOUND: every port but the excluded ones, or only the listed ones.
fn inbound(options: &CaptureOptions, rules: &mut Vec<Rule>) {
    let capture = Target::Jump(Chain::InRedirect);
    match &options.inbound_ports {
        InboundPorts::Only(ports) if ports.0.is_empty() => {}
        InboundPorts::Only(ports) => {
            rules.push(entry_jump(Chain::Prerouting, Chain::Inbound));
            for port in &ports.0 {
                let matches = vec![Match::Tcp, Match::DestPort(*port)];
                rules.push(rule(Chain::Inbound, matches, capture.clone()));
            }
        }
        InboundPorts::All => {
            rules.push(entry_jump(Chain::Prerouting, Chain::Inbound));
            for port in &options.exclude_inbound_ports.0 {
                let matches = vec![Match::Tcp, Match::DestPort(*port)];
                rules.push(rule(Chain::Inbound, matches, Target::Return));
            }
            rules.push(rule(Chain::Inbound, vec![Match::Tcp], capture));
        }
    }
}

/// OUTPUT -> MESHTRACE_OUTPUT: everything the workload sends, except the proxy's own traffic,
/// loopback traffic and excluded ports.
fn outbound(options: &CaptureOptions, rules: &mut Vec<Rule>) {
    let chain = Chain::MeshOutput;
    rules.push(entry_jump(Chain::Output, chain));
    for port in &options.exclude_outbound_ports.0 {
        let matches = vec![Match::Tcp, Match::DestPort(*port)];
        rules.push(rule(chain, matches, Target::Return));
    }
    let owners = std::iter::once((
        Match::OwnerUid {
            uid: options.proxy_uid,
            negated: false,
        },
        Match::OwnerUid {
            uid: options.proxy_uid,
            negated: true,
        },
    ))
    .chain(options.proxy_gid.map(|gid| {
        (
            Match::OwnerGid {
                gid,
                negated: false,
            },
            Match::OwnerGid { gid, negated: true },
        )
    }));
    let loopback = Ipv4Addr::LOCALHOST;
    for (proxy, not_proxy) in owners {
        // The proxy reaching this pod's own IP (the app called itself through a service
        // VIP): capture it as inbound so the server side is traced too.
        let self_call = vec![
            Match::OutLoopback,
            Match::Dest {
                addr: loopback,
                negated: true,
            },
            proxy.clone(),
        ];
        rules.push(rule(chain, self_call, Target::Jump(Chain::InRedirect)));
        // The app talking to itself over loopback: not mesh traffic.
        rules.push(rule(
            chain,
            vec![Match::OutLoopback, not_proxy],
            Target::Return,
        ));
        // The proxy's own outbound connections: never captured, or they would loop.
        rules.push(rule(chain, vec![proxy], Target::Return));
    }
    let to_localhost = Match::Dest {
        addr: loopback,
        negated: false,
    };
    rules.push(rule(chain, vec![to_localhost], Target::Return));
    rules.push(rule(chain, Vec::new(), Target::Jump(Chain::Redirect)));
}

fn entry_jump(from: Chain, to: Chain) -> Rule {
    rule(from, vec![Match::Tcp], Target::Jump(to))
}

/// The `iptables -t nat` argument lists that remove everything `build` installs: unhook the
/// entry jumps, then flush and delete our chains. Each may fail when already gone.
pub fn cleanup_commands() -> Vec<Vec<String>> {
    let table = || vec!["-t".to_owned(), "nat".to_owned()];
    let mut commands = Vec::new();
    for (from, to) in [
        (Chain::Prerouting, Chain::Inbound),
        (Chain::Output, Chain::MeshOutput),
    ] {
        let mut args = table();
        args.extend(["-D".to_owned(), from.name().to_owned()]);
        args.extend(entry_jump(from, to).spec_args());
        commands.push(args);
    }
    for flag in ["-F", "-X"] {
        for chain in Chain::OURS {
            let mut args = table();
            args.extend([flag.to_owned(), chain.name().to_owned()]);
            commands.push(args);
        }
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::iptables::options::PortList;

    fn text(options: &CaptureOptions) -> String {
        build(options).to_string()
    }

    #[test]
    fn defaults_capture_everything_but_the_proxy() {
        let text = text(&CaptureOptions::default());
        assert!(text.starts_with("*nat\n:MESHTRACE_INBOUND - [0:0]\n"));
        assert!(text.contains("-A MESHTRACE_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006\n"));
        assert!(text.contains("-A MESHTRACE_REDIRECT -p tcp -j REDIRECT --to-ports 15001\n"));
        assert!(text.contains("-A MESHTRACE_INBOUND -p tcp --dport 15021 -j RETURN\n"));
        assert!(text.contains(
            "-A MESHTRACE_OUTPUT -o lo ! -d 127.0.0.1/32 -m owner --uid-owner 1337 -j MESHTRACE_IN_REDIRECT\n"
        ));
        assert!(text.contains("-A MESHTRACE_OUTPUT -m owner --uid-owner 1337 -j RETURN\n"));
        assert!(text.ends_with("-A MESHTRACE_OUTPUT -j MESHTRACE_REDIRECT\nCOMMIT\n"));
        assert!(!text.contains("gid-owner"));
    }

    #[test]
    fn listed_inbound_ports_and_exclusions() {
        let options = CaptureOptions {
            proxy_gid: Some(1337),
            inbound_ports: InboundPorts::Only(PortList(vec![9080])),
            exclude_outbound_ports: PortList(vec![5432]),
            ..CaptureOptions::default()
        };
        let text = text(&options);
        assert!(
            text.contains("-A MESHTRACE_INBOUND -p tcp --dport 9080 -j MESHTRACE_IN_REDIRECT\n")
        );
        assert!(
            !text.contains("--dport 15021"),
            "exclusions only apply to `*`"
        );
        assert!(text.contains("-A MESHTRACE_OUTPUT -p tcp --dport 5432 -j RETURN\n"));
        assert!(text.contains("-A MESHTRACE_OUTPUT -o lo -m owner ! --gid-owner 1337 -j RETURN\n"));
    }

    #[test]
    fn no_inbound_ports_means_no_inbound_capture() {
        let options = CaptureOptions {
            inbound_ports: InboundPorts::Only(PortList::default()),
            ..CaptureOptions::default()
        };
        assert!(!text(&options).contains("PREROUTING"));
    }

    #[test]
    fn cleanup_unhooks_then_deletes() {
        let commands = cleanup_commands();
        assert_eq!(
            commands[0].join(" "),
            "-t nat -D PREROUTING -p tcp -j MESHTRACE_INBOUND"
        );
        assert_eq!(commands.len(), 10);
        assert_eq!(commands[9].join(" "), "-t nat -X MESHTRACE_REDIRECT");
    }
}
