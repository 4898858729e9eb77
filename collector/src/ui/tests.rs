//! The page's routes answered in-process: right content types, the same page for `/` and
//! `/trace/{id}`, and a page that loads only its own assets.

use http::StatusCode;

use super::*;
use crate::test_support::get_text;

async fn get(uri: &str) -> (StatusCode, String, String) {
    get_text(router(), uri).await
}

#[rustfmt::skip]
const ROUTES: &[(&str, &str)] = &[
    ("/",                    "text/html; charset=utf-8"),
    ("/trace/0123456789abcdef0123456789abcdef", "text/html; charset=utf-8"),
    ("/ui/app.js",           "text/javascript; charset=utf-8"),
    ("/ui/style.css",        "text/css; charset=utf-8"),
];

#[tokio::test]
async fn every_route_answers_with_its_content_type() {
    for (uri, content_type) in ROUTES {
        let (status, got, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(&got, content_type, "{uri}");
        assert!(!body.is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn trace_path_serves_the_same_page() {
    assert_eq!(get("/").await.2, get("/trace/abc").await.2);
    assert_eq!(get("/ui/missing.js").await.0, StatusCode::NOT_FOUND);
}

#[test]
fn page_loads_only_its_own_assets() {
    assert!(INDEX_HTML.contains("src=\"/ui/app.js\""));
    assert!(INDEX_HTML.contains("href=\"/ui/style.css\""));
    for asset in [INDEX_HTML, APP_JS, STYLE_CSS] {
        // The SVG namespace is a name, not a location.
        let asset = asset.replace("http://www.w3.org/2000/svg", "");
        assert!(!asset.contains("http://") && !asset.contains("https://"));
    }
}

#[test]
fn script_never_inserts_markup() {
    // Data reaches the DOM through textContent and attributes only.
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!APP_JS.contains(sink), "app.js uses {sink}");
    }
}
