"""What ``/proc/PID`` says about a process, before heaptui sends it anything.

A signal a process does not handle kills it: ``SIGUSR1`` ends any program but
Node (which opens its inspector on it), and a Node process in its first
milliseconds, before it installed its handler. So nothing is signalled until
this module has shown that the target is a Node executable, that heaptui may
signal it, and that the signal is caught right now (``SigCgt``). It also reads
the options the process was started with, on its command line and in
``NODE_OPTIONS`` (``/proc/PID/environ``, readable by its owner and root):
where its inspector listens, whether ``--heapsnapshot-signal`` is set and
where ``--diagnostic-dir`` sends the files. The listening sockets the process
owns (``/proc/PID/net/tcp*`` matched with the socket inodes of its fds) tell
whether its inspector is open, and whether a port is held by another process.
Linux only, by nature.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CaptureError

DEFAULT_INSPECT_HOST = "127.0.0.1"
DEFAULT_INSPECT_PORT = 9229

# Node executables as installed by distributions, nvm, volta, the official tarballs: node, nodejs, node20.
_NODE_EXE = re.compile(r"^node(js)?[-_.]?\d*(\.\d+)*$")

# Node options that take their value as the next argument (``-r ./x``, ``--inspect-port 9230``). Any other
# option without ``=`` is taken for a flag; the first argument that is no option is the script, and what
# follows it belongs to the script, not to Node.
_OPTIONS_WITH_VALUE = frozenset({
    "-r", "--require", "--import", "--loader", "--experimental-loader", "-e", "--eval", "-p", "--print",
    "--inspect-port", "--debug-port", "--title", "-C", "--conditions", "--input-type", "--heapsnapshot-signal",
    "--diagnostic-dir", "--env-file", "--watch-path", "--test-reporter", "--test-reporter-destination",
    "--test-name-pattern", "--test-skip-pattern", "--redirect-warnings", "--report-dir", "--report-directory",
    "--report-filename", "--report-signal", "--openssl-config", "--tls-cipher-list", "--tls-keylog",
    "--unhandled-rejections", "--dns-result-order", "--secure-heap", "--secure-heap-min", "--icu-data-dir",
    "--cpu-prof-dir", "--cpu-prof-name", "--cpu-prof-interval", "--heap-prof-dir", "--heap-prof-name",
    "--heap-prof-interval", "--policy-integrity", "--experimental-policy", "--disable-warning",
    "--trace-event-categories", "--trace-event-file-pattern", "--max-http-header-size", "--stack-trace-limit",
    "--es-module-specifier-resolution", "--experimental-specifier-resolution", "--use-largepages",
    "--snapshot-blob", "--run", "--inspect-publish-uid", "--experimental-default-type", "--localstorage-file",
})
_INSPECT_OPTIONS = frozenset({"--inspect", "--inspect-brk", "--inspect-wait", "--inspect-brk-node",
                              "--inspect-port", "--debug-port"})
# The options that open the inspector at start-up (``--inspect-port`` alone only says where SIGUSR1 opens it).
_OPENING_OPTIONS = frozenset({"--inspect", "--inspect-brk", "--inspect-wait", "--inspect-brk-node"})


@dataclass(frozen=True)
class HostPort:
    """An inspector address as Node's ``--inspect*`` options give it (port 0: any free port)."""

    host: str
    port: int


@dataclass(frozen=True)
class NodeOptions:
    """The Node options of a process that capture cares about (``NODE_OPTIONS``, then the command line)."""

    inspect: HostPort = HostPort(DEFAULT_INSPECT_HOST, DEFAULT_INSPECT_PORT)
    heapsnapshot_signal: str | None = None
    diagnostic_dir: str | None = None
    inspector_at_start: bool = False  # --inspect, --inspect-brk or --inspect-wait: meant to be open


@dataclass(frozen=True)
class NodeProcess:
    """A running Node process as ``/proc`` shows it, read once before capture starts."""

    pid: int
    exe: str
    argv: tuple[str, ...]
    node_options: str | None  # NODE_OPTIONS, or None when unset or /proc/PID/environ is unreadable
    cwd: Path | None
    uid: int
    start_time: int  # in clock ticks since boot: a PID reused by a new process has another one
    ns_pids: tuple[int, ...]  # the PID in each PID namespace, outermost first (process.pid is the last)
    options: NodeOptions

    @property
    def snapshot_dir(self) -> Path | None:
        """Where ``--heapsnapshot-signal`` writes its files: ``--diagnostic-dir``, else the working directory."""
        if self.options.diagnostic_dir:
            directory = Path(self.options.diagnostic_dir)
            if directory.is_absolute() or self.cwd is None:
                return directory
            return self.cwd / directory
        return self.cwd


@dataclass(frozen=True)
class Listener:
    """A listening TCP socket: its inode (to match a process's fds), address and port."""

    inode: int
    host: str
    port: int


# -- reading /proc ---------------------------------------------------------------------------------------------

def _proc(pid: int, *parts: str) -> str:
    return os.path.join("/proc", str(pid), *parts)


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    try:
        with open(_proc(pid, "stat"), "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def _status(pid: int) -> dict[str, str]:
    try:
        with open(_proc(pid, "status"), "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    return {key: value.strip() for key, _, value in (line.partition(":") for line in lines)}


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot), or None when there is no such live process."""
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):  # a zombie has exited: only its parent has not reaped it
        return None
    return int(fields[19])


def is_alive(pid: int, started: int) -> bool:
    """Whether the process that started at ``started`` still runs (not exited, not a reused PID)."""
    return start_time(pid) == started


def comm(pid: int) -> str:
    """The process's short name, for messages."""
    try:
        with open(_proc(pid, "comm"), "rb") as f:
            return f.read().decode("utf-8", "replace").strip()
    except OSError:
        return "?"


def _user_name(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def _denied(pid: int, uid: int) -> CaptureError:
    """Permission denied, with advice that fits who runs heaptui (root is never told to become root)."""
    if os.geteuid() == 0:
        advice = ("heaptui runs as root, yet may not signal it: a container, a user namespace or a security "
                  "module forbids it; run heaptui where the process runs")
    else:
        advice = "run heaptui as that user or as root"
    return CaptureError(f"permission denied: process {pid} belongs to user {_user_name(uid)} ({advice})")


def _no_such_process(pid: int) -> CaptureError:
    return CaptureError(f"no such process: {pid}")


def is_node_executable(exe: str) -> bool:
    """Whether an executable's path names Node (``/usr/bin/node``, ``~/.nvm/.../bin/node``, ``nodejs``)."""
    return bool(_NODE_EXE.match(os.path.basename(exe.removesuffix(" (deleted)"))))


def read_process(pid: int) -> NodeProcess:
    """Read a Node process's identity and options; :class:`CaptureError` when it is not one heaptui can capture.

    The checks, in order: the process exists (and has not exited), its executable can be read (another user's
    cannot: permission denied), and that executable is Node.
    """
    if pid <= 0:
        raise _no_such_process(pid)
    started = start_time(pid)
    if started is None:
        raise _no_such_process(pid)
    status = _status(pid)
    uid = int(status.get("Uid", "0").split()[0]) if status.get("Uid") else 0
    try:
        exe = os.readlink(_proc(pid, "exe"))
    except PermissionError:
        raise _denied(pid, uid) from None
    except (FileNotFoundError, ProcessLookupError):
        if start_time(pid) != started:
            raise _no_such_process(pid) from None
        raise CaptureError(f"process {pid} ({comm(pid)}) is not a Node process") from None
    if not is_node_executable(exe):
        raise CaptureError(f"process {pid} ({comm(pid)}, {exe}) is not a Node process")
    try:
        with open(_proc(pid, "cmdline"), "rb") as f:
            argv = tuple(a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1])
    except (FileNotFoundError, ProcessLookupError):
        raise _no_such_process(pid) from None
    node_options = _environ(pid).get("NODE_OPTIONS")
    try:
        cwd: Path | None = Path(os.readlink(_proc(pid, "cwd")))
    except OSError:
        cwd = None
    ns_pids = tuple(int(p) for p in status.get("NSpid", str(pid)).split()) or (pid,)
    return NodeProcess(pid, exe, argv, node_options, cwd, uid, started, ns_pids,
                       parse_node_options(argv, node_options))


def _environ(pid: int) -> dict[str, str]:
    """The process's initial environment; empty when it cannot be read (another user's process)."""
    try:
        with open(_proc(pid, "environ"), "rb") as f:
            data = f.read()
    except OSError:
        return {}
    env: dict[str, str] = {}
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
    return env


# -- Node's options ---------------------------------------------------------------------------------------------

def parse_host_port(text: str, default: HostPort) -> HostPort:
    """``9230``, ``0.0.0.0:9230``, ``[::1]:9230`` or ``host`` as Node reads an ``--inspect*`` value."""
    text = text.strip()
    if not text:
        return default
    if text.isdigit():
        return HostPort(default.host, int(text))
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
        return HostPort(host, int(port) if port.isdigit() else default.port)
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return HostPort(host or default.host, int(port))
    return HostPort(text, default.port)


def _node_args(args: list[str], script_ends: bool) -> list[tuple[str, str | None]]:
    """(option, value) pairs of Node's own options; with ``script_ends``, stop at the script's name."""
    found: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" or (script_ends and (not arg.startswith("-") or arg == "-")):
            break
        name, sep, value = arg.partition("=")
        if name.startswith("--"):
            name = "--" + name[2:].replace("_", "-")  # Node accepts --inspect_port for --inspect-port
        if sep:
            found.append((name, value))
        elif name in _OPTIONS_WITH_VALUE and i + 1 < len(args):
            found.append((name, args[i + 1]))
            i += 1
        else:
            found.append((name, None))
        i += 1
    return found


def parse_node_options(argv: tuple[str, ...] | list[str], node_options: str | None) -> NodeOptions:
    """The options capture needs, from ``NODE_OPTIONS`` first and the command line after (which wins)."""
    pairs: list[tuple[str, str | None]] = []
    if node_options:
        try:
            pairs += _node_args(shlex.split(node_options), script_ends=False)
        except ValueError:  # unbalanced quotes: Node would have refused to start, so nothing to learn
            pass
    pairs += _node_args(list(argv[1:]), script_ends=True)
    inspect = HostPort(DEFAULT_INSPECT_HOST, DEFAULT_INSPECT_PORT)
    heapsnapshot_signal = diagnostic_dir = None
    inspector_at_start = False
    for name, value in pairs:
        if name in _OPENING_OPTIONS:
            inspector_at_start = True
        if name in _INSPECT_OPTIONS and value is not None:
            inspect = parse_host_port(value, inspect)
        elif name == "--heapsnapshot-signal":
            heapsnapshot_signal = value
        elif name == "--diagnostic-dir":
            diagnostic_dir = value
    return NodeOptions(inspect, heapsnapshot_signal, diagnostic_dir, inspector_at_start)


# -- signals ----------------------------------------------------------------------------------------------------

def check_may_signal(proc: NodeProcess) -> None:
    """Raise unless heaptui may signal the process (same user, or root): the kernel's own answer."""
    try:
        os.kill(proc.pid, 0)
    except ProcessLookupError:
        raise _no_such_process(proc.pid) from None
    except PermissionError:
        raise _denied(proc.pid, proc.uid) from None
    if not is_alive(proc.pid, proc.start_time):
        raise _no_such_process(proc.pid)


def catches_signal(pid: int, signum: int) -> bool:
    """Whether the process has a handler installed for ``signum`` now (``SigCgt`` in /proc/PID/status)."""
    mask = _status(pid).get("SigCgt")
    return mask is not None and bool(int(mask, 16) >> (signum - 1) & 1)


def signal_number(name: str) -> int:
    """``SIGUSR2`` (or ``USR2``) as a number; CaptureError for a name that is none."""
    upper = name.upper()
    try:
        return int(signal.Signals[upper if upper.startswith("SIG") else "SIG" + upper])
    except KeyError:
        raise CaptureError(f"unknown signal: {name}") from None


# -- sockets ----------------------------------------------------------------------------------------------------

def _address(hex_address: str) -> str:
    """An address as /proc/net/tcp* prints it (32-bit words in host order) in the usual notation."""
    words = [int(hex_address[i:i + 8], 16) for i in range(0, len(hex_address), 8)]
    packed = struct.pack(f"={len(words)}I", *words)
    return socket.inet_ntop(socket.AF_INET if len(packed) == 4 else socket.AF_INET6, packed)


def _tcp_sockets(pid: int) -> Iterator[list[str]]:
    """The fields of each TCP socket in the process's network namespace (IPv4 and IPv6), as /proc/net/tcp* list
    them: local address:port, remote, state (0A listening, 01 established), ..., inode."""
    for name in ("tcp", "tcp6"):
        try:
            with open(_proc(pid, "net", name)) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) >= 10:
                yield fields


def listeners(pid: int) -> list[Listener]:
    """Every listening TCP socket in the process's network namespace (IPv4 and IPv6)."""
    found: list[Listener] = []
    for fields in _tcp_sockets(pid):
        if fields[3] == "0A":  # TCP_LISTEN
            address, _, port = fields[1].partition(":")
            found.append(Listener(int(fields[9]), _address(address), int(port, 16)))
    return found


def established_to(pid: int, port: int) -> int:
    """How many established TCP connections in the process's network namespace have ``port`` as their local
    port: the clients connected to a server listening there (a debugger on an inspector)."""
    return sum(1 for fields in _tcp_sockets(pid)
               if fields[3] == "01" and int(fields[1].rpartition(":")[2], 16) == port)  # 01: TCP_ESTABLISHED


def socket_inodes(pid: int) -> frozenset[int]:
    """The inodes of the sockets among the process's open file descriptors."""
    inodes: set[int] = set()
    try:
        fds = os.listdir(_proc(pid, "fd"))
    except (FileNotFoundError, ProcessLookupError):
        return frozenset()
    for fd in fds:
        try:
            target = os.readlink(_proc(pid, "fd", fd))
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return frozenset(inodes)


def own_listeners(pid: int) -> list[Listener]:
    """The listening sockets the process itself holds open."""
    entries = listeners(pid)  # first: a listening socket's fd exists before it listens, so it is seen below
    mine = socket_inodes(pid)
    return [entry for entry in entries if entry.inode in mine]


def socket_owner(inode: int) -> int | None:
    """A process holding the socket with this inode (for the message about a busy port), if one can be seen."""
    wanted = f"socket:[{inode}]"
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(_proc(int(entry), "fd")):
                if os.readlink(_proc(int(entry), "fd", fd)) == wanted:
                    return int(entry)
        except OSError:
            continue
    return None


def same_network_namespace(pid: int) -> bool:
    """Whether the process shares heaptui's network namespace, so that its 127.0.0.1 is heaptui's."""
    try:
        return os.stat(_proc(pid, "ns", "net")).st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return True  # cannot tell: try, and let the connection say
