//! Validation of the single-property policies. Ranges follow the OpenTelemetry Collector's
//! factories (`processor/tailsamplingprocessor/processor.go`, `getSharedPolicyEvaluator`),
//! made strict where the Collector would silently build a policy that can never match.

use std::collections::HashSet;

use regex::Regex;

use crate::tail::attributes::{BooleanAttribute, NumericAttribute, StringAttribute, StringMatcher};
use crate::tail::config::{
    BooleanAttributeConfig, BytesLimitingConfig, LatencyConfig, NumericAttributeConfig,
    ProbabilisticConfig, RateLimitingConfig, SpanCountConfig, StatusCodeConfig,
    StringAttributeConfig, TraceStateConfig,
};
use crate::tail::error::TailConfigError;
use crate::tail::limits::TokenBucket;
use crate::tail::policy::Policy;
use crate::tail::probabilistic::Probabilistic;
use crate::tail::properties::{Latency, SpanCount, StatusCodes, TraceStateMatch};
use crate::tail::view::SpanStatus;

/// The error for `field` of the policy at `path`.
fn field(path: &str, field: &'static str, reason: impl Into<String>) -> TailConfigError {
    TailConfigError::Field {
        policy: path.to_owned(),
        field,
        reason: reason.into(),
    }
}

fn non_empty(text: &str, path: &str, name: &'static str) -> Result<(), TailConfigError> {
    if text.is_empty() {
        return Err(field(path, name, "must not be empty"));
    }
    Ok(())
}

pub(super) fn latency(cfg: &LatencyConfig, path: &str) -> Result<Policy, TailConfigError> {
    let upper = (cfg.upper_threshold_ms != 0).then_some(cfg.upper_threshold_ms);
    if upper.is_some_and(|u| u <= cfg.threshold_ms) {
        return Err(field(
            path,
            "latency.upper_threshold_ms",
            format!("must be above threshold_ms ({})", cfg.threshold_ms),
        ));
    }
    Ok(Policy::Latency(Latency {
        lower_ms: cfg.threshold_ms,
        upper_ms: upper,
    }))
}

pub(super) fn numeric(cfg: &NumericAttributeConfig, path: &str) -> Result<Policy, TailConfigError> {
    non_empty(&cfg.key, path, "numeric_attribute.key")?;
    if cfg.min_value.is_none() && cfg.max_value.is_none() {
        return Err(field(
            path,
            "numeric_attribute.min_value",
            "or `max_value` must be set",
        ));
    }
    let (min, max) = (
        cfg.min_value.unwrap_or(i64::MIN),
        cfg.max_value.unwrap_or(i64::MAX),
    );
    if min > max {
        return Err(field(
            path,
            "numeric_attribute.max_value",
            format!("must be at least min_value ({min})"),
        ));
    }
    Ok(Policy::NumericAttribute(NumericAttribute {
        key: cfg.key.clone(),
        min,
        max,
        invert: cfg.invert_match,
    }))
}

pub(super) fn probabilistic(
    cfg: &ProbabilisticConfig,
    path: &str,
) -> Result<Policy, TailConfigError> {
    let pct = cfg.sampling_percentage;
    if pct.is_nan() || pct < 0.0 {
        return Err(field(
            path,
            "probabilistic.sampling_percentage",
            format!("must be a percentage from 0 to 100, got {pct}"),
        ));
    }
    Ok(Policy::Probabilistic(Probabilistic::from_percentage(pct)))
}

pub(super) fn status_code(cfg: &StatusCodeConfig, path: &str) -> Result<Policy, TailConfigError> {
    const NAME: &str = "status_code.status_codes";
    if cfg.status_codes.is_empty() {
        return Err(field(
            path,
            NAME,
            "must list at least one of OK, ERROR, UNSET",
        ));
    }
    let codes = cfg
        .status_codes
        .iter()
        .map(|code| match code.as_str() {
            "OK" => Ok(SpanStatus::Ok),
            "ERROR" => Ok(SpanStatus::Error),
            "UNSET" => Ok(SpanStatus::Unset),
            other => Err(field(
                path,
                NAME,
                format!("has unknown status code {other:?} (expected OK, ERROR or UNSET)"),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy::StatusCode(StatusCodes { codes }))
}

pub(super) fn string(cfg: &StringAttributeConfig, path: &str) -> Result<Policy, TailConfigError> {
    non_empty(&cfg.key, path, "string_attribute.key")?;
    if cfg.values.is_empty() {
        return Err(field(path, "string_attribute.values", "must not be empty"));
    }
    let matcher = if cfg.enabled_regex_matching {
        let compile = |pattern: &String| {
            Regex::new(pattern).map_err(|e| TailConfigError::Regex {
                policy: path.to_owned(),
                pattern: pattern.clone(),
                reason: e.to_string(),
            })
        };
        StringMatcher::Regex(cfg.values.iter().map(compile).collect::<Result<_, _>>()?)
    } else {
        // An empty value never matches, as in the Collector.
        let values = cfg.values.iter().filter(|v| !v.is_empty()).cloned();
        StringMatcher::Exact(values.collect())
    };
    Ok(Policy::StringAttribute(StringAttribute {
        key: cfg.key.clone(),
        matcher,
        invert: cfg.invert_match,
    }))
}

pub(super) fn boolean(cfg: &BooleanAttributeConfig, path: &str) -> Result<Policy, TailConfigError> {
    non_empty(&cfg.key, path, "boolean_attribute.key")?;
    Ok(Policy::BooleanAttribute(BooleanAttribute {
        key: cfg.key.clone(),
        value: cfg.value,
        invert: cfg.invert_match,
    }))
}

pub(super) fn trace_state(cfg: &TraceStateConfig, path: &str) -> Result<Policy, TailConfigError> {
    non_empty(&cfg.key, path, "trace_state.key")?;
    if cfg.values.is_empty() {
        return Err(field(path, "trace_state.values", "must not be empty"));
    }
    // A member (`key=value`) longer than 256 characters cannot exist (W3C); the Collector
    // drops such values, and empty ones, the same way.
    let values: HashSet<String> = cfg
        .values
        .iter()
        .filter(|v| !v.is_empty() && cfg.key.len() + v.len() < 256)
        .cloned()
        .collect();
    Ok(Policy::TraceState(TraceStateMatch {
        key: cfg.key.clone(),
        values,
    }))
}

pub(super) fn rate_limiting(
    cfg: &RateLimitingConfig,
    path: &str,
) -> Result<Policy, TailConfigError> {
    if cfg.spans_per_second == 0 {
        return Err(field(
            path,
            "rate_limiting.spans_per_second",
            "must be above zero",
        ));
    }
    let burst = cfg.burst_capacity.unwrap_or(0);
    Ok(Policy::RateLimiting(TokenBucket::new(
        cfg.spans_per_second,
        burst,
    )))
}

pub(super) fn bytes_limiting(
    cfg: &BytesLimitingConfig,
    path: &str,
) -> Result<Policy, TailConfigError> {
    if cfg.bytes_per_second == 0 {
        return Err(field(
            path,
            "bytes_limiting.bytes_per_second",
            "must be above zero",
        ));
    }
    let burst = cfg.burst_capacity.unwrap_or(0);
    Ok(Policy::BytesLimiting(TokenBucket::new(
        cfg.bytes_per_second,
        burst,
    )))
}

pub(super) fn span_count(cfg: &SpanCountConfig, path: &str) -> Result<Policy, TailConfigError> {
    let max = (cfg.max_spans != 0).then_some(cfg.max_spans);
    if max.is_some_and(|m| m < cfg.min_spans) {
        return Err(field(
            path,
            "span_count.max_spans",
            format!("must be at least min_spans ({})", cfg.min_spans),
        ));
    }
    Ok(Policy::SpanCount(SpanCount {
        min: cfg.min_spans,
        max,
    }))
}
