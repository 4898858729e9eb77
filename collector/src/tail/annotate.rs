//! What a kept span carries about its tail decision: `sampling.policy` (why it was kept),
//! its `th` changed as the decision requires (raised for probabilistic keeps, erased when the
//! adjusted count is unknown), and `sampling.adjusted_count` when known.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use sampler::TraceState;

use super::cache::KeptInfo;
use crate::store::StoredSpan;

/// Attribute naming the policy that kept the trace.
pub const SAMPLING_POLICY: &str = "sampling.policy";
/// Attribute with the trace's adjusted count, when known.
pub const ADJUSTED_COUNT: &str = "sampling.adjusted_count";

fn set(attributes: &mut Vec<KeyValue>, key: &str, value: Value) {
    let value = Some(AnyValue { value: Some(value) });
    match attributes.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => kv.value = value,
        None => attributes.push(KeyValue {
            key: key.to_owned(),
            value,
            ..KeyValue::default()
        }),
    }
}

/// Marks `span` as kept by `info`.
pub(super) fn annotate(span: &mut StoredSpan, info: &KeptInfo) {
    if let Some(policy) = &info.policy {
        set(
            &mut span.attributes,
            SAMPLING_POLICY,
            Value::StringValue(policy.to_string()),
        );
    }
    if let Some(count) = info.adjusted_count {
        set(
            &mut span.attributes,
            ADJUSTED_COUNT,
            Value::DoubleValue(count),
        );
    }
    let state = TraceState::parse([span.trace_state.as_str()]);
    let arrived = state.threshold();
    let wanted = info.change.apply(arrived);
    if wanted != arrived {
        span.trace_state = state.with_threshold(wanted).to_string();
    }
}

#[cfg(test)]
mod tests {
    use sampler::Threshold;
    use sampler::tail::ThresholdChange;

    use super::*;
    use crate::test_support::stored;

    fn attr<'a>(span: &'a StoredSpan, key: &str) -> Option<&'a Value> {
        span.attributes
            .iter()
            .find(|kv| kv.key == key)?
            .value
            .as_ref()?
            .value
            .as_ref()
    }

    #[test]
    fn probabilistic_keeps_raise_th_and_unknown_erases_it() {
        let mut span = stored(1, 1, None, "svc", "op");
        span.trace_state = "ot=th:8,vendor=x".into();
        let raise = KeptInfo {
            policy: Some("ten-percent".into()),
            change: ThresholdChange::Raise(Threshold::parse_th("c").unwrap()),
            adjusted_count: Some(4.0),
        };
        annotate(&mut span, &raise);
        assert_eq!(span.trace_state, "ot=th:c,vendor=x");
        assert_eq!(
            attr(&span, SAMPLING_POLICY),
            Some(&Value::StringValue("ten-percent".into()))
        );
        assert_eq!(attr(&span, ADJUSTED_COUNT), Some(&Value::DoubleValue(4.0)));

        let unknown = KeptInfo {
            policy: Some("rate".into()),
            change: ThresholdChange::Unknown,
            adjusted_count: None,
        };
        annotate(&mut span, &unknown);
        assert_eq!(span.trace_state, "vendor=x");
        assert_eq!(
            attr(&span, SAMPLING_POLICY),
            Some(&Value::StringValue("rate".into()))
        );
    }
}
