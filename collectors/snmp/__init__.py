"""SNMP collectors: fetch (pysnmp, the only code that calls it) and pure parsers."""
