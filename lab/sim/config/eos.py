"""The EOS-like configuration syntax: rendering ``show running-config`` and applying
configuration-mode lines to a :class:`DeviceConfig`.

The syntax is documented in ``lab/sim/config/README.md`` (the provisioning templates render
exactly it). As on EOS, a line that is not a command of the current block is tried at the top
level, which leaves the block: that is what makes pasting a whole ``show running-config`` work.
"""

from __future__ import annotations

import re

from lab.sim.config.model import (
    ConfigError,
    DeviceConfig,
    InterfaceConfig,
    Xconnect,
    check_address,
    check_ipv4,
    check_name,
    check_next_hop,
    check_prefix,
    prefix_key,
)
from lab.sim.config.syntax import TOP, CommandError, Mode, NotInMode, Resolver, parse_int, rest_after, words

INDENT = "   "
MASK = "<removed>"


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render(
    cfg: DeviceConfig, *, model: str = "cEOSLab", version: str = "4.32.0F", sanitized: bool = False
) -> str:
    out = [f"! device: {cfg.hostname} ({model}, EOS-{version})", "!", f"hostname {cfg.hostname}", "!"]
    if cfg.users:
        for name, secret in sorted(cfg.users.items()):
            out.append(f"username {name} privilege 15 secret 0 {MASK if sanitized else secret}")
        out.append("!")
    if cfg.snmp_communities:
        for name, access in sorted(cfg.snmp_communities.items()):
            out.append(f"snmp-server community {MASK if sanitized else name} {access}")
        out.append("!")
    for name, rate in sorted(cfg.policers.items()):
        out.append(f"policy-map {name}")
        if rate is not None:
            out.append(f"{INDENT}police rate {rate} mbps")
        out.append("!")
    for itf in cfg.ordered_interfaces():
        out.extend(interface_block(itf))
        out.append("!")
    if cfg.routes:
        for prefix, nh in sorted(cfg.routes.items(), key=lambda kv: prefix_key(kv[0])):
            out.append(f"ip route {prefix} {nh}")
        out.append("!")
    for name, xc in sorted(cfg.xconnects.items()):
        out.append(f"l2vpn xconnect {name}")
        if xc.interface:
            out.append(f"{INDENT}interface {xc.interface}")
        if xc.neighbor or xc.pw_id is not None:
            out.append(
                f"{INDENT}neighbor {xc.neighbor} pw-id {xc.pw_id if xc.pw_id is not None else ''}".rstrip()
            )
        out.append("!")
    out.append("end")
    return "\n".join(out) + "\n"


def interface_block(itf: InterfaceConfig) -> list[str]:
    out = [f"interface {itf.name}"]
    if itf.description:
        out.append(f"{INDENT}description {itf.description}")
    if not itf.enabled:
        out.append(f"{INDENT}shutdown")
    if itf.mtu is not None:
        out.append(f"{INDENT}mtu {itf.mtu}")
    if itf.vlan is not None:
        out.append(f"{INDENT}encapsulation dot1q vlan {itf.vlan}")
    for k, addr in enumerate(itf.ipv4):
        out.append(f"{INDENT}ip address {addr}" + (" secondary" if k else ""))
    if itf.service_policy_in is not None:
        out.append(f"{INDENT}service-policy input {itf.service_policy_in}")
    if itf.service_policy_out is not None:
        out.append(f"{INDENT}service-policy output {itf.service_policy_out}")
    return out


def mode_label(mode: Mode) -> str:
    """The part of the prompt inside ``(config...)``: ``-if-Et3``, ``-pmap-X``, ..."""
    if mode.kind == "interface":
        return "-if-" + short_interface(mode.name)
    if mode.kind == "policy-map":
        return "-pmap-" + mode.name
    if mode.kind == "xconnect":
        return "-xc-" + mode.name
    return ""


def short_interface(name: str) -> str:
    for long, short in (("Ethernet", "Et"), ("Management", "Ma"), ("Loopback", "Lo")):
        if name.startswith(long):
            return short + name[len(long) :]
    return name


# ---------------------------------------------------------------------------------------------
# Applying configuration lines
# ---------------------------------------------------------------------------------------------


class EosSyntax:
    """Applies EOS-like configuration lines to a configuration, one line at a time."""

    def __init__(self, resolve: Resolver):
        self.resolve = resolve

    def apply(self, cfg: DeviceConfig, mode: Mode, line: str) -> Mode:
        """Apply one line in ``mode``; returns the mode the next line is in. Raises
        :class:`CommandError` for a line the dialect does not know and ConfigError for one it
        refuses (the configuration is then unchanged by this line)."""
        text = line.strip()
        if not text or text.startswith("!"):
            return mode
        w = words(text)
        if mode.kind != "top":
            if w == ["exit"]:
                return TOP
            try:
                return self._sub(cfg, mode, text, w)
            except NotInMode:
                pass
        try:
            return self._top(cfg, text, w)
        except NotInMode:
            raise CommandError(f"% Invalid input (at token 0: '{w[0]}')") from None

    def apply_text(self, cfg: DeviceConfig, text: str) -> None:
        """A whole configuration (``show running-config`` output, a flash file) onto ``cfg``."""
        mode = TOP
        for n, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if not line[:1].isspace():
                # In a file, indentation says which block a line belongs to.
                mode = TOP
                if s in ("end", "exit"):
                    continue
            try:
                mode = self.apply(cfg, mode, line)
            except CommandError as exc:
                raise CommandError(f"line {n}: {line.strip()!r}: {exc}") from None
            except ConfigError as exc:
                raise ConfigError(f"line {n}: {line.strip()!r}: {exc}") from None

    # -- top level ----------------------------------------------------------------------------

    def _interface_name(self, cfg: DeviceConfig, typed: str) -> str:
        name = self.resolve(typed)
        if name is None:
            raise ConfigError(f"% Interface {typed} does not exist on this device")
        return name

    def _top(self, cfg: DeviceConfig, text: str, w: list[str]) -> Mode:
        neg = w[0] == "no"
        a = w[1:] if neg else w
        n = len(a)
        if not a:
            raise NotInMode
        if a[0] == "hostname" and n == 2 and not neg:
            cfg.hostname = a[1]
            return TOP
        if a[0] == "interface" and n == 2:
            name = self._interface_name(cfg, a[1])
            if neg:
                cfg.delete_interface(name)
                return TOP
            if name not in cfg.interfaces:
                cfg.add_subinterface(name)
            return Mode("interface", name)
        if a[0] == "policy-map":
            rest = a[1:]
            if rest[:2] == ["type", "quality-of-service"]:
                rest = rest[2:]
            if len(rest) == 1:
                name = check_name(rest[0], "policy-map")
                if neg:
                    cfg.delete_policer(name)
                    return TOP
                cfg.policers.setdefault(name, None)
                return Mode("policy-map", name)
        if a[:2] == ["ip", "route"]:
            if neg and n in (3, 4):
                prefix = check_prefix(a[2])
                if prefix not in cfg.routes:
                    raise ConfigError(f"% Route {prefix} does not exist")
                del cfg.routes[prefix]
                return TOP
            if not neg and n == 4:
                cfg.routes[check_prefix(a[2])] = check_next_hop(a[3])
                return TOP
        if a[:2] == ["l2vpn", "xconnect"] and n == 3:
            name = check_name(a[2], "xconnect")
            if neg:
                if cfg.xconnects.pop(name, None) is None:
                    raise ConfigError(f"% xconnect {name} does not exist")
                return TOP
            cfg.xconnects.setdefault(name, Xconnect())
            return Mode("xconnect", name)
        if a[:2] == ["snmp-server", "community"]:
            if neg and n in (3, 4):
                cfg.snmp_communities.pop(a[2], None)
                return TOP
            if not neg and n == 4 and a[3] in ("ro", "rw"):
                cfg.snmp_communities[a[2]] = a[3]
                return TOP
        if a[0] == "username" and n >= 2:
            name = check_name(a[1], "user")
            if neg:
                cfg.users.pop(name, None)
                return TOP
            secret = _username_secret(a[2:])
            if secret is not None:
                cfg.users[name] = secret
                return TOP
        raise NotInMode

    # -- blocks -------------------------------------------------------------------------------

    def _sub(self, cfg: DeviceConfig, mode: Mode, text: str, w: list[str]) -> Mode:
        if mode.kind == "interface":
            itf = cfg.interfaces.get(mode.name)
            if itf is None:  # deleted meanwhile (``no interface`` of itself)
                raise NotInMode
            self._interface(cfg, itf, text, w)
            return mode
        if mode.kind == "policy-map":
            if w[:2] == ["police", "rate"] and len(w) == 4 and w[3] == "mbps":
                cfg.policers[mode.name] = parse_int(w[2], "rate")
                return mode
            if w == ["no", "police"]:
                cfg.policers[mode.name] = None
                return mode
            raise NotInMode
        if mode.kind == "xconnect":
            xc = cfg.xconnects.setdefault(mode.name, Xconnect())
            if w[0] == "interface" and len(w) == 2:
                xc.interface = self._interface_name(cfg, w[1])
                return mode
            if w[0] == "neighbor" and len(w) == 4 and w[2] == "pw-id":
                xc.neighbor = check_ipv4(w[1], "neighbor")
                xc.pw_id = parse_int(w[3], "pw-id")
                return mode
            if w == ["no", "interface"]:
                xc.interface = ""
                return mode
            if w == ["no", "neighbor"]:
                xc.neighbor, xc.pw_id = "", None
                return mode
            raise NotInMode
        raise NotInMode

    def _interface(self, cfg: DeviceConfig, itf: InterfaceConfig, text: str, w: list[str]) -> None:
        if w[0] == "description" and len(w) >= 2:
            itf.description = rest_after(text, 1)
        elif w in (["no", "description"], ["default", "description"]):
            itf.description = ""
        elif w == ["shutdown"]:
            itf.enabled = False
        elif w in (["no", "shutdown"], ["default", "shutdown"]):
            itf.enabled = True
        elif w[0] == "mtu" and len(w) == 2:
            itf.mtu = parse_int(w[1], "MTU")
        elif w in (["no", "mtu"], ["default", "mtu"]):
            itf.mtu = None
        elif w[:3] == ["encapsulation", "dot1q", "vlan"] and len(w) == 4:
            if cfg.is_physical(itf.name):
                raise ConfigError("% encapsulation dot1q is only valid on subinterfaces")
            itf.vlan = parse_int(w[3], "VLAN")
        elif w[:4] == ["no", "encapsulation", "dot1q", "vlan"] and len(w) in (4, 5):
            itf.vlan = None
        elif w[:2] == ["ip", "address"] and len(w) in (3, 4):
            addr = check_address(w[2])
            if len(w) == 4:
                if w[3] != "secondary":
                    raise NotInMode
                if addr not in itf.ipv4:
                    itf.ipv4.append(addr)
            else:
                itf.ipv4 = [addr, *[x for x in itf.ipv4[1:] if x != addr]]
        elif w[:3] == ["no", "ip", "address"]:
            if len(w) == 3:
                itf.ipv4 = []
            else:
                addr = check_address(w[3])
                if addr not in itf.ipv4:
                    raise ConfigError(f"% Address {addr} is not configured on {itf.name}")
                itf.ipv4.remove(addr)
        elif _service_policy(itf, w):
            pass
        else:
            raise NotInMode


def _service_policy(itf: InterfaceConfig, w: list[str]) -> bool:
    neg = w[0] == "no"
    a = w[1:] if neg else w
    if not a or a[0] != "service-policy":
        return False
    a = a[1:]
    if a[:2] == ["type", "qos"]:
        a = a[2:]
    if not a or a[0] not in ("input", "output"):
        return False
    if neg and len(a) in (1, 2):
        value = None
    elif not neg and len(a) == 2:
        value = a[1]
    else:
        return False
    if a[0] == "input":
        itf.service_policy_in = value
    else:
        itf.service_policy_out = value
    return True


def _username_secret(a: list[str]) -> str | None:
    """``privilege N secret 0 PASS`` (privilege and the ``0`` are optional) -> PASS."""
    if a[:1] == ["privilege"]:
        if len(a) < 2 or not re.fullmatch(r"\d{1,2}", a[1]):
            return None
        a = a[2:]
    if a[:1] != ["secret"]:
        return None
    a = a[1:]
    if len(a) == 2 and a[0] == "0":
        return a[1]
    if len(a) == 1:
        return a[0]
    return None
