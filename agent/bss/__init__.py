"""The agent's BSS work: order fulfilment, outages from fault impact, customer notices and
SLA credits (the pure parts and the tables live in bss_bridge)."""
