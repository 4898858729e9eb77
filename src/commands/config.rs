//! `meshtrace config envoy|istio`: prints the tracing config for an existing mesh.

use proxy_integration::mesh::config::{envoy, istio};

use super::{CommandError, write_stdout};
use crate::cli::{ConfigArgs, ConfigTarget};

/// Renders the config for the chosen mesh and prints it.
pub fn run(args: ConfigArgs) -> Result<(), CommandError> {
    let text = match args.target {
        ConfigTarget::Envoy(target) => envoy::render(&target.collector, target.sampling)?,
        ConfigTarget::Istio(target) => istio::render(&target.collector, target.sampling)?,
    };
    write_stdout(&text)
}
