//! Starts the demo's workloads, each behind its own sidecar, bottom-up so every caller knows
//! where its callees' sidecars listen.

use std::net::SocketAddr;

use proxy_integration::{RunningSidecar, SidecarConfig};
use tokio::net::TcpListener;

use super::DemoError;
use super::apps::{self, App};

/// The running workloads and their sidecars.
pub struct Mesh {
    /// productpage's sidecar inbound address: where the load goes.
    pub entry: SocketAddr,
    sidecars: Vec<RunningSidecar>,
    /// The collector's OTLP/gRPC address.
    collector: SocketAddr,
    /// The collector's `--http` address, where sidecars long-poll for strategies.
    control: SocketAddr,
}

const LOOPBACK: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

impl Mesh {
    /// Starts ratings, details, reviews v1..v3 and productpage, exporting to `collector`.
    pub async fn start(collector: SocketAddr, control: SocketAddr) -> Result<Self, DemoError> {
        let mut mesh = Mesh {
            entry: LOOPBACK,
            sidecars: Vec::new(),
            collector,
            control,
        };
        let ratings = mesh.add("ratings", None, App::Ratings).await?;
        let details = mesh.add("details", None, App::Details).await?;
        let mut reviews = Vec::new();
        for (version, calls_ratings) in [("v1", false), ("v2", true), ("v3", true)] {
            let app = App::Reviews {
                version,
                ratings: calls_ratings.then_some(ratings),
            };
            reviews.push(mesh.add("reviews", Some(version), app).await?);
        }
        let app = App::ProductPage { details, reviews };
        mesh.entry = mesh.add("productpage", None, app).await?;
        Ok(mesh)
    }

    /// Starts one workload and its sidecar; returns the sidecar's inbound address.
    async fn add(
        &mut self,
        service: &'static str,
        version: Option<&'static str>,
        app: App,
    ) -> Result<SocketAddr, DemoError> {
        let listener = TcpListener::bind(LOOPBACK)
            .await
            .map_err(|e| DemoError::App(service, e))?;
        let app_addr = listener
            .local_addr()
            .map_err(|e| DemoError::App(service, e))?;
        let config = SidecarConfig {
            inbound: LOOPBACK,
            outbound: LOOPBACK,
            admin: LOOPBACK,
            health: LOOPBACK,
            metrics: LOOPBACK,
            collector: format!("grpc://{}", self.collector),
            control: Some(format!("http://{}", self.control)),
            resource: version
                .map(|v| ("service.version".to_owned(), v.to_owned()))
                .into_iter()
                .collect(),
            ..SidecarConfig::new(service, app_addr)
        };
        let sidecar = proxy_integration::start(config).await?;
        apps::spawn(app, listener, sidecar.outbound);
        let inbound = sidecar.inbound;
        self.sidecars.push(sidecar);
        Ok(inbound)
    }

    /// Stops every sidecar, sending the spans they still hold.
    pub async fn shutdown(self) {
        for sidecar in self.sidecars {
            sidecar.shutdown().await;
        }
    }
}
