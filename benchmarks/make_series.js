#!/usr/bin/env node
// Three heap snapshots of one leaking Node process, for timing multi-snapshot commands (series.py).
// Usage: node --max-old-space-size=16000 benchmarks/make_series.js OUTPREFIX SCALE LEAK
//   Builds SCALE units of ordinary live heap (the shape of make_snapshot.js: sessions with tags, visits,
//   closures, metrics, a Map), writes OUTPREFIX-1.heapsnapshot; then pushes LEAK `{url, date}` objects
//   into the module-level array `requestLogs` and writes OUTPREFIX-2; then LEAK more and OUTPREFIX-3.
//   So S2 -> S3 has exactly LEAK new Date objects, all retained through requestLogs.
//   SCALE 60000 -> ~97/100/103 MB files; SCALE 620000 -> ~1 GB each (minutes, ~6 GB RSS).
'use strict';
const v8 = require('v8');

const [prefix, scale, leak] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
if (!prefix || !(scale > 0) || !(leak > 0)) {
  console.error('usage: make_series.js OUTPREFIX SCALE LEAK');
  process.exit(2);
}

class Session {
  constructor(id, user, tags) {
    this.id = id;
    this.user = user;
    this.tags = tags;
    this.created = new Date(1700000000000 + id);
    this.visits = [];
    this.onClose = null;
  }
}
class Metric {
  constructor(name, values) { this.name = name; this.values = values; }
}
const TAGS = ['admin', 'beta', 'mobile', 'desktop', 'eu', 'us', 'trial', 'paid'];
const PATHS = ['/home', '/login', '/cart', '/search', '/product', '/checkout'];
const sessions = [];
const byKey = new Map();
const metrics = [];

function makeUnit(i) {
  const s = new Session(i, `user-${i}-${(i * 2654435761 >>> 0).toString(36)}`, [TAGS[i % 8], TAGS[(i >> 3) % 8]]);
  s.visits.push({ url: PATHS[i % 6] + '?q=' + i, date: new Date() });
  const history = [i, i + 1, i + 2];
  s.onClose = () => history.length + s.id;
  if (i % 4 === 0) metrics.push(new Metric(TAGS[i % 8], [i + 0.5, i * 1.5, 3.25]));
  byKey.set('k' + i, s);
  sessions.push(s);
}

// The leak: a module-level log that is never trimmed.
const requestLogs = [];
let served = 0;
function handleRequests(n) {
  for (let i = 0; i < n; i++, served++) requestLogs.push({ url: PATHS[served % 6] + '?req=' + served, date: new Date() });
}

function snapshot(n) {
  const file = `${prefix}-${n}.heapsnapshot`;
  const t = Date.now();
  v8.writeHeapSnapshot(file);  // V8 collects garbage first, so only live objects are in it
  console.error(`wrote ${file} in ${(Date.now() - t) / 1000}s (requestLogs.length=${requestLogs.length})`);
}

for (let i = 0; i < scale; i++) makeUnit(i);
snapshot(1);
handleRequests(leak);
snapshot(2);
handleRequests(leak);
snapshot(3);
globalThis.__keep = [sessions, byKey, metrics, requestLogs];
