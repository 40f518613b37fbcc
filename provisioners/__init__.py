"""Changing devices: NETCONF, CLI and NAPALM drivers behind one contract (a later issue)."""
