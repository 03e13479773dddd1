"""heaptui's compiled kernels: plain ``numba.njit`` functions, cached in a directory heaptui owns.

Importing this package imports numba; the engine modules reach the kernels
through :func:`heaptui.engine.jit.kernel` references, so that happens on the
first call of a kernel, not when the engine is imported. Before any kernel is
decorated, numba's cache is pointed at :func:`~heaptui.engine.kernel_cache.cache_directory`
(``$XDG_CACHE_HOME/heaptui/kernels/<version and hash of the engine's sources>``,
else a private temporary directory); when there is no directory at all,
:func:`njit` drops ``cache=True`` and numba compiles in memory only.
"""

from __future__ import annotations

from typing import Any

import numba

from ..kernel_cache import cache_directory

_directory = cache_directory()
if _directory is not None:
    # numba reads it when each kernel below is decorated (numba has no type hints for its config module)
    numba.config.CACHE_DIR = str(_directory)  # type: ignore[attr-defined]


def njit(**options: Any) -> Any:
    """``numba.njit``, without ``cache`` when there is no directory to cache in."""
    if _directory is None:
        options.pop("cache", None)
    return numba.njit(**options)


def _byte_masks(reverse: bool) -> Any:
    """The intrinsic behind :func:`byte_masks` (``reverse``: :func:`byte_masks_back`)."""
    from llvmlite import ir
    from numba.core import types
    from numba.core.extending import intrinsic

    @intrinsic  # type: ignore[misc]
    def masks(typingctx: Any, buf: Any, i: Any) -> Any:
        if not (isinstance(buf, types.Array) and buf.ndim == 1 and buf.layout == "C" and buf.dtype == types.uint8):
            return None
        signature = types.UniTuple(types.uint64, 2)(buf, types.int64)

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            data = context.make_array(sig.args[0])(context, builder, args[0]).data
            block = ir.VectorType(ir.IntType(8), 64)
            v = builder.load(builder.bitcast(builder.gep(data, [args[1]]), block.as_pointer()), align=1)
            if reverse:
                last_first = ir.Constant(ir.VectorType(ir.IntType(32), 64), list(range(63, -1, -1)))
                v = builder.shuffle_vector(v, ir.Constant(block, None), last_first)
            digit = builder.sub(v, ir.Constant(block, [48] * 64))  # '0'..'9' as 0..9, the rest above 9 (unsigned)
            not_digit = builder.icmp_unsigned(">", digit, ir.Constant(block, [9] * 64))
            comma = builder.icmp_unsigned("==", v, ir.Constant(block, [44] * 64))
            newline = builder.icmp_unsigned("==", v, ir.Constant(block, [10] * 64))
            bad = builder.and_(not_digit, builder.not_(builder.or_(comma, newline)))
            word = ir.IntType(64)
            pair = [builder.bitcast(not_digit, word), builder.bitcast(bad, word)]
            return context.make_tuple(builder, sig.return_type, pair)

        return signature, codegen

    return masks


# buf[i:i + 64] (uint8, C-contiguous; the caller keeps i + 64 within it) as two bit masks, byte i + k at bit k:
# the bytes other than '0'..'9', and those of them other than ',' and '\n'. One vector compare of the 64 bytes
# (two AVX2 registers) and a movemask, where eight words each took some twenty operations in SWAR.
# python_kernels has the same in Python. byte_masks_back: byte i + 63 - k at bit k.
byte_masks = _byte_masks(reverse=False)
byte_masks_back = _byte_masks(reverse=True)
