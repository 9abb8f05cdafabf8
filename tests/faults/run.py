#!/usr/bin/env python3
"""Inject faults into a jobleaderd cluster and check its leadership history.

Starts a 3-server ZooKeeper ensemble (deploy/zk.sh), jobleaderd nodes with
short timeouts on a new HBase table, then injects faults one at a time, each
followed by recovery and a settle period. Every fault, node start, kill and
exit is written to OUT/faults.jsonl with CLOCK_MONOTONIC times, and a
poller writes the stored lease of `jobleader status --json` to
OUT/lease.jsonl about every 0.5 s. tests/faults/checker.py then judges the
run, and its exit status is this program's.

Without --faults or --duration the run is the CI sequence (CI_SEQUENCE):
every fault kind once, then a second pass over three of them. With either
option, kinds are drawn by a RNG seeded with --seed.

Exit status: 0 no violation, 1 violations, 2 bad usage or a failed setup
or fault step (the checker still runs on what was recorded).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

FAULTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(FAULTS_DIR.parent / "integration"))

import checker  # noqa: E402
import harness  # noqa: E402

# Daemon timing for every node. The ensemble's tickTime is 500 ms, so the
# server accepts this session timeout as requested.
TIMING = checker.Timing(session_timeout_ms=4000, safety_margin_ms=1000,
                        renew_interval_ms=500, lease_ttl_ms=3000,
                        retry_max_backoff_ms=2000)
THRIFT_TIMEOUT_MS = 2000
SESSION_S = TIMING.session_timeout_ms / 1000
ZK_SERVERS = 3
LEASE_POLL_S = 0.5
STATUS_TIMEOUT_S = 15.0
LEADER_TIMEOUT_S = 60.0
FENCE_NODE = "node-fence"
IGNORE_DEADLINE_ENV = "JOBLEADER_DEBUG_IGNORE_DEADLINE"

FAULT_KINDS = [
    "sigkill-standby",
    "sigkill-leader",
    "sigterm-leader",
    "sigstop-leader",
    "zk-kill-follower",
    "zk-kill-zk-leader",
    "zk-quorum-loss",
    "thrift-kill",
    "partition-leader",
    "sigstop-leader-fenced",
]
# Every kind once, then a second pass over the faults that end a
# leadership without warning.
CI_SEQUENCE = FAULT_KINDS + ["sigkill-leader", "sigstop-leader",
                             "zk-kill-zk-leader"]


def mono_us() -> int:
    return int(time.monotonic() * 1_000_000)


def say(message: str):
    print(f"run.py: {message}", flush=True)


class StepFailed(Exception):
    """A fault or recovery step that could not be carried out."""


class NoLeader(StepFailed):
    """No consistent leader appeared within LEADER_TIMEOUT_S."""


# ---- Records ----

class RunLog:
    """Appends JSON records to a file, one object per line, from any thread."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, record: dict):
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a") as output:
            output.write(line)


class LeasePoller(threading.Thread):
    """Polls `jobleader status --json` and records the stored lease."""

    def __init__(self, config_path: Path, log: RunLog):
        super().__init__(name="lease-poller", daemon=True)
        self.config_path = config_path
        self.log = log
        self.stopping = threading.Event()

    def observe(self) -> dict:
        started = mono_us()
        record = {"mono_us": started, "lease_epoch": None}
        try:
            code, document, stderr = harness.status(self.config_path,
                                                    STATUS_TIMEOUT_S)
        except (subprocess.TimeoutExpired, json.JSONDecodeError) as error:
            record.update(end_mono_us=mono_us(), exit_code=None,
                          error=str(error))
            return record

        record.update(end_mono_us=mono_us(), exit_code=code)
        if document is None:
            lines = stderr.strip().splitlines()
            record["error"] = lines[-1] if lines else None
            return record
        lease = document.get("lease") or {}
        leader = document.get("leader") or {}
        record.update(lease_epoch=lease.get("epoch"),
                      lease_holder=lease.get("holder"),
                      lease_stale=lease.get("stale"),
                      lease_released_at_ms=lease.get("released_at_ms"),
                      leader_epoch=leader.get("epoch"),
                      leader_holder=leader.get("holder"),
                      consistent=document.get("consistent"))
        return record

    def run(self):
        while not self.stopping.is_set():
            started = time.monotonic()
            self.log.write(self.observe())
            self.stopping.wait(max(0.0, started + LEASE_POLL_S
                                   - time.monotonic()))

    def stop(self):
        self.stopping.set()
        self.join(STATUS_TIMEOUT_S + 5)


# ---- Network partition ----

class TcpForwarder:
    """Accepts TCP connections on a host address and relays each one to
    127.0.0.1:PORT, so a node in another network namespace can reach a
    server that listens on loopback only."""

    def __init__(self, listen_host: str, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server((listen_host, 0))
        self.listener.settimeout(0.5)
        self.address = f"{listen_host}:{self.listener.getsockname()[1]}"
        self.closed = threading.Event()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        threading.Thread(target=self.accept_loop, daemon=True,
                         name=f"forward-{target_port}").start()

    def accept_loop(self):
        while not self.closed.is_set():
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(
                    ("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            downstream.settimeout(None)
            with self.lock:
                self.sockets.update((downstream, upstream))
            for source, target in ((downstream, upstream),
                                   (upstream, downstream)):
                threading.Thread(target=self.relay, args=(source, target),
                                 daemon=True).start()

    def relay(self, source: socket.socket, target: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        # Neither ZooKeeper nor Thrift uses half-closed connections, so the
        # end of either direction ends the pair.
        for sock in (source, target):
            self.discard(sock)

    def discard(self, sock: socket.socket):
        with self.lock:
            self.sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def close(self):
        self.closed.set()
        self.listener.close()
        with self.lock:
            sockets = list(self.sockets)
        for sock in sockets:
            self.discard(sock)


def run_ip(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *arguments], capture_output=True,
                            text=True)
    if check and result.returncode != 0:
        raise StepFailed(f"'ip {' '.join(arguments)}' failed with status "
                         f"{result.returncode}: {result.stderr.strip()}")
    return result


def used_networks() -> list[ipaddress.IPv4Network]:
    """Networks of every IPv4 address and route on this host."""
    networks = []
    for entry in json.loads(run_ip("-j", "-4", "addr").stdout or "[]"):
        for info in entry.get("addr_info", []):
            networks.append(ipaddress.ip_network(
                f"{info['local']}/{info['prefixlen']}", strict=False))
    routes = json.loads(run_ip("-j", "-4", "route", "show", "table",
                               "all").stdout or "[]")
    for route in routes:
        destination = route.get("dst", "default")
        if destination != "default":
            networks.append(ipaddress.ip_network(destination, strict=False))
    return networks


class NetworkNamespace:
    """A network namespace joined to the root namespace by a veth pair.

    The root side has the first address of a /30 network that no address
    or route of this host uses, and the namespace side has the second. Taking
    the root side down cuts the pair without resetting connections, so TCP
    peers on both sides see silence, as in a real partition.
    """

    def __init__(self, tag: int):
        self.name = f"jlf{tag}"
        self.host_link = f"jlf{tag}h"
        self.inner_link = f"jlf{tag}n"
        self.network = self.pick_network(tag)
        hosts = list(self.network.hosts())
        self.host_address = str(hosts[0])
        self.inner_address = str(hosts[1])
        self.created = False

    @staticmethod
    def unavailable_reason() -> str | None:
        if os.geteuid() != 0:
            return "it needs root to create a network namespace and a veth pair"
        if shutil.which("ip") is None:
            return "the 'ip' command (iproute2) is not installed"
        return None

    @staticmethod
    def pick_network(tag: int) -> ipaddress.IPv4Network:
        used = used_networks()
        for offset in range(1024):
            index = (tag + offset) % 16384
            candidate = ipaddress.ip_network(
                f"10.231.{index // 64}.{(index % 64) * 4}/30")
            if not any(candidate.overlaps(network) for network in used):
                return candidate
        raise StepFailed("found no free /30 network in 10.231.0.0/16 for the "
                         "partition namespace")

    def create(self):
        run_ip("netns", "add", self.name)
        self.created = True
        run_ip("link", "add", self.host_link, "type", "veth", "peer", "name",
               self.inner_link)
        run_ip("link", "set", self.inner_link, "netns", self.name)
        prefix = self.network.prefixlen
        run_ip("addr", "add", f"{self.host_address}/{prefix}", "dev",
               self.host_link)
        run_ip("link", "set", self.host_link, "up")
        run_ip("-n", self.name, "addr", "add",
               f"{self.inner_address}/{prefix}", "dev", self.inner_link)
        run_ip("-n", self.name, "link", "set", self.inner_link, "up")
        run_ip("-n", self.name, "link", "set", "lo", "up")

    def cut(self):
        run_ip("link", "set", self.host_link, "down")

    def heal(self):
        run_ip("link", "set", self.host_link, "up")

    def destroy(self):
        if not self.created:
            return
        # Deleting the namespace deletes the veth end inside it, and with
        # it the root end; the explicit delete covers a failed move.
        run_ip("netns", "delete", self.name, check=False)
        run_ip("link", "delete", self.host_link, check=False)
        self.created = False

    @property
    def command_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]


# ---- The cluster under test ----

@dataclass
class FaultRecord:
    kind: str
    start_us: int
    end_us: int
    target: str | None = None
    details: dict = field(default_factory=dict)


class FaultRunner:
    """The ensemble, the nodes and the fault injectors of one run."""

    def __init__(self, arguments, out: Path, log: RunLog,
                 zookeeper: harness.ZooKeeper, thrift_servers: str,
                 hbase_dir: Path | None, rng: random.Random):
        self.arguments = arguments
        self.out = out
        self.log = log
        self.zookeeper = zookeeper
        self.thrift_servers = thrift_servers
        self.hbase = harness.HBase(hbase_dir) if hbase_dir else None
        self.rng = rng
        self.table = f"jl_faults_{uuid.uuid4().hex[:10]}"
        self.nodes: list[harness.Node] = []
        self.fence_node: harness.Node | None = None
        # Names of the nodes that should be running. The process watcher
        # thread and the main thread share it under self.lock.
        self.running: set[str] = set()
        self.crashed: list[harness.Node] = []
        self.lock = threading.Lock()
        self.watcher_stopping = threading.Event()
        self.watcher: threading.Thread | None = None
        self.namespace: NetworkNamespace | None = None
        self.namespace_node: harness.Node | None = None
        self.namespace_zk_connect = ""
        self.namespace_thrift = ""
        self.forwarders: list[TcpForwarder] = []
        self.partition_skip_reason: str | None = None
        self.observer_config: Path | None = None
        self.fault_count = 0

    # ---- Setup ----

    def settings(self, zk_connect: str,
                 thrift_servers: str) -> harness.NodeSettings:
        return harness.NodeSettings(
            zk_connect=zk_connect, metadata_url=f"{self.table}@hbase",
            thrift_servers=thrift_servers,
            session_timeout_ms=TIMING.session_timeout_ms,
            safety_margin_ms=TIMING.safety_margin_ms,
            renew_interval_ms=TIMING.renew_interval_ms,
            lease_ttl_ms=TIMING.lease_ttl_ms,
            retry_max_backoff_ms=TIMING.retry_max_backoff_ms,
            thrift_timeout_ms=THRIFT_TIMEOUT_MS)

    def forward(self, servers: str) -> str:
        """Start a forwarder for each HOST:PORT of a comma list and return
        the list of forwarder addresses."""
        addresses = []
        for server in servers.split(","):
            host, _, port = server.strip().rpartition(":")
            if host not in ("127.0.0.1", "localhost"):
                raise StepFailed(f"cannot forward to '{server}': only servers "
                                 f"on 127.0.0.1 are supported")
            forwarder = TcpForwarder(self.namespace.host_address, int(port))
            self.forwarders.append(forwarder)
            addresses.append(forwarder.address)
        return ",".join(addresses)

    def set_up_namespace(self):
        reason = NetworkNamespace.unavailable_reason()
        if reason is None:
            try:
                self.namespace = NetworkNamespace(os.getpid())
                self.namespace.create()
                self.namespace_zk_connect = self.forward(
                    self.zookeeper.connect_string)
                self.namespace_thrift = self.forward(self.thrift_servers)
            except (StepFailed, OSError) as error:
                reason = f"setting up the namespace failed: {error}"
                self.close_namespace()
                self.namespace = None
        if reason is not None:
            self.partition_skip_reason = reason
            say(f"partition-leader will be skipped: {reason}")
            return

        say(f"namespace {self.namespace.name}: node address "
            f"{self.namespace.inner_address}, ZooKeeper via "
            f"{self.namespace_zk_connect}, Thrift via {self.namespace_thrift}")

    def create_nodes(self):
        local = self.settings(self.zookeeper.connect_string,
                              self.thrift_servers)
        observer = harness.Node(self.out / "observer", "observer", local)
        self.observer_config = observer.config_path
        for index in range(1, self.arguments.nodes + 1):
            name = f"node-{index}"
            folder = self.out / "nodes" / name
            if self.namespace is not None and index == self.arguments.nodes:
                node = harness.Node(
                    folder, name,
                    self.settings(self.namespace_zk_connect,
                                  self.namespace_thrift),
                    command_prefix=self.namespace.command_prefix,
                    own_process_group=True)
                self.namespace_node = node
            else:
                node = harness.Node(folder, name, local,
                                    own_process_group=True)
            self.nodes.append(node)
        self.fence_node = harness.Node(self.out / "nodes" / FENCE_NODE,
                                       FENCE_NODE, local,
                                       env={IGNORE_DEADLINE_ENV: "1"},
                                       own_process_group=True)

    # ---- Node processes ----

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.out))

    def start_node(self, node: harness.Node):
        node.start()
        with self.lock:
            self.running.add(node.name)
        self.log.write({
            "record": "node-started", "node": node.name,
            "holder": node.host_address, "pid": node.pid,
            "mono_us": mono_us(), "event_log": self.relative(node.event_log),
            "daemon_log": self.relative(node.log_path),
            "ignore_deadline": node.env.get(IGNORE_DEADLINE_ENV) == "1",
            "netns": node is self.namespace_node})

    def kill_node(self, node: harness.Node):
        with self.lock:
            if node.name not in self.running:
                return
            self.running.discard(node.name)
        pid = node.pid
        node.kill()
        self.log.write({"record": "node-killed", "node": node.name,
                        "holder": node.host_address, "pid": pid,
                        "mono_us": mono_us()})

    def stop_node(self, node: harness.Node) -> int | None:
        """SIGTERM the node and wait for it. A node that ignores SIGTERM for
        15 s is SIGKILLed and recorded as killed; both that and a non-zero
        status are recorded as unexpected."""
        self.record_crashes()
        with self.lock:
            if node.name not in self.running:
                return node.process.returncode if node.process else None
            self.running.discard(node.name)
        pid = node.pid
        returncode = node.stop()
        record = "node-killed" if returncode == -signal.SIGKILL \
            else "node-exited"
        self.log.write({"record": record, "node": node.name,
                        "holder": node.host_address, "pid": pid,
                        "mono_us": mono_us(), "returncode": returncode,
                        "stopped": True, "expected": returncode == 0})
        if returncode != 0:
            say(f"{node.name} (pid {pid}) ended with status {returncode} "
                f"after SIGTERM; see {node.log_path}")
        return returncode

    def all_nodes(self) -> list[harness.Node]:
        return self.nodes + ([self.fence_node] if self.fence_node else [])

    def record_crashes(self):
        """Record nodes that exited on their own since the last call."""
        with self.lock:
            for node in self.all_nodes():
                if node.name not in self.running or node.alive():
                    continue
                self.running.discard(node.name)
                self.crashed.append(node)
                self.log.write({"record": "node-exited", "node": node.name,
                                "holder": node.host_address, "pid": node.pid,
                                "mono_us": mono_us(),
                                "returncode": node.process.returncode,
                                "expected": False})
                say(f"{node.name} (pid {node.pid}) exited on its own with "
                    f"status {node.process.returncode}; see {node.log_path}")

    def watch_processes(self):
        """Record crashes every 0.1 s, so the exit time that ends a crashed
        leader's interval is at most that late."""
        while not self.watcher_stopping.wait(0.1):
            self.record_crashes()

    def start_watcher(self):
        self.watcher = threading.Thread(target=self.watch_processes,
                                        name="process-watcher", daemon=True)
        self.watcher.start()

    def stop_watcher(self):
        self.watcher_stopping.set()
        if self.watcher is not None:
            self.watcher.join()

    def check_processes(self):
        """Record nodes that exited on their own and start them again,
        except the deadline-ignoring node."""
        self.record_crashes()
        with self.lock:
            crashed, self.crashed = self.crashed, []
        for node in crashed:
            if node is not self.fence_node:
                self.start_node(node)

    # ---- Leadership ----

    @staticmethod
    def process_events(node: harness.Node) -> list[dict]:
        return [event for event in node.events()
                if event.get("pid") == node.pid]

    def is_acting(self, node: harness.Node) -> bool:
        transitions = [event["event"] for event in self.process_events(node)
                       if event["event"] in ("elected", "stepped-down")]
        return bool(transitions) and transitions[-1] == "elected"

    def find_leader(self) -> harness.Node | None:
        """Return the node that status reports as a consistent leader and
        whose event log shows it acting, else None."""
        try:
            code, document, _ = harness.status(self.observer_config,
                                               STATUS_TIMEOUT_S)
        except (subprocess.TimeoutExpired, json.JSONDecodeError):
            return None
        if code != 0 or not document or not document.get("consistent"):
            return None
        holder = document["leader"]["holder"]
        for node in self.all_nodes():
            if node.host_address == holder and node.name in self.running \
                    and node.alive() and self.is_acting(node):
                return node
        return None

    def wait_for_leader(self, timeout: float = LEADER_TIMEOUT_S,
                        exclude: harness.Node | None = None) \
            -> harness.Node | None:
        deadline = time.monotonic() + timeout
        while True:
            self.check_processes()
            leader = self.find_leader()
            if leader is not None and leader is not exclude:
                return leader
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def require_leader(self) -> harness.Node:
        leader = self.wait_for_leader()
        if leader is None:
            raise NoLeader(f"no consistent leader within {LEADER_TIMEOUT_S:.0f}"
                           f" s; see {self.out}/lease.jsonl")
        return leader

    def wait_for_event(self, node: harness.Node, seen: int, kinds: set[str],
                       timeout: float) -> dict | None:
        """Wait for an event of the given kinds among the events of the
        node's current process that follow its first `seen` events."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.process_events(node)[seen:]:
                if event["event"] in kinds:
                    return event
            time.sleep(0.1)
        return None

    @staticmethod
    def sleep_until(moment: float):
        remaining = moment - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)

    # ---- Faults ----

    def sigkill_leader(self) -> FaultRecord:
        leader = self.require_leader()
        start = mono_us()
        self.kill_node(leader)
        end = mono_us()
        successor = self.wait_for_leader(SESSION_S + 20, exclude=leader)
        self.start_node(leader)
        return FaultRecord("sigkill-leader", start, end, leader.name,
                           {"successor": successor and successor.name})

    def sigkill_standby(self) -> FaultRecord:
        leader = self.require_leader()
        standbys = [node for node in self.nodes
                    if node is not leader and node.name in self.running]
        if not standbys:
            raise StepFailed("no standby node is running")
        victim = self.rng.choice(standbys)
        start = mono_us()
        self.kill_node(victim)
        end = mono_us()
        time.sleep(self.rng.uniform(0.5, 2.0))
        self.start_node(victim)
        return FaultRecord("sigkill-standby", start, end, victim.name)

    def sigterm_leader(self, purpose: str | None = None) -> FaultRecord:
        leader = self.require_leader()
        start = mono_us()
        returncode = self.stop_node(leader)
        end = mono_us()
        successor = self.wait_for_leader(10, exclude=leader)
        if leader is not self.fence_node:
            self.start_node(leader)
        details = {"returncode": returncode,
                   "successor": successor and successor.name}
        if purpose:
            details["purpose"] = purpose
        return FaultRecord("sigterm-leader", start, end, leader.name, details)

    def sigstop_leader(self, fenced: bool = False) -> FaultRecord:
        kind = "sigstop-leader-fenced" if fenced else "sigstop-leader"
        leader = self.require_leader()
        if fenced and leader is not self.fence_node:
            raise StepFailed(f"{FENCE_NODE} did not become the leader")
        seen = len(self.process_events(leader))
        rejected_before = leader.log().count("event=lease-rejected")
        hold_s = SESSION_S + self.rng.uniform(1.0, 3.0)

        start = mono_us()
        leader.signal(signal.SIGSTOP)
        successor = self.wait_for_leader(SESSION_S + 20, exclude=leader)
        self.sleep_until(start / 1e6 + hold_s)
        leader.signal(signal.SIGCONT)
        end = mono_us()

        stepped_down = self.wait_for_event(leader, seen, {"stepped-down"},
                                           15)
        details = {"successor": successor and successor.name,
                   "stepped_down_reason": stepped_down
                   and stepped_down.get("reason")}
        if fenced:
            # A rejection is logged when the store's reply arrives, which
            # may follow the stepped-down record.
            time.sleep(1.0)
            details["rejected_writes"] = \
                leader.log().count("event=lease-rejected") - rejected_before
            self.stop_node(leader)
        return FaultRecord(kind, start, end, leader.name, details)

    def zk_servers(self) -> dict[int, str]:
        """Return the mode of each ZooKeeper server by its ID."""
        modes = {}
        for line in self.zookeeper.status().splitlines():
            words = line.split()
            if len(words) >= 3:
                modes[int(words[0])] = words[2]
        return modes

    def zk_kill_one(self, mode: str) -> FaultRecord:
        kind = "zk-kill-follower" if mode == "follower" else \
            "zk-kill-zk-leader"
        self.require_leader()
        candidates = [server for server, server_mode
                      in self.zk_servers().items() if server_mode == mode]
        if not candidates:
            raise StepFailed(f"no ZooKeeper server reports mode {mode}: "
                             f"{self.zk_servers()}")
        victim = self.rng.choice(candidates)
        start = mono_us()
        self.zookeeper.kill(victim)
        time.sleep(self.rng.uniform(1.0, 4.0))
        self.zookeeper.restart(victim)
        end = mono_us()
        return FaultRecord(kind, start, end, f"zookeeper-{victim}")

    def zk_quorum_loss(self) -> FaultRecord:
        self.require_leader()
        victims = sorted(self.rng.sample(sorted(self.zk_servers()), 2))
        hold_s = SESSION_S + self.rng.uniform(1.0, 3.0)
        start = mono_us()
        for victim in victims:
            self.zookeeper.kill(victim)
        self.sleep_until(start / 1e6 + hold_s)
        # The first restart forms a quorum with the surviving server.
        for victim in victims:
            self.zookeeper.restart(victim)
        end = mono_us()
        return FaultRecord("zk-quorum-loss", start, end,
                           ",".join(f"zookeeper-{v}" for v in victims))

    def thrift_kill(self) -> FaultRecord:
        self.require_leader()
        down_s = self.rng.uniform(2.0, 5.0)
        start = mono_us()
        self.hbase.kill_thrift()
        time.sleep(down_s)
        self.hbase.start_thrift()
        end = mono_us()
        return FaultRecord("thrift-kill", start, end, "thrift")

    def partition_leader(self) -> FaultRecord:
        leader = self.require_leader()
        if leader is not self.namespace_node:
            raise StepFailed(f"{self.namespace_node.name} did not become the "
                             f"leader")
        seen = len(self.process_events(leader))
        hold_s = SESSION_S + self.rng.uniform(1.0, 3.0)
        start = mono_us()
        self.namespace.cut()
        successor = self.wait_for_leader(SESSION_S + 20, exclude=leader)
        self.sleep_until(start / 1e6 + hold_s)
        self.namespace.heal()
        end = mono_us()
        rejoined = self.wait_for_event(leader, seen, {"standby"},
                                       SESSION_S + 15)
        return FaultRecord("partition-leader", start, end, leader.name,
                           {"successor": successor and successor.name,
                            "rejoined": rejoined is not None})

    # ---- Sequencing ----

    def skip_reason(self, kind: str) -> str | None:
        if kind == "thrift-kill" and self.hbase is None:
            return ("the runner does not control the Thrift gateway: pass "
                    "--hbase-dir, or omit --thrift-servers")
        if kind == "partition-leader" and self.namespace is None:
            return self.partition_skip_reason
        return None

    def record(self, fault: FaultRecord):
        self.log.write({"record": "fault", "kind": fault.kind,
                        "target": fault.target,
                        "start_mono_us": fault.start_us,
                        "end_mono_us": fault.end_us,
                        "details": fault.details})

    def run_fault(self, inject, *arguments) -> FaultRecord:
        self.check_processes()
        fault = inject(*arguments)
        self.record(fault)
        self.fault_count += 1
        duration = (fault.end_us - fault.start_us) / 1e6
        extra = " ".join(f"{key}={value}"
                         for key, value in fault.details.items())
        say(f"fault {self.fault_count}: {fault.kind} target={fault.target} "
            f"held {duration:.1f} s {extra}".rstrip())
        leader = self.require_leader()
        time.sleep(self.rng.uniform(2.0, 4.0))
        self.check_processes()
        say(f"  settled, leader {leader.name}")
        return fault

    def hand_over_to(self, target: harness.Node):
        """Terminate leaders until target leads. Each handover is a
        sigterm-leader fault, and a restarted node rejoins behind the
        others."""
        for _ in range(len(self.all_nodes()) + 1):
            if self.require_leader() is target:
                return
            self.run_fault(self.sigterm_leader,
                           f"hand over to {target.name}")
        raise StepFailed(f"{target.name} did not become the leader after "
                         f"{len(self.all_nodes()) + 1} handovers")

    def run_kind(self, kind: str):
        if kind == "sigkill-leader":
            self.run_fault(self.sigkill_leader)
        elif kind == "sigkill-standby":
            self.run_fault(self.sigkill_standby)
        elif kind == "sigterm-leader":
            self.run_fault(self.sigterm_leader)
        elif kind == "sigstop-leader":
            self.run_fault(self.sigstop_leader)
        elif kind == "sigstop-leader-fenced":
            self.start_node(self.fence_node)
            self.hand_over_to(self.fence_node)
            self.run_fault(self.sigstop_leader, True)
        elif kind == "zk-kill-follower":
            self.run_fault(self.zk_kill_one, "follower")
        elif kind == "zk-kill-zk-leader":
            self.run_fault(self.zk_kill_one, "leader")
        elif kind == "zk-quorum-loss":
            self.run_fault(self.zk_quorum_loss)
        elif kind == "thrift-kill":
            self.run_fault(self.thrift_kill)
        elif kind == "partition-leader":
            self.hand_over_to(self.namespace_node)
            self.run_fault(self.partition_leader)
        else:
            raise ValueError(f"unknown fault kind '{kind}'")

    def available_kinds(self) -> list[str]:
        return [kind for kind in FAULT_KINDS if self.skip_reason(kind) is None]

    def skip(self, kind: str, reason: str):
        self.log.write({"record": "skipped", "kind": kind, "reason": reason,
                        "mono_us": mono_us()})
        say(f"skipped {kind}: {reason}")

    def run_schedule(self):
        started = time.monotonic()
        if self.arguments.faults is None and self.arguments.duration is None:
            for kind in CI_SEQUENCE:
                reason = self.skip_reason(kind)
                if reason is None:
                    self.run_kind(kind)
                else:
                    self.skip(kind, reason)
            return

        kinds = self.available_kinds()
        for kind in FAULT_KINDS:
            if kind not in kinds:
                self.skip(kind, self.skip_reason(kind))
        count = 0
        while True:
            if self.arguments.faults is not None and \
                    count >= self.arguments.faults:
                return
            if self.arguments.duration is not None and \
                    time.monotonic() - started >= self.arguments.duration:
                return
            self.run_kind(self.rng.choice(kinds))
            count += 1

    # ---- Teardown ----

    def stop_all(self):
        if self.namespace is not None:
            try:
                self.namespace.heal()
            except StepFailed as error:
                say(f"error: could not heal the partition before stopping "
                    f"the nodes: {error}")
        for node in self.all_nodes():
            if node.process is not None and node.alive():
                node.signal(signal.SIGCONT)
        for node in self.all_nodes():
            self.stop_node(node)
        self.stop_watcher()
        self.record_crashes()

    def close_namespace(self):
        for forwarder in self.forwarders:
            forwarder.close()
        self.forwarders.clear()
        if self.namespace is not None:
            self.namespace.destroy()


# ---- Entry point ----

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Inject faults into a jobleaderd cluster on real "
                    "ZooKeeper and HBase, then check the leadership history. "
                    "Without --faults or --duration it runs the CI "
                    "sequence: every fault kind once, then sigkill-leader, "
                    "sigstop-leader and zk-kill-zk-leader again.")
    parser.add_argument("--build-dir", type=Path, required=True,
                        help="meson build folder with jobleaderd and "
                             "jobleader")
    parser.add_argument("--seed", type=int, required=True,
                        help="seed of the RNG that picks faults, targets and "
                             "hold times")
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder for records and logs; must not "
                             "contain an earlier run")
    schedule = parser.add_mutually_exclusive_group()
    schedule.add_argument("--faults", type=int, metavar="COUNT",
                          help="inject COUNT faults drawn at random")
    schedule.add_argument("--duration", type=float, metavar="SECONDS",
                          help="inject random faults until SECONDS have "
                               "passed (the last one then finishes)")
    parser.add_argument("--thrift-servers", metavar="HOST:PORT[,...]",
                        help="Thrift2 gateways of a running HBase; without "
                             "it an HBase is started in OUT/hbase")
    parser.add_argument("--hbase-dir", type=Path,
                        help="deploy/hbase.sh folder of that HBase, so the "
                             "thrift-kill fault can kill and restart its "
                             "gateway")
    parser.add_argument("--nodes", type=int, default=3,
                        help="number of jobleaderd nodes, 2 to 9 "
                             "(default 3)")
    return parser


def parse_arguments(argv: list[str] | None):
    parser = build_parser()
    arguments = parser.parse_args(argv)

    if arguments.faults is not None and arguments.faults < 1:
        parser.error(f"invalid --faults {arguments.faults}: expected 1 or "
                     f"more")
    if arguments.duration is not None and arguments.duration <= 0:
        parser.error(f"invalid --duration {arguments.duration}: expected "
                     f"seconds above 0")
    if not 2 <= arguments.nodes <= 9:
        parser.error(f"invalid --nodes {arguments.nodes}: expected 2 to 9")
    for program in ("jobleaderd", "jobleader"):
        if not (arguments.build_dir / program).exists():
            parser.error(f"{arguments.build_dir / program} not found: build "
                         f"with 'meson setup BUILD && ninja -C BUILD' and "
                         f"pass that folder to --build-dir")
    return arguments


def on_terminate(signum, frame):
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    out = arguments.out.resolve()
    if (out / "faults.jsonl").exists():
        say(f"error: {out} already contains a run (faults.jsonl): pass an "
            f"empty or new folder to --out")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    os.environ["JOBLEADER_BUILD_DIR"] = str(arguments.build_dir.resolve())
    signal.signal(signal.SIGTERM, on_terminate)

    log = RunLog(out / "faults.jsonl")
    rng = random.Random(arguments.seed)
    own_hbase: harness.HBase | None = None
    zookeeper = harness.ZooKeeper(out / "zk", ZK_SERVERS)
    runner: FaultRunner | None = None
    poller: LeasePoller | None = None
    failure: str | None = None
    started = time.monotonic()

    try:
        thrift_servers = arguments.thrift_servers
        hbase_dir = arguments.hbase_dir.resolve() if arguments.hbase_dir \
            else None
        if thrift_servers is None and hbase_dir is not None:
            thrift_servers = (hbase_dir / "thrift-servers").read_text().strip()
        if thrift_servers is None:
            say(f"starting HBase in {out / 'hbase'}")
            own_hbase = harness.HBase(out / "hbase").start()
            hbase_dir = own_hbase.folder
            thrift_servers = own_hbase.thrift_servers

        say(f"starting a {ZK_SERVERS}-server ZooKeeper ensemble in "
            f"{out / 'zk'}")
        zookeeper.start()
        runner = FaultRunner(arguments, out, log, zookeeper, thrift_servers,
                             hbase_dir, rng)
        runner.set_up_namespace()
        runner.create_nodes()
        log.write({"record": "run-start", "mono_us": mono_us(),
                   "wall_ms": int(time.time() * 1000),
                   "seed": arguments.seed,
                   "faults": arguments.faults,
                   "duration_s": arguments.duration,
                   "timing": TIMING.__dict__, "table": runner.table,
                   "zk_connect": zookeeper.connect_string,
                   "thrift_servers": thrift_servers,
                   "partition": runner.namespace is not None,
                   "thrift_control": runner.hbase is not None})
        for node in runner.nodes:
            runner.start_node(node)
        runner.start_watcher()
        poller = LeasePoller(runner.observer_config,
                             RunLog(out / "lease.jsonl"))
        poller.start()
        leader = runner.require_leader()
        say(f"{len(runner.nodes)} nodes up on table {runner.table}, leader "
            f"{leader.name}")
        runner.run_schedule()
    except (StepFailed, subprocess.CalledProcessError, OSError) as error:
        failure = f"{type(error).__name__}: {error}"
        say(f"error: stopping the run early: {failure}")
    except (KeyboardInterrupt, SystemExit) as interruption:
        failure = f"interrupted ({interruption!r})"
        say(f"error: {failure}")
    finally:
        if poller is not None:
            poller.stop()
        if runner is not None:
            log.write({"record": "shutdown-started", "mono_us": mono_us()})
            runner.stop_all()
            log.write({"record": "run-end", "mono_us": mono_us()})
            runner.close_namespace()
        zookeeper.stop()
        if own_hbase is not None:
            own_hbase.stop()

    say(f"run took {time.monotonic() - started:.0f} s; records in "
        f"{out / 'faults.jsonl'}")
    if not (out / "faults.jsonl").exists():
        return 2
    try:
        report = checker.check(checker.load_run(out))
    except checker.RunFormatError as error:
        say(f"error: cannot check the run: {error}")
        return 2
    for line in report.summary_lines():
        print(line, flush=True)
    if report.violations:
        return 1
    return 2 if failure else 0


if __name__ == "__main__":
    sys.exit(main())
