"""Fixtures: real ZooKeeper per test, one real HBase per session."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from harness import HBase, Node, NodeSettings, ZooKeeper


@pytest.fixture(scope="session")
def thrift_servers():
    """Thrift2 gateways of a running HBase: JOBLEADER_THRIFT_SERVERS when
    set (the test script starts one HBase for every suite), else one started
    here for this session."""
    preset = os.environ.get("JOBLEADER_THRIFT_SERVERS")
    if preset:
        yield preset
        return

    folder = Path(tempfile.mkdtemp(prefix="jl-hbase-"))
    hbase = HBase(folder).start()
    try:
        yield hbase.thrift_servers
    finally:
        hbase.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def zookeeper(tmp_path):
    zk = ZooKeeper(tmp_path / "zk").start()
    yield zk
    zk.stop()


@pytest.fixture
def table_name():
    return "jl_it_" + uuid.uuid4().hex[:10]


class Cluster:
    """Nodes that share one ZooKeeper and one metastore."""

    def __init__(self, folder: Path, settings: NodeSettings):
        self.folder = folder
        self.settings = settings
        self.nodes: list[Node] = []

    def add(self, name: str | None = None, start: bool = True,
            env: dict | None = None, **overrides) -> Node:
        name = name or f"node-{len(self.nodes) + 1}"
        settings = NodeSettings(**{**self.settings.__dict__, **overrides})
        node = Node(self.folder / name, name, settings, env)
        self.nodes.append(node)
        if start:
            node.start()
        return node

    def by_holder(self, holder: str) -> Node:
        for node in self.nodes:
            if node.host_address == holder:
                return node
        raise KeyError(holder)

    @property
    def config_path(self) -> Path:
        return self.nodes[0].config_path

    def stop(self):
        for node in self.nodes:
            node.stop()


@pytest.fixture
def hbase_cluster(tmp_path, zookeeper, thrift_servers, table_name):
    settings = NodeSettings(zk_connect=zookeeper.connect_string,
                            metadata_url=f"{table_name}@hbase",
                            thrift_servers=thrift_servers)
    cluster = Cluster(tmp_path / "nodes", settings)
    yield cluster
    cluster.stop()


@pytest.fixture
def local_cluster(tmp_path, zookeeper):
    settings = NodeSettings(zk_connect=zookeeper.connect_string,
                            metadata_url=str(tmp_path / "metastore"))
    cluster = Cluster(tmp_path / "nodes", settings)
    yield cluster
    cluster.stop()
