"""Reading devices: SNMP and NETCONF polling, traps. Takes targets, returns observations."""
