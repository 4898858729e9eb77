//! Exporters over TLS and with auth headers, and zstd on the receivers, as real processes:
//! `meshtrace collector` exports to a TLS OTLP/gRPC backend (tonic with rustls, client
//! certificate required) and a TLS OTLP/HTTP backend (hyper over tokio-rustls), both
//! certified by a CA made here with rcgen; a collector trusting another CA gives up and
//! counts the spans as failed. Then zstd bodies, good and corrupt, over both OTLP receivers.

// Test code: a failed unwrap is the test failing, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tonic::codec::CompressionEncoding;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

/// A CA and a certificate it signed, as PEM.
struct Pki {
    ca: String,
    server_cert: String,
    server_key: String,
    client_cert: String,
    client_key: String,
    server_der: (Vec<u8>, Vec<u8>),
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn make_pki(name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf = |sans: Vec<String>| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(sans)
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.der().to_vec(), key.serialize_der())
    };
    let (server_cert, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()]);
    let (client_cert, client_key) = leaf(vec!["meshtrace-collector".into()]);
    Pki {
        ca: pem("CERTIFICATE", ca.der()),
        server_cert: pem("CERTIFICATE", &server_cert),
        server_key: pem("PRIVATE KEY", &server_key),
        client_cert: pem("CERTIFICATE", &client_cert),
        client_key: pem("PRIVATE KEY", &client_key),
        server_der: (server_cert, server_key),
    }
}

/// What a backend saw: trace ids (first byte), `authorization` values, body encodings.
#[derive(Debug, Default)]
struct Seen {
    traces: BTreeSet<u8>,
    auth: BTreeSet<String>,
    encodings: BTreeSet<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn record(seen: &Shared, request: &ExportTraceServiceRequest, auth: Option<&str>, enc: &str) {
    let mut seen = seen.lock().unwrap();
    let spans = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans);
    seen.traces
        .extend(spans.filter_map(|s| s.trace_id.first().copied()));
    seen.auth.extend(auth.map(str::to_owned));
    seen.encodings.insert(enc.to_owned());
}

struct GrpcBackend(Shared);

#[tonic::async_trait]
impl TraceService for GrpcBackend {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let meta = |k| request.metadata().get(k).and_then(|v| v.to_str().ok());
        let (auth, enc) = (
            meta("authorization"),
            meta("grpc-encoding").unwrap_or("none"),
        );
        record(&self.0, request.get_ref(), auth, enc);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// An OTLP/gRPC backend; with `pki`, over TLS and requiring a client certificate from its
/// CA.
async fn grpc_backend(pki: Option<&Pki>) -> (SocketAddr, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Shared::default();
    let service = TraceServiceServer::new(GrpcBackend(Arc::clone(&seen)))
        .accept_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Zstd);
    let mut builder = Server::builder();
    if let Some(pki) = pki {
        let tls = ServerTlsConfig::new()
            .identity(Identity::from_pem(&pki.server_cert, &pki.server_key))
            .client_ca_root(Certificate::from_pem(&pki.ca));
        builder = builder.tls_config(tls).unwrap();
    }
    let server = builder
        .add_service(service)
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);
    (addr, seen)
}

/// An OTLP/HTTP backend over TLS (HTTP/1.1), gzip bodies.
async fn http_backend(pki: &Pki) -> (SocketAddr, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Shared::default();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let (cert, key) = pki.server_der.clone();
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let shared = Arc::clone(&seen);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, seen) = (acceptor.clone(), Arc::clone(&shared));
            tokio::spawn(async move {
                // A client that does not trust us ends the handshake: nothing to serve.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = service_fn(move |req| handle_http(req, Arc::clone(&seen)));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, seen)
}

async fn handle_http(
    request: http::Request<hyper::body::Incoming>,
    seen: Shared,
) -> Result<http::Response<Full<Bytes>>, std::convert::Infallible> {
    let header = |k| {
        request
            .headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (auth, enc) = (header("authorization"), header("content-encoding"));
    let body = request.into_body().collect().await.unwrap().to_bytes();
    let mut plain = Vec::new();
    match enc.as_deref() {
        Some("gzip") => {
            flate2::read::GzDecoder::new(body.as_ref())
                .read_to_end(&mut plain)
                .unwrap();
        }
        other => panic!("unexpected Content-Encoding {other:?}"),
    }
    let export = ExportTraceServiceRequest::decode(plain.as_slice()).unwrap();
    record(&seen, &export, auth.as_deref(), "gzip");
    let body = ExportTraceServiceResponse::default().encode_to_vec();
    Ok(http::Response::builder()
        .header("content-type", "application/x-protobuf")
        .body(Full::new(Bytes::from(body)))
        .unwrap())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meshtrace-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn send_to(collector: &support::Process, trace: u8) {
    let endpoint = format!("http://{}", collector.addrs["otlp-grpc"]);
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    client
        .export(support::otlp::request(trace, 3, None))
        .await
        .unwrap();
}

/// Waits (at most 15 s) until `done` holds for what `seen` recorded.
async fn until(seen: &Shared, what: &str, done: impl Fn(&Seen) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(&seen.lock().unwrap()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most 15 s) until the collector's `/metrics` has `series` with `value`.
async fn until_metric(collector: &support::Process, series: &str, value: f64) {
    let url = format!("http://{}/metrics", collector.addrs["http"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, _, body) = support::get(&url, &[]).await;
        let found = body
            .lines()
            .filter_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
            .any(|v| v == value);
        if found {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no `{series} {value}` in:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_over_tls_with_auth_headers_and_refuses_an_unknown_ca() {
    let pki = make_pki("meshtrace test CA");
    let other = make_pki("some other CA");
    let (grpc_addr, grpc_seen) = grpc_backend(Some(&pki)).await;
    let (http_addr, http_seen) = http_backend(&pki).await;
    let dir = temp_dir("export-tls");
    let ca = write(&dir, "ca.pem", &pki.ca);
    let wrong_ca = write(&dir, "other-ca.pem", &other.ca);
    let cert = write(&dir, "client.pem", &pki.client_cert);
    let key = write(&dir, "client.key", &pki.client_key);
    let grpc_url = format!("grpcs://127.0.0.1:{}", grpc_addr.port());
    let http_url = format!("https://127.0.0.1:{}", http_addr.port());
    let config = |ca: &Path| {
        format!(
            "exporters:
  - url: {grpc_url}
    headers: {{authorization: Bearer grpc-token}}
    compression: zstd
    tls: {{ca_file: {ca}, cert_file: {cert}, key_file: {key}}}
  - url: {http_url}
    headers: {{Authorization: Bearer http-token}}
    tls: {{ca_file: {ca}}}
",
            ca = ca.display(),
            cert = cert.display(),
            key = key.display(),
        )
    };

    let good = write(&dir, "good.yaml", &config(&ca));
    let front = support::collector(&["--config", good.to_str().unwrap()]);
    send_to(&front, 0xb1).await;
    until(&grpc_seen, "spans over grpcs", |s| s.traces.contains(&0xb1)).await;
    until(&http_seen, "spans over https", |s| s.traces.contains(&0xb1)).await;
    {
        let grpc = grpc_seen.lock().unwrap();
        assert_eq!(grpc.auth, BTreeSet::from(["Bearer grpc-token".to_owned()]));
        assert_eq!(grpc.encodings, BTreeSet::from(["zstd".to_owned()]));
        let http = http_seen.lock().unwrap();
        assert_eq!(http.auth, BTreeSet::from(["Bearer http-token".to_owned()]));
    }
    for url in [&grpc_url, &http_url] {
        let sent = format!("meshtrace_exporter_sent_spans_total{{exporter=\"{url}\"}}");
        until_metric(&front, &sent, 3.0).await;
    }

    // The same backends, but trusting another CA: nothing is sent, every span is failed at
    // once (a certificate that is not trusted now will not be on a retry).
    let bad = write(&dir, "bad.yaml", &config(&wrong_ca));
    let distrustful = support::collector(&["--config", bad.to_str().unwrap()]);
    send_to(&distrustful, 0xb2).await;
    for url in [&grpc_url, &http_url] {
        let failed = format!("meshtrace_exporter_failed_spans_total{{exporter=\"{url}\"}}");
        until_metric(&distrustful, &failed, 3.0).await;
        let retries = format!("meshtrace_exporter_retries_total{{exporter=\"{url}\"}}");
        until_metric(&distrustful, &retries, 0.0).await;
    }
    assert!(!grpc_seen.lock().unwrap().traces.contains(&0xb2));
    assert!(!http_seen.lock().unwrap().traces.contains(&0xb2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_header_flags_reach_every_export_backend() {
    let (a, a_seen) = grpc_backend(None).await;
    let (b, b_seen) = grpc_backend(None).await;
    let (url_a, url_b) = (format!("grpc://{a}"), format!("grpc://{b}"));
    let front = support::collector(&[
        "--export",
        &url_a,
        "--export",
        &url_b,
        "--export-header",
        "Authorization=Bearer cli-token",
    ]);
    send_to(&front, 0xb3).await;
    for seen in [&a_seen, &b_seen] {
        until(seen, "spans with the flag's header", |s| {
            s.traces.contains(&0xb3) && s.auth.contains("Bearer cli-token")
        })
        .await;
        assert_eq!(
            seen.lock().unwrap().encodings,
            BTreeSet::from(["gzip".into()])
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receivers_accept_zstd_and_refuse_corrupt_zstd_with_a_message() {
    let collector = support::collector(&[]);
    let query = format!("http://{}", collector.addrs["http"]);

    // OTLP/gRPC: tonic's own zstd.
    let endpoint = format!("http://{}", collector.addrs["otlp-grpc"]);
    let mut client = TraceServiceClient::connect(endpoint.clone())
        .await
        .unwrap()
        .send_compressed(CompressionEncoding::Zstd);
    client
        .export(support::otlp::request(0xc1, 3, None))
        .await
        .unwrap();
    support::wait_for_trace(&query, &"c1".repeat(16)).await;

    // OTLP/HTTP: a raw POST with a zstd body.
    let traces = format!("http://{}/v1/traces", collector.addrs["otlp-http"]);
    let body = zstd::encode_all(
        support::otlp::request(0xc2, 3, None)
            .encode_to_vec()
            .as_slice(),
        3,
    )
    .unwrap();
    let protobuf = ("content-type", "application/x-protobuf");
    let zstd = ("content-encoding", "zstd");
    let (status, _, _) =
        support::send(http::Method::POST, &traces, &[protobuf, zstd], body.into()).await;
    assert_eq!(status, 200);
    support::wait_for_trace(&query, &"c2".repeat(16)).await;

    // Corrupt zstd over HTTP: 400 and a message saying so.
    let json = ("content-type", "application/json");
    let corrupt = Bytes::from_static(b"\x28\xb5\x2f\xfd garbage");
    let (status, _, body) =
        support::send(http::Method::POST, &traces, &[json, zstd], corrupt.clone()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("invalid zstd body"), "{body}");

    // Corrupt zstd over gRPC: a hand-made message marked compressed, INVALID_ARGUMENT (3).
    let (status, message) = support::otlp::raw_export(&endpoint, Some("zstd"), &corrupt).await;
    assert_eq!(status, "3", "{message}");
    assert!(message.contains("invalid zstd body"), "{message}");
    // A zstd bomb (64 MiB of zeros, ~2 KiB compressed) past the 16 MiB default limit:
    // RESOURCE_EXHAUSTED (8), and the collector is still there.
    let bomb = zstd::encode_all(vec![0u8; 64 << 20].as_slice(), 3).unwrap();
    let (status, message) = support::otlp::raw_export(&endpoint, Some("zstd"), &bomb).await;
    assert_eq!(status, "8", "{message}");
    let mut client = TraceServiceClient::connect(endpoint).await.unwrap();
    client
        .export(support::otlp::request(0xc3, 3, None))
        .await
        .unwrap();
}
