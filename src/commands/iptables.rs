//! `meshtrace iptables`: builds the capture rules from the flags, then prints or applies them.

use proxy_integration::mesh::iptables::{self, CaptureOptions, apply::IPTABLES};

use super::{CommandError, write_stdout};
use crate::cli::IptablesArgs;

/// Prints (`--dry-run`) or installs / removes (`--cleanup`) the rules.
pub fn run(args: IptablesArgs) -> Result<(), CommandError> {
    if args.cleanup {
        if args.dry_run {
            let text: String = iptables::cleanup_commands()
                .iter()
                .map(|command| format!("{IPTABLES} {}\n", command.join(" ")))
                .collect();
            return write_stdout(&text);
        }
        iptables::cleanup()?;
        tracing::info!("removed the MESHTRACE_* chains");
        return Ok(());
    }
    let options = CaptureOptions {
        proxy_port: args.proxy_port,
        inbound_capture_port: args.inbound_capture_port,
        proxy_uid: args.proxy_uid,
        proxy_gid: args.proxy_gid,
        inbound_ports: args.inbound_ports,
        exclude_inbound_ports: args.exclude_inbound_ports,
        exclude_outbound_ports: args.exclude_outbound_ports,
    };
    let rules = iptables::build(&options);
    if args.dry_run {
        return write_stdout(&rules.to_string());
    }
    iptables::apply(&rules)?;
    tracing::info!(
        rules = rules.rules.len(),
        "installed the MESHTRACE_* chains"
    );
    Ok(())
}
