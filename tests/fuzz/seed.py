#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/) from
the unit tests' inputs (their C string literals) and the fixtures, plus a
few DNS responses built to answer the targets' requests. Run from the
source tree after changing the unit tests; the files are committed."""
import hashlib
import os
import re
import struct
import sys

top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
out = os.path.join(top, "tests", "fuzz", "corpus")

LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def unescape(s):
    b = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            b += c.encode()
            i += 1
            continue
        n = s[i + 1]
        i += 2
        if n in "ntr0\\\"'abfv?":
            if n == "0" and i < len(s) and s[i] in "01234567":
                j = i
                while j < len(s) and j < i + 2 and s[j] in "01234567":
                    j += 1
                b.append(int("0" + s[i:j], 8) & 0xFF)
                i = j
                continue
            b += {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0",
                  "\\": b"\\", '"': b'"', "'": b"'", "a": b"\a",
                  "b": b"\b", "f": b"\f", "v": b"\v", "?": b"?"}[n]
        elif n == "x":
            j = i
            while j < len(s) and s[j] in "0123456789abcdefABCDEF":
                j += 1
            b.append(int(s[i:j], 16) & 0xFF)
            i = j
        elif n in "1234567":
            j = i - 1
            k = j
            while k < len(s) and k < j + 3 and s[k] in "01234567":
                k += 1
            b.append(int(s[j:k], 8) & 0xFF)
            i = k
        else:
            b += n.encode()
    return bytes(b)


def literals(path):
    """Adjacent string literals joined, as the compiler joins them."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    res = []
    pos = 0
    while True:
        m = LIT.search(text, pos)
        if not m:
            break
        parts = [m.group(1)]
        pos = m.end()
        while True:
            m2 = re.compile(r'\s*"((?:[^"\\\n]|\\.)*)"').match(text, pos)
            if not m2:
                break
            parts.append(m2.group(1))
            pos = m2.end()
        res.append(unescape("".join(parts)))
    return res


def unit(name):
    return literals(os.path.join(top, "tests", "unit", name))


def write(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    h = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)


def name(n):
    b = b""
    for label in n.rstrip(".").split("."):
        if label:
            b += bytes([len(label)]) + label.encode()
    return b + b"\0"


def dns_seeds():
    # byte 0: request (0 A, 1 AAAA, 2 SOA, 3 UPDATE), 4 signed, 8 patched
    q_a = name("dl.example.org.") + struct.pack(">HH", 1, 1)
    q_aaaa = name("dl.example.org.") + struct.pack(">HH", 28, 1)
    q_soa = name("example.org.") + struct.pack(">HH", 6, 1)
    a_rr = lambda ip: (b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) +
                       bytes(ip))
    aaaa_rr = (b"\xc0\x0c" + struct.pack(">HHIH", 28, 1, 60, 16) +
               bytes([0x20, 1, 0xd, 0xb8] + [0] * 11 + [0x10]))
    soa_rd = (name("ns.example.org.") + name("host.example.org.") +
              struct.pack(">IIIII", 2026120401, 3600, 600, 86400, 60))
    soa_rr = (b"\xc0\x0c" + struct.pack(">HHIH", 6, 1, 3600, len(soa_rd)) +
              soa_rd)
    hdr = lambda an, rc=0: struct.pack(">HHHHHH", 0, 0x8400 | rc, 1, an, 0, 0)
    for mode in (0x0c, 0x1c, 0x2c, 0x3c, 0x04, 0x00):
        write("dns", bytes([mode | 0, 0]) + hdr(2) + q_a +
              a_rr([192, 0, 2, 10]) + a_rr([192, 0, 2, 20]))
    write("dns", bytes([0x0c | 0, 0]) + hdr(0, 3) + q_a)
    write("dns", bytes([0x0c | 1, 0]) + hdr(1) + q_aaaa + aaaa_rr)
    write("dns", bytes([0x0c | 2, 0]) + hdr(1) + q_soa + soa_rr)
    upd = struct.pack(">HHHHHH", 0, 0xa800, 1, 0, 0, 0) + q_soa
    write("dns", bytes([0x0c | 3, 0]) + upd)
    write("dns", bytes([0x0c | 3, 0]) +
          struct.pack(">HHHHHH", 0, 0xa805, 1, 0, 0, 0) + q_soa)
    for f in ("nsupdate-hmac-sha256.bin", "nsupdate-hmac-sha512.bin"):
        data = open(os.path.join(top, "tests", "fixtures", f), "rb").read()
        write("dns", bytes([3, 0]) + data)
        write("dns", bytes([0x0c | 3, 0]) + data)


def main():
    for lit in unit("test_http1.c"):
        if lit.startswith(b"HTTP/") or b"\r\n" in lit:
            write("http1", lit)
    for lit in unit("test_control_proto.c"):
        if lit.startswith(b"{"):
            write("control", lit + b"\n")
    write("control", b'{"cmd":"status"}\n{"cmd":"drain","mirror":"m",'
          b'"for":"2h","reason":"disk"}\r\n\xff\x00{"cmd":"sync"}')
    for f in ("test_tsig_key.c",):
        for lit in unit(f):
            if b"key" in lit or b"secret" in lit or lit.count(b":") >= 1:
                write("keyfile", lit)
    write("keyfile", open(os.path.join(top, "tests", "fixtures",
                                       "nsupdate-tsig.txt"), "rb").read())
    for lit in unit("test_config.c"):
        if b"=" in lit and len(lit) > 20:
            write("config", lit)
    write("config", open(os.path.join(top, "etc", "mirrorpool.conf"),
                         "rb").read())
    for lit in unit("test_duration.c"):
        write("parsers", b"\0" + lit)
    for lit in unit("test_addr.c") + unit("test_control_proto.c"):
        if re.fullmatch(rb"[0-9a-fA-F:.]{2,64}", lit):
            write("parsers", b"\1" + lit)
    for lit in unit("test_config.c"):
        if lit.startswith(b"http"):
            write("parsers", b"\2" + lit)
    for lit in unit("test_checkeval.c"):
        if re.match(rb"[ 0-9A-Z]", lit) and len(lit) >= 8:
            write("parsers", b"\3" + lit)
    for lit in (b"hmac-sha256", b"HMAC-SHA512.", b"hmac-md5", b"Key.Name."):
        write("parsers", b"\4" + lit)
    for lit in unit("test_jsonpool.c") + unit("test_jsonstate.c"):
        if lit.lstrip()[:1] in (b"[", b"{"):
            write("jsonpool", lit)
    for f in ("mirrors.json",):
        write("jsonpool", open(os.path.join(top, "tests", "fixtures", f),
                               "rb").read())
    dns_seeds()
    for t in sorted(os.listdir(out)):
        print(t, len(os.listdir(os.path.join(out, t))), "seeds")


if __name__ == "__main__":
    sys.exit(main())
