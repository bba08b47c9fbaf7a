#!/usr/bin/env python3
"""The control socket server (agent/control/control.c, run by tests/tools/mp-ctl-echo)
and the mirrorpoolctl client against it (SPEC sections 1 and 6).

Standard library only. Every server runs in its own process group on a
socket in a private temporary directory and is stopped in a finally block.
"""

import errno
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

TOP_BUILDDIR = os.environ.get(
    "top_builddir",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
ECHO = os.path.join(TOP_BUILDDIR, "tests", "tools", "mp-ctl-echo")
CTL = os.path.join(TOP_BUILDDIR, "agent", "mirrorpoolctl")

# How long a test waits for something that should happen at once.
WAIT = 10.0


def own_group():
    return grp.getgrgid(os.getgid()).gr_name


def other_group():
    """A group other than our primary one that we may give a file to: any
    group when root, else a supplementary group; None when there is none."""
    mine = os.getgid()
    if os.geteuid() == 0:
        for g in grp.getgrall():
            if g.gr_gid != mine:
                return g.gr_name
        return None
    for gid in os.getgroups():
        if gid != mine:
            try:
                return grp.getgrgid(gid).gr_name
            except KeyError:
                pass
    return None


class Echo:
    """One mp-ctl-echo process on a socket in its own directory."""

    def __init__(self, tmp, group=None, mode="0660", env=None, name="c.sock",
                 path=None):
        self.path = path or os.path.join(tmp, name)
        self.group = group or own_group()
        self.mode = mode
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.stderr_path = os.path.join(tmp, "echo-%d.err" % id(self))

    def spawn(self):
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [ECHO, "-s", self.path, "-g", self.group, "-m", self.mode],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self._err, env=self.env, start_new_session=True)
        return self

    def start(self):
        """Starts and waits until a connection succeeds."""
        self.spawn()
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("mp-ctl-echo exited %d: %s" %
                                     (self.proc.returncode, self.stderr()))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.path)
                s.close()
                return self
            except OSError:
                s.close()
                time.sleep(0.01)
        raise AssertionError("mp-ctl-echo did not listen on %s" % self.path)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM; returns the exit status. Kills the group if it hangs."""
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("mp-ctl-echo ignored SIGTERM")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        if getattr(self, "_err", None):
            self._err.close()


class Conn:
    """A client connection with line reads under a deadline."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(WAIT)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """The next reply line as bytes (without newline); b'' at EOF or
        reset once every whole line is read."""
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        raw = self.line()
        if not raw:
            raise AssertionError("connection closed without a reply")
        return json.loads(raw)

    def request(self, obj):
        self.send(json.dumps(obj) + "\n")
        return self.reply()

    def closed(self):
        """True when the server has closed the connection (EOF/reset)."""
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        return data == b""

    def close(self):
        self.sock.close()


class Base(unittest.TestCase):
    def setUp(self):
        if not os.access(ECHO, os.X_OK) or not os.access(CTL, os.X_OK):
            self.skipTest("build tests/tools/mp-ctl-echo and "
                          "agent/mirrorpoolctl first")
        self.tmp = tempfile.mkdtemp(prefix="mp-ctl-")
        os.chmod(self.tmp, 0o755)
        self.servers = []
        self.conns = []

    def tearDown(self):
        for c in self.conns:
            c.close()
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def echo(self, **kw):
        e = Echo(self.tmp, **kw)
        self.servers.append(e)
        return e.start()

    def conn(self, e):
        c = Conn(e.path)
        self.conns.append(c)
        return c

    def stop_clean(self, e):
        """Stops e and checks it shut down cleanly, its socket gone."""
        self.assertEqual(e.stop(), 0, e.stderr())
        self.assertIn("mp-ctl-echo: server closed", e.stderr())
        self.assertFalse(os.path.lexists(e.path))

    def ctl(self, *args, env=None, user=None, timeout=WAIT):
        full = dict(os.environ)
        full.pop("MIRRORPOOL_SOCKET", None)
        full.update(env or {})
        kw = {}
        if user is not None:
            kw["user"] = user
            kw["group"] = pwd.getpwnam(user).pw_gid
            kw["extra_groups"] = []
        p = subprocess.run([CTL] + list(args), capture_output=True,
                           env=full, timeout=timeout, text=True, **kw)
        return p.returncode, p.stdout, p.stderr


class SocketCreation(Base):
    def test_mode_and_group_from_the_first_moment(self):
        """The socket file never exists with another mode or group than
        configured, and accepts connections as soon as it exists."""
        cases = [("0660", own_group()), ("0600", own_group()),
                 ("0666", own_group())]
        if other_group():
            cases.append(("0660", other_group()))
            cases.append(("0640", other_group()))
        for mode, group in cases:
            gid = grp.getgrnam(group).gr_gid
            for i in range(10):
                e = Echo(self.tmp, group=group, mode=mode,
                         name="m%s-%d.sock" % (mode, i))
                self.servers.append(e)
                e.spawn()
                deadline = time.monotonic() + WAIT
                st = None
                while time.monotonic() < deadline:
                    try:
                        st = os.lstat(e.path)
                        break
                    except FileNotFoundError:
                        if e.proc.poll() is not None:
                            self.fail("mp-ctl-echo exited: " + e.stderr())
                self.assertIsNotNone(st, "socket never appeared")
                # First sight of the file: already final.
                self.assertTrue(stat.S_ISSOCK(st.st_mode))
                self.assertEqual(stat.S_IMODE(st.st_mode), int(mode, 8),
                                 "mode %o at first sight, want %s" %
                                 (stat.S_IMODE(st.st_mode), mode))
                self.assertEqual(st.st_gid, gid)
                self.assertEqual(st.st_uid, os.geteuid())
                # ... and already listening.
                c = Conn(e.path)
                self.assertEqual(c.request({"cmd": "status"})["cmd"],
                                 "status")
                c.close()
                self.stop_clean(e)
        # No temporary names left behind in the directory.
        left = [n for n in os.listdir(self.tmp) if n.endswith(".sock")
                or n.startswith(".mpctl")]
        self.assertEqual(left, [])

    def test_refuses_to_start_beside_a_live_agent(self):
        first = self.echo()
        second = Echo(self.tmp, path=first.path)
        self.servers.append(second)
        second.spawn()
        self.assertEqual(second.proc.wait(WAIT), 1)
        self.assertIn("another mirrorpoold is listening on %s" % first.path,
                      second.stderr())
        # The first one is untouched and still answers.
        self.assertEqual(self.conn(first).request({"cmd": "status"})["ok"],
                         True)

    def test_replaces_a_stale_socket(self):
        path = os.path.join(self.tmp, "c.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.close()  # the file stays: a crashed agent's socket
        with self.assertRaises(ConnectionRefusedError):
            Conn(path)
        e = self.echo(path=path)
        self.assertTrue(self.conn(e).request({"cmd": "status"})["ok"])

    def test_refuses_to_remove_a_non_socket(self):
        path = os.path.join(self.tmp, "c.sock")
        with open(path, "w") as f:
            f.write("precious\n")
        e = Echo(self.tmp, path=path)
        self.servers.append(e)
        e.spawn()
        self.assertEqual(e.proc.wait(WAIT), 1)
        self.assertIn("%s exists and is not a socket; not removing it" % path,
                      e.stderr())
        with open(path) as f:
            self.assertEqual(f.read(), "precious\n")

    def test_missing_directory_is_named(self):
        d = os.path.join(self.tmp, "missing")
        e = Echo(self.tmp, path=os.path.join(d, "c.sock"))
        self.servers.append(e)
        e.spawn()
        self.assertEqual(e.proc.wait(WAIT), 1)
        self.assertIn("directory %s does not exist" % d, e.stderr())

    def test_unknown_group(self):
        e = Echo(self.tmp, group="no-such-group-mp")
        self.servers.append(e)
        e.spawn()
        self.assertEqual(e.proc.wait(WAIT), 1)
        self.assertIn('unknown group "no-such-group-mp"', e.stderr())
        self.assertFalse(os.path.lexists(e.path))

    def test_close_removes_the_socket(self):
        e = self.echo()
        c = self.conn(e)
        self.assertTrue(c.request({"cmd": "status"})["ok"])
        self.stop_clean(e)
        self.assertTrue(c.closed())


class Protocol(Base):
    def test_pipelined_requests_answered_in_order(self):
        e = self.echo()
        c = self.conn(e)
        c.send('{"cmd":"status"}\n{"cmd":"metrics"}\n')
        self.assertEqual(c.reply()["cmd"], "status")
        self.assertEqual(c.reply()["cmd"], "metrics")
        # The first one is slow (200 ms, asynchronous): order still holds.
        c.send('{"cmd":"check"}\n{"cmd":"status"}\r\n{"cmd":"reload"}\n')
        self.assertEqual([c.reply()["cmd"] for _ in range(3)],
                         ["check", "status", "reload"])
        # A request split over several writes.
        c.send('{"cmd":')
        c.send('"sync"}')
        c.send('\n')
        self.assertEqual(c.reply()["cmd"], "sync")

    def test_bad_requests_get_errors_and_the_connection_stays(self):
        e = self.echo()
        c = self.conn(e)
        for line, err in [
                (b"not json", "request is not valid JSON"),
                (b'{"cmd":"nope"}', 'unknown command "nope"'),
                (b'{"cmd":"status","x":1}', 'unknown key "x" for status'),
                (b'{"cmd":"drain"}', 'drain needs "mirror"'),
                (b'[1,2]', "request must be a JSON object"),
                (b'', "request is not valid JSON")]:
            c.send(line + b"\n")
            self.assertEqual(c.reply(), {"ok": False, "error": err})
        self.assertEqual(c.request({"cmd": "status"})["ok"], True)

    def test_oversized_line_gets_an_error_and_is_closed(self):
        e = self.echo()
        c = self.conn(e)
        big = b'{"cmd":"status","pool":"' + b"a" * 70000 + b'"}\n'
        try:
            c.send(b'{"cmd":"metrics"}\n' + big)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may hang up before all of it is sent
        self.assertEqual(c.reply()["cmd"], "metrics")
        self.assertEqual(c.reply(), {
            "ok": False, "error": "request is longer than 65536 bytes"})
        self.assertEqual(c.line(), b"")
        # The server goes on.
        self.assertTrue(self.conn(e).request({"cmd": "status"})["ok"])

    def test_line_of_exactly_the_limit_is_parsed(self):
        e = self.echo()
        c = self.conn(e)
        pad = 65536 - len('{"cmd":"status","pool":""}')
        line = '{"cmd":"status","pool":"' + "a" * pad + '"}'
        self.assertEqual(len(line), 65536)
        c.send(line + "\n")
        # Parsed (not refused as too long): the name rule answers.
        self.assertEqual(c.reply(), {
            "ok": False, "error": '"pool" is longer than 255 bytes'})

    def test_last_line_without_newline_at_eof(self):
        e = self.echo()
        c = self.conn(e)
        c.send('{"cmd":"status"}\n{"cmd":"metrics"}')
        c.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(c.reply()["cmd"], "status")
        self.assertEqual(c.reply()["cmd"], "metrics")
        self.assertEqual(c.line(), b"")

    def test_silent_client_closed_after_idle_timeout(self):
        e = self.echo(env={"MP_CTL_IDLE_MS": "300"})
        silent = self.conn(e)
        partial = self.conn(e)
        partial.send('{"cmd":"stat')
        t0 = time.monotonic()
        self.assertTrue(silent.closed())
        self.assertTrue(partial.closed())
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.25)
        self.assertLess(elapsed, 5)
        self.assertIn("no complete request within 300 ms", e.stderr())
        # A client that talks is served, and idle again after its reply.
        c = self.conn(e)
        self.assertTrue(c.request({"cmd": "status"})["ok"])
        self.assertTrue(c.closed())

    def test_slow_handler_is_not_an_idle_client(self):
        # The 200 ms check outlasts a 100 ms idle timeout: the wait for the
        # handler does not count.
        e = self.echo(env={"MP_CTL_IDLE_MS": "100"})
        c = self.conn(e)
        self.assertEqual(c.request({"cmd": "check"})["cmd"], "check")

    def test_client_hangs_up_before_the_async_reply(self):
        e = self.echo()
        for extra in ["", '{"cmd":"status"}\n']:
            c = Conn(e.path)
            c.send('{"cmd":"check"}\n' + extra)
            c.close()
        # A later check on a new connection ends after the abandoned ones
        # (same 200 ms delay, started later): their replies were dropped.
        c = self.conn(e)
        self.assertEqual(c.request({"cmd": "check"})["cmd"], "check")
        self.assertEqual(c.request({"cmd": "status"})["cmd"], "status")
        self.assertIsNone(e.proc.poll())
        # A reply pending at shutdown is dropped cleanly too.
        c2 = self.conn(e)
        c2.send('{"cmd":"check"}\n')
        self.stop_clean(e)
        self.assertEqual(c2.line(), b"")

    def test_peer_credentials(self):
        e = self.echo()
        r = self.conn(e).request({"cmd": "status"})
        self.assertEqual(r["uid"], os.getuid())
        self.assertEqual(r["gid"], os.getgid())
        self.assertEqual(r["pid"], os.getpid())
        self.assertEqual(r["user"], pwd.getpwuid(os.getuid()).pw_name)
        self.assertEqual(r["request"], '{"cmd":"status"}')

    def test_connection_limit(self):
        e = self.echo(env={"MP_CTL_MAX_CONNS": "3"})

        def served():
            """A connection the server has taken and answered. Connections
            that were just closed (the readiness probe, the one closed
            below) count until the server has seen them go: retry."""
            deadline = time.monotonic() + WAIT
            while True:
                c = Conn(e.path)
                c.send('{"cmd":"status"}\n')
                r = json.loads(c.line() or b"null")
                if r and r["ok"]:
                    self.conns.append(c)
                    return c
                c.close()
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)

        held = [served() for _ in range(3)]
        extra = self.conn(e)
        self.assertEqual(extra.reply(), {
            "ok": False,
            "error": "too many connections (at most 3); try again later"})
        self.assertEqual(extra.line(), b"")
        self.assertIn("3 connections already open", e.stderr())
        # The held ones are still served; once one leaves, a new one is.
        self.assertTrue(held[2].request({"cmd": "status"})["ok"])
        held[0].close()
        self.conns.remove(held[0])
        served()


class Client(Base):
    def setUp(self):
        super().setUp()
        self.e = self.echo()
        self.env = {"MIRRORPOOL_SOCKET": self.e.path}

    def test_status(self):
        rc, out, err = self.ctl("status", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("pool dl.example.org.  ttl 60  min_healthy 1  "
                      "max_published 0 (all)  guard ok\n", out)
        self.assertRegex(out, r"\n  mirror1  192\.0\.2\.10  up     yes  .*"
                              r"ok: HTTP 200  35 ms\n")

    def test_status_json_is_the_status_object(self):
        rc, out, err = self.ctl("--json", "status", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        got = json.loads(out)
        r = self.conn(self.e).request({"cmd": "status"})
        self.assertEqual(got, r["status"])
        self.assertEqual(list(got.keys()),
                         ["version", "dry_run", "dns", "guard", "pools"])
        self.assertTrue(out.startswith("{\n  \"version\""))
        # Options may follow the command too.
        rc, out2, err = self.ctl("status", "--json", env=self.env)
        self.assertEqual((rc, out2), (0, out))

    def test_status_of_a_pool(self):
        rc, out, err = self.ctl("status", "dl.example.org.", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        rc, out, err = self.ctl("status", "nope", env=self.env)
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, 'mirrorpoolctl: no pool named "nope"\n')

    def test_drain_request_as_sent(self):
        rc, out, err = self.ctl(
            "--json", "drain", "mirror1", "--address", "2001:DB8::0:1",
            "--reason", "disk swap", "--for", "90m", "--force", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        r = json.loads(out)
        self.assertNotIn("ok", r)
        self.assertEqual(json.loads(r["request"]), {
            "cmd": "drain", "mirror": "mirror1", "address": "2001:db8::1",
            "reason": "disk swap", "for": "1h30m", "force": True})
        self.assertEqual(r["uid"], os.getuid())
        self.assertEqual(r["message"], "drained")
        rc, out, err = self.ctl("drain", "mirror1", "--reason=x", "--for=1d",
                                env=self.env)
        self.assertEqual((rc, out, err), (0, "drained\n", ""))

    def test_drain_update_and_force_warning(self):
        rc, out, err = self.ctl("--json", "drain", "mirror1", "--update",
                                "--for", "2h", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(json.loads(json.loads(out)["request"]), {
            "cmd": "drain", "mirror": "mirror1", "for": "2h",
            "force": False, "update": True})
        # A drain that empties an RRset is done, with a warning naming it.
        rc, out, err = self.ctl("drain", "last", "--force", env=self.env)
        self.assertEqual((rc, out), (0, "drained\n"))
        self.assertEqual(err, "mirrorpoolctl: warning: this leaves "
                              "dl.example.org. A empty: clients get no "
                              "address for it\n")

    def test_check_that_failed_exits_1(self):
        for args in (["check", "broken"], ["--json", "check", "broken"]):
            rc, out, err = self.ctl(*args, env=self.env)
            self.assertEqual(rc, 1, args)
            self.assertIn("192.0.2.10", out)
            self.assertEqual(err, "mirrorpoolctl: 1 of 1 checks failed\n")

    def test_refused_drain(self):
        rc, out, err = self.ctl("drain", "refuse", env=self.env)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertEqual(err, "mirrorpoolctl: draining refuse would leave "
                              "dl.example.org. A below min_healthy 1 "
                              "(use --force)\n")

    def test_other_commands(self):
        rc, out, err = self.ctl("check", "mirror1", env=self.env)
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(out, "mirror1  192.0.2.10  ok  HTTP 200  35 ms  "
                              "state up\n")
        rc, out, err = self.ctl("--json", "check", env=self.env)
        self.assertEqual(json.loads(out)["results"][0]["state"], "up")
        rc, out, err = self.ctl("metrics", env=self.env)
        self.assertEqual((rc, out), (0, "# HELP mirrorpool_frozen x\n"
                                        "mirrorpool_frozen 0\n"))
        rc, out, err = self.ctl("reload", env=self.env)
        self.assertEqual((rc, out), (0, "new configuration accepted\n"))
        rc, out, err = self.ctl("undrain", "mirror1", "--address",
                                "192.0.2.10", env=self.env)
        self.assertEqual((rc, out), (0, "undrained\n"))
        rc, out, err = self.ctl("sync", env=self.env)
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("pool dl.example.org.\n  A     "
                                       "published    192.0.2.10\n"), out)

    def test_usage_errors(self):
        for args, msg in [
                ([], "no command given"),
                (["bogus"], 'unknown command "bogus"'),
                (["drain"], "drain needs a mirror name"),
                (["undrain"], "undrain needs a mirror name"),
                (["drain", "m", "--for", "soon"], 'invalid duration "soon"'),
                (["drain", "m", "--for", "0"], 'invalid duration "0"'),
                (["drain", "m", "--for"], "--for needs a value"),
                (["drain", "m", "--address", "192.0.2.300"],
                 'invalid address "192.0.2.300"'),
                (["drain", "m", "--reason", "x" * 201],
                 '"reason" is longer than 200 characters'),
                (["drain", "m", "--reason", "a\tb"],
                 '"reason" must not contain control characters'),
                (["drain", "m", "--reason", "a", "--reason", "b"],
                 "--reason given twice"),
                (["status", "--force"], "--force does not apply to status"),
                (["undrain", "m", "--update"],
                 "--update does not apply to undrain"),
                (["check", "--address", "192.0.2.1"],
                 "--address does not apply to check"),
                (["undrain", "m", "--reason", "x"],
                 "--reason does not apply to undrain"),
                (["status", "a", "b"], "too many arguments for status"),
                (["sync", "x"], "too many arguments for sync"),
                (["--frobnicate", "status"], "unknown option --frobnicate"),
                (["-x", "status"], "unknown option -x"),
                (["--json=yes", "status"], "option --json takes no value"),
                (["-s"], "-s needs a value")]:
            rc, out, err = self.ctl(*args, env=self.env)
            self.assertEqual(rc, 2, (args, err))
            self.assertEqual(out, "")
            self.assertIn("mirrorpoolctl: " + msg, err, args)
        # Nothing reached the agent: only our own request shows up there.
        self.assertNotIn("bad request", self.e.stderr())

    def test_help_and_version(self):
        rc, out, err = self.ctl("--help")
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("usage: mirrorpoolctl [-s SOCKET] "
                                       "[-c CONFIG] [--json] COMMAND"))
        for cmd in ["status [POOL]", "drain MIRROR", "undrain MIRROR",
                    "check [MIRROR]", "sync", "reload", "metrics"]:
            self.assertIn("  " + cmd, out)
        rc, out, err = self.ctl("-V")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^mirrorpoolctl \d+\.\d+\.\d+\n$")

    def test_socket_resolution(self):
        # -s wins over the environment.
        rc, out, err = self.ctl("-s", self.e.path, "metrics",
                                env={"MIRRORPOOL_SOCKET": "/nonexistent"})
        self.assertEqual(rc, 0, err)
        rc, out, err = self.ctl("-s/nonexistent/x.sock", "metrics",
                                env=self.env)
        self.assertEqual(rc, 3)
        # The environment wins over -c.
        rc, out, err = self.ctl("-c", "/nonexistent.conf", "metrics",
                                env=self.env)
        self.assertEqual(rc, 0, err)

    def test_socket_from_config(self):
        conf = os.path.join(self.tmp, "mirrorpool.conf")
        with open(conf, "w") as f:
            f.write("""
dns = { server = "127.0.0.1"; zone = "example.org";
        key_file = "/nonexistent/tsig.key"; };
check = { url = "http://dl.example.org/trace"; };
pools = ( { name = "dl.example.org."; min_healthy = 1;
            mirrors = ( { name = "m1"; addresses = [ "192.0.2.10" ]; } ); } );
control = { socket = "%s"; };
""" % self.e.path)
        rc, out, err = self.ctl("-c", conf, "metrics")
        if "not implemented" in err:
            self.skipTest("configuration loading is not in this tree yet")
        self.assertEqual((rc, err), (0, ""))
        self.assertIn("mirrorpool_frozen 0", out)

    def test_unreachable(self):
        missing = os.path.join(self.tmp, "none.sock")
        rc, out, err = self.ctl("-s", missing, "status")
        self.assertEqual((rc, out), (3, ""))
        self.assertIn("cannot reach the agent: %s does not exist" % missing,
                      err)
        stale = os.path.join(self.tmp, "stale.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        rc, out, err = self.ctl("-s", stale, "status")
        self.assertEqual(rc, 3)
        self.assertIn("connection refused on %s" % stale, err)

    def test_permission_denied_and_peer_name(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run the client as another user")
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            self.skipTest("no user nobody")
        # 0660 root:<own group>: nobody may not connect.
        rc, out, err = self.ctl("-s", self.e.path, "status", user="nobody")
        if rc == 126 or "Permission denied" in err and "exec" in err:
            self.skipTest("nobody cannot run the built client")
        self.assertEqual(rc, 3, err)
        self.assertIn("permission denied on %s" % self.e.path, err)
        # With 0666 it may, and the agent sees who it is.
        open_e = self.echo(mode="0666", name="open.sock")
        rc, out, err = self.ctl("-s", open_e.path, "--json", "drain", "m",
                                user="nobody")
        self.assertEqual(rc, 0, err)
        r = json.loads(out)
        self.assertEqual((r["user"], r["uid"]), ("nobody", nobody.pw_uid))


if __name__ == "__main__":
    unittest.main(verbosity=2)
