"""Fault injection on real ZooKeeper and real HBase: candidates that vanish,
lost connections and quorum, a gateway outage, damaged or foreign data, and
a leader paused past its session.

Timing comes from NodeSettings: a 4 s session, a 1 s safety margin, lease
renewal every 0.5 s and a 3 s lease TTL. A leader confirms its node every
fifth of the session (0.8 s), so its leading deadline always lies at least
4 - 1 - 0.8 = 2.2 s after any moment at which its server still replied.
Nodes that a test stops with SIGSTOP run in their own process group, so
that no orphaned-group SIGCONT from the kernel resumes them early.
"""

from __future__ import annotations

import errno
import json
import signal
import socket
import threading
import time
import uuid

import pytest

import hbase_cells
from harness import (acting_leaders, free_port, leader_of, monotonic_us,
                     status, wait_for, wait_for_leader, zk_cli,
                     zk_create_parents, zookeeper_port_of)

SESSION_S = 4.0


def events_named(node, name: str) -> list[dict]:
    return [e for e in node.events() if e["event"] == name]


def log_after(node, marker: str) -> str:
    """The node's log after the last line that contains marker, or ""."""
    log = node.log()
    return log.rsplit(marker, 1)[1] if marker in log else ""


def candidate_count(cluster) -> int:
    _, document, _ = status(cluster.config_path)
    return len(document["candidates"]) if document else -1


def start_in_order(cluster, count: int) -> list:
    """Start count nodes one after another, each once the previous one has
    its node, so that they queue in start order."""
    nodes = []
    for index in range(count):
        nodes.append(cluster.add())
        wait_for(lambda: candidate_count(cluster) == index + 1, 15,
                 message=f"{index + 1} candidates")
    return nodes


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL],
                         ids=["sigterm", "sigkill"])
def test_middle_candidate_leaves(hbase_cluster, signum):
    first, middle, last = start_in_order(hbase_cluster, 3)
    before = wait_for_leader(hbase_cluster)
    assert before["leader"]["holder"] == first.host_address

    middle.signal(signum)
    middle.process.wait(15)
    # SIGKILL leaves the node until the session expires.
    wait_for(lambda: candidate_count(hbase_cluster) == 2, SESSION_S + 10,
             message="the middle node to go")
    # The last node has re-read the children and set its watch by now.
    time.sleep(1.0)
    after = wait_for_leader(hbase_cluster)

    assert after["leader"]["holder"] == first.host_address
    assert after["leader"]["epoch"] == before["leader"]["epoch"]
    assert after["lease"]["epoch"] == before["leader"]["epoch"]
    assert events_named(first, "stepped-down") == []
    assert len(events_named(first, "elected")) == 1
    assert events_named(last, "elected") == []

    # The last node takes over well within a session timeout only if it
    # watches the first node's ZooKeeper node.
    started = time.monotonic()
    first.signal(signal.SIGTERM)
    handover = wait_for_leader(hbase_cluster, exclude=first.host_address)
    elapsed = time.monotonic() - started

    assert handover["leader"]["holder"] == last.host_address
    assert elapsed < SESSION_S


def leader_node(cluster):
    """Wait for a consistent leader; return its Node and the status."""
    document = wait_for_leader(cluster)
    return cluster.by_holder(document["leader"]["holder"]), document


def connected_server(ensemble, node):
    """The ensemble server that node's ZooKeeper client is connected to."""
    servers = ensemble.server_states()
    port = wait_for(lambda: zookeeper_port_of(node.pid,
                                              [s.port for s in servers]),
                    10, message="the leader's ZooKeeper connection")
    return next(s for s in servers if s.port == port)


def test_connection_loss_keeps_leader(ensemble_cluster, ensemble):
    for _ in range(3):
        ensemble_cluster.add()
    leader, before = leader_node(ensemble_cluster)
    server = connected_server(ensemble, leader)

    ensemble.kill(server.id)
    # The client reconnects to another server within the same session. On
    # loopback that takes well under the 2.2 s left before the deadline,
    # even when the other servers must elect a new quorum leader first.
    wait_for(lambda: "event=connected" in log_after(leader,
                                                    "event=disconnected"),
             10, message="the leader to reconnect")
    time.sleep(SESSION_S)
    after = wait_for_leader(ensemble_cluster)
    reconnected = connected_server(ensemble, leader)

    assert reconnected.id != server.id
    assert after["leader"]["holder"] == leader.host_address
    assert after["leader"]["epoch"] == before["leader"]["epoch"]
    assert after["lease"]["epoch"] == before["leader"]["epoch"]
    assert "new_session=false" in log_after(leader, "event=disconnected")
    assert events_named(leader, "stepped-down") == [], \
        f"the leader was connected to a {server.mode}"
    assert acting_leaders(ensemble_cluster.nodes) == [leader.host_address]


def test_unused_follower_loss_changes_nothing(ensemble_cluster, ensemble):
    for _ in range(3):
        ensemble_cluster.add()
    leader, before = leader_node(ensemble_cluster)
    server = connected_server(ensemble, leader)
    follower = next(s for s in ensemble.server_states()
                    if s.mode == "follower" and s.id != server.id)
    events_before = [node.events() for node in ensemble_cluster.nodes]

    ensemble.kill(follower.id)
    time.sleep(SESSION_S)
    after = wait_for_leader(ensemble_cluster)

    assert after["leader"] == before["leader"]
    assert after["lease"]["epoch"] == before["lease"]["epoch"]
    assert [node.events() for node in ensemble_cluster.nodes] == events_before
    assert "event=disconnected" not in leader.log()


def test_quorum_loss_steps_down_on_timer(ensemble_cluster, ensemble):
    for _ in range(3):
        ensemble_cluster.add()
    leader, before = leader_node(ensemble_cluster)
    first, second = [s.id for s in ensemble.server_states()][:2]

    ensemble.kill(first)
    quorum_lost_us = monotonic_us()
    ensemble.kill(second)
    stepped = wait_for(lambda: events_named(leader, "stepped-down"),
                       SESSION_S + 5, interval=0.05,
                       message="the leader to step down")
    noticed_us = monotonic_us()

    assert stepped[0]["reason"] == "session-unconfirmed"
    assert stepped[0]["epoch"] == before["leader"]["epoch"]
    assert stepped[0]["mono_us"] < quorum_lost_us + SESSION_S * 1e6
    # No server was serving, so only the leader's own timer can have
    # stepped it down this early.
    assert noticed_us < quorum_lost_us + SESSION_S * 1e6

    ensemble.restart(first)
    ensemble.restart(second)
    after = wait_for_leader(ensemble_cluster, timeout=30)
    time.sleep(1.0)
    final = wait_for_leader(ensemble_cluster)

    assert acting_leaders(ensemble_cluster.nodes) == \
        [final["leader"]["holder"]]
    assert final["lease"]["holder"] == final["leader"]["holder"]
    assert final["lease"]["epoch"] == final["leader"]["epoch"]
    assert final["lease"]["epoch"] >= before["leader"]["epoch"]
    assert after["leader"] == final["leader"]


# ---- Thrift gateway ----

def store_errors(node) -> list[str]:
    """The error texts of the node's store-error log lines, in order."""
    errors = []
    for line in node.log().splitlines():
        if "event=store-error" in line:
            errors.append(line.split("error='", 1)[1].rsplit("' retry_ms=",
                                                            1)[0])
    return errors


def try_bind(sock: socket.socket, port: int) -> bool:
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        return False
    return True


def accept_and_close(port: int, seconds: float) -> list[float]:
    """Play a gateway that accepts connections and closes them at once, on
    port, for seconds; return the monotonic time of every accept."""
    accepted = []
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # The killed gateway's side of a connection stays bound to the port
        # until its client notices and closes it.
        wait_for(lambda: try_bind(server, port), 5,
                 message=f"port {port} to be free")
        server.listen(16)
        server.settimeout(0.05)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                connection, _ = server.accept()
            except socket.timeout:
                continue
            accepted.append(time.monotonic())
            connection.close()
    return accepted


def renewed_after(cluster, wall_ms: float) -> dict | None:
    """The status document once a consistent leader renewed its lease
    after wall_ms (epoch milliseconds), else None."""
    document = leader_of(cluster.config_path)
    if document and document["lease"]["renewed_at_ms"] > wall_ms:
        return document
    return None


def test_gateway_outage_keeps_leader(outage_cluster, hbase_deployment):
    leader, standby = start_in_order(outage_cluster, 2)
    before = wait_for_leader(outage_cluster)
    assert before["leader"]["holder"] == leader.host_address

    hbase_deployment.kill_thrift()
    try:
        # Longer than the 3 s lease TTL and the 2.2 s minimum deadline.
        time.sleep(SESSION_S)
    finally:
        hbase_deployment.start_thrift()
    restarted_ms = time.time() * 1000
    after = wait_for(lambda: renewed_after(outage_cluster, restarted_ms), 15,
                     message="a renewal after the outage")

    assert after["leader"]["holder"] == leader.host_address
    assert after["leader"]["epoch"] == before["leader"]["epoch"]
    assert after["lease"]["holder"] == leader.host_address
    assert after["lease"]["epoch"] == before["leader"]["epoch"]
    assert events_named(leader, "stepped-down") == []
    assert store_errors(leader), "the outage was never noticed"
    assert "store-recovered" in leader.log()
    assert events_named(standby, "elected") == []
    assert store_errors(standby) == []


def test_status_names_down_gateway(outage_cluster, hbase_deployment):
    outage_cluster.add()
    wait_for_leader(outage_cluster)

    hbase_deployment.kill_thrift()
    try:
        code, document, stderr = status(outage_cluster.config_path)
    finally:
        hbase_deployment.start_thrift()

    assert code == 2
    assert document is None
    assert hbase_deployment.thrift_servers in stderr


def test_gateway_outage_retries_with_backoff(outage_cluster,
                                             hbase_deployment):
    leader = outage_cluster.add()
    wait_for_leader(outage_cluster)

    hbase_deployment.kill_thrift()
    try:
        accepted = accept_and_close(hbase_deployment.thrift_port, 7.0)
    finally:
        hbase_deployment.start_thrift()
    wait_for_leader(outage_cluster)
    intervals = [b - a for a, b in zip(accepted, accepted[1:])]
    max_backoff_s = leader.settings.retry_max_backoff_ms / 1000

    assert len(accepted) >= 4, intervals
    # Jitter keeps every delay in the upper half of its ceiling: at least
    # half the 250 ms base, at most the configured maximum.
    assert min(intervals) >= 0.12, intervals
    assert max(intervals) <= max_backoff_s + 0.3, intervals
    assert intervals[-1] >= max_backoff_s / 2 - 0.1, intervals
    assert events_named(leader, "stepped-down") == []


def test_store_errors_logged_once_each(outage_cluster, hbase_deployment):
    leader = outage_cluster.add()
    wait_for_leader(outage_cluster)

    # Refused connections, then a gateway that drops every connection,
    # then refused connections again.
    hbase_deployment.kill_thrift()
    try:
        wait_for(lambda: store_errors(leader), 10,
                 message="the first store error")
        time.sleep(1.0)
        accept_and_close(hbase_deployment.thrift_port, 4.0)
        time.sleep(3.0)
    finally:
        hbase_deployment.start_thrift()
    wait_for(lambda: "store-recovered" in leader.log(), 15,
             message="the store to recover")
    errors = store_errors(leader)
    repeated = [error for error in set(errors) if errors.count(error) > 1]

    assert len(set(errors)) >= 2, errors
    assert repeated == []
    for error in errors:
        assert hbase_deployment.thrift_servers in error


def test_second_gateway_takes_over(hbase_cluster, thrift_servers):
    dead = f"127.0.0.1:{free_port()}"
    gateway = thrift_servers.split(",")[0]
    leader = hbase_cluster.add(thrift_servers=f"{dead},{gateway}")

    document = wait_for_leader(hbase_cluster)

    assert document["lease"]["holder"] == leader.host_address
    assert f"Used HBase Thrift gateway {gateway}" in leader.log()
    assert f"after failures: {dead}" in leader.log()


# ---- Damaged lease row ----

GARBAGE = b"\x00\xff{not a lease"


@pytest.mark.parametrize("epoch_cell", ["kept", "removed"])
def test_damaged_lease_is_replaced(hbase_cluster, thrift_servers, table_name,
                                   epoch_cell):
    gateway = thrift_servers.split(",")[0]
    first = hbase_cluster.add(own_process_group=True)
    wait_for(lambda: candidate_count(hbase_cluster) == 1, 15,
             message="the first candidate")
    second = hbase_cluster.add()
    before = wait_for_leader(hbase_cluster)

    # A stopped leader cannot renew, so the damage stays until a new
    # leader takes over.
    first.signal(signal.SIGSTOP)
    try:
        time.sleep(0.2)
        hbase_cells.put(gateway, table_name, hbase_cells.LEASE_ROW,
                        {"f:c": GARBAGE})
        if epoch_cell == "removed":
            hbase_cells.delete_columns(gateway, table_name,
                                       hbase_cells.LEASE_ROW, ["f:e"])
        code, document, _ = status(hbase_cluster.config_path)
    finally:
        first.kill()

    assert code == 1
    assert document["lease"] is None
    assert "is damaged" in document["lease_error"]

    after = wait_for_leader(hbase_cluster, exclude=first.host_address)
    cells = hbase_cells.get(gateway, table_name, hbase_cells.LEASE_ROW,
                            ["f:c", "f:e"])

    assert after["leader"]["holder"] == second.host_address
    assert after["leader"]["epoch"] > before["leader"]["epoch"]
    assert after["lease"]["epoch"] == after["leader"]["epoch"]
    assert after["lease_error"] is None
    assert json.loads(cells["f:c"])["epoch"] == after["leader"]["epoch"]
    assert hbase_cells.decode_epoch(cells["f:e"]) == after["leader"]["epoch"]


def test_lease_with_unknown_fields_is_read(hbase_cluster, thrift_servers,
                                           table_name):
    gateway = thrift_servers.split(",")[0]
    leader = hbase_cluster.add(own_process_group=True)
    wait_for_leader(hbase_cluster)

    leader.signal(signal.SIGSTOP)
    try:
        time.sleep(0.2)
        cells = hbase_cells.get(gateway, table_name, hbase_cells.LEASE_ROW,
                                ["f:c"])
        lease = json.loads(cells["f:c"])
        stale_at_ms = int(time.time() * 1000) + 60000
        lease.update(stale_at_ms=stale_at_ms, format_version=2,
                     zone="rack-b", labels={"tier": ["a", "b"]},
                     weight=0.5, note=None)
        hbase_cells.put(gateway, table_name, hbase_cells.LEASE_ROW,
                        {"f:c": json.dumps(lease).encode()})
        code, document, _ = status(hbase_cluster.config_path)
    finally:
        leader.signal(signal.SIGCONT)

    assert code == 0
    assert document["lease_error"] is None
    assert document["lease"]["stale_at_ms"] == stale_at_ms
    assert document["lease"]["holder"] == leader.host_address
    assert document["consistent"] is True


# ---- Foreign nodes under the election path ----

def election_path(cluster) -> str:
    _, document, _ = status(cluster.config_path)
    return document["election_path"]


def test_foreign_node_sorting_last_is_ignored(hbase_cluster, zookeeper):
    first, second = start_in_order(hbase_cluster, 2)
    before = wait_for_leader(hbase_cluster)
    events_before = [node.events() for node in hbase_cluster.nodes]

    zk_cli(zookeeper.connect_string, "create",
           f"{election_path(hbase_cluster)}/foreign-node", "someone-else")
    time.sleep(1.0)
    code, document, _ = status(hbase_cluster.config_path)

    assert code == 0
    assert document["leader"] == before["leader"]
    assert [c["node"] for c in document["candidates"]][-1] == "foreign-node"
    assert document["candidates"][-1]["well_formed"] is False
    assert all(c["well_formed"] for c in document["candidates"][:-1])
    assert [node.events() for node in hbase_cluster.nodes] == events_before


def test_stale_foreign_lock_blocks_election(hbase_cluster, zookeeper):
    first = hbase_cluster.add(start=False)
    path = election_path(hbase_cluster)
    ghost = f"_c_{uuid.uuid4()}-lock-0000000000"
    zk_create_parents(zookeeper.connect_string, path)
    zk_cli(zookeeper.connect_string, "create", f"{path}/{ghost}",
           "ghost:7070")
    first.start()
    wait_for(lambda: candidate_count(hbase_cluster) == 2, 15,
             message="the first node behind the stale lock")
    second = hbase_cluster.add()
    wait_for(lambda: all(events_named(node, "standby")
                         for node in hbase_cluster.nodes), 15,
             message="both nodes on standby")

    code, document, _ = status(hbase_cluster.config_path)

    assert code == 1
    assert document["leader"]["node"] == ghost
    assert document["leader"]["holder"] == "ghost:7070"
    assert document["lease"] is None
    assert document["consistent"] is False
    assert f"predecessor='{ghost}'" in first.log()
    assert f"leader='{ghost}'" in second.log()
    assert acting_leaders(hbase_cluster.nodes) == []

    zk_cli(zookeeper.connect_string, "delete", f"{path}/{ghost}")
    after = wait_for_leader(hbase_cluster, timeout=15)

    assert after["leader"]["holder"] == first.host_address
    assert acting_leaders(hbase_cluster.nodes) == [first.host_address]


# ---- A leader paused past its session ----

class EpochRecorder(threading.Thread):
    """Reads the stored lease epoch (f:e) every 0.1 s until stopped."""

    def __init__(self, gateway: str, table: str):
        super().__init__(daemon=True)
        self.gateway = gateway
        self.table = table
        self.epochs: list[int] = []
        self.finished = threading.Event()

    def run(self):
        while not self.finished.wait(0.1):
            try:
                cells = hbase_cells.get(self.gateway, self.table,
                                        hbase_cells.LEASE_ROW, ["f:e"])
            except (OSError, hbase_cells.HBaseCallError):
                continue
            if "f:e" in cells:
                self.epochs.append(hbase_cells.decode_epoch(cells["f:e"]))

    def stop(self) -> list[int]:
        self.finished.set()
        self.join()
        return self.epochs


def pause_until_replaced(cluster, paused):
    """Stop the leading node paused with SIGSTOP and wait until another
    node leads; return the monotonic time of the stop and the status."""
    paused.signal(signal.SIGSTOP)
    stopped_us = monotonic_us()
    replaced = wait_for_leader(cluster, exclude=paused.host_address,
                               timeout=SESSION_S + 10)
    return stopped_us, replaced


def test_paused_leader_is_fenced_by_store(hbase_cluster, zookeeper,
                                          thrift_servers, table_name):
    paused = hbase_cluster.add(own_process_group=True,
                               env={"JOBLEADER_DEBUG_IGNORE_DEADLINE": "1"})
    before = wait_for_leader(hbase_cluster)
    successor = hbase_cluster.add()
    wait_for(lambda: candidate_count(hbase_cluster) == 2, 15,
             message="two candidates")
    recorder = EpochRecorder(thrift_servers.split(",")[0], table_name)
    recorder.start()

    try:
        _, replaced = pause_until_replaced(hbase_cluster, paused)
        # Without ZooKeeper the resumed node cannot learn that its session
        # expired, so only the store can stop its next renewal.
        zookeeper.kill(1)
        paused.signal(signal.SIGCONT)
        stepped = wait_for(lambda: events_named(paused, "stepped-down"), 10,
                           message="the paused leader to step down")
        zookeeper.restart(1)
        rejoined = wait_for(
            lambda: [e for e in events_named(paused, "standby")
                     if e["mono_us"] > stepped[0]["mono_us"]],
            20, message="the paused node to rejoin as standby")
        after = wait_for_leader(hbase_cluster)
    finally:
        epochs = recorder.stop()

    assert replaced["leader"]["holder"] == successor.host_address
    assert "event=lease-rejected" in paused.log()
    assert stepped[0]["reason"] == "fenced"
    assert stepped[0]["epoch"] == before["leader"]["epoch"]
    assert rejoined[0]["node"] != before["leader"]["node"]
    assert after["leader"]["holder"] == successor.host_address
    assert after["lease"]["epoch"] == replaced["leader"]["epoch"]
    assert epochs, "the lease epoch was never read"
    assert epochs == sorted(epochs)


def test_paused_leader_stops_before_successor(hbase_cluster):
    paused = hbase_cluster.add(own_process_group=True)
    before = wait_for_leader(hbase_cluster)
    successor = hbase_cluster.add()
    wait_for(lambda: candidate_count(hbase_cluster) == 2, 15,
             message="two candidates")

    stopped_us, replaced = pause_until_replaced(hbase_cluster, paused)
    resumed_us = monotonic_us()
    paused.signal(signal.SIGCONT)
    stepped_down = wait_for(lambda: events_named(paused, "stepped-down"),
                            10, message="the paused leader to step down")
    stepped = stepped_down[0]
    elected = events_named(successor, "elected")[0]
    settings = paused.settings
    latest_deadline_us = stopped_us + 1000 * (settings.session_timeout_ms
                                              - settings.safety_margin_ms)

    assert replaced["leader"]["holder"] == successor.host_address
    assert stepped["reason"] == "session-unconfirmed"
    assert stepped["epoch"] == before["leader"]["epoch"]
    # The record carries the leading deadline, not the time of resuming.
    assert stepped["mono_us"] <= latest_deadline_us
    assert stepped["mono_us"] < resumed_us
    assert stepped["mono_us"] < elected["mono_us"]


def test_expired_leader_rejoins_with_new_node(hbase_cluster):
    paused = hbase_cluster.add(own_process_group=True)
    before = wait_for_leader(hbase_cluster)
    old_node = before["leader"]["node"]
    hbase_cluster.add()
    wait_for(lambda: candidate_count(hbase_cluster) == 2, 15,
             message="two candidates")

    pause_until_replaced(hbase_cluster, paused)
    paused.signal(signal.SIGCONT)
    wait_for(lambda: "event=session-lost reason='session-expired'"
             in paused.log(), 10, message="the paused node to see expiry")
    wait_for(lambda: candidate_count(hbase_cluster) == 2, 15,
             message="the paused node to rejoin")
    time.sleep(1.0)
    _, document, _ = status(hbase_cluster.config_path)
    own = [c for c in document["candidates"]
           if c["holder"] == paused.host_address]

    assert len(own) == 1
    assert own[0]["node"] != old_node
    assert old_node not in [c["node"] for c in document["candidates"]]
    assert own[0]["leader"] is False
    assert events_named(paused, "standby")[-1]["node"] == own[0]["node"]


def test_leader_resumes_after_slow_store_write(outage_cluster,
                                               hbase_deployment):
    # A 1.3 s margin puts the leading deadline at most 2.7 s after the
    # pause begins, and a 2.95 s pause still ends 0.25 s before the
    # server could expire the session. The 10 s request timeout keeps the
    # renewal waiting on the stopped gateway through all of it.
    leader = outage_cluster.add(own_process_group=True,
                                safety_margin_ms=1300,
                                thrift_timeout_ms=10000)
    wait_for_leader(outage_cluster)

    hbase_deployment.signal_thrift(signal.SIGSTOP)
    try:
        # A renewal is sent within 0.5 s and waits for the gateway.
        time.sleep(0.7)
        leader.signal(signal.SIGSTOP)
        time.sleep(2.95)
        leader.signal(signal.SIGCONT)
        wait_for(lambda: events_named(leader, "stepped-down"), 5,
                 message="the leader to step down")
        # Leading again in ZooKeeper while the renewal still waits.
        time.sleep(1.5)
    finally:
        hbase_deployment.signal_thrift(signal.SIGCONT)
    after = wait_for_leader(outage_cluster, timeout=15)

    assert events_named(leader, "stepped-down")[0]["reason"] == \
        "session-unconfirmed"
    assert len(events_named(leader, "elected")) == 2
    assert after["leader"]["holder"] == leader.host_address
    assert after["lease"]["epoch"] == after["leader"]["epoch"]


def test_daemon_starts_while_gateway_down(outage_cluster, hbase_deployment):
    hbase_deployment.kill_thrift()
    try:
        node = outage_cluster.add()
        wait_for(lambda: "event=store-error" in node.log(), 15,
                 message="the store error at start")
        time.sleep(1)
        assert node.alive()
    finally:
        hbase_deployment.start_thrift()

    document = wait_for_leader(outage_cluster)

    assert document["leader"]["holder"] == node.host_address
    assert document["lease"]["holder"] == node.host_address
