"""Starting, stopping and talking to a simulated lab (the ``sim`` engine).

``start()`` runs the lab in a detached background process (``python -m lab.sim serve``,
in its own session) or, with ``foreground=True``, in the calling process until SIGINT/SIGTERM.
With ``workers > 1`` the lab process spawns that many worker processes, each serving a share of
the devices, and routes control requests to the owner.

Files in ``state_dir``:

================  =========================================================================
state.json        :class:`LabState` (mode 0600; written once every device socket is bound)
lab.pid           "<pid> <start time>" of the lab process (the start time guards PID reuse)
control.sock      the control channel (JSON lines, mode 0600)
config.json       what the lab process was asked to run (mode 0600, removed on stop)
lab.log           the lab's stdout/stderr
worker-N.sock     control sockets of the worker processes
hostkeys/         the nodes' SSH host keys (kept across stop/start: clients keep trusting them)
known_hosts       every node's host key for its SSH ports (rewritten on host-key-rotate)
ssh_config        ``UserKnownHostsFile`` pointing at known_hosts (for ncclient ``ssh_config=``)
================  =========================================================================
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lab.procs import alive, python_env, read_pid, start_time, write_pid
from lab.sim import hostkeys
from lab.sim.control import (
    Backend,
    ControlError,
    Controller,
    ControlServer,
    LocalBackend,
    RemoteBackend,
    check_socket_path,
    request,
)
from lab.sim.device import DeviceError, DeviceModel, build_devices, check_loopback, default_address_base
from lab.sim.faces import ROOT_PORTS, USER_PORTS
from lab.sim.probe import probe
from lab.sim.runtime import credentials_for, dialect_for, faces_for
from lab.sim.server import BindError
from lab.sim.shard import FaceConfig, Shard
from lab.sim.state import (
    PROFILE_V2C,
    FaceInfo,
    LabState,
    lab_profiles,
    node_state,
    topology_from_dict,
    topology_to_dict,
    write_private,
)
from lab.topology import Topology, TopologyError

log = logging.getLogger("lab.sim")

STATE_FILE = "state.json"
PID_FILE = "lab.pid"
CONTROL_SOCKET = "control.sock"
CONFIG_FILE = "config.json"
LOG_FILE = "lab.log"
ERROR_FILE = "startup-error.txt"

ROOT_SNMP_PORT = 161
USER_SNMP_PORT = 16100


class LabError(RuntimeError):
    """The lab could not be started, stopped or reached; the message says why."""


def default_snmp_port() -> int:
    """161 as root, 16100 otherwise; ``OSSAGENT_LAB_SNMP_PORT`` overrides both."""
    env = os.environ.get("OSSAGENT_LAB_SNMP_PORT")
    if env:
        try:
            port = int(env)
        except ValueError:
            raise LabError(f"OSSAGENT_LAB_SNMP_PORT={env!r} is not a port number") from None
        if not 1 <= port <= 65535:
            raise LabError(f"OSSAGENT_LAB_SNMP_PORT={port} is out of range")
        return port
    return ROOT_SNMP_PORT if os.geteuid() == 0 else USER_SNMP_PORT


# ---------------------------------------------------------------------------------------------
# Process helpers
# ---------------------------------------------------------------------------------------------


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _wait_gone(pid: int, start: int | None, deadline: float) -> bool:
    while True:
        _reap(pid)
        now_start = start_time(pid)
        if now_start is None or (start is not None and now_start != start):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def _is_runner(pid: int) -> bool:
    try:
        return b"lab.sim" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _raise_fd_limit(needed: int) -> None:
    """``needed`` devices: an SNMP socket each, up to three listening face sockets, headroom."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed *= 4
    want = needed + 256
    if soft != resource.RLIM_INFINITY and soft < want:
        new = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(new, soft), hard))
        if new < want:
            raise LabError(f"{needed} devices need {want} file descriptors; the hard limit is {hard}")


def _cleanup_files(state_dir: Path) -> None:
    for name in (STATE_FILE, PID_FILE, CONTROL_SOCKET, CONFIG_FILE):
        with contextlib.suppress(FileNotFoundError):
            (state_dir / name).unlink()
    for p in state_dir.glob("worker-*.sock"):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def read_state(state_dir: Path) -> LabState | None:
    """The running lab's state, or None when there is no lab state or its process is gone."""
    state_dir = Path(state_dir)
    pid = alive(state_dir / PID_FILE)
    if pid is None:
        return None
    try:
        st = LabState.from_json((state_dir / STATE_FILE).read_text())
    except FileNotFoundError:
        return None  # still starting
    except (ValueError, KeyError, TypeError) as exc:
        raise LabError(f"{state_dir / STATE_FILE} is not a lab state file: {exc}") from exc
    return st if st.pid == pid else None


def send(state_dir: Path, command: Mapping[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one control request to the lab in ``state_dir`` and return its answer."""
    state_dir = Path(state_dir)
    if alive(state_dir / PID_FILE) is None:
        raise LabError(f"no lab is running in {state_dir}")
    try:
        return request(state_dir / CONTROL_SOCKET, command, timeout)
    except ControlError as exc:
        raise LabError(str(exc)) from None


def default_face_ports() -> dict[str, int]:
    """SSH CLI 22, NETCONF 830, eAPI 80 as root; 2200, 8300, 8080 otherwise."""
    return dict(ROOT_PORTS if os.geteuid() == 0 else USER_PORTS)


def start(
    topology: Topology,
    state_dir: Path,
    *,
    address_base: str | None = None,
    snmp_port: int | None = None,
    workers: int = 1,
    trap_receivers: Sequence[tuple[str, int]] = (),
    foreground: bool = False,
    ssh_port: int | None = None,
    netconf_port: int | None = None,
    eapi_port: int | None = None,
    faces: bool = True,
) -> LabState:
    """Start a simulated lab for ``topology``; see the module docstring. ``faces=False`` runs
    SNMP agents only (no SSH, NETCONF or eAPI servers)."""
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    if alive(state_dir / PID_FILE) is not None:
        raise LabError(f"a lab is already running in {state_dir} (stop it first)")
    _cleanup_files(state_dir)
    with contextlib.suppress(FileNotFoundError):
        (state_dir / ERROR_FILE).unlink()
    check_socket_path(state_dir / CONTROL_SOCKET)

    port = default_snmp_port() if snmp_port is None else snmp_port
    base = address_base or default_address_base(topology.name)
    if not isinstance(workers, int) or workers < 1:
        raise LabError("workers must be a positive integer")
    receivers = []
    for host, rport in trap_receivers:
        try:
            check_loopback(host)
        except DeviceError as exc:
            raise LabError(f"trap receiver: {exc}") from None
        receivers.append([host, int(rport)])
    profiles = lab_profiles()
    try:
        models = build_devices(topology, address_base=base, snmp_port=port)
    except (DeviceError, TopologyError) as exc:
        raise LabError(f"topology {topology.name}: {exc}") from exc
    for m in models:
        if m.snmp_profile not in profiles:
            raise LabError(
                f"node {m.name}: unknown ossagent-snmp-profile {m.snmp_profile!r} (use one of {', '.join(profiles)})"
            )
    face_ports = default_face_ports()
    for key, value in (("ssh", ssh_port), ("netconf", netconf_port), ("eapi", eapi_port)):
        if value is not None:
            if not isinstance(value, int) or not 1 <= value <= 65535:
                raise LabError(f"{key} port {value!r} out of range")
            face_ports[key] = value
    if faces:
        try:
            for m in models:
                _face_info(m, face_ports, profiles, None)
        except ValueError as exc:
            raise LabError(str(exc)) from None
    config = {
        "name": topology.name,
        "topology": topology_to_dict(topology),
        "topology_path": str(topology.path) if topology.path else None,
        "address_base": base,
        "snmp_port": port,
        "workers": min(workers, len(models)),
        "trap_receivers": receivers,
        "profiles": profiles,
        "faces": face_ports if faces else None,
    }
    write_private(state_dir / CONFIG_FILE, json.dumps(config))

    if foreground:
        return _run_foreground(state_dir, config)

    log_file = open(state_dir / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lab.sim", "serve", "--state-dir", str(state_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=python_env(),
            start_new_session=True,  # Ctrl-C in the caller's terminal does not reach the lab
            close_fds=True,
        )
    finally:
        log_file.close()
    deadline = time.monotonic() + 30.0 + 0.02 * len(models)
    try:
        while True:
            if proc.poll() is not None:
                raise LabError(_startup_error(state_dir, proc.returncode))
            found = read_state(state_dir)
            if found is not None and found.pid == proc.pid:
                state = found
                break
            if time.monotonic() > deadline:
                raise LabError(f"the lab did not start within {deadline:.0f} s (see {state_dir / LOG_FILE})")
            time.sleep(0.05)
        missing = _wait_answering(state, models, profiles)
        if missing:
            raise LabError(
                f"{len(missing)} simulated devices do not answer SNMP: "
                + ", ".join(f"{m.name} ({m.address}:{m.snmp_port})" for m in missing[:5])
            )
    except BaseException:
        _kill_group(proc)
        _cleanup_files(state_dir)
        raise
    return state


def _wait_answering(
    state: LabState, models: Sequence[DeviceModel], profiles: Mapping[str, Any]
) -> list[DeviceModel]:
    targets = [(m.address, m.snmp_port) for m in models]
    answered = probe(targets, profiles[PROFILE_V2C]["community"], timeout=10.0 + 0.005 * len(models))
    return [m for i, m in enumerate(models) if i not in answered]


def _startup_error(state_dir: Path, code: int | None) -> str:
    try:
        msg = (state_dir / ERROR_FILE).read_text().strip()
        if msg:
            return msg
    except FileNotFoundError:
        pass
    try:
        tail = (state_dir / LOG_FILE).read_text(errors="replace").strip().splitlines()[-5:]
    except FileNotFoundError:
        tail = []
    return f"the lab process exited with status {code}" + (": " + " | ".join(tail) if tail else "")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def stop(state_dir: Path, timeout: float = 10.0) -> bool:
    """Stop the lab in ``state_dir``; True if one was running. Leaves no process behind."""
    state_dir = Path(state_dir)
    rec = read_pid(state_dir / PID_FILE)
    worker_pids: list[int] = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        worker_pids = [
            int(p) for p in json.loads((state_dir / STATE_FILE).read_text()).get("worker_pids", [])
        ]
    running = rec is not None and start_time(rec[0]) == rec[1]
    deadline = time.monotonic() + timeout
    if running and rec is not None:
        pid, started = rec
        with contextlib.suppress(ControlError):
            request(state_dir / CONTROL_SOCKET, {"op": "shutdown"}, timeout=min(2.0, timeout))
        if pid == os.getpid():
            # A foreground lab in this very process (another thread): it cleans up itself.
            while alive(state_dir / PID_FILE) is not None and time.monotonic() < deadline:
                time.sleep(0.02)
        elif not _wait_gone(pid, started, time.monotonic() + timeout / 2):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if os.getpgid(pid) == pid:
                        os.killpg(pid, sig)
                    else:
                        os.kill(pid, sig)
                if _wait_gone(pid, started, max(deadline, time.monotonic() + 1.0)):
                    break
    for wpid in worker_pids:
        # Workers exit with their parent; this only catches one that did not (checked to be
        # ours by its command line, so a recycled PID is never signalled).
        if start_time(wpid) is not None and _is_runner(wpid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(wpid, signal.SIGKILL)
            _wait_gone(wpid, None, time.monotonic() + 2.0)
    _cleanup_files(state_dir)
    return running


# ---------------------------------------------------------------------------------------------
# The lab process
# ---------------------------------------------------------------------------------------------


def _face_info(
    m: DeviceModel, ports: Mapping[str, int], profiles: Mapping[str, Any], state_dir: Path | None
) -> FaceInfo:
    """What state.json says about a node's faces (the same rules the shard's Device follows)."""
    faces = faces_for(m.kind, m.labels)
    user, password = credentials_for(m.kind, m.username, m.password)
    datastore = m.labels.get("ossagent-netconf-datastore", "candidate") or "candidate"
    if datastore not in ("candidate", "running"):
        raise ValueError(f"node {m.name}: ossagent-netconf-datastore must be candidate or running")
    return FaceInfo(
        faces=faces,
        cli_dialect=dialect_for(m.kind, faces),
        ssh_port=ports["ssh"] if "cli" in faces else 0,
        netconf_port=ports["netconf"] if "netconf" in faces else 0,
        eapi_port=ports["eapi"] if "eapi" in faces else 0,
        username=user,
        password=password,
        host_key=hostkeys.public_key_of(state_dir, m.name) if state_dir is not None else "",
        netconf_datastore=datastore if "netconf" in faces else "",
    )


def _face_config(state_dir: Path, cfg: Mapping[str, Any], *, worker: bool) -> FaceConfig | None:
    ports = cfg.get("faces")
    if not ports:
        return None
    return FaceConfig(
        state_dir=state_dir,
        ssh_port=int(ports["ssh"]),
        netconf_port=int(ports["netconf"]),
        eapi_port=int(ports["eapi"]),
        control_socket=state_dir / CONTROL_SOCKET if worker else None,
    )


def _known_hosts(state_dir: Path, nodes: Sequence[Any]) -> str:
    lines = hostkeys.known_hosts_lines(
        (n.address, (n.ssh_port, n.netconf_port), n.host_key) for n in nodes if n.host_key
    )
    return str(hostkeys.write_known_hosts(state_dir, lines))


def _chunks(models: Sequence[DeviceModel], n: int) -> list[list[DeviceModel]]:
    size = math.ceil(len(models) / n)
    return [list(models[i * size : (i + 1) * size]) for i in range(n)]


def _run_foreground(state_dir: Path, config: dict[str, Any]) -> LabState:
    try:
        return asyncio.run(_run_lab(state_dir, config))
    except (BindError, DeviceError, TopologyError, ControlError) as exc:
        raise LabError(str(exc)) from exc


async def _run_lab(state_dir: Path, cfg: dict[str, Any]) -> LabState:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    topo = topology_from_dict(cfg["topology"])
    models = build_devices(topo, address_base=cfg["address_base"], snmp_port=cfg["snmp_port"])
    profiles = cfg["profiles"]
    receivers = [(str(h), int(p)) for h, p in cfg["trap_receivers"]]
    nworkers = int(cfg["workers"])
    faces = _face_config(state_dir, cfg, worker=False)
    if faces is not None:
        # Before any worker starts: every process of the lab reads the same key files.
        hostkeys.ensure_host_keys(state_dir, [m.name for m in models])
    procs: list[subprocess.Popen[bytes]] = []
    shard: Shard | None = None
    backends: list[Backend] = []
    owners: dict[str, int] = {}
    server: ControlServer | None = None
    tasks: list[asyncio.Task[None]] = []
    state: LabState | None = None
    try:
        if nworkers == 1:
            _raise_fd_limit(len(models))
            shard = Shard(models, models, profiles, receivers, faces)
            shard.bind()
            shard.start(loop)
            await shard.start_faces()
            backends = [LocalBackend(shard)]
            owners = {m.name: 0 for m in models}
        else:
            chunks = _chunks(models, nworkers)
            for k in range(nworkers):
                procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "lab.sim",
                            "worker",
                            "--state-dir",
                            str(state_dir),
                            "--index",
                            str(k),
                        ],
                        stdin=subprocess.DEVNULL,
                        env=python_env(),
                    )
                )
            await _wait_workers(state_dir, procs, 30.0 + 0.02 * len(models))
            backends = [RemoteBackend(state_dir / f"worker-{k}.sock") for k in range(nworkers)]
            owners = {m.name: k for k, chunk in enumerate(chunks) for m in chunk}

        def on_receivers(targets: list[tuple[str, int]]) -> None:
            nonlocal state
            if state is not None:
                state = _replace_receivers(state, targets)
                write_private(state_dir / STATE_FILE, state.to_json())

        def on_host_key(node: str, key: str) -> None:
            nonlocal state
            if state is not None:
                state = replace(
                    state, nodes=tuple(replace(n, host_key=key) if n.name == node else n for n in state.nodes)
                )
                _known_hosts(state_dir, state.nodes)
                write_private(state_dir / STATE_FILE, state.to_json())

        controller = Controller(
            models,
            owners,
            backends,
            on_shutdown=stopping.set,
            on_receivers=on_receivers,
            on_host_key=on_host_key,
        )
        server = ControlServer(state_dir / CONTROL_SOCKET, controller.handle)
        await server.start()
        fports = cfg.get("faces")
        nodes = tuple(
            node_state(m, _face_info(m, fports, profiles, state_dir) if fports else None) for m in models
        )
        known = _known_hosts(state_dir, nodes) if fports else ""
        state = LabState(
            name=cfg["name"],
            pid=os.getpid(),
            topology_path=cfg.get("topology_path"),
            started=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            control_socket=str(state_dir / CONTROL_SOCKET),
            profiles=profiles,
            nodes=nodes,
            address_base=cfg["address_base"],
            snmp_port=int(cfg["snmp_port"]),
            workers=nworkers,
            worker_pids=tuple(p.pid for p in procs),
            trap_receivers=tuple(receivers),
            state_dir=str(state_dir),
            known_hosts=known,
            ssh_config=str(state_dir / hostkeys.SSH_CONFIG) if fports else "",
        )
        write_pid(state_dir / PID_FILE)
        write_private(state_dir / STATE_FILE, state.to_json())
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stopping.set)
        if procs:
            tasks.append(asyncio.create_task(_watch_workers(procs, stopping)))
        log.info("lab %s: %d devices on %s.x:%s, %d worker(s)", cfg["name"], len(models), cfg["address_base"],
                 cfg["snmp_port"], nworkers)  # fmt: skip
        await stopping.wait()
        log.info("lab %s: stopping", cfg["name"])
        return state
    finally:
        for task in tasks:
            task.cancel()
        if server is not None:
            await server.close()
        for b in backends:
            if isinstance(b, RemoteBackend):
                await b.close()
        if shard is not None:
            await shard.aclose()
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                await asyncio.to_thread(p.wait, 5.0)
            except subprocess.TimeoutExpired:
                p.kill()
                await asyncio.to_thread(p.wait)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        for name in (STATE_FILE, PID_FILE):
            with contextlib.suppress(FileNotFoundError):
                (state_dir / name).unlink()


def _replace_receivers(state: LabState, targets: list[tuple[str, int]]) -> LabState:
    return replace(state, trap_receivers=tuple(targets))


async def _wait_workers(state_dir: Path, procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = set(range(len(procs)))
    while pending:
        for k in sorted(pending):
            if procs[k].poll() is not None:
                msg = ""
                with contextlib.suppress(FileNotFoundError):
                    msg = (state_dir / f"{ERROR_FILE}.{k}").read_text().strip()
                raise DeviceError(msg or f"worker {k} exited with status {procs[k].returncode}")
            path = state_dir / f"worker-{k}.sock"
            if path.exists():
                try:
                    answer = await asyncio.to_thread(request, path, {"op": "ping"}, 2.0)
                except ControlError:
                    continue
                if answer.get("ok"):
                    pending.discard(k)
        if time.monotonic() > deadline:
            raise DeviceError(f"workers {sorted(pending)} did not start within {timeout:.0f} s")
        await asyncio.sleep(0.05)


async def _watch_workers(procs: list[subprocess.Popen[bytes]], stopping: asyncio.Event) -> None:
    """One dead worker takes the lab down: a half-answering lab would mislead every test."""
    while not stopping.is_set():
        for k, p in enumerate(procs):
            if p.poll() is not None:
                log.error(
                    "worker %d (pid %d) exited with status %s: stopping the lab", k, p.pid, p.returncode
                )
                stopping.set()
                return
        await asyncio.sleep(0.5)


async def _run_worker(state_dir: Path, cfg: dict[str, Any], index: int) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    topo = topology_from_dict(cfg["topology"])
    models = build_devices(topo, address_base=cfg["address_base"], snmp_port=cfg["snmp_port"])
    mine = _chunks(models, int(cfg["workers"]))[index]
    _raise_fd_limit(len(mine))
    receivers = [(str(h), int(p)) for h, p in cfg["trap_receivers"]]
    shard = Shard(mine, models, cfg["profiles"], receivers, _face_config(state_dir, cfg, worker=True))
    shard.bind()
    server = ControlServer(state_dir / f"worker-{index}.sock", shard.handle)
    parent = os.getppid()
    try:
        shard.start(loop)
        await shard.start_faces()
        await server.start()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        while not stopping.is_set():
            if os.getppid() != parent:
                log.error("worker %d: the lab process is gone, exiting", index)
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stopping.wait(), 1.0)
    finally:
        await server.close()
        await shard.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab.sim", description="simulated lab process")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_serve = sub.add_parser("serve", help="run the lab described by STATE_DIR/config.json")
    p_serve.add_argument("--state-dir", required=True, type=Path)
    p_worker = sub.add_parser("worker", help="serve one share of the devices (started by 'serve')")
    p_worker.add_argument("--state-dir", required=True, type=Path)
    p_worker.add_argument("--index", required=True, type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    # asyncssh logs every listener and connection at INFO: a 100-node lab would drown its log.
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    state_dir: Path = args.state_dir.resolve()
    error_file = state_dir / (ERROR_FILE if args.cmd == "serve" else f"{ERROR_FILE}.{args.index}")
    try:
        cfg = json.loads((state_dir / CONFIG_FILE).read_text())
        if args.cmd == "serve":
            asyncio.run(_run_lab(state_dir, cfg))
        else:
            asyncio.run(_run_worker(state_dir, cfg, args.index))
    except (
        BindError,
        DeviceError,
        TopologyError,
        ControlError,
        LabError,
        OSError,
        ValueError,
        KeyError,
    ) as exc:
        msg = str(exc) or type(exc).__name__
        log.error("%s", msg)
        write_private(error_file, msg + "\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
