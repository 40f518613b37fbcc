"""Provisioning in the agent: planning service requests into journaled transactions, running
them across devices all-or-nothing, recovering them after a crash, backups and drift."""
