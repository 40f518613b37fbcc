"""``ossagent``: the one command-line entry point (also ``python -m agent``)."""

from __future__ import annotations

import sys

import click

from agent.cli import (
    bss_cmds,
    core,
    demo,
    faults_cmds,
    inventory_cmds,
    lab_cmds,
    provision_cmds,
    users,
    worker_cmds,
)
from agent.config import ConfigError


class _Group(click.Group):
    """Turns expected failures into one clear line and exit status 1, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ossagent")
def cli() -> None:
    """ossagent: network operations agent (monitoring, faults, provisioning) with a BSS bridge."""


for module in (
    core,
    demo,
    lab_cmds,
    inventory_cmds,
    faults_cmds,
    provision_cmds,
    bss_cmds,
    users,
    worker_cmds,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="ossagent")
