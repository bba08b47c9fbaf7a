"""Child processes that are always stopped: each runs in its own process
group (session), is registered for clean-up at exit and is killed with its
children when stopped."""

import atexit
import os
import signal
import subprocess

_live = []


def start(argv, **kwargs):
    """subprocess.Popen in a new session, stopped at exit at the latest."""
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, start_new_session=True, **kwargs)
    _live.append(p)
    return p


def stop(p, timeout=5.0):
    """SIGTERM to the process group, SIGKILL after timeout; reaps it.
    Returns the exit status."""
    if p in _live:
        _live.remove(p)
    if p.poll() is None:
        _signal_group(p, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.wait()
    else:
        # the leader is gone; leave no stray children behind it
        _signal_group(p, signal.SIGKILL)
    return p.returncode


def _signal_group(p, sig):
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


@atexit.register
def _stop_all():
    for p in list(_live):
        stop(p, timeout=2.0)
