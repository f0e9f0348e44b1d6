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
    /// A pcap of ASTERIX (CAT-048, CAT-034) over UDP.
    Asterix,
    /// A SAPIENT stream: 4-byte little-endian length + SapientMessage, repeated.
    Sapient,
    /// Mode S / ADS-B in Beast binary (as recorded from TCP port 30005).
    Beast,
    /// Mode S / ADS-B as AVR text (`*HEX;`, `@TIMEHEX;`).
    Avr,
    /// SBS-1 / BaseStation CSV (port 30003).
    Sbs,
}

/// The link type of a pcap (header) or pcapng (first interface description) capture.
fn pcap_link_type(b: &[u8]) -> Option<u32> {
    let u32_at = |o: usize, le: bool| -> Option<u32> {
        let x: [u8; 4] = b.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(x)
        } else {
            u32::from_be_bytes(x)
        })
    };
    match b.get(..4)? {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => u32_at(20, true),
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => u32_at(20, false),
        [0x0a, 0x0d, 0x0d, 0x0a] => {
            let le = b.get(8..12)? == [0x4d, 0x3c, 0x2b, 0x1a];
            let shb_len = u32_at(4, le)? as usize;
            // The interface description block follows the section header: type 1, link type u16.
            if u32_at(shb_len, le)? != 1 {
                return None;
            }
            let x: [u8; 2] = b.get(shb_len + 8..shb_len + 10)?.try_into().ok()?;
            Some(u32::from(if le {
                u16::from_le_bytes(x)
            } else {
                u16::from_be_bytes(x)
            }))
        }
        _ => None,
    }
}

fn sniff(bytes: &[u8]) -> Option<DecodeFormat> {
    if is_pcap(bytes) {
        // Ethernet or raw IP carries ASTERIX over UDP; radio link types carry Remote ID.
        return Some(match pcap_link_type(bytes) {
            Some(1) | Some(101) | Some(228) | Some(229) => DecodeFormat::Asterix,
            _ => DecodeFormat::RemoteId,
        });
    }
    if let Some(f) = picket_modes::format_from_bytes(bytes) {
        return Some(match f {
            picket_modes::Format::Beast => DecodeFormat::Beast,
            picket_modes::Format::Avr => DecodeFormat::Avr,
            picket_modes::Format::Sbs => DecodeFormat::Sbs,
        });
    }
    picket_sapient::decode_frame(bytes)
        .is_ok()
        .then_some(DecodeFormat::Sapient)
}

fn write_values(values: Vec<serde_json::Value>, out: &mut dyn Write) -> Result<(u64, u64)> {
    let mut errors = 0;
    for v in &values {
        if v.get("error").is_some() {
            errors += 1;
        }
        serde_json::to_writer(&mut *out, v)?;
        out.write_all(b"\n")?;
    }
    Ok((values.len() as u64, errors))
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
    receiver: Option<(f64, f64)>,
    out: &mut dyn Write,
) -> Result<(u64, u64)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let format = match format {
        DecodeFormat::Auto => sniff(&bytes).with_context(|| {
            format!(
                "{}: format not recognised (supported: pcap/pcapng of Remote ID or ASTERIX, SAPIENT streams, Beast/AVR/SBS); give --format",
                path.display()
            )
        })?,
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
        DecodeFormat::Asterix => {
            let values = picket_asterix::decode_asterix_pcap(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            (n, quarantined) = write_values(values, out)?;
        }
        DecodeFormat::Sapient => {
            (n, quarantined) = write_values(picket_sapient::decode_sapient_stream(&bytes), out)?;
        }
        DecodeFormat::Beast | DecodeFormat::Avr | DecodeFormat::Sbs => {
            let f = match format {
                DecodeFormat::Beast => picket_modes::Format::Beast,
                DecodeFormat::Avr => picket_modes::Format::Avr,
                _ => picket_modes::Format::Sbs,
            };
            for rec in picket_modes::decode_records(&bytes, f, receiver) {
                if rec.error.is_some() {
                    quarantined += 1;
                }
                serde_json::to_writer(&mut *out, &rec)?;
                out.write_all(b"\n")?;
                n += 1;
            }
        }
        DecodeFormat::Auto => unreachable!("resolved above"),
    }
    out.flush()?;
    Ok((n, quarantined))
}
