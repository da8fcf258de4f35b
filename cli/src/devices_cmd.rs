//! `vigil devices`: the GPU adapters vigil can see, and which one `--backend auto|gpu` takes.

use std::io::{self, Write};

use clap::Args;

use crate::Outcome;

/// Options of `vigil devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// Print JSON Lines: one object per adapter, then one for the choice.
    #[arg(long)]
    pub json: bool,
}

/// Runs `vigil devices`.
pub fn run(args: &DevicesArgs) -> Result<Outcome, String> {
    let mut out = io::stdout().lock();
    let written = write_devices(&mut out, args.json);
    crate::output::written_or_closed(written).map(|()| Outcome::Success)
}

#[cfg(feature = "gpu")]
fn write_devices(out: &mut impl Write, json: bool) -> io::Result<()> {
    use vigil::{Backend, BatchHasher};
    let adapters = vigil::gpu::adapters();
    for adapter in &adapters {
        if json {
            let line = serde_json::json!({
                "name": adapter.name,
                "backend": adapter.backend,
                "device_type": adapter.device_type,
                "driver": adapter.driver,
                "software": adapter.is_software(),
            });
            writeln!(out, "{line}")?;
        } else {
            let kind = if adapter.is_software() {
                ", software"
            } else {
                ""
            };
            writeln!(
                out,
                "{} ({}, {}{kind}) {}",
                adapter.name, adapter.backend, adapter.device_type, adapter.driver
            )?;
        }
    }
    if adapters.is_empty() && !json {
        writeln!(
            out,
            "no GPU adapter found (a Vulkan, Metal or DX12 driver is needed; on Linux without a GPU, Mesa's lavapipe: mesa-vulkan-drivers)"
        )?;
    }
    let auto = BatchHasher::new(Backend::Auto)
        .map(|h| h.active().to_string())
        .unwrap_or_else(|e| e.to_string());
    if json {
        writeln!(out, "{}", serde_json::json!({ "auto": auto }))
    } else {
        writeln!(out, "--backend auto hashes on: {auto}")
    }
}

#[cfg(not(feature = "gpu"))]
fn write_devices(out: &mut impl Write, json: bool) -> io::Result<()> {
    if json {
        writeln!(
            out,
            "{}",
            serde_json::json!({ "auto": "cpu", "gpu_feature": false })
        )
    } else {
        writeln!(
            out,
            "built without the `gpu` feature: vigil hashes on the CPU"
        )
    }
}
