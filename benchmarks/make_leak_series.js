#!/usr/bin/env node
// Three snapshots of one process that leaks, for timing `heaptui diff` and `heaptui leaks`.
// Usage: node --expose-gc --max-old-space-size=16000 benchmarks/make_leak_series.js OUTPREFIX [SCALE] [LEAK]
//   Builds SCALE units of ordinary live heap (sessions in a Map, closures, arrays; about 100 MB of
//   snapshot for SCALE 60000), writes OUTPREFIX-1.heapsnapshot, then pushes LEAK `{url, date}` objects
//   into the module-level array requestLogs and writes OUTPREFIX-2, then LEAK more and writes OUTPREFIX-3.
'use strict';
const v8 = require('v8');

const prefix = process.argv[2];
const scale = Number(process.argv[3] || 60000);
const leak = Number(process.argv[4] || 20000);
if (!prefix) {
  console.error('usage: make_leak_series.js OUTPREFIX [SCALE] [LEAK]');
  process.exit(2);
}

class Session {
  constructor(id) {
    this.id = id;
    this.user = `user-${id}-${(id * 2654435761 >>> 0).toString(36)}`;
    this.created = new Date(1700000000000 + id);
    this.visits = [{ path: '/p/' + (id % 97), at: new Date(1700000000000 + 2 * id) }];
    const history = [id, id + 1, id + 2];
    this.onClose = () => history.length + this.id;
  }
}

const sessions = new Map();
for (let i = 0; i < scale; i++) sessions.set('k' + i, new Session(i));

const requestLogs = [];
let next = 0;
function leakRound() {
  for (let i = 0; i < leak; i++) requestLogs.push({ url: '/r/' + next++, date: new Date() });
}

function snapshot(n) {
  if (global.gc) { global.gc(); global.gc(); }
  const file = `${prefix}-${n}.heapsnapshot`;
  v8.writeHeapSnapshot(file);
  console.error(`wrote ${file} (requestLogs.length=${requestLogs.length})`);
}

snapshot(1);
leakRound();
snapshot(2);
leakRound();
snapshot(3);
globalThis.__keep = [sessions, requestLogs];
