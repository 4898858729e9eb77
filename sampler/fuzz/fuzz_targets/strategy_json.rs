//! Jaeger strategy JSON: parse, write back and reparse, build the head sampler and decide a
//! few requests with it.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use sampler::head::{RequestInfo, SamplingInput};
use sampler::strategy::SamplingStrategyResponse;
use sampler::{HeadSampler, SamplingState, TraceId};

fuzz_target!(|data: &[u8]| {
    let Ok(strategy) = serde_json::from_slice::<SamplingStrategyResponse>(data) else {
        return;
    };
    let written = serde_json::to_vec(&strategy).expect("a parsed strategy serializes");
    let reread: SamplingStrategyResponse =
        serde_json::from_slice(&written).expect("a written strategy parses");
    assert_eq!(reread, strategy);
    let Ok(sampler) = HeadSampler::from_strategy(&strategy) else {
        return;
    };
    let operation = strategy
        .operation_sampling
        .as_ref()
        .and_then(|ops| ops.per_operation_strategies.first())
        .map_or("", |op| op.operation.as_str());
    let (method, path) = operation.split_once(' ').unwrap_or(("GET", operation));
    let request = RequestInfo {
        method,
        path,
        ..RequestInfo::default()
    };
    for (i, now) in [0u64, 1, 1_000_000, u64::MAX].into_iter().enumerate() {
        let mut bytes = [0x5a; 16];
        bytes[15] = i as u8;
        let trace_id = TraceId::from_bytes(bytes).expect("not all zero");
        let input = SamplingInput::new(trace_id, None)
            .with_request(request)
            .at(Duration::from_nanos(now));
        let decision = sampler.decide(&input);
        assert_ne!(
            decision.sampling,
            SamplingState::Deferred,
            "a root is always decided"
        );
        assert!(decision.adjusted_count() >= 1.0, "{decision:?}");
    }
});
