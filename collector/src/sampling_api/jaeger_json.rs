//! A `SamplingStrategyResponse` as the bytes Jaeger's `/sampling` endpoint writes.
//!
//! Jaeger encodes with gogo `jsonpb` and `EmitDefaults: true`, then deletes the `null`
//! top-level strategies (jaeger `model/converter/json/sampling.go`,
//! `SamplingStrategyResponseToJSON`). So: compact, fields in proto order, enums by name,
//! zero values written (`"defaultLowerBoundTracesPerSecond":0`,
//! `"defaultUpperBoundTracesPerSecond":0`, `"perOperationStrategies":[]`), numbers as Go's
//! `encoding/json` writes a float64 (`1`, `0.001`, `1e-7`) and strings HTML-escaped as Go does.
//! serde's output differs (`1.0`, no upper bound), and the OpenTelemetry Rust SDK's parser
//! needs `defaultUpperBoundTracesPerSecond`, so this is written by hand.

use std::fmt::Write;

use sampler::strategy::{PerOperationStrategies, SamplingStrategyResponse, StrategyType};

/// The JSON Jaeger would send for `strategy`.
pub fn to_jaeger_json(strategy: &SamplingStrategyResponse) -> String {
    let mut out = String::with_capacity(128);
    let kind = match strategy.strategy_type {
        StrategyType::Probabilistic => "PROBABILISTIC",
        StrategyType::RateLimiting => "RATE_LIMITING",
    };
    out.push_str("{\"strategyType\":\"");
    out.push_str(kind);
    out.push('"');
    if let Some(p) = &strategy.probabilistic_sampling {
        out.push_str(",\"probabilisticSampling\":{\"samplingRate\":");
        push_float(&mut out, p.sampling_rate);
        out.push('}');
    }
    if let Some(r) = &strategy.rate_limiting_sampling {
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            ",\"rateLimitingSampling\":{{\"maxTracesPerSecond\":{}}}",
            r.max_traces_per_second
        );
    }
    if let Some(ops) = &strategy.operation_sampling {
        out.push_str(",\"operationSampling\":");
        push_operations(&mut out, ops);
    }
    out.push('}');
    out
}

fn push_operations(out: &mut String, ops: &PerOperationStrategies) {
    out.push_str("{\"defaultSamplingProbability\":");
    push_float(out, ops.default_sampling_probability);
    out.push_str(",\"defaultLowerBoundTracesPerSecond\":");
    push_float(out, ops.default_lower_bound_traces_per_second);
    out.push_str(",\"perOperationStrategies\":[");
    for (i, op) in ops.per_operation_strategies.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"operation\":");
        push_string(out, &op.operation);
        out.push_str(",\"probabilisticSampling\":{\"samplingRate\":");
        push_float(out, op.probabilistic_sampling.sampling_rate);
        out.push_str("}}");
    }
    out.push_str("],\"defaultUpperBoundTracesPerSecond\":");
    push_float(
        out,
        ops.default_upper_bound_traces_per_second.unwrap_or(0.0),
    );
    out.push('}');
}

/// Go's `encoding/json` float64: shortest round-trip digits, plain notation unless
/// `|f| < 1e-6` or `|f| >= 1e21`, then `1e-7` / `1e+21`. Non-finite values cannot come from a
/// validated strategy; they are written as 0 rather than as invalid JSON.
fn push_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push('0');
        return;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{f:e}");
        match text.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&text),
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Go's `encoding/json` string: `"`, `\` and control characters escaped, and `<`, `>`, `&`,
/// U+2028, U+2029 as `\uXXXX` (its HTML-safe default).
fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use sampler::strategy::{OperationStrategy, ProbabilisticStrategy};

    use super::*;

    #[test]
    fn floats_as_go_writes_them() {
        #[rustfmt::skip]
        let cases = [
            (0.0, "0"), (1.0, "1"), (0.5, "0.5"), (0.001, "0.001"), (0.1, "0.1"),
            (1e-6, "0.000001"), (1e-7, "1e-7"), (2.5e-9, "2.5e-9"), (123456.0, "123456"),
            (1e21, "1e+21"), (-0.25, "-0.25"), (f64::NAN, "0"),
        ];
        for (f, want) in cases {
            let mut out = String::new();
            push_float(&mut out, f);
            assert_eq!(out, want, "{f}");
        }
    }

    #[test]
    fn strings_as_go_writes_them() {
        let mut out = String::new();
        push_string(&mut out, "GET /a?b=<c>&d \"e\"\\\n\u{1}é\u{2028}");
        assert_eq!(
            out,
            r#""GET /a?b=\u003cc\u003e\u0026d \"e\"\\\n\u0001é\u2028""#
        );
    }

    /// Byte for byte what jaeger's `SamplingStrategyResponseToJSON` produces.
    #[test]
    fn responses_as_jaeger_writes_them() {
        assert_eq!(
            to_jaeger_json(&SamplingStrategyResponse::probabilistic(0.001)),
            r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}"#
        );
        assert_eq!(
            to_jaeger_json(&SamplingStrategyResponse::rate_limiting(5)),
            r#"{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":5}}"#
        );
        let per_op = SamplingStrategyResponse {
            operation_sampling: Some(PerOperationStrategies {
                default_sampling_probability: 1.0,
                default_lower_bound_traces_per_second: 0.0,
                per_operation_strategies: vec![OperationStrategy {
                    operation: "/health".into(),
                    probabilistic_sampling: ProbabilisticStrategy { sampling_rate: 0.1 },
                }],
                default_upper_bound_traces_per_second: None,
            }),
            ..SamplingStrategyResponse::probabilistic(1.0)
        };
        assert_eq!(
            to_jaeger_json(&per_op),
            concat!(
                r#"{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1},"#,
                r#""operationSampling":{"defaultSamplingProbability":1,"defaultLowerBoundTracesPerSecond":0,"#,
                r#""perOperationStrategies":[{"operation":"/health","probabilisticSampling":{"samplingRate":0.1}}],"#,
                r#""defaultUpperBoundTracesPerSecond":0}}"#
            )
        );
        // And it reads back as the same strategy.
        let back: SamplingStrategyResponse =
            serde_json::from_str(&to_jaeger_json(&per_op)).unwrap();
        assert_eq!(
            back.operation_sampling.unwrap().per_operation_strategies,
            per_op.operation_sampling.unwrap().per_operation_strategies
        );
    }
}
