"""Job functions: take ids, do the I/O between collectors and the inventory, stay idempotent.

The scheduler, the one-shot CLI commands and (later) workers all call these same functions.
"""
