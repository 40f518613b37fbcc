"""Diffs between two native configurations, turned into the change that goes from one to the
other: CLI commands for hierarchical text configs, an edit-config for NETCONF XML."""
