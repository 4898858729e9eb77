//! The rule set as typed data, and its rendering as `iptables-restore` input.

use std::fmt;
use std::net::Ipv4Addr;

/// A chain of the nat table: the two built-in hooks we attach to and our four chains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// Built-in: packets arriving at the pod.
    Prerouting,
    /// Built-in: packets leaving a local process.
    Output,
    /// Decides which inbound packets are captured.
    Inbound,
    /// Redirects captured inbound packets to the inbound listener.
    InRedirect,
    /// Decides which outbound packets are captured.
    MeshOutput,
    /// Redirects captured outbound packets to the outbound listener.
    Redirect,
}

impl Chain {
    /// The chains this tool creates, in the order they are declared.
    pub const OURS: [Chain; 4] = [
        Chain::Inbound,
        Chain::InRedirect,
        Chain::MeshOutput,
        Chain::Redirect,
    ];

    /// The chain's name as iptables knows it.
    pub fn name(self) -> &'static str {
        match self {
            Chain::Prerouting => "PREROUTING",
            Chain::Output => "OUTPUT",
            Chain::Inbound => "MESHTRACE_INBOUND",
            Chain::InRedirect => "MESHTRACE_IN_REDIRECT",
            Chain::MeshOutput => "MESHTRACE_OUTPUT",
            Chain::Redirect => "MESHTRACE_REDIRECT",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One match of a rule, rendered in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// `-p tcp`.
    Tcp,
    /// `--dport PORT` (needs `Tcp` before it).
    DestPort(u16),
    /// `-o lo`.
    OutLoopback,
    /// `-d ADDR/32`, or `! -d ADDR/32` when `negated`.
    Dest {
        /// The host address.
        addr: Ipv4Addr,
        /// Match everything but this address.
        negated: bool,
    },
    /// `-m owner --uid-owner UID`, or `! --uid-owner` when `negated`.
    OwnerUid {
        /// The uid.
        uid: u32,
        /// Match every other uid.
        negated: bool,
    },
    /// `-m owner --gid-owner GID`, or `! --gid-owner` when `negated`.
    OwnerGid {
        /// The gid.
        gid: u32,
        /// Match every other gid.
        negated: bool,
    },
}

impl Match {
    fn push_args(&self, args: &mut Vec<String>) {
        let not = |negated: bool, args: &mut Vec<String>| {
            if negated {
                args.push("!".into());
            }
        };
        match self {
            Match::Tcp => args.extend(["-p".into(), "tcp".into()]),
            Match::DestPort(port) => args.extend(["--dport".into(), port.to_string()]),
            Match::OutLoopback => args.extend(["-o".into(), "lo".into()]),
            Match::Dest { addr, negated } => {
                not(*negated, args);
                args.extend(["-d".into(), format!("{addr}/32")]);
            }
            Match::OwnerUid { uid, negated } => {
                args.extend(["-m".into(), "owner".into()]);
                not(*negated, args);
                args.extend(["--uid-owner".into(), uid.to_string()]);
            }
            Match::OwnerGid { gid, negated } => {
                args.extend(["-m".into(), "owner".into()]);
                not(*negated, args);
                args.extend(["--gid-owner".into(), gid.to_string()]);
            }
        }
    }
}

/// What a matching packet does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Continue in another chain.
    Jump(Chain),
    /// Leave our chains: the packet is not captured.
    Return,
    /// `REDIRECT --to-ports PORT`: hand the connection to a local listener.
    Redirect(u16),
}

/// One `-A CHAIN ... -j TARGET` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The chain the rule is appended to.
    pub chain: Chain,
    /// Its matches, all of which must hold.
    pub matches: Vec<Match>,
    /// What happens on a match.
    pub target: Target,
}

impl Rule {
    /// The rule's arguments after `-A CHAIN` (or `-D CHAIN`).
    pub fn spec_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for m in &self.matches {
            m.push_args(&mut args);
        }
        args.push("-j".into());
        match &self.target {
            Target::Jump(chain) => args.push(chain.name().into()),
            Target::Return => args.push("RETURN".into()),
            Target::Redirect(port) => {
                args.extend(["REDIRECT".into(), "--to-ports".into(), port.to_string()]);
            }
        }
        args
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-A {} {}", self.chain, self.spec_args().join(" "))
    }
}

/// The whole nat-table rule set; `Display` renders it as `iptables-restore` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    /// The rules, in the order they are appended.
    pub rules: Vec<Rule>,
}

impl fmt::Display for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "*nat")?;
        for chain in Chain::OURS {
            writeln!(f, ":{chain} - [0:0]")?;
        }
        for rule in &self.rules {
            writeln!(f, "{rule}")?;
        }
        writeln!(f, "COMMIT")
    }
}
