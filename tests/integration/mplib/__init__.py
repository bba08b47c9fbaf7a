"""Helpers for mirrorpool's integration tests: throwaway DNS servers (BIND,
Knot, a scriptable fake), free loopback ports and process clean-up."""
