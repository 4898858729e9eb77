//! Approximate memory cost of a stored span, for the store's byte bound.
//!
//! Counts the span's own heap data (name, trace state, attributes, events, status message)
//! plus a fixed allowance for the struct, its `Arc` and its index entries. The resource is
//! shared by every span of its batch, so only its pointer is counted. The figure is an
//! estimate that errs on the high side; it is not the allocator's view.

use std::mem::size_of;

use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};

use super::{SpanEvent, StoredSpan};

/// Fixed cost per span: the struct, the `Arc` counts, and its entries in the trace map and
/// the service, operation and duration indexes (a B-tree entry is about a key, a pointer
/// and node overhead).
const SPAN_OVERHEAD: usize = size_of::<StoredSpan>() + 2 * size_of::<usize>() + 4 * 48;

/// Approximate bytes one span holds in the store.
pub fn approximate_size(span: &StoredSpan) -> usize {
    SPAN_OVERHEAD
        + span.name.len()
        + span.trace_state.len()
        + span.status.message.len()
        + list_size(&span.attributes)
        + span.events.iter().map(event_size).sum::<usize>()
}

fn event_size(event: &SpanEvent) -> usize {
    size_of::<SpanEvent>() + event.name.len() + list_size(&event.attributes)
}

fn list_size(list: &[KeyValue]) -> usize {
    list.iter()
        .map(|kv| size_of::<KeyValue>() + kv.key.len() + value_size(kv.value.as_ref()))
        .sum()
}

fn value_size(value: Option<&AnyValue>) -> usize {
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => s.len(),
        Some(Value::BytesValue(bytes)) => bytes.len(),
        Some(Value::ArrayValue(array)) => array
            .values
            .iter()
            .map(|v| size_of::<AnyValue>() + value_size(Some(v)))
            .sum(),
        Some(Value::KvlistValue(list)) => list_size(&list.values),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{kv_str, stored};

    #[test]
    fn grows_with_content() {
        let bare = stored(1, 1, None, "svc", "op");
        let base = approximate_size(&bare);
        assert!(base >= SPAN_OVERHEAD + 2, "{base}");
        let mut rich = bare.clone();
        rich.attributes.push(kv_str("http.url", &"x".repeat(1000)));
        rich.events.push(SpanEvent {
            time_unix_nano: 0,
            name: "e".repeat(100),
            attributes: Vec::new(),
        });
        let grown = approximate_size(&rich) - base;
        assert!((1100..1400).contains(&grown), "{grown}");
    }
}
