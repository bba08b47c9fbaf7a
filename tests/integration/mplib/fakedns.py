"""A scriptable fake DNS server on loopback (UDP and TCP on one port) for
faults real servers will not produce on demand: forged, malformed,
mis-addressed and mis-signed replies.

It knows the TSIG secret, so it can sign replies correctly (RFC 8945,
HMAC-SHA256/512) and then break exactly one thing. For every query it plays
the script of its transport: a list of reply kinds, each sending one message
(or none):

  ok             signed NOERROR (A/AAAA queries get self.answers)
  drop           nothing
  garbage        random bytes
  empty          a zero-length datagram
  oversized      a 65000-byte message with the right ID and junk after it
  unsigned       forged NOERROR without TSIG (right ID and question)
  unsigned-badkey  unsigned NOTAUTH with a TSIG RR carrying BADKEY, no MAC
  wrong-id       signed, but another message ID
  qr0            signed, QR bit clear
  wrong-opcode   signed, opcode differs from the query's
  wrong-question signed, another question name
  other-port     signed NOERROR sent from another source port
  other-addr     signed NOERROR sent from 127.0.0.2 (same port number)
  tc             signed, TC=1, no answer records
  two-tsig       signed, then the TSIG RR twice
  tsig-not-last  signed, then an A record after the TSIG RR
  other-alg      signed with the same secret but the other algorithm
  md5            signed with the same secret as hmac-md5 (unsupported)
  bad-time       signed correctly with Time Signed 1000 s in the past
  badtime        signed NOTAUTH/BADTIME with our clock in Other Data
  delay:SECONDS  wait before the next kind

Every query and every reply is appended to self.events as
(transport, what), e.g. ("udp", "query"), ("udp", "sent unsigned").
"""
import hashlib
import hmac
import os
import socket
import struct
import threading
import time

from . import sockloop

TSIG_TYPE = 250
CLASS_ANY = 255


# -- wire helpers ---------------------------------------------------------
def read_name(msg, off):
    """(labels as lower-case text, offset after the name)."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii").lower())
        off += n
    return ".".join(labels) + ".", (end if end is not None else off)


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii").lower()
    return out + b"\0"


def parse_query(msg):
    """The fields of a query the fake needs to answer it."""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    off = 12
    qname, off = read_name(msg, off)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    off += 4
    question = msg[12:off]
    tsig = None
    for _ in range(an + ns + ar - (1 if ar else 0)):
        _, off = read_name(msg, off)
        rdlen = struct.unpack("!H", msg[off + 8:off + 10])[0]
        off += 10 + rdlen
    if ar:
        kname, o = read_name(msg, off)
        rtype = struct.unpack("!H", msg[o:o + 2])[0]
        if rtype == TSIG_TYPE:
            o += 10
            alg, o = read_name(msg, o)
            tsigtime = int.from_bytes(msg[o:o + 6], "big")
            fudge, maclen = struct.unpack("!HH", msg[o + 6:o + 10])
            mac = msg[o + 10:o + 10 + maclen]
            tsig = {"key": kname, "alg": alg, "mac": mac, "time": tsigtime}
    return {"id": qid, "opcode": (flags >> 11) & 0xF, "qname": qname,
            "qtype": qtype, "qclass": qclass, "question": question,
            "tsig": tsig}


HASHES = {"hmac-sha256.": hashlib.sha256, "hmac-sha512.": hashlib.sha512,
          "hmac-md5.sig-alg.reg.int.": hashlib.md5}


def tsig_rr(msg, key_name, alg, secret, req_mac, time_signed, error=0,
            other=b"", fudge=300):
    """The TSIG RR that signs msg (a response to a request with req_mac)."""
    qid = struct.unpack("!H", msg[:2])[0]
    kw, aw = name_wire(key_name), name_wire(alg)
    t48 = time_signed.to_bytes(6, "big")
    variables = (kw + struct.pack("!HI", CLASS_ANY, 0) + aw + t48 +
                 struct.pack("!HHH", fudge, error, len(other)) + other)
    data = b""
    if req_mac:
        data = struct.pack("!H", len(req_mac)) + req_mac
    mac = b""
    if secret is not None:
        mac = hmac.new(secret, data + msg + variables, HASHES[alg]).digest()
    rdata = (aw + t48 + struct.pack("!HH", fudge, len(mac)) + mac +
             struct.pack("!HHH", qid, error, len(other)) + other)
    return kw + struct.pack("!HHIH", TSIG_TYPE, CLASS_ANY, 0,
                            len(rdata)) + rdata


def add_rrs(msg, rrs, count=None):
    """msg with raw RRs appended to the additional section."""
    hdr = bytearray(msg[:12])
    ar = struct.unpack("!H", hdr[10:12])[0] + (count or len(rrs))
    hdr[10:12] = struct.pack("!H", ar)
    return bytes(hdr) + msg[12:] + b"".join(rrs)


# -- the server -----------------------------------------------------------
class FakeDNS:
    def __init__(self, secret_b64, host="127.0.0.1"):
        import base64
        self.secret = base64.b64decode(secret_b64)
        self.host = host
        self.port = None
        self.udp_script = ["ok"]
        self.tcp_script = ["ok"]
        self.answers = ["192.0.2.10"]
        self.rcode = 0
        self.events = []
        self._stop = threading.Event()
        self._threads = []
        self._lock = threading.Lock()

    # life cycle
    def start(self):
        self.port, (u, t) = sockloop.bind_free(
            self.host, (socket.SOCK_DGRAM, socket.SOCK_STREAM))
        t.listen(8)
        u.settimeout(0.1)
        t.settimeout(0.1)
        self.udp, self.tcp = u, t
        self.other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.other.bind((self.host, 0))
        # the server's own port number on another loopback address
        self.other_addr = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.other_addr.bind(("127.0.0.2", self.port))
        except OSError:
            self.other_addr.bind(("127.0.0.2", 0))
        self._threads = [
            sockloop.serve(lambda: u.recvfrom(65535), self._udp_msg,
                           self._stop),
            sockloop.serve(t.accept, self._tcp_conn, self._stop)]
        return self

    def stop(self):
        self._stop.set()
        for th in self._threads:
            th.join(5)
        for s in (getattr(self, "udp", None), getattr(self, "tcp", None),
                  getattr(self, "other", None),
                  getattr(self, "other_addr", None)):
            if s:
                s.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self, udp=("ok",), tcp=("ok",)):
        with self._lock:
            self.udp_script = list(udp)
            self.tcp_script = list(tcp)
            self.events = []

    def _event(self, transport, what):
        with self._lock:
            self.events.append((transport, what))

    def sent(self, transport=None):
        """Reply kinds sent, in order (optionally for one transport)."""
        with self._lock:
            return [w[5:] for t, w in self.events
                    if w.startswith("sent ") and transport in (None, t)]

    def queries(self, transport):
        with self._lock:
            return sum(1 for t, w in self.events
                       if t == transport and w == "query")

    # transports
    def _udp_msg(self, msg, peer):
        socks = {False: self.udp, "other-port": self.other,
                 "other-addr": self.other_addr}
        self._serve("udp", msg,
                    lambda data, alt=False: socks[alt].sendto(data, peer))

    def _tcp_conn(self, conn, _peer):
        conn.settimeout(5)
        try:
            msg = sockloop.recv_framed(conn)
            self._serve("tcp", msg,
                        lambda data, alt=False:
                        sockloop.send_framed(conn, data))
            # hold the connection open until the client closes it, so
            # a missing answer is a timeout and not an EOF
            while not self._stop.is_set():
                try:
                    if not conn.recv(4096):
                        break
                except socket.timeout:
                    continue
        except (OSError, EOFError, ValueError):
            pass
        finally:
            conn.close()

    # replies
    def _serve(self, transport, msg, send):
        self._event(transport, "query")
        try:
            q = parse_query(msg)
        except (ValueError, IndexError, struct.error, UnicodeError):
            self._event(transport, "unparsable query")
            return
        with self._lock:
            script = list(self.udp_script if transport == "udp"
                          else self.tcp_script)
        for kind in script:
            if kind.startswith("delay:"):
                time.sleep(float(kind[6:]))
                continue  # not a reply: not recorded
            data = self._reply(kind, q)
            # recorded before it leaves: once the client has reacted to a
            # reply, the test must find it in the record
            self._event(transport, "sent " + kind)
            if data is None:
                continue
            send(data, alt=kind if kind.startswith("other-") and
                 kind != "other-alg" else False)

    def _base(self, q, qid=None, qr=True, opcode=None, tc=False, rcode=None,
              question=None, answers=True):
        flags = (0x8000 if qr else 0) | (
            (q["opcode"] if opcode is None else opcode) << 11) | 0x0400
        if tc:
            flags |= 0x0200
        flags |= (self.rcode if rcode is None else rcode) & 0xF
        body = question if question is not None else q["question"]
        an = []
        if answers and q["opcode"] == 0 and q["qtype"] in (1, 28):
            fam = socket.AF_INET if q["qtype"] == 1 else socket.AF_INET6
            for a in self.answers:
                try:
                    raw = socket.inet_pton(fam, a)
                except OSError:
                    continue
                an.append(b"\xc0\x0c" + struct.pack(
                    "!HHIH", q["qtype"], 1, 60, len(raw)) + raw)
        hdr = struct.pack("!6H", q["id"] if qid is None else qid, flags, 1,
                          len(an), 0, 0)
        return hdr + body + b"".join(an)

    def _sign(self, q, msg, alg=None, time_signed=None, error=0, other=b""):
        t = q["tsig"]
        if not t:
            return msg
        return add_rrs(msg, [tsig_rr(
            msg, t["key"], alg or t["alg"], self.secret, t["mac"],
            int(time.time()) if time_signed is None else time_signed,
            error=error, other=other)])

    def _reply(self, kind, q):
        if kind == "drop":
            return None
        if kind == "garbage":
            return os.urandom(97)
        if kind == "empty":
            return b""
        if kind == "oversized":
            return self._base(q)[:12] + os.urandom(65000 - 12)
        if kind == "unsigned":
            return self._base(q, rcode=0)
        if kind == "unsigned-badkey":
            t = q["tsig"]
            msg = self._base(q, rcode=9, answers=False)
            return add_rrs(msg, [tsig_rr(msg, t["key"], t["alg"], None,
                                         None, int(time.time()),
                                         error=17)])
        if kind in ("ok", "other-port", "other-addr"):
            return self._sign(q, self._base(q))
        if kind == "wrong-id":
            return self._sign(q, self._base(q, qid=(q["id"] + 1) & 0xFFFF))
        if kind == "qr0":
            return self._sign(q, self._base(q, qr=False))
        if kind == "wrong-opcode":
            return self._sign(q, self._base(
                q, opcode=5 if q["opcode"] == 0 else 0))
        if kind == "wrong-question":
            other = name_wire("forged." + q["qname"]) + q["question"][-4:]
            return self._sign(q, self._base(q, question=other))
        if kind == "tc":
            return self._sign(q, self._base(q, tc=True, answers=False))
        if kind == "two-tsig":
            signed = self._sign(q, self._base(q))
            first = signed[len(self._base(q)):]
            return add_rrs(signed, [first])
        if kind == "tsig-not-last":
            signed = self._sign(q, self._base(q))
            extra = name_wire(q["qname"]) + struct.pack(
                "!HHIH", 1, 1, 60, 4) + socket.inet_aton("192.0.2.99")
            return add_rrs(signed, [extra])
        if kind == "other-alg":
            alg = ("hmac-sha512." if q["tsig"]["alg"] == "hmac-sha256."
                   else "hmac-sha256.")
            return self._sign(q, self._base(q), alg=alg)
        if kind == "md5":
            return self._sign(q, self._base(q),
                              alg="hmac-md5.sig-alg.reg.int.")
        if kind == "bad-time":
            return self._sign(q, self._base(q),
                              time_signed=int(time.time()) - 1000)
        if kind == "badtime":
            now = int(time.time())
            return self._sign(q, self._base(q, rcode=9, answers=False),
                              time_signed=q["tsig"]["time"], error=18,
                              other=now.to_bytes(6, "big"))
        raise ValueError("unknown reply kind " + kind)
