"""The fast SNMP poll path: scheduled interface performance polls without pysnmp's overhead.

Why it exists. Profiling the pysnmp 7 poller on the bench (100 simulated devices x 50
interfaces) put about 78% of its CPU in pyasn1 decoding, ~150 ms of CPU per device per poll, and
at 1,000 devices it lost replies (its socket buffer overflowed). The issue asks to "keep pysnmp,
but stop paying for what we do not use". The trade-off chosen:

* pysnmp stays for everything open-ended: discovery, walks of arbitrary MIBs, GET/SET of
  anything, every SNMP feature we did not re-implement (v1, noAuth/authNoPriv v3, MD5/DES,
  contexts, informs). ``collectors.snmp.collect`` remains the reference behaviour.
* this package serves only the scheduled performance/status polls, the one request shape the
  agent sends every interval to every device: GETBULK of the counter columns of a poll spec
  plus sysUpTime, over SNMP v2c or v3 authPriv (SHA/SHA-256 with AES/AES-256), returning the
  very ``Observation``/``PerfData`` that ``collect.poll_interfaces`` returns (tests hold the two
  paths equal against Net-SNMP's snmpd and the simulator), so rates, storage and fault rules
  do not change.

What makes it fast: numeric OIDs straight from the specs (no MIB resolution), request messages
built once per device and spec with only the request-id changing, max-repetitions sized to the
table (the agent's interface count, else the previous walk's row count) so a 50-port device is
one round trip, replies decoded by position with our own BER/USM codec (``collectors.snmp.wire``)
straight into rows, many devices in flight on one event loop over one socket with a large
receive buffer and a window that keeps the replies inside it, per-request timeouts and retries
so a dead or slow device never holds up the others, and (``pool``) one poller process per core,
each owning a share of the devices.
"""

from __future__ import annotations

from collectors.snmp.fastpoll.poller import FastPoller, PollRequest, PollTimeout
from collectors.snmp.fastpoll.pool import PollerPool, default_processes
from collectors.snmp.fastpoll.router import PollRouter

__all__ = ["FastPoller", "PollRequest", "PollRouter", "PollTimeout", "PollerPool", "default_processes"]
