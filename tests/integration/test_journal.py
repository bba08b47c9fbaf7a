#!/usr/bin/env python3
"""mirrorpoold under a real systemd-journald (SPEC section 7): entries carry
the project's fields, so `journalctl MIRROR=mirror3 STATE=down` finds a
transition with its REASON, control commands carry CALLER_UID, a
certificate expiry warning carries the certificate's SUBJECT and ISSUER, no
entry
carries the logging code's own location (CODE_FILE), and the TSIG secret
appears nowhere in the journal.

PID 1 here need not be systemd: the test re-runs itself in a private mount
namespace (unshare -m) with tmpfs over the journal's directories
(/run/systemd, /run/log, /var/log/journal), starts systemd-journald there,
and connects mirrorpoold's stderr to journald's stdout stream with
JOURNAL_STREAM naming it, as systemd does for a service. The host's journal
is not touched. Needs root (mounts); skips (77) otherwise."""

import base64
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import nginx, ports, tlsca  # noqa: E402
from mplib import proc as mpproc  # noqa: E402
from mplib.agent import Agent, program  # noqa: E402
from mplib.agenttest import (ALL, M1, M2, M3, ZONE,  # noqa: E402
                             AgentTestMixin, main, wait_until)
from mplib.named import Named  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
NS_ENV = "MP_JOURNAL_TEST_NS"
# tmpfs over each; journald creates what it needs below them
MOUNTS = [("/run/systemd", "0755"), ("/run/log", "0755"),
          ("/var/log/journal", "2755")]


def journalctl(*args):
    r = subprocess.run(["journalctl", "--no-pager"] + list(args),
                       capture_output=True, timeout=30)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def entries(*matches):
    """Entries matching the journalctl matches, as dicts."""
    rc, out = journalctl("-o", "json", *matches)
    if rc != 0:
        return []
    return [json.loads(line) for line in out.splitlines() if line.strip()]


class Journald:
    """systemd-journald in this (private) mount namespace."""

    def __init__(self):
        self.proc = None

    def start(self):
        for path, mode in MOUNTS:
            subprocess.run(["mount", "-t", "tmpfs", "-o",
                            "mode=%s,size=64m" % mode, "tmpfs", path],
                           check=True)
        os.makedirs("/run/systemd/journal", exist_ok=True)
        self.proc = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        wait_until(lambda: os.path.exists("/run/systemd/journal/stdout") and
                   os.path.exists("/run/systemd/journal/socket"), 10,
                   "journald's sockets")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stream(self, identifier):
        """A stdout stream into the journal, as systemd gives a service:
        the socket and its JOURNAL_STREAM value ("DEV:INO")."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("/run/systemd/journal/stdout")
        # identifier, unit, priority, level prefix, syslog, kmsg, console
        s.sendall(("%s\n\n6\n1\n0\n0\n0\n" % identifier).encode())
        st = os.fstat(s.fileno())
        return s, "%d:%d" % (st.st_dev, st.st_ino)


class JournalProc(mpproc.Proc):
    """A Proc whose stdout and stderr are a journal stream."""

    def __init__(self, argv, log_path, env, cwd, stream):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            argv, stdout=stream.fileno(), stderr=stream.fileno(),
            stdin=subprocess.DEVNULL, env=env, cwd=cwd,
            start_new_session=True)
        mpproc._live.add(self)


class JournalAgent(Agent):
    journald = None

    def start(self, wait_ready=True, timeout=15):
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC",
                            "WATCHDOG_PID", "JOURNAL_STREAM")}
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        stream, env["JOURNAL_STREAM"] = self.journald.stream("mirrorpoold")
        self.proc = JournalProc([program("mirrorpoold"), "-c", self.conf],
                                self.log_path, env, self.dir, stream)
        stream.close()
        if wait_ready:
            wait_until(lambda: any(
                e.get("MESSAGE", "").startswith("ready: ")
                for e in entries("_PID=%d" % self.proc.pid)),
                timeout, "mirrorpoold ready (in the journal)")
        return self


class JournalTest(AgentTestMixin, unittest.TestCase):
    agent_defaults = {"interval": "1s", "fast_interval": "300ms",
                      "timeout": "900ms", "rise": 2, "fall": 2}

    @classmethod
    def make_server(cls):
        return Named(zone=ZONE, records={"dl": [("A", a) for a in ALL]})

    @classmethod
    def setUpClass(cls):
        cls.journald = Journald().start()
        cls.addClassCleanup(cls.journald.stop)
        JournalAgent.journald = cls.journald
        super().setUpClass()

    def agent(self, start=True, env=None, **kw):
        kw.setdefault("key_file", self.srv.key.path)
        kw.setdefault("dns_port", self.srv.port)
        kw.setdefault("url", self.farm.url())
        kw.setdefault("mirrors", [("mirror1", [M1]), ("mirror2", [M2]),
                                  ("mirror3", [M3])])
        for k, v in self.agent_defaults.items():
            kw.setdefault(k, v)
        ag = JournalAgent(**kw)
        self.agents.append(ag)
        if start:
            ag.start()
        return ag

    def test_fields_caller_and_no_secret(self):
        ag = self.agent()
        pid = ag.proc.pid
        own = entries("_PID=%d" % pid)
        self.assertTrue(own, "no entry of mirrorpoold in the journal")
        # native entries (not stderr lines): the sink was the journal
        self.assertTrue(all(e.get("_TRANSPORT") == "journal" for e in own),
                        {e.get("_TRANSPORT") for e in own})

        # a transition, found by the fields an operator would use
        self.farm.set_mode(M3, "503")
        self.prove_http(M3, 503)
        found = wait_until(lambda: entries("MIRROR=mirror3", "STATE=down",
                                           "_PID=%d" % pid), 10,
                           "journalctl MIRROR=mirror3 STATE=down")
        tr = [e for e in found if "up -> down" in e["MESSAGE"]]
        self.assertEqual(len(tr), 1, found)
        self.assertEqual(tr[0]["ADDRESS"], M3)
        self.assertEqual(tr[0]["POOL"], "dl.example.org.")
        self.assertEqual(tr[0]["PRIORITY"], "4")
        self.assertIn("HTTP 503", tr[0]["REASON"])
        self.assertRegex(tr[0]["MESSAGE"], r"^mirror3 127\.0\.0\.13: up -> "
                         r"down \(2/2 failures, last: HTTP 503")
        # the location is the project's fields, not the log sink's
        for e in entries("_PID=%d" % pid):
            self.assertNotIn("CODE_FILE", e, e["MESSAGE"])
            self.assertNotIn("CODE_LINE", e, e["MESSAGE"])

        # control commands carry the caller
        uid = os.getuid()
        rc, out, err = ag.ctl("drain", "mirror1", "--reason", "disk swap")
        self.assertEqual(rc, 0, err)
        ctl = wait_until(lambda: [e for e in entries(
            "CALLER_UID=%d" % uid, "_PID=%d" % pid)
            if e["MESSAGE"].startswith("control: drain")], 5,
            "control: drain with CALLER_UID")
        self.assertRegex(ctl[0]["MESSAGE"], r"^control: drain from %s "
                         r"\(uid %d, pid \d+\): accepted$"
                         % (pwd.getpwuid(uid).pw_name, uid))
        self.assertEqual(ctl[0]["MIRROR"], "mirror1")
        drained = [e for e in entries("MIRROR=mirror1", "_PID=%d" % pid)
                   if " drained by " in e["MESSAGE"]]
        self.assertEqual(len(drained), 1)
        self.assertEqual((drained[0]["CALLER_UID"], drained[0]["REASON"]),
                         (str(uid), "disk swap"))
        self.assertEqual(ag.stop(), 0)

        # the TSIG secret is nowhere: not in any field of any entry, not
        # in the journal files (raw bytes, base64 or decoded) ...
        secret = self.srv.key.secret
        raw = base64.b64decode(secret)
        rc, export = journalctl("-o", "export")
        self.assertEqual(rc, 0)
        # ... which do hold what was logged about the key (its name), so
        # the search looks where the agent writes
        self.assertIn('key %s (hmac-sha256)' % self.srv.key.name, export)
        self.assertIn("mirror3 127.0.0.13: up -> down", export)
        self.assertNotIn(secret, export)
        files = 0
        for top in ("/run/log/journal", "/var/log/journal"):
            for d, _, names in os.walk(top):
                for n in names:
                    with open(os.path.join(d, n), "rb") as f:
                        data = f.read()
                    files += 1
                    self.assertNotIn(secret.encode(), data, n)
                    self.assertNotIn(raw, data, n)
        self.assertGreater(files, 0, "no journal file found")

    def test_certificate_warning_subject_issuer(self):
        # an HTTPS mirror whose certificate (from a test CA) expires in 3
        # days; a dry run, so the pool's records stay as the other test
        # expects them
        tmp = tempfile.mkdtemp(prefix="mp-journal-tls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        ca = tlsca.TestCA(tmp, cn="journal test CA")
        end = int(time.time()) + 3 * 86400
        cert = ca.issue("soon", ["dl.example.org"], org="Soon Mirror",
                        end=time.strftime("%Y%m%d%H%M%SZ", time.gmtime(end)))
        ng = nginx.Nginx(tmp)
        port = ports.free_port()
        ng.add_server([("127.0.0.41", port)], cert=cert)
        ng.write_file("trace", "ok\n")
        ng.start()
        self.addCleanup(ng.stop)
        ag = self.agent(mirrors=[("soon", ["127.0.0.41"])], dry_run=True,
                        url="https://dl.example.org:%d/trace" % port,
                        check_extra='ca_file = "%s";' % ca.cert)
        found = wait_until(lambda: [
            e for e in entries("MIRROR=soon", "_PID=%d" % ag.proc.pid)
            if "certificate expires" in e.get("REASON", "")], 10,
            "the expiry warning in the journal")
        self.assertEqual(found[0]["SUBJECT"],
                         "/O=Soon Mirror/CN=dl.example.org")
        self.assertEqual(found[0]["ISSUER"], "/CN=journal test CA")
        self.assertEqual(found[0]["PRIORITY"], "4")
        # selected by the issuer, as an operator would
        self.assertTrue(entries("ISSUER=/CN=journal test CA",
                                "_PID=%d" % ag.proc.pid))
        self.assertEqual(ag.stop(), 0)


if __name__ == "__main__":
    if os.environ.get(NS_ENV) != "1":
        if os.geteuid() != 0:
            print("SKIP: needs root (tmpfs mounts in a private namespace)")
            sys.exit(77)
        for tool in ("unshare", "journalctl", JOURNALD):
            if not shutil.which(tool):
                print("SKIP: missing %s" % tool)
                sys.exit(77)
        env = dict(os.environ)
        env[NS_ENV] = "1"
        r = subprocess.run(["unshare", "-m", "--propagation", "private",
                            sys.executable, os.path.abspath(__file__)] +
                           sys.argv[1:], env=env)
        sys.exit(r.returncode)
    main(["named", "dig", "nsupdate", "tsig-keygen", "curl", "nginx",
          "openssl"])
