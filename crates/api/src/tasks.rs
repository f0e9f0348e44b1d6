//! `POST /api/sensors/{id}/tasks`: ask a sensor (a SAPIENT node) to look at a track or a
//! place, and answer with the node's acknowledgement.

use crate::routes::{audit, ApiError, Caller};
use crate::ApiContext;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use picket_core::{GeoPoint, Principal, SensorId, TrackId, TrackStatus};
use picket_pipeline::{LookAt, TaskError};
use serde_json::json;
use std::time::Duration;

/// How long the sensor has to acknowledge a task.
pub(crate) const TASK_ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest request body read, bytes.
const MAX_BODY: usize = 4096;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

/// A task's id: a ULID of the time and 80 random bits (the encoder is picket-sapient's, which
/// takes both as arguments).
pub(crate) fn task_id(unix_ms: u64, random: [u8; 10]) -> String {
    let mut entropy = [0u8; 16];
    entropy[6..].copy_from_slice(&random);
    picket_sapient::upstream::ulid(
        i64::try_from(unix_ms).unwrap_or(i64::MAX),
        u128::from_be_bytes(entropy),
    )
}

fn new_task_id() -> Result<String, ApiError> {
    let mut r = [0u8; 10];
    getrandom::fill(&mut r).map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("no random source for a task id: {e}"),
        )
    })?;
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Ok(task_id(ms, r))
}

/// What to look at: a live track, or a place.
enum Target {
    Track(TrackId),
    Place(GeoPoint),
}

fn parse_body(body: &[u8], default_alt_m: f64) -> Result<(Target, Option<String>), ApiError> {
    if body.len() > MAX_BODY {
        return Err(bad(format!("body over {MAX_BODY} bytes")));
    }
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("body is not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("body must be a JSON object"))?;
    if let Some(k) = obj.keys().find(|k| {
        !matches!(
            k.as_str(),
            "kind" | "track_id" | "lat_deg" | "lon_deg" | "alt_hae_m" | "node_id"
        )
    }) {
        return Err(bad(format!(
            "unknown field `{}` (use kind, track_id or lat_deg/lon_deg/alt_hae_m, node_id)",
            k.chars().take(40).collect::<String>()
        )));
    }
    match obj.get("kind").map(|k| k.as_str()) {
        None | Some(Some("look_at")) => {}
        _ => return Err(bad("kind must be \"look_at\" (the only task kind)")),
    }
    let node_id = match obj.get("node_id") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
        _ => return Err(bad("node_id must be a node's id (a string)")),
    };
    let num = |k: &str| obj.get(k).and_then(serde_json::Value::as_f64);
    let target = match (obj.get("track_id"), num("lat_deg"), num("lon_deg")) {
        (Some(t), None, None) => {
            let id = t
                .as_u64()
                .or_else(|| {
                    t.as_str()
                        .and_then(|s| s.trim_start_matches('T').parse().ok())
                })
                .ok_or_else(|| bad("track_id must be a track id (12 or \"T12\")"))?;
            Target::Track(TrackId(id))
        }
        (None, Some(lat_deg), Some(lon_deg)) => {
            let p = GeoPoint::new(lat_deg, lon_deg, num("alt_hae_m").unwrap_or(default_alt_m));
            if !p.is_valid() {
                return Err(bad("lat_deg/lon_deg/alt_hae_m are not a WGS-84 position"));
            }
            Target::Place(p)
        }
        _ => {
            return Err(bad(
                "give either track_id or lat_deg and lon_deg (alt_hae_m optional)",
            ))
        }
    };
    Ok((target, node_id))
}

fn task_error(e: &TaskError) -> StatusCode {
    match e {
        TaskError::NotTaskable(_) | TaskError::NoNode(_) | TaskError::Ambiguous(_) => {
            StatusCode::CONFLICT
        }
        TaskError::UnknownNode(_) => StatusCode::NOT_FOUND,
        TaskError::Busy => StatusCode::TOO_MANY_REQUESTS,
        TaskError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        TaskError::Disconnected => StatusCode::BAD_GATEWAY,
    }
}

pub(crate) async fn task_sensor(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let sensor_label: String = id.chars().take(64).collect();
    let result = task_sensor_checked(&ctx, &p, SensorId(id), body).await;
    // A refused attempt is audited too (the sent ones are, with their outcome, below).
    if let Err(ApiError(status, why)) = &result {
        if !matches!(
            *status,
            StatusCode::GATEWAY_TIMEOUT | StatusCode::BAD_GATEWAY
        ) {
            audit(
                &ctx,
                &p,
                "task_sensor",
                format!("sensor {sensor_label} refused ({}): {why}", status.as_u16()),
            )
            .await;
        }
    }
    result
}

async fn task_sensor_checked(
    ctx: &ApiContext,
    p: &Principal,
    sensor: SensorId,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (default_alt_m, sectors) = {
        let s = crate::routes::read_state(ctx)?;
        if !s.site.sensors.iter().any(|x| x.id == sensor) {
            return Err(ApiError(
                StatusCode::NOT_FOUND,
                format!(
                    "no sensor `{}`",
                    sensor.0.chars().take(64).collect::<String>()
                ),
            ));
        }
        let mut sectors: Vec<String> = s.site.units.iter().map(|u| u.sector.clone()).collect();
        sectors.sort_unstable();
        sectors.dedup();
        (s.site.frame.origin().alt_hae_m, sectors)
    };
    if !p.may_acknowledge() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "role `{}` may not task sensors (operator or admin needed)",
                p.role.as_str()
            ),
        ));
    }
    // A task changes what a sensor watches for everyone on the site.
    if let Some(sec) = sectors.iter().find(|s| !p.may_see(s)) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!("tasking a sensor needs access to every sector of the site (not `{sec}`)"),
        ));
    }
    let (target, node_id) = parse_body(&body, default_alt_m)?;
    let (position, track) = match target {
        Target::Place(g) => (g, None),
        Target::Track(t) => {
            let s = crate::routes::read_state(ctx)?;
            let v = s
                .tracks
                .get(&t)
                .filter(|v| v.track.status != TrackStatus::Deleted)
                .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no live track {t}")))?;
            (v.track.position, Some(t))
        }
    };
    let task_id = new_task_id()?;
    let look_at = LookAt {
        task_id: task_id.clone(),
        target: position,
        node_id,
    };
    let outcome = ctx
        .tasking
        .look_at(&sensor, look_at, TASK_ACK_TIMEOUT)
        .await;
    let what = match track {
        Some(t) => format!(
            "track {t} at {:.6},{:.6}",
            position.lat_deg, position.lon_deg
        ),
        None => format!("{:.6},{:.6}", position.lat_deg, position.lon_deg),
    };
    let result = match &outcome {
        Ok(a) => format!("node {} {}", a.node_id, a.status),
        Err(e) => format!("not acknowledged: {e}"),
    };
    audit(
        ctx,
        p,
        "task_sensor",
        format!("sensor {sensor} task {task_id} look at {what}: {result}"),
    )
    .await;
    match outcome {
        Ok(a) => Ok(Json(json!({
            "task_id": a.task_id,
            "sensor_id": sensor,
            "node_id": a.node_id,
            "kind": "look_at",
            "target": position,
            "track_id": track,
            "status": a.status,
            "reasons": a.reasons,
        }))),
        Err(e) => Err(ApiError(task_error(&e), e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_are_26_crockford_characters_ordered_by_time() {
        let a = task_id(1_469_918_176_385, [0; 10]);
        assert_eq!(a, "01ARYZ6S410000000000000000");
        // The random bytes in order, most significant first (as the API's own encoder did).
        let r = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc];
        assert_eq!(task_id(1_469_918_176_385, r), "01ARYZ6S4104HMASW9NF6YZZPW");
        let b = task_id(1_469_918_176_386, [0xff; 10]);
        assert_eq!(b.len(), 26);
        assert!(b > a);
        assert!(b.ends_with("ZZZZZZZZZZZZZZZZ"));
    }

    #[test]
    fn bodies_name_a_track_or_a_place_and_nothing_else() {
        assert!(matches!(
            parse_body(br#"{"track_id": "T12"}"#, 0.0),
            Ok((Target::Track(TrackId(12)), None))
        ));
        assert!(matches!(
            parse_body(br#"{"track_id": 7, "node_id": "n-1"}"#, 0.0),
            Ok((Target::Track(TrackId(7)), Some(n))) if n == "n-1"
        ));
        let Ok((Target::Place(p), None)) =
            parse_body(br#"{"lat_deg": 31.3, "lon_deg": -109.9}"#, 1400.0)
        else {
            panic!("a place")
        };
        assert_eq!(p.alt_hae_m, 1400.0);
        for b in [
            &br#"{"track_id": 1, "lat_deg": 1, "lon_deg": 2}"#[..],
            br#"{"lat_deg": 95, "lon_deg": 2}"#,
            br#"{"kind": "move_to", "track_id": 1}"#,
            br#"{"track": 1}"#,
            br#"[1]"#,
            b"nope",
        ] {
            assert!(
                parse_body(b, 0.0).is_err(),
                "{}",
                String::from_utf8_lossy(b)
            );
        }
    }
}
