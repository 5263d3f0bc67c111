"""Issue 21, items 4, 6 and 7: nothing lost. Faults injected at every step of the report
writer, in the spirit of SQLite's fault tests (https://sqlite.org/testing.html: every I/O
operation and every allocation made to fail in turn).

A normal ``stockpile solve`` of tiny_sharing runs once with every file opened for writing,
every ``os.rename``, ``os.mkdir`` and ``os.fsync`` counted; then the command runs again once
per counted operation and kind of fault (ENOSPC, EIO, MemoryError, SIGINT delivered there),
the operation failing. Each time: one clean message and no traceback, a non-zero exit (or,
for a signal held during the final renames, the new report complete), the previous report
byte for byte or the new one whole, and no temporary folder left. The solve itself is done
once and replayed (monkeypatched ``run_solve``), so each run is the writer only.
"""

from __future__ import annotations

import builtins
import errno
import importlib
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from stockpile import cli, pipeline
from stockpile.report import files

ROOT = Path(__file__).resolve().parents[1]
TINY_SHARING = ROOT / "instances" / "tiny_sharing.yaml"
ARGS = ["--quiet", "--no-check", "--no-why"]
KINDS = ("write", "rename", "mkdir", "fsync")


class _Tally:
    """Counts the operations of each kind; raises ``fault`` at operation ``at`` of ``kind``."""

    def __init__(self, kind: str | None = None, at: int = 0,
                 fault: Callable[[], None] | None = None) -> None:
        self.counts = dict.fromkeys(KINDS, 0)
        self.kind, self.at, self.fault = kind, at, fault

    def hit(self, kind: str) -> None:
        self.counts[kind] += 1
        if kind == self.kind and self.counts[kind] == self.at and self.fault:
            self.fault()


class _FailingFile:
    """A file opened for writing whose first ``write`` is the counted operation."""

    def __init__(self, f: Any, tally: _Tally) -> None:
        self._f, self._tally, self._first = f, tally, True

    def write(self, data: Any) -> int:
        if self._first:
            self._first = False
            self._tally.hit("write")
        return self._f.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._f)


@contextmanager
def injected(monkeypatch: pytest.MonkeyPatch, root: Path, tally: _Tally) -> Iterator[None]:
    real_open, real_rename, real_mkdir, real_fsync = io.open, os.rename, os.mkdir, os.fsync

    def opener(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
        f = real_open(file, mode, *a, **k)
        writing = any(c in mode for c in "wax+")
        inside = isinstance(file, str | os.PathLike) and str(file).startswith(str(root))
        return _FailingFile(f, tally) if writing and inside else f

    def rename(src: Any, dst: Any, *a: Any, **k: Any) -> None:
        tally.hit("rename")
        real_rename(src, dst, *a, **k)

    def mkdir(path: Any, *a: Any, **k: Any) -> None:
        if not os.path.lexists(path):  # a folder created (Path.mkdir(exist_ok) tries first)
            tally.hit("mkdir")
        real_mkdir(path, *a, **k)

    def fsync(fd: int) -> None:
        tally.hit("fsync")
        real_fsync(fd)

    with monkeypatch.context() as m:
        m.setattr(io, "open", opener)
        m.setattr(builtins, "open", opener)
        m.setattr(os, "rename", rename)
        m.setattr(os, "mkdir", mkdir)
        m.setattr(os, "fsync", fsync)
        yield


def _raise(exc: BaseException) -> Callable[[], None]:
    def fault() -> None:
        raise exc
    return fault


def _signal() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # the installed handler raises, or holds it


FAULTS: dict[str, Callable[[], None]] = {
    "ENOSPC": _raise(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))),
    "EIO": _raise(OSError(errno.EIO, os.strerror(errno.EIO))),
    "MemoryError": _raise(MemoryError()),
    "SIGINT": _signal,
}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def replay() -> Any:
    """run_solve done once: its outcome, replayed for every run."""
    seen: list[Any] = []
    real = pipeline.run_solve

    def once(*a: Any, **k: Any) -> Any:
        if not seen:
            seen.append(real(*a, **k))
        return seen[0]
    return once


def _all_faults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                capsys: pytest.CaptureFixture[str], replay: Any, every_kind: bool) -> int:
    """Count the operations of a normal run, then fail each in turn: with every kind of
    fault (``every_kind``), or with one kind per operation, taken in rotation."""
    monkeypatch.setattr(pipeline, "run_solve", replay)
    out = tmp_path / "r"
    assert cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS]) == 0
    # a sub-report (compare/) the writer must carry into every new report
    (out / "compare").mkdir()
    (out / "compare" / files.MARKER).write_text(json.dumps(
        {"written_by": "stockpile", "files": []}), encoding="utf-8")
    tally = _Tally()
    with injected(monkeypatch, tmp_path, tally):
        assert cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS]) == 0
    counts = dict(tally.counts)
    before = snapshot(out)  # created_utc tells this report from a later one (mostly)
    assert "compare/.stockpile-report" in before
    # a report is 5 files, its marker and the writing marker; the temporary folder; two
    # renames (the previous report set aside, the new one in); every file and folder synced
    assert counts["write"] >= 7 and counts["rename"] >= 2 and counts["mkdir"] >= 1
    assert counts["fsync"] >= 9
    capsys.readouterr()
    names = list(FAULTS)
    runs = 0
    for kind in KINDS:
        for at in range(1, counts[kind] + 1):
            chosen = names if every_kind else [names[runs % len(names)]]
            for name in chosen:
                runs += 1
                before = _one_fault(tmp_path, out, before, monkeypatch, capsys,
                                    _Tally(kind, at, FAULTS[name]), f"{name} at {kind} {at}")
    return runs


def test_every_write_rename_mkdir_and_fsync_fails_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        replay: Any) -> None:
    # every operation fails once, the kinds of fault taken in rotation (21 runs)
    runs = _all_faults(tmp_path, monkeypatch, capsys, replay, every_kind=False)
    assert runs >= 20


@pytest.mark.slow
def test_every_operation_fails_with_every_kind_of_fault(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        replay: Any) -> None:
    # the full matrix: every operation x ENOSPC, EIO, MemoryError, SIGINT (84 runs)
    runs = _all_faults(tmp_path, monkeypatch, capsys, replay, every_kind=True)
    assert runs >= 80


def _one_fault(tmp_path: Path, out: Path, before: dict[str, bytes],
               monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
               tally: _Tally, label: str) -> dict[str, bytes]:
    """One run with one fault; the report folder's content afterwards."""
    with injected(monkeypatch, tmp_path, tally):
        code = cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS])
    msg = capsys.readouterr()
    after = snapshot(out)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "r")
    assert left == [], f"{label}: left {left}"
    assert "Traceback" not in msg.err, label
    if code == 0:  # only a failing sync after the renames: the new report is in place
        assert tally.kind == "fsync" and after.keys() == before.keys(), label
        return after
    errors = [line for line in msg.err.splitlines() if line.startswith("stockpile")]
    assert len(errors) == 1, f"{label}: {msg.err}"
    if code == 130 and "already complete" in errors[0]:  # held during the renames
        assert after.keys() == before.keys(), label
        return after
    assert code in (1, 130), f"{label}: exit {code}: {msg.err}"
    assert after == before, f"{label}: the previous report changed"
    assert "nothing written" in errors[0], label
    return after


def test_cleanup_removes_only_leftovers_with_the_marker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay: Any) -> None:
    # reproducer: mkdir -p reports/.tiny_sharing.tmp-999999-x; echo mine > .../keep;
    # stockpile solve instances/tiny_sharing.yaml --no-check removed that folder
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pipeline, "run_solve", replay)
    pid = _dead_pid()
    reports = tmp_path / "reports"
    mine = reports / f".tiny_sharing.tmp-{pid}-x"
    mine.mkdir(parents=True)
    (mine / "keep").write_text("mine\n")
    old_looking = reports / f".tiny_sharing.old-{pid}-y"  # no report marker: not ours either
    old_looking.mkdir()
    (old_looking / "notes.txt").write_text("mine too\n")
    ours = reports / f".tiny_sharing.tmp-{pid}-z"  # a killed writer's: carries the marker
    ours.mkdir()
    (ours / files.TMP_MARKER).write_text(json.dumps(
        {"written_by": "stockpile", "folder": ours.name, "pid": pid}), encoding="utf-8")
    (ours / "report.md").write_text("half")
    assert cli.main(["solve", str(TINY_SHARING), *ARGS]) == 0
    assert (reports / "tiny_sharing" / "report.md").is_file()
    assert (mine / "keep").read_text() == "mine\n"
    assert (old_looking / "notes.txt").read_text() == "mine too\n"
    assert not ours.exists()


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(proc.stdout)


def test_reports_are_synced_before_and_after_the_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 21 item 6: nothing was synced before the rename (a power loss could leave a
    # half-written report). Every file and the folder are synced before, the parent after
    synced: list[str] = []
    renamed: list[int] = []
    real_fsync, real_rename = os.fsync, os.rename

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def rename(a: Any, b: Any) -> None:
        renamed.append(len(synced))
        real_rename(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "rename", rename)
    out = tmp_path / "r"

    def write(t: Path) -> list[str]:
        (t / "a.txt").write_text("1")
        (t / "sub").mkdir()
        (t / "sub" / "b.txt").write_text("2")
        return ["a.txt"]
    files.write_folder(out, write)
    before_rename = {Path(p).name for p in synced[:renamed[0]]}
    assert {"a.txt", "b.txt", "sub", files.MARKER} <= before_rename
    assert any(Path(p).name.startswith(".r.tmp-") for p in synced[:renamed[0]])
    assert synced[-1] == str(tmp_path)  # the parent, after the rename


# ---- a MemoryError anywhere, and each HiGHS status ---------------------------------------------
WRITER_STEPS = [("stockpile.report", "render_markdown"), ("stockpile.report", "render_html"),
                ("stockpile.report.files", "write_xlsx"), ("stockpile.report.files", "document"),
                ("stockpile.report.files", "write_json"),
                ("stockpile.report.files", "write_plan_csv"),
                ("stockpile.report.files", "_write_marker"),
                ("stockpile.report.files", "sync_tree"), ("stockpile.report.files", "_replace")]
"""Each step of the report writer that allocates (renders, builds a document, serialises)."""


def test_each_allocation_of_the_report_writer_fails_in_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        replay: Any) -> None:
    # SQLite-style out-of-memory: each step of the writer raises MemoryError in turn
    monkeypatch.setattr(pipeline, "run_solve", replay)
    out = tmp_path / "r"
    assert cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS]) == 0
    before = snapshot(out)
    capsys.readouterr()

    def exhausted(*a: Any, **k: Any) -> Any:
        raise MemoryError

    for module, name in WRITER_STEPS:
        with monkeypatch.context() as m:
            m.setattr(importlib.import_module(module), name, exhausted)
            code = cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS])
        err = capsys.readouterr().err
        assert code == 1, (name, err)
        assert err.startswith("stockpile: out of memory; nothing written"), (name, err)
        assert "Traceback" not in err and snapshot(out) == before, name
        assert sorted(p.name for p in tmp_path.iterdir()) == ["r"], name


def test_a_memory_error_anywhere_is_a_message_and_an_exit_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    load_module = importlib.import_module("stockpile.instance.load")  # not the function

    def exhausted(*a: Any, **k: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(load_module, "parse", exhausted)  # while loading the instance
    assert cli.main(["solve", str(TINY_SHARING), "--out", str(tmp_path / "r"), *ARGS]) == 1
    err = capsys.readouterr().err
    assert err.startswith("stockpile: out of memory; nothing written") and "Traceback" not in err
    assert not (tmp_path / "r").exists()


class _Forced:
    """A HiGHS whose model status is forced; everything else is the real solver's."""

    def __init__(self, h: Any, status: Any, plan: bool) -> None:
        self._h, self._status, self._plan = h, status, plan

    def getModelStatus(self) -> Any:  # highspy's name
        return self._status

    def getInfo(self) -> Any:
        info = self._h.getInfo()
        if not self._plan:
            info.primal_solution_status = 0
        return info

    def __getattr__(self, name: str) -> Any:
        return getattr(self._h, name)


@pytest.mark.parametrize(("status", "plan", "code", "said"), [
    ("kTimeLimit", True, 0, "NOT proven optimal: stopped at the time limit with a plan"),
    ("kInterrupt", True, 0, "NOT proven optimal: stopped on interruption with a plan"),
    ("kTimeLimit", False, 4, "time_limit: HiGHS stopped (Time limit reached) before finding "
                             "any plan; nothing written"),
    ("kInterrupt", False, 130, "interrupted before any plan was found; nothing written"),
    ("kInfeasible", False, 3, "no feasible plan for 'tiny_sharing' (infeasible)"),
    ("kUnbounded", False, 3, "no feasible plan for 'tiny_sharing' (unbounded)"),
    ("kSolveError", False, 4, "error: HiGHS: Solve error; nothing written"),
])
def test_each_highs_status_is_reported_as_it_is(
        status: str, plan: bool, code: int, said: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import highspy

    from stockpile.solve import highs

    real = highs._read_status
    forced = getattr(highspy.HighsModelStatus, status)
    monkeypatch.setattr(highs, "_read_status",
                        lambda h, is_mip: real(_Forced(h, forced, plan), is_mip))
    out = tmp_path / "r"
    assert cli.main(["solve", str(TINY_SHARING), "--out", str(out), *ARGS]) == code
    msg = capsys.readouterr()
    assert said in msg.out + msg.err
    if code == 0:  # the report says it too, and never calls the plan optimal
        report = (out / "report.md").read_text(encoding="utf-8")
        result = json.loads((out / "result.json").read_text(encoding="utf-8"))
        assert said in report and result["solver"]["proven_optimal"] is False
    else:
        assert not out.exists()
