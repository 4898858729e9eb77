//! What the injector adds, and the names it uses to recognise its own work.

/// Image of both injected containers: the `meshtrace` binary (with `iptables` installed).
pub const DEFAULT_IMAGE: &str = "ghcr.io/meshtrace/meshtrace:0.1.0";
/// The collector's OTLP/gRPC address as seen from a pod: the `meshtrace-collector` Service
/// in the `meshtrace-system` namespace.
pub const DEFAULT_COLLECTOR: &str = "grpc://meshtrace-collector.meshtrace-system:4317";
/// The app port used when neither `--app-port` nor any `containerPort` names one.
pub const DEFAULT_APP_PORT: u16 = 8080;
/// Name of the injected init container.
pub const INIT_CONTAINER: &str = "meshtrace-init";
/// Name of the injected sidecar container.
pub const PROXY_CONTAINER: &str = "meshtrace-proxy";
/// Annotation that opts a workload out when set to `"false"`.
pub const INJECT_ANNOTATION: &str = "meshtrace.io/inject";
/// Annotation the injector adds to every pod template it changes.
pub const STATUS_ANNOTATION: &str = "meshtrace.io/status";
/// Value of [`STATUS_ANNOTATION`].
pub const STATUS_INJECTED: &str = "injected";

/// The injector's settings (the flags of `meshtrace inject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectOptions {
    /// Image of the init and sidecar containers.
    pub image: String,
    /// The collector's OTLP/gRPC address, passed to each sidecar's `--collector`.
    pub collector: String,
    /// The app's port behind the sidecar; `None` = the pod's first `containerPort`.
    pub app_port: Option<u16>,
}

impl Default for InjectOptions {
    fn default() -> Self {
        InjectOptions {
            image: DEFAULT_IMAGE.to_owned(),
            collector: DEFAULT_COLLECTOR.to_owned(),
            app_port: None,
        }
    }
}
