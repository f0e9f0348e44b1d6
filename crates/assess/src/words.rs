//! Numbers in an officer's words: "1.2 km", "SE", "~60 s", "northbound".

/// A distance rounded the way it is spoken: "40 m", "450 m", "1.2 km".
pub(crate) fn distance(m: f64) -> String {
    if !m.is_finite() {
        return "unknown distance".to_owned();
    }
    let m = m.max(0.0);
    if m < 100.0 {
        format!("{:.0} m", (m / 5.0).round() * 5.0)
    } else if m < 995.0 {
        format!("{:.0} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

/// Eight-point compass word for a bearing in degrees.
pub(crate) fn compass(bearing_deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    if !bearing_deg.is_finite() {
        return "?";
    }
    let b = bearing_deg.rem_euclid(360.0);
    let i = ((b + 22.5) / 45.0).floor() as usize % 8;
    POINTS[i]
}

/// Direction of travel for a course in degrees: "northbound", "eastbound", ...
pub(crate) fn bound(course_deg: f64) -> &'static str {
    const WORDS: [&str; 4] = ["northbound", "eastbound", "southbound", "westbound"];
    if !course_deg.is_finite() {
        return "crossing";
    }
    let c = course_deg.rem_euclid(360.0);
    WORDS[((c + 45.0) / 90.0).floor() as usize % 4]
}

/// A time ahead, approximate: "~8 s", "~60 s", "~3 min".
pub(crate) fn eta(s: f64) -> String {
    if !s.is_finite() {
        return "unknown time".to_owned();
    }
    let s = s.max(0.0);
    if s < 20.0 {
        format!("~{:.0} s", s.round())
    } else if s < 90.0 {
        format!("~{:.0} s", (s / 5.0).round() * 5.0)
    } else {
        format!("~{:.0} min", (s / 60.0).round())
    }
}

/// A time in the past: "40 s", "3 min".
pub(crate) fn ago(s: f64) -> String {
    if !s.is_finite() {
        return "some time".to_owned();
    }
    let s = s.max(0.0);
    if s < 120.0 {
        format!("{:.0} s", s.round())
    } else {
        format!("{:.0} min", (s / 60.0).round())
    }
}

/// A speed in whole metres per second.
pub(crate) fn speed(mps: f64) -> String {
    format!("{:.0} m/s", mps.abs().round())
}

/// Attacker-controlled text (a Remote ID serial, a callsign) made safe to show: printable
/// characters only, at most 40 of them.
pub(crate) fn sanitize(s: &str) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).take(40).collect();
    if clean.trim().is_empty() {
        "(blank)".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_round_as_spoken() {
        assert_eq!(distance(42.0), "40 m");
        assert_eq!(distance(447.0), "450 m");
        assert_eq!(distance(1_234.0), "1.2 km");
        assert_eq!(distance(996.0), "1.0 km");
    }

    #[test]
    fn compass_points_cover_the_circle() {
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(359.0), "N");
        assert_eq!(compass(135.0), "SE");
        assert_eq!(compass(200.0), "S");
        assert_eq!(compass(-90.0), "W");
    }

    #[test]
    fn courses_become_directions_of_travel() {
        assert_eq!(bound(10.0), "northbound");
        assert_eq!(bound(100.0), "eastbound");
        assert_eq!(bound(181.0), "southbound");
        assert_eq!(bound(300.0), "westbound");
    }

    #[test]
    fn times_are_approximate() {
        assert_eq!(eta(8.4), "~8 s");
        assert_eq!(eta(61.0), "~60 s");
        assert_eq!(eta(170.0), "~3 min");
        assert_eq!(ago(40.2), "40 s");
        assert_eq!(ago(300.0), "5 min");
    }

    #[test]
    fn hostile_text_is_stripped_of_control_characters_and_capped() {
        assert_eq!(sanitize("AB\u{7}C\n"), "ABC");
        assert_eq!(sanitize(&"X".repeat(500)).len(), 40);
        assert_eq!(sanitize("\u{0}"), "(blank)");
    }
}
