// Picket web console: one plain ES module, no build step, no network beyond its own server.
//
// Talks to the server that served it: REST (`/api/site`, `/api/alerts`, `/api/alerts/{id}/ack`)
// with a bearer token, and a WebSocket (`/api/ws`) that streams tracks, unit positions, alert
// events and the data clock. Every string that reaches the page from the server may come from
// the air (Remote ID serials, callsigns), so it is escaped or set as text, never trusted as HTML.

import * as L from '/vendor/leaflet/leaflet-src.esm.js';

const TOKEN_KEY = 'picket.token';
const TRAIL_POINTS = 60;
const OP_TRAIL_POINTS = 256; // as many as the server keeps per operator
// A track the server stopped mentioning (without a `deleted` update) goes after this much data time.
const TRACK_EXPIRY_MS = 60_000;
// The leader line shows where a track will be in this many seconds at its current velocity.
const LEADER_S = 30;
const RECONNECT_MIN_MS = 1_000;
const RECONNECT_MAX_MS = 30_000;
const MAX_ALERT_ITEMS = 200;

const CLASS_COLOUR = {
  drone: '#ff4d4f',
  unknown: '#ff9f1a',
  bird: '#3ecf6e',
  manned_aircraft: '#4da3ff',
};
const CLASS_WORD = {
  drone: 'drone',
  unknown: 'unknown',
  bird: 'bird',
  manned_aircraft: 'manned aircraft',
};
const LEVEL_COLOUR = { imminent: '#ff3b3b', warning: '#ff8c1a', caution: '#f2c94c', info: '#8a97a5' };
const LEVEL_RANK = { info: 0, caution: 1, warning: 2, imminent: 3 };
const STATE_RANK = { raised: 0, updated: 1, acknowledged: 2, cleared: 3 };
const UNIT_COLOUR = '#35c4d6';
const STALE_COLOUR = '#6b7785';
const BORDER_COLOUR = '#f2d16b';

// ---------------------------------------------------------------------------------------------
// Small helpers

const $ = (id) => document.getElementById(id);

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const ll = (p) => [p.lat_deg, p.lon_deg];
const isGeo = (p) => p && Number.isFinite(p.lat_deg) && Number.isFinite(p.lon_deg);
const timeMs = (t) => {
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : 0;
};
// "2026-11-26T12:00:05.250000Z" → "2026-11-26 12:00:05Z"
const fmtDateTime = (t) => (t ? String(t).replace('T', ' ').replace(/\.\d+/, '') : '—');
const fmtClock = (t) => (t ? String(t).slice(11, 19) + 'Z' : '—');
const round = (x) => (Number.isFinite(x) ? Math.round(x) : '—');

function fmtIdentity(id) {
  if (!id || typeof id !== 'object') return null;
  if ('remote_id' in id) return `RID ${id.remote_id}`;
  if ('icao' in id) return `ICAO ${Number(id.icao).toString(16).toUpperCase().padStart(6, '0')}`;
  if ('sapient_object' in id) return `SAPIENT ${id.sapient_object.node}/${id.sapient_object.object}`;
  return JSON.stringify(id);
}

function trackClass(t) {
  const c = t.class ?? t.class_hint?.class ?? 'unknown';
  return c in CLASS_COLOUR ? c : 'unknown';
}

// ---------------------------------------------------------------------------------------------
// State

const state = {
  token: null,
  session: 0, // bumped on sign-in/out so late callbacks of an old session do nothing
  site: null,
  user: null,
  role: null,
  ws: null,
  reconnectAttempt: 0,
  reconnectTimer: null,
  dataTimeMs: 0,
  units: new Map(), // unit_id → { unit, layer, dot, stale, position }
  sensors: new Map(), // sensor id → marker
  tracks: new Map(), // track id → view
  alerts: new Map(), // alert_id → latest AlertEvent
  alertEls: new Map(), // alert_id → DOM refs
  ackErrors: new Map(), // alert_id → message
  renderQueued: false,
};

// ---------------------------------------------------------------------------------------------
// Map

const map = L.map('map', {
  zoomControl: true,
  attributionControl: true,
  preferCanvas: false, // SVG paths: stable DOM for the browser test and crisp dashed lines
  minZoom: 5,
  maxZoom: 18,
}).setView([31.34, -109.95], 12);
map.attributionControl.setPrefix(false);
map.attributionControl.addAttribution('Border: Natural Earth (public domain)');
L.control.scale({ imperial: false, position: 'bottomright' }).addTo(map);

map.createPane('grid').style.zIndex = 250;
map.getPane('grid').style.pointerEvents = 'none';
map.createPane('trails').style.zIndex = 390;

const gridLayer = L.layerGroup().addTo(map);
const zoneLayer = L.layerGroup().addTo(map);
const unitLayer = L.layerGroup().addTo(map);
const sensorLayer = L.layerGroup().addTo(map);
const trailLayer = L.layerGroup().addTo(map);
const trackLayer = L.layerGroup().addTo(map);

// A plain lat/lon grid gives scale and orientation on a map that has no tiles.
function drawGrid() {
  gridLayer.clearLayers();
  const b = map.getBounds();
  const span = Math.max(b.getEast() - b.getWest(), b.getNorth() - b.getSouth());
  const steps = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
  const step = steps.find((s) => span / s <= 10) ?? 10;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const style = { pane: 'grid', color: '#1b2632', weight: 1, interactive: false };
  const labelAt = (latlng, text) =>
    L.marker(latlng, {
      pane: 'grid',
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: 'grid-label', html: esc(text), iconSize: null, iconAnchor: [-3, -2] }),
    });
  for (let lon = Math.ceil(b.getWest() / step) * step; lon <= b.getEast(); lon += step) {
    gridLayer.addLayer(L.polyline([[b.getSouth(), lon], [b.getNorth(), lon]], style));
    gridLayer.addLayer(labelAt([b.getNorth(), lon], `${lon.toFixed(decimals)}°`));
  }
  for (let lat = Math.ceil(b.getSouth() / step) * step; lat <= b.getNorth(); lat += step) {
    gridLayer.addLayer(L.polyline([[lat, b.getWest()], [lat, b.getEast()]], style));
    gridLayer.addLayer(labelAt([lat, b.getWest()], `${lat.toFixed(decimals)}°`));
  }
  placeZoneLabels();
}
map.on('moveend', drawGrid);

// ---------------------------------------------------------------------------------------------
// Site: zones, units, sensors

const zoneLabels = []; // { marker, points }

function latOnLineAt(points, lon) {
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i];
    const b = points[i + 1];
    const lo = Math.min(a.lon_deg, b.lon_deg);
    const hi = Math.max(a.lon_deg, b.lon_deg);
    if (lon >= lo && lon <= hi && hi > lo) {
      const t = (lon - a.lon_deg) / (b.lon_deg - a.lon_deg);
      return a.lat_deg + t * (b.lat_deg - a.lat_deg);
    }
  }
  return null;
}

// Long lines have their centre far off screen: keep each border's label inside the view.
function placeZoneLabels() {
  const b = map.getBounds();
  const lon = b.getWest() + 0.8 * (b.getEast() - b.getWest());
  for (const z of zoneLabels) {
    const lat = latOnLineAt(z.points, lon);
    if (lat === null || lat < b.getSouth() || lat > b.getNorth()) {
      zoneLayer.removeLayer(z.marker);
    } else {
      z.marker.setLatLng([lat, lon]);
      zoneLayer.addLayer(z.marker);
    }
  }
}

function renderSite(site) {
  $('site-name').textContent = site.name || 'Picket';
  document.title = `${site.name || 'Picket'} — Picket console`;
  zoneLayer.clearLayers();
  unitLayer.clearLayers();
  sensorLayer.clearLayers();
  zoneLabels.length = 0;
  state.units.clear();
  state.sensors.clear();
  const fit = [];
  if (isGeo(site.origin)) fit.push(ll(site.origin));

  for (const z of site.zones ?? []) {
    const g = z.geometry ?? {};
    if (g.shape === 'line' && Array.isArray(g.points)) {
      const pts = g.points.filter(isGeo);
      const border = z.kind === 'border';
      L.polyline(pts.map(ll), {
        color: border ? BORDER_COLOUR : '#ff6b6b',
        weight: border ? 2.5 : 2,
        dashArray: border ? '12 5 3 5' : '6 6',
        className: `zone zone-${esc(z.kind)}`,
      })
        .bindTooltip(esc(z.name), { sticky: true, className: 'lbl lbl-zone' })
        .addTo(zoneLayer);
      const marker = L.marker(ll(pts[0] ?? site.origin), {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: 'zone-anchor', html: '', iconSize: [0, 0] }),
      }).bindTooltip(esc(z.name), { permanent: true, direction: 'top', offset: [0, -4], className: 'lbl lbl-zone' });
      zoneLabels.push({ marker, points: pts });
    } else if (g.shape === 'polygon' && Array.isArray(g.vertices)) {
      L.polygon(g.vertices.filter(isGeo).map(ll), {
        color: '#ff6b6b',
        weight: 1.5,
        dashArray: '6 6',
        fillOpacity: 0.08,
        className: `zone zone-${esc(z.kind)}`,
      })
        .bindTooltip(esc(z.name), { permanent: true, direction: 'center', className: 'lbl lbl-zone' })
        .addTo(zoneLayer);
    }
  }

  for (const u of site.units ?? []) {
    const view = { unit: u, layer: null, dot: null, stale: false, position: null };
    state.units.set(u.id, view);
    const k = u.kind ?? {};
    if (k.kind === 'fixed' && k.geometry?.shape === 'circle' && isGeo(k.geometry.center)) {
      view.position = k.geometry.center;
      view.layer = L.circle(ll(k.geometry.center), { radius: k.geometry.radius_m, ...unitStyle(view) });
      const c = L.latLng(ll(k.geometry.center));
      fit.push(c.toBounds(2 * k.geometry.radius_m));
    } else if (k.kind === 'fixed' && k.geometry?.shape === 'polygon') {
      const vs = (k.geometry.vertices ?? []).filter(isGeo);
      if (vs.length) {
        view.layer = L.polygon(vs.map(ll), unitStyle(view));
        view.position = {
          lat_deg: vs.reduce((s, v) => s + v.lat_deg, 0) / vs.length,
          lon_deg: vs.reduce((s, v) => s + v.lon_deg, 0) / vs.length,
        };
        vs.forEach((v) => fit.push(ll(v)));
      }
    }
    if (view.layer) attachUnitLayer(view);
  }

  for (const s of site.sensors ?? []) {
    if (!isGeo(s.position)) continue;
    fit.push(ll(s.position));
    const marker = L.marker(ll(s.position), {
      keyboard: false,
      icon: L.divIcon({ className: 'sensor-icon', iconSize: [10, 10] }),
      title: `${s.id} (${s.kind})`,
    })
      .bindTooltip(esc(s.id), { permanent: true, direction: 'right', offset: [6, 0], className: 'lbl lbl-sensor' })
      .on('add', (e) => {
        const elm = e.target.getElement();
        elm?.setAttribute('data-testid', 'sensor-marker');
        elm?.setAttribute('data-sensor-id', s.id);
      })
      .addTo(sensorLayer);
    state.sensors.set(s.id, { marker, id: s.id, kind: s.kind });
  }

  if (fit.length > 1) {
    const bounds = L.latLngBounds([]);
    fit.forEach((f) => bounds.extend(f));
    map.fitBounds(bounds.pad(0.25), { maxZoom: 15, animate: false });
  } else if (fit.length === 1) {
    map.setView(fit[0], 13, { animate: false });
  }
  drawGrid();
}

function unitStyle(view) {
  const level = worstActiveLevel(view.unit.id);
  const colour = view.stale ? STALE_COLOUR : level && level !== 'info' ? LEVEL_COLOUR[level] : UNIT_COLOUR;
  return {
    color: colour,
    weight: level && level !== 'info' ? 2.5 : 1.5,
    fillColor: colour,
    fillOpacity: view.stale ? 0.05 : 0.1,
    dashArray: view.stale ? '4 4' : null,
    className: 'unit-area',
  };
}

function unitLabel(view) {
  const moving = view.unit.kind?.kind === 'moving';
  let html = esc(view.unit.name);
  if (moving) html += ' <span style="opacity:.7">(patrol)</span>';
  if (view.stale) html += ' · stale';
  return html;
}

function attachUnitLayer(view) {
  view.layer
    .bindTooltip(unitLabel(view), {
      permanent: true,
      direction: 'top',
      offset: [0, -6],
      className: `lbl lbl-unit${view.stale ? ' stale' : ''}`,
    })
    .on('add', (e) => {
      const p = e.target.getElement();
      p?.setAttribute('data-unit-id', view.unit.id);
    })
    .addTo(unitLayer);
  view.dot = L.circleMarker(view.layer.getLatLng?.() ?? view.layer.getBounds().getCenter(), {
    radius: 3,
    color: view.stale ? STALE_COLOUR : UNIT_COLOUR,
    fillOpacity: 1,
    weight: 1,
    interactive: false,
  }).addTo(unitLayer);
}

function refreshUnitStyles() {
  for (const view of state.units.values()) {
    if (!view.layer) continue;
    view.layer.setStyle(unitStyle(view));
  }
}

// Moving units: positions come from `units` messages.
function onUnits(msg) {
  for (const u of msg.units ?? []) {
    const view = state.units.get(u.unit_id);
    // Fixed units are reported too (at their fixed place): they are already drawn.
    if (!view || view.unit.kind?.kind !== 'moving') continue;
    const radius = view.unit.kind?.radius_m ?? 300;
    const wasStale = view.stale;
    view.stale = Boolean(u.stale);
    if (!isGeo(u.position)) {
      if (view.layer) unitLayer.removeLayer(view.layer);
      if (view.dot) unitLayer.removeLayer(view.dot);
      view.layer = view.dot = null;
      continue;
    }
    view.position = u.position;
    if (!view.layer) {
      view.layer = L.circle(ll(u.position), { radius, ...unitStyle(view) });
      attachUnitLayer(view);
    } else {
      view.layer.setLatLng(ll(u.position));
      view.dot.setLatLng(ll(u.position));
      if (wasStale !== view.stale) {
        view.layer.setStyle(unitStyle(view));
        view.dot.setStyle({ color: view.stale ? STALE_COLOUR : UNIT_COLOUR });
        view.layer.setTooltipContent(unitLabel(view));
        const tip = view.layer.getTooltip()?.getElement();
        tip?.classList.toggle('stale', view.stale);
      }
    }
  }
}

// Sensor health: a silent or disconnected sensor is drawn hollow and says so.
function onSensor(msg) {
  const v = state.sensors.get(msg.sensor_id);
  if (!v) return;
  const down = msg.up === false;
  v.marker.getElement()?.classList.toggle('down', down);
  v.marker.setTooltipContent(down ? `${esc(v.id)} · <b>down</b>` : esc(v.id));
  v.marker.getTooltip()?.getElement()?.classList.toggle('down', down);
  v.marker.getElement()?.setAttribute('title', `${v.id} (${v.kind})${msg.reason ? `: ${msg.reason}` : ''}`);
}

// ---------------------------------------------------------------------------------------------
// Tracks

function trackIcon(cls, tentative) {
  const c = CLASS_COLOUR[cls];
  const op = tentative ? 0.55 : 1;
  return L.divIcon({
    className: 'track-icon',
    iconSize: [16, 16],
    iconAnchor: [8, 8],
    html:
      `<svg width="16" height="16" viewBox="-8 -8 16 16" opacity="${op}">` +
      `<circle r="6" fill="${c}" fill-opacity="0.25" stroke="${c}" stroke-width="1.5"/>` +
      `<circle r="2.6" fill="${c}"/></svg>`,
  });
}

function trackLabel(t, cls) {
  const speed = Math.hypot(t.velocity_enu_mps?.[0] ?? 0, t.velocity_enu_mps?.[1] ?? 0);
  const originAlt = state.site?.origin?.alt_hae_m;
  const alt = t.position?.alt_hae_m;
  const height = Number.isFinite(originAlt) ? `${round(alt - originAlt)} m above site` : `${round(alt)} m HAE`;
  const ident = fmtIdentity(t.identity);
  let third;
  if (t.dark) third = '<span class="dark">DARK</span> <span class="sub">no Remote ID / ADS-B</span>';
  else if (ident || t.callsign) third = `<span class="ident">${esc([t.callsign, ident].filter(Boolean).join(' · '))}</span>`;
  else third = '<span class="sub">no identity</span>';
  // What an officer must not miss: a Remote ID that lies, an alert held back and why.
  let notes = '';
  if ((t.spoof?.score ?? 0) >= 0.5) {
    notes += `<br><span class="dark">SPOOFED?</span> <span class="sub">${esc(t.spoof.reasons?.[0] ?? '')}</span>`;
  }
  const quiet = (t.reasons ?? []).find((r) => r.startsWith('moves with ADS-B aircraft'));
  if (quiet) notes += `<br><span class="sub">${esc(quiet)}</span>`;
  return (
    `<b>T${esc(t.id)}</b> ${esc(CLASS_WORD[cls])}${t.status === 'tentative' ? ' <span class="sub">(tentative)</span>' : ''}<br>` +
    `<span class="sub">${round(speed)} m/s · ${height}</span><br>${third}${notes}`
  );
}

function onTracks(msg) {
  if (msg.time) state.dataTimeMs = Math.max(state.dataTimeMs, timeMs(msg.time));
  for (const t of msg.tracks ?? []) {
    if (t.status === 'deleted') {
      removeTrack(t.id);
      continue;
    }
    if (!isGeo(t.position)) continue;
    upsertTrack(t);
  }
  // Tracks the server forgot to delete must not linger on an officer's map.
  for (const [id, v] of state.tracks) {
    if (state.dataTimeMs - v.seenMs > TRACK_EXPIRY_MS) removeTrack(id);
  }
  $('track-count').textContent = String(state.tracks.size);
}

function upsertTrack(t) {
  const cls = trackClass(t);
  const pos = ll(t.position);
  let v = state.tracks.get(t.id);
  if (!v) {
    v = {
      cls,
      status: t.status,
      trailPts: [],
      marker: L.marker(pos, { icon: trackIcon(cls, t.status === 'tentative'), keyboard: false, zIndexOffset: 500 }),
      trail: L.polyline([], { pane: 'trails', color: CLASS_COLOUR[cls], weight: 1.5, opacity: 0.55, interactive: false }),
      leader: L.polyline([], { pane: 'trails', color: CLASS_COLOUR[cls], weight: 1, opacity: 0.8, dashArray: '2 3', interactive: false }),
      op: null,
      opLine: null,
      opTrail: null,
      opTrailPts: [],
      opHistoryAsked: false,
      takeOff: null,
      seenMs: 0,
      last: t,
    };
    v.marker.bindTooltip(trackLabel(t, cls), {
      permanent: true,
      direction: 'right',
      offset: [10, 0],
      className: 'lbl lbl-track',
    });
    v.marker.on('add', () => tagTrackElement(v, t));
    trailLayer.addLayer(v.trail);
    trailLayer.addLayer(v.leader);
    trackLayer.addLayer(v.marker);
    state.tracks.set(t.id, v);
  } else {
    if (v.cls !== cls || v.status !== t.status) {
      v.cls = cls;
      v.status = t.status;
      v.marker.setIcon(trackIcon(cls, t.status === 'tentative'));
      v.trail.setStyle({ color: CLASS_COLOUR[cls] });
      v.leader.setStyle({ color: CLASS_COLOUR[cls] });
    }
    v.marker.setLatLng(pos);
    v.marker.setTooltipContent(trackLabel(t, cls));
  }
  v.last = t;
  v.seenMs = t.time ? timeMs(t.time) : state.dataTimeMs;
  tagTrackElement(v, t);

  const prev = v.trailPts[v.trailPts.length - 1];
  if (!prev || prev[0] !== pos[0] || prev[1] !== pos[1]) {
    v.trailPts.push(pos);
    if (v.trailPts.length > TRAIL_POINTS) v.trailPts.splice(0, v.trailPts.length - TRAIL_POINTS);
    v.trail.setLatLngs(v.trailPts);
  }

  // Leader: straight-line prediction, good enough at these ranges (flat-earth over ~1 km).
  const [ve, vn] = t.velocity_enu_mps ?? [0, 0];
  const mPerDegLat = 111_132;
  const mPerDegLon = 111_320 * Math.cos((t.position.lat_deg * Math.PI) / 180);
  v.leader.setLatLngs([
    pos,
    [pos[0] + (vn * LEADER_S) / mPerDegLat, pos[1] + (ve * LEADER_S) / mPerDegLon],
  ]);

  if (isGeo(t.operator_position)) {
    const op = ll(t.operator_position);
    if (!v.op) {
      v.op = L.marker(op, {
        keyboard: false,
        // Leaflet positions markers with a transform, so the diamond is an inner element.
        icon: L.divIcon({ className: 'op-icon', iconSize: [12, 12], html: '<div class="op-diamond"></div>' }),
      }).bindTooltip(`operator of T${esc(t.id)}`, { direction: 'top', className: 'lbl' });
      v.op.on('add', () => v.op.getElement()?.setAttribute('data-testid', 'operator-marker'));
      v.opLine = L.polyline([op, pos], {
        pane: 'trails',
        color: '#ff9f1a',
        weight: 1.2,
        dashArray: '5 5',
        opacity: 0.8,
        interactive: false,
      });
      trackLayer.addLayer(v.op);
      trailLayer.addLayer(v.opLine);
    } else {
      v.op.setLatLng(op);
    }
    v.opLine.setLatLngs([op, pos]);
    addOperatorFixes(v, [op]);
    // The pilot's earlier positions (before this page saw the track) come from the server.
    if (!v.opHistoryAsked) {
      v.opHistoryAsked = true;
      loadOperatorHistory(t.id);
    }
  } else if (v.op) {
    trackLayer.removeLayer(v.op);
    trailLayer.removeLayer(v.opLine);
    v.op = v.opLine = null;
  }

  if (isGeo(t.take_off_position)) {
    const to = ll(t.take_off_position);
    if (!v.takeOff) {
      v.takeOff = L.marker(to, {
        keyboard: false,
        icon: L.divIcon({ className: 'to-icon', iconSize: [14, 14], html: '<div class="to-mark">T</div>' }),
      }).bindTooltip(`take-off point of T${esc(t.id)}`, { direction: 'top', className: 'lbl' });
      v.takeOff.on('add', () => v.takeOff?.getElement()?.setAttribute('data-testid', 'takeoff-marker'));
      trackLayer.addLayer(v.takeOff);
    } else {
      v.takeOff.setLatLng(to);
    }
  } else if (v.takeOff) {
    trackLayer.removeLayer(v.takeOff);
    v.takeOff = null;
  }
}

// A faint line through the operator's recent positions (oldest first).
function addOperatorFixes(v, points) {
  for (const p of points) {
    const prev = v.opTrailPts[v.opTrailPts.length - 1];
    if (!prev || prev[0] !== p[0] || prev[1] !== p[1]) v.opTrailPts.push(p);
  }
  if (v.opTrailPts.length > OP_TRAIL_POINTS) v.opTrailPts.splice(0, v.opTrailPts.length - OP_TRAIL_POINTS);
  if (!v.opTrail) {
    v.opTrail = L.polyline([], {
      pane: 'trails',
      color: '#ff9f1a',
      weight: 1,
      opacity: 0.35,
      interactive: false,
    });
    v.opTrail.on('add', () => v.opTrail?.getElement()?.setAttribute('data-testid', 'operator-trail'));
    trailLayer.addLayer(v.opTrail);
  }
  v.opTrail.setLatLngs(v.opTrailPts);
}

async function loadOperatorHistory(trackId) {
  const session = state.session;
  try {
    const res = await api(`/api/operators/T${encodeURIComponent(trackId)}`);
    if (!res.ok) return; // not known (yet): the track's own reports draw the line
    const op = await res.json();
    const v = state.tracks.get(trackId);
    if (session !== state.session || !v) return;
    const history = (Array.isArray(op.positions) ? op.positions : [])
      .map((f) => f.position)
      .filter(isGeo)
      .map(ll);
    const seen = v.opTrailPts;
    v.opTrailPts = [];
    addOperatorFixes(v, history.concat(seen));
  } catch (e) {
    if (!(e instanceof Unauthorized)) console.warn('operator history', e);
  }
}

// Stable hooks for the browser test: which track, what class, where.
function tagTrackElement(v, t) {
  const e = v.marker.getElement();
  if (!e) return;
  e.setAttribute('data-testid', 'track-marker');
  e.setAttribute('data-track-id', String(t.id));
  e.setAttribute('data-class', v.cls);
  e.setAttribute('data-lat', String(t.position.lat_deg));
  e.setAttribute('data-lon', String(t.position.lon_deg));
}

function removeTrack(id) {
  const v = state.tracks.get(id);
  if (!v) return;
  trackLayer.removeLayer(v.marker);
  trailLayer.removeLayer(v.trail);
  trailLayer.removeLayer(v.leader);
  if (v.op) trackLayer.removeLayer(v.op);
  if (v.opLine) trailLayer.removeLayer(v.opLine);
  if (v.opTrail) trailLayer.removeLayer(v.opTrail);
  if (v.takeOff) trackLayer.removeLayer(v.takeOff);
  state.tracks.delete(id);
}

function clearTracks() {
  for (const id of [...state.tracks.keys()]) removeTrack(id);
  $('track-count').textContent = '0';
}

// ---------------------------------------------------------------------------------------------
// Alerts

function worstActiveLevel(unitId) {
  let worst = null;
  for (const a of state.alerts.values()) {
    if (a.unit_id !== unitId || a.state === 'cleared') continue;
    if (worst === null || LEVEL_RANK[a.level] > LEVEL_RANK[worst]) worst = a.level;
  }
  return worst;
}

// The latest event of an alert wins; a cleared alert stays cleared.
function mergeAlert(ev) {
  if (!ev || ev.alert_id === undefined) return;
  const cur = state.alerts.get(ev.alert_id);
  if (cur) {
    if (cur.state === 'cleared' && ev.state !== 'cleared') return;
    const dt = timeMs(ev.time) - timeMs(cur.time);
    if (dt < 0) return;
    if (dt === 0 && STATE_RANK[ev.state] < STATE_RANK[cur.state]) return;
  }
  state.alerts.set(ev.alert_id, ev);
  if (ev.state !== 'raised' && ev.state !== 'updated') state.ackErrors.delete(ev.alert_id);
  scheduleAlertRender();
}

function scheduleAlertRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    renderAlerts();
  });
}

function unitName(id) {
  return state.units.get(id)?.unit.name ?? id;
}

// One DOM element per alert, updated in place, so a button never vanishes under a pointer.
function alertElement(id) {
  let r = state.alertEls.get(id);
  if (r) return r;
  const li = el('li', 'alert');
  li.setAttribute('data-testid', 'alert-item');
  li.setAttribute('data-alert-id', String(id));
  const top = el('div', 'alert-top');
  const level = el('span', 'level');
  const title = el('span', 'alert-title');
  const st = el('span', 'state');
  st.setAttribute('data-testid', 'alert-state');
  top.append(level, title, st);
  const meta = el('div', 'alert-meta');
  const reasons = el('ul', 'reasons');
  const foot = el('div', 'alert-foot');
  const when = el('span', 'when');
  const right = el('span', 'right');
  const ackBy = el('span', 'ack-by');
  ackBy.setAttribute('data-testid', 'acknowledged-by');
  const button = el('button', 'ack-button', 'Acknowledge');
  button.type = 'button';
  button.setAttribute('data-testid', 'ack-button');
  button.addEventListener('click', (e) => {
    e.stopPropagation();
    acknowledge(id, button);
  });
  right.append(ackBy, button);
  foot.append(when, right);
  const err = el('div', 'alert-error');
  li.append(top, meta, reasons, foot, err);
  li.addEventListener('click', () => {
    const a = state.alerts.get(id);
    const v = a && state.tracks.get(a.track_id);
    const target = v ? v.marker.getLatLng() : a && isGeo(a.position) ? ll(a.position) : null;
    if (target) map.panTo(target);
  });
  r = { li, level, title, st, meta, reasons, when, ackBy, button, err };
  state.alertEls.set(id, r);
  return r;
}

function renderAlerts() {
  const showCleared = $('show-cleared').checked;
  const all = [...state.alerts.values()].sort(
    (a, b) => timeMs(b.raised_time ?? b.time) - timeMs(a.raised_time ?? a.time) || b.alert_id - a.alert_id,
  );
  const shown = all.filter((a) => showCleared || a.state !== 'cleared').slice(0, MAX_ALERT_ITEMS);
  const list = $('alerts');
  const keep = new Set(shown.map((a) => a.alert_id));
  for (const [id, r] of state.alertEls) {
    if (!keep.has(id)) {
      r.li.remove();
      state.alertEls.delete(id);
    }
  }
  let prev = null;
  for (const a of shown) {
    const r = alertElement(a.alert_id);
    fillAlert(r, a);
    const want = prev ? prev.nextSibling : list.firstChild;
    if (want !== r.li) list.insertBefore(r.li, want);
    prev = r.li;
  }
  $('alerts-empty').hidden = shown.length > 0;
  $('alert-count').textContent = String(all.filter((a) => a.state !== 'cleared').length);
  refreshUnitStyles();
}

function fillAlert(r, a) {
  r.li.className = `alert level-${a.level}`;
  r.li.setAttribute('data-state', a.state);
  r.li.setAttribute('data-level', a.level);
  r.li.setAttribute('data-track-id', String(a.track_id));
  r.level.textContent = a.level;
  const cls = CLASS_WORD[a.target_class] ?? a.target_class;
  r.title.textContent = `T${a.track_id} ${cls} → ${unitName(a.unit_id)}`;
  r.title.title = `alert A${a.alert_id}, unit ${a.unit_id}`;
  r.st.textContent = a.state;

  r.meta.replaceChildren();
  const parts = [
    `${round(a.range_m)} m`,
    `brg ${String(round(a.bearing_deg)).padStart(3, '0')}°`,
    a.closing_speed_mps >= 0 ? `closing ${round(a.closing_speed_mps)} m/s` : `opening ${round(-a.closing_speed_mps)} m/s`,
    `CPA ${round(a.closest_approach_m)} m in ${round(a.time_to_closest_approach_s)} s`,
  ];
  // Each part keeps its separator, so a wrapped line never starts with one.
  const spans = parts.map((p) => el('span', 'nowrap', p));
  if (a.dark) spans.push(el('span', 'nowrap tag-dark', 'DARK'));
  spans.slice(0, -1).forEach((sp) => sp.append(el('span', 'sep', '·')));
  r.meta.append(...spans);

  r.reasons.replaceChildren(...(a.reasons ?? []).map((s) => el('li', null, s)));

  const updated = a.time !== a.raised_time ? ` · ${a.state} ${fmtClock(a.time)}` : '';
  r.when.textContent = `raised ${fmtClock(a.raised_time ?? a.time)}${updated}`;

  const open = a.state === 'raised' || a.state === 'updated';
  const needsAck = open && !a.acknowledged_by;
  r.button.hidden = !needsAck;
  if (needsAck && !r.button.dataset.busy) {
    r.button.disabled = state.role === 'viewer';
    r.button.title = state.role === 'viewer' ? 'Your role (viewer) may not acknowledge alerts' : '';
  }
  if (a.state === 'cleared') {
    r.ackBy.textContent = a.cleared_reason ? `cleared: ${a.cleared_reason}` : 'cleared';
    r.ackBy.className = 'ack-by cleared';
    r.ackBy.style.color = 'var(--muted)';
  } else if (a.acknowledged_by) {
    r.ackBy.textContent = `acknowledged by ${a.acknowledged_by}`;
    r.ackBy.className = 'ack-by';
    r.ackBy.style.color = '';
  } else {
    r.ackBy.textContent = '';
  }
  const err = state.ackErrors.get(a.alert_id);
  r.err.textContent = err ?? '';
  r.err.hidden = !err;
}

async function acknowledge(id, button) {
  const session = state.session;
  button.disabled = true;
  button.dataset.busy = '1';
  button.textContent = 'Acknowledging…';
  let message = null;
  try {
    const res = await api(`/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST' });
    if (session !== state.session) return;
    if (res.ok) {
      mergeAlert(await res.json());
    } else if (res.status === 403) {
      message = 'Your role may not acknowledge alerts.';
    } else if (res.status === 404) {
      message = 'The server does not know this alert.';
    } else if (res.status === 409) {
      message = 'Already cleared.';
      loadAlerts().catch(() => {});
    } else {
      message = `Acknowledge failed (HTTP ${res.status}).`;
    }
  } catch (e) {
    if (e instanceof Unauthorized) return;
    message = 'Acknowledge failed: server unreachable.';
  } finally {
    delete button.dataset.busy;
    button.textContent = 'Acknowledge';
    button.disabled = false;
  }
  if (message) state.ackErrors.set(id, message);
  else state.ackErrors.delete(id);
  scheduleAlertRender();
}

$('show-cleared').addEventListener('change', renderAlerts);

// ---------------------------------------------------------------------------------------------
// Server: REST, WebSocket, login

class Unauthorized extends Error {}

async function api(path, opts = {}) {
  const res = await fetch(path, {
    ...opts,
    headers: { ...(opts.headers ?? {}), Authorization: `Bearer ${state.token}` },
    cache: 'no-store',
  });
  if (res.status === 401) {
    signOut('token rejected');
    throw new Unauthorized('token rejected');
  }
  return res;
}

async function loadAlerts() {
  const session = state.session;
  const res = await api('/api/alerts');
  if (!res.ok) throw new Error(`GET /api/alerts: HTTP ${res.status}`);
  const list = await res.json();
  if (session !== state.session) return;
  for (const a of Array.isArray(list) ? list : []) mergeAlert(a);
}

// Sensor health at connect time (later changes arrive as `sensor` messages). Best effort: the
// console works without it.
async function loadSensorStatus() {
  const session = state.session;
  const res = await api('/api/sensors');
  if (!res.ok) return;
  const all = await res.json();
  if (session !== state.session || !all || typeof all !== 'object') return;
  for (const [id, st] of Object.entries(all)) {
    if (st && typeof st.up === 'boolean') onSensor({ sensor_id: id, up: st.up });
  }
}

function setConn(status, text) {
  const c = $('conn');
  c.setAttribute('data-status', status);
  $('conn-text').textContent = text ?? status;
}

function showNotice(text) {
  const n = $('notice');
  n.textContent = text ?? '';
  n.hidden = !text;
}

function connect() {
  const session = state.session;
  clearTimeout(state.reconnectTimer);
  setConn('connecting', 'connecting…');
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${location.host}/api/ws`);
  state.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: state.token }));
  ws.onmessage = (ev) => {
    if (session !== state.session) return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return; // not ours to crash on
    }
    switch (msg.type) {
      case 'hello':
        state.user = msg.user;
        state.role = msg.role;
        state.reconnectAttempt = 0;
        $('user').textContent = `${msg.user ?? ''} · ${msg.role ?? ''}`;
        // A new stream starts afresh (the server may have restarted with another data clock):
        // drop tracks rather than let old timestamps expire the new ones.
        clearTracks();
        state.dataTimeMs = 0;
        setConn('live', 'live');
        showNotice(null);
        // Events may have been missed while disconnected: resynchronise.
        loadAlerts().catch(() => {});
        loadSensorStatus().catch(() => {});
        scheduleAlertRender();
        break;
      case 'tracks':
        onTracks(msg);
        break;
      case 'units':
        onUnits(msg);
        break;
      case 'sensor':
        onSensor(msg);
        break;
      case 'alert':
        mergeAlert(msg.alert);
        break;
      case 'clock':
        if (msg.time) {
          state.dataTimeMs = Math.max(state.dataTimeMs, timeMs(msg.time));
          const dt = $('data-time');
          dt.textContent = fmtDateTime(msg.time);
          dt.setAttribute('data-time', msg.time);
        }
        $('speed').textContent = Number.isFinite(msg.speed) ? `replay ×${msg.speed}` : '';
        break;
      default:
        break;
    }
  };
  ws.onclose = (ev) => {
    if (session !== state.session || state.ws !== ws) return;
    state.ws = null;
    if (ev.code === 4401) {
      signOut('token rejected');
      return;
    }
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** state.reconnectAttempt);
    state.reconnectAttempt += 1;
    const jittered = Math.round(delay * (0.8 + 0.4 * Math.random()));
    setConn('reconnecting', `reconnecting in ${Math.ceil(jittered / 1000)} s`);
    state.reconnectTimer = setTimeout(() => {
      if (session === state.session) connect();
    }, jittered);
  };
}

async function start() {
  state.session += 1;
  const session = state.session;
  $('login').hidden = true;
  setConn('connecting', 'loading site…');
  for (;;) {
    try {
      const res = await api('/api/site');
      if (!res.ok) throw new Error(`GET /api/site: HTTP ${res.status}`);
      const site = await res.json();
      if (session !== state.session) return;
      state.site = site;
      renderSite(site);
      showNotice(null);
      break;
    } catch (e) {
      if (e instanceof Unauthorized || session !== state.session) return;
      showNotice(`Cannot load the site (${e.message}); retrying…`);
      setConn('offline', 'offline');
      await new Promise((r) => setTimeout(r, 3000));
      if (session !== state.session) return;
    }
  }
  loadAlerts().catch((e) => {
    if (!(e instanceof Unauthorized)) showNotice(`Cannot load alerts (${e.message}).`);
  });
  connect();
}

function signOut(reason) {
  state.session += 1;
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  clearTimeout(state.reconnectTimer);
  if (state.ws) {
    const ws = state.ws;
    state.ws = null;
    ws.close();
  }
  state.alerts.clear();
  for (const r of state.alertEls.values()) r.li.remove();
  state.alertEls.clear();
  clearTracks();
  renderAlerts();
  setConn('offline', 'signed out');
  $('user').textContent = '';
  showLogin(reason);
}

function showLogin(reason) {
  $('login').hidden = false;
  const err = $('login-error');
  err.textContent = reason ?? '';
  err.hidden = !reason;
  $('token-input').value = '';
  $('token-input').focus();
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const t = $('token-input').value.trim();
  if (!t) return;
  state.token = t;
  sessionStorage.setItem(TOKEN_KEY, t);
  start();
});

// A login link carries the token in the fragment (never sent to a server or logged); keep it in
// this tab's session storage and take it out of the address bar and history.
function takeTokenFromFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const t = params.get('token');
  if (!t) return;
  sessionStorage.setItem(TOKEN_KEY, t);
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
}

takeTokenFromFragment();
state.token = sessionStorage.getItem(TOKEN_KEY);
drawGrid();
if (state.token) start();
else showLogin(null);
