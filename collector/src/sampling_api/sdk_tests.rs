//! Interoperability: the OpenTelemetry Rust SDK's `jaeger_remote` sampler (with
//! opentelemetry-http's plain hyper client, no TLS) polls our HTTP server, and the strategies
//! we serve decide its sampling. The SDK cannot parse `RATE_LIMITING` (its enum reads
//! `RATELIMITING`): it then keeps the last strategy it had, which is what is checked for it.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::trace::{SpanKind, TraceId};
use opentelemetry_http::hyper::HyperClient;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::{Sampler, SamplingDecision, ShouldSample};

use super::router;
use crate::strategy::{ChangeOrigin, OperationEntry, ServiceEntry, StrategyKind, StrategyStore};

fn api() -> ChangeOrigin {
    ChangeOrigin::Api { who: "test".into() }
}

fn decide(sampler: &Sampler, operation: &str) -> SamplingDecision {
    // A trace id in the middle of the range: kept at p = 1, dropped at p = 0.
    let trace_id = TraceId::from(0x0123_4567_89ab_cdef_8000_0000_0000_0000_u128);
    sampler
        .should_sample(None, trace_id, operation, &SpanKind::Server, &[], &[])
        .decision
}

/// Waits until the SDK, polling every 20 ms, makes `want` for both operations.
async fn until(sampler: &Sampler, want: [(&str, SamplingDecision); 2]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if want.iter().all(|(op, d)| decide(sampler, op) == *d) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "SDK never reached {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_opentelemetry_sdk_follows_our_strategies() {
    use SamplingDecision::{Drop, RecordAndSample as Keep};

    let store = Arc::new(StrategyStore::in_memory(Default::default()).unwrap());
    store
        .put_service(
            ServiceEntry {
                service: "shop".into(),
                kind: StrategyKind::Probabilistic,
                param: 1.0,
                operation_strategies: vec![OperationEntry {
                    operation: "GET /health".into(),
                    kind: StrategyKind::Probabilistic,
                    param: 0.0,
                }],
            },
            &api(),
        )
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Arc::clone(&store));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let client = HyperClient::with_default_connector(Duration::from_secs(2), None);
    let sampler = Sampler::jaeger_remote(Tokio, client, Sampler::AlwaysOff, "shop")
        .with_endpoint(format!("http://{addr}/sampling"))
        .with_update_interval(Duration::from_millis(20))
        .build()
        .unwrap();

    // Per operation: the listed operation at 0, the others at the default 1.
    until(&sampler, [("GET /health", Drop), ("GET /cart", Keep)]).await;

    // Probabilistic for the whole service.
    store
        .put_service(ServiceEntry::probabilistic("shop", 0.0), &api())
        .unwrap();
    until(&sampler, [("GET /health", Drop), ("GET /cart", Drop)]).await;
    store
        .put_service(ServiceEntry::probabilistic("shop", 1.0), &api())
        .unwrap();
    until(&sampler, [("GET /health", Keep), ("GET /cart", Keep)]).await;

    // RATE_LIMITING does not parse in this SDK: it keeps the last strategy.
    let mut limited = ServiceEntry::probabilistic("shop", 0.0);
    limited.kind = StrategyKind::Ratelimiting;
    store.put_service(limited, &api()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(decide(&sampler, "GET /cart"), Keep);
}
