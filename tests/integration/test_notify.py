#!/usr/bin/env python3
"""sd_notify protocol of mirrorpoold (agent/notify.c), driven through
tests/tools/mp-notify-send against a fake service manager: a datagram socket
bound at a filesystem path or an abstract name, exactly as systemd passes it
in $NOTIFY_SOCKET. Every datagram is checked byte for byte, together with the
sender's pid from SCM_CREDENTIALS (NotifyAccess=main accepts only the main
process)."""

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILDDIR = os.environ.get("top_builddir") or os.path.join(HERE, "..", "..")
TOOL = os.path.join(BUILDDIR, "tests", "tools", "mp-notify-send")
CRED = struct.Struct("iII")  # struct ucred: pid, uid, gid


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
    env.update(extra)
    return env


class FakeManager:
    """A bound SOCK_DGRAM socket that records (pid, payload) pairs."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(address)

    def drain(self):
        """Everything queued so far. The sender has exited when this is
        called, so every datagram it sent is already in the queue."""
        got = []
        self.sock.setblocking(False)
        while True:
            try:
                data, anc, _flags, _addr = self.sock.recvmsg(
                    4096, socket.CMSG_SPACE(CRED.size))
            except BlockingIOError:
                return got
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and \
                        kind == socket.SCM_CREDENTIALS:
                    pid = CRED.unpack(payload[:CRED.size])[0]
            got.append((pid, data))

    def close(self):
        self.sock.close()


def run(args, env, shell_prefix=None):
    cmd = [TOOL] + args
    if shell_prefix is not None:
        # exec keeps the shell's pid, so $$ names the tool's own pid
        cmd = ["/bin/sh", "-c", shell_prefix + ' exec "$0" "$@"'] + cmd
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.pid, proc.returncode, out, err


SEQUENCE = ["ready", "3 pools, 7/8 addresses up",
            "status", "line one\nline two",
            "watchdog",
            "reloading", "123456789",
            "stopping"]
EXPECTED = [b"READY=1\nSTATUS=3 pools, 7/8 addresses up",
            b"STATUS=line one line two",
            b"WATCHDOG=1",
            b"RELOADING=1\nMONOTONIC_USEC=123456789",
            b"STOPPING=1"]


class NotifyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mp-notify-")
        self.managers = []

    def tearDown(self):
        for m in self.managers:
            m.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def manager(self, address):
        m = FakeManager(address)
        self.managers.append(m)
        return m

    def path_manager(self):
        path = os.path.join(self.tmp, "notify")
        return self.manager(path), path

    def abstract_manager(self):
        name = "mp-notify-test-%d-%s" % (os.getpid(), os.urandom(4).hex())
        return self.manager("\0" + name), "@" + name

    def assert_sequence(self, notify_socket, m):
        pid, rc, out, err = run(SEQUENCE, clean_env(NOTIFY_SOCKET=notify_socket))
        self.assertEqual(rc, 0, err)
        got = m.drain()
        self.assertEqual([d for _, d in got], EXPECTED)
        self.assertEqual([p for p, _ in got], [pid] * len(EXPECTED))

    def test_filesystem_socket(self):
        m, path = self.path_manager()
        self.assert_sequence(path, m)

    def test_abstract_socket(self):
        m, name = self.abstract_manager()
        self.assert_sequence(name, m)

    def test_reloading_reads_monotonic_clock(self):
        m, path = self.path_manager()
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        _, rc, _, err = run(["reloading", "0"], clean_env(NOTIFY_SOCKET=path))
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.assertEqual(rc, 0, err)
        got = m.drain()
        self.assertEqual(len(got), 1)
        head, _, value = got[0][1].partition(b"\nMONOTONIC_USEC=")
        self.assertEqual(head, b"RELOADING=1")
        self.assertTrue(value.isdigit(), value)
        self.assertGreaterEqual(int(value), before)
        self.assertLessEqual(int(value), after)

    def test_empty_status_sends_bare_ready(self):
        m, path = self.path_manager()
        _, rc, _, err = run(["ready", "", "status", ""],
                            clean_env(NOTIFY_SOCKET=path))
        self.assertEqual(rc, 0, err)
        self.assertEqual([d for _, d in m.drain()], [b"READY=1"])

    def test_long_status_is_cut(self):
        m, path = self.path_manager()
        _, rc, _, err = run(["ready", "x" * 5000],
                            clean_env(NOTIFY_SOCKET=path))
        self.assertEqual(rc, 0, err)
        got = m.drain()
        self.assertEqual(len(got), 1)
        prefix = b"READY=1\nSTATUS="
        self.assertEqual(got[0][1], prefix + b"x" * (1023 - len(prefix)))

    def test_environment_is_kept(self):
        m, path = self.path_manager()
        _, rc, out, err = run(["ready", "up", "getenv", "NOTIFY_SOCKET",
                               "getenv", "WATCHDOG_USEC"],
                              clean_env(NOTIFY_SOCKET=path,
                                        WATCHDOG_USEC="30000000"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "%s\n30000000\n" % path)
        self.assertEqual([d for _, d in m.drain()], [b"READY=1\nSTATUS=up"])

    def test_no_notify_socket_is_a_noop(self):
        for env in (clean_env(), clean_env(NOTIFY_SOCKET="")):
            _, rc, out, err = run(SEQUENCE + ["enabled", "watchdog-usec"],
                                  env)
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "0\n0\n")
            self.assertEqual(err, "")

    def test_no_notify_socket_ignores_watchdog(self):
        _, rc, out, err = run(["watchdog-usec"],
                              clean_env(WATCHDOG_USEC="30000000"))
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "0\n")

    def test_watchdog_usec(self):
        m, path = self.path_manager()
        cases = [
            # (WATCHDOG_USEC, WATCHDOG_PID or None, shell prefix, expected)
            ("30000000", None, None, "30000000"),
            ("30000000", None, "WATCHDOG_PID=$$; export WATCHDOG_PID;",
             "30000000"),
            ("30000000", str(os.getpid()), None, "0"),  # not for us
            ("30000000", "abc", None, "0"),
            ("30s", None, None, "0"),
            ("-5", None, None, "0"),
            ("0", None, None, "0"),
            ("", None, None, "0"),
        ]
        for usec, wpid, prefix, expected in cases:
            with self.subTest(usec=usec, pid=wpid, prefix=prefix):
                extra = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": usec}
                if wpid is not None:
                    extra["WATCHDOG_PID"] = wpid
                _, rc, out, err = run(["enabled", "watchdog-usec"],
                                      clean_env(**extra), prefix)
                self.assertEqual(rc, 0, err)
                self.assertEqual(out, "1\n%s\n" % expected)
        self.assertEqual(m.drain(), [])

    def test_bad_notify_socket_is_refused(self):
        for value in ("relative/notify", "@", "/" + "a" * 200,
                      "@" + "a" * 200):
            with self.subTest(value=value[:20]):
                _, rc, out, err = run(["ready", "x"],
                                      clean_env(NOTIFY_SOCKET=value))
                self.assertEqual(rc, 1)
                self.assertIn("mp-notify-send: init: invalid argument", err)

    def test_send_failure_is_reported(self):
        missing = os.path.join(self.tmp, "nobody-listens")
        _, rc, _, err = run(["ready", "x"], clean_env(NOTIFY_SOCKET=missing))
        self.assertEqual(rc, 1)
        self.assertIn("mp-notify-send: ready: ", err)
        self.assertIn("No such file or directory", err)


if __name__ == "__main__":
    if not os.access(TOOL, os.X_OK):
        print("SKIP: %s is not built" % TOOL)
        sys.exit(77)
    unittest.main(verbosity=2)
