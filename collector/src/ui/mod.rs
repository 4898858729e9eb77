//! The built-in web page on the `--http` port: plain HTML, CSS and JavaScript from
//! `dashboards/ui/`, compiled into the binary so the page works offline and without a build
//! step. The page reads the collector's own APIs (query, latency, sampling) from the same
//! origin; `/trace/{id}` serves the same page, whose script routes on the path.

use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use http::{HeaderValue, header};

#[cfg(test)]
mod tests;

/// The page itself, served at `/` and `/trace/{id}`.
pub const INDEX_HTML: &str = include_str!("../../../dashboards/ui/index.html");
/// The page's script, served at `/ui/app.js`.
pub const APP_JS: &str = include_str!("../../../dashboards/ui/app.js");
/// The page's stylesheet, served at `/ui/style.css`.
pub const STYLE_CSS: &str = include_str!("../../../dashboards/ui/style.css");

/// Only our own origin: the page loads nothing from elsewhere, and a string that slipped
/// into the DOM as markup still could not run a script.
const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// `GET /`, `GET /trace/{id}`, `GET /ui/app.js` and `GET /ui/style.css`.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/trace/{id}", get(index))
        .route("/ui/app.js", get(app_js))
        .route("/ui/style.css", get(style_css))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // The assets change with the binary; always revalidate.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
}

async fn index() -> impl IntoResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> impl IntoResponse {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn style_css() -> impl IntoResponse {
    asset("text/css; charset=utf-8", STYLE_CSS)
}
