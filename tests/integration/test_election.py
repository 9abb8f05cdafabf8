"""End-to-end election on real ZooKeeper and real HBase through Thrift2."""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from harness import leader_of, program, status, wait_for
from zk_proxy import LossyZooKeeperProxy

ELECTION_TIMEOUT = 30.0


def wait_for_leader(cluster, exclude: str | None = None,
                    timeout: float = ELECTION_TIMEOUT) -> dict:
    def healthy_leader():
        document = leader_of(cluster.config_path)
        if document and document["leader"]["holder"] != exclude:
            return document
        return None

    return wait_for(healthy_leader, timeout, message="a consistent leader")


def acting_leaders(cluster) -> list[str]:
    """Host addresses whose event log ends in an open leadership."""
    holders = []
    for node in cluster.nodes:
        events = [e for e in node.events()
                  if e["event"] in ("elected", "stepped-down")]
        if events and events[-1]["event"] == "elected":
            holders.append(node.host_address)
    return holders


def test_three_nodes_elect_one_leader(hbase_cluster):
    for _ in range(3):
        hbase_cluster.add()

    document = wait_for_leader(hbase_cluster)
    wait_for(lambda: len(status(hbase_cluster.config_path)[1]["candidates"])
             == 3, 15, message="three candidates")
    document = leader_of(hbase_cluster.config_path)

    assert document["lease"]["holder"] == document["leader"]["holder"]
    assert document["lease"]["epoch"] == document["leader"]["epoch"]
    assert document["lease"]["stale"] is False
    leaders = [c for c in document["candidates"] if c["leader"]]
    assert len(leaders) == 1
    assert acting_leaders(hbase_cluster) == [document["leader"]["holder"]]


def test_sigterm_hands_over_at_once(hbase_cluster):
    for _ in range(3):
        hbase_cluster.add()
    first = wait_for_leader(hbase_cluster)
    old = hbase_cluster.by_holder(first["leader"]["holder"])

    started = time.monotonic()
    old.signal(signal.SIGTERM)
    second = wait_for_leader(hbase_cluster, exclude=old.host_address)
    elapsed = time.monotonic() - started
    print(f"handover after SIGTERM: {elapsed:.2f} s")

    assert old.process.wait(10) == 0
    assert second["leader"]["epoch"] > first["leader"]["epoch"]
    assert second["lease"]["epoch"] == second["leader"]["epoch"]
    # Well inside the 4 s session timeout: no wait for expiry.
    assert elapsed < 4.0
    released = [e for e in old.events() if e["event"] == "stepped-down"]
    assert released and released[-1]["reason"] == "shutdown"


def test_sigkill_hands_over_after_expiry(hbase_cluster):
    for _ in range(3):
        hbase_cluster.add()
    first = wait_for_leader(hbase_cluster)
    old = hbase_cluster.by_holder(first["leader"]["holder"])

    started = time.monotonic()
    old.kill()
    second = wait_for_leader(hbase_cluster, exclude=old.host_address)
    elapsed = time.monotonic() - started
    print(f"handover after SIGKILL: {elapsed:.2f} s")

    assert second["leader"]["epoch"] > first["leader"]["epoch"]
    assert second["lease"]["epoch"] == second["leader"]["epoch"]


def lease_tool(config, mode: str, epoch: int, holder: str):
    return subprocess.run([program("tests/integration/lease-tool"),
                           str(config), mode, str(epoch), holder],
                          capture_output=True, text=True, timeout=60)


def test_former_leader_write_is_fenced(hbase_cluster):
    for _ in range(2):
        hbase_cluster.add()
    first = wait_for_leader(hbase_cluster)
    old = hbase_cluster.by_holder(first["leader"]["holder"])
    old.signal(signal.SIGTERM)
    second = wait_for_leader(hbase_cluster, exclude=old.host_address)

    renewal = lease_tool(hbase_cluster.config_path, "update",
                         first["leader"]["epoch"], old.host_address)
    takeover = lease_tool(hbase_cluster.config_path, "acquire",
                          first["leader"]["epoch"], old.host_address)
    after = leader_of(hbase_cluster.config_path)

    assert renewal.returncode == 3, renewal.stderr
    assert takeover.returncode == 3, takeover.stderr
    assert after["lease"]["epoch"] == second["leader"]["epoch"]
    assert after["lease"]["holder"] == second["leader"]["holder"]


def test_query_node_never_competes(hbase_cluster):
    leader = hbase_cluster.add()
    wait_for_leader(hbase_cluster)
    query = hbase_cluster.add(mode="query")

    assert query.process.wait(15) == 0
    assert "does not compete" in query.log()
    _, document, _ = status(hbase_cluster.config_path)
    holders = [c["holder"] for c in document["candidates"]]
    assert holders == [leader.host_address]


def test_status_without_leader_exits_1(hbase_cluster):
    node = hbase_cluster.add(start=False)

    code, document, _ = status(node.config_path)

    assert code == 1
    assert document["leader"] is None
    assert document["consistent"] is False


def test_status_with_stale_lease_exits_1(hbase_cluster):
    node = hbase_cluster.add()
    wait_for_leader(hbase_cluster)

    node.signal(signal.SIGSTOP)
    try:
        # Longer than the 3 s lease TTL, shorter than the 4 s session.
        time.sleep(3.3)
        code, document, _ = status(node.config_path)
    finally:
        node.signal(signal.SIGCONT)

    assert code == 1
    assert document["lease"]["stale"] is True


def test_status_unreachable_zookeeper_exits_2(hbase_cluster, zookeeper):
    node = hbase_cluster.add(start=False)
    zookeeper.stop()

    code, document, stderr = status(node.config_path)

    assert code == 2
    assert document is None
    assert "ZooKeeper" in stderr


def test_status_bad_usage_exits_2(hbase_cluster):
    node = hbase_cluster.add(start=False)

    result = subprocess.run([program("jobleader"), "--config",
                             str(node.config_path), "leaders"],
                            capture_output=True, text=True)

    assert result.returncode == 2
    assert "unknown command" in result.stderr
    assert result.stdout == ""


def test_status_json_lists_candidates(hbase_cluster):
    for _ in range(2):
        hbase_cluster.add()
    wait_for_leader(hbase_cluster)
    wait_for(lambda: len(status(hbase_cluster.config_path)[1]["candidates"])
             == 2, 15, message="two candidates")

    code, document, _ = status(hbase_cluster.config_path)

    assert code == 0
    assert set(document) >= {"leader", "lease", "candidates", "consistent"}
    flags = [c["leader"] for c in document["candidates"]]
    assert flags == [True, False]
    json.dumps(document)


def test_local_metastore_elects_one_leader(local_cluster):
    for _ in range(3):
        local_cluster.add()

    document = wait_for_leader(local_cluster)
    first = local_cluster.by_holder(document["leader"]["holder"])
    first.signal(signal.SIGTERM)
    second = wait_for_leader(local_cluster, exclude=first.host_address)

    assert second["leader"]["epoch"] > document["leader"]["epoch"]
    assert second["lease"]["holder"] == second["leader"]["holder"]


def test_lost_create_reply_leaves_one_node(local_cluster, zookeeper):
    leader = local_cluster.add()
    wait_for_leader(local_cluster)
    server_port = int(zookeeper.connect_string.rsplit(":", 1)[1])
    proxy = LossyZooKeeperProxy(server_port)
    proxy.arm()
    try:
        node = local_cluster.add(zk_connect=f"127.0.0.1:{proxy.port}")
        wait_for(lambda: "event=standby" in node.log(), 15,
                 message="the second node on standby")
    finally:
        proxy.close()

    _, document, _ = status(leader.config_path)
    holders = [c["holder"] for c in document["candidates"]]
    assert proxy.dropped_replies == 1
    assert "event=create-unconfirmed" in node.log()
    assert "adopted=true" in node.log()
    assert holders == [leader.host_address, node.host_address]
