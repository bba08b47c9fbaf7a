"""Counts the renames onto one file name in a directory, with inotify
(IN_MOVED_TO), as they happen: an atomic writer (temporary file, fsync,
rename) renames once per write, so this counts whole writes, however close
together, without polling.

    w = RenameWatch(dirname, "state.json")   # watching from here on
    ...
    w.times()        # monotonic times the renames were seen, so far
    w.close()

A lost event (the kernel queue overflowed) is an error, never a low count.
"""

import ctypes
import ctypes.util
import os
import select
import struct
import threading
import time

IN_MOVED_TO = 0x00000080
IN_Q_OVERFLOW = 0x00004000
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = os.O_CLOEXEC
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then the name

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                    use_errno=True)


class RenameWatch:
    def __init__(self, dirname, name):
        self.name = name.encode()
        self._times = []
        self.overflow = False
        self._lock = threading.Lock()
        self._fd = _libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self._fd, os.fsencode(dirname),
                                   IN_MOVED_TO) < 0:
            err = ctypes.get_errno()
            os.close(self._fd)
            raise OSError(err, "inotify_add_watch %s" % dirname)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(50):
                continue
            try:
                buf = os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            now = time.monotonic()
            off = 0
            while off + _EVENT.size <= len(buf):
                _, mask, _, n = _EVENT.unpack_from(buf, off)
                name = buf[off + _EVENT.size:off + _EVENT.size + n]
                off += _EVENT.size + n
                with self._lock:
                    if mask & IN_Q_OVERFLOW:
                        self.overflow = True
                    elif name.rstrip(b"\0") == self.name:
                        self._times.append(now)

    def times(self):
        """The monotonic times of the renames seen so far (a copy)."""
        time.sleep(0.1)  # let the reader catch up with the kernel queue
        with self._lock:
            if self.overflow:
                raise AssertionError("inotify queue overflowed: renames "
                                     "were lost, the count is unknown")
            return list(self._times)

    def count(self, since=None, until=None):
        return len([t for t in self.times()
                    if (since is None or t >= since) and
                    (until is None or t <= until)])

    def close(self):
        self._stop.set()
        self._thread.join(2)
        os.close(self._fd)
