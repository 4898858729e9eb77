//! Envoy `x-request-id` compatibility mode: the decision Envoy's HTTP connection manager
//! derives from the request id, so a mesh mixing Envoy and meshtrace sidecars agrees on which
//! requests are traced.
//!
//! The rule, from Envoy `source/common/http/conn_manager_utility.cc`
//! (`mutateTracingRequestHeader`) and `source/extensions/request_id/uuid/config.{h,cc}`:
//! 1. A 36-character UUID whose character at index 14 (the UUID version digit) is `9`
//!    (sampled), `a` (service forced) or `b` (client forced) is already traced. Envoy only
//!    keeps an incoming `x-request-id` on internal requests, so here it counts only when the
//!    request is trusted.
//! 2. Otherwise the first 8 characters are read as a hex number `v` (`toInteger`), and the
//!    request is traced iff `v % 10000 < round(p * 10000)`: `random_sampling` is a percentage
//!    in 0.01% steps (`FractionalPercent` over `TEN_THOUSAND`).
//! 3. No request id, or one whose first 8 characters are not hex: not traced.
//!
//! This is not the consistent `R >= T` rule, so no `th` is written (adjusted count unknown).

use super::{HeadDecision, InvalidProbability, SamplerKind, SamplingInput};

/// Envoy's UUID length.
const UUID_LEN: usize = 36;
/// Where Envoy packs the trace reason into the UUID.
const TRACE_BYTE_POSITION: usize = 14;
/// Envoy's `random_sampling` denominator.
const DENOMINATOR: u64 = 10_000;

/// Samples like Envoy's `random_sampling` at probability `p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnvoyRequestId {
    probability: f64,
    numerator: u64,
}

impl EnvoyRequestId {
    /// Traces a fraction `probability` of request ids, in Envoy's 0.01% steps.
    pub fn new(probability: f64) -> Result<Self, InvalidProbability> {
        if !(0.0..=1.0).contains(&probability) {
            return Err(InvalidProbability(probability));
        }
        // In 0..=10000 after the range check, so the cast is exact.
        let numerator = (probability * DENOMINATOR as f64).round() as u64;
        Ok(Self {
            probability,
            numerator,
        })
    }

    /// Whether the request id already carries Envoy's traced mark (`9`, `a` or `b`).
    pub fn marked_traced(request_id: &str) -> bool {
        request_id.len() == UUID_LEN
            && matches!(
                request_id.as_bytes().get(TRACE_BYTE_POSITION),
                Some(b'9' | b'a' | b'b')
            )
    }

    /// Envoy's `toInteger(x-request-id) % 10000`, when the id has 8 leading hex digits.
    pub fn bucket(request_id: &str) -> Option<u64> {
        let head = request_id.get(..8)?;
        if !head.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(head, 16).ok().map(|v| v % DENOMINATOR)
    }

    /// Decides a root (or deferred) trace from the request id.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        let request = &input.request;
        let id = request.request_id.unwrap_or_default();
        if request.trusted && Self::marked_traced(id) {
            return HeadDecision::root(true, None, SamplerKind::Forced, 1.0);
        }
        let kept = Self::bucket(id).is_some_and(|b| b < self.numerator);
        HeadDecision::root(kept, None, SamplerKind::Probabilistic, self.probability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::head::RequestInfo;
    use crate::{SamplingState, TraceId};

    /// (x-request-id, trusted, traced at p = 0.25)
    #[rustfmt::skip]
    const VECTORS: &[(&str, bool, bool)] = &[
        // 0x00000000 % 10000 = 0 < 2500
        ("00000000-0000-4000-8000-000000000000", false, true),
        // 0x000009c3 = 2499 -> kept; 0x000009c4 = 2500 -> not
        ("000009c3-1111-4111-8111-111111111111", false, true),
        ("000009c4-1111-4111-8111-111111111111", false, false),
        // 0xffffffff = 4294967295, % 10000 = 7295 -> not
        ("ffffffff-1111-4111-8111-111111111111", false, false),
        ("FFFFFFFF-1111-4111-8111-111111111111", false, false),
        // 0x0001d4c0 = 120000, % 10000 = 0 -> kept
        ("0001d4c0-2222-4222-8222-222222222222", false, true),
        // traced marks count only when trusted
        ("ffffffff-1111-9111-8111-111111111111", true, true),
        ("ffffffff-1111-a111-8111-111111111111", true, true),
        ("ffffffff-1111-b111-8111-111111111111", true, true),
        ("ffffffff-1111-9111-8111-111111111111", false, false),
        ("ffffffff-1111-4111-8111-111111111111", true, false),
        // not hex, too short, absent
        ("zzzzzzzz-1111-4111-8111-111111111111", false, false),
        ("0000", false, false),
        ("", false, false),
    ];

    #[test]
    fn envoy_request_id_vectors() {
        let sampler = EnvoyRequestId::new(0.25).unwrap();
        let trace = TraceId::from_bytes([1; 16]).unwrap();
        for &(id, trusted, traced) in VECTORS {
            let request = RequestInfo {
                request_id: Some(id),
                trusted,
                ..RequestInfo::default()
            };
            let d = sampler.decide(&SamplingInput::new(trace, None).with_request(request));
            assert_eq!(
                d.sampling == SamplingState::Sampled,
                traced,
                "{id} trusted={trusted}"
            );
            assert_eq!(d.threshold, None);
        }
    }

    #[test]
    fn steps_of_one_hundredth_percent() {
        assert_eq!(EnvoyRequestId::new(0.0001).unwrap().numerator, 1);
        assert_eq!(EnvoyRequestId::new(1.0).unwrap().numerator, 10_000);
        assert!(EnvoyRequestId::new(1.1).is_err());
    }
}
