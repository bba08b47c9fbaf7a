#!/usr/bin/env python3
"""`mirrorpoold --check-config` against key files written by the servers'
own tools, for each of the six TSIG algorithms of RFC 8945: BIND's
`tsig-keygen -a ALG`, Knot's `keymgr -t NAME ALG` and PowerDNS's
`pdnsutil generate-tsig-key NAME ALG` (then `pdnsutil list-tsig-keys`, the
line form an operator copies out of PowerDNS). Every key must be accepted
and shown with its name and algorithm; hmac-md5 and hmac-sha1 are accepted
with a warning naming them deprecated; the others give no warning. No
secret appears in the output. Prints the table it saw."""

import os
import re
import shutil
import sqlite3
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mplib import tools  # noqa: E402
from mplib.agent import Agent, have_programs, program  # noqa: E402

ALGS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256",
        "hmac-sha384", "hmac-sha512"]
DEPRECATED = {"hmac-md5", "hmac-sha1"}
PDNS_SCHEMA = "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"


def write_key(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


class KeyFilesTest(unittest.TestCase):
    seen = {}

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mp-keyfiles-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        # pdnsutil keeps keys in its backend: a throwaway sqlite database
        db = os.path.join(cls.dir, "pdns.sqlite3")
        with open(PDNS_SCHEMA) as f:
            sqlite3.connect(db).executescript(f.read())
        with open(os.path.join(cls.dir, "pdns.conf"), "w") as f:
            f.write("launch=gsqlite3\ngsqlite3-database=%s\n" % db)

    @classmethod
    def tearDownClass(cls):
        rows = ["%-12s %-12s %-12s %-12s" % ("algorithm", "tsig-keygen",
                                               "keymgr -t", "pdnsutil")]
        for alg in ALGS:
            rows.append("%-12s %-12s %-12s %-12s" % (
                alg, *(cls.seen.get((tool, alg), "-")
                       for tool in ("tsig-keygen", "keymgr", "pdnsutil"))))
        sys.stderr.write("\n--check-config per tool and algorithm:\n%s\n"
                         % "\n".join(rows))

    def tool(self, *argv):
        r = tools.run(list(argv))
        self.assertEqual(r.returncode, 0, "%s: %s" % (argv, r.stderr))
        return r.stdout

    def key_text(self, tool, name, alg):
        """(key file text, base64 secret) as the tool writes them."""
        if tool == "tsig-keygen":
            out = self.tool("tsig-keygen", "-a", alg, name)
            secret = re.search(r'secret "([^"]+)"', out).group(1)
            return out, secret
        if tool == "keymgr":
            out = self.tool("keymgr", "-t", name, alg)
            secret = re.search(r"secret: (\S+)", out).group(1)
            return out, secret
        self.tool("pdnsutil", "--config-dir=" + self.dir,
                  "generate-tsig-key", name, alg)
        out = self.tool("pdnsutil", "--config-dir=" + self.dir,
                        "list-tsig-keys")
        line = [l for l in out.splitlines() if l.startswith(name + ". ")]
        self.assertEqual(len(line), 1, out)
        return line[0] + "\n", line[0].split()[2]

    def check(self, tool):
        for alg in ALGS:
            with self.subTest(tool=tool, alg=alg):
                self.seen[(tool, alg)] = "FAIL"
                name = "%s-%s" % (tool, alg)
                text, secret = self.key_text(tool, name, alg)
                path = write_key(os.path.join(self.dir, name + ".key"), text)
                ag = Agent(dns_port=53, key_file=path,
                           mirrors=[("mirror1", ["127.0.0.11"])],
                           url="http://dl.example.org/trace")
                try:
                    r = tools.run([program("mirrorpoold"), "--check-config",
                                   "-c", ag.conf])
                finally:
                    ag.close()
                out = r.stdout + r.stderr
                self.assertEqual(r.returncode, 0, out)
                self.assertIn("configuration OK", r.stdout)
                self.assertIn("key: %s. (%s, from %s)" % (name, alg, path),
                              r.stdout)
                self.assertNotIn(secret, out)
                warn = [l for l in r.stderr.splitlines()
                        if l.startswith("warning:")]
                if alg in DEPRECATED:
                    self.assertEqual(len(warn), 1, out)
                    self.assertIn("uses %s, which is deprecated" % alg,
                                  warn[0])
                    self.assertIn("tsig-keygen -a hmac-sha256", warn[0])
                    self.seen[(tool, alg)] = "OK+warning"
                else:
                    self.assertEqual(warn, [], out)
                    self.seen[(tool, alg)] = "OK"

    def test_tsig_keygen(self):
        self.check("tsig-keygen")

    def test_keymgr(self):
        self.check("keymgr")

    def test_pdnsutil(self):
        self.check("pdnsutil")


if __name__ == "__main__":
    if not have_programs():
        print("SKIP: %s is not built" % program("mirrorpoold"))
        sys.exit(77)
    tools.require("tsig-keygen", "keymgr", "pdnsutil")
    if not os.path.exists(PDNS_SCHEMA):
        print("SKIP: %s is missing (pdns-backend-sqlite3)" % PDNS_SCHEMA)
        sys.exit(77)
    unittest.main(module="__main__", verbosity=2)
