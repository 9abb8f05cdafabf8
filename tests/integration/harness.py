"""Processes and services for the integration and fault tests.

Everything runs on 127.0.0.1: ZooKeeper from Debian's package and HBase with
its Thrift2 gateway, both started by the scripts in deploy/, and jobleaderd
processes built by meson.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parents[2]
DEPLOY = SOURCE_ROOT / "deploy"


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

    def stop(self):
        subprocess.run([str(DEPLOY / "zk.sh"), "stop", str(self.folder)],
                       check=False)


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

    def kill_thrift(self):
        subprocess.run([str(DEPLOY / "hbase.sh"), "kill-thrift",
                        str(self.folder)], check=True)

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
                 env: dict | None = None):
        self.folder = folder
        self.name = name
        self.host_address = f"{name}:7070"
        self.settings = settings
        self.env = env or {}
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
            [program("jobleaderd"), "--verbose", "--config",
             str(self.config_path)],
            stdout=log, stderr=subprocess.STDOUT, env=env,
            stdin=subprocess.DEVNULL)
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
