"""The provisioning drivers; importing this package registers them in
``provisioners.contract.DRIVERS``: "netconf" (ncclient), "cli" (netmiko), "napalm".

The third-party libraries are imported when a driver connects, so importing the package
stays cheap for processes that never talk to a device (the web app, the scheduler).
"""

from __future__ import annotations

from provisioners.drivers import cli, napalm_driver, netconf

__all__ = ["cli", "napalm_driver", "netconf"]
