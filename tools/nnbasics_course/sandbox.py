"""The grading kernel's sandbox: bubblewrap (``bwrap``, Debian's ``bubblewrap``, what Flatpak uses)
with an allow-list.

The kernel sees, and nothing else of the machine:

- read-only: ``/usr`` (the system's libraries, which the interpreter and torch load; ``/bin``,
  ``/lib``... as the host links them), ``/etc/ld.so.cache``, ``/etc/fonts`` and
  ``/etc/localtime`` where they exist, the Python environment (the prefix and base prefix of
  the interpreter that runs the kernel, and the site folders on its ``sys.path``) and the
  course's two importable packages (``nnbasics`` and ``nnbasics_course``, each folder alone,
  not the checkout around it);
- writable: a private work folder (its home and working directory, ``/home/student``), a private
  ``/tmp`` (empty, in memory) and the folder of its connection to the grader;
- its own namespaces: no network (only its own loopback), its own process tree (it cannot see or
  signal the grader), its own user (``nobody`` inside; no capability outside).

A checkout in a folder other users cannot enter (mode 700, root's home) grades as any other: the
sandbox binds the folders it needs, whoever may list their parents. Nothing here depends on the
checkout's place, so an older clone or a backup of the course elsewhere on the machine stays
out of sight: it is simply not in the allow-list.

Public: `status` (can the sandbox be set up here, and if not why), `allow_list` (the read-only
folders, for one interpreter) and `wrap` (the command line that runs a kernel inside).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["HOME", "allow_list", "interpreter", "status", "wrap"]

HOME = "/home/student"  # the kernel's home and working directory, inside the sandbox
COURSE_PACKAGES = ("nnbasics", "nnbasics_course")
_SYSTEM = ("/usr",)
_SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime")
_NAMESPACES = ["--unshare-all", "--unshare-user", "--uid", "65534", "--gid", "65534",
               "--die-with-parent", "--new-session"]


@functools.lru_cache(maxsize=1)
def status() -> tuple[bool, str]:
    """``(True, "")`` if the sandbox can be set up here, else ``(False, what to change)``."""
    if os.name != "posix":
        return False, "the sandbox needs Linux (bubblewrap)"
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return False, ("bubblewrap is not installed: install it (Debian and Ubuntu: "
                       "apt-get install bubblewrap; `make test` does so as root)")
    probe = subprocess.run([bwrap, *_NAMESPACES, "--ro-bind", "/usr", "/usr", *_merged_usr(),
                            "true"], capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        error = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or ["no message"]
        return False, (f"bubblewrap cannot create its namespaces here ({error[0]}): run the grader as "
                       "root, or allow unprivileged user namespaces (sysctl "
                       "kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 "
                       "kernel.apparmor_restrict_unprivileged_userns=0)")
    return True, ""


def _merged_usr() -> list[str]:
    """/bin, /lib, ... as on the host: symbolic links into /usr (merged /usr) or read-only folders."""
    args = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


_QUERY = """
import importlib.util, json, os, sys
packages = {}
for name in sys.argv[1:]:
    spec = importlib.util.find_spec(name)
    packages[name] = list(spec.submodule_search_locations or []) if spec else []
print(json.dumps({"version": sys.version, "prefix": sys.prefix, "base_prefix": sys.base_prefix,
                  "exec_prefix": sys.exec_prefix, "base_exec_prefix": sys.base_exec_prefix,
                  "executable": os.path.realpath(sys.executable), "path": sys.path,
                  "packages": packages}))
"""


@functools.lru_cache(maxsize=8)
def interpreter(python: str) -> dict:
    """What ``python`` is: version, prefixes, real executable, ``sys.path`` and where the course's
    packages are (asked in isolated mode: no current folder, no ``PYTHONPATH``)."""
    out = subprocess.run([python, "-I", "-c", _QUERY, *COURSE_PACKAGES], capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout)


def _inside(path: Path, folders) -> bool:
    return any(path == f or path.is_relative_to(f) for f in folders)


def allow_list(python: str, root: Path | None = None) -> list[Path]:
    """The folders the kernel may read (read-only), for a kernel run by ``python``.

    ``root`` is the course checkout: a folder on ``sys.path`` inside it is never bound whole (it
    may hold the instructor's notebooks); only the course's packages in it are.
    """
    info = interpreter(python)
    root = Path(root).resolve() if root else None
    real = Path(info["executable"])
    prefixes = {Path(info[k]).resolve() for k in ("prefix", "base_prefix", "exec_prefix", "base_exec_prefix")}
    prefixes.add(real.parent.parent)  # bin/python3.x -> the installation
    folders = {p for p in prefixes if str(p) not in ("/", *_SYSTEM)}
    for locations in info["packages"].values():
        folders |= {Path(p).resolve() for p in locations}
    course = {Path(p).resolve().parent for locs in info["packages"].values() for p in locs}
    for entry in info["path"]:
        path = Path(entry).resolve() if entry else None
        if path is None or not path.is_dir() or _inside(path, _SYSTEM):
            continue
        if path in course or (root is not None and _inside(path, [root])):
            continue  # the checkout's src/ or tools/: only the packages, bound above
        folders.add(path)
    # Keep the outermost folders only.
    kept = sorted(folders, key=lambda p: len(p.parts))
    return [p for i, p in enumerate(kept) if not _inside(p, kept[:i])]


def wrap(argv: list[str], *, python: str, work: Path, connection_dir: Path, root: Path | None = None,
         hide: list[Path] = ()) -> list[str]:
    """``argv`` (a kernel's command line) run inside the sandbox.

    ``work`` becomes the kernel's writable home and working directory (``HOME``);
    ``connection_dir`` (the connection file and its sockets) is bound at the same path, writable.
    Any of ``hide`` that falls inside an allowed folder is covered by an empty folder.
    """
    # Order matters: a later mount covers an earlier one, so the fresh /tmp comes before the
    # folders bound into it (a checkout under /tmp, the connection folder).
    args = ["bwrap", *_NAMESPACES, "--ro-bind", "/usr", "/usr", *_merged_usr(),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for name in _SYSTEM_FILES:
        if Path(name).exists():
            args += ["--ro-bind", name, name]
    allowed = allow_list(python, root)
    for folder in allowed:
        args += ["--ro-bind", str(folder), str(folder)]
    for path in hide:
        path = Path(path).resolve()
        if _inside(path, allowed) and path.exists():
            args += ["--tmpfs", str(path)]
    args += ["--bind", str(work), HOME, "--bind", str(connection_dir), str(connection_dir),
             "--chdir", HOME, "--setenv", "HOME", HOME,
             # ipykernel would watch the grader's pid, which another pid namespace cannot see;
             # --die-with-parent ends the kernel with the grader instead.
             "--unsetenv", "JPY_PARENT_PID", "--"]
    return args + list(argv)
