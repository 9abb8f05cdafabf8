"""Processes and services for the integration and fault tests.

Everything runs on 127.0.0.1: ZooKeeper from Debian's package and HBase with
its Thrift2 gateway, both started by the scripts in deploy/, and jobleaderd
processes built by meson.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = SOURCE_ROOT / "deploy"
ZK_CLI = "/usr/share/zookeeper/bin/zkCli.sh"


def build_dir() -> Path:
    return Path(os.environ.get("JOBLEADER_BUILD_DIR", SOURCE_ROOT / "build"))


def program(name: str) -> str:
    path = build_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: build with meson first "
                                f"or set JOBLEADER_BUILD_DIR")
    return str(path)


def wait_for(predicate, timeout: float, interval: float = 0.1,
             message: str = "condition"):
    """Poll predicate until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for "
                               f"{message}")
        time.sleep(interval)


class ZooKeeper:
    """A ZooKeeper standalone server or ensemble run by deploy/zk.sh."""

    def __init__(self, folder: Path, servers: int = 1):
        self.folder = folder
        self.servers = servers

    def start(self) -> "ZooKeeper":
        subprocess.run([str(DEPLOY / "zk.sh"), "start", str(self.folder),
                        "--servers", str(self.servers)],
                       check=True, stdout=subprocess.DEVNULL)
        return self

    @property
    def connect_string(self) -> str:
        return (self.folder / "connect-string").read_text().strip()

    def kill(self, server_id: int):
        subprocess.run([str(DEPLOY / "zk.sh"), "kill", str(self.folder),
                        str(server_id)], check=True)

    def restart(self, server_id: int):
        subprocess.run([str(DEPLOY / "zk.sh"), "restart", str(self.folder),
                        str(server_id)], check=True,
                       stdout=subprocess.DEVNULL)

    def status(self) -> str:
        return subprocess.run([str(DEPLOY / "zk.sh"), "status",
                               str(self.folder)], check=True,
                              capture_output=True, text=True).stdout

    def server_states(self) -> list[ZooKeeperServer]:
        """Parse `zk.sh status`: one entry per configured server."""
        servers = []
        for line in self.status().splitlines():
            server_id, address, mode, _ = line.split()
            port = int(address.rsplit(":", 1)[1])
            servers.append(ZooKeeperServer(int(server_id), port, mode))
        return servers

    def stop(self):
        subprocess.run([str(DEPLOY / "zk.sh"), "stop", str(self.folder)],
                       check=False)


@dataclass
class ZooKeeperServer:
    """One server of a deployment, as `zk.sh status` reports it."""

    id: int
    port: int
    mode: str  # leader, follower, standalone, not-serving, no-response, down


def zookeeper_port_of(pid: int, ports: list[int]) -> int | None:
    """Return the port in ports that process pid has an established TCP
    connection to, or None. Reads /proc, so it works only on Linux."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])

    # Columns: sl local_address rem_address st ... inode (the 10th).
    established = "01"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if (fields[9] in inodes and fields[3] == established
                and remote_port in ports):
            return remote_port
    return None


def zk_cli(connect: str, *command: str) -> subprocess.CompletedProcess:
    """Run one command of Debian's zkCli.sh against connect; raise with its
    output when it fails."""
    result = subprocess.run([ZK_CLI, "-server", connect, *command],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"zkCli.sh {' '.join(command)} failed with exit "
                           f"status {result.returncode}: "
                           f"{result.stdout[-500:]}{result.stderr[-500:]}")
    return result


def zk_create_parents(connect: str, path: str):
    """Create every component of path as a persistent node, keeping the
    components that exist."""
    prefix = ""
    for part in path.strip("/").split("/"):
        prefix += "/" + part
        result = subprocess.run([ZK_CLI, "-server", connect, "create",
                                 prefix], capture_output=True, text=True,
                                timeout=60)
        if result.returncode != 0 and "already exists" not in result.stdout:
            raise RuntimeError(f"zkCli.sh create {prefix} failed: "
                               f"{result.stdout[-500:]}")


def free_port() -> int:
    """Return a loopback TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def monotonic_us() -> int:
    """CLOCK_MONOTONIC in microseconds, the clock of the event log's
    mono_us on Linux."""
    return time.monotonic_ns() // 1000


class HBase:
    """Standalone HBase with its Thrift2 gateway, run by deploy/hbase.sh."""

    def __init__(self, folder: Path):
        self.folder = folder

    def start(self) -> "HBase":
        subprocess.run([str(DEPLOY / "hbase.sh"), "start", str(self.folder)],
                       check=True, stdout=subprocess.DEVNULL)
        return self

    @property
    def thrift_servers(self) -> str:
        return (self.folder / "thrift-servers").read_text().strip()

    @property
    def thrift_port(self) -> int:
        return int((self.folder / "thrift-port").read_text())

    def kill_thrift(self):
        subprocess.run([str(DEPLOY / "hbase.sh"), "kill-thrift",
                        str(self.folder)], check=True)

    def signal_thrift(self, signum: int):
        """Send signum to this deployment's gateway JVM, for example SIGSTOP
        to make every request hang until SIGCONT."""
        pid = int((self.folder / "thrift.pid").read_text())
        marker = str((self.folder / "conf").resolve()).encode()
        if marker not in Path(f"/proc/{pid}/cmdline").read_bytes():
            raise RuntimeError(f"pid {pid} in {self.folder}/thrift.pid is "
                               f"not this deployment's gateway")
        os.kill(pid, signum)

    def start_thrift(self):
        subprocess.run([str(DEPLOY / "hbase.sh"), "start-thrift",
                        str(self.folder)], check=True,
                       stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run([str(DEPLOY / "hbase.sh"), "stop", str(self.folder)],
                       check=False)


@dataclass
class NodeSettings:
    """Settings written into a node's kylin.properties."""

    zk_connect: str
    metadata_url: str
    thrift_servers: str | None = None
    cluster_name: str | None = None
    mode: str = "job"
    session_timeout_ms: int = 4000
    safety_margin_ms: int = 1000
    renew_interval_ms: int = 500
    lease_ttl_ms: int = 3000
    retry_max_backoff_ms: int = 2000
    thrift_timeout_ms: int = 2000
    extra: dict = field(default_factory=dict)


class Node:
    """One jobleaderd process with its own kylin.properties and logs."""

    def __init__(self, folder: Path, name: str, settings: NodeSettings,
                 env: dict | None = None,
                 command_prefix: list[str] | None = None,
                 own_process_group: bool = False):
        self.folder = folder
        self.name = name
        self.host_address = f"{name}:7070"
        self.settings = settings
        self.env = env or {}
        # Words placed before the jobleaderd command line, such as
        # ["ip", "netns", "exec", NAME]. The prefix must exec jobleaderd in
        # place, so that the child's pid stays the daemon's pid.
        self.command_prefix = command_prefix or []
        # With own_process_group the daemon runs in a process group of its
        # own. The kernel sends SIGHUP and SIGCONT to a process group that
        # becomes orphaned while a member is stopped, so without this a
        # shell that exits beside the test can resume a SIGSTOPped node.
        self.own_process_group = own_process_group
        self.process: subprocess.Popen | None = None
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config_path = self.folder / "kylin.properties"
        self.log_path = self.folder / "jobleaderd.log"
        self.event_log = self.folder / "events.jsonl"
        self.write_config()

    def write_config(self):
        s = self.settings
        lines = [
            f"kylin.server.mode={s.mode}",
            f"kylin.server.host-address={self.host_address}",
            f"kylin.metadata.url={s.metadata_url}",
            f"kylin.env.zookeeper-connect-string={s.zk_connect}",
            f"kylin.jobleader.zookeeper.session-timeout-ms="
            f"{s.session_timeout_ms}",
            f"kylin.jobleader.zookeeper.safety-margin-ms={s.safety_margin_ms}",
            f"kylin.jobleader.lease.renew-interval-ms={s.renew_interval_ms}",
            f"kylin.jobleader.lease.ttl-ms={s.lease_ttl_ms}",
            f"kylin.jobleader.retry.max-backoff-ms={s.retry_max_backoff_ms}",
            f"kylin.jobleader.hbase.timeout-ms={s.thrift_timeout_ms}",
            f"kylin.jobleader.event-log={self.event_log}",
        ]
        if s.thrift_servers:
            lines.append(f"kylin.jobleader.hbase.thrift-servers="
                         f"{s.thrift_servers}")
        if s.cluster_name:
            lines.append(f"kylin.server.cluster-name={s.cluster_name}")
        lines += [f"{key}={value}" for key, value in s.extra.items()]
        self.config_path.write_text("\n".join(lines) + "\n")

    def start(self) -> "Node":
        log = open(self.log_path, "ab")
        env = dict(os.environ, **self.env)
        self.process = subprocess.Popen(
            [*self.command_prefix, program("jobleaderd"), "--verbose",
             "--config", str(self.config_path)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
            stdin=subprocess.DEVNULL,
            process_group=0 if self.own_process_group else None)
        log.close()
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, signum: int):
        if self.alive():
            os.kill(self.process.pid, signum)

    def stop(self, timeout: float = 15.0) -> int | None:
        if not self.alive():
            return self.process.returncode if self.process else None
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self):
        self.signal(signal.SIGKILL)
        if self.process:
            self.process.wait()

    def events(self) -> list[dict]:
        if not self.event_log.exists():
            return []
        records = []
        for line in self.event_log.read_text().splitlines():
            if line.strip():
                records.append(json.loads(line))
        return records

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") \
            if self.log_path.exists() else ""


def status(config_path: Path, timeout: float = 30.0) \
        -> tuple[int, dict | None, str]:
    """Run `jobleader status --json`; return exit code, JSON, stderr."""
    result = subprocess.run(
        [program("jobleader"), "--config", str(config_path), "status",
         "--json"], capture_output=True, text=True, timeout=timeout)
    document = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, document, result.stderr


def leader_of(config_path: Path) -> dict | None:
    """Return the status document when a leader holds a consistent, fresh
    lease, else None."""
    code, document, _ = status(config_path)
    if code == 0 and document and document["consistent"]:
        return document
    return None


def wait_for_leader(cluster, exclude: str | None = None,
                    timeout: float = 30.0) -> dict:
    """Wait for a consistent leader whose holder is not exclude; return the
    status document."""
    def healthy_leader():
        document = leader_of(cluster.config_path)
        if document and document["leader"]["holder"] != exclude:
            return document
        return None

    return wait_for(healthy_leader, timeout, message="a consistent leader")


def acting_leaders(nodes) -> list[str]:
    """Host addresses of the nodes whose event log ends in an open
    leadership."""
    holders = []
    for node in nodes:
        events = [e for e in node.events()
                  if e["event"] in ("elected", "stepped-down")]
        if events and events[-1]["event"] == "elected":
            holders.append(node.host_address)
    return holders
