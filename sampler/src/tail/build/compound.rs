//! Validation of the policies made of other policies. The Collector accepts an empty `and`
//! or `drop` list (which then samples, or drops, every trace) and a `rate_allocation` naming
//! no sub-policy; we reject both, naming the policy.

use std::collections::HashSet;
use std::sync::Arc;

use super::dispatch::{Level, build, child_path};
use crate::tail::composite::{Composite, CompositeSub};
use crate::tail::config::{AndConfig, CompositeConfig, DropConfig, NotConfig, PolicyConfig};
use crate::tail::error::TailConfigError;
use crate::tail::policy::Policy;

fn field(path: &str, field: &'static str, reason: impl Into<String>) -> TailConfigError {
    TailConfigError::Field {
        policy: path.to_owned(),
        field,
        reason: reason.into(),
    }
}

/// Builds a non-empty list of nested policies.
fn list(
    subs: &[PolicyConfig],
    path: &str,
    name: &'static str,
) -> Result<Vec<Policy>, TailConfigError> {
    if subs.is_empty() {
        return Err(field(path, name, "must not be empty"));
    }
    let key = name.rsplit('.').next().unwrap_or(name);
    subs.iter()
        .enumerate()
        .map(|(i, sub)| build(sub, &child_path(path, sub, key, i), Level::Nested))
        .collect()
}

pub(super) fn and(cfg: &AndConfig, path: &str) -> Result<Policy, TailConfigError> {
    list(&cfg.and_sub_policy, path, "and.and_sub_policy").map(Policy::And)
}

pub(super) fn drop(cfg: &DropConfig, path: &str) -> Result<Policy, TailConfigError> {
    list(&cfg.drop_sub_policy, path, "drop.drop_sub_policy").map(Policy::Drop)
}

pub(super) fn not(cfg: &NotConfig, path: &str) -> Result<Policy, TailConfigError> {
    let sub = &cfg.not_sub_policy;
    let inner = build(
        sub,
        &child_path(path, sub, "not_sub_policy", 0),
        Level::Nested,
    )?;
    Ok(Policy::Not(Box::new(inner)))
}

/// Each sub-policy's reserved share, by index in `composite_sub_policy`.
fn shares(cfg: &CompositeConfig, path: &str) -> Result<Vec<u64>, TailConfigError> {
    const NAME: &str = "composite.rate_allocation";
    let subs = &cfg.composite_sub_policy;
    let total = cfg.max_total_spans_per_second;
    let mut shares = vec![0u64; subs.len()];
    let mut seen = HashSet::new();
    let mut percent_sum = 0u32;
    for alloc in &cfg.rate_allocation {
        let Some(index) = subs.iter().position(|s| s.name == alloc.policy) else {
            let reason = format!(
                "names {:?}, which is not a composite_sub_policy",
                alloc.policy
            );
            return Err(field(path, NAME, reason));
        };
        if !seen.insert(index) {
            let reason = format!("lists {:?} more than once", alloc.policy);
            return Err(field(path, NAME, reason));
        }
        percent_sum = percent_sum.saturating_add(alloc.percent);
        if percent_sum > 100 {
            return Err(field(path, NAME, "percentages add up to more than 100"));
        }
        let share = if alloc.percent == 0 {
            // The Collector's default for an entry without a percentage: an equal share.
            total / subs.len() as u64
        } else {
            // percent <= 100, so this is at most `total`.
            (u128::from(total) * u128::from(alloc.percent) / 100) as u64
        };
        if let Some(slot) = shares.get_mut(index) {
            *slot = share;
        }
    }
    Ok(shares)
}

/// Indices of the sub-policies in evaluation order: `policy_order`, then the rest.
fn order(cfg: &CompositeConfig, path: &str) -> Result<Vec<usize>, TailConfigError> {
    const NAME: &str = "composite.policy_order";
    let subs = &cfg.composite_sub_policy;
    let mut order = Vec::with_capacity(subs.len());
    for name in &cfg.policy_order {
        let Some(index) = subs.iter().position(|s| &s.name == name) else {
            let reason = format!("names {name:?}, which is not a composite_sub_policy");
            return Err(field(path, NAME, reason));
        };
        if order.contains(&index) {
            return Err(field(path, NAME, format!("lists {name:?} more than once")));
        }
        order.push(index);
    }
    let unlisted = subs.iter().enumerate();
    let unlisted = unlisted.filter(|(_, s)| !cfg.policy_order.contains(&s.name));
    order.extend(unlisted.map(|(i, _)| i));
    Ok(order)
}

pub(super) fn composite(cfg: &CompositeConfig, path: &str) -> Result<Policy, TailConfigError> {
    if cfg.max_total_spans_per_second == 0 {
        let name = "composite.max_total_spans_per_second";
        return Err(field(path, name, "must be above zero"));
    }
    let subs = &cfg.composite_sub_policy;
    if subs.is_empty() {
        return Err(field(
            path,
            "composite.composite_sub_policy",
            "must not be empty",
        ));
    }
    let mut names = HashSet::new();
    for (i, sub) in subs.iter().enumerate() {
        if sub.name.is_empty() {
            let at = format!("{path}/composite_sub_policy[{i}]");
            return Err(TailConfigError::MissingName { at });
        }
        if !names.insert(sub.name.as_str()) {
            let name = format!("{path}/{}", sub.name);
            return Err(TailConfigError::DuplicateName { name });
        }
    }
    let shares = shares(cfg, path)?;
    let mut built = Vec::with_capacity(subs.len());
    for index in order(cfg, path)? {
        let (Some(sub), Some(&share)) = (subs.get(index), shares.get(index)) else {
            continue;
        };
        let policy = build(sub, &format!("{path}/{}", sub.name), Level::Nested)?;
        built.push(CompositeSub {
            name: Arc::from(sub.name.as_str()),
            policy,
            share,
        });
    }
    Ok(Policy::Composite(Composite::new(
        cfg.max_total_spans_per_second,
        built,
    )))
}
