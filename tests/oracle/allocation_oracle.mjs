#!/usr/bin/env node
// Test-only cross-check for allocation timelines (.heaptimeline): run Chrome
// DevTools' OWN heap snapshot worker on a file and print, as JSON,
//   - the timeline samples (HeapSnapshot.getSamples(): timestamps in ms,
//     lastAssignedIds, sizes per interval),
//   - the node id range and size the timeline overview reports for time windows
//     (the whole recording, and each --window), with the Summary filtered to it,
//   - the Summary for explicit id ranges (--id-range),
//   - the Allocation view: allocationTracesTops() (serializeTraceTops), every
//     row expanded into its callers with allocationNodeCallers() (serializeCallers)
//     as AllocationGridNode.doPopulate() shows them, and the Summary filtered to
//     the objects of the largest rows (NodeFilter.allocationNodeId),
//   - the allocation stack of some objects (allocationStack(), --stack ID).
//
// It reuses devtools_oracle.mjs's download + bundle (it runs it with
// --setup-only and imports the bundle it names); nothing of DevTools is stored
// in this repository. See README.md next to this file.
//
// Usage: node tests/oracle/allocation_oracle.mjs FILE [--window LEFT_MS:RIGHT_MS]...
//        [--id-range MIN:MAX]... [--stack ID]... [--filtered-tops K] [--pretty|--compact]
//        [--devtools-version V] [--cache-dir DIR]

import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import zlib from 'node:zlib';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: allocation_oracle.mjs FILE [--window LEFT_MS:RIGHT_MS]... [--id-range MIN:MAX]...
                             [--stack ID]... [--filtered-tops K] [--pretty|--compact]
                             [--devtools-version V] [--cache-dir DIR]

Prints DevTools' allocation timeline numbers for a .heaptimeline as JSON on stdout.
  --window L:R       the overview's selection of the time window [L, R] (ms): its
                     node id range, size, and the Summary filtered to the range
  --id-range A:B     the Summary for node ids in (A, B]
  --stack ID         the allocation stack of the object with this id
  --filtered-tops K  the Summary filtered to the objects of the K allocation tops with
                     the largest live size (default 5), and of every 250th row of the tree
  --pretty/--compact, --devtools-version V, --cache-dir DIR: as devtools_oracle.mjs`;

function die(msg, code = 2) {
  process.stderr.write(`allocation_oracle: ${msg}\n`);
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {file: null, windows: [], idRanges: [], stacks: [], filteredTops: 5, pretty: process.stdout.isTTY,
                setupArgs: []};
  const pair = (a, v) => {
    const parts = v.split(':');
    const nums = parts.map(Number);
    if (parts.length !== 2 || parts.some(p => p.trim() === '') || nums.some(n => !Number.isFinite(n))) {
      die(`bad ${a}: ${v}`);
    }
    return nums;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value\n${USAGE}`));
    if (a === '--window') {
      opts.windows.push(pair(a, next()));
    } else if (a === '--id-range') {
      opts.idRanges.push(pair(a, next()));
    } else if (a === '--stack') {
      opts.stacks.push(Number(next()));
    } else if (a === '--filtered-tops') {
      opts.filteredTops = Number(next());
    } else if (a === '--pretty') {
      opts.pretty = true;
    } else if (a === '--compact') {
      opts.pretty = false;
    } else if (a === '--devtools-version' || a === '--cache-dir') {
      opts.setupArgs.push(a, next());
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (a.startsWith('-')) {
      die(`unknown option ${a}\n${USAGE}`);
    } else if (opts.file === null) {
      opts.file = a;
    } else {
      die(`more than one FILE given\n${USAGE}`);
    }
  }
  if (!opts.file) {
    die(USAGE);
  }
  return opts;
}

// devtools_oracle.mjs downloads and bundles DevTools (or finds its cache) and
// says where the bundle is: "ready: chrome-devtools-frontend@V, bundle PATH".
function setup(setupArgs) {
  const run = spawnSync(process.execPath, [path.join(HERE, 'devtools_oracle.mjs'), '--setup-only', ...setupArgs],
                        {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']});
  const stderr = run.stderr || '';
  if (run.status !== 0) {
    die(`setup failed: ${stderr || run.error}`, 1);
  }
  const m = /ready: chrome-devtools-frontend@(\S+), bundle (.+)$/m.exec(stderr);
  if (!m) {
    die(`setup said: ${stderr}`, 1);
  }
  return {version: m[1], bundlePath: m[2].trim()};
}

// ---- the loader, as in devtools_oracle.mjs (our own test code) ----

function installPolyfills() {
  if (typeof Promise.withResolvers !== 'function') {
    Promise.withResolvers = function() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return {promise, resolve, reject};
    };
  }
}

function openText(file) {
  const fd = fs.openSync(file, 'r');
  const magic = Buffer.alloc(2);
  fs.readSync(fd, magic, 0, 2, 0);
  fs.closeSync(fd);
  let stream = fs.createReadStream(file, {highWaterMark: 1 << 20});
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    stream = stream.pipe(zlib.createGunzip());
  }
  stream.setEncoding('utf8');
  return stream;
}

async function loadSnapshot(dt, file) {
  const loader = new dt.HeapSnapshotLoader.HeapSnapshotLoader(undefined);
  for await (const chunk of openText(file)) {
    loader.write(chunk);
  }
  loader.close();
  const channel = new MessageChannel();
  new dt.HeapSnapshot.SecondaryInitManager(channel.port2);
  try {
    return await loader.buildSnapshot(channel.port1);
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}

// The Summary for a NodeFilter, in the grid's default order (retained size
// descending, then name), as devtools_oracle.mjs's summary() prints it.
function summary(snapshot, nodeFilter) {
  const aggregates = snapshot.aggregatesWithFilter(nodeFilter);
  const rows = [];
  let totalCount = 0;
  let totalSelf = 0;
  for (const key in aggregates) {
    const a = aggregates[key];
    totalCount += a.count;
    totalSelf += a.self;
    rows.push({key, name: a.name, count: a.count, distance: a.distance, shallow_size: a.self,
               retained_size: a.maxRet});
  }
  rows.sort((a, b) => {
    if (a.retained_size !== b.retained_size) {
      return a.retained_size > b.retained_size ? -1 : 1;
    }
    return a.name < b.name ? -1 : (a.name > b.name ? 1 : 0);
  });
  return {total_count: totalCount, total_shallow_size: totalSelf, rows};
}

// ---- the timeline overview's selection ----
// What HeapTimelineOverview.updateGrid() computes from the samples that
// HeapSnapshotView.populate() gives it (ids = lastAssignedIds, timestamps in ms),
// for a window [timeLeft, timeRight] (our own code, written from its rules):
// the samples with timeLeft <= t <= timeRight are inside; the id range runs from
// the last id of the sample before the first one inside (0 if none) to the last
// id of the first sample after the window (Infinity if none); the size is the
// sum of the sizes of the samples inside.
function firstAtLeast(a, x) {
  let i = 0;
  while (i < a.length && a[i] < x) {
    i++;
  }
  return i;
}

function firstAbove(a, x) {
  let i = 0;
  while (i < a.length && a[i] <= x) {
    i++;
  }
  return i;
}

function overviewSelection(samples, timeLeft, timeRight) {
  const {timestamps, lastAssignedIds: ids, sizes} = samples;
  const first = firstAtLeast(timestamps, timeLeft);
  const stop = firstAbove(timestamps, timeRight);
  let size = 0;
  for (let i = first; i < stop; i++) {
    size += sizes[i];
  }
  return {left_ms: timeLeft, right_ms: timeRight, first, stop, min_id: first > 0 ? ids[first - 1] : 0,
          max_id: stop < ids.length ? ids[stop] : Infinity, size};
}

// The window a loaded file starts with: the whole overview, whose time axis
// runs from the first sample over totalTime = max(last timestamp, 10000 ms).
function fullWindow(samples) {
  const ts = samples.timestamps;
  const totalTime = Math.max(ts[ts.length - 1] || 0, 10000);
  return overviewSelection(samples, ts[0], ts[0] + totalTime);
}

function windowJson(dt, snapshot, sel) {
  const out = {...sel, max_id: sel.max_id === Infinity ? null : sel.max_id};
  out.summary = summary(snapshot, new dt.HeapSnapshotModel.NodeFilter(sel.min_id, sel.max_id));
  return out;
}

// ---- the Allocation view ----

function nodeJson(n) {
  return {id: n.id, name: n.name, script_name: n.scriptName, script_id: n.scriptId, line: n.line,
          column: n.column, count: n.count, size: n.size, live_count: n.liveCount, live_size: n.liveSize,
          has_children: n.hasChildren};
}

// The grid's comparator for its default sort column, "Size" descending.
function bySizeDescending(a, b) {
  return a.size > b.size ? -1 : (a.size < b.size ? 1 : 0);
}

// AllocationGridNode.doPopulate(): the chain of single callers, each the only
// child of the one before, then the branching callers (sorted by the grid's
// comparator) under the last; every node with children expanded the same way.
function expand(snapshot, node, all) {
  const out = nodeJson(node);
  all.push(out);
  out.callers = [];
  if (!node.hasChildren) {
    return out;
  }
  const callers = snapshot.allocationNodeCallers(node.id);
  let parent = out;
  for (const caller of callers.nodesWithSingleCaller) {
    const child = nodeJson(caller);
    all.push(child);
    child.callers = [];
    parent.callers.push(child);
    parent = child;
  }
  const branches = [...callers.branchingCallers].sort(bySizeDescending);
  for (const caller of branches) {
    parent.callers.push(expand(snapshot, caller, all));
  }
  return out;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.file)) {
    die(`no such file: ${opts.file}`);
  }
  const {version, bundlePath} = setup(opts.setupArgs);
  installPolyfills();
  const dt = await import(pathToFileURL(bundlePath).href);
  const problems = [];
  const origWarn = console.warn;
  console.warn = (...args) => problems.push(args.map(String).join(' '));
  let snapshot;
  try {
    snapshot = await loadSnapshot(dt, opts.file);
  } finally {
    console.warn = origWarn;
  }

  const result = {
    devtools_version: version,
    file: path.resolve(opts.file),
    node_count: snapshot.nodeCount,
    max_js_node_id: snapshot.updateStaticData().maxJSObjectId,
    trace_function_count: snapshot.profile.snapshot.trace_function_count || 0,
    problems,
  };

  const samples = snapshot.getSamples();
  result.samples = samples ? {timestamps_ms: samples.timestamps, last_assigned_ids: samples.lastAssignedIds,
                              sizes: samples.sizes} : null;
  if (samples) {
    result.full_window = windowJson(dt, snapshot, fullWindow(samples));
    result.windows = opts.windows.map(([l, r]) => windowJson(dt, snapshot, overviewSelection(samples, l, r)));
  }
  result.id_ranges = opts.idRanges.map(([a, b]) => ({
    min_id: a, max_id: b, summary: summary(snapshot, new dt.HeapSnapshotModel.NodeFilter(a, b))}));

  if (result.trace_function_count) {
    const tops = snapshot.allocationTracesTops();  // serializeTraceTops: size descending
    const all = [];
    result.allocation_tops = tops.map(top => expand(snapshot, top, all));
    // The Summary filtered to the objects of some rows: the K tops with the
    // largest live size, and every 250th row of the expanded tree (callers).
    const picked = new Map();
    for (const row of [...result.allocation_tops].sort((a, b) => b.live_size - a.live_size).slice(0, opts.filteredTops)) {
      picked.set(row.id, row);
    }
    for (let i = 0; i < all.length; i += 250) {
      picked.set(all[i].id, all[i]);
    }
    result.allocation_filtered = [...picked.values()].map(row => {
      const filter = new dt.HeapSnapshotModel.NodeFilter();
      filter.allocationNodeId = row.id;
      return {id: row.id, name: row.name, summary: summary(snapshot, filter)};
    });
    result.stacks = opts.stacks.map(id => {
      const nodeIndex = snapshot.nodeIndexForId(id);
      const frames = nodeIndex === undefined ? null : snapshot.allocationStack(nodeIndex);
      return {id, frames: frames && frames.map(f => ({function_name: f.functionName, script_name: f.scriptName,
                                                      script_id: f.scriptId, line: f.line, column: f.column}))};
    });
  }
  const text = JSON.stringify(result, null, opts.pretty ? 2 : undefined) + '\n';
  await new Promise((resolve, reject) => process.stdout.write(text, err => (err ? reject(err) : resolve())));
}

main().catch(e => {
  process.stderr.write(`allocation_oracle: ${e?.stack || e}\n`);
  process.exit(1);
});
