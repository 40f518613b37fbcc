"""``python -m lab.sim serve|worker --state-dir DIR``: the lab and worker processes (see runner)."""

from __future__ import annotations

import sys

from lab.sim.runner import main

sys.exit(main())
