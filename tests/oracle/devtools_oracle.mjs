#!/usr/bin/env node
// Test-only cross-check: run Chrome DevTools' OWN heap snapshot worker code on
// a .heapsnapshot (or .heapsnapshot.gz) file and print DevTools' numbers as JSON.
//
// Nothing of DevTools is stored in this repository. On first use the script
//   1. runs `npm pack chrome-devtools-frontend@<version>` into a cache dir and
//      extracts front_end/ from the tarball,
//   2. installs the `esbuild` npm package into the same cache dir,
//   3. bundles front_end/entrypoints/heap_snapshot_worker/{HeapSnapshot,
//      HeapSnapshotLoader}.ts (+ everything they import) into one ES module.
// Later runs reuse the cache. See README.md next to this file.
//
// Usage: node tests/oracle/devtools_oracle.mjs FILE [--object ID]... [--dump-nodes]
//        [--dump-names] [--base BASEFILE] [--min-node-id A --max-node-id B]
//        [--filter NAME]... [--duplicated-strings] [--canonical-class-names]
//        [--pretty|--compact] [--devtools-version V] [--cache-dir DIR]

import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import {createRequire} from 'node:module';
import os from 'node:os';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import zlib from 'node:zlib';

// The DevTools version whose numbers the tests were written against. Override
// with --devtools-version or HEAPTUI_DEVTOOLS_VERSION ("latest" is allowed).
const DEFAULT_DEVTOOLS_VERSION = '1.0.1705227';
const ESBUILD_VERSION = '0.28.2';
// Bump when the bundle recipe below changes, so stale cached bundles are rebuilt.
const BUNDLE_RECIPE = 1;

const USAGE = `usage: devtools_oracle.mjs FILE [--object ID]... [--dump-nodes] [--dump-names]
                          [--base BASEFILE] [--min-node-id A --max-node-id B]
                          [--filter NAME]... [--duplicated-strings] [--canonical-class-names]
                          [--pretty|--compact] [--devtools-version V] [--cache-dir DIR]
                          [--setup-only]

Prints Chrome DevTools' numbers for a V8 heap snapshot as JSON on stdout.
  FILE                .heapsnapshot or gzip-compressed .heapsnapshot(.gz)
  --object ID         also report this node (snapshot node id) and its retainers,
                      ordered like the Retainers view's default sort (repeatable)
  --dump-nodes        add per-node columnar arrays (snapshot node order)
  --dump-names        with --dump-nodes, also dump DevTools' display name per node
  --base BASEFILE     also load BASEFILE and report the Comparison view of FILE
                      against it (FILE is the snapshot shown, BASEFILE the base)
  --min-node-id A     with --max-node-id B, also report the Summary rows for
  --max-node-id B     DevTools' node id filter: ids in (A, B]
  --filter NAME       also report the Summary rows for one of the Summary's named
                      filters, as the filter dropdown applies it (repeatable):
                      duplicatedStrings, objectsRetainedByDetachedDomNodes,
                      objectsRetainedByContexts, objectsRetainedByConsole,
                      objectsRetainedByEventHandlers, sharedNativeContext,
                      noNativeContext, nativeContext_<nodeIndex> (as DevTools names
                      it) or nativeContext@<nodeId>; "all" = every named filter
                      the dropdown lists for this snapshot, in its order
  --duplicated-strings  also report getDuplicateStrings(): DevTools' groups of
                      duplicated strings (value, count, sizes, node ids)
  --canonical-class-names  after loading, give every class name text one class
                      index (its first in the strings): DevTools appends its own
                      'Function', '(system)', ... strings without looking for the
                      file's, so one public class key can have two internal keys
  --pretty/--compact  indent the JSON or not (default: pretty on a TTY)
  --devtools-version  chrome-devtools-frontend npm version (default ${DEFAULT_DEVTOOLS_VERSION},
                      or $HEAPTUI_DEVTOOLS_VERSION; "latest" resolves via npm)
  --cache-dir DIR     where DevTools + esbuild are downloaded
                      (default $HEAPTUI_ORACLE_DIR or ${path.join(os.tmpdir(), 'heaptui-oracle')})
  --setup-only        download/bundle DevTools and exit`;

function die(msg, code = 2) {
  process.stderr.write(`devtools_oracle: ${msg}\n`);
  process.exit(code);
}

function log(msg) {
  process.stderr.write(`devtools_oracle: ${msg}\n`);
}

function parseArgs(argv) {
  const opts = {
    file: null,
    objects: [],
    dumpNodes: false,
    dumpNames: false,
    pretty: process.stdout.isTTY,
    version: process.env.HEAPTUI_DEVTOOLS_VERSION || DEFAULT_DEVTOOLS_VERSION,
    cacheDir: process.env.HEAPTUI_ORACLE_DIR || path.join(os.tmpdir(), 'heaptui-oracle'),
    setupOnly: false,
    base: null,
    minNodeId: null,
    maxNodeId: null,
    filters: [],
    duplicatedStrings: false,
    canonicalClassNames: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) {
        die(`${a} needs a value\n${USAGE}`);
      }
      return argv[++i];
    };
    if (a === '--object') {
      for (const part of next().split(',')) {
        const id = Number(part);
        if (!Number.isInteger(id) || id < 0) {
          die(`bad --object id: ${part}`);
        }
        opts.objects.push(id);
      }
    } else if (a === '--dump-nodes') {
      opts.dumpNodes = true;
    } else if (a === '--dump-names') {
      opts.dumpNames = true;
    } else if (a === '--base') {
      opts.base = next();
    } else if (a === '--min-node-id' || a === '--max-node-id') {
      const v = next();
      const id = Number(v);
      if (v.trim() === '' || !Number.isInteger(id) || id < 0) {
        die(`bad ${a}: ${v}`);
      }
      opts[a === '--min-node-id' ? 'minNodeId' : 'maxNodeId'] = id;
    } else if (a === '--filter') {
      for (const part of next().split(',')) {
        if (!part) {
          die(`bad --filter name: ${JSON.stringify(part)}`);
        }
        opts.filters.push(part);
      }
    } else if (a === '--duplicated-strings') {
      opts.duplicatedStrings = true;
    } else if (a === '--canonical-class-names') {
      opts.canonicalClassNames = true;
    } else if (a === '--pretty') {
      opts.pretty = true;
    } else if (a === '--compact') {
      opts.pretty = false;
    } else if (a === '--devtools-version') {
      opts.version = next();
    } else if (a === '--cache-dir') {
      opts.cacheDir = next();
    } else if (a === '--setup-only') {
      opts.setupOnly = true;
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
  if (!opts.file && !opts.setupOnly) {
    die(USAGE);
  }
  if ((opts.minNodeId === null) !== (opts.maxNodeId === null)) {
    die(`--min-node-id and --max-node-id go together\n${USAGE}`);
  }
  opts.cacheDir = path.resolve(opts.cacheDir);
  return opts;
}

// ---------------------------------------------------------------------------
// Cache management: download DevTools, install esbuild, build the bundle.
// ---------------------------------------------------------------------------

// A crude cross-process lock (mkdir is atomic), so parallel test workers do not
// download/extract/bundle into the same cache dir at the same time.
async function withLock(cacheDir, fn) {
  const lockDir = path.join(cacheDir, '.lock');
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') {
        throw e;
      }
      let stale = false;
      try {
        stale = Date.now() - fs.statSync(lockDir).mtimeMs > 10 * 60 * 1000;
      } catch {
        continue;
      }
      if (stale) {
        fs.rmSync(lockDir, {recursive: true, force: true});
        continue;
      }
      if (Date.now() > deadline) {
        die(`timed out waiting for lock ${lockDir}`);
      }
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, {recursive: true, force: true});
  }
}

function npm(args, cwd) {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false'},
    maxBuffer: 64 * 1024 * 1024,
  });
}

function resolveVersion(version, cacheDir) {
  if (/^\d+\.\d+\.\d+$/.test(version)) {
    return version;
  }
  // A dist-tag such as "latest": ask the registry which version it names.
  const out = npm(['view', `chrome-devtools-frontend@${version}`, 'version', '--json'], cacheDir).trim();
  let resolved = JSON.parse(out);
  if (Array.isArray(resolved)) {
    resolved = resolved[resolved.length - 1];
  }
  if (typeof resolved !== 'string') {
    die(`could not resolve chrome-devtools-frontend@${version}`);
  }
  return resolved;
}

function ensureDevtools(cacheDir, version) {
  const dir = path.join(cacheDir, `devtools-${version}`);
  const marker = path.join(dir, 'package', 'front_end', 'entrypoints', 'heap_snapshot_worker', 'HeapSnapshot.ts');
  if (fs.existsSync(marker)) {
    return path.join(dir, 'package');
  }
  log(`fetching chrome-devtools-frontend@${version} with npm pack into ${cacheDir} ...`);
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.devtools-${version}-`));
  try {
    const out = npm(['pack', `chrome-devtools-frontend@${version}`, '--pack-destination', tmp, '--json'], tmp);
    const info = JSON.parse(out);
    const tarball = path.join(tmp, info[0].filename);
    const extractDir = path.join(tmp, 'x');
    fs.mkdirSync(extractDir);
    execFileSync('tar', ['-xzf', tarball, '-C', extractDir, 'package/front_end', 'package/package.json'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    fs.rmSync(tarball);
    fs.rmSync(dir, {recursive: true, force: true});
    fs.renameSync(extractDir, dir);
  } finally {
    fs.rmSync(tmp, {recursive: true, force: true});
  }
  if (!fs.existsSync(marker)) {
    die(`chrome-devtools-frontend@${version} has no ${path.relative(dir, marker)}`);
  }
  return path.join(dir, 'package');
}

function ensureEsbuild(cacheDir) {
  const dir = path.join(cacheDir, `esbuild-${ESBUILD_VERSION}`);
  const pkgJson = path.join(dir, 'node_modules', 'esbuild', 'package.json');
  if (!fs.existsSync(pkgJson)) {
    log(`installing esbuild@${ESBUILD_VERSION} into ${dir} ...`);
    fs.mkdirSync(dir, {recursive: true});
    fs.writeFileSync(path.join(dir, 'package.json'), '{"private": true}\n');
    npm(['install', '--ignore-scripts', '--no-save', '--no-package-lock', `esbuild@${ESBUILD_VERSION}`], dir);
  }
  return createRequire(pkgJson)('esbuild');
}

// The bundle entry: DevTools' heap snapshot worker modules, imported from the
// extracted npm package by absolute path.
function entrySource(frontEnd) {
  const p = rel => JSON.stringify(path.join(frontEnd, rel));
  return [
    `export * as HeapSnapshot from ${p('entrypoints/heap_snapshot_worker/HeapSnapshot.ts')};`,
    `export * as HeapSnapshotLoader from ${p('entrypoints/heap_snapshot_worker/HeapSnapshotLoader.ts')};`,
    `export * as HeapSnapshotModel from ${p('models/heap_snapshot/HeapSnapshotModel.ts')};`,
    '',
  ].join('\n');
}

// core/i18n/locales.js is generated by DevTools' GN build and is not shipped in
// the npm package. Provide the minimal en-US-only version of it, which is all
// the (unused, since we pass no dispatcher) progress strings need.
const LOCALES_JS = `
export const LOCALES = ['en-US'];
export const BUNDLED_LOCALES = ['en-US'];
export const DEFAULT_LOCALE = 'en-US';
export const REMOTE_FETCH_PATTERN = '';
export const LOCAL_FETCH_PATTERN = '';
`;

// esbuild plugins only work with the async API, so the build itself is async.
async function buildBundle(cacheDir, version, frontEnd) {
  const bundlePath = path.join(cacheDir, `heap_snapshot_worker-${version}-r${BUNDLE_RECIPE}.mjs`);
  if (fs.existsSync(bundlePath)) {
    return bundlePath;
  }
  const esbuild = ensureEsbuild(cacheDir);
  log(`bundling DevTools' heap snapshot worker with esbuild -> ${bundlePath}`);
  const localesPath = path.join(frontEnd, 'core', 'i18n', 'locales.js');
  const tmpOut = `${bundlePath}.${process.pid}.tmp.mjs`;
  const stubPlugin = {
    name: 'heaptui-devtools-stubs',
    setup(build) {
      build.onResolve({filter: /locales\.js$/}, args => {
        if (path.resolve(args.resolveDir, args.path) === localesPath) {
          return {path: 'locales.js', namespace: 'heaptui-stub'};
        }
        return undefined;
      });
      build.onLoad({filter: /.*/, namespace: 'heaptui-stub'}, () => ({contents: LOCALES_JS, loader: 'js'}));
    },
  };
  await esbuild.build({
    stdin: {contents: entrySource(frontEnd), resolveDir: frontEnd, sourcefile: 'heaptui-oracle-entry.js', loader: 'js'},
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    outfile: tmpOut,
    logLevel: 'error',
    legalComments: 'none',
    plugins: [stubPlugin],
  });
  fs.renameSync(tmpOut, bundlePath);
  return bundlePath;
}

async function setup(opts) {
  fs.mkdirSync(opts.cacheDir, {recursive: true});
  const version = resolveVersion(opts.version, opts.cacheDir);
  const bundlePath = path.join(opts.cacheDir, `heap_snapshot_worker-${version}-r${BUNDLE_RECIPE}.mjs`);
  if (fs.existsSync(bundlePath)) {
    return {version, bundlePath};
  }
  return await withLock(opts.cacheDir, async () => {
    const packageDir = ensureDevtools(opts.cacheDir, version);
    const frontEnd = path.join(packageDir, 'front_end');
    return {version, bundlePath: await buildBundle(opts.cacheDir, version, frontEnd)};
  });
}

// ---------------------------------------------------------------------------
// Running DevTools' code.
// ---------------------------------------------------------------------------

function installPolyfills() {
  // DevTools targets current Chrome; Node 20 lacks Promise.withResolvers.
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

// Loads the snapshot exactly the way DevTools' worker does: feed text chunks to
// HeapSnapshotLoader, then buildSnapshot() with a MessagePort to the "second
// worker" (here a SecondaryInitManager on the other end of a MessageChannel in
// this same thread, as DevTools' own createJSHeapSnapshotForTesting does).
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

// Summary view: HeapSnapshotConstructorsDataGrid.populateChildren() calls
// aggregatesWithFilter(new NodeFilter()) ("All objects"), then sorts the rows by
// its default column, Retained Size descending, with 'name' ascending as the
// tie-break (HeapSnapshotConstructorsDataGrid.sortFields), Array.sort being
// stable over the aggregates' key order. With another NodeFilter (e.g. the
// "Objects allocated before/between" options, see nodeIdFilter()) it is the
// same code path, only the aggregates differ.
function summary(dt, snapshot, nodeFilter = new dt.HeapSnapshotModel.NodeFilter()) {
  const aggregates = snapshot.aggregatesWithFilter(nodeFilter);
  const rows = [];
  let totalCount = 0;
  let totalSelf = 0;
  for (const key in aggregates) {
    const a = aggregates[key];
    totalCount += a.count;
    totalSelf += a.self;
    rows.push({
      key,
      name: a.name,
      count: a.count,
      distance: a.distance,
      shallow_size: a.self,
      retained_size: a.maxRet,
    });
  }
  rows.sort((a, b) => {
    if (a.retained_size !== b.retained_size) {
      return a.retained_size > b.retained_size ? -1 : 1;
    }
    return a.name < b.name ? -1 : (a.name > b.name ? 1 : 0);
  });
  return {rows, totalCount, totalSelf};
}

// The id a snapshot's profile header remembers as maxJSObjectId: the proxy's
// updateStaticData() -> worker HeapSnapshot.updateStaticData() -> maxJsNodeId(),
// the greatest odd node id (even ids are native objects and are skipped).
function maxJsObjectId(snapshot) {
  return snapshot.updateStaticData().maxJSObjectId;
}

// The Summary's "Objects allocated before S1" / "Objects allocated between S(i-1)
// and S(i)" options: HeapSnapshotConstructorsDataGrid.filterSelectIndexChanged()
// builds new NodeFilter(minNodeId, maxNodeId) with minNodeId = the previous
// profile's maxJSObjectId (0 for the first profile) and maxNodeId = profile i's
// maxJSObjectId; the worker's createNodeIdFilter() keeps id > min && id <= max
// (every node, even native ids, is tested against the range).
function nodeIdFilter(dt, minNodeId, maxNodeId) {
  return new dt.HeapSnapshotModel.NodeFilter(minNodeId, maxNodeId);
}

// The Summary's named filters. The filter dropdown (HeapSnapshotView.updateFilterOptions)
// lists, after "All objects" and the "Objects allocated before/between" options, a
// separator, HeapSnapshotView.alwaysAvailableFilters (these five, in this order), and
// if the snapshot has native contexts, a separator and updateNativeContextFilters()'s
// options. Picking one calls HeapSnapshotConstructorsDataGrid.filterSelectIndexChanged,
// which builds new NodeFilter() with .filterName set, and the worker's
// aggregatesWithFilter() -> createFilter() -> createNamedFilter(filterName) keeps the
// nodes the predicate accepts (then, as for every Summary, only nodes with a shallow
// size). The labels are DevTools' en-US UIStrings.
const ALWAYS_AVAILABLE_FILTERS = [
  ['duplicatedStrings', 'Duplicated strings'],
  ['objectsRetainedByDetachedDomNodes', 'Objects retained by detached DOM nodes'],
  ['objectsRetainedByContexts', 'Objects retained by contexts'],
  ['objectsRetainedByConsole', 'Objects retained by DevTools Console'],
  ['objectsRetainedByEventHandlers', 'Objects retained by event handlers'],
];

// HeapSnapshotView.updateNativeContextFilters(): one option per native context, by
// attributed size descending (toSorted is stable: ties keep getNativeContextSizes()'
// order, i.e. node order), then "Objects shared between native contexts" and "Objects
// not attributed to a native context". DevTools' label is 'Native context {PH1}@{PH2}
// ({PH3})': PH1 the node name without "Detached " and "system / NativeContext( / )",
// plus a space if not empty, PH2 the node id, PH3 bytesToString(attributedSize); the
// label below stops before " (PH3)" (the size is given in bytes instead).
function nativeContextOptions(snapshot) {
  const sizes = snapshot.getNativeContextSizes();
  const contexts = sizes.nativeContexts.toSorted((a, b) => b.attributedSize - a.attributedSize);
  const options = contexts.map(c => {
    let name = c.nodeName;
    if (name.startsWith('Detached ')) {
      name = name.substring('Detached '.length);
    }
    if (name.startsWith('system / NativeContext / ')) {
      name = name.substring('system / NativeContext / '.length);
    } else if (name.startsWith('system / NativeContext')) {
      name = name.substring('system / NativeContext'.length);
    }
    return {
      filter_name: `nativeContext_${c.nodeIndex}`,
      label: `Native context ${name ? `${name} ` : ''}@${c.nodeId}`,
      node_id: c.nodeId,
      node_index: c.nodeIndex,
      name: c.nodeName,
      attributed_size: c.attributedSize,
      retained_size: c.retainedSize,
      self_size: c.selfSize,
    };
  });
  options.push({
    filter_name: 'sharedNativeContext',
    label: 'Objects shared between native contexts',
    attributed_size: sizes.sharedSize,
  });
  options.push({
    filter_name: 'noNativeContext',
    label: 'Objects not attributed to a native context',
    attributed_size: sizes.noAttributionSize,
  });
  return options;
}

// --filter names -> [{filter_name, label, ...}] in the order asked ("all": the
// dropdown's order). Unknown names are usage errors rather than the worker's
// 'Invalid filter name'.
function resolveFilters(snapshot, names) {
  const fixed = new Map(ALWAYS_AVAILABLE_FILTERS.map(([name, label]) => [name, {filter_name: name, label}]));
  const contextOptions = nativeContextOptions(snapshot);
  const byName = new Map(contextOptions.map(o => [o.filter_name, o]));
  const out = [];
  const add = option => {
    if (!out.includes(option)) {
      out.push(option);
    }
  };
  for (const name of names) {
    if (name === 'all') {
      fixed.forEach(add);
      contextOptions.forEach(add);
    } else if (fixed.has(name)) {
      add(fixed.get(name));
    } else if (byName.has(name)) {
      add(byName.get(name));
    } else if (name.startsWith('nativeContext@')) {
      const id = Number(name.substring('nativeContext@'.length));
      const option = contextOptions.find(o => o.node_id === id && o.node_index !== undefined);
      if (!option) {
        die(`--filter ${name}: no native context with node id ${id}`);
      }
      add(option);
    } else if (name.startsWith('nativeContext_')) {
      die(`--filter ${name}: no native context at node index ${name.substring('nativeContext_'.length)} ` +
          `(native contexts: ${contextOptions.filter(o => o.node_index !== undefined).map(o => o.filter_name).join(', ')})`);
    } else {
      die(`unknown --filter ${name}\n${USAGE}`);
    }
  }
  return out;
}

function namedFilter(dt, filterName) {
  const nodeFilter = new dt.HeapSnapshotModel.NodeFilter();
  nodeFilter.filterName = filterName;
  return nodeFilter;
}

// getDuplicateStrings(): the worker's own grouping of the strings the
// 'duplicatedStrings' filter keeps (by name(); truncated strings by name, length and
// hash), sorted by total retained size descending (stable: untruncated groups first,
// in first-occurrence order, then the truncated ones).
function duplicatedStrings(snapshot) {
  return snapshot.getDuplicateStrings().map(g => ({
    value: g.value,
    count: g.count,
    total_self_size: g.totalSelfSize,
    total_retained_size: g.totalRetainedSize,
    truncated: g.truncated,
    length: g.length ?? null,
    hash: g.hash ?? null,
    node_ids: g.nodes.map(n => n.id),
  }));
}

// Any number works as the base uid: calculateSnapshotDiff only uses it as the
// key of its cache (the UI passes the base proxy's uid).
const BASE_SNAPSHOT_UID = 1;

// The Comparison view, as HeapSnapshotDiffDataGrid.populateChildren() builds it:
//   interfaceDefinitions = snapshot.interfaceDefinitions()
//   aggregates = base.aggregatesForDiff(interfaceDefinitions)
//   diff = snapshot.calculateSnapshotDiff(base.uid, aggregates)
// then one HeapSnapshotDiffNode per class key in the diff's key order, sorted by
// the grid's default column, '# New' size ("Alloc. Size", addedSize) descending,
// with 'name' ascending as the tie-break (HeapSnapshotDiffDataGrid.sortFields ->
// HeapSnapshotSortableDataGrid.sortingChanged's sortByTwoFields, JS < / >).
// Array.sort is stable, so rows equal in both keep the diff's key order: first
// the base's class keys (in the order aggregatesForDiff returned them), then the
// classes only in the current snapshot (in its aggregates' order).
function comparison(snapshot, base) {
  const interfaceDefinitions = snapshot.interfaceDefinitions();
  const aggregates = base.aggregatesForDiff(interfaceDefinitions);
  const diff = snapshot.calculateSnapshotDiff(BASE_SNAPSHOT_UID, aggregates);
  const byNumber = (a, b) => a - b;
  const rows = [];
  for (const key in diff) {
    const d = diff[key];
    rows.push({
      key,
      name: d.name,
      added_count: d.addedCount,
      removed_count: d.removedCount,
      count_delta: d.countDelta,
      added_size: d.addedSize,
      removed_size: d.removedSize,
      size_delta: d.sizeDelta,
      added_ids: [...d.addedIds].sort(byNumber),
      deleted_ids: [...d.deletedIds].sort(byNumber),
    });
  }
  rows.sort((a, b) => {
    let result = a.added_size < b.added_size ? -1 : (a.added_size > b.added_size ? 1 : 0);
    if (result !== 0) {
      return -result;
    }
    result = a.name < b.name ? -1 : (a.name > b.name ? 1 : 0);
    return result;
  });
  return rows;
}

function statistics(snapshot) {
  const s = snapshot.getStatistics();
  const {v8heap, native} = s;
  // The pie chart records of HeapSnapshotView.retrieveStatistics().
  const ui = {
    code: v8heap.code,
    strings: v8heap.strings,
    js_arrays: v8heap.jsArrays,
    typed_arrays: native.typedArrays,
    system_objects: v8heap.system,
    other_js_objects: v8heap.total - v8heap.code - v8heap.strings - v8heap.jsArrays - v8heap.system,
    other_non_js_objects: native.total - native.typedArrays,
  };
  return {
    total: s.total,
    v8heap: {...v8heap},
    native: {...native},
    ui_records: ui,
  };
}

// The Retainers view's default order. HeapSnapshotRetainmentDataGrid's default
// sort column is 'distance' ascending; HeapSnapshotObjectNode.comparator() maps
// it to ComparatorConfig('distance', asc, 'name', true) and
// HeapSnapshotRetainingObjectNode.comparator() renames 'distance' to
// '!edgeDistance'. The worker's HeapSnapshotEdgesProvider.sort() then compares
// edge distance, then the retaining node's name(), then the retainer index.
function retainersComparator(dt) {
  return new dt.HeapSnapshotModel.ComparatorConfig('!edgeDistance', true, 'name', true);
}

function describeObject(dt, snapshot, id) {
  const nodeIndex = snapshot.nodeIndexForId(id);
  if (nodeIndex === undefined) {
    return {id, error: 'no node with this id'};
  }
  const node = snapshot.createNode(nodeIndex);
  const dominator = snapshot.createNode(node.dominatorIndex());
  const provider = snapshot.createRetainingEdgesProvider(nodeIndex);
  provider.sortAndRewind(retainersComparator(dt));
  const range = provider.serializeItemsRange(0, Number.MAX_SAFE_INTEGER);
  const other = snapshot.createNode();
  const retainers = range.items.map(edge => {
    other.nodeIndex = edge.node.nodeIndex;
    return {
      edge_type: edge.type,
      edge_name: edge.name,
      node_id: edge.node.id,
      class_name: other.className(),
      name: edge.node.name,
      node_type: edge.node.type,
      distance: edge.node.distance,
      self_size: edge.node.selfSize,
      retained_size: edge.node.retainedSize,
    };
  });
  // The Containment/Summary grids' default order of an object's edges: the
  // retained size column, descending (HeapSnapshotObjectNode.comparator():
  // ComparatorConfig('retainedSize', false, '!edgeName', true)).
  const edgesProvider = snapshot.createEdgesProvider(nodeIndex);
  edgesProvider.sortAndRewind(new dt.HeapSnapshotModel.ComparatorConfig('retainedSize', false, '!edgeName', true));
  const edges = edgesProvider.serializeItemsRange(0, Number.MAX_SAFE_INTEGER).items.map(edge => ({
    edge_type: edge.type,
    edge_name: edge.name,
    node_id: edge.node.id,
  }));
  return {
    id,
    node_index: nodeIndex,
    edges,
    type: node.type(),
    class_name: node.className(),
    class_key: snapshot.nodeClassKey(id),
    name: node.name(),
    self_size: node.selfSize(),
    retained_size: node.retainedSize(),
    distance: node.distance(),
    dominator_id: dominator.id(),
    // node.retainersCount() counts every retaining edge; the view hides weak
    // and invisible edges and edges from the synthetic root
    // (JSHeapSnapshot.retainingEdgesFilter).
    retainers_total: node.retainersCount(),
    retainers,
  };
}

function dumpNodes(snapshot, withNames) {
  const n = snapshot.nodeCount;
  const out = {
    id: new Array(n),
    type: new Array(n),
    class_name: new Array(n),
    class_key: new Array(n),
    self_size: new Array(n),
    retained_size: new Array(n),
    distance: new Array(n),
    dominator_id: new Array(n),
    // DOMLinkState after propagateDOMState(): 0 unknown, 1 attached, 2 detached.
    detachedness: new Array(n),
    // nodeNativeContext(): the node id of the native context the node is attributed
    // to, or -1 (NO_NATIVE_CONTEXT) / -2 (SHARED_NATIVE_CONTEXT).
    native_context_id: new Array(n),
  };
  if (withNames) {
    out.name = new Array(n);
  }
  const node = snapshot.createNode(0);
  const dom = snapshot.createNode(0);
  const classKeyCache = new Map();
  for (let i = 0; i < n; i++) {
    node.nodeIndex = i * snapshot.nodeFieldCount;
    dom.nodeIndex = node.dominatorIndex();
    out.id[i] = node.id();
    out.type[i] = node.type();
    out.class_name[i] = node.className();
    const k = node.classKeyInternal();
    let key = classKeyCache.get(k);
    if (key === undefined) {
      // Same conversion as HeapSnapshot.#classKeyFromClassKey().
      key = typeof k === 'number' ? ',' + snapshot.strings[k] : k;
      classKeyCache.set(k, key);
    }
    out.class_key[i] = key;
    out.self_size[i] = node.selfSize();
    out.retained_size[i] = node.retainedSize();
    out.distance[i] = node.distance();
    out.dominator_id[i] = dom.id();
    out.detachedness[i] = node.detachedness();
    const nativeContext = snapshot.nodeNativeContext(node.nodeIndex);
    if (nativeContext < 0) {
      out.native_context_id[i] = nativeContext;
    } else {
      dom.nodeIndex = nativeContext;
      out.native_context_id[i] = dom.id();
    }
    if (withNames) {
      out.name[i] = node.name();
    }
  }
  return out;
}

// --canonical-class-names: initDetachednessAndClassIndex() classes closures under a
// 'Function' string it appends to the snapshot's strings (likewise '(system)',
// '(compiled code)', 'RegExp', '(<type>)'), never the file's own string of that
// text, while an object node's class index is its name's index in the file. When
// the file also names objects 'Function', the two internal class keys become one
// public key ',Function' and aggregatesWithFilter() keeps only the last. This
// gives every node the first class index whose text is its class name's, so the
// aggregates have one key per public key; returns how many nodes changed.
function canonicalizeClassIndexes(snapshot) {
  const strings = snapshot.strings;
  const first = new Map();
  for (let i = 0; i < strings.length; i++) {
    if (!first.has(strings[i])) {
      first.set(strings[i], i);
    }
  }
  const node = snapshot.createNode(0);
  let changed = 0;
  for (let i = 0; i < snapshot.nodeCount; i++) {
    node.nodeIndex = i * snapshot.nodeFieldCount;
    const index = node.classIndex();
    const canonical = first.get(strings[index]);
    if (canonical !== index) {
      node.setClassIndex(canonical);
      changed++;
    }
  }
  return changed;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const {version, bundlePath} = await setup(opts);
  if (opts.setupOnly) {
    log(`ready: chrome-devtools-frontend@${version}, bundle ${bundlePath}`);
    return;
  }
  for (const file of [opts.file, opts.base]) {
    if (file !== null && !fs.existsSync(file)) {
      die(`no such file: ${file}`);
    }
  }
  installPolyfills();
  const dt = await import(pathToFileURL(bundlePath).href);

  // The worker reports snapshot problems (e.g. unreachable nodes) with
  // console.warn; collect them instead of mixing them into our output.
  const problems = [];
  const origWarn = console.warn;
  console.warn = (...args) => problems.push(args.map(String).join(' '));
  let snapshot;
  let base = null;
  const baseProblems = [];
  try {
    snapshot = await loadSnapshot(dt, opts.file);
    if (opts.base !== null) {
      console.warn = (...args) => baseProblems.push(args.map(String).join(' '));
      base = await loadSnapshot(dt, opts.base);
    }
  } finally {
    console.warn = origWarn;
  }

  let canonicalized = null;
  if (opts.canonicalClassNames) {
    canonicalized = canonicalizeClassIndexes(snapshot);
    if (base !== null) {
      canonicalizeClassIndexes(base);
    }
  }
  const root = snapshot.rootNode();
  const sum = summary(dt, snapshot);
  const result = {
    devtools_version: version,
    file: path.resolve(opts.file),
    node_count: snapshot.nodeCount,
    edge_count: snapshot.containmentEdges.length / snapshot.edgeFieldsCount,
    root_id: root.id(),
    root_retained_size: root.retainedSize(),
    extra_native_bytes: snapshot.profile.snapshot.extra_native_bytes ?? 0,
    // HeapSnapshot.totalSize: root retained size + snapshot.extra_native_bytes.
    total_size: snapshot.totalSize,
    statistics: statistics(snapshot),
    summary_total_count: sum.totalCount,
    summary_total_shallow_size: sum.totalSelf,
    summary: sum.rows,
    interface_definitions: JSON.parse(snapshot.interfaceDefinitions()),
    problems,
  };
  if (canonicalized !== null) {
    result.canonical_class_index_changes = canonicalized;
  }
  if (opts.objects.length) {
    result.objects = opts.objects.map(id => describeObject(dt, snapshot, id));
  }
  if (opts.dumpNodes) {
    result.nodes = dumpNodes(snapshot, opts.dumpNames);
  }
  result.max_js_node_id = maxJsObjectId(snapshot);
  if (opts.minNodeId !== null) {
    const filtered = summary(dt, snapshot, nodeIdFilter(dt, opts.minNodeId, opts.maxNodeId));
    result.node_id_filter = {min_node_id: opts.minNodeId, max_node_id: opts.maxNodeId};
    result.filtered_summary_total_count = filtered.totalCount;
    result.filtered_summary_total_shallow_size = filtered.totalSelf;
    result.filtered_summary = filtered.rows;
  }
  if (opts.filters.length) {
    const options = resolveFilters(snapshot, opts.filters);
    const sizes = snapshot.getNativeContextSizes();
    result.native_contexts = nativeContextOptions(snapshot).filter(o => o.node_index !== undefined);
    result.native_context_shared_size = sizes.sharedSize;
    result.native_context_no_attribution_size = sizes.noAttributionSize;
    result.filters = {};
    for (const option of options) {
      const filtered = summary(dt, snapshot, namedFilter(dt, option.filter_name));
      result.filters[option.filter_name] = {
        label: option.label,
        filtered_summary_total_count: filtered.totalCount,
        filtered_summary_total_shallow_size: filtered.totalSelf,
        filtered_summary: filtered.rows,
      };
    }
    // One named filter (and no node id range): also the flat keys, as for --min-node-id.
    if (options.length === 1 && opts.minNodeId === null) {
      const only = result.filters[options[0].filter_name];
      result.filter_name = options[0].filter_name;
      result.filtered_summary_total_count = only.filtered_summary_total_count;
      result.filtered_summary_total_shallow_size = only.filtered_summary_total_shallow_size;
      result.filtered_summary = only.filtered_summary;
    }
  }
  if (opts.duplicatedStrings) {
    result.duplicated_strings = duplicatedStrings(snapshot);
  }
  // The Comparison comes last: everything above is computed on `snapshot`
  // before calculateSnapshotDiff touches it (it only sorts the cached "All
  // objects" aggregates' node lists by id). aggregatesForDiff temporarily
  // reclassifies the *base*'s plain objects with this snapshot's interface
  // definitions and then re-applies the base's own ones.
  if (base !== null) {
    result.base_file = path.resolve(opts.base);
    result.base_max_js_node_id = maxJsObjectId(base);
    result.base_problems = baseProblems;
    result.comparison = comparison(snapshot, base);
  }
  const text = JSON.stringify(result, null, opts.pretty ? 2 : undefined) + '\n';
  await new Promise((resolve, reject) => process.stdout.write(text, err => (err ? reject(err) : resolve())));
}

main().catch(e => {
  process.stderr.write(`devtools_oracle: ${e?.stack || e}\n`);
  process.exit(1);
});
