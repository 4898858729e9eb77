//! Exporters over real sockets: collector to collector, and against scripted backends.

mod backends;
mod collectors;
