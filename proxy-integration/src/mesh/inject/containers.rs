//! The two injected containers as typed values (the subset of the Kubernetes `Container`
//! schema they use), serialised into the manifest by `workload`.

use serde::Serialize;

use super::options::{INIT_CONTAINER, InjectOptions, PROXY_CONTAINER};
use crate::mesh::iptables::options::{
    DEFAULT_EXCLUDE_INBOUND_PORTS, DEFAULT_INBOUND_CAPTURE_PORT, DEFAULT_PROXY_PORT,
    DEFAULT_PROXY_UID,
};

/// Readiness port of the sidecar (`--health`), Istio's status port.
pub const HEALTH_PORT: u16 = 15021;
/// Prometheus port of the sidecar, Istio's `http-envoy-prom`.
pub const METRICS_PORT: u16 = 15090;

/// A Kubernetes container, as much of it as the injector writes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Arguments to the image's entrypoint (`meshtrace`).
    pub args: Vec<String>,
    /// Declared ports.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    /// Environment.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    /// Readiness probe.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    /// Resource requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    /// Who the container runs as and with which capabilities.
    pub security_context: SecurityContext,
}

/// A declared container port.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    /// Port name (IANA service name rules: at most 15 characters).
    pub name: &'static str,
    /// Port number.
    pub container_port: u16,
    /// Always `TCP`.
    pub protocol: &'static str,
}

/// An environment variable filled from the downward API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    /// Variable name.
    pub name: &'static str,
    /// Where the value comes from.
    pub value_from: EnvSource,
}

/// `valueFrom` of an [`EnvVar`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvSource {
    /// The pod field read.
    pub field_ref: FieldRef,
}

/// `fieldRef` of an [`EnvSource`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// Path of the pod field, e.g. `metadata.name`.
    pub field_path: &'static str,
}

/// A readiness probe.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    /// The HTTP GET it sends.
    pub http_get: HttpGet,
    /// Seconds between probes.
    pub period_seconds: u32,
    /// Failures before the container is not ready.
    pub failure_threshold: u32,
}

/// `httpGet` of a [`Probe`].
#[derive(Debug, Clone, Serialize)]
pub struct HttpGet {
    /// Request path.
    pub path: &'static str,
    /// Port probed.
    pub port: u16,
}

/// Resource requests.
#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    /// What the scheduler reserves.
    pub requests: Requests,
}

/// CPU and memory requested.
#[derive(Debug, Clone, Serialize)]
pub struct Requests {
    /// CPU quantity, e.g. `10m`.
    pub cpu: &'static str,
    /// Memory quantity, e.g. `40Mi`.
    pub memory: &'static str,
}

/// A container security context.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    /// Uid the container runs as.
    pub run_as_user: u32,
    /// Gid the container runs as.
    pub run_as_group: u32,
    /// Whether Kubernetes must refuse to run it as root.
    pub run_as_non_root: bool,
    /// Never true: neither container needs setuid.
    pub allow_privilege_escalation: bool,
    /// Capabilities added and dropped.
    pub capabilities: Capabilities,
}

/// Linux capabilities of a [`SecurityContext`].
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    /// Capabilities added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<&'static str>,
    /// Capabilities dropped.
    pub drop: Vec<&'static str>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The init container: runs `meshtrace iptables` as root with just the capabilities
/// iptables needs (Istio's `istio-init` does the same).
pub fn init_container(options: &InjectOptions) -> Container {
    let proxy_port = DEFAULT_PROXY_PORT.to_string();
    let capture_port = DEFAULT_INBOUND_CAPTURE_PORT.to_string();
    let uid = DEFAULT_PROXY_UID.to_string();
    Container {
        name: INIT_CONTAINER.to_owned(),
        image: options.image.clone(),
        args: strings(&[
            "iptables",
            "--proxy-port",
            &proxy_port,
            "--inbound-capture-port",
            &capture_port,
            "--proxy-uid",
            &uid,
            "--inbound-ports",
            "*",
            "--exclude-inbound-ports",
            DEFAULT_EXCLUDE_INBOUND_PORTS,
        ]),
        ports: Vec::new(),
        env: Vec::new(),
        readiness_probe: None,
        resources: None,
        security_context: SecurityContext {
            run_as_user: 0,
            run_as_group: 0,
            run_as_non_root: false,
            allow_privilege_escalation: false,
            capabilities: Capabilities {
                add: vec!["NET_ADMIN", "NET_RAW"],
                drop: vec!["ALL"],
            },
        },
    }
}

/// The sidecar: `meshtrace sidecar` for `service`, forwarding inbound traffic to the app on
/// `app_port`, running as the uid the capture rules exclude.
pub fn proxy_container(options: &InjectOptions, service: &str, app_port: u16) -> Container {
    let port = |name, container_port| ContainerPort {
        name,
        container_port,
        protocol: "TCP",
    };
    let env = |name, field_path| EnvVar {
        name,
        value_from: EnvSource {
            field_ref: FieldRef { field_path },
        },
    };
    Container {
        name: PROXY_CONTAINER.to_owned(),
        image: options.image.clone(),
        args: vec![
            "sidecar".to_owned(),
            "--service".to_owned(),
            service.to_owned(),
            "--app".to_owned(),
            format!("127.0.0.1:{app_port}"),
            "--collector".to_owned(),
            options.collector.clone(),
            // The init container's iptables rules send the pod's traffic here.
            "--transparent".to_owned(),
        ],
        ports: vec![
            port("inbound", DEFAULT_INBOUND_CAPTURE_PORT),
            port("outbound", DEFAULT_PROXY_PORT),
            port("http-envoy-prom", METRICS_PORT),
            port("status-port", HEALTH_PORT),
        ],
        env: vec![
            env("POD_NAME", "metadata.name"),
            env("POD_NAMESPACE", "metadata.namespace"),
            env("NODE_NAME", "spec.nodeName"),
        ],
        readiness_probe: Some(Probe {
            http_get: HttpGet {
                path: "/healthz/ready",
                port: HEALTH_PORT,
            },
            period_seconds: 2,
            failure_threshold: 30,
        }),
        resources: Some(Resources {
            requests: Requests {
                cpu: "10m",
                memory: "40Mi",
            },
        }),
        security_context: SecurityContext {
            run_as_user: DEFAULT_PROXY_UID,
            run_as_group: DEFAULT_PROXY_UID,
            run_as_non_root: true,
            allow_privilege_escalation: false,
            capabilities: Capabilities {
                add: Vec::new(),
                drop: vec!["ALL"],
            },
        },
    }
}
