//! Picket's multi-target tracker: observations in, tracks out.
//!
//! It is for turning detections from many sensors (Remote ID, ADS-B, radar, SAPIENT, direction
//! finders) into one set of tracks in a site's local East-North-Up frame. It is not for
//! classification, threat scoring or alerting (`picket-assess`), and it does no I/O, reads no
//! clock and depends on no async or I/O crate: time comes only from the observations and the
//! `now` argument of [`Tracker::step`], so a replay gives bit-for-bit the live result.
//!
//! # Algorithm
//! 1. **Preparation.** A sensor with a [`SensorModel`] ([`Tracker::set_sensor_model`]) has
//!    its reports corrected first: latency off the time, bias off range and angles, σ raised
//!    to the model's floors. Every position-like observation becomes a 3-D ENU position with a
//!    covariance. Positions are converted from WGS-84 with the site frame (their covariance is
//!    already ENU). Range/azimuth/elevation is converted from the sensor's own local frame to
//!    the site frame exactly through ECEF; its covariance is the Jacobian of the
//!    polar-to-Cartesian conversion applied to the range/azimuth/elevation variances (a
//!    linearised converted measurement). A bearing-only report becomes a bearing in the site
//!    frame from the sensor's site position. Observations with non-finite numbers, invalid
//!    positions or values, a covariance that is not positive definite, or a time more than
//!    [`MAX_FUTURE_S`] after `now` are refused and counted; a 1 cm noise floor is added to
//!    accepted covariances.
//! 2. **Ordering.** Observations are sorted by time, sensor, then content (a total order), so the
//!    result does not depend on the order the caller passed them in; exact repeats are dropped.
//!    Consecutive observations with the same time, sensor and kind form one *scan*.
//! 3. **Motion models, per scan.** Tracks that coasted too long are deleted; every live track
//!    is predicted to the scan time by an IMM (interacting multiple models) of a 6-D
//!    constant-velocity Kalman filter and, unless `imm_turn_rate_deg_s` is 0, two
//!    coordinated-turn filters of fixed rate (left and right) on the same state; the models mix
//!    at `imm_switch_per_s` and gating uses their moment-matched combination. An observation up
//!    to [`MAX_LATENESS_S`] older than a track (out of sequence) is compared with the
//!    retrodicted position and updates the track in place (process noise of the gap added to
//!    the measurement noise), so the track's time never goes back; one that is older still and
//!    gates with a track is refused as late.
//! 4. **Gating** with the chi-square test on the 3-D Mahalanobis distance, after a cheap
//!    sweep along east on `|y|² ≤ gate · trace S`; bearings with the 1-degree-of-freedom test.
//!    *Identities.* Remote ID serials and ICAO addresses are *cooperative*: the target's own
//!    claim, one object each; a track's `identity` is the first one that updated it, and a
//!    report claiming another cooperative identity never joins it.
//!    SAPIENT object ids are *labels* local to one node: they go to the track's
//!    `other_identities` (sorted, the latest per node, at most [`MAX_LABELS_PER_TRACK`]) and
//!    never block a cooperative report. The tracker remembers which live track holds each
//!    identity. A report whose identity a track holds and which gates with it may go only to
//!    that track (a label on one track steers its node's later reports there, however near
//!    another track is). A cooperative report that does not gate with the track holding its
//!    identity, while a non-cooperative sensor (radar, SAPIENT, direction finder) updated that
//!    track within `max_coast_confirmed_s`, is a *conflict*: the claimed position is where the
//!    other sensors say the object is not. It updates nothing, starts no track (a "claimed"
//!    twin would put a phantom on the picture, which is what a spoofer wants) and is counted
//!    in [`TrackerStats::observations_conflicting`]; the holding track keeps it as spoof
//!    evidence, e.g. "Remote ID ABC123 claims a position 1.4 km from where radar-1 tracks
//!    it (3 such reports)", scored 0.5 just outside the gate rising to 0.95 at three times
//!    the gate's Mahalanobis distance (the highest score so far is kept: a lie once told
//!    stays on record for the track's life). Without another sensor there is nothing to
//!    contradict: a far report starts a new track, which then holds the identity; a label
//!    report that does not gate with its holder may go elsewhere, and its label moves along.
//! 5. **Assignment.** Gated pairs cost `d² + ln det S`. Connected clusters of the gating graph
//!    are solved separately, so the cost grows with cluster size, not with all targets: trivial
//!    clusters directly, the rest optimally with Kuhn–Munkres on integer costs (an oversized,
//!    hostile cluster falls back to greedy).
//! 6. **Update** of every motion model in Joseph form, symmetrised (bearings: extended Kalman
//!    update); model probabilities follow the models' likelihoods. A result that is not finite,
//!    positive definite and physically plausible is discarded (the observation counts as
//!    refused). Unassigned observations start tentative tracks (at most [`MAX_LIVE_TRACKS`]
//!    live): position from the measurement, velocity zero with σ `initial_speed_sigma_mps`, or
//!    the reported velocity when the report carries one. An unassigned bearing is triangulated
//!    with a waiting bearing of another sensor (within [`BEARING_PAIRING_WINDOW_S`], crossing
//!    at 10° or more, in front of both) and the fix starts a track; without a partner it waits,
//!    and is refused when the window passes.
//! 7. **Confirmation**, M of N: each track keeps a bit history of *opportunities*. An update is a
//!    hit; a scan without an update is a miss only when its sensor has updated the track before
//!    and the scan holds an observation the track could have taken (no identity; its own or,
//!    while it has none, any cooperative identity; a label it holds, or any label of a node
//!    that has not labelled it — so a node's report about another object is no miss). A
//!    tentative track with `confirm_hits` hits among its last `confirm_window` opportunities is
//!    confirmed. Empty scans are never seen, so silence is handled by time-based deletion.
//! 8. **Deletion**: a track not updated for more than `max_coast_tentative_s` /
//!    `max_coast_confirmed_s` is deleted at the next scan (before association) or at `now`; a
//!    track whose predicted 1-σ horizontal uncertainty exceeds `max_sigma_horizontal_m` is
//!    deleted after a scan it missed, or at `now`. Ids start at 1 and are never reused.
//! 9. **Picture.** [`Tracker::picture`] gives the confirmed tracks predicted to a time, leaving
//!    out those that missed more than `max_reported_misses` opportunities in a row (likelier
//!    gone than there; kept alive to be reacquired under the same id).
//!
//! A track takes the cooperative identity of the first observation with one that updates it,
//! collects the labels of its observations, keeps the latest callsign, operator and take-off
//! positions and the spoof evidence of its newest observation that carried some (published
//! merged with its conflicts: the highest score, the reasons of both, stronger first, each
//! once, at most [`MAX_SPOOF_REASONS`]), accumulates class hints (best class by summed
//! confidence; confidence = that sum / number of hints) and lists its contributing sensors.
//!
//! # Cost
//! A scan costs about its own size, not the number of live tracks, so that a step bringing N
//! new targets (a Remote ID queue draining, a flood of forged identities, radar plots that
//! each carry their own time) costs about N log N rather than N²: only the tracks that may
//! gate with a scan are predicted (conservative bounds on where each can be, found through a
//! grid of the step's tracks); a scan of cooperative reports looks only at the tracks holding
//! none or holding its identities; deletion visits only the tracks whose deadlines passed; and
//! the misses every track of a sensor takes are counted per sensor, not shifted into each.
//! None of this changes a result. What stays quadratic is what the algorithm itself compares:
//! a dense cluster (every report inside every gate), a report older than every track (it is
//! retrodicted against each to decide whether it is late), and bearing scans (every track).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod assign;
mod bearing;
mod config;
mod imm;
mod jpda;
mod kalman;
mod measure;
mod reach;
mod tracker;

pub use config::{ConfigError, SensorModel, TrackerConfig, MAX_SENSOR_LATENCY_S};
pub use tracker::{
    Tracker, TrackerStats, BEARING_PAIRING_WINDOW_S, MAX_FUTURE_S, MAX_LABELS_PER_TRACK,
    MAX_LATENESS_S, MAX_LIVE_TRACKS, MAX_SPOOF_REASONS, REPORTED_VELOCITY_SIGMA_MPS,
};
