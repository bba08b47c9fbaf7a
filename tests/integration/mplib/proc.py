"""Child processes that are always stopped: each runs in its own process
group, is killed at interpreter exit if a test forgot it, and stop() sends
SIGTERM, then SIGKILL."""
import atexit
import os
import signal
import subprocess
import time

_live = set()


def _kill_all():
    for p in list(_live):
        p.stop(grace=1.0)


atexit.register(_kill_all)


class Proc:
    def __init__(self, argv, log_path, env=None, cwd=None):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True)
        _live.add(self)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def _signal_group(self, sig):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def kill9(self):
        """SIGKILL to the whole group, as a crash would leave things."""
        self._signal_group(signal.SIGKILL)
        self.popen.wait()
        self._close()

    def stop(self, grace=5.0):
        if self.popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.popen.wait()
        else:
            # the leader is gone; make sure no child of it lingers
            self._signal_group(signal.SIGKILL)
        self._close()

    def _close(self):
        _live.discard(self)
        if not self._log.closed:
            self._log.close()

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def wait_for(pred, timeout=10.0, step=0.05, what="condition",
             error=TimeoutError):
    """Polls pred() until it returns a true value, which is returned;
    raises error (a test's failure: AssertionError) after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise error("timed out after %.1f s waiting for %s"
                        % (timeout, what))
        time.sleep(step)
