"""The SNMP trap and inform receiver: read and queue, then decode, then classify."""
