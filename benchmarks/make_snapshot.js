#!/usr/bin/env node
// Builds a synthetic but realistic-looking heap and writes a V8 heap snapshot of it.
// Usage: node --max-old-space-size=16000 benchmarks/make_snapshot.js OUT [SCALE]
//   SCALE = number of "units" (see makeUnit).  Calibrated on Node 20.20:
//     SCALE  62000 -> ~100 MB file (1.38M nodes, 4.0M edges)
//     SCALE 640000 -> ~1.04 GB file (13.95M nodes, 40.2M edges; ~100 s, ~6 GB RSS)
// Each unit adds ~21.7 nodes / ~62.5 edges / ~1.56 KB of file, so size is linear in SCALE
// (on top of ~33k nodes / ~3 MB for Node's own heap).
'use strict';
const v8 = require('v8');

const out = process.argv[2];
const scale = Number(process.argv[3] || 62000);
if (!out || !(scale > 0)) {
  console.error('usage: make_snapshot.js OUT [SCALE]');
  process.exit(2);
}

// A handful of classes so the class histogram has several constructors.
class Session {
  constructor(id, user, tags) {
    this.id = id;
    this.user = user;        // distinct string per session
    this.tags = tags;        // array of shared (duplicated) strings
    this.created = new Date(1700000000000 + id);
    this.visits = [];        // filled with Visit-like plain objects
    this.onClose = null;     // closure, set below
  }
}
class Metric {
  constructor(name, values) { this.name = name; this.values = values; }
}

// Small pool of duplicated strings: many references to the same few strings.
const TAGS = ['admin', 'beta', 'mobile', 'desktop', 'eu', 'us', 'trial', 'paid'];
const PATHS = ['/home', '/login', '/cart', '/search', '/product', '/checkout'];

const sessions = [];          // keeps everything reachable from a root
const byKey = new Map();      // Map of string -> object
const metrics = [];

function makeUnit(i) {
  const s = new Session(i, `user-${i}-${(i * 2654435761 >>> 0).toString(36)}`,
    [TAGS[i % 8], TAGS[(i >> 3) % 8]]);
  // Plain objects {url, date} with real Date objects; url is a distinct cons/seq string.
  s.visits.push({ url: PATHS[i % 6] + '?q=' + i, date: new Date() });
  // Closure capturing an array (context holds the array -> closure/context edges).
  const history = [i, i + 1, i + 2];
  s.onClose = () => history.length + s.id;
  // Array of numbers; doubles so they are heap numbers in a FixedDoubleArray, not Smis.
  if (i % 4 === 0) metrics.push(new Metric(TAGS[i % 8], [i + 0.5, i * 1.5, 3.25]));
  byKey.set('k' + i, s);
  sessions.push(s);
}

const t0 = Date.now();
for (let i = 0; i < scale; i++) makeUnit(i);
console.error(`built ${scale} units in ${(Date.now() - t0) / 1000}s; writing ${out}`);
const t1 = Date.now();
v8.writeHeapSnapshot(out);
console.error(`wrote snapshot in ${(Date.now() - t1) / 1000}s`);
// Keep the structures live until after the snapshot.
globalThis.__keep = [sessions, byKey, metrics];
