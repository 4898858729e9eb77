//! Per-operation (route) rules: the first rule whose method and path match picks the
//! sampler; requests no rule matches use the default.

use super::{HeadDecision, RootSampler, SamplingInput};

/// How a rule matches the request path (the path without the query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// The path equals this.
    Exact(String),
    /// The path starts with this.
    Prefix(String),
}

/// A route: an optional method (any method when `None`) and a path match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// The HTTP method, compared case-sensitively as HTTP methods are.
    pub method: Option<String>,
    /// The path match.
    pub path: PathMatch,
}

impl RouteMatch {
    /// The route a Jaeger operation name stands for. The sidecar names spans
    /// `"{METHOD} {path}"`, so `"GET /productpage"` matches GET requests to exactly
    /// `/productpage`; a name without a space matches that exact path with any method.
    pub fn operation(name: &str) -> Self {
        match name.split_once(' ') {
            Some((method, path)) if !method.is_empty() => Self {
                method: Some(method.to_owned()),
                path: PathMatch::Exact(path.to_owned()),
            },
            _ => Self {
                method: None,
                path: PathMatch::Exact(name.to_owned()),
            },
        }
    }

    /// Whether a request with `method` and `path` is on this route.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self.method.as_deref().is_none_or(|m| m == method);
        method_ok
            && match &self.path {
                PathMatch::Exact(p) => p == path,
                PathMatch::Prefix(p) => path.starts_with(p.as_str()),
            }
    }
}

/// One rule: requests on `route` are decided by `sampler`.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteRule {
    /// Which requests the rule applies to.
    pub route: RouteMatch,
    /// The sampler for them.
    pub sampler: RootSampler,
}

/// Rules tried in order, first match wins, and the default for the rest.
#[derive(Debug, Clone, PartialEq)]
pub struct PerOperation {
    rules: Vec<RouteRule>,
    default: Box<RootSampler>,
}

impl PerOperation {
    /// `rules` in order, then `default`.
    pub fn new(rules: Vec<RouteRule>, default: RootSampler) -> Self {
        Self {
            rules,
            default: Box::new(default),
        }
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[RouteRule] {
        &self.rules
    }

    /// The sampler for requests no rule matches.
    pub fn default_sampler(&self) -> &RootSampler {
        &self.default
    }

    /// The sampler for one request on `path`, whose route template is `route` when known: a
    /// rule applies when it matches either (an operation named after the template, as spans
    /// are named when the route is known, or one named after the concrete path).
    pub fn select(&self, method: &str, path: &str, route: Option<&str>) -> &RootSampler {
        self.rules
            .iter()
            .find(|rule| {
                rule.route.matches(method, path)
                    || route.is_some_and(|r| rule.route.matches(method, r))
            })
            .map_or(&*self.default, |rule| &rule.sampler)
    }

    /// Decides a root (or deferred) trace with the selected sampler.
    pub fn decide(&self, input: &SamplingInput<'_>) -> HeadDecision {
        self.select(
            input.request.method,
            input.request.path,
            input.request.route,
        )
        .decide(input)
    }
}
