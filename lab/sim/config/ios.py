"""The IOS/FRR-like (vtysh) configuration syntax: ``show running-config`` and configuration
lines. It covers what FRR itself configures: hostname, interface description/addresses/
shutdown and static routes; subinterfaces, policers and xconnects do not exist in it."""

from __future__ import annotations

from lab.sim.config.model import (
    ConfigError,
    DeviceConfig,
    check_address,
    check_next_hop,
    check_prefix,
    prefix_key,
)
from lab.sim.config.syntax import TOP, CommandError, Mode, NotInMode, Resolver, rest_after, words

FRR_VERSION = "8.4.4"


def render(cfg: DeviceConfig) -> str:
    out = [f"frr version {FRR_VERSION}", "frr defaults traditional", f"hostname {cfg.hostname}", "!"]
    for name in cfg.physical:
        itf = cfg.interfaces[name]
        if not (itf.description or itf.ipv4 or not itf.enabled):
            continue  # vtysh lists only interfaces that carry configuration
        out.append(f"interface {name}")
        if itf.description:
            out.append(f" description {itf.description}")
        out.extend(f" ip address {a}" for a in itf.ipv4)
        if not itf.enabled:
            out.append(" shutdown")
        out.append("exit")
        out.append("!")
    if cfg.routes:
        for prefix, nh in sorted(cfg.routes.items(), key=lambda kv: prefix_key(kv[0])):
            out.append(f"ip route {prefix} {nh}")
        out.append("!")
    out.append("end")
    return "\n".join(out) + "\n"


def mode_label(mode: Mode) -> str:
    return "-if" if mode.kind == "interface" else ""


class IosSyntax:
    def __init__(self, resolve: Resolver):
        self.resolve = resolve

    def apply(self, cfg: DeviceConfig, mode: Mode, line: str) -> Mode:
        text = line.strip()
        if not text or text.startswith("!"):
            return mode
        w = words(text)
        if mode.kind == "interface":
            if w in (["exit"], ["exit-vrf"], ["quit"]):
                return TOP
            try:
                self._interface(cfg, mode.name, text, w)
                return mode
            except NotInMode:
                pass
        try:
            return self._top(cfg, w)
        except NotInMode:
            raise CommandError(f"% Unknown command: {text}") from None

    def apply_text(self, cfg: DeviceConfig, text: str) -> None:
        mode = TOP
        for n, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if s == "end" or s.startswith(("frr version", "frr defaults")):
                continue
            if not line[:1].isspace() and s != "exit":
                mode = TOP
            try:
                mode = self.apply(cfg, mode, line)
            except (CommandError, ConfigError) as exc:
                raise type(exc)(f"line {n}: {s!r}: {exc}") from None

    def _top(self, cfg: DeviceConfig, w: list[str]) -> Mode:
        neg = w[0] == "no"
        a = w[1:] if neg else w
        if a[:1] == ["hostname"] and len(a) == 2 and not neg:
            cfg.hostname = a[1]
            return TOP
        if a[:1] == ["interface"] and len(a) == 2 and not neg:
            name = self.resolve(a[1])
            if name is None or not cfg.is_physical(name):
                # FRR would create an unknown interface; the simulated device has fixed ports.
                raise ConfigError(f"% Interface {a[1]} does not exist on this device")
            return Mode("interface", name)
        if a[:2] == ["ip", "route"] and len(a) == 4:
            prefix = check_prefix(a[2])
            nh = check_next_hop(a[3])
            if neg:
                if cfg.routes.get(prefix) != nh:
                    raise ConfigError(f"% Refusing to remove a non-existent route {prefix} {nh}")
                del cfg.routes[prefix]
            else:
                cfg.routes[prefix] = nh
            return TOP
        raise NotInMode

    def _interface(self, cfg: DeviceConfig, name: str, text: str, w: list[str]) -> None:
        itf = cfg.interfaces[name]
        if w[0] == "description" and len(w) >= 2:
            itf.description = rest_after(text, 1)
        elif w == ["no", "description"]:
            itf.description = ""
        elif w == ["shutdown"]:
            itf.enabled = False
        elif w == ["no", "shutdown"]:
            itf.enabled = True
        elif w[:2] == ["ip", "address"] and len(w) == 3:
            addr = check_address(w[2])
            if addr not in itf.ipv4:
                itf.ipv4.append(addr)
        elif w[:3] == ["no", "ip", "address"] and len(w) == 4:
            addr = check_address(w[3])
            if addr not in itf.ipv4:
                raise ConfigError(f"% Can't find address {addr} on {name}")
            itf.ipv4.remove(addr)
        else:
            raise NotInMode
