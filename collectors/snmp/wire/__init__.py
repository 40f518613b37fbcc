"""A small, fast SNMP wire codec (BER and SNMPv3 USM), shared by the simulated lab agents and
the trap receiver and the fast poller (collectors.snmp.fastpoll, the scheduled performance
polls; discovery and other walks use pysnmp). It exists because decoding through pyasn1 ran
at about 660 traps/s per core here, too slow for a receiver that must survive bursts."""
