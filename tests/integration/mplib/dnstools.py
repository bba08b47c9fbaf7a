"""TSIG keys made by the servers' own tools, and dig/nsupdate wrappers."""
import os
import re
import subprocess


class TsigKey:
    """A TSIG key: name, algorithm, base64 secret and a BIND key file."""

    def __init__(self, name, alg, secret, path=None):
        self.name = name
        self.alg = alg
        self.secret = secret
        self.path = path

    @classmethod
    def generate(cls, name, alg, directory):
        """tsig-keygen -a ALG NAME, written to DIRECTORY/NAME.key (0640)."""
        out = subprocess.run(["tsig-keygen", "-a", alg, name], check=True,
                             capture_output=True, text=True).stdout
        path = os.path.join(directory, name + ".key")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write(out)
        os.chmod(path, 0o640)
        m = re.search(r'secret\s+"([^"]+)"', out)
        return cls(name, alg, m.group(1), path)

    def inline(self):
        """The nsupdate -y / mp-dns --key form."""
        return "%s:%s:%s" % (self.alg, self.name, self.secret)

    def variant(self, name=None, alg=None, secret=None):
        """The same key with one property changed (for fault tests)."""
        return TsigKey(name or self.name, alg or self.alg,
                       secret or self.secret)

    def bind_conf(self):
        return 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' % (
            self.name, self.alg, self.secret)

    def write_file(self, path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
        with os.fdopen(fd, "w") as f:
            f.write(self.bind_conf())
        self.path = path
        return path


def dig(port, name, rtype="A", server="127.0.0.1", key=None, tcp=False,
        timeout=2):
    """dig +short +norec: the answer's data lines, sorted."""
    argv = ["dig", "@" + server, "-p", str(port), "+short", "+norec",
            "+time=%d" % timeout, "+tries=1"]
    if tcp:
        argv.append("+tcp")
    if key:
        argv += ["-y", key.inline()]
    argv += [name, rtype]
    r = subprocess.run(argv, capture_output=True, text=True,
                       timeout=timeout * 3 + 5)
    if r.returncode != 0:
        raise RuntimeError("dig failed (%d): %s%s" % (r.returncode, r.stdout,
                                                       r.stderr))
    return sorted(l for l in r.stdout.splitlines() if l and l[0] != ";")


def dig_status(port, name, rtype="SOA", server="127.0.0.1", timeout=1):
    """The rcode text of a plain query ("NOERROR", "REFUSED"), or None."""
    r = subprocess.run(["dig", "@" + server, "-p", str(port), "+norec",
                        "+time=%d" % timeout, "+tries=1", name, rtype],
                       capture_output=True, text=True,
                       timeout=timeout * 3 + 5)
    m = re.search(r"status: (\w+)", r.stdout)
    return m.group(1) if m else None


def nsupdate(port, key, commands, server="127.0.0.1", tcp=False,
             timeout=3):
    """Runs nsupdate -y KEY with commands (a list of lines, "send" is
    appended). Returns (exit status, combined output)."""
    argv = ["nsupdate", "-y", key.inline(), "-t", str(timeout)]
    if tcp:
        argv.append("-v")
    script = "server %s %d\n%s\nsend\n" % (server, port, "\n".join(commands))
    r = subprocess.run(argv, input=script, capture_output=True, text=True,
                       timeout=timeout * 3 + 10)
    return r.returncode, r.stdout + r.stderr
