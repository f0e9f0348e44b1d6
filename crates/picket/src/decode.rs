//! `picket decode FILE`: any supported capture to JSON lines on standard output.
//! Format detection and file reading live here; decoding lives in the codec crates.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::Path;

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DecodeFormat {
    /// Sniff the format from the file's first bytes.
    Auto,
    /// A pcap or pcapng capture of Remote ID (Wi-Fi radiotap, Bluetooth LE).
    RemoteId,
}

fn is_pcap(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some([0xd4, 0xc3, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0xc3, 0xd4])
            | Some([0x4d, 0x3c, 0xb2, 0xa1])
            | Some([0xa1, 0xb2, 0x3c, 0x4d])
            | Some([0x0a, 0x0d, 0x0d, 0x0a])
    )
}

/// Decode `path` and print one JSON object per line; returns (records, quarantined).
pub(crate) fn decode_file(
    path: &Path,
    format: DecodeFormat,
    out: &mut dyn Write,
) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = match format {
        DecodeFormat::Auto if is_pcap(&bytes) => DecodeFormat::RemoteId,
        DecodeFormat::Auto => bail!(
            "{}: format not recognised (supported: pcap/pcapng captures of Remote ID); give --format",
            path.display()
        ),
        f => f,
    };
    let (mut n, mut quarantined) = (0u64, 0u64);
    match format {
        DecodeFormat::RemoteId => {
            let decoder = picket_remoteid::CaptureDecoder::new(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for rec in decoder {
                match rec {
                    Ok(r) => {
                        if r.quarantine.is_some() {
                            quarantined += 1;
                        }
                        serde_json::to_writer(&mut *out, &r)?;
                        out.write_all(b"\n")?;
                        n += 1;
                    }
                    Err(e) => {
                        // Records before a damaged tail are printed; then say where it broke.
                        out.flush()?;
                        bail!("{}: capture damaged after {n} records: {e}", path.display());
                    }
                }
            }
        }
        DecodeFormat::Auto => unreachable!("resolved above"),
    }
    out.flush()?;
    Ok((n, quarantined))
}
