//! The live event stream: `GET /api/ws`. The client's first message is `{"token": "…"}`
//! (browsers cannot set headers on a WebSocket); nothing is sent before it checks out.

use crate::ApiContext;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use picket_core::Principal;
use picket_pipeline::{Event, LiveState};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Open streams re-check their token this often.
const REAUTH_EVERY: Duration = Duration::from_secs(60);

pub(crate) async fn upgrade(State(ctx): State<ApiContext>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(64 * 1024)
        .on_upgrade(move |socket| session(socket, ctx))
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn session(mut socket: WebSocket, ctx: ApiContext) {
    // Authenticate within 10 s or go away.
    let first = tokio::time::timeout(Duration::from_secs(10), socket.recv()).await;
    let token = match first {
        Ok(Some(Ok(Message::Text(t)))) => serde_json::from_str::<Value>(&t)
            .ok()
            .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_string)),
        _ => None,
    };
    let Some(token) = token else {
        return close(socket, 4401, "send {\"token\": TOKEN} first").await;
    };
    let auth = ctx.auth.clone();
    let t = token.clone();
    let principal = tokio::task::spawn_blocking(move || auth.authenticate(&t))
        .await
        .ok()
        .flatten();
    let Some(p) = principal else {
        return close(socket, 4401, "invalid or revoked token").await;
    };
    crate::routes::audit(&ctx, &p, "stream_open", "live event stream".into()).await;
    let hello = json!({"type": "hello", "user": p.name, "role": p.role.as_str()});
    if socket
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut rx = ctx.events.subscribe();
    if send_snapshot(&mut socket, &ctx, &p).await.is_err() {
        return;
    }
    let mut shutdown = ctx.shutdown.clone();
    // A revoked token or narrowed sectors take effect on open streams too.
    let mut recheck = tokio::time::interval(REAUTH_EVERY);
    recheck.tick().await;
    let mut p = p;
    loop {
        tokio::select! {
            changed = shutdown.changed() => {
                let stop = changed.is_err() || *shutdown.borrow();
                if stop {
                    let _ = socket.send(Message::Close(Some(CloseFrame { code: 1001, reason: "shutting down".into() }))).await;
                    break;
                }
            }
            _ = recheck.tick() => {
                let auth = ctx.auth.clone();
                let t = token.clone();
                match tokio::task::spawn_blocking(move || auth.authenticate(&t)).await.ok().flatten() {
                    Some(now) => p = now,
                    None => {
                        let _ = socket.send(Message::Close(Some(CloseFrame { code: 4401, reason: "token revoked".into() }))).await;
                        break;
                    }
                }
            }
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if let Some(v) = render(&ev, &p, &ctx) {
                        if socket.send(Message::Text(v.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                }
                // A slow client missed events: give it the whole picture again.
                Err(RecvError::Lagged(_)) => {
                    if send_snapshot(&mut socket, &ctx, &p).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                _ => {}
            },
        }
    }
    crate::routes::audit(&ctx, &p, "stream_close", "live event stream".into()).await;
}

fn sector_of(state: &LiveState, unit: &picket_core::UnitId) -> Option<String> {
    state.unit_sector(unit).map(str::to_string)
}

fn render(ev: &Event, p: &Principal, ctx: &ApiContext) -> Option<Value> {
    Some(match ev {
        Event::Tracks { time, tracks } => json!({"type": "tracks", "time": time, "tracks": tracks}),
        Event::Units { time, units } => {
            let units: Vec<_> = units.iter().filter(|u| p.may_see(&u.sector)).collect();
            if units.is_empty() {
                return None;
            }
            json!({"type": "units", "time": time, "units": units})
        }
        Event::Alert(a) => {
            let sector = ctx
                .state
                .read()
                .ok()
                .and_then(|s| sector_of(&s, &a.unit_id))?;
            if !p.may_see(&sector) {
                return None;
            }
            json!({"type": "alert", "alert": a})
        }
        Event::Sensor {
            sensor_id,
            up,
            reason,
        } => json!({"type": "sensor", "sensor_id": sensor_id, "up": up, "reason": reason}),
        Event::Clock { time, speed } => json!({"type": "clock", "time": time, "speed": speed}),
    })
}

async fn send_snapshot(
    socket: &mut WebSocket,
    ctx: &ApiContext,
    p: &Principal,
) -> Result<(), axum::Error> {
    let msgs: Vec<Value> = {
        let Ok(s) = ctx.state.read() else {
            return Ok(());
        };
        let time = s.data_time;
        let mut m = vec![
            json!({"type": "tracks", "time": time, "tracks": s.tracks.values().collect::<Vec<_>>()}),
        ];
        let units: Vec<_> = s.units.values().filter(|u| p.may_see(&u.sector)).collect();
        m.push(json!({"type": "units", "time": time, "units": units}));
        for a in s.alerts.values() {
            if sector_of(&s, &a.unit_id).is_some_and(|sec| p.may_see(&sec)) {
                m.push(json!({"type": "alert", "alert": a}));
            }
        }
        if let Some(t) = time {
            m.push(json!({"type": "clock", "time": t, "speed": s.speed}));
        }
        m
    };
    for v in msgs {
        socket.send(Message::Text(v.to_string().into())).await?;
    }
    Ok(())
}
