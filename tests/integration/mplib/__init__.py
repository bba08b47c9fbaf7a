"""Helpers for mirrorpool's integration tests: real servers on loopback.

Every helper binds to 127.0.0.0/8 or ::1 only, picks free ports, probes for
readiness instead of sleeping, and stops what it starts (also at exit).

    ports       free/closed ports, readiness probing
    proc        child processes in their own process group, always reaped
    tools       paths of the built programs, running them, skipping (77)
    tlsca       a throw-away CA and server certificates made with openssl
    nginx       an nginx on a temporary config
    faultserver an HTTP server that misbehaves on request
    dnsserver   what the throwaway primaries share: start, stop, dig, keys
    named, knot throwaway BIND and Knot primaries with TSIG keys
    pdns        a throwaway PowerDNS primary (gsqlite3, dnsupdate, pdnsutil)
    fakedns     a scriptable misbehaving DNS server
    sockloop    socket plumbing of the fakes: free port, receive loop, framing
    dnstools    TSIG keys, dig and nsupdate wrappers
    dnsrelay    a one-transport relay in front of a primary
    mirrors     a farm of controllable HTTP mirrors on 127.0.0.X
    agent       mirrorpoold from a generated config, its log, mirrorpoolctl
    agenttest   the pool, waiting and a TestCase mixin for the agent tests
    updatelog   the records UPDATEs changed, from the agent's and named's logs
"""

SKIP = 77        # automake: test skipped
HARD_ERROR = 99  # automake: the test itself could not run
