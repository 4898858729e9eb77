//! Finds a document's pod template and adds the init container, the sidecar and the status
//! annotation to it.

use serde_yaml_ng::{Mapping, Value};

use super::containers::{init_container, proxy_container};
use super::options::{
    DEFAULT_APP_PORT, INIT_CONTAINER, INJECT_ANNOTATION, InjectOptions, PROXY_CONTAINER,
    STATUS_ANNOTATION, STATUS_INJECTED,
};

/// Labels that name the service, most specific first; the workload's name comes after them.
pub const SERVICE_LABELS: [&str; 2] = ["app.kubernetes.io/name", "app"];

/// What happened to one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The sidecar was added.
    Injected,
    /// Not a workload kind the injector knows (Service, ConfigMap, List, a CRD...).
    NotAWorkload,
    /// The workload carries `meshtrace.io/inject: "false"`.
    OptedOut,
    /// The pod template already has the meshtrace containers.
    AlreadyInjected,
}

/// Why a workload could not be injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    /// A field the workload must have is missing or has the wrong type.
    #[error("{kind} `{name}`: `{field}` is missing or not a {expected}")]
    Malformed {
        /// The workload's kind.
        kind: String,
        /// The workload's name (empty when it has none).
        name: String,
        /// Dotted path of the field.
        field: String,
        /// `mapping` or `sequence`.
        expected: &'static str,
    },
    /// No label, name or generateName to call the service by.
    #[error("{kind} has no `app.kubernetes.io/name` or `app` label and no metadata.name")]
    NoServiceName {
        /// The workload's kind.
        kind: String,
    },
}

/// Where the pod (metadata + spec) sits inside a document of this apiVersion and kind.
fn pod_path(api_version: &str, kind: &str) -> Option<&'static [&'static str]> {
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    match (group, kind) {
        ("", "Pod") => Some(&[]),
        ("apps" | "extensions", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("batch", "Job") => Some(&["spec", "template"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template"]),
        _ => None,
    }
}

/// Adds the sidecar to `document` if it is a workload that wants one.
pub fn inject_document(
    document: &mut Value,
    options: &InjectOptions,
) -> Result<Outcome, WorkloadError> {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let kind = text(document, "kind");
    let Some(path) = pod_path(&text(document, "apiVersion"), &kind) else {
        return Ok(Outcome::NotAWorkload);
    };
    let workload_meta = document.get("metadata").cloned().unwrap_or(Value::Null);
    let name = text(&workload_meta, "name");
    let malformed = |field: &str, expected| WorkloadError::Malformed {
        kind: kind.clone(),
        name: name.clone(),
        field: field.to_owned(),
        expected,
    };
    let mut pod = &mut *document;
    for key in path {
        pod = pod
            .get_mut(*key)
            .filter(|v| v.is_mapping())
            .ok_or_else(|| malformed(&path.join("."), "mapping"))?;
    }
    if opted_out(&workload_meta) || opted_out(pod.get("metadata").unwrap_or(&Value::Null)) {
        return Ok(Outcome::OptedOut);
    }
    let service = service_name(pod, &workload_meta)
        .ok_or(WorkloadError::NoServiceName { kind: kind.clone() })?;
    let spec = pod
        .get_mut("spec")
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| malformed("spec", "mapping"))?;
    if has_container(spec, "initContainers", INIT_CONTAINER)
        || has_container(spec, "containers", PROXY_CONTAINER)
    {
        return Ok(Outcome::AlreadyInjected);
    }
    let app_port = options
        .app_port
        .or_else(|| first_container_port(spec))
        .unwrap_or(DEFAULT_APP_PORT);
    // Appended after the workload's own init containers, so those still run with the
    // network as it was (Istio's istio-init has the same caveat the other way round).
    sequence(spec, "initContainers")
        .ok_or_else(|| malformed("spec.initContainers", "sequence"))?
        .push(to_value(&init_container(options)));
    sequence(spec, "containers")
        .ok_or_else(|| malformed("spec.containers", "sequence"))?
        .push(to_value(&proxy_container(options, &service, app_port)));
    let annotations = pod_mapping(pod, "metadata")
        .and_then(|meta| child_mapping(meta, "annotations"))
        .ok_or_else(|| malformed("metadata.annotations", "mapping"))?;
    annotations.insert(STATUS_ANNOTATION.into(), STATUS_INJECTED.into());
    Ok(Outcome::Injected)
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    // Serialising plain structs of strings, numbers and vectors into a Value cannot fail.
    serde_yaml_ng::to_value(value).unwrap_or(Value::Null)
}

fn opted_out(meta: &Value) -> bool {
    let value = meta
        .get("annotations")
        .and_then(|a| a.get(INJECT_ANNOTATION));
    matches!(value, Some(Value::Bool(false)))
        || value
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("false"))
}

fn service_name(pod: &Value, workload_meta: &Value) -> Option<String> {
    let labels = pod.get("metadata").and_then(|m| m.get("labels"));
    let from_labels = SERVICE_LABELS
        .iter()
        .find_map(|key| labels.and_then(|l| l.get(*key)).and_then(Value::as_str));
    let from_meta = || {
        let name = workload_meta.get("name").and_then(Value::as_str);
        name.or_else(|| {
            let prefix = workload_meta.get("generateName").and_then(Value::as_str)?;
            Some(prefix.trim_end_matches('-'))
        })
    };
    from_labels
        .or_else(from_meta)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn has_container(spec: &Mapping, list: &str, name: &str) -> bool {
    spec.get(list)
        .and_then(Value::as_sequence)
        .is_some_and(|items| {
            items
                .iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(name))
        })
}

fn first_container_port(spec: &Mapping) -> Option<u16> {
    let containers = spec.get("containers")?.as_sequence()?;
    containers
        .iter()
        .filter_map(|c| c.get("ports")?.as_sequence())
        .flatten()
        .find_map(|p| p.get("containerPort")?.as_u64())
        .and_then(|port| u16::try_from(port).ok())
}

/// The sequence at `key`, created empty when absent (or null); `None` if it is not one.
fn sequence<'a>(spec: &'a mut Mapping, key: &str) -> Option<&'a mut Vec<Value>> {
    let entry = spec.entry(key.into()).or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::Sequence(Vec::new());
    }
    entry.as_sequence_mut()
}

fn pod_mapping<'a>(pod: &'a mut Value, key: &str) -> Option<&'a mut Mapping> {
    child_mapping(pod.as_mapping_mut()?, key)
}

/// The mapping at `key`, created empty when absent (or null); `None` if it is not one.
fn child_mapping<'a>(parent: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    let entry = parent.entry(key.into()).or_insert(Value::Null);
    if entry.is_null() {
        *entry = Value::Mapping(Mapping::new());
    }
    entry.as_mapping_mut()
}
