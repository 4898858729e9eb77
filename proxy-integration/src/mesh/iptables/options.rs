//! The capture options (the flags of `meshtrace iptables`) and their port-list values.

use std::fmt;
use std::str::FromStr;

/// The sidecar's outbound listener port (Istio's `-p`).
pub const DEFAULT_PROXY_PORT: u16 = 15001;
/// The sidecar's inbound listener port (Istio's `-z`).
pub const DEFAULT_INBOUND_CAPTURE_PORT: u16 = 15006;
/// The uid the proxy runs as; its traffic is never captured (Istio's `-u`).
pub const DEFAULT_PROXY_UID: u32 = 1337;
/// Inbound ports never captured by default: the proxy's own metrics and readiness ports and
/// Istio's agent port, as Istio's injector passes to `-d`.
pub const DEFAULT_EXCLUDE_INBOUND_PORTS: &str = "15090,15021,15020";

/// Why a port list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortListError {
    /// An element is not a port number 1..=65535.
    #[error("`{0}` is not a port number (1-65535)")]
    BadPort(String),
}

/// A comma-separated list of TCP ports; the empty string is the empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList(pub Vec<u16>);

impl FromStr for PortList {
    type Err = PortListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| match part.parse::<u16>() {
                Ok(port) if port != 0 => Ok(port),
                _ => Err(PortListError::BadPort(part.to_owned())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PortList)
    }
}

impl fmt::Display for PortList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, port) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{port}")?;
        }
        Ok(())
    }
}

/// Which inbound ports are captured (Istio's `-b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundPorts {
    /// `*`: every port except the excluded ones.
    All,
    /// Only these ports; an empty list captures no inbound traffic.
    Only(PortList),
}

impl FromStr for InboundPorts {
    type Err = PortListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim() == "*" {
            Ok(InboundPorts::All)
        } else {
            s.parse().map(InboundPorts::Only)
        }
    }
}

impl fmt::Display for InboundPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InboundPorts::All => f.write_str("*"),
            InboundPorts::Only(ports) => ports.fmt(f),
        }
    }
}

/// Everything the capture rules depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureOptions {
    /// Outbound traffic is redirected here.
    pub proxy_port: u16,
    /// Inbound traffic is redirected here.
    pub inbound_capture_port: u16,
    /// The proxy's uid: its own connections are not captured.
    pub proxy_uid: u32,
    /// The proxy's gid, also excluded when set.
    pub proxy_gid: Option<u32>,
    /// Inbound ports captured.
    pub inbound_ports: InboundPorts,
    /// Inbound ports left alone when `inbound_ports` is `*`.
    pub exclude_inbound_ports: PortList,
    /// Outbound destination ports left alone.
    pub exclude_outbound_ports: PortList,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            proxy_port: DEFAULT_PROXY_PORT,
            inbound_capture_port: DEFAULT_INBOUND_CAPTURE_PORT,
            proxy_uid: DEFAULT_PROXY_UID,
            proxy_gid: None,
            inbound_ports: InboundPorts::All,
            exclude_inbound_ports: PortList(vec![15090, 15021, 15020]),
            exclude_outbound_ports: PortList::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_lists_parse() {
        assert_eq!("".parse(), Ok(PortList(vec![])));
        assert_eq!("80, 443,".parse(), Ok(PortList(vec![80, 443])));
        assert_eq!(
            "80,x".parse::<PortList>(),
            Err(PortListError::BadPort("x".into()))
        );
        assert_eq!(
            "0".parse::<PortList>(),
            Err(PortListError::BadPort("0".into()))
        );
        assert_eq!("*".parse(), Ok(InboundPorts::All));
        assert_eq!("9080".parse(), Ok(InboundPorts::Only(PortList(vec![9080]))));
    }

    #[test]
    fn default_excludes_match_the_constant() {
        assert_eq!(
            CaptureOptions::default().exclude_inbound_ports.to_string(),
            DEFAULT_EXCLUDE_INBOUND_PORTS
        );
    }
}
