//! The built-in scenario as the pipeline's site model: the one place a [`picket_sim::Scenario`]
//! becomes a [`SiteModel`], for `picket demo` and for the tests of the pipeline, the outputs and
//! the API.
//!
//! Its own crate because neither side may hold it: the pipeline does not depend on the
//! simulator (only its tests do), and the simulator knows no pipeline (it is pure).
//!
//! Not for: the scenario itself (`picket-sim`), sites from a config file (the binary).
#![deny(missing_docs)]

use picket_pipeline::{SensorInfo, SiteModel};
use picket_sim::Scenario;

/// The site model of scenario `s`: its name, frame, units, zones and sensors, every sensor
/// called down after `silence_timeout_s` without data.
pub fn site_model(s: &Scenario, silence_timeout_s: f64) -> SiteModel {
    SiteModel {
        name: s.name.clone(),
        frame: s.frame,
        units: s.units.clone(),
        zones: s.zones.clone(),
        sensors: s
            .sensors
            .iter()
            .map(|x| SensorInfo {
                id: x.id.clone(),
                kind: x.kind.to_string(),
                position: x.position,
                silence_timeout_s,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_sensor_unit_and_zone_is_in_the_site() {
        let start = picket_core::Timestamp::parse_rfc3339("2026-11-26T12:00:00Z").unwrap();
        let s = picket_sim::naco(start, 1);
        let site = site_model(&s, 7.5);
        assert_eq!(site.name, s.name);
        assert_eq!(site.frame.origin(), s.frame.origin());
        assert_eq!(site.units, s.units);
        assert_eq!(site.zones, s.zones);
        assert_eq!(site.sensors.len(), s.sensors.len());
        for (got, sim) in site.sensors.iter().zip(&s.sensors) {
            assert_eq!(
                (&got.id, got.kind.as_str(), got.position),
                (&sim.id, sim.kind, sim.position)
            );
            assert_eq!(got.silence_timeout_s, 7.5);
        }
        // The scenario's sensors are of every kind the pipeline routes.
        let kinds: std::collections::BTreeSet<_> =
            site.sensors.iter().map(|x| x.kind.as_str()).collect();
        assert!(
            kinds.is_superset(&["adsb", "radar", "remote_id"].into()),
            "{kinds:?}"
        );
    }
}
