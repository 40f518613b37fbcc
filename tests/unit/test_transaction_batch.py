"""Which planned transactions the agent runs together."""

from __future__ import annotations

from agent.provisioning.jobs import runnable_batch


def test_disjoint_transactions_run_together_up_to_the_limit() -> None:
    queue = [("t1", {1}), ("t2", {2}), ("t3", {3}), ("t4", {4}), ("t5", {5})]
    assert runnable_batch(queue, limit=4) == ["t1", "t2", "t3", "t4"]


def test_a_shared_device_keeps_the_planned_order() -> None:
    # t2 shares device 1 with t1: it waits; t3 shares device 2 with the waiting t2: it waits
    # too (it must not overtake t2 there); t4 is free.
    queue = [("t1", {1}), ("t2", {1, 2}), ("t3", {2}), ("t4", {9})]
    assert runnable_batch(queue) == ["t1", "t4"]


def test_nothing_planned() -> None:
    assert runnable_batch([]) == []
