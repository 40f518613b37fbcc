"""Provisioning in the agent: planning service requests into journaled transactions, running
them across devices all-or-nothing, recovering them after a crash, backups and drift."""

# Importing the drivers package registers "netconf", "cli" and "napalm" with the contract's
# registry; their third-party libraries load only when a driver connects.
import provisioners.drivers  # noqa: F401
