//! From one [`PolicyConfig`] to one [`Policy`]: the type must be known, its block present,
//! no other type's block present, and `drop`/`composite` only at the top level.

use super::{compound, leaf};
use crate::tail::config::PolicyConfig;
use crate::tail::error::TailConfigError;
use crate::tail::policy::Policy;

/// Every policy type we accept, as written in `type`.
const KINDS: &[&str] = &[
    "always_sample",
    "latency",
    "numeric_attribute",
    "probabilistic",
    "status_code",
    "string_attribute",
    "boolean_attribute",
    "trace_state",
    "rate_limiting",
    "bytes_limiting",
    "span_count",
    "and",
    "not",
    "drop",
    "composite",
];

/// Where a policy sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    /// In `policies`.
    Top,
    /// Inside `and`, `not`, `drop` or `composite`.
    Nested,
}

/// The block for `kind`, or the error naming it as missing.
pub(super) fn need<'a, B>(
    block: &'a Option<B>,
    path: &str,
    kind: &'static str,
) -> Result<&'a B, TailConfigError> {
    block.as_ref().ok_or_else(|| TailConfigError::MissingBlock {
        policy: path.to_owned(),
        kind,
    })
}

/// The path of sub-policy `index` of list `list` under `parent`: by name when it has one.
pub(super) fn child_path(parent: &str, cfg: &PolicyConfig, list: &str, index: usize) -> String {
    if cfg.name.is_empty() {
        format!("{parent}/{list}[{index}]")
    } else {
        format!("{parent}/{}", cfg.name)
    }
}

/// Validates and builds the policy at `path`.
pub(super) fn build(
    cfg: &PolicyConfig,
    path: &str,
    level: Level,
) -> Result<Policy, TailConfigError> {
    let Some(&kind) = KINDS.iter().find(|k| **k == cfg.kind) else {
        return Err(TailConfigError::UnknownType {
            policy: path.to_owned(),
            kind: cfg.kind.clone(),
            expected: KINDS.join(", "),
        });
    };
    if let Some(block) = cfg.blocks().find(|b| *b != kind) {
        return Err(TailConfigError::StrayBlock {
            policy: path.to_owned(),
            kind,
            block,
        });
    }
    if level == Level::Nested && matches!(kind, "drop" | "composite") {
        return Err(TailConfigError::Misplaced {
            policy: path.to_owned(),
            kind,
        });
    }
    match kind {
        "always_sample" => Ok(Policy::AlwaysSample),
        "latency" => leaf::latency(need(&cfg.latency, path, kind)?, path),
        "numeric_attribute" => leaf::numeric(need(&cfg.numeric_attribute, path, kind)?, path),
        "probabilistic" => leaf::probabilistic(need(&cfg.probabilistic, path, kind)?, path),
        "status_code" => leaf::status_code(need(&cfg.status_code, path, kind)?, path),
        "string_attribute" => leaf::string(need(&cfg.string_attribute, path, kind)?, path),
        "boolean_attribute" => leaf::boolean(need(&cfg.boolean_attribute, path, kind)?, path),
        "trace_state" => leaf::trace_state(need(&cfg.trace_state, path, kind)?, path),
        "rate_limiting" => leaf::rate_limiting(need(&cfg.rate_limiting, path, kind)?, path),
        "bytes_limiting" => leaf::bytes_limiting(need(&cfg.bytes_limiting, path, kind)?, path),
        "span_count" => leaf::span_count(need(&cfg.span_count, path, kind)?, path),
        "and" => compound::and(need(&cfg.and, path, kind)?, path),
        "not" => compound::not(need(&cfg.not, path, kind)?, path),
        "drop" => compound::drop(need(&cfg.drop, path, kind)?, path),
        // "composite", the last of KINDS.
        _ => compound::composite(need(&cfg.composite, path, kind)?, path),
    }
}
