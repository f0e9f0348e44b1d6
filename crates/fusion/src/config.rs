//! Tracker tuning and its validation.

use serde::{Deserialize, Serialize};

/// Tuning of the tracker. Every field has a sensible default (see [`TrackerConfig::default`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrackerConfig {
    /// 1-σ white acceleration of the constant-velocity model, m/s². The continuous-time spectral
    /// density is `q = value² · 1 s` (m²/s³): over one second the velocity random-walks by `value` m/s.
    pub process_noise_accel_mps2: f64,
    /// Chi-square gate for 3-D position innovations (16.27 keeps 99.9 % of true associations).
    pub gate_chi2: f64,
    /// M of M-of-N confirmation: hits needed within the last `confirm_window` opportunities.
    pub confirm_hits: u32,
    /// N of M-of-N confirmation, 1..=64 opportunities.
    pub confirm_window: u32,
    /// A tentative track not updated for longer than this is deleted, seconds.
    pub max_coast_tentative_s: f64,
    /// A confirmed track not updated for longer than this is deleted, seconds.
    pub max_coast_confirmed_s: f64,
    /// A track whose 1-σ horizontal position uncertainty grows beyond this is deleted, metres.
    pub max_sigma_horizontal_m: f64,
    /// 1-σ of the velocity prior (per axis) of a new track without reported velocity, m/s.
    pub initial_speed_sigma_mps: f64,
    /// [`crate::Tracker::picture`] leaves out a confirmed track that missed more than this many
    /// consecutive opportunities: it is kept alive (and may be reacquired under its id) until
    /// its coast time runs out, but it is more likely gone than there. With a detection
    /// probability of 0.9, two misses leave a live target likelier than a departed one; three
    /// do not.
    pub max_reported_misses: u32,
    /// Turn rate of the coordinated-turn models of the IMM, degrees per second (one model
    /// turns left, one right, beside the constant-velocity model); 0 = constant velocity only.
    pub imm_turn_rate_deg_s: f64,
    /// 1-σ white acceleration of the turn models, m/s² (covers turns at other rates).
    pub imm_turn_process_noise_accel_mps2: f64,
    /// Rate at which a target leaves its current motion model, per second.
    pub imm_switch_per_s: f64,
    /// Associate position reports by joint probabilistic data association (JPDA) instead of
    /// global nearest neighbour: each track is updated by every report it gates with, weighted
    /// by the probability that the report is its own. For dense clutter. Clusters too large
    /// to enumerate, and bearings, still use nearest neighbour.
    pub jpda: bool,
    /// Probability that a sensor reports a target in its coverage (JPDA), 0.01..=0.999.
    pub detection_probability: f64,
    /// Expected false reports per km² per scan (JPDA), horizontal.
    pub clutter_density_per_km2: f64,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            process_noise_accel_mps2: 3.0,
            gate_chi2: 16.27,
            confirm_hits: 3,
            confirm_window: 5,
            max_coast_tentative_s: 3.0,
            max_coast_confirmed_s: 8.0,
            max_sigma_horizontal_m: 500.0,
            initial_speed_sigma_mps: 30.0,
            max_reported_misses: 2,
            imm_turn_rate_deg_s: 15.0,
            imm_turn_process_noise_accel_mps2: 3.0,
            imm_switch_per_s: 0.1,
            jpda: false,
            detection_probability: 0.9,
            clutter_density_per_km2: 0.1,
        }
    }
}

/// A [`TrackerConfig`] field outside the range the tracker can work with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A number that must be finite and within a range is not.
    #[error("fusion: `{field}` is {value}, but must be a finite number in [{min}, {max}]")]
    OutOfRange {
        /// The offending field.
        field: &'static str,
        /// Its value.
        value: f64,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// `confirm_hits` must be at least 1 and not larger than `confirm_window`.
    #[error(
        "fusion: `confirm_hits` is {hits} but must be in 1..={window} (`confirm_window`); \
         lower `confirm_hits` or raise `confirm_window`"
    )]
    ConfirmHits {
        /// The configured hits.
        hits: u32,
        /// The configured window.
        window: u32,
    },
}

/// Accepted ranges, `(min, max)`; inclusive. Upper bounds keep the arithmetic far from overflow.
const PROCESS_NOISE: (f64, f64) = (0.0, 1_000.0);
const GATE: (f64, f64) = (0.01, 10_000.0);
const COAST: (f64, f64) = (0.001, 86_400.0);
const SIGMA: (f64, f64) = (0.01, 1.0e6);
const SPEED: (f64, f64) = (0.01, 10_000.0);
const TURN_RATE: (f64, f64) = (0.0, 180.0);
const SWITCH: (f64, f64) = (1.0e-4, 100.0);
const DETECTION: (f64, f64) = (0.01, 0.999);
const CLUTTER: (f64, f64) = (1.0e-6, 1.0e6);
/// The M-of-N history is a 64-bit mask.
pub(crate) const MAX_WINDOW: u32 = 64;

fn check(field: &'static str, value: f64, (min, max): (f64, f64)) -> Result<(), ConfigError> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            field,
            value,
            min,
            max,
        })
    }
}

impl TrackerConfig {
    /// Checks every field; returns the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            "process_noise_accel_mps2",
            self.process_noise_accel_mps2,
            PROCESS_NOISE,
        )?;
        check("gate_chi2", self.gate_chi2, GATE)?;
        check(
            "confirm_window",
            f64::from(self.confirm_window),
            (1.0, f64::from(MAX_WINDOW)),
        )?;
        if self.confirm_hits == 0 || self.confirm_hits > self.confirm_window {
            return Err(ConfigError::ConfirmHits {
                hits: self.confirm_hits,
                window: self.confirm_window,
            });
        }
        check("max_coast_tentative_s", self.max_coast_tentative_s, COAST)?;
        check("max_coast_confirmed_s", self.max_coast_confirmed_s, COAST)?;
        check("max_sigma_horizontal_m", self.max_sigma_horizontal_m, SIGMA)?;
        check(
            "initial_speed_sigma_mps",
            self.initial_speed_sigma_mps,
            SPEED,
        )?;
        check("imm_turn_rate_deg_s", self.imm_turn_rate_deg_s, TURN_RATE)?;
        check(
            "imm_turn_process_noise_accel_mps2",
            self.imm_turn_process_noise_accel_mps2,
            PROCESS_NOISE,
        )?;
        check("imm_switch_per_s", self.imm_switch_per_s, SWITCH)?;
        check(
            "detection_probability",
            self.detection_probability,
            DETECTION,
        )?;
        check(
            "clutter_density_per_km2",
            self.clutter_density_per_km2,
            CLUTTER,
        )?;
        Ok(())
    }

    /// The config with every invalid field replaced by its default, so the tracker never runs on
    /// numbers it cannot handle. Callers that want to report bad values call [`Self::validate`] first.
    pub(crate) fn sanitized(self) -> Self {
        let d = TrackerConfig::default();
        let pick = |v: f64, r: (f64, f64), dv: f64| {
            if v.is_finite() && (r.0..=r.1).contains(&v) {
                v
            } else {
                dv
            }
        };
        let (window, hits) = if (1..=MAX_WINDOW).contains(&self.confirm_window)
            && (1..=self.confirm_window).contains(&self.confirm_hits)
        {
            (self.confirm_window, self.confirm_hits)
        } else {
            (d.confirm_window, d.confirm_hits)
        };
        TrackerConfig {
            process_noise_accel_mps2: pick(
                self.process_noise_accel_mps2,
                PROCESS_NOISE,
                d.process_noise_accel_mps2,
            ),
            gate_chi2: pick(self.gate_chi2, GATE, d.gate_chi2),
            confirm_hits: hits,
            confirm_window: window,
            max_coast_tentative_s: pick(self.max_coast_tentative_s, COAST, d.max_coast_tentative_s),
            max_coast_confirmed_s: pick(self.max_coast_confirmed_s, COAST, d.max_coast_confirmed_s),
            max_sigma_horizontal_m: pick(
                self.max_sigma_horizontal_m,
                SIGMA,
                d.max_sigma_horizontal_m,
            ),
            initial_speed_sigma_mps: pick(
                self.initial_speed_sigma_mps,
                SPEED,
                d.initial_speed_sigma_mps,
            ),
            max_reported_misses: self.max_reported_misses,
            imm_turn_rate_deg_s: pick(self.imm_turn_rate_deg_s, TURN_RATE, d.imm_turn_rate_deg_s),
            imm_turn_process_noise_accel_mps2: pick(
                self.imm_turn_process_noise_accel_mps2,
                PROCESS_NOISE,
                d.imm_turn_process_noise_accel_mps2,
            ),
            imm_switch_per_s: pick(self.imm_switch_per_s, SWITCH, d.imm_switch_per_s),
            jpda: self.jpda,
            detection_probability: pick(
                self.detection_probability,
                DETECTION,
                d.detection_probability,
            ),
            clutter_density_per_km2: pick(
                self.clutter_density_per_km2,
                CLUTTER,
                d.clutter_density_per_km2,
            ),
        }
    }
}

/// What is known about one sensor's errors beyond what its reports say: noise floors, a
/// constant bias and a reporting latency. The tracker applies it to every report of the sensor
/// before anything else (see [`crate::Tracker::set_sensor_model`]).
///
/// A σ here is a *floor*: a report that states a larger σ keeps it, one that states less (a
/// sensor overconfident about itself) is raised to it. A bias is what the sensor adds to the
/// truth (`measured = true + bias`), so it is subtracted. The latency is how much later than
/// the time of validity the sensor stamps its reports, so it is subtracted from their time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensorModel {
    /// Floor of the 1-σ range error of range/azimuth/elevation reports, metres.
    pub sigma_range_m: Option<f64>,
    /// Floor of the 1-σ azimuth error of range/azimuth/elevation reports, degrees.
    pub sigma_azimuth_deg: Option<f64>,
    /// Floor of the 1-σ elevation error of range/azimuth/elevation reports, degrees.
    pub sigma_elevation_deg: Option<f64>,
    /// Floor of the 1-σ error of bearing-only reports, degrees.
    pub sigma_bearing_deg: Option<f64>,
    /// Floor of the 1-σ horizontal error of position reports (every horizontal direction), m.
    pub sigma_position_m: Option<f64>,
    /// Floor of the 1-σ vertical error of position reports, metres.
    pub sigma_altitude_m: Option<f64>,
    /// Constant range bias of range/azimuth/elevation reports, metres.
    pub bias_range_m: f64,
    /// Constant azimuth bias of range/azimuth/elevation and bearing reports (a misaligned
    /// north), degrees clockwise.
    pub bias_azimuth_deg: f64,
    /// Constant elevation bias of range/azimuth/elevation reports, degrees.
    pub bias_elevation_deg: f64,
    /// Delay between the time of validity and the time the sensor stamps on its reports, s.
    pub latency_s: f64,
}

/// Accepted ranges of [`SensorModel`] fields.
const MODEL_SIGMA: (f64, f64) = (1.0e-6, 1.0e6);
const MODEL_ANGLE_SIGMA: (f64, f64) = (1.0e-6, 45.0);
const MODEL_RANGE_BIAS: (f64, f64) = (-1.0e4, 1.0e4);
const MODEL_AZIMUTH_BIAS: (f64, f64) = (-180.0, 180.0);
const MODEL_ELEVATION_BIAS: (f64, f64) = (-90.0, 90.0);
/// Latency up to a minute; anything later is not a sensor's delay but a broken clock.
pub const MAX_SENSOR_LATENCY_S: f64 = 60.0;

impl SensorModel {
    /// Checks every field; returns the first problem found.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let sigmas = [
            ("sigma_range_m", self.sigma_range_m, MODEL_SIGMA),
            (
                "sigma_azimuth_deg",
                self.sigma_azimuth_deg,
                MODEL_ANGLE_SIGMA,
            ),
            (
                "sigma_elevation_deg",
                self.sigma_elevation_deg,
                MODEL_ANGLE_SIGMA,
            ),
            (
                "sigma_bearing_deg",
                self.sigma_bearing_deg,
                MODEL_ANGLE_SIGMA,
            ),
            ("sigma_position_m", self.sigma_position_m, MODEL_SIGMA),
            ("sigma_altitude_m", self.sigma_altitude_m, MODEL_SIGMA),
        ];
        for (field, v, range) in sigmas {
            if let Some(v) = v {
                check(field, v, range)?;
            }
        }
        check("bias_range_m", self.bias_range_m, MODEL_RANGE_BIAS)?;
        check(
            "bias_azimuth_deg",
            self.bias_azimuth_deg,
            MODEL_AZIMUTH_BIAS,
        )?;
        check(
            "bias_elevation_deg",
            self.bias_elevation_deg,
            MODEL_ELEVATION_BIAS,
        )?;
        check("latency_s", self.latency_s, (0.0, MAX_SENSOR_LATENCY_S))?;
        Ok(())
    }

    /// True when the model changes nothing.
    pub fn is_neutral(&self) -> bool {
        *self == SensorModel::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid() {
        assert_eq!(TrackerConfig::default().validate(), Ok(()));
    }

    #[test]
    fn nan_gate_is_reported_by_name() {
        let c = TrackerConfig {
            gate_chi2: f64::NAN,
            ..TrackerConfig::default()
        };
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("gate_chi2"), "{err}");
    }

    #[test]
    fn more_hits_than_window_is_an_error() {
        let c = TrackerConfig {
            confirm_hits: 6,
            confirm_window: 5,
            ..TrackerConfig::default()
        };
        assert_eq!(
            c.validate(),
            Err(ConfigError::ConfirmHits { hits: 6, window: 5 })
        );
    }

    #[test]
    fn sanitizing_replaces_only_bad_fields() {
        let c = TrackerConfig {
            gate_chi2: -1.0,
            max_coast_confirmed_s: f64::INFINITY,
            confirm_window: 100,
            initial_speed_sigma_mps: 12.0,
            ..TrackerConfig::default()
        };
        let s = c.sanitized();
        let d = TrackerConfig::default();
        assert_eq!(s.gate_chi2, d.gate_chi2);
        assert_eq!(s.max_coast_confirmed_s, d.max_coast_confirmed_s);
        assert_eq!(s.confirm_window, d.confirm_window);
        assert_eq!(s.initial_speed_sigma_mps, 12.0);
        assert_eq!(s.validate(), Ok(()));
    }
}
