"""Signals and cancellation: a real ``mp4fix`` process is sent SIGINT, SIGTERM, SIGHUP or SIGKILL at a known
stage (while its ffmpeg child decodes the trial file of the fit check, or the finished output), and what is left
on disk, what it says and whether any ffmpeg outlives it are checked. The API's cancel is checked in every stage.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mp4fix.errors import CancelledError, OutputError
from mp4fix.progress import CancelToken
from mp4fix.repair import plan, repair
from mp4fix.write import remove_stale
from test_cli import SRC

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc")

RECORDING, REFERENCE = "avc_bf_aac48s_mov", "avc_bf_aac48s_mov_ref"


def _children(pid: int) -> list[tuple[int, str]]:
    out = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid:
                out.append((int(p.name), (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")))
        except (OSError, IndexError, ValueError):
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


@pytest.fixture
def case(fixture_path, broken_file, tmp_path):
    broken, _ = broken_file(RECORDING, "mdat90")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return broken, fixture_path(REFERENCE), tmp


def _start(broken: Path, ref: Path, tmp: Path, *extra, new_session: bool = False) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(SRC), TMPDIR=str(tmp))
    return subprocess.Popen([sys.executable, "-m", "mp4fix", "repair", str(broken), "--ref", str(ref), *map(str, extra)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=new_session)


def _wait_for_ffmpeg(proc: subprocess.Popen, marker: str) -> int:
    """The pid of mp4fix's ffmpeg child once it decodes a file whose path contains ``marker``."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        for pid, cmd in _children(proc.pid):
            if marker in cmd and " null " in f" {cmd} ":
                return pid
        if proc.poll() is not None:
            pytest.fail(f"mp4fix ended before ffmpeg decoded {marker}: {proc.stderr.read()}")
        time.sleep(0.005)
    pytest.fail("ffmpeg never started")


def _leftovers(*folders: Path) -> list[str]:
    return sorted(p.name for f in folders for p in f.iterdir() if ".part" in p.name or p.name.startswith("mp4fix-"))


@pytest.mark.parametrize("how", ["kill -INT", "Ctrl-C", "SIGTERM", "SIGHUP"])
def test_signal_during_final_check_leaves_nothing_and_says_so(case, how):
    """Ctrl-C during the final ffmpeg check printed "nothing was written" but left the output, and `kill -INT`
    orphaned ffmpeg. Now the check runs before the output gets its name: a cancel leaves what was there."""
    broken, ref, tmp = case
    out = broken.with_name("out.mov")
    out.write_bytes(b"an older file the user asked to replace")
    proc = _start(broken, ref, tmp, "-o", out, "--force", new_session=True)
    ffmpeg = _wait_for_ffmpeg(proc, ".part")
    if how == "Ctrl-C":  # the terminal sends SIGINT to the whole foreground process group
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, {"kill -INT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}[how])
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.startswith("mp4fix:")]
    assert len(lines) == 1 and "cancelled" in lines[0] and "not written" in lines[0], err
    assert lines[0].count(broken.name) == 1
    if how in ("SIGTERM", "SIGHUP"):
        assert how in lines[0]
    assert out.read_bytes() == b"an older file the user asked to replace"  # what the report says is true
    assert _leftovers(broken.parent, tmp) == []
    assert _gone(ffmpeg, 2.0), "ffmpeg outlived mp4fix"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signal_during_fit_check_removes_the_trial_folder(case, sig):
    """SIGTERM left .part files, mp4fix-trial-* folders and orphaned ffmpeg processes."""
    broken, ref, tmp = case
    proc = _start(broken, ref, tmp)
    ffmpeg = _wait_for_ffmpeg(proc, "mp4fix-trial-")
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "cancelled" in err and "Traceback" not in err, err
    assert _leftovers(broken.parent, tmp) == [] and not broken.with_name(broken.stem + "_fixed.mov").exists()
    assert _gone(ffmpeg, 2.0)


def test_after_sigkill_the_next_run_removes_what_was_left(case):
    """Nothing can be handled on SIGKILL: the next run removes stale .part files and trial folders of
    processes that no longer exist, says so, and leaves those of a running process alone."""
    broken, ref, tmp = case
    proc = _start(broken, ref, tmp)
    ffmpeg = _wait_for_ffmpeg(proc, "mp4fix-trial-")
    proc.kill()
    proc.communicate(timeout=60)
    assert _gone(ffmpeg, 5.0), "ffmpeg outlived a killed mp4fix"
    assert [n for n in _leftovers(tmp) if n.startswith(f"mp4fix-trial-{proc.pid}-")]
    proc = _start(broken, ref, tmp)
    ffmpeg = _wait_for_ffmpeg(proc, ".part")
    assert _leftovers(tmp) == []  # this run already removed the first one's trial folder
    proc.kill()
    proc.communicate(timeout=60)
    assert _gone(ffmpeg, 5.0)
    (tmp / f"mp4fix-trial-{proc.pid}-zz").mkdir()  # as if it had also been killed during a fit check
    left = _leftovers(broken.parent, tmp)
    assert any(n.endswith(f"{proc.pid}.part") for n in left) and len(left) == 2, left
    live = broken.parent / f".other.mov.mp4fix-{os.getpid()}.part"  # a repair that is still running
    live.write_bytes(b"x")
    (tmp / f"mp4fix-trial-{os.getpid()}-abc").mkdir()

    proc = _start(broken, ref, tmp, "--no-verify")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert "Removed 2 leftover temporary files" in out, out
    assert _leftovers(broken.parent, tmp) == sorted([live.name, f"mp4fix-trial-{os.getpid()}-abc"])


def test_remove_stale_ignores_other_names(tmp_path):
    keep = [".clip.mp4.mp4fix-abc.part", "clip.mp4.mp4fix-1.part", ".x.part", "mp4fix-trial-x-1"]
    for n in keep:
        (tmp_path / n).write_bytes(b"")
    assert remove_stale(tmp_path, tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


# --- the API's cancel ----------------------------------------------------------------------------------------


def _cancel_after(token: CancelToken, seconds: float) -> dict:
    fired = {}

    def fire():
        fired["at"] = time.monotonic()
        token.cancel()

    timer = threading.Timer(seconds, fire)
    timer.start()
    fired["timer"] = timer
    return fired


def test_cancel_during_plan_is_prompt_and_a_cancel(case, tmp_path):
    """A cancel 0.5 s into plan() took effect 5.3 s later and came back as a mismatch. plan() is cancelled at
    several points of its work (the fit check's scan, its trial decode, the reference's own decode)."""
    broken, ref, _ = case
    t0 = time.monotonic()
    plan(broken, ref, output=tmp_path / "o.mov")
    whole = time.monotonic() - t0
    for share in (0.05, 0.2, 0.4, 0.6, 0.8, 0.95):
        token = CancelToken()
        fired = _cancel_after(token, whole * share)
        try:
            plan(broken, ref, output=tmp_path / "o.mov", cancel=token)
        except CancelledError:
            late = time.monotonic() - fired["at"]
            assert late < 2.0, f"plan() stopped {late:.2f} s after the cancel (at {share:.0%} of its work)"
        else:
            fired["timer"].cancel()
            assert "at" not in fired or share > 0.9, "plan() ignored a cancel"
        finally:
            fired["timer"].join()
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("stage", ["diagnose", "reference", "scan", "build", "write", "verify"])
def test_cancel_in_every_stage_of_repair(case, tmp_path, stage):
    broken, ref, _ = case
    token = CancelToken()
    out = tmp_path / "out.mov"
    seen = []

    def progress(p):
        seen.append(p.stage)
        if p.stage == stage:
            token.cancel()

    with pytest.raises(CancelledError):
        repair(broken, ref, output=out, progress=progress, cancel=token)
    assert stage in seen and not out.exists() and _leftovers(tmp_path) == []


def test_two_repairs_to_one_output_the_loser_fails(fixture_path, broken_file, tmp_path):
    """Two repairs of different files to the same -o with --force: the loser's report named a file that held
    the other recording. The one whose file was replaced as it finished now fails with a sentence."""
    a, _ = broken_file("tiny", "mdat60")
    b = tmp_path / "other.mp4"
    b.write_bytes(a.read_bytes()[: a.stat().st_size * 3 // 4])
    out = tmp_path / "same.mp4"
    ref = fixture_path("tiny")
    second = {}

    def progress(p):
        if p.stage == "verify" and p.fraction == 1.0 and not second:
            second["report"] = repair(b, ref, output=out, overwrite=True, verify=False)

    with pytest.raises(OutputError, match="was replaced by another program"):
        repair(a, ref, output=out, overwrite=True, verify=False, progress=progress)
    assert second["report"].output == str(out) and out.exists()
    assert _leftovers(tmp_path) == []


def test_an_ignored_hangup_stays_ignored(case):
    """`nohup mp4fix ...` ignores SIGHUP: mp4fix must not turn it back into a cancel."""
    broken, ref, tmp = case
    env = dict(os.environ, PYTHONPATH=str(SRC), TMPDIR=str(tmp))
    proc = subprocess.Popen(["nohup", sys.executable, "-m", "mp4fix", "repair", str(broken), "--ref", str(ref),
                             "--no-verify"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    _wait_for_ffmpeg(proc, "mp4fix-trial-")
    os.kill(proc.pid, signal.SIGHUP)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert broken.with_name(broken.stem + "_fixed.mov").exists()
