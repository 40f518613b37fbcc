"""The IOS/FRR-like (vtysh) command interpreter: privileged from the start (``r1#``),
``configure terminal`` edits running line by line, ``write memory`` saves."""

from __future__ import annotations

from lab.sim.cli.common import (
    CONFIG_WORDS,
    EXEC_WORDS,
    CliError,
    Output,
    TerminalEdit,
    expand,
    invalid,
    pipe,
    split_pipes,
)
from lab.sim.config import ios as ios_syntax
from lab.sim.config.ios import FRR_VERSION
from lab.sim.config.syntax import TOP
from lab.sim.runtime import Device

WRITE_OUTPUT = (
    "Note: this version of vtysh never writes vtysh.conf\n"
    "Building Configuration...\n"
    "Integrated configuration saved to /etc/frr/frr.conf\n"
    "[OK]\n"
)


class IosCli:
    def __init__(self, device: Device):
        self.device = device
        self.edit: TerminalEdit | None = None
        self.closed = False

    def prompt(self) -> str:
        h = self.device.store.running.hostname
        if self.edit is None:
            return f"{h}#"
        return f"{h}(config{ios_syntax.mode_label(self.edit.mode)})#"

    @property
    def in_config(self) -> bool:
        return self.edit is not None

    def execute(self, line: str, input_text: str = "") -> Output:
        text = line.strip()
        if not text or text.startswith("!"):
            return Output()
        cmd, mods = split_pipes(text)
        cmd = expand(cmd, CONFIG_WORDS if self.edit is not None else EXEC_WORDS)
        w = cmd.split()
        if self.edit is not None:
            if w[0] == "do" and len(w) > 1:
                cmd = expand(cmd[2:].strip(), EXEC_WORDS)
                w = cmd.split()
            elif w[0] not in ("show", "write"):
                self._config_line(cmd, w)
                return Output()
        return pipe(self._exec(cmd, w), mods, json_ok=False)

    def _config_line(self, cmd: str, w: list[str]) -> None:
        edit = self.edit
        assert edit is not None
        if w == ["end"]:
            self.edit = None
            return
        if w in (["exit"], ["quit"]) and edit.mode == TOP:
            self.edit = None
            return
        try:
            edit.apply(cmd)
        except CliError as exc:
            if str(exc).startswith("% Invalid input"):
                raise invalid(f"% Unknown command: {cmd}") from None
            raise

    def _exec(self, cmd: str, w: list[str]) -> Output:
        n = len(w)
        store = self.device.store
        if w == ["enable"] or w == ["disable"]:
            return Output()  # vtysh starts privileged; both are harmless
        if w[0] in ("exit", "quit", "logout") and n == 1:
            self.closed = True
            return Output()
        if w[0] == "terminal" and n == 3 and w[1] in ("length", "width"):
            return Output()
        if w[:2] in (["configure", "terminal"], ["conf", "t"]) or w == ["configure"]:
            self.edit = TerminalEdit(self.device, "cli")
            return Output()
        if w in (
            ["write"],
            ["write", "memory"],
            ["write", "file"],
            ["copy", "running-config", "startup-config"],
        ):
            store.save()
            return Output(WRITE_OUTPUT)
        if w[0] == "show" and n >= 2:
            a = w[1:]
            if a in (["running-config"], ["run"]):
                return Output(self.device.render(store.running))
            if a == ["startup-config"]:
                return Output(self.device.render(store.startup))
            if a == ["version"]:
                return Output(
                    f"FRRouting {FRR_VERSION} ({store.running.hostname}) on Linux(6.1.0-28-amd64).\n"
                    "Copyright 1996-2005 Kunihiro Ishiguro, et al.\n"
                )
            if a in (["interface", "brief"], ["interfaces", "brief"]):
                return self._brief()
        raise CliError(f"% Unknown command: {cmd}")

    def _brief(self) -> Output:
        cfg = self.device.store.running
        lines = [
            "Interface       Status  VRF             Addresses",
            "---------       ------  ---             ---------",
        ]
        for name in cfg.physical:
            k = self.device.node.by_name.get(name)
            up = k is not None and self.device.node.ifs[k].oper_up
            addrs = cfg.interfaces[name].ipv4
            lines.append(
                f"{name:<15} {'up' if up else 'down':<7} {'default':<15} {addrs[0] if addrs else ''}"
            )
            lines += [f"{'':<40}+ {a}" for a in addrs[1:]]
        return Output("\n".join(lines) + "\n")
