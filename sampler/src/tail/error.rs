//! Why a tail policy document was rejected. Every variant names the policy it is about, as a
//! path from the top (`composite-1/errors`), so the one line a user sees points at the entry.

/// A tail policy document that cannot become a [`super::TailPolicySet`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TailConfigError {
    /// A top-level setting is out of range.
    #[error("tail sampling `{setting}`: {reason}")]
    Setting {
        /// The setting, e.g. `decision_wait`.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A policy that must be named (top-level, composite sub-policy) has no name.
    #[error("{at}: policy has no `name`")]
    MissingName {
        /// Where the entry is, e.g. `policies[2]`.
        at: String,
    },
    /// Two policies in one list share a name.
    #[error("duplicate policy name {name:?}")]
    DuplicateName {
        /// The repeated name (as a path).
        name: String,
    },
    /// `type` names no policy type we know.
    #[error("policy {policy:?}: unknown policy type {kind:?} (expected one of {expected})")]
    UnknownType {
        /// The policy.
        policy: String,
        /// The type given.
        kind: String,
        /// The types accepted, comma separated.
        expected: String,
    },
    /// The block named after the policy's type is missing.
    #[error("policy {policy:?}: type {kind} needs a `{kind}` block")]
    MissingBlock {
        /// The policy.
        policy: String,
        /// Its type, which is also the block's key.
        kind: &'static str,
    },
    /// A block for another type is present (the OpenTelemetry Collector would silently ignore
    /// it, which hides typos such as a `string_attribute` block on a `boolean_attribute`).
    #[error("policy {policy:?}: type {kind} does not take a `{block}` block")]
    StrayBlock {
        /// The policy.
        policy: String,
        /// Its type.
        kind: &'static str,
        /// The block that does not belong.
        block: &'static str,
    },
    /// A type used where it cannot be (`drop` and `composite` below the top level).
    #[error("policy {policy:?}: type {kind} is only allowed at the top level")]
    Misplaced {
        /// The policy.
        policy: String,
        /// Its type.
        kind: &'static str,
    },
    /// A `string_attribute` value that is not a valid regular expression.
    #[error("policy {policy:?}: invalid regex {pattern:?}: {reason}")]
    Regex {
        /// The policy.
        policy: String,
        /// The pattern as written.
        pattern: String,
        /// The regex compiler's explanation.
        reason: String,
    },
    /// A field is out of range or inconsistent with another.
    #[error("policy {policy:?}: `{field}` {reason}")]
    Field {
        /// The policy.
        policy: String,
        /// The field, e.g. `latency.upper_threshold_ms`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}
