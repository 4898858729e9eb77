//! The query API through the real `Router`, without sockets.

mod graph;
mod search;
mod support;
mod v1;
mod v3;
