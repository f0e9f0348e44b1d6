//! CAT-048: monoradar target reports (EUROCONTROL ASTERIX Part 4, edition 1.2x UAP).
//!
//! Every item of the UAP is read or skipped by its defined length, so a record with items
//! Picket does not use still leaves the cursor at the next record.

use crate::reader::{be_uint, fspec, signed, Reader};
use crate::{AsterixError, DataSource};
use serde::Serialize;

/// Metres in one nautical mile.
pub const METRES_PER_NM: f64 = 1852.0;
/// Metres in one foot.
pub const METRES_PER_FOOT: f64 = 0.3048;

/// I048/020 target report descriptor (first octet and first extension).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TargetReportDescriptor {
    /// Detection type: 0 no detection, 1 PSR, 2 SSR, 3 SSR+PSR, 4 Mode S all-call,
    /// 5 Mode S roll-call, 6 Mode S all-call + PSR, 7 Mode S roll-call + PSR.
    pub typ: u8,
    /// Simulated target report.
    pub sim: bool,
    /// Report from RDP chain 2.
    pub rdp: bool,
    /// Special position identification.
    pub spi: bool,
    /// Report from a field monitor (fixed transponder).
    pub rab: bool,
    /// Test target (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tst: Option<bool>,
    /// Extended range present (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err: Option<bool>,
    /// X-pulse present (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xpp: Option<bool>,
    /// Military emergency (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me: Option<bool>,
    /// Military identification (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mi: Option<bool>,
    /// Mode 4 interrogation result, 0..3 (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foe_fri: Option<u8>,
}

/// I048/040 measured position in polar coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PolarPosition {
    /// Slant range, nautical miles (LSB 1/256 NM).
    pub rho_nm: f64,
    /// Azimuth from north at the radar, degrees (LSB 360/2^16).
    pub theta_deg: f64,
}

impl PolarPosition {
    /// Slant range in metres.
    pub fn range_m(&self) -> f64 {
        self.rho_nm * METRES_PER_NM
    }
}

/// I048/070 Mode-3/A code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Mode3A {
    /// The 12-bit code; written (and serialised) as four octal digits, e.g. `"7700"`.
    #[serde(serialize_with = "crate::json::octal_ser")]
    pub code: u16,
    /// V: the code is not validated.
    pub not_validated: bool,
    /// G: garbled code.
    pub garbled: bool,
    /// L: smoothed code, not the one extracted during the last scan.
    pub smoothed: bool,
}

impl Mode3A {
    /// The code as the four octal digits a controller reads, e.g. `7700`.
    pub fn octal(&self) -> String {
        format!("{:04o}", self.code)
    }
}

/// I048/090 flight level (barometric, 1013.25 hPa reference).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FlightLevel {
    /// Flight level, hundreds of feet (LSB 1/4 FL).
    pub fl: f64,
    /// V: not validated.
    pub not_validated: bool,
    /// G: garbled.
    pub garbled: bool,
}

impl FlightLevel {
    /// The pressure altitude in metres (FL × 100 ft); not a geometric height.
    pub fn alt_baro_m(&self) -> f64 {
        self.fl * 100.0 * METRES_PER_FOOT
    }
}

/// I048/130 radar plot characteristics; each subfield is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PlotCharacteristics {
    /// SSR plot runlength, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srl_deg: Option<f64>,
    /// Number of received SSR replies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srr: Option<u8>,
    /// Amplitude of received SSR replies, dBm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sam_dbm: Option<i8>,
    /// Primary plot runlength, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prl_deg: Option<f64>,
    /// Amplitude of the primary plot, dBm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pam_dbm: Option<i8>,
    /// Range difference PSR − SSR, nautical miles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpd_nm: Option<f64>,
    /// Azimuth difference PSR − SSR, degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apd_deg: Option<f64>,
}

/// One Mode S Comm-B message from I048/250.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ModeSMb {
    /// The 56-bit MB field.
    #[serde(serialize_with = "crate::json::hex_ser")]
    pub mb: [u8; 7],
    /// Comm-B data buffer store, first and second nibble (e.g. 4, 0 for BDS 4,0).
    pub bds1: u8,
    /// Second BDS nibble.
    pub bds2: u8,
}

/// I048/042 calculated position in Cartesian coordinates, relative to the radar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CartesianPosition {
    /// East, nautical miles (LSB 1/128 NM).
    pub x_nm: f64,
    /// North, nautical miles (LSB 1/128 NM).
    pub y_nm: f64,
}

/// I048/200 calculated track velocity in polar coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PolarVelocity {
    /// Ground speed, metres per second (wire LSB 2^-14 NM/s).
    pub ground_speed_mps: f64,
    /// Heading, degrees clockwise from north (LSB 360/2^16).
    pub heading_deg: f64,
}

impl PolarVelocity {
    /// Velocity as East-North-Up metres per second (horizontal only).
    pub fn enu_mps(&self) -> [f64; 3] {
        let h = self.heading_deg.to_radians();
        [
            self.ground_speed_mps * h.sin(),
            self.ground_speed_mps * h.cos(),
            0.0,
        ]
    }
}

/// I048/170 track status (first octet and first extension).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TrackStatus {
    /// CNF: tentative track (false = confirmed).
    pub tentative: bool,
    /// RAD: 0 combined, 1 PSR, 2 SSR/Mode S, 3 invalid.
    pub rad: u8,
    /// DOU: low confidence in plot-to-track association.
    pub doubtful: bool,
    /// MAH: horizontal manoeuvre sensed.
    pub manoeuvre: bool,
    /// CDM: 0 maintaining, 1 climbing, 2 descending, 3 unknown.
    pub cdm: u8,
    /// TRE: end of track lifetime (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_of_track: Option<bool>,
    /// GHO: ghost track (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ghost: Option<bool>,
    /// SUP: track maintained with neighbouring-node data (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sup: Option<bool>,
    /// TCC: slant range correction applied (first extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcc: Option<bool>,
}

/// I048/210 track quality, 1-σ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrackQuality {
    /// σ of the X component, nautical miles.
    pub sigma_x_nm: f64,
    /// σ of the Y component, nautical miles.
    pub sigma_y_nm: f64,
    /// σ of the ground speed, metres per second.
    pub sigma_v_mps: f64,
    /// σ of the heading, degrees.
    pub sigma_h_deg: f64,
}

/// I048/120 radial Doppler speed (calculated subfield only; raw Doppler is counted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DopplerSpeed {
    /// Calculated Doppler speed, m/s, with its doubt flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calculated_mps: Option<i16>,
    /// D: the calculated speed is doubtful.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubtful: Option<bool>,
    /// Number of raw Doppler measurements that followed.
    pub raw_count: u8,
}

/// I048/230 communications / ACAS capability and flight status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CommsCapability {
    /// COM: communications capability of the transponder.
    pub com: u8,
    /// STAT: flight status.
    pub stat: u8,
    /// SI: SI/II transponder capability.
    pub si: bool,
    /// MSSC: Mode S specific service capability.
    pub mssc: bool,
    /// ARC: altitude reporting capability (true = 25 ft).
    pub arc: bool,
    /// AIC: aircraft identification capability.
    pub aic: bool,
    /// B1A: BDS 1,0 bit 16.
    pub b1a: bool,
    /// B1B: BDS 1,0 bits 37–40.
    pub b1b: u8,
}

/// One CAT-048 target report. Items absent from the record are `None` (or empty).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cat048 {
    /// I048/010 data source identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source: Option<DataSource>,
    /// I048/140 time of day, seconds since UTC midnight (LSB 1/128 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_day_s: Option<f64>,
    /// I048/020 target report descriptor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descriptor: Option<TargetReportDescriptor>,
    /// I048/040 measured polar position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub polar: Option<PolarPosition>,
    /// I048/070 Mode-3/A code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_3a: Option<Mode3A>,
    /// I048/090 flight level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flight_level: Option<FlightLevel>,
    /// I048/130 radar plot characteristics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plot: Option<PlotCharacteristics>,
    /// I048/220 Mode S aircraft address (ICAO 24-bit).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::json::icao_ser"
    )]
    pub aircraft_address: Option<u32>,
    /// I048/240 aircraft identification (callsign), trailing spaces removed; `None` when the
    /// item is absent or blank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aircraft_id: Option<String>,
    /// I048/250 Mode S MB data.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mode_s_mb: Vec<ModeSMb>,
    /// I048/161 track number (0..4095).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_number: Option<u16>,
    /// I048/042 calculated Cartesian position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cartesian: Option<CartesianPosition>,
    /// I048/200 calculated polar velocity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub velocity: Option<PolarVelocity>,
    /// I048/170 track status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_status: Option<TrackStatus>,
    /// I048/210 track quality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_quality: Option<TrackQuality>,
    /// I048/030 warning/error condition codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<u8>,
    /// I048/080 Mode-3/A code confidence: one bit per code bit, set = low quality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode_3a_confidence: Option<u16>,
    /// I048/100 Mode-C code and confidence, raw octets.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::json::opt_hex_ser"
    )]
    pub mode_c_raw: Option<[u8; 4]>,
    /// I048/110 height measured by a 3D radar, feet above mean sea level (LSB 25 ft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_3d_ft: Option<f64>,
    /// I048/120 radial Doppler speed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doppler: Option<DopplerSpeed>,
    /// I048/230 communications / ACAS capability and flight status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comms: Option<CommsCapability>,
    /// Items present but not decoded (I048/260, /055, /050, /065, /060, SP, RE).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<&'static str>,
}

/// Number of data items in the CAT-048 UAP (FRN 1..=28).
const UAP_LEN: usize = 28;

/// Decodes one CAT-048 record from the reader; leaves it at the next record.
pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Cat048, AsterixError> {
    let present = fspec(r, UAP_LEN)?;
    let has = |frn: usize| present & (1 << (frn - 1)) != 0;
    let mut rec = Cat048::default();

    if has(1) {
        let b = r.array::<2>("I048/010")?;
        rec.data_source = Some(DataSource {
            sac: b[0],
            sic: b[1],
        });
    }
    if has(2) {
        let b = r.take(3, "I048/140")?;
        rec.time_of_day_s = Some(be_uint(b) as f64 / 128.0);
    }
    if has(3) {
        let b = r.extended("I048/020")?;
        let o = b[0];
        let mut d = TargetReportDescriptor {
            typ: o >> 5,
            sim: o & 0x10 != 0,
            rdp: o & 0x08 != 0,
            spi: o & 0x04 != 0,
            rab: o & 0x02 != 0,
            ..Default::default()
        };
        if let Some(&e) = b.get(1) {
            d.tst = Some(e & 0x80 != 0);
            d.err = Some(e & 0x40 != 0);
            d.xpp = Some(e & 0x20 != 0);
            d.me = Some(e & 0x10 != 0);
            d.mi = Some(e & 0x08 != 0);
            d.foe_fri = Some((e >> 1) & 0x03);
        }
        rec.descriptor = Some(d);
    }
    if has(4) {
        let b = r.array::<4>("I048/040")?;
        rec.polar = Some(PolarPosition {
            rho_nm: f64::from(u16::from_be_bytes([b[0], b[1]])) / 256.0,
            theta_deg: f64::from(u16::from_be_bytes([b[2], b[3]])) * 360.0 / 65536.0,
        });
    }
    if has(5) {
        let b = r.array::<2>("I048/070")?;
        rec.mode_3a = Some(Mode3A {
            code: u16::from_be_bytes(b) & 0x0FFF,
            not_validated: b[0] & 0x80 != 0,
            garbled: b[0] & 0x40 != 0,
            smoothed: b[0] & 0x20 != 0,
        });
    }
    if has(6) {
        let b = r.array::<2>("I048/090")?;
        let raw = u64::from(u16::from_be_bytes(b) & 0x3FFF);
        rec.flight_level = Some(FlightLevel {
            fl: signed(raw, 14) as f64 / 4.0,
            not_validated: b[0] & 0x80 != 0,
            garbled: b[0] & 0x40 != 0,
        });
    }
    if has(7) {
        rec.plot = Some(plot_characteristics(r)?);
    }
    if has(8) {
        rec.aircraft_address = Some(be_uint(r.take(3, "I048/220")?) as u32);
    }
    if has(9) {
        let b = r.take(6, "I048/240")?;
        rec.aircraft_id = callsign(b);
    }
    if has(10) {
        let b = r.repetitive(8, "I048/250")?;
        rec.mode_s_mb = b
            .chunks_exact(8)
            .map(|c| {
                let mut mb = [0u8; 7];
                mb.copy_from_slice(&c[..7]);
                ModeSMb {
                    mb,
                    bds1: c[7] >> 4,
                    bds2: c[7] & 0x0F,
                }
            })
            .collect();
    }
    if has(11) {
        let b = r.array::<2>("I048/161")?;
        rec.track_number = Some(u16::from_be_bytes(b) & 0x0FFF);
    }
    if has(12) {
        let b = r.array::<4>("I048/042")?;
        rec.cartesian = Some(CartesianPosition {
            x_nm: f64::from(i16::from_be_bytes([b[0], b[1]])) / 128.0,
            y_nm: f64::from(i16::from_be_bytes([b[2], b[3]])) / 128.0,
        });
    }
    if has(13) {
        let b = r.array::<4>("I048/200")?;
        let gs_nm_per_s = f64::from(u16::from_be_bytes([b[0], b[1]])) / 16384.0;
        rec.velocity = Some(PolarVelocity {
            ground_speed_mps: gs_nm_per_s * METRES_PER_NM,
            heading_deg: f64::from(u16::from_be_bytes([b[2], b[3]])) * 360.0 / 65536.0,
        });
    }
    if has(14) {
        let b = r.extended("I048/170")?;
        let o = b[0];
        let mut s = TrackStatus {
            tentative: o & 0x80 != 0,
            rad: (o >> 5) & 0x03,
            doubtful: o & 0x10 != 0,
            manoeuvre: o & 0x08 != 0,
            cdm: (o >> 1) & 0x03,
            ..Default::default()
        };
        if let Some(&e) = b.get(1) {
            s.end_of_track = Some(e & 0x80 != 0);
            s.ghost = Some(e & 0x40 != 0);
            s.sup = Some(e & 0x20 != 0);
            s.tcc = Some(e & 0x10 != 0);
        }
        rec.track_status = Some(s);
    }
    if has(15) {
        let b = r.array::<4>("I048/210")?;
        rec.track_quality = Some(TrackQuality {
            sigma_x_nm: f64::from(b[0]) / 128.0,
            sigma_y_nm: f64::from(b[1]) / 128.0,
            sigma_v_mps: f64::from(b[2]) / 16384.0 * METRES_PER_NM,
            sigma_h_deg: f64::from(b[3]) * 360.0 / 4096.0,
        });
    }
    if has(16) {
        let b = r.extended("I048/030")?;
        rec.warnings = b.iter().map(|o| o >> 1).collect();
    }
    if has(17) {
        let b = r.array::<2>("I048/080")?;
        rec.mode_3a_confidence = Some(u16::from_be_bytes(b) & 0x0FFF);
    }
    if has(18) {
        rec.mode_c_raw = Some(r.array::<4>("I048/100")?);
    }
    if has(19) {
        let b = r.array::<2>("I048/110")?;
        let raw = u64::from(u16::from_be_bytes(b) & 0x3FFF);
        rec.height_3d_ft = Some(signed(raw, 14) as f64 * 25.0);
    }
    if has(20) {
        rec.doppler = Some(doppler(r)?);
    }
    if has(21) {
        let b = r.array::<2>("I048/230")?;
        rec.comms = Some(CommsCapability {
            com: b[0] >> 5,
            stat: (b[0] >> 2) & 0x07,
            si: b[0] & 0x02 != 0,
            mssc: b[1] & 0x80 != 0,
            arc: b[1] & 0x40 != 0,
            aic: b[1] & 0x20 != 0,
            b1a: b[1] & 0x10 != 0,
            b1b: b[1] & 0x0F,
        });
    }
    // FRN 22..=28: decoded by length only.
    for (frn, name, len) in [
        (22, "I048/260", 7),
        (23, "I048/055", 1),
        (24, "I048/050", 2),
        (25, "I048/065", 1),
        (26, "I048/060", 2),
    ] {
        if has(frn) {
            r.take(len, name)?;
            rec.skipped.push(name);
        }
    }
    if has(27) {
        r.explicit("I048/SP")?;
        rec.skipped.push("I048/SP");
    }
    if has(28) {
        r.explicit("I048/RE")?;
        rec.skipped.push("I048/RE");
    }
    Ok(rec)
}

fn plot_characteristics(r: &mut Reader<'_>) -> Result<PlotCharacteristics, AsterixError> {
    const ITEM: &str = "I048/130";
    let flags = r.compound_flags(7, &[], ITEM)?;
    let mut p = PlotCharacteristics::default();
    let runlength = |b: u8| f64::from(b) * 360.0 / 8192.0;
    for i in 0..7 {
        if flags & (1 << i) == 0 {
            continue;
        }
        let b = r.u8(ITEM)?;
        match i {
            0 => p.srl_deg = Some(runlength(b)),
            1 => p.srr = Some(b),
            2 => p.sam_dbm = Some(b as i8),
            3 => p.prl_deg = Some(runlength(b)),
            4 => p.pam_dbm = Some(b as i8),
            5 => p.rpd_nm = Some(f64::from(b as i8) / 256.0),
            _ => p.apd_deg = Some(f64::from(b as i8) * 360.0 / 16384.0),
        }
    }
    Ok(p)
}

fn doppler(r: &mut Reader<'_>) -> Result<DopplerSpeed, AsterixError> {
    const ITEM: &str = "I048/120";
    let flags = r.compound_flags(2, &[], ITEM)?;
    let mut d = DopplerSpeed {
        calculated_mps: None,
        doubtful: None,
        raw_count: 0,
    };
    if flags & 1 != 0 {
        let b = r.array::<2>(ITEM)?;
        let raw = u64::from(u16::from_be_bytes(b) & 0x03FF);
        d.calculated_mps = Some(signed(raw, 10) as i16);
        d.doubtful = Some(b[0] & 0x80 != 0);
    }
    if flags & 2 != 0 {
        let b = r.repetitive(6, ITEM)?;
        d.raw_count = (b.len() / 6) as u8;
    }
    Ok(d)
}

/// Decodes eight 6-bit ICAO characters, trailing spaces removed; code 0 (no character) is
/// dropped and other codes outside the ICAO set become `?`. `None` when nothing is left.
fn callsign(b: &[u8]) -> Option<String> {
    let bits = be_uint(b);
    let mut s: String = (0..8)
        .filter_map(|i| {
            let c = ((bits >> (42 - 6 * i)) & 0x3F) as u8;
            match c {
                0 => None,
                1..=26 => Some(char::from(b'A' + c - 1)),
                32 => Some(' '),
                48..=57 => Some(char::from(c)),
                _ => Some('?'),
            }
        })
        .collect();
    s.truncate(s.trim_end().len());
    Some(s).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callsign_decodes_ia5_subset_and_trims() {
        // "AB1 " then four spaces: A=1, B=2, '1'=49, ' '=32.
        let chars = [1u64, 2, 49, 32, 32, 32, 32, 32];
        let bits = chars.iter().fold(0u64, |acc, &c| (acc << 6) | c);
        let bytes = bits.to_be_bytes();
        assert_eq!(callsign(&bytes[2..]).as_deref(), Some("AB1"));
        assert_eq!(callsign(&[0; 6]), None);
    }

    #[test]
    fn mode_3a_prints_as_four_octal_digits() {
        let m = Mode3A {
            code: 0o7700,
            not_validated: false,
            garbled: false,
            smoothed: false,
        };
        assert_eq!(m.octal(), "7700");
    }
}
