"""heaptui: a terminal explorer for V8 heap snapshots."""

__version__ = "0.1.0"
