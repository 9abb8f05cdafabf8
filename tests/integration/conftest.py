"""Fixtures: real ZooKeeper per test, one real HBase per session, and an
HBase whose gateway the fault tests may stop."""

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
            env: dict | None = None, own_process_group: bool = False,
            **overrides) -> Node:
        """Add a node; overrides replace fields of the shared settings.
        Tests that SIGSTOP a node give it its own process group (see
        Node)."""
        name = name or f"node-{len(self.nodes) + 1}"
        settings = NodeSettings(**{**self.settings.__dict__, **overrides})
        node = Node(self.folder / name, name, settings, env,
                    own_process_group=own_process_group)
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


@pytest.fixture
def ensemble(tmp_path):
    """A three-server ZooKeeper ensemble."""
    zk = ZooKeeper(tmp_path / "zk-ensemble", servers=3).start()
    yield zk
    zk.stop()


@pytest.fixture
def ensemble_cluster(tmp_path, ensemble, thrift_servers, table_name):
    settings = NodeSettings(zk_connect=ensemble.connect_string,
                            metadata_url=f"{table_name}@hbase",
                            thrift_servers=thrift_servers)
    cluster = Cluster(tmp_path / "nodes", settings)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def hbase_deployment():
    """An HBase deployment whose Thrift2 gateway tests may kill and start
    again: the deploy/hbase.sh folder in JOBLEADER_HBASE_DIR when set, else
    one started here for this session. Tests that kill the gateway must
    start it again before they end."""
    preset = os.environ.get("JOBLEADER_HBASE_DIR")
    if preset:
        folder = Path(preset)
        if not (folder / "thrift-servers").exists():
            pytest.fail(f"JOBLEADER_HBASE_DIR={preset} is not a "
                        f"deploy/hbase.sh folder: thrift-servers is missing")
        yield HBase(folder)
        return

    folder = Path(tempfile.mkdtemp(prefix="jl-hbase-faults-"))
    hbase = HBase(folder).start()
    try:
        yield hbase
    finally:
        hbase.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def outage_cluster(tmp_path, zookeeper, hbase_deployment, table_name):
    """Nodes whose only gateway is hbase_deployment's. The first
    createTable on a freshly started HBase can take longer than the usual
    2 s request timeout, so these nodes wait up to 10 s per request."""
    settings = NodeSettings(zk_connect=zookeeper.connect_string,
                            metadata_url=f"{table_name}@hbase",
                            thrift_servers=hbase_deployment.thrift_servers,
                            thrift_timeout_ms=10000)
    cluster = Cluster(tmp_path / "nodes", settings)
    yield cluster
    cluster.stop()
