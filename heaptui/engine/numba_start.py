"""numba's start-up in a process that only loads heaptui's compiled kernels: without numba's compiler registries.

Before it loads a kernel from its cache, numba refreshes its typing and target
contexts (``Cache.load_overload`` calls ``refresh``), which imports and installs
every implementation numba has: its Python and NumPy builtins, random, linalg,
the typed containers, the cffi bindings. That is about 0.2 s of a fresh
process, half of numba's start-up, and all of it serves the compiler only:
loading machine code compiled earlier needs numba's runtime (NRT) and nothing
else. So :func:`load_kernels_lean` makes numba's cache load heaptui's kernels
with the runtime initialised and the refresh left to the first compile, which
does it itself (numba's ``CompilerBase`` refreshes both contexts): a first run,
or any kernel whose cached code does not match, compiles exactly as before.

The same goes for the environments the cached code carries: one for each
function it holds, numba's own included (the kernels inline numba's
``np.empty``, so 72 of them name ``numba.np.arrayobj``). numba rebuilds each
over its module's globals, importing the module: ``numba.np.arrayobj`` and
``numba.np.arraymath`` cost a tenth of a second that way, for globals that
compiled nopython code never reads (only object mode's lowering looks
globals up; nopython code reads an environment's constants, which come
with it). So while a kernel of heaptui's loads, an environment of a numba
module not yet imported is made over a stand-in holding the module's name
(what pickling it again reads), and the module is left to whoever compiles.

Last, the code library each kernel's machine code comes in. numba parses
the library's LLVM bitcode (kept in the cache for a later compile to inline
the kernel into its own code) and lists every symbol it defines, one call
into LLVM per function, for a guard that is asked only by name: a fifth of a
second of a fresh process for 24 kernels, spent holding the GIL while the
parse's threads wait for the first kernels. So a kernel of heaptui's keeps
its bitcode unread (:func:`_lean_libraries`): it is parsed when a compile
links the kernel in, and the symbols of every such library are listed the
first time the guard is asked about a name it does not know, which answers
every question as numba's own load would. The one question each load asks,
the address of the kernel's own wrapper, is asked of LLVM directly (the
library defines it: it is the function the library was compiled for).

The change is narrow: only kernels of heaptui's own modules, only numba's CPU
target, and only when numba's cache has the methods it relies on; anything
else (a program's own numba functions, another numba) goes through numba's own
load unchanged.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

_lock = threading.Lock()
_done = False
_loading = threading.local()  # .ours: this thread is loading a kernel of heaptui's
# The numba releases whose cache load this was read against and tested on (numba.core.caching.Cache.load_overload
# is refresh() then _load_overload()); any other loads kernels numba's own way until checked and added here.
CHECKED_NUMBA = ((0, 68),)


def _checked(version: str) -> bool:
    try:
        major, minor = (int(part) for part in version.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) in CHECKED_NUMBA


def _ours(cache: Any) -> bool:
    """Whether numba's cache object is that of a kernel of heaptui's."""
    py_func = getattr(cache, "_py_func", None)
    return getattr(py_func, "__module__", "").startswith("heaptui.engine.kernels.")


def load_kernels_lean() -> None:
    """Make numba load heaptui's cached kernels without refreshing its compiler's registries (once per process)."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        try:
            import numba
            from numba.core import caching, codegen, environment
            from numba.core.cpu import CPUContext
            from numba.core.runtime import rtsys
        except ImportError:  # another numba than the one this was written for: its own load
            return
        if not _checked(numba.__version__):
            return
        cache_class = caching.Cache
        original = cache_class.__dict__.get("load_overload")
        if original is None or not all(
            hasattr(cache_class, name) for name in ("_load_overload", "_guard_against_spurious_io_errors")
        ):
            return
        _lean_environments(environment)
        _lean_libraries(codegen)

        def load_overload(self: Any, sig: Any, target_context: Any) -> Any:
            if not (isinstance(target_context, CPUContext) and _ours(self)):
                return original(self, sig, target_context)
            rtsys.initialize(target_context)  # what the refresh did that loaded code needs: the runtime
            _loading.ours = True
            try:
                with self._guard_against_spurious_io_errors():
                    return self._load_overload(sig, target_context)
            finally:
                _loading.ours = False
            return None  # an I/O error the guard swallowed: numba then compiles (as its own load does)

        setattr(cache_class, "load_overload", load_overload)  # noqa: B010 (mypy: a method is not assigned to)


def _lean_environments(environment: Any) -> bool:
    """Make numba's environments of modules not yet imported without importing them, while a kernel of ours loads.

    Whether it could (numba's ``_rebuild_env`` and ``Environment`` as read for :data:`CHECKED_NUMBA`).
    """
    original = getattr(environment, "_rebuild_env", None)
    memo = getattr(getattr(environment, "Environment", None), "_memo", None)
    if original is None or memo is None or not hasattr(environment, "lookup_environment"):
        return False

    def rebuild_env(modname: Any, consts: Any, env_name: Any) -> Any:
        if not (
            getattr(_loading, "ours", False)
            and isinstance(modname, str)
            and modname.startswith("numba.")
            and modname not in sys.modules
        ):
            return original(modname, consts, env_name)
        env = environment.lookup_environment(env_name)
        if env is not None:
            return env
        env = environment.Environment({"__name__": modname})  # globals only object mode reads
        env.consts[:] = consts
        env.env_name = env_name
        memo[env_name] = env
        return env

    # Pickled by reference, as numba's own: what an environment saved in a compiled kernel names (and calls on load).
    rebuild_env.__module__ = environment.__name__
    rebuild_env.__qualname__ = rebuild_env.__name__ = "_rebuild_env"
    environment._rebuild_env = rebuild_env
    return True


_BITCODE = "_heaptui_bitcode"  # a lean library's bitcode, not parsed yet (in the library's __dict__)
_PENDING = "_heaptui_pending"  # the lean libraries whose symbols the engine has not listed (in the engine's)


def _lean_libraries(codegen: Any) -> bool:
    """Load the code libraries of heaptui's kernels without parsing their bitcode or listing their symbols.

    Whether it could (numba's ``CPUCodeLibrary``, ``JITCodeLibrary`` and ``JitEngine`` as read for
    :data:`CHECKED_NUMBA`): numba's ``_unserialize`` parses the bitcode and lists the symbols at once; here the
    bitcode waits in the library until a compile links the library in (``_get_module_for_linking``), and the
    library waits in the engine's pending list until the symbol guard (``is_symbol_defined``) is asked about a
    name it does not know: then every pending library's symbols are listed first, so the guard's answer is
    numba's own. A lean library's ``get_pointer_to_function`` asks LLVM for the address first; only a name LLVM
    does not find goes through numba's guard.
    """
    library_class: Any = getattr(codegen, "CPUCodeLibrary", None)
    engine_class: Any = getattr(codegen, "JitEngine", None)
    jit_library: Any = getattr(codegen, "JITCodeLibrary", None)
    if not all(
        hasattr(library_class, name) for name in ("_unserialize", "_get_module_for_linking", "enable_object_caching")
    ) or not all(hasattr(engine_class, name) for name in ("is_symbol_defined", "_load_defined_symbols")):
        return False
    if not hasattr(jit_library, "get_pointer_to_function"):
        return False
    unserialize = library_class.__dict__["_unserialize"].__func__
    module_for_linking = library_class._get_module_for_linking
    is_symbol_defined = engine_class.is_symbol_defined
    pointer_to_function = jit_library.get_pointer_to_function
    lock = threading.RLock()  # numba compiles and loads under its own lock; this one does not rely on that

    def lean_unserialize(cls: Any, target: Any, state: Any) -> Any:
        name, kind, data = state
        if not (getattr(_loading, "ours", False) and kind == "object"):
            return unserialize(cls, target, state)
        object_code, shared_bitcode = data
        library = target.create_library(name)
        library.enable_object_caching()
        library._set_compiled_object(object_code)
        library.__dict__[_BITCODE] = shared_bitcode
        library._finalize_final_module()
        engine = library._codegen._engine
        with lock:
            engine.__dict__.setdefault(_PENDING, []).append(library)
        return library

    def lean_module_for_linking(self: Any) -> Any:
        with lock:
            bitcode = self.__dict__.pop(_BITCODE, None)
            if bitcode is not None:
                self._shared_module = codegen.ll.parse_bitcode(bitcode)
        return module_for_linking(self)

    def lean_is_symbol_defined(self: Any, name: str) -> bool:
        if name not in self._defined_symbols:  # rare: a compile asks, or a name nothing defines
            with lock:  # a flush on another thread is finished before the set is read
                for library in self.__dict__.pop(_PENDING, []):
                    self._load_defined_symbols(library._get_module_for_linking())
        return bool(is_symbol_defined(self, name))

    def lean_pointer_to_function(self: Any, name: str) -> int:
        if _BITCODE in self.__dict__:  # a lean library: its symbols are not listed yet
            self._ensure_finalized()
            address = self._codegen._engine.get_function_address(name)
            if address:
                return int(address)
        return int(pointer_to_function(self, name))

    library_class._unserialize = classmethod(lean_unserialize)
    library_class._get_module_for_linking = lean_module_for_linking
    engine_class.is_symbol_defined = lean_is_symbol_defined
    jit_library.get_pointer_to_function = lean_pointer_to_function
    return True
