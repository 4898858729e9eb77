//! `meshtrace inject`: reads a YAML stream from a file or stdin and writes it injected.

use std::io::Read;

use proxy_integration::mesh::inject::{self, InjectOptions};

use super::{CommandError, write_stdout};
use crate::cli::InjectArgs;

/// Reads `-f`, injects every workload, prints the result.
pub fn run(args: InjectArgs) -> Result<(), CommandError> {
    let path = args.file.display().to_string();
    let read_error = |source| CommandError::InjectRead {
        path: path.clone(),
        source,
    };
    let input = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(read_error)?;
        text
    } else {
        std::fs::read_to_string(&args.file).map_err(read_error)?
    };
    let options = InjectOptions {
        image: args.image,
        collector: args.collector,
        app_port: args.app_port,
    };
    write_stdout(&inject::inject(&input, &options)?)
}
