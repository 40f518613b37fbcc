"""Fault management: events -> alarms (dedup, clear, flapping, thresholds), correlation from
the topology (suppression, root cause), maintenance windows, impact on services, and the
settled announcement of alarm events (TMF642) through the outbox."""
