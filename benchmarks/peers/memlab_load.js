#!/usr/bin/env node
// Times memlab's full snapshot load (parse + its analysis metadata: dominators, retained sizes).
// Usage: MEMLAB_DIR=/work/bench-data/peers/memlab node --max-old-space-size=16000 memlab_load.js FILE
// memlab lives outside the repo, so it is resolved from MEMLAB_DIR (or NODE_PATH / normal lookup).
// Prints one JSON line last: {"seconds": ..., "nodes": ..., "edges": ...} (memlab may log before it).
'use strict';
const path = require('path');
const file = process.argv[2];
if (!file) { console.error('usage: memlab_load.js FILE'); process.exit(2); }
const mod = process.env.MEMLAB_DIR
  ? path.join(process.env.MEMLAB_DIR, 'node_modules', '@memlab', 'heap-analysis')
  : '@memlab/heap-analysis';
const { getFullHeapFromFile } = require(mod);

(async () => {
  const t0 = process.hrtime.bigint();
  const heap = await getFullHeapFromFile(file);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ seconds, nodes: heap.nodes.length, edges: heap.edges.length }));
})().catch((e) => { console.error(e && e.stack || e); process.exit(1); });
