//! Extract + decide + inject per propagation format: the work a sidecar does on every request.

// Criterion's macros generate undocumented items; a bench is not public API.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::{HeaderMap, HeaderName, HeaderValue};
use sampler::head::{Probabilistic, SamplingInput};
use sampler::{Format, HeadSampler, Propagation, SpanContext, SpanId};

/// The allocator of the `meshtrace` binary, so the one allocation per hop (the new
/// `traceparent` value) costs what it costs in the sidecar.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "00f067aa0ba902b7";

fn request(format: Format) -> HeaderMap {
    let pairs: Vec<(&str, String)> = match format {
        Format::W3c => vec![
            ("traceparent", format!("00-{TRACE}-{SPAN}-03")),
            (
                "tracestate",
                "ot=th:8;rv:d4a7f3c2b1e0f9,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,\
                 vendor@tenant=abc123,dd=s:1;o:rum"
                    .to_owned(),
            ),
        ],
        Format::B3 => vec![("b3", format!("{TRACE}-{SPAN}-1"))],
        Format::B3Multi => vec![
            ("x-b3-traceid", TRACE.to_owned()),
            ("x-b3-spanid", SPAN.to_owned()),
            ("x-b3-sampled", "1".to_owned()),
        ],
        Format::Jaeger => vec![("uber-trace-id", format!("{TRACE}:{SPAN}:0:1"))],
    };
    let mut headers = HeaderMap::new();
    // What a typical request also carries.
    headers.insert("host", HeaderValue::from_static("reviews:9080"));
    headers.insert("user-agent", HeaderValue::from_static("curl/8.5.0"));
    headers.insert("accept", HeaderValue::from_static("*/*"));
    headers.insert(
        "x-request-id",
        HeaderValue::from_static("4d1c1c3e-8b4a-4f0e-9d2a-1b2c3d4e5f60"),
    );
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

/// One hop: read the caller's context, decide, write the child's context. Not inlined, so
/// a profiler (`valgrind --tool=callgrind --toggle-collect='*context*hop*'`) can count it alone.
#[inline(never)]
fn hop(propagation: &Propagation, sampler: &HeadSampler, headers: &mut HeaderMap, span: SpanId) {
    let extraction = propagation.extract(headers);
    let Some(parent) = extraction.parent else {
        return;
    };
    let decision = sampler.decide(&SamplingInput::new(parent.trace_id, Some(&parent)));
    let trace_state = if decision.sampling.is_sampled() {
        parent.trace_state.with_threshold(decision.threshold)
    } else {
        parent.trace_state.clone()
    };
    let child = SpanContext {
        trace_id: parent.trace_id,
        span_id: span,
        sampling: decision.sampling,
        random: parent.random,
        trace_state,
    };
    propagation.inject(&child, headers);
}

fn bench(c: &mut Criterion) {
    let Ok(probabilistic) = Probabilistic::new(0.5) else {
        return;
    };
    let sampler = HeadSampler::parent_based(probabilistic);
    let Some(span) = SpanId::from_bytes([0x5a; 8]) else {
        return;
    };
    let mut group = c.benchmark_group("extract_decide_inject");
    for format in Format::EXTRACT_ORDER {
        let propagation = Propagation::new(vec![format]);
        let template = request(format);
        group.bench_function(format.as_str(), |b| {
            b.iter_batched_ref(
                || template.clone(),
                |headers| hop(&propagation, &sampler, black_box(headers), span),
                criterion::BatchSize::SmallInput,
            );
        });
    }
    group.finish();

    // The sidecar's default: injects W3C and B3 multi whatever arrived (SPEC, Istio apps).
    let sidecar = Propagation::default();
    let template = request(Format::W3c);
    c.bench_function("sidecar_default/w3c", |b| {
        b.iter_batched_ref(
            || template.clone(),
            |headers| hop(&sidecar, &sampler, black_box(headers), span),
            criterion::BatchSize::SmallInput,
        );
    });

    let w3c = request(Format::W3c);
    let propagation = Propagation::new(vec![Format::W3c]);
    c.bench_function("w3c_extract_only", |b| {
        b.iter(|| propagation.extract(black_box(&w3c)));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
