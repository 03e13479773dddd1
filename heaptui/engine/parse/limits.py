"""What the reader may be made to hold or step through, and the sizes it reads in.

Read as ``limits.NAME`` at run time (never copied into another module), so a
test can lower one with ``monkeypatch.setattr(limits, ...)``.
"""

from __future__ import annotations

CHUNK_SIZE = 8 << 20
# What the side-by-side read (:mod:`.side_by_side`) reads at a time, into a buffer per thread: small enough to stay in
# the core's cache between the copy from the page cache and the scan, and few fresh pages for the kernel to zero (this
# virtual machine zeroes slowly: 8 MB buffers cost a 146 MB load 0.1 s of system time more than 1 MB ones).
PIECE_CHUNK = 1 << 20
HEADER_CHUNK = 64 << 10  # read_header reads the start of the file only
HEADER_LIMIT = 1 << 20  # a real header is a few kB; its JSON can cost 67 times its size once parsed
# The trace tree is kept as text, but the Allocation view parses it: json.loads and the flattening
# take about 24 bytes per byte of it (measured), counted against the memory budget when it is read.
TRACE_TREE_COST = 24
# A compressed file's text is bounded by what its header's counts and the memory budget let it hold
# (deflate expands up to 1032 times: a 1 GB file of white space would take hours to read through).
TEXT_PER_NUMBER = 24  # a number, its comma and generous white space
TEXT_SLACK = 1 << 30  # white space, sections V8 does not write, the header
MAX_SECTIONS = 1000  # V8 writes nine; millions of tiny ones would take Python minutes to step through
TRACE_DEPTH_LIMIT = 400  # V8 records at most 64 frames a stack; JSON deeper than ~900 levels cannot be parsed
# Below this much text the nodes and edges are read in line: threads would cost more than they save.
SIDE_BY_SIDE_ABOVE = 16 << 20
# An array longer than this is scanned from both ends at once, by two threads that meet wherever the cores' time
# puts them (:mod:`.side_by_side`): the longest array no longer ends alone on one core while the other has nothing.
TWO_PIECES_ABOVE = 4 << 20
SMALL_INT_SECTIONS = ("locations", "samples", "trace_function_infos")
LOST = "(lost)"  # the name of what a salvaged snapshot lost
