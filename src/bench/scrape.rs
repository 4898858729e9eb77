//! The collector child's own account of spans it did not deliver, read from its Prometheus
//! `/metrics`: when the sink received fewer spans than were accepted, this says where they
//! went (an exporter queue that was full, or a backend that refused).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Longest wait for the scrape.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Spans the collector's exporters did not deliver, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Undelivered {
    /// Never queued: the exporter's queue was full (`meshtrace_exporter_dropped_spans_total`).
    pub dropped: u64,
    /// Given up on (`meshtrace_exporter_failed_spans_total`).
    pub failed: u64,
}

/// Scrapes `http://{http}/metrics`; `None` when it cannot be read (the report then says
/// nothing rather than something wrong).
pub async fn undelivered(http: SocketAddr) -> Option<Undelivered> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri = format!("http://{http}/metrics").parse().ok()?;
    let scrape = async {
        let response = client.get(uri).await.ok()?;
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some(parse(&String::from_utf8_lossy(&body)))
    };
    tokio::time::timeout(TIMEOUT, scrape).await.ok().flatten()
}

/// Sums each counter over its label sets.
fn parse(exposition: &str) -> Undelivered {
    let sum = |name: &str| -> u64 {
        exposition
            .lines()
            .filter(|line| {
                line.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(['{', ' ']))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .map(|v| v as u64)
            .sum()
    };
    Undelivered {
        dropped: sum(collector::export::DROPPED_SPANS),
        failed: sum(collector::export::FAILED_SPANS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_summed_over_exporters() {
        let text = "# HELP meshtrace_exporter_dropped_spans_total Spans never queued.\n\
                    # TYPE meshtrace_exporter_dropped_spans_total counter\n\
                    meshtrace_exporter_dropped_spans_total{exporter=\"grpc://a\"} 512\n\
                    meshtrace_exporter_dropped_spans_total{exporter=\"grpc://b\"} 1024\n\
                    meshtrace_exporter_failed_spans_total{exporter=\"grpc://a\"} 3\n\
                    meshtrace_exporter_dropped_spans_total_other 7\n";
        assert_eq!(
            parse(text),
            Undelivered {
                dropped: 1536,
                failed: 3
            }
        );
    }
}
