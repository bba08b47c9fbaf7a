"""The built programs under test and the servers the tests need."""

import os
import shutil
import subprocess
import sys

from . import SKIP, HARD_ERROR


def top_builddir():
    """$top_builddir (exported by `make check`), else the source tree."""
    d = os.environ.get("top_builddir")
    if d:
        return d
    return os.path.abspath(os.path.join(os.path.dirname(__file__),
                                        "..", "..", ".."))


def program(relpath):
    """Path of a built program, e.g. program("tests/tools/mp-check").
    A missing program is a hard error: `make check` builds it first."""
    path = os.path.join(top_builddir(), relpath)
    if not os.access(path, os.X_OK):
        sys.stderr.write("%s is not built\n" % path)
        sys.exit(HARD_ERROR)
    return path


def find_server(name, extra_dirs=("/usr/sbin", "/sbin")):
    """Path of a server binary, also in sbin directories not on PATH."""
    path = shutil.which(name)
    if path:
        return path
    for d in extra_dirs:
        cand = os.path.join(d, name)
        if os.access(cand, os.X_OK):
            return cand
    return None


def require(*names):
    """Paths of the named binaries; exits 77 (skip) when one is missing."""
    paths = []
    for n in names:
        p = find_server(n)
        if not p:
            sys.stderr.write("SKIP: %s is not installed\n" % n)
            sys.exit(SKIP)
        paths.append(p)
    return paths


def run(argv, timeout=60, **kwargs):
    """Runs argv to completion, capturing text output."""
    return subprocess.run(argv, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, **kwargs)
