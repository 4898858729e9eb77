//! The document as a whole: top-level settings, unique names, and the split of `drop`
//! policies (evaluated first) from the others.

use std::collections::HashSet;

use super::dispatch::{Level, build};
use crate::tail::config::TailPolicyDocument;
use crate::tail::error::TailConfigError;
use crate::tail::policy::Policy;
use crate::tail::set::{NamedPolicy, TailPolicySet, TailSettings};

fn check_settings(doc: &TailPolicyDocument) -> Result<(), TailConfigError> {
    let setting = |setting, reason: &str| TailConfigError::Setting {
        setting,
        reason: reason.to_owned(),
    };
    if doc.decision_wait.is_zero() {
        return Err(setting("decision_wait", "must be above zero"));
    }
    if doc.num_traces == 0 {
        return Err(setting("num_traces", "must be above zero"));
    }
    if doc
        .decision_wait_after_root_received
        .is_some_and(|d| d.is_zero())
    {
        return Err(setting(
            "decision_wait_after_root_received",
            "must be above zero",
        ));
    }
    if doc.maximum_trace_size_bytes == Some(0) {
        return Err(setting("maximum_trace_size_bytes", "must be above zero"));
    }
    Ok(())
}

impl TailPolicySet {
    /// Validates `document` whole and builds the set; nothing is built unless everything is
    /// valid, so a rejected document leaves the running set untouched.
    pub fn from_document(document: TailPolicyDocument) -> Result<Self, TailConfigError> {
        check_settings(&document)?;
        let mut names = HashSet::new();
        let mut drops = Vec::new();
        let mut policies = Vec::new();
        for (index, cfg) in document.policies.iter().enumerate() {
            if cfg.name.is_empty() {
                return Err(TailConfigError::MissingName {
                    at: format!("policies[{index}]"),
                });
            }
            if !names.insert(cfg.name.as_str()) {
                return Err(TailConfigError::DuplicateName {
                    name: cfg.name.clone(),
                });
            }
            let named = NamedPolicy::new(&cfg.name, build(cfg, &cfg.name, Level::Top)?);
            if matches!(named.policy, Policy::Drop(_)) {
                drops.push(named);
            } else {
                policies.push(named);
            }
        }
        Ok(Self {
            settings: TailSettings::from(&document),
            document,
            drops,
            policies,
        })
    }
}
