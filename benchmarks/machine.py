"""What a benchmark ran on, so that its figures can be read later: CPU, cores, memory, kernel, load, versions.

    python benchmarks/machine.py [PEERS_DIR]     # print it (with the peers' versions when installed there)

A figure without its machine means little: the same code takes twice as long on a busy 2-core VM as on a quiet
laptop, and heap-snapshot or memlab change between versions. Stdlib only; whatever cannot be read is "?".
"""

import importlib.metadata
import json
import os
import platform
import subprocess
import sys


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def cpu_model():
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or "?"


def virtualized():
    """True under a hypervisor (the CPU flag the kernel shows), so shared-host noise is expected."""
    return any(" hypervisor" in line for line in _read("/proc/cpuinfo").splitlines() if line.startswith("flags"))


def memory_bytes():
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return None


def cgroup_memory_limit():
    """The container's memory limit in bytes, or None when there is none (v2 `max`, v1's huge number)."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        text = _read(path).strip()
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def package_version(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def npm_version(package_dir):
    """The version in an npm package's package.json, or None when it is not there."""
    try:
        return json.loads(_read(os.path.join(package_dir, "package.json")))["version"]
    except (ValueError, KeyError, TypeError):
        return None


def command_output(cmd, cwd=None):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def heaptui_version():
    """(version, short commit) of the heaptui this interpreter imports (PYTHONPATH's checkout, if set)."""
    try:
        import heaptui
    except ImportError:
        return None, None
    repo = os.path.dirname(os.path.dirname(os.path.abspath(heaptui.__file__)))
    commit = command_output(["git", "rev-parse", "--short", "HEAD"], cwd=repo)
    if commit and command_output(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo):
        commit += " with local changes"
    return getattr(heaptui, "__version__", None), commit


def describe(peers_dir=None):
    """The machine and the versions of everything measured, as a JSON-able dict."""
    version, commit = heaptui_version()
    hs_dir = os.path.join(peers_dir, "heap-snapshot", "package") if peers_dir else None
    memlab_dir = os.path.join(peers_dir, "memlab", "node_modules", "@memlab", "heap-analysis") if peers_dir else None
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": affinity,
        "virtualized": virtualized(),
        "memory_bytes": memory_bytes(),
        "cgroup_memory_limit": cgroup_memory_limit(),
        "kernel": f"{platform.system()} {platform.release()}",
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "heaptui": version,
        "heaptui_commit": commit,
        "numba": package_version("numba"),
        "numpy": package_version("numpy"),
        "node": command_output(["node", "--version"]),
        "heap-snapshot": npm_version(hs_dir) if hs_dir else None,
        "memlab": npm_version(memlab_dir) if memlab_dir else None,
    }


def summary_line(m):
    """One line a README can quote: '2 vCPUs (AMD EPYC, under a hypervisor), 23.5 GiB, Linux 6.18, ...'."""
    gib = f"{m['memory_bytes'] / 2**30:.1f} GiB" if m.get("memory_bytes") else "? GiB"
    vm = ", under a hypervisor" if m.get("virtualized") else ""
    return (
        f"{m['cpus']} CPUs ({m['cpu']}{vm}), {gib}, {m['kernel']}; Python {m['python']}, numba {m['numba']}, "
        f"numpy {m['numpy']}, Node {m['node']}; heap-snapshot {m['heap-snapshot'] or 'not installed'}, "
        f"memlab {m['memlab'] or 'not installed'}"
    )


def print_machine(m, out=sys.stdout):
    print(f"machine: {summary_line(m)}", file=out)
    limit = m.get("cgroup_memory_limit")
    commit = f" (commit {m['heaptui_commit']})" if m.get("heaptui_commit") else ""
    print(
        f"  heaptui {m['heaptui']}{commit}; {m['cpus_usable']} CPUs usable by this process; "
        f"memory limit {f'{limit / 2**30:.1f} GiB' if limit else 'none'}; "
        f"load average at start {' / '.join(map(str, m['loadavg']))} (1 / 5 / 15 min)",
        file=out,
    )


if __name__ == "__main__":
    print_machine(describe(sys.argv[1] if len(sys.argv) > 1 else None))
