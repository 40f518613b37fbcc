"""The outside world for tests and demos: containerlab topologies, simulated devices, faults."""
