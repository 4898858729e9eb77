//! Hop-by-hop header handling (RFC 9110 7.6.1): what a proxy must not forward, with the two
//! exceptions a mesh needs: an upgrade being negotiated keeps `Connection: upgrade` and
//! `Upgrade`, and `TE: trailers` (gRPC needs it end to end) is kept.

use http::HeaderMap;
use http::header::{CONNECTION, TE, UPGRADE};

/// Hop-by-hop headers a proxy must not forward.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The protocol named in `Upgrade` when `Connection` asks for an upgrade (e.g. `websocket`).
pub(super) fn upgrade_requested(headers: &HeaderMap) -> Option<http::HeaderValue> {
    let asks = headers.get_all(CONNECTION).iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
        })
    });
    asks.then(|| headers.get(UPGRADE).cloned()).flatten()
}

/// Removes hop-by-hop headers, and those `Connection` names. When `upgrade` is set (the
/// exchange negotiates that protocol), `Connection: upgrade` and `Upgrade` are written back.
pub(super) fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: Option<&http::HeaderValue>) {
    let named: Vec<String> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|n| n.trim().to_ascii_lowercase()))
        .collect();
    let trailers = headers
        .get(TE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
    if trailers {
        headers.insert(TE, http::HeaderValue::from_static("trailers"));
    }
    if let Some(protocol) = upgrade {
        headers.insert(CONNECTION, http::HeaderValue::from_static("upgrade"));
        headers.insert(UPGRADE, protocol.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut h = map(&[
            ("connection", "keep-alive, x-custom"),
            ("x-custom", "1"),
            ("te", "gzip"),
            ("transfer-encoding", "chunked"),
            ("traceparent", "kept"),
        ]);
        strip_hop_by_hop(&mut h, None);
        assert_eq!(h.len(), 1);
        assert!(h.contains_key("traceparent"));
    }

    #[test]
    fn te_trailers_and_negotiated_upgrades_survive() {
        let mut h = map(&[
            ("te", "trailers"),
            ("connection", "Upgrade"),
            ("upgrade", "websocket"),
        ]);
        let upgrade = upgrade_requested(&h);
        assert_eq!(
            upgrade.as_ref().map(|v| v.to_str().unwrap()),
            Some("websocket")
        );
        strip_hop_by_hop(&mut h, upgrade.as_ref());
        assert_eq!(h["te"], "trailers");
        assert_eq!(h["connection"], "upgrade");
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(upgrade_requested(&map(&[("upgrade", "websocket")])), None);
    }
}
