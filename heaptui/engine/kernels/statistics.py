"""The compiled kernels of :mod:`heaptui.engine.statistics` (moved here unchanged)."""

from __future__ import annotations

from . import njit


@njit(cache=True, nogil=True)
def _sums(node_type, node_name, shallow, first_edge, edge_type, edge_name, edge_to, first_retainer,
          hidden, native, code, string_types, is_array_buffer_data, is_array_name, internal_edge, is_elements_name):
    system = 0
    native_total = 0
    typed = 0
    code_total = 0
    strings = 0
    arrays = 0
    for v in range(node_type.shape[0]):
        t = node_type[v]
        size = shallow[v]
        if t == hidden:
            system += size
        elif t == native:
            native_total += size
            if is_array_buffer_data[node_name[v]]:
                typed += size
        elif t == code:
            code_total += size
        elif string_types[t]:
            strings += size
        elif is_array_name[node_name[v]]:
            arrays += size
            for e in range(first_edge[v], first_edge[v + 1]):
                if edge_type[e] != internal_edge or not is_elements_name[edge_name[e]]:
                    continue
                w = edge_to[e]
                if first_retainer[w + 1] - first_retainer[w] == 1:
                    arrays += shallow[w]
                break
    return system, native_total, typed, code_total, strings, arrays
