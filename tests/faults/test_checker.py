"""Unit tests of checker.py on small synthetic run folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import checker

TIMING = {"session_timeout_ms": 4000, "safety_margin_ms": 1000,
          "renew_interval_ms": 500, "lease_ttl_ms": 3000,
          "retry_max_backoff_ms": 2000}
# Wall clock minus monotonic clock, in milliseconds, for every process.
WALL_OFFSET_MS = 1_700_000_000_000


def us(seconds: float) -> int:
    return int(seconds * 1_000_000)


class RunBuilder:
    """Writes the files of a run folder the way run.py and jobleaderd do."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.records: list[dict] = [{"record": "run-start", "mono_us": 0,
                                     "timing": TIMING}]
        self.events: dict[str, list[dict]] = {}
        self.daemon_logs: dict[str, list[str]] = {}
        self.leases: list[dict] = []

    def start(self, node: str, pid: int, at: float,
              ignore_deadline: bool = False):
        self.events.setdefault(node, [])
        self.daemon_logs.setdefault(node, [])
        self.records.append({
            "record": "node-started", "node": node, "holder": f"{node}:7070",
            "pid": pid, "mono_us": us(at),
            "event_log": f"nodes/{node}/events.jsonl",
            "daemon_log": f"nodes/{node}/jobleaderd.log",
            "ignore_deadline": ignore_deadline})
        self.event(node, pid, "started", at, 0)

    def event(self, node: str, pid: int, kind: str, at: float, epoch: int,
              reason: str | None = None, logged_at: float | None = None):
        logged_at = at if logged_at is None else logged_at
        self.events[node].append({
            "event": kind, "holder": f"{node}:7070", "node": "n",
            "epoch": epoch, "reason": reason, "mono_us": us(at),
            "wall_ms": WALL_OFFSET_MS + int(logged_at * 1000), "pid": pid})

    def elected(self, node: str, pid: int, at: float, epoch: int):
        self.event(node, pid, "elected", at, epoch, "lease-acquired")

    def stepped_down(self, node: str, pid: int, at: float, epoch: int,
                     reason: str = "session-unconfirmed",
                     logged_at: float | None = None):
        self.event(node, pid, "stepped-down", at, epoch, reason, logged_at)

    def kill(self, node: str, pid: int, at: float):
        self.records.append({"record": "node-killed", "node": node,
                             "holder": f"{node}:7070", "pid": pid,
                             "mono_us": us(at)})

    def exit(self, node: str, pid: int, at: float, returncode: int,
             expected: bool):
        self.records.append({"record": "node-exited", "node": node,
                             "holder": f"{node}:7070", "pid": pid,
                             "mono_us": us(at), "returncode": returncode,
                             "expected": expected})

    def fault(self, kind: str, start: float, end: float,
              target: str = "node-1"):
        self.records.append({"record": "fault", "kind": kind,
                             "target": target, "start_mono_us": us(start),
                             "end_mono_us": us(end), "details": {}})

    def lease(self, at: float, epoch: int | None, holder: str = "node-1"):
        self.leases.append({"mono_us": us(at), "lease_epoch": epoch,
                            "lease_holder": f"{holder}:7070"})

    def reject(self, node: str, pid: int):
        self.daemon_logs[node].append(
            f"2026-01-01T00:00:00.000000Z jobleaderd[{pid}] warning: "
            f"event=lease-rejected epoch=10 error='rejected'")

    def write(self, shutdown_at: float, end_at: float | None = None) -> Path:
        end_at = shutdown_at + 1 if end_at is None else end_at
        records = self.records + [
            {"record": "shutdown-started", "mono_us": us(shutdown_at)},
            {"record": "run-end", "mono_us": us(end_at)}]
        self.folder.mkdir(parents=True, exist_ok=True)
        write_lines(self.folder / "faults.jsonl", records)
        write_lines(self.folder / "lease.jsonl", self.leases)
        for node, events in self.events.items():
            (self.folder / "nodes" / node).mkdir(parents=True, exist_ok=True)
            write_lines(self.folder / "nodes" / node / "events.jsonl", events)
            (self.folder / "nodes" / node / "jobleaderd.log").write_text(
                "".join(line + "\n" for line in self.daemon_logs[node]))
        return self.folder

    def check(self, shutdown_at: float) -> checker.Report:
        return checker.check(checker.load_run(self.write(shutdown_at)))


def write_lines(path: Path, records: list[dict]):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def kinds(report: checker.Report) -> list[str]:
    return [violation.kind for violation in report.violations]


@pytest.fixture
def run(tmp_path) -> RunBuilder:
    """Three nodes; node-1 leads with epoch 10 from 1 s."""
    builder = RunBuilder(tmp_path / "run")
    builder.start("node-1", 101, 0.0)
    builder.start("node-2", 102, 0.1)
    builder.start("node-3", 103, 0.2)
    builder.elected("node-1", 101, 1.0, 10)
    builder.lease(1.5, 10)
    return builder


def test_clean_handover_passes(run):
    run.fault("sigkill-leader", 10.0, 10.0)
    run.kill("node-1", 101, 10.0)
    run.elected("node-2", 102, 14.0, 20)
    run.lease(14.5, 20, "node-2")
    run.stepped_down("node-2", 102, 20.5, 20, "shutdown")

    report = run.check(shutdown_at=20.0)

    assert report.violations == []
    assert report.leaderships == 2
    assert report.max_gap_ms == 4000
    assert report.summary_lines()[0] == \
        "faults=1 leaderships=2 max_gap_ms=4000 violations=0"


def test_overlapping_leaders_reported(run):
    run.fault("sigstop-leader", 10.0, 16.0)
    run.stepped_down("node-1", 101, 14.5, 10)
    run.elected("node-2", 102, 14.0, 20)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["overlap"]
    assert "500.0 ms" in report.violations[0].message


def test_killed_leader_acts_until_kill(run):
    run.fault("sigkill-leader", 10.0, 10.0)
    run.elected("node-2", 102, 9.5, 20)
    run.kill("node-1", 101, 10.0)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["overlap"]


def test_open_leadership_runs_to_end(run):
    run.elected("node-2", 102, 15.0, 20)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["overlap"]


def test_lower_epoch_of_new_leader(run):
    run.fault("sigterm-leader", 10.0, 10.0)
    run.stepped_down("node-1", 101, 10.0, 10, "shutdown")
    run.elected("node-2", 102, 10.5, 9)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["epoch-order"]


def test_equal_epoch_of_new_leader(run):
    run.fault("sigterm-leader", 10.0, 10.0)
    run.stepped_down("node-1", 101, 10.0, 10, "shutdown")
    run.elected("node-2", 102, 10.5, 10)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["epoch-order"]


def test_resume_with_same_epoch_allowed(run):
    run.fault("zk-kill-zk-leader", 10.0, 12.0)
    run.stepped_down("node-1", 101, 11.0, 10)
    run.elected("node-1", 101, 12.5, 10)

    report = run.check(shutdown_at=20.0)

    assert report.violations == []
    assert report.leaderships == 1


def test_old_leader_back_after_successor(run):
    run.fault("sigterm-leader", 10.0, 10.0)
    run.stepped_down("node-1", 101, 10.0, 10, "shutdown")
    run.elected("node-2", 102, 10.5, 20)
    run.stepped_down("node-2", 102, 12.0, 20)
    run.elected("node-1", 101, 12.5, 10)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["epoch-order"]


def test_lease_epoch_regression(run):
    run.lease(2.0, 20, "node-2")
    run.lease(2.5, None)
    run.lease(3.0, 20, "node-2")
    run.lease(3.5, 15, "node-3")

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["lease-regression"]
    assert "epoch 15" in report.violations[0].message
    assert report.lease_observations == 4


def test_takeover_gap_over_bound(run):
    run.fault("sigkill-leader", 10.0, 10.0)
    run.kill("node-1", 101, 10.0)
    run.elected("node-2", 102, 18.5, 20)

    report = run.check(shutdown_at=25.0)

    assert kinds(report) == ["leaderless"]
    assert report.max_gap_ms == 8500


def test_sigterm_gap_over_bound(run):
    run.fault("sigterm-leader", 10.0, 10.0)
    run.stepped_down("node-1", 101, 10.0, 10, "shutdown")
    run.elected("node-2", 102, 12.5, 20)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["leaderless"]


def test_quorum_loss_gap_counts_from_end(run):
    run.fault("zk-quorum-loss", 10.0, 20.0)
    run.stepped_down("node-1", 101, 12.0, 10)
    run.elected("node-1", 101, 24.0, 10)

    report = run.check(shutdown_at=30.0)

    assert report.violations == []
    assert report.gaps[-1].gap_us == us(4.0)
    assert report.gaps[-1].from_start_us == us(12.0)
    assert "measured_from=end max_gap_from_start_ms=12000" in \
        report.summary_lines()[1]


def test_quorum_loss_gap_over_bound(run):
    run.fault("zk-quorum-loss", 10.0, 20.0)
    run.stepped_down("node-1", 101, 12.0, 10)
    run.elected("node-1", 101, 29.0, 10)

    report = run.check(shutdown_at=35.0)

    assert kinds(report) == ["leaderless"]


def test_no_leader_until_shutdown(run):
    run.fault("sigkill-leader", 10.0, 10.0)
    run.kill("node-1", 101, 10.0)

    report = run.check(shutdown_at=30.0)

    assert kinds(report) == ["leaderless"]
    assert report.max_gap_ms == 20000


def test_daemon_exit_on_its_own(run):
    run.exit("node-3", 103, 5.0, returncode=-11, expected=False)

    report = run.check(shutdown_at=20.0)

    assert kinds(report) == ["unexpected-exit"]


def test_fenced_overlap_expected(run):
    run.start("node-fence", 104, 20.0, ignore_deadline=True)
    run.stepped_down("node-1", 101, 21.0, 10, "shutdown")
    run.elected("node-fence", 104, 21.5, 30)
    run.fault("sigstop-leader-fenced", 25.0, 31.0, "node-fence")
    run.elected("node-2", 102, 28.5, 40)
    run.lease(29.0, 40, "node-2")
    # The knob process logs its step-down at 31.1 s with an earlier time.
    run.stepped_down("node-fence", 104, 27.0, 30, "fenced", logged_at=31.1)
    run.reject("node-fence", 104)

    report = run.check(shutdown_at=40.0)

    assert report.violations == []
    assert report.fenced_writes == 1
    assert report.fenced_overlaps == 1


def test_fenced_fault_without_rejection(run):
    run.start("node-fence", 104, 20.0, ignore_deadline=True)
    run.stepped_down("node-1", 101, 21.0, 10, "shutdown")
    run.elected("node-fence", 104, 21.5, 30)
    run.fault("sigstop-leader-fenced", 25.0, 31.0, "node-fence")
    run.elected("node-2", 102, 28.5, 40)
    run.stepped_down("node-fence", 104, 27.0, 30, "session-expired",
                     logged_at=31.1)
    run.reject("node-2", 102)

    report = run.check(shutdown_at=40.0)

    assert kinds(report) == ["fencing-missed"]
    assert report.other_rejected_writes == 1


def test_rejection_counted_per_process(run):
    run.start("node-fence", 104, 20.0, ignore_deadline=True)
    run.reject("node-fence", 999)

    report = run.check(shutdown_at=40.0)

    assert report.fenced_writes == 0


def test_main_exit_status(run, capsys):
    run.elected("node-2", 102, 15.0, 20)
    folder = run.write(shutdown_at=20.0)

    assert checker.main([str(folder)]) == 1
    output = capsys.readouterr().out
    assert output.startswith("faults=0 leaderships=2 ")
    assert "VIOLATION overlap" in output


def test_main_clean_run(run):
    folder = run.write(shutdown_at=20.0)

    assert checker.main([str(folder)]) == 0


def test_main_missing_run(tmp_path):
    assert checker.main([str(tmp_path / "absent")]) == 2
