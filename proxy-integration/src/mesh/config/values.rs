//! The inputs of `meshtrace config`, parsed once at the edge.

use std::fmt;
use std::str::FromStr;

/// Why a `config` flag value is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not `HOST:PORT`.
    #[error("`{0}` is not HOST:PORT")]
    NotHostPort(String),
    /// Not a number within 0..=100.
    #[error("`{0}` is not a percentage within 0..=100")]
    NotPercent(String),
}

/// The collector's OTLP/gRPC address, `HOST:PORT` (a `grpc://` or `http://` prefix and
/// `[v6]` brackets are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectorAddr {
    /// Host name or IP address, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl FromStr for CollectorAddr {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ValueError::NotHostPort(s.to_owned());
        let rest = ["grpc://", "http://"]
            .iter()
            .find_map(|scheme| s.strip_prefix(scheme))
            .unwrap_or(s)
            .trim_end_matches('/');
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() || port == 0 || host.contains(['/', ' ']) {
            return Err(bad());
        }
        Ok(CollectorAddr {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for CollectorAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A sampling percentage, 0 to 100 (Envoy's `Percent`, Istio's `randomSamplingPercentage`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingPercent(f64);

impl SamplingPercent {
    /// The percentage.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for SamplingPercent {
    type Err = ValueError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().trim_end_matches('%').parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Ok(SamplingPercent(p)),
            _ => Err(ValueError::NotPercent(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_addresses() {
        let addr: CollectorAddr = "grpc://collector.ns:4317".parse().unwrap();
        assert_eq!((addr.host.as_str(), addr.port), ("collector.ns", 4317));
        let v6: CollectorAddr = "[::1]:4317".parse().unwrap();
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.to_string(), "[::1]:4317");
        for bad in ["collector", ":4317", "c:0", "c:x", "https://c:443"] {
            assert!(bad.parse::<CollectorAddr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages() {
        assert_eq!("10".parse::<SamplingPercent>().unwrap().get(), 10.0);
        assert_eq!("0.5%".parse::<SamplingPercent>().unwrap().get(), 0.5);
        for bad in ["-1", "101", "NaN", "x"] {
            assert!(bad.parse::<SamplingPercent>().is_err(), "{bad}");
        }
    }
}
