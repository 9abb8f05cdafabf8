"""Operator-facing behaviour on real ZooKeeper with a local metastore:
hooks, log rotation, deleted nodes, clamped timeouts and fencing loops."""

from __future__ import annotations

import os
import signal
import stat
import struct
import time

from harness import (leader_of, status, wait_for, wait_for_leader,
                     zk_cli)

ELECTION_PATH = "/kylin/kylin_metadata/job_engine/leader"

HOOK_SCRIPT = """#!/bin/sh
# Records when each run begins and ends; "elected" takes a second.
log="$(dirname "$0")/hook.log"
echo "begin $1 $2 $3 $JOBLEADER_REASON $(date +%s.%N)" >> "$log"
sleep "${HOOK_SLEEP:-1}"
echo "end $1 $2 $3 $JOBLEADER_REASON $(date +%s.%N)" >> "$log"
"""


def write_hook(folder) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hook.sh"
    path.write_text(HOOK_SCRIPT)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def hook_runs(folder) -> list[list[str]]:
    log = folder / "hook.log"
    if not log.exists():
        return []
    return [line.split() for line in log.read_text().splitlines()]


def elected_events(node) -> list[dict]:
    return [e for e in node.events() if e["event"] == "elected"]


def stepped_down_events(node) -> list[dict]:
    return [e for e in node.events() if e["event"] == "stepped-down"]


def test_hook_stop_finishes_before_next_leader(local_cluster, tmp_path):
    hooks = tmp_path / "hooks"
    hook = write_hook(hooks)
    first = local_cluster.add(extra={"kylin.jobleader.hook": hook})
    wait_for_leader(local_cluster)
    second = local_cluster.add(extra={"kylin.jobleader.hook": hook})
    wait_for(lambda: any(r[1] == "elected" and r[0] == "end"
                         for r in hook_runs(hooks)), 15,
             message="the elected hook to finish")

    first.signal(signal.SIGTERM)
    wait_for_leader(local_cluster, exclude=first.host_address)
    wait_for(lambda: sum(r[1] == "elected" and r[0] == "end"
                         for r in hook_runs(hooks)) == 2, 15,
             message="the second elected hook to finish")

    runs = hook_runs(hooks)
    stop_end = [float(r[-1]) for r in runs
                if r[0] == "end" and r[1] == "stepped-down"
                and r[3] == first.host_address and r[4] == "shutdown"]
    next_begin = [float(r[-1]) for r in runs
                  if r[0] == "begin" and r[1] == "elected"
                  and r[3] == second.host_address]
    assert len(stop_end) == 1
    assert len(next_begin) == 1
    assert stop_end[0] < next_begin[0]


def test_hook_runs_one_at_a_time(local_cluster, tmp_path):
    hooks = tmp_path / "hooks"
    hook = write_hook(hooks)
    node = local_cluster.add(extra={"kylin.jobleader.hook": hook})
    wait_for(lambda: any(r[0] == "begin" and r[1] == "elected"
                         for r in hook_runs(hooks)), 15,
             message="the elected hook to start")

    node.signal(signal.SIGTERM)
    assert node.process.wait(30) == 0

    runs = hook_runs(hooks)
    order = [(r[0], r[1], r[4]) for r in runs]
    assert order == [
        ("begin", "stepped-down", "startup"),
        ("end", "stepped-down", "startup"),
        ("begin", "elected", "lease-acquired"),
        ("end", "elected", "lease-acquired"),
        ("begin", "stepped-down", "shutdown"),
        ("end", "stepped-down", "shutdown"),
    ]


def test_deleted_leader_node_steps_down_at_once(local_cluster, zookeeper):
    first = local_cluster.add()
    document = wait_for_leader(local_cluster)
    second = local_cluster.add()
    wait_for(lambda: len(status(first.config_path)[1]["candidates"]) == 2,
             15, message="two candidates")

    zk_cli(zookeeper.connect_string, "delete",
           f"{ELECTION_PATH}/{document['leader']['node']}")
    wait_for(lambda: elected_events(second), 15,
             message="the second node elected")
    wait_for(lambda: stepped_down_events(first), 15,
             message="the first node stepped down")

    step_down = stepped_down_events(first)[0]
    elected = elected_events(second)[0]
    assert step_down["reason"] == "node-lost"
    assert step_down["epoch"] == document["leader"]["epoch"]
    # A watch on its own node reports the deletion within milliseconds.
    assert step_down["mono_us"] - elected["mono_us"] < 200_000


def test_clamped_session_timeout_still_elects(local_cluster):
    # The test ZooKeeper grants at most 10 s, a third of this margin.
    node = local_cluster.add(session_timeout_ms=120000,
                             safety_margin_ms=30000)

    document = wait_for_leader(local_cluster)

    assert document["leader"]["holder"] == node.host_address
    assert "event=timeout-clamped" in node.log()


def test_fenced_nodes_rejoin_with_backoff(local_cluster, tmp_path):
    epoch_file = tmp_path / "metastore" / "job_engine" / "leader.json.epoch"
    first = local_cluster.add()
    wait_for_leader(local_cluster)
    local_cluster.add()
    first.stop()
    # Write only after the successor's acquire, which renames a new epoch
    # file into place; renewals leave the epoch file alone.
    wait_for_leader(local_cluster, exclude=first.host_address)
    epoch_file.write_bytes(struct.pack(">q", 1 << 40))

    local_cluster.add()
    time.sleep(6)

    rejoins = sum(node.log().count("event=rejoin")
                  for node in local_cluster.nodes)
    assert rejoins >= 2
    # Without backoff, two nodes rejoined thousands of times in 6 s.
    assert rejoins < 40
    assert "event=fenced-again" in "".join(n.log()
                                           for n in local_cluster.nodes)


def test_leader_reacquires_removed_lease(local_cluster, tmp_path):
    folder = tmp_path / "metastore" / "job_engine"
    node = local_cluster.add()
    first = wait_for_leader(local_cluster)

    (folder / "leader.json").unlink()
    (folder / "leader.json.epoch").unlink()
    wait_for(lambda: (folder / "leader.json.epoch").exists(), 10,
             message="the lease written again")
    after = wait_for_leader(local_cluster)

    assert after["lease"]["epoch"] == first["leader"]["epoch"]
    assert stepped_down_events(node) == []


def test_sighup_reopens_event_log(local_cluster):
    node = local_cluster.add()
    wait_for_leader(local_cluster)
    rotated = node.event_log.with_suffix(".1")
    os.rename(node.event_log, rotated)

    node.signal(signal.SIGHUP)
    wait_for(lambda: "event=event-log-reopened" in node.log(), 10,
             message="the event log reopened")
    node.signal(signal.SIGTERM)
    assert node.process.wait(15) == 0

    events = [e["event"] for e in node.events()]
    assert events == ["stepped-down", "stopped"]
    assert leader_of(node.config_path) is None


def test_resumed_leader_reports_session_confirmed(local_cluster):
    # A pause past the leading deadline (at most 4.1 s after the pause
    # starts) but shorter than the session (at least 4.8 s after it).
    node = local_cluster.add(own_process_group=True, session_timeout_ms=6000,
                             safety_margin_ms=1900)
    wait_for_leader(local_cluster)

    node.signal(signal.SIGSTOP)
    time.sleep(4.45)
    node.signal(signal.SIGCONT)
    wait_for(lambda: len(elected_events(node)) == 2, 15,
             message="the leader to resume")

    first, resumed = elected_events(node)
    assert resumed["reason"] == "session-confirmed"
    assert resumed["epoch"] == first["epoch"]
    assert stepped_down_events(node)[0]["reason"] == "session-unconfirmed"
