"""The A records UPDATEs changed, as mirrorpoold and BIND's named log
them, so that a test can hold the two logs against each other.

mirrorpoold, for an UPDATE applied and one it never heard back about:

    <5>UPDATE example.org.: dl.example.org. A -127.0.0.13 (NOERROR in 3 ms)
    <4>UPDATE: dl.example.org. A +127.0.0.11 not applied (TIMEOUT)

named, one line for each record an UPDATE changed (a deleted record
without its address), with the client's address:

    client @0x7f... ::1#40123/key mirrorpool: updating zone
      'example.org/IN': adding an RR at 'dl.example.org' A 127.0.0.11
"""
import collections
import re


class Changes:
    """adds: Counter of added addresses; dels: deleted records;
    messages: UPDATEs (mirrorpoold) or changed records (named);
    clients: Counter of the client addresses named logged."""

    def __init__(self):
        self.adds = collections.Counter()
        self.dels = 0
        self.messages = 0
        self.clients = collections.Counter()

    def total_adds(self):
        return sum(self.adds.values())


def _agent(regex, text):
    ch = Changes()
    for m in regex.finditer(text):
        ch.messages += 1
        for item in m.group(1).split():
            if item[0] == "+":
                ch.adds[item[1:]] += 1
            else:
                ch.dels += 1
    return ch


def agent_applied(text, pool):
    """The changes of every UPDATE mirrorpoold logged as applied."""
    return _agent(re.compile(
        r"^<\d>UPDATE \S+: %s A ((?:[-+][0-9.]+ ?)+) \(NOERROR in \d+ ms"
        % re.escape(pool), re.M), text)


def agent_unanswered(text, pool):
    """The changes of every UPDATE mirrorpoold sent and saw no answer to
    (the server may or may not have applied it)."""
    return _agent(re.compile(
        r"^<\d>UPDATE: %s A ((?:[-+][0-9.]+ ?)+) not applied \((TIMEOUT"
        r"|NETERR|FAILED)\)$" % re.escape(pool), re.M), text)


def named_changes(text, zone, pool, key="mirrorpool"):
    """The A records of pool that named logged as changed by an UPDATE
    signed with key."""
    ch = Changes()
    rx = re.compile(
        r"client @0x[0-9a-f]+ (\S+)#\d+/key %s: updating zone '%s/IN': "
        r"(?:adding an RR at '%s' A ([0-9.]+)|deleting an RR at %s A)$"
        % (re.escape(key.rstrip(".")), re.escape(zone.rstrip(".")),
           re.escape(pool.rstrip(".")), re.escape(pool.rstrip("."))), re.M)
    for m in rx.finditer(text):
        ch.messages += 1
        ch.clients[m.group(1)] += 1
        if m.group(2):
            ch.adds[m.group(2)] += 1
        else:
            ch.dels += 1
    return ch
