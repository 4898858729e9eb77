//! Route templates (`/reviews/{id}`, `/static/{path*}`): the low-cardinality `http.route`
//! that OpenTelemetry's HTTP conventions put on a server or client span, and the name it
//! gives the span (`GET /reviews/{id}`). A proxy cannot know the workload's routes, so they
//! are given (`--route`, like Envoy's route names); the first template matching a path wins,
//! and a path no template matches keeps its own path as the span name and no `http.route`.

use std::fmt;
use std::str::FromStr;

/// One segment of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Text the path segment must equal.
    Literal(String),
    /// `{name}`: any one non-empty segment.
    Param,
    /// `{name*}`, last: the rest of the path, zero or more segments.
    Rest,
}

/// A parsed route template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate {
    text: String,
    segments: Vec<Segment>,
}

/// A template that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Templates are absolute paths.
    #[error("route {0:?} must start with '/'")]
    NotAbsolute(String),
    /// `{name*}` anywhere but last.
    #[error("route {0:?}: a catch-all {{name*}} must be the last segment")]
    RestNotLast(String),
    /// A segment with text and a parameter, or an unclosed brace.
    #[error("route {route:?}: segment {segment:?} must be text or one whole {{parameter}}")]
    Segment {
        /// The template.
        route: String,
        /// The segment at fault.
        segment: String,
    },
}

impl FromStr for RouteTemplate {
    type Err = RouteError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let Some(rest) = text.strip_prefix('/') else {
            return Err(RouteError::NotAbsolute(text.to_owned()));
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let segment = match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if name.ends_with('*') && name.len() > 1 => {
                    if i + 1 != parts.len() {
                        return Err(RouteError::RestNotLast(text.to_owned()));
                    }
                    Segment::Rest
                }
                Some(name) if !name.is_empty() && !name.contains(['{', '}', '*']) => Segment::Param,
                None if !part.contains(['{', '}']) => Segment::Literal((*part).to_owned()),
                _ => {
                    return Err(RouteError::Segment {
                        route: text.to_owned(),
                        segment: (*part).to_owned(),
                    });
                }
            };
            segments.push(segment);
        }
        Ok(Self {
            text: text.to_owned(),
            segments,
        })
    }
}

impl fmt::Display for RouteTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl RouteTemplate {
    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `path` (without the query) is on this route.
    pub fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = rest.split('/');
        for segment in &self.segments {
            match segment {
                Segment::Rest => return true,
                Segment::Param => {
                    if parts.next().is_none_or(str::is_empty) {
                        return false;
                    }
                }
                Segment::Literal(text) => {
                    if parts.next() != Some(text.as_str()) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }
}

/// The templates of one sidecar, in order.
#[derive(Debug, Clone, Default)]
pub struct Routes(Vec<RouteTemplate>);

impl Routes {
    /// These templates; the first match wins.
    pub fn new(templates: Vec<RouteTemplate>) -> Self {
        Self(templates)
    }

    /// The template `path` is on, if any.
    pub fn find(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|t| t.matches(path))
            .map(RouteTemplate::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(list: &[&str]) -> Routes {
        Routes::new(list.iter().map(|t| t.parse().unwrap()).collect())
    }

    #[test]
    fn first_matching_template_wins() {
        let r = routes(&[
            "/reviews/{id}",
            "/reviews/{id}/ratings",
            "/static/{path*}",
            "/",
            "/api/v1/products",
        ]);
        #[rustfmt::skip]
        let cases = [
            ("/reviews/7", Some("/reviews/{id}")),
            ("/reviews/7/ratings", Some("/reviews/{id}/ratings")),
            ("/reviews/", None),
            ("/reviews", None),
            ("/reviews/7/x", None),
            ("/static/css/site.css", Some("/static/{path*}")),
            ("/static/", Some("/static/{path*}")),
            ("/static", Some("/static/{path*}")),
            ("/", Some("/")),
            ("/api/v1/products", Some("/api/v1/products")),
            ("/api/v1/products/", None),
            ("api/v1/products", None),
            ("", None),
        ];
        for (path, expected) in cases {
            assert_eq!(r.find(path), expected, "{path:?}");
        }
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        #[rustfmt::skip]
        let cases = [
            ("reviews/{id}", RouteError::NotAbsolute("reviews/{id}".into())),
            ("/a/{rest*}/b", RouteError::RestNotLast("/a/{rest*}/b".into())),
            ("/a/id-{id}", RouteError::Segment { route: "/a/id-{id}".into(), segment: "id-{id}".into() }),
            ("/a/{}", RouteError::Segment { route: "/a/{}".into(), segment: "{}".into() }),
            ("/a/{id", RouteError::Segment { route: "/a/{id".into(), segment: "{id".into() }),
            ("/a/{*}", RouteError::Segment { route: "/a/{*}".into(), segment: "{*}".into() }),
        ];
        for (text, error) in cases {
            assert_eq!(text.parse::<RouteTemplate>(), Err(error), "{text}");
        }
    }
}
