#!/usr/bin/env python3
"""Check the leadership history of a fault-injection run.

Reads a run folder written by tests/faults/run.py:

  faults.jsonl   the runner's records: run settings, node starts, kills and
                 exits, one record per fault with its monotonic start and end
  lease.jsonl    the stored lease as `jobleader status --json` reported it,
                 polled about every 0.5 s
  the event log and daemon log of every node, named in the node records

and reports these violations:

  overlap          two processes acting as leader at overlapping times
  epoch-order      a new leader whose epoch is not above every earlier one
  lease-regression a stored lease epoch below one observed earlier
  leaderless       no leader for longer than the fault's bound (FAULT_BOUNDS)
  unexpected-exit  a daemon that exited on its own, exited non-zero after
                   SIGTERM, or needed SIGKILL after SIGTERM
  fencing-missed   sigstop-leader-fenced faults ran, but no write of the
                   paused leader was rejected by the store

All times are CLOCK_MONOTONIC microseconds of this host, which the daemon
(g_get_monotonic_time) and the runner (time.monotonic) share.

Usage: checker.py RUN_DIR   (exit 0: no violation, 1: violations, 2: bad input)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

SLACK_MS = 3000


@dataclass(frozen=True)
class Timing:
    """Daemon timing of a run, as written in its run-start record."""

    session_timeout_ms: int
    safety_margin_ms: int
    renew_interval_ms: int
    lease_ttl_ms: int
    retry_max_backoff_ms: int

    @property
    def takeover_ms(self) -> int:
        """Session expiry of a lost leader, then the next lease write."""
        return self.session_timeout_ms + 2 * self.renew_interval_ms

    @property
    def store_retry_ms(self) -> int:
        """Maximum retry backoff after a store outage, then a lease write."""
        return self.retry_max_backoff_ms + 2 * self.renew_interval_ms


# Maximum leaderless stretch each fault kind may cause, and the moment it is
# measured from. Faults whose effect begins at once (a kill, a pause, a
# partition) count from their "start". Outages that block every election until
# they are repaired (ZooKeeper quorum, the Thrift gateway) count from their
# "end". "startup" is the first election, measured from the first node start.
FAULT_BOUNDS: dict[str, tuple[str, Callable[[Timing], int]]] = {
    "startup": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "sigkill-leader": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "sigkill-standby": ("start", lambda t: 1000),
    "sigstop-leader": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "sigstop-leader-fenced": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "sigterm-leader": ("start", lambda t: 2000),
    "zk-kill-follower": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "zk-kill-zk-leader": ("start", lambda t: t.takeover_ms + SLACK_MS),
    "zk-quorum-loss": ("end", lambda t: t.takeover_ms + SLACK_MS),
    "thrift-kill": ("end", lambda t: t.store_retry_ms + SLACK_MS),
    "partition-leader": ("start", lambda t: t.takeover_ms + SLACK_MS),
}

FENCED_FAULT = "sigstop-leader-fenced"
LEASE_REJECTED = re.compile(r"\bevent=lease-rejected\b")


class RunFormatError(Exception):
    """A run folder whose files are missing or malformed."""


@dataclass
class Violation:
    kind: str
    message: str


@dataclass
class Process:
    """One daemon process: a node between one start and its exit or kill."""

    node: str
    holder: str
    pid: int
    started_us: int
    ignore_deadline: bool = False
    events: list[dict] = field(default_factory=list)
    ended_us: int | None = None      # kill or exit time seen by the runner
    end_kind: str | None = None      # "killed" or "exited"
    rejected_writes: int = 0


@dataclass
class Interval:
    """A time span in which one process acted as leader."""

    holder: str
    pid: int
    epoch: int
    start_us: int
    end_us: int
    end_reason: str
    ignore_deadline: bool = False


@dataclass
class Fault:
    kind: str
    start_us: int
    end_us: int
    target: str | None = None
    details: dict = field(default_factory=dict)


@dataclass
class Run:
    timing: Timing
    processes: list[Process]
    faults: list[Fault]
    leases: list[dict]
    first_start_us: int
    shutdown_us: int
    run_end_us: int
    unexpected_exits: list[dict] = field(default_factory=list)


@dataclass
class FaultGap:
    """Maximum leaderless stretch after a fault's reference point
    (gap_us, checked against bound_ms) and after its start (from_start_us,
    reported only)."""

    fault: Fault
    gap_us: int
    bound_ms: int
    reference: str = "start"
    from_start_us: int = 0


@dataclass
class Report:
    faults: int
    leaderships: int
    max_gap_ms: int
    violations: list[Violation]
    gaps: list[FaultGap]
    fenced_writes: int
    other_rejected_writes: int
    fenced_overlaps: int
    lease_observations: int

    def summary_lines(self) -> list[str]:
        lines = [f"faults={self.faults} leaderships={self.leaderships} "
                 f"max_gap_ms={self.max_gap_ms} "
                 f"violations={len(self.violations)}"]
        kinds: dict[str, list[FaultGap]] = {}
        startup_ms = 0
        for gap in self.gaps:
            if gap.fault.kind == "startup":
                startup_ms = gap.gap_us // 1000
            else:
                kinds.setdefault(gap.fault.kind, []).append(gap)
        for kind in sorted(kinds):
            entries = kinds[kind]
            longest = max(entry.gap_us for entry in entries) // 1000
            line = (f"  kind={kind} count={len(entries)} "
                    f"max_gap_ms={longest} bound_ms={entries[0].bound_ms}")
            if entries[0].reference == "end":
                from_start = max(entry.from_start_us for entry in entries)
                line += (f" measured_from=end "
                         f"max_gap_from_start_ms={from_start // 1000}")
            lines.append(line)
        lines.append(f"  startup_gap_ms={startup_ms} "
                     f"fenced_writes={self.fenced_writes} "
                     f"fenced_overlaps={self.fenced_overlaps} "
                     f"other_rejected_writes={self.other_rejected_writes} "
                     f"lease_observations={self.lease_observations}")
        for violation in self.violations:
            lines.append(f"VIOLATION {violation.kind}: {violation.message}")
        return lines


# ---- Loading ----

def read_jsonl(path: Path) -> list[dict]:
    """Parse one JSON object per line, skipping a torn last line."""
    records = []
    if not path.exists():
        return records
    lines = path.read_text(errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            if number == len(lines):
                break
            raise RunFormatError(f"{path}:{number}: invalid JSON: {error}")
    return records


def count_rejected_writes(daemon_log: Path, pid: int) -> int:
    """Count lease-rejected records of one process in a node's daemon log.

    The daemon log is appended across restarts. A line belongs to the
    process named by its "jobleaderd[PID]" prefix, and a line without that
    prefix is counted for every process of the node.
    """
    if not daemon_log.exists():
        return 0
    count = 0
    pid_marker = re.compile(r"jobleaderd\[(\d+)\]")
    for line in daemon_log.read_text(errors="replace").splitlines():
        if not LEASE_REJECTED.search(line):
            continue
        match = pid_marker.search(line)
        if match is None or int(match.group(1)) == pid:
            count += 1
    return count


def load_run(folder: Path) -> Run:
    """Read a run folder written by run.py."""
    fault_log = folder / "faults.jsonl"
    if not fault_log.exists():
        raise RunFormatError(f"{fault_log} not found: expected the output "
                             f"folder of tests/faults/run.py")
    records = read_jsonl(fault_log)
    by_type: dict[str, list[dict]] = {}
    for record in records:
        by_type.setdefault(record.get("record", ""), []).append(record)

    if not by_type.get("run-start"):
        raise RunFormatError(f"{fault_log} has no run-start record")
    timing = Timing(**by_type["run-start"][0]["timing"])

    processes: dict[int, Process] = {}
    logs: dict[int, tuple[Path, Path]] = {}
    for record in by_type.get("node-started", []):
        process = Process(node=record["node"], holder=record["holder"],
                          pid=record["pid"], started_us=record["mono_us"],
                          ignore_deadline=record.get("ignore_deadline", False))
        processes[process.pid] = process
        logs[process.pid] = (folder / record["event_log"],
                             folder / record["daemon_log"])
    if not processes:
        raise RunFormatError(f"{fault_log} has no node-started record")

    unexpected = []
    for record in by_type.get("node-killed", []) + \
            by_type.get("node-exited", []):
        process = processes.get(record["pid"])
        if process is None:
            raise RunFormatError(f"{fault_log}: {record['record']} for pid "
                                 f"{record['pid']}, which no node-started "
                                 f"record names")
        process.ended_us = record["mono_us"]
        process.end_kind = "killed" if record["record"] == "node-killed" \
            else "exited"
        if not record.get("expected", True):
            unexpected.append(record)

    event_cache: dict[Path, list[dict]] = {}
    for pid, (event_log, daemon_log) in logs.items():
        if event_log not in event_cache:
            event_cache[event_log] = read_jsonl(event_log)
        processes[pid].events = [event for event in event_cache[event_log]
                                 if event.get("pid") == pid]
        processes[pid].rejected_writes = count_rejected_writes(daemon_log,
                                                               pid)

    faults = [Fault(kind=record["kind"], start_us=record["start_mono_us"],
                    end_us=record["end_mono_us"],
                    target=record.get("target"),
                    details=record.get("details", {}))
              for record in by_type.get("fault", [])]
    faults.sort(key=lambda fault: fault.start_us)

    first_start_us = min(process.started_us
                         for process in processes.values())
    run_end = by_type.get("run-end")
    shutdown = by_type.get("shutdown-started")
    if run_end:
        run_end_us = run_end[-1]["mono_us"]
    else:
        # After an interrupted run, the last record marks the end of what is
        # known.
        run_end_us = max(record.get("mono_us", record.get("end_mono_us", 0))
                         for record in records)
    shutdown_us = shutdown[-1]["mono_us"] if shutdown else run_end_us

    return Run(timing=timing, processes=list(processes.values()),
               faults=faults, leases=read_jsonl(folder / "lease.jsonl"),
               first_start_us=first_start_us, shutdown_us=shutdown_us,
               run_end_us=run_end_us, unexpected_exits=unexpected)


# ---- Acting intervals ----

def logged_mono_us(process: Process, event: dict) -> int:
    """Estimate the monotonic time at which event was written.

    A stepped-down record carries the time up to which the node may have
    acted, not the time it was written. The time of writing is derived from
    wall_ms and the wall-to-monotonic offset of a record whose mono_us is
    its time of writing (started, elected, standby, stopped), so the result
    has millisecond precision.
    """
    for reference in process.events:
        if reference.get("event") in ("started", "elected", "standby",
                                      "stopped"):
            offset_us = reference["wall_ms"] * 1000 - reference["mono_us"]
            return event["wall_ms"] * 1000 - offset_us
    return event["mono_us"]


def acting_intervals(run: Run) -> list[Interval]:
    """Build the leader intervals of every process.

    An interval runs from an elected record to the next stepped-down record
    of the same process, else to its kill or exit time, else to the end of
    the run. A process run with the deadline-ignoring test knob keeps acting
    until it writes the stepped-down record, so its interval ends then.
    """
    intervals = []
    for process in run.processes:
        open_event: dict | None = None
        for event in process.events:
            kind = event.get("event")
            if kind == "elected" and open_event is None:
                open_event = event
            elif kind in ("stepped-down", "stopped") and open_event:
                end_us = event["mono_us"]
                if process.ignore_deadline:
                    end_us = max(end_us, logged_mono_us(process, event))
                intervals.append(Interval(
                    holder=process.holder, pid=process.pid,
                    epoch=open_event["epoch"],
                    start_us=open_event["mono_us"], end_us=end_us,
                    end_reason=event.get("reason") or kind,
                    ignore_deadline=process.ignore_deadline))
                open_event = None
        if open_event is not None:
            end_us = process.ended_us if process.ended_us is not None \
                else run.run_end_us
            intervals.append(Interval(
                holder=process.holder, pid=process.pid,
                epoch=open_event["epoch"], start_us=open_event["mono_us"],
                end_us=end_us,
                end_reason=process.end_kind or "end of run",
                ignore_deadline=process.ignore_deadline))
    intervals.sort(key=lambda interval: interval.start_us)
    return intervals


def describe(interval: Interval) -> str:
    return (f"{interval.holder} (pid {interval.pid}, epoch {interval.epoch}) "
            f"acting {interval.start_us}..{interval.end_us} us "
            f"(ended by {interval.end_reason})")


# ---- Checks ----

def find_overlaps(intervals: list[Interval]) -> tuple[list[Violation], int]:
    """Return overlap violations and the count of expected overlaps.

    An overlap that involves a process run with the deadline-ignoring knob
    is expected, because that knob leaves fencing to the store. Such an
    overlap is counted, not reported. Lease regressions and rejected writes
    show whether the store fenced it.
    """
    violations = []
    expected = 0
    for index, first in enumerate(intervals):
        for second in intervals[index + 1:]:
            if second.start_us >= first.end_us:
                continue
            if (first.holder, first.pid) == (second.holder, second.pid):
                continue
            overlap_ms = (min(first.end_us, second.end_us)
                          - second.start_us) / 1000
            if first.ignore_deadline or second.ignore_deadline:
                expected += 1
                continue
            violations.append(Violation(
                "overlap",
                f"two leaders for {overlap_ms:.1f} ms: {describe(first)}; "
                f"{describe(second)}"))
    return violations, expected


def find_epoch_violations(intervals: list[Interval]) -> tuple[list[Violation],
                                                               int]:
    """Return epoch-order violations and the number of leaderships.

    A leadership is a run of intervals with one holder and one epoch. A
    node that resumes after a short connection loss keeps its epoch, so it
    is not a new leader. Every new leadership must have an epoch above all
    earlier ones.
    """
    violations = []
    leaderships = 0
    previous: Interval | None = None
    highest: Interval | None = None
    for interval in intervals:
        if previous is not None and \
                (interval.holder, interval.epoch) == \
                (previous.holder, previous.epoch):
            previous = interval
            continue
        leaderships += 1
        if highest is not None and interval.epoch <= highest.epoch:
            violations.append(Violation(
                "epoch-order",
                f"new leader {interval.holder} at {interval.start_us} us has "
                f"epoch {interval.epoch}, not above epoch {highest.epoch} "
                f"of {highest.holder} (elected at {highest.start_us} us)"))
        if highest is None or interval.epoch > highest.epoch:
            highest = interval
        previous = interval
    return violations, leaderships


def find_lease_regressions(observations: list[dict]) -> list[Violation]:
    """Report stored lease epochs below one observed earlier."""
    violations = []
    highest: dict | None = None
    for observation in sorted(observations, key=lambda o: o["mono_us"]):
        epoch = observation.get("lease_epoch")
        if epoch is None:
            continue
        if highest is not None and epoch < highest["lease_epoch"]:
            violations.append(Violation(
                "lease-regression",
                f"stored lease epoch {epoch} (holder "
                f"{observation.get('lease_holder')}) at "
                f"{observation['mono_us']} us is below epoch "
                f"{highest['lease_epoch']} (holder "
                f"{highest.get('lease_holder')}) observed at "
                f"{highest['mono_us']} us"))
        if highest is None or epoch > highest["lease_epoch"]:
            highest = observation
    return violations


def leaderless_stretches(intervals: list[Interval], begin_us: int,
                         end_us: int) -> list[tuple[int, int]]:
    """Return the spans within [begin_us, end_us) in which no process
    acted as leader."""
    stretches = []
    cursor = begin_us
    for interval in sorted(intervals, key=lambda i: i.start_us):
        if interval.start_us > cursor:
            stretches.append((cursor, min(interval.start_us, end_us)))
        cursor = max(cursor, interval.end_us)
        if cursor >= end_us:
            break
    if cursor < end_us:
        stretches.append((cursor, end_us))
    return [(start, end) for start, end in stretches if end > start]


def fault_bound(kind: str, timing: Timing) -> tuple[str, int]:
    if kind not in FAULT_BOUNDS:
        raise RunFormatError(f"unknown fault kind '{kind}': expected one of "
                             f"{', '.join(sorted(FAULT_BOUNDS))}")
    reference, bound = FAULT_BOUNDS[kind]
    return reference, bound(timing)


def find_gaps(run: Run, intervals: list[Interval]) \
        -> tuple[list[Violation], list[FaultGap]]:
    """Measure the longest leaderless stretch after each fault.

    Each fault owns the time from its start to the next fault's start (the
    last one to the start of shutdown). A stretch counts from the fault's
    reference point in FAULT_BOUNDS onward; the first election owns the
    time before the first fault.
    """
    stretches = leaderless_stretches(intervals, run.first_start_us,
                                     run.shutdown_us)
    startup = Fault(kind="startup", start_us=run.first_start_us,
                    end_us=run.first_start_us)
    windows = [startup] + run.faults
    violations = []
    gaps = []
    for index, fault in enumerate(windows):
        window_end = windows[index + 1].start_us \
            if index + 1 < len(windows) else run.shutdown_us
        reference, bound_ms = fault_bound(fault.kind, run.timing)
        begin = max(fault.start_us,
                    fault.end_us if reference == "end" else fault.start_us)
        longest = 0
        from_start = 0
        for start, end in stretches:
            longest = max(longest, min(end, window_end) - max(start, begin))
            from_start = max(from_start, min(end, window_end)
                             - max(start, fault.start_us))
        gaps.append(FaultGap(fault, longest, bound_ms, reference, from_start))
        if longest > bound_ms * 1000:
            target = f" on {fault.target}" if fault.target else ""
            violations.append(Violation(
                "leaderless",
                f"no leader for {longest // 1000} ms after {fault.kind}"
                f"{target} (fault {fault.start_us}..{fault.end_us} us); "
                f"bound {bound_ms} ms from the fault's {reference}"))
    return violations, gaps


def check_fencing(run: Run) -> tuple[list[Violation], int, int]:
    """Count rejected lease writes; require one when fenced faults ran.

    Returns violations, rejected writes of knob processes (fenced writes)
    and rejected writes of other processes. A normal node may log one too,
    when a write it sent before its deadline reaches the store after the
    next leader's first write.
    """
    fenced = sum(p.rejected_writes for p in run.processes
                 if p.ignore_deadline)
    others = sum(p.rejected_writes for p in run.processes
                 if not p.ignore_deadline)
    fenced_faults = [f for f in run.faults if f.kind == FENCED_FAULT]
    violations = []
    if fenced_faults and fenced == 0:
        violations.append(Violation(
            "fencing-missed",
            f"{len(fenced_faults)} {FENCED_FAULT} fault(s) ran, but no "
            f"process run with JOBLEADER_DEBUG_IGNORE_DEADLINE=1 logged "
            f"event=lease-rejected"))
    return violations, fenced, others


def check_exits(run: Run) -> list[Violation]:
    """Report daemons that exited on their own, failed their clean stop
    (non-zero status) or had to be SIGKILLed after SIGTERM."""
    violations = []
    for record in run.unexpected_exits:
        if record["record"] == "node-killed":
            description = "did not exit after SIGTERM and was SIGKILLed"
        elif record.get("stopped"):
            description = (f"exited with status {record.get('returncode')} "
                           f"after SIGTERM")
        else:
            description = (f"exited with status {record.get('returncode')} "
                           f"without being stopped")
        violations.append(Violation(
            "unexpected-exit",
            f"{record['node']} (pid {record['pid']}) {description} at "
            f"{record['mono_us']} us"))
    return violations


def check(run: Run) -> Report:
    intervals = acting_intervals(run)
    overlaps, expected_overlaps = find_overlaps(intervals)
    epoch_violations, leaderships = find_epoch_violations(intervals)
    gap_violations, gaps = find_gaps(run, intervals)
    fencing_violations, fenced, others = check_fencing(run)
    violations = (overlaps + epoch_violations
                  + find_lease_regressions(run.leases) + gap_violations
                  + check_exits(run) + fencing_violations)
    return Report(
        faults=len(run.faults), leaderships=leaderships,
        max_gap_ms=max((gap.gap_us for gap in gaps), default=0) // 1000,
        violations=violations, gaps=gaps, fenced_writes=fenced,
        other_rejected_writes=others, fenced_overlaps=expected_overlaps,
        lease_observations=sum(1 for o in run.leases
                               if o.get("lease_epoch") is not None))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Check the leadership history of a fault-injection run "
                    "written by tests/faults/run.py.")
    parser.add_argument("run_dir", type=Path,
                        help="output folder of run.py (contains faults.jsonl)")
    arguments = parser.parse_args(argv)
    try:
        report = check(load_run(arguments.run_dir))
    except (RunFormatError, KeyError, TypeError) as error:
        print(f"checker.py: error: cannot read run in {arguments.run_dir}: "
              f"{error}", file=sys.stderr)
        return 2
    for line in report.summary_lines():
        print(line)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
