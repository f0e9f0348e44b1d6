#!/usr/bin/env node
// Generates crates/sim/data/border.geojson: the US–Mexico border near Naco (Arizona/Sonora),
// cut from Natural Earth 1:10m (via the world-atlas npm package) so the demo site draws and
// assesses against a real, if generalised, boundary line.
//
// Run from anywhere after `npm install` in web/:  node scripts/gen-border.mjs
// Its npm dependencies (world-atlas, topojson-client) are devDependencies of web/package.json.
//
// Natural Earth 1:10m is a generalised line (a few hundred metres off the monument line in
// places): good for a map and a demo, not for deciding crossings at a real post. Sites load a
// precise boundary file for that.

import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'crates', 'sim', 'data', 'border.geojson');
const WEST_LON = -110.3;
const EAST_LON = -109.6;
const US = '840';
const MX = '484';
// Six decimals of a degree is ~0.1 m: finer than the source, coarser than float noise.
const DECIMALS = 6;

// The packages live in web/node_modules, not beside this script.
const require = createRequire(join(ROOT, 'web', 'package.json'));
const topojson = require('topojson-client');
const atlasVersion = require('world-atlas/package.json').version;
const topology = require('world-atlas/countries-10m.json');

function fail(msg) {
  console.error(`gen-border: ${msg}`);
  process.exit(1);
}

const mesh = topojson.mesh(
  topology,
  topology.objects.countries,
  (a, b) => (a.id === US && b.id === MX) || (a.id === MX && b.id === US),
);
if (mesh.type !== 'MultiLineString' || mesh.coordinates.length === 0) {
  fail(`expected the shared US–Mexico arcs as a MultiLineString, got ${mesh.type}`);
}

const inside = ([lon]) => lon >= WEST_LON && lon <= EAST_LON;

// Collect every run of consecutive vertices inside the box, each widened by one vertex at
// each end so the clipped line spans the whole box.
const runs = [];
for (const line of mesh.coordinates) {
  let i = 0;
  while (i < line.length) {
    if (!inside(line[i])) {
      i += 1;
      continue;
    }
    let j = i;
    while (j + 1 < line.length && inside(line[j + 1])) j += 1;
    runs.push(line.slice(Math.max(0, i - 1), Math.min(line.length, j + 2)));
    i = j + 1;
  }
}
if (runs.length !== 1) {
  fail(`expected one continuous stretch of border in lon ${WEST_LON}…${EAST_LON}, found ${runs.length}`);
}

let coords = runs[0];
if (coords[0][0] > coords[coords.length - 1][0]) coords = coords.slice().reverse();
const first = coords[0][0];
const last = coords[coords.length - 1][0];
if (!(first <= WEST_LON && last >= EAST_LON)) {
  fail(`clipped line (lon ${first}…${last}) does not span the box; the source ends inside it`);
}
const round = (x) => Number(x.toFixed(DECIMALS));
coords = coords.map(([lon, lat]) => [round(lon), round(lat)]);
for (const [, lat] of coords) {
  if (lat < 31.2 || lat > 31.45) fail(`latitude ${lat} is not near the Naco border (~31.33)`);
}

const geojson = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: {
        name: 'US–Mexico border near Naco (Arizona/Sonora)',
        source: `Natural Earth 1:10m via world-atlas ${atlasVersion}, public domain`,
        generator: relative(ROOT, fileURLToPath(import.meta.url)),
        lon_range_deg: [WEST_LON, EAST_LON],
        order: 'west to east',
        note: 'Generalised line: for display and the demo, not for deciding crossings at a real post.',
      },
      geometry: { type: 'LineString', coordinates: coords },
    },
  ],
};

mkdirSync(dirname(OUT), { recursive: true });
// One vertex per line keeps diffs of a regenerated file readable.
const body = JSON.stringify(geojson, null, 2).replace(
  /\[\n\s+(-?[\d.]+),\n\s+(-?[\d.]+)\n\s+\]/g,
  '[$1, $2]',
);
writeFileSync(OUT, body + '\n');
const lats = coords.map((c) => c[1]);
console.log(
  `gen-border: wrote ${relative(ROOT, OUT)}: ${coords.length} vertices, ` +
    `lon ${coords[0][0]}…${coords[coords.length - 1][0]}, ` +
    `lat ${Math.min(...lats)}…${Math.max(...lats)}`,
);
