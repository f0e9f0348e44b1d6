//! REST routes, authentication and static files.

use crate::ApiContext;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use picket_core::{AlertId, Principal};
use picket_pipeline::{AckError, AlertError, Command};
use serde_json::json;
use tokio::sync::oneshot;
use tower_http::services::{ServeDir, ServeFile};

pub(crate) fn router(ctx: ApiContext) -> Router {
    let mut r = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/site", get(site))
        .route("/api/tracks", get(tracks))
        .route("/api/operators", get(operators))
        .route("/api/operators/{track_id}", get(operator))
        .route("/api/units", get(units))
        .route("/api/alerts", get(alerts))
        .route("/api/alerts/{id}/ack", post(acknowledge))
        .route("/api/sensors", get(sensors))
        .route("/api/sensors/{id}/tasks", post(crate::tasks::task_sensor))
        .route("/api/ws", get(crate::ws::upgrade))
        .route("/api/{*rest}", get(not_found).post(not_found));
    if let Some(root) = &ctx.web_root {
        r = r
            .nest_service(
                "/vendor/leaflet",
                ServeDir::new(root.join("node_modules/leaflet/dist")),
            )
            .route_service("/", ServeFile::new(root.join("index.html")))
            .fallback_service(ServeDir::new(root));
    }
    r.with_state(ctx)
}

/// An API error as JSON `{"error": "..."}`.
pub(crate) struct ApiError(pub(crate) StatusCode, pub(crate) String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

/// Liveness for supervisors and load balancers: no token needed, nothing revealed.
async fn healthz(State(ctx): State<ApiContext>) -> (StatusCode, &'static str) {
    if *ctx.failed.borrow() {
        (StatusCode::SERVICE_UNAVAILABLE, "a pipeline stage crashed")
    } else {
        (StatusCode::OK, "ok")
    }
}

async fn not_found() -> ApiError {
    ApiError(StatusCode::NOT_FOUND, "no such API route".into())
}

/// An authenticated caller (from `Authorization: Bearer TOKEN`).
pub(crate) struct Caller(pub Principal);

impl FromRequestParts<ApiContext> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, ctx: &ApiContext) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                ApiError(
                    StatusCode::UNAUTHORIZED,
                    "missing `Authorization: Bearer TOKEN` header".into(),
                )
            })?;
        let auth = ctx.auth.clone();
        let token = token.to_string();
        let principal = tokio::task::spawn_blocking(move || auth.authenticate(&token))
            .await
            .ok()
            .flatten()
            .ok_or_else(|| ApiError(StatusCode::UNAUTHORIZED, "invalid or revoked token".into()))?;
        Ok(Caller(principal))
    }
}

pub(crate) fn read_state(
    ctx: &ApiContext,
) -> Result<std::sync::RwLockReadGuard<'_, picket_pipeline::LiveState>, ApiError> {
    ctx.state.read().map_err(|_| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "state unavailable".into(),
        )
    })
}

async fn metrics(State(ctx): State<ApiContext>, _c: Caller) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        ctx.metrics.render(),
    )
}

async fn site(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (v, detail) = {
        let s = read_state(&ctx)?;
        let units: Vec<_> = s
            .site
            .units
            .iter()
            .filter(|u| p.may_see(&u.sector))
            .collect();
        let ids: Vec<&str> = units.iter().map(|u| u.id.0.as_str()).collect();
        let detail = format!("units: {}", ids.join(","));
        let v = json!({
            "name": s.site.name,
            "origin": s.site.frame.origin(),
            "zones": s.site.zones,
            "units": units,
            "sensors": s.site.sensors,
        });
        (v, detail)
    };
    audit(&ctx, &p, "view_site", detail).await;
    Ok(Json(v))
}

async fn tracks(
    State(ctx): State<ApiContext>,
    _c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let s = read_state(&ctx)?;
    Ok(Json(json!(s.tracks.values().collect::<Vec<_>>())))
}

/// An operator entity as the API shows it: the latest fix as `position`, the whole history
/// (`positions`) only when asked for one aircraft.
fn operator_json(e: &picket_pipeline::OperatorEntity, history: bool) -> serde_json::Value {
    let mut v = json!({
        "uas_id": e.uas_id,
        "aircraft_track_id": e.aircraft_track_id,
        "aircraft_live": e.aircraft_live,
        "aircraft_ended": e.aircraft_ended,
        "position": e.position(),
        "position_time": e.positions.back().map(|f| f.time),
        "take_off": e.take_off,
        "first_seen": e.first_seen,
        "last_seen": e.last_seen,
        "fixes": e.positions.len(),
    });
    if history {
        v["positions"] = json!(e.positions);
    }
    v
}

// Visibility: an operator is shown with its aircraft's track, and `/api/tracks` sends every
// track to every authenticated caller (tracks are the site's shared picture; what is
// need-to-know is where officers are). So no caller is refused an operator their sectors
// could not see the aircraft of — if tracks ever get sector-filtered, filter here the same way.
async fn operators(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (v, detail) = {
        let s = read_state(&ctx)?;
        let v: Vec<_> = s
            .operators
            .values()
            .map(|e| operator_json(e, false))
            .collect();
        let ids: Vec<&str> = s.operators.keys().map(String::as_str).collect();
        (json!(v), format!("uas: {}", ids.join(",")))
    };
    // A pilot's position is sensitive: who looked is recorded.
    audit(&ctx, &p, "view_operators", detail).await;
    Ok(Json(v))
}

async fn operator(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let track_id = id.trim_start_matches('T').parse::<u64>().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "`{}` is not a track id (12 or T12)",
                id.chars().take(32).collect::<String>()
            ),
        )
    })?;
    let found = {
        let s = read_state(&ctx)?;
        // Several UAS IDs may have flown as one track (re-identified): the live one, else the
        // most recently heard.
        s.operators
            .values()
            .filter(|e| e.aircraft_track_id == Some(picket_core::TrackId(track_id)))
            .max_by_key(|e| (e.aircraft_live, e.last_seen))
            .map(|e| (operator_json(e, true), e.uas_id.clone()))
    };
    let Some((v, uas)) = found else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no operator known for track T{track_id}"),
        ));
    };
    audit(&ctx, &p, "view_operator", format!("T{track_id} uas {uas}")).await;
    Ok(Json(v))
}

async fn units(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (v, detail) = {
        let s = read_state(&ctx)?;
        let v: Vec<_> = s.units.values().filter(|u| p.may_see(&u.sector)).collect();
        let ids: Vec<&str> = v.iter().map(|u| u.unit_id.0.as_str()).collect();
        (json!(v), ids.join(","))
    };
    audit(&ctx, &p, "view_units", detail).await;
    Ok(Json(v))
}

async fn alerts(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (v, detail) = {
        let s = read_state(&ctx)?;
        let v: Vec<_> = s
            .alerts
            .values()
            .filter(|a| s.unit_sector(&a.unit_id).is_some_and(|sec| p.may_see(sec)))
            .collect();
        let mut units: Vec<&str> = v.iter().map(|a| a.unit_id.0.as_str()).collect();
        units.sort_unstable();
        units.dedup();
        (json!(v), format!("units: {}", units.join(",")))
    };
    // An alert's position, range and bearing locate its unit: who looked is recorded.
    audit(&ctx, &p, "view_alerts", detail).await;
    Ok(Json(v))
}

/// Record an audit entry on a blocking thread (it is a durable store write); callers hold no
/// lock of the live picture while they wait.
pub(crate) async fn audit(ctx: &ApiContext, p: &Principal, action: &'static str, detail: String) {
    let auth = ctx.auth.clone();
    let who = p.name.clone();
    let _ = tokio::task::spawn_blocking(move || auth.audit(&who, action, &detail)).await;
}

async fn sensors(
    State(ctx): State<ApiContext>,
    _c: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let s = read_state(&ctx)?;
    Ok(Json(json!(s.sensors)))
}

async fn acknowledge(
    State(ctx): State<ApiContext>,
    Caller(p): Caller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id: u64 = id.trim_start_matches('A').parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "`{}` is not an alert id (a number)",
                id.chars().take(32).collect::<String>()
            ),
        )
    })?;
    let alert_id = AlertId(id);
    let sector = {
        let s = read_state(&ctx)?;
        s.alerts
            .get(&alert_id)
            .and_then(|a| s.unit_sector(&a.unit_id).map(str::to_string))
    };
    // An alert of a sector the caller may not see does not exist for them.
    let Some(sector) = sector.filter(|sec| p.may_see(sec)) else {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("no alert {alert_id}"),
        ));
    };
    if !p.may_acknowledge() {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            format!(
                "role `{}` may not acknowledge alerts (operator or admin needed)",
                p.role.as_str()
            ),
        ));
    }
    let (tx, rx) = oneshot::channel();
    ctx.commands
        .send(Command::Acknowledge {
            alert_id,
            by: p.name.clone(),
            reply: tx,
        })
        .await
        .map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "pipeline stopped".into()))?;
    let r = rx
        .await
        .map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "pipeline stopped".into()))?;
    match r {
        Ok(ev) => {
            audit(
                &ctx,
                &p,
                "acknowledge_alert",
                format!("{alert_id} unit {} sector {sector}", ev.unit_id),
            )
            .await;
            Ok(Json(json!(ev)))
        }
        Err(AckError::Refused(e)) => {
            let code = match e {
                AlertError::Unknown(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            Err(ApiError(code, e.to_string()))
        }
        Err(e) => Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}
