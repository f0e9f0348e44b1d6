#!/usr/bin/env node
// End-to-end test of the web console: starts `picket demo`, drives Debian's Chromium through
// playwright-core, and checks what an officer would see and do: the map with the border and the
// protected units, live tracks that move, an alert that can be acknowledged, and a server that
// refuses calls without a token.
//
//   cd web && npm ci && node tests/console.test.mjs
//
// Environment:
//   PICKET_BIN         the picket binary (default: ../target/debug/picket relative to web/)
//   CHROMIUM           the browser (default: /usr/bin/chromium; apt-get install chromium)
//   UPDATE_SCREENSHOT  1 = also copy the screenshot to docs/console.png
//
// Exits non-zero on any failure; a missing browser or binary is a failure, never a skip.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const WEB = resolve(HERE, '..');
const ROOT = resolve(WEB, '..');
const OUT_DIR = join(HERE, 'out');
const SCREENSHOT = join(OUT_DIR, 'console.png');
const PICKET_BIN = process.env.PICKET_BIN
  ? resolve(process.cwd(), process.env.PICKET_BIN)
  : resolve(WEB, '../target/debug/picket');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LINK_TIMEOUT_MS = 60_000;
const TRACKS_TIMEOUT_MS = 60_000;
const MOVE_TIMEOUT_MS = 30_000;
const ALERT_TIMEOUT_MS = 90_000;
const ACK_TIMEOUT_MS = 15_000;
const WATCHDOG_MS = 300_000;

let passed = 0;
let failed = 0;
let demo = null;
let browser = null;
let workDir = null;
const demoLog = []; // last lines of the demo's output, for diagnosis

class CheckFailed extends Error {}

function ok(name, detail) {
  passed += 1;
  console.log(`ok - ${name}${detail ? ` (${detail})` : ''}`);
}

function fail(name, why) {
  failed += 1;
  console.log(`not ok - ${name}: ${why}`);
  throw new CheckFailed(name);
}

// Run one check: `fn` returns a value (shown when it is a string or number) or throws with the
// reason; `show` turns the value into what is printed.
async function check(name, fn, show = (v) => (['string', 'number'].includes(typeof v) ? String(v) : '')) {
  let value;
  try {
    value = await fn();
  } catch (e) {
    fail(name, e?.message ?? String(e));
  }
  ok(name, show(value));
  return value;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function remember(line) {
  demoLog.push(line.replace(/token=\S+/g, 'token=…'));
  if (demoLog.length > 40) demoLog.shift();
}

// Start `picket demo` and resolve with the login link it prints.
function startDemo() {
  workDir = mkdtempSync(join(tmpdir(), 'picket-console-test-'));
  const args = ['demo', '--speed', '5', '--listen', '127.0.0.1:0', '--store', join(workDir, 'demo.sqlite')];
  console.log(`# starting ${PICKET_BIN} ${args.join(' ')}`);
  demo = spawn(PICKET_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: workDir });
  return new Promise((resolveLink, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no login link (http://…#token=…) on stdout within ${LINK_TIMEOUT_MS / 1000} s`)),
      LINK_TIMEOUT_MS,
    );
    let buf = '';
    // Keep draining both pipes for the whole run so the demo never blocks on a full pipe.
    demo.stdout.setEncoding('utf8').on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        remember(line);
        const m = line.match(/http:\/\/\S+#token=\S+/);
        if (m) {
          clearTimeout(timer);
          resolveLink(m[0]);
        }
      }
    });
    demo.stderr.setEncoding('utf8').on('data', (chunk) => chunk.split('\n').filter(Boolean).forEach(remember));
    demo.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${PICKET_BIN}: ${e.message}`));
    });
    demo.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`picket demo exited early (code ${code}, signal ${signal})`));
    });
  });
}

async function stopDemo() {
  if (!demo || demo.exitCode !== null || demo.signalCode !== null) return;
  const exited = new Promise((r) => demo.once('exit', r));
  demo.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!done) {
    demo.kill('SIGKILL');
    await Promise.race([exited, sleep(2_000)]);
  }
}

async function cleanup() {
  try {
    await browser?.close();
  } catch {
    // the browser may already be gone; the demo must still be stopped
  }
  await stopDemo();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  await check('chromium is installed', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: apt-get install -y chromium chromium-driver (or set CHROMIUM)`);
    }
    return CHROMIUM;
  });
  await check('picket binary exists', async () => {
    if (!existsSync(PICKET_BIN)) throw new Error(`${PICKET_BIN} not found: cargo build -p picket (or set PICKET_BIN)`);
    return PICKET_BIN;
  });

  const link = await check('picket demo prints a login link', startDemo, (l) => l.replace(/token=.*/, 'token=…'));
  const base = new URL(link).origin;
  const token = new URL(link).hash.match(/token=([^&]+)/)[1];

  await check('an API call without a token is refused with 401', async () => {
    const res = await fetch(`${base}/api/alerts`);
    if (res.status !== 401) throw new Error(`GET /api/alerts without a token gave HTTP ${res.status}`);
    return 'GET /api/alerts';
  });
  await check('an API call with a wrong token is refused with 401', async () => {
    const res = await fetch(`${base}/api/alerts`, { headers: { Authorization: 'Bearer not-the-token' } });
    if (res.status !== 401) throw new Error(`HTTP ${res.status}`);
  });
  const site = await check('the site is served to the token holder', async () => {
    const res = await fetch(`${base}/api/site`, { headers: { Authorization: `Bearer ${decodeURIComponent(token)}` } });
    if (res.status !== 200) throw new Error(`GET /api/site gave HTTP ${res.status}`);
    return res.json();
  });
  const fixedUnits = (site.units ?? []).filter((u) => u.kind?.kind === 'fixed');
  const placedSensors = (site.sensors ?? []).filter((s) => s.position);
  console.log(`# site "${site.name}": ${site.units?.length ?? 0} units (${fixedUnits.length} fixed), ${placedSensors.length} placed sensors`);

  const require = createRequire(join(WEB, 'package.json'));
  const { chromium } = require('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  const pageErrors = [];
  const foreignRequests = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== base) foreignRequests.push(r.url());
  });

  await page.goto(link);

  await check('the token leaves the address bar', async () => {
    await page.waitForFunction(() => !location.hash.includes('token='), null, { timeout: 5_000 });
    const shown = page.url();
    if (shown.includes('token=')) throw new Error(shown);
  });

  await check('the map shows the border line', async () => {
    await page.waitForFunction(
      () => [...document.querySelectorAll('path.zone-border')].some((p) => (p.getAttribute('d') ?? '').length > 10),
      null,
      { timeout: 15_000 },
    );
    return `${await page.locator('path.zone-border').count()} border path(s)`;
  });

  await check('the map shows every fixed unit', async () => {
    await page.waitForFunction(
      (ids) => ids.every((id) => document.querySelector(`path.unit-area[data-unit-id="${CSS.escape(id)}"]`)),
      fixedUnits.map((u) => u.id),
      { timeout: 15_000 },
    );
    const labels = await page.locator('.lbl-unit').allTextContents();
    for (const u of fixedUnits) {
      if (!labels.some((l) => l.includes(u.name))) throw new Error(`no label for ${u.name}`);
    }
    return fixedUnits.map((u) => u.name).join(', ');
  });

  await check('the map shows every placed sensor', async () => {
    const n = await page.locator('[data-testid="sensor-marker"]').count();
    if (n !== placedSensors.length) throw new Error(`${n} sensor markers for ${placedSensors.length} placed sensors`);
    return `${n}`;
  });

  await check('track-count becomes > 0', async () => {
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="track-count"]')?.textContent) > 0,
      null,
      { timeout: TRACKS_TIMEOUT_MS, polling: 250 },
    );
    const count = await page.textContent('[data-testid="track-count"]');
    const markers = await page.locator('[data-testid="track-marker"]').count();
    if (Number(count) !== markers) throw new Error(`track-count ${count} but ${markers} track markers`);
    return `${count} tracks`;
  });

  const sample = () =>
    page.$$eval('[data-testid="track-marker"]', (els) =>
      Object.fromEntries(els.map((e) => [e.dataset.trackId, [Number(e.dataset.lat), Number(e.dataset.lon), e.style.transform]])),
    );
  await check('a track marker moves', async () => {
    const first = await sample();
    const deadline = Date.now() + MOVE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await sleep(1_000);
      const now = await sample();
      for (const [id, [lat, lon, transform]] of Object.entries(now)) {
        const was = first[id];
        if (was && (was[0] !== lat || was[1] !== lon)) {
          const metres = Math.hypot((lat - was[0]) * 111_132, (lon - was[1]) * 111_320 * Math.cos((lat * Math.PI) / 180));
          const pixels = was[2] !== transform ? ', moved on screen' : '';
          return `T${id} moved ${metres.toFixed(0)} m${pixels}`;
        }
      }
    }
    throw new Error(`no track changed position within ${MOVE_TIMEOUT_MS / 1000} s`);
  });

  await check('a Remote ID pilot shows with its recent positions, as the server has it', async () => {
    await page.waitForSelector('[data-testid="operator-marker"]', { state: 'attached', timeout: TRACKS_TIMEOUT_MS });
    await page.waitForSelector('[data-testid="operator-trail"]', { state: 'attached', timeout: 10_000 });
    const res = await fetch(`${base}/api/operators`, { headers: { Authorization: `Bearer ${decodeURIComponent(token)}` } });
    if (res.status !== 200) throw new Error(`GET /api/operators gave HTTP ${res.status}`);
    const ops = await res.json();
    const linked = ops.filter((o) => o.aircraft_live && o.position);
    if (linked.length === 0) throw new Error(`the map shows a pilot but /api/operators lists none live: ${JSON.stringify(ops)}`);
    const one = await fetch(`${base}/api/operators/T${linked[0].aircraft_track_id}`, {
      headers: { Authorization: `Bearer ${decodeURIComponent(token)}` },
    });
    const history = (await one.json()).positions ?? [];
    if (history.length < 1) throw new Error(`no history for T${linked[0].aircraft_track_id}`);
    // The demo's pilots report live GNSS positions, none a take-off point: no take-off marker.
    const withTakeOff = ops.filter((o) => o.take_off).length;
    const takeOffMarkers = await page.locator('[data-testid="takeoff-marker"]').count();
    if (withTakeOff === 0 && takeOffMarkers !== 0) throw new Error(`${takeOffMarkers} take-off markers, no take-off point reported`);
    if (withTakeOff > 0) await page.waitForSelector('[data-testid="takeoff-marker"]', { state: 'attached', timeout: 10_000 });
    return `${linked.length} live pilots, ${history.length} fixes of ${linked[0].uas_id}, ${withTakeOff} take-off points`;
  });

  await check('the header shows the data time and a live connection', async () => {
    await page.waitForFunction(
      () => /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(document.querySelector('[data-testid="data-time"]')?.textContent ?? ''),
      null,
      { timeout: 10_000 },
    );
    const status = await page.getAttribute('[data-testid="connection"]', 'data-status');
    if (status !== 'live') throw new Error(`connection status is ${status}`);
    return await page.textContent('[data-testid="data-time"]');
  });

  const open = '[data-testid="alert-item"][data-state="raised"], [data-testid="alert-item"][data-state="updated"]';
  const alertId = await check('an alert appears in the alert list', async () => {
    await page.waitForSelector(open, { timeout: ALERT_TIMEOUT_MS });
    return page.getAttribute(open, 'data-alert-id');
  });

  const item = page.locator(`[data-testid="alert-item"][data-alert-id="${alertId}"]`);
  await check('acknowledging it turns its state to acknowledged', async () => {
    await item.locator('[data-testid="ack-button"]').click({ timeout: 5_000 });
    await page.waitForFunction(
      (id) => document.querySelector(`[data-testid="alert-item"][data-alert-id="${id}"]`)?.dataset.state === 'acknowledged',
      alertId,
      { timeout: ACK_TIMEOUT_MS, polling: 100 },
    );
    const by = await item.locator('[data-testid="acknowledged-by"]').textContent();
    if (!/acknowledged by \S/.test(by ?? '')) throw new Error(`item says "${by}"`);
    return `alert ${alertId}, ${by}`;
  });

  await check('the server records the acknowledgement', async () => {
    const res = await fetch(`${base}/api/alerts`, { headers: { Authorization: `Bearer ${decodeURIComponent(token)}` } });
    const list = await res.json();
    const a = list.find((x) => String(x.alert_id) === String(alertId));
    if (!a) throw new Error(`alert ${alertId} missing from GET /api/alerts`);
    if (!a.acknowledged_by) throw new Error(`alert ${alertId} has state ${a.state} and no acknowledged_by`);
    return `acknowledged_by ${a.acknowledged_by}`;
  });

  await sleep(1_000); // let the last labels settle for the picture
  mkdirSync(OUT_DIR, { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  console.log(`# screenshot: ${SCREENSHOT}`);
  if (process.env.UPDATE_SCREENSHOT === '1') {
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    copyFileSync(SCREENSHOT, join(ROOT, 'docs', 'console.png'));
    console.log('# copied to docs/console.png');
  }

  await check('a wrong token shows the login form with "token rejected"', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${base}/#token=not-the-token`);
      await other.waitForSelector('[data-testid="login-form"]', { state: 'visible', timeout: 10_000 });
      const msg = await other.textContent('[data-testid="login-error"]');
      if (!/token rejected/.test(msg ?? '')) throw new Error(`login error reads "${msg}"`);
      const type = await other.getAttribute('[data-testid="token-input"]', 'type');
      if (type !== 'password') throw new Error(`token input has type ${type}`);
    } finally {
      await other.close();
    }
  });

  await check('the page raised no script errors', async () => {
    if (pageErrors.length) throw new Error(pageErrors.slice(0, 3).join(' | '));
  });
  await check('the page fetched nothing from outside its server', async () => {
    if (foreignRequests.length) throw new Error(foreignRequests.slice(0, 3).join(', '));
  });
}

const watchdog = setTimeout(() => {
  console.log(`not ok - the test finished within ${WATCHDOG_MS / 1000} s`);
  failed += 1;
  cleanup().finally(() => process.exit(1));
}, WATCHDOG_MS);

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (e) {
  if (!(e instanceof CheckFailed)) {
    failed += 1;
    console.log(`not ok - unexpected error: ${e?.stack ?? e}`);
  }
  if (demoLog.length) {
    console.log('# last lines from picket demo:');
    demoLog.forEach((l) => console.log(`#   ${l}`));
  }
} finally {
  clearTimeout(watchdog);
  await cleanup();
}
console.log(`console: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
