"""A throw-away certificate authority made with the openssl CLI.

    ca = TestCA(tmpdir)                      # CA key and certificate
    good = ca.issue("good", ["mirror.test"], ips=["127.0.0.1"])
    old = ca.issue("old", ["mirror.test"],
                   start="20200101000000Z", end="20200102000000Z")
    good.cert, good.key, ca.cert             # PEM file paths

Certificates are issued with `openssl ca`, which accepts explicit start
and end dates, so an expired certificate needs no clock tricks.
"""

import os
import subprocess

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

from .tools import find_server

_CA_CONF = """\
[ ca ]
default_ca = testca

[ testca ]
dir = {dir}
database = $dir/index.txt
new_certs_dir = $dir/issued
certificate = $dir/ca.crt
private_key = $dir/ca.key
serial = $dir/serial
default_md = sha256
default_days = 30
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_any ]
organizationName = optional
commonName = supplied
"""

_EXT_CONF = """\
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = {san}
"""


class Cert:
    def __init__(self, name, cert, key):
        self.name = name
        self.cert = cert
        self.key = key


class TestCA:
    """A CA in its own directory under parent_dir (which the caller
    removes)."""

    def __init__(self, parent_dir, name="ca", cn="mirrorpool test CA"):
        self.openssl = find_server("openssl")
        if not self.openssl:
            raise RuntimeError("openssl is not installed")
        self.dir = os.path.join(parent_dir, name)
        os.makedirs(os.path.join(self.dir, "issued"))
        with open(os.path.join(self.dir, "index.txt"), "w"):
            pass
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("1000\n")
        self.conf = os.path.join(self.dir, "ca.cnf")
        with open(self.conf, "w") as f:
            f.write(_CA_CONF.format(dir=self.dir))
        self.key = os.path.join(self.dir, "ca.key")
        self.cert = os.path.join(self.dir, "ca.crt")
        self._openssl("req", "-x509", "-newkey", "ec",
                      "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", self.key, "-out", self.cert, "-days", "30",
                      "-subj", "/CN=" + cn,
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def _openssl(self, *args):
        r = subprocess.run((self.openssl,) + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("openssl %s failed:\n%s"
                               % (args[0], r.stdout))
        return r.stdout

    def issue(self, name, dns_names, ips=(), start=None, end=None,
              org=None):
        """A server certificate for dns_names (the first is the CN) and
        IP SANs; start/end as YYYYMMDDHHMMSSZ for explicit validity; org
        puts an O= before the CN in the subject."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        ext = os.path.join(self.dir, name + ".ext")
        san = ", ".join(["DNS:" + n for n in dns_names] +
                        ["IP:" + a for a in ips])
        with open(ext, "w") as f:
            f.write(_EXT_CONF.format(san=san))
        self._openssl("req", "-new", "-newkey", "ec",
                      "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", key, "-out", csr,
                      "-subj", ("/O=" + org if org else "") +
                      "/CN=" + dns_names[0])
        args = ["ca", "-batch", "-notext", "-config", self.conf,
                "-in", csr, "-out", crt,
                "-extfile", ext, "-extensions", "server"]
        if start:
            args += ["-startdate", start]
        if end:
            args += ["-enddate", end]
        self._openssl(*args)
        return Cert(name, crt, key)

    def system_bundle(self, path):
        """Writes to path what "the system store" is in tests: Debian's CA
        bundle (when there is one) with this CA appended, for SSL_CERT_FILE
        (no real CA is ever contacted). Returns path."""
        with open(path, "w") as out:
            try:
                with open(SYSTEM_BUNDLE) as f:
                    out.write(f.read())
            except OSError:
                pass
            with open(self.cert) as f:
                out.write(f.read())
        return path
