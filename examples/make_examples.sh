#!/bin/sh
# Regenerate the bundled example: three snapshots of the leaky server from the tests,
# taken at start, after 300 requests and after 300 more (each request leaks a {url, date}).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
N=300 OUT_DIR="$here" PREFIX=leaky-server node --expose-gc "$here/../tests/fixtures/leaky_server.js"
for n in 1 2 3; do gzip -9 -n -f "$here/leaky-server-$n.heapsnapshot"; done
chmod 644 "$here"/*.heapsnapshot.gz

# An allocation timeline (with allocation stacks) and a sampling heap profile of the same server,
# 200 requests while recording: `heaptui examples/leaky-server.heaptimeline.gz` (4: Timeline, 5: Allocation).
tmp=$(mktemp -d)
OUT_DIR="$tmp" node --expose-gc "$here/../tests/fixtures/timeline.js"
cp "$tmp/timeline-leaky.heaptimeline.gz" "$here/leaky-server.heaptimeline.gz"
cp "$tmp/alloc-leaky.heapprofile.gz" "$here/leaky-server.heapprofile.gz"
rm -r "$tmp"
chmod 644 "$here"/*.gz
