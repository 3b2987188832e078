"""The command line as a user runs it: a subprocess, its output, its exit code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import oracle

SRC = Path(__file__).resolve().parents[1] / "src"


LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
REALWORLD = Path("/work/shared/realworld")


def mp4fix(*args, cwd=None, lang: str | None = "C.UTF-8") -> subprocess.CompletedProcess:
    """``mp4fix ARGS`` as typed in a shell whose locale is ``lang`` (English by default, whatever the machine's)."""
    env = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    env["PYTHONPATH"] = str(SRC)
    env["PYTHONIOENCODING"] = "utf-8"
    if lang is not None:
        env["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "mp4fix", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=600, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def one_sentence_error(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("mp4fix:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_version():
    proc = mp4fix("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("mp4fix ")


def test_repair_writes_fixed_file_and_reports(fixture_path, broken_file):
    broken, cut = broken_file("avc_nobf_aac44m", "mdat60")
    proc = mp4fix("repair", broken, "--ref", fixture_path("avc_nobf_aac44m_ref"))
    assert proc.returncode == 0, proc.stderr
    fixed = broken.with_name(broken.stem + "_fixed.mp4")
    assert fixed.exists()
    assert f"-> {fixed}" in proc.stdout
    assert "track 1 video avc1" in proc.stdout and "track 2 audio mp4a" in proc.stdout
    assert "decodes the result without errors" in proc.stdout and "result: complete" in proc.stdout
    oracle.assert_same_samples(fixture_path("avc_nobf_aac44m"), fixed, cut, offset_shift=0)


def test_repair_json_report(fixture_path, broken_file, tmp_path):
    broken, cut = broken_file("avc_bf_aac48s", "mid_sample")
    out = tmp_path / "out" / "saved.mp4"
    out.parent.mkdir()
    proc = mp4fix("repair", broken, "--ref", fixture_path("avc_bf_aac48s_ref"), "-o", out, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["output"] == str(out) and report["complete"] and report["exit_code"] == 0
    orig = oracle.read_movie(fixture_path("avc_bf_aac48s"))
    want = {t.track_id: oracle.samples_before(t, cut) for t in orig.tracks}
    assert {t["track_id"]: t["samples"] for t in report["tracks"]} == want
    assert report["verify"]["ok"] and report["verify"]["decode_errors"] == 0
    assert report["bytes_used"] + report["truncated_tail"] == report["mdat_bytes"]


def test_check_is_proportionate_unless_full_check_is_asked(fixture_path, broken_file):
    broken, _ = broken_file("avc_bf_aac48s_mov", "mdat90")  # 30 GOPs: the default check samples them
    ref = fixture_path("avc_bf_aac48s_mov_ref")
    proc = mp4fix("repair", broken, "--ref", ref, "--json")
    assert proc.returncode == 0, proc.stderr
    v = json.loads(proc.stdout)["verify"]
    assert v["ok"] and v["mode"] == "sampled" and v["coverage"].startswith("every audio sample; video from ")
    assert 0 < v["frames_checked"] < v["frames_total"]
    proc = mp4fix("repair", broken, "--ref", ref, "--full-check", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "decodes the result without errors\n  checked: every audio and video sample\n" in proc.stdout


def test_batch_with_one_reference_and_out_dir(fixture_path, broken_file, tmp_path):
    a, _ = broken_file("avc_nobf_aac44m", "mdat30")
    b, _ = broken_file("avc_nobf_aac44m", "mdat90")
    out_dir = tmp_path / "repaired"
    out_dir.mkdir()
    proc = mp4fix("repair", a, b, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--out-dir", out_dir, "-q")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([a.stem + "_fixed.mp4", b.stem + "_fixed.mp4"])


def test_out_dir_that_does_not_exist_is_created(fixture_path, broken_file, tmp_path):
    """The README's own example: ``--out-dir repaired/`` names a folder that is not there yet."""
    a, _ = broken_file("avc_nobf_aac44m", "mdat30")
    b, _ = broken_file("avc_nobf_aac44m", "mdat90")
    proc = mp4fix("repair", a, b, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--out-dir", "repaired/deeper/",
                  "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out_dir = tmp_path / "repaired" / "deeper"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted([a.stem + "_fixed.mp4", b.stem + "_fixed.mp4"])


def test_out_dir_made_for_a_batch_that_wrote_nothing_is_removed_again(fixture_path, tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n" * 10)
    proc = mp4fix("repair", text, "--ref", fixture_path("tiny"), "--out-dir", tmp_path / "new" / "folder")
    assert proc.returncode == 2 and "not an MP4" in one_sentence_error(proc)
    assert sorted(os.listdir(tmp_path)) == ["notes.mp4"]  # nothing left behind, not even the folder


def test_out_dir_that_is_a_file_is_one_sentence(fixture_path, broken_file, tmp_path):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat30")
    blocker = tmp_path / "repaired"
    blocker.write_text("a file, not a folder")
    proc = mp4fix("repair", broken, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--out-dir", blocker)
    assert proc.returncode == 2
    assert "not a folder" in one_sentence_error(proc)


@pytest.mark.parametrize("args", [["--help"], ["repair", "--help"]])
def test_help_shows_examples_the_output_name_and_the_exit_codes(args):
    proc = mp4fix(*args)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "examples:" in out and "mp4fix repair broken.mp4 --ref good.mp4" in out
    assert "--out-dir repaired/" in out and "mp4fix probe broken.mp4" in out
    assert "<name>_fixed.<ext>" in out and "broken_fixed.mp4" in out
    assert "exit codes:" in out
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"^  {code} +\S", out, re.M), code
    assert max(len(line) for line in out.splitlines()) <= 80, "lines wider than a terminal"


def test_existing_output_needs_force(fixture_path, broken_file):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat30")
    ref = fixture_path("avc_nobf_aac44m_ref")
    fixed = broken.with_name(broken.stem + "_fixed.mp4")
    fixed.write_bytes(b"keep me")
    proc = mp4fix("repair", broken, "--ref", ref)
    assert proc.returncode == 2
    assert "already exists" in one_sentence_error(proc) and fixed.read_bytes() == b"keep me"
    proc = mp4fix("repair", broken, "--ref", ref, "--force", "-q")
    assert proc.returncode == 0 and fixed.stat().st_size > 1000


@pytest.mark.parametrize("kind", ["text", "empty", "directory", "missing"])
def test_bad_broken_input(kind, fixture_path, tmp_path):
    target = tmp_path / "clip.mp4"
    if kind == "text":
        target.write_text("this is not a video\n" * 20)
    elif kind == "empty":
        target.write_bytes(b"")
    elif kind == "directory":
        target.mkdir()
    proc = mp4fix("repair", target, "--ref", fixture_path("tiny"))
    assert proc.returncode == 2
    msg = one_sentence_error(proc)
    assert {"text": "not an MP4", "empty": "empty", "directory": "folder", "missing": "does not exist"}[kind] in msg
    assert sorted(os.listdir(tmp_path)) == (["clip.mp4"] if kind != "missing" else [])


def test_broken_reference_is_refused(fixture_path, broken_file, tmp_path):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat60")
    bad_ref, _ = broken_file("avc_nobf_aac44m_ref", "mdat90")
    proc = mp4fix("repair", broken, "--ref", bad_ref)
    assert proc.returncode == 2
    assert "reference" in one_sentence_error(proc) and "broken" in proc.stderr


def test_reference_of_other_codec_exit_3(fixture_path, broken_file):
    broken, _ = broken_file("avc_bf_aac48s", "mdat60")
    proc = mp4fix("repair", broken, "--ref", fixture_path("hevc_aac48s_ref"))
    assert proc.returncode == 3
    assert "does not match" in one_sentence_error(proc)
    assert not broken.with_name(broken.stem + "_fixed.mp4").exists()


def test_usage_errors_exit_2(fixture_path, tmp_path):
    assert mp4fix("repair", "x.mp4").returncode == 2  # no --ref
    proc = mp4fix("repair", "a.mp4", "b.mp4", "--ref", "r.mp4", "-o", tmp_path / "o.mp4")
    assert proc.returncode == 2 and "one broken file" in proc.stderr
    assert mp4fix().returncode == 2


def test_probe_broken_file(broken_file):
    broken, _ = broken_file("avc_bf_aac48s", "mdat60")
    proc = mp4fix("probe", broken)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "index (moov): MISSING" in out and "mdat" in out and "runs past the end" in out
    assert "can be recovered" in out and "moov atom not found" in out


def test_probe_json_on_healthy_file(fixture_path):
    proc = mp4fix("probe", fixture_path("avc_bf_aac48s_ref"), "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["has_moov"] and not d["broken"]
    assert [(t["kind"], t["codec"], t["supported"]) for t in d["tracks"]] == [("video", "avc1", True),
                                                                           ("audio", "mp4a", True)]
    assert d["ffmpeg"]["error"] is None and len(d["ffmpeg"]["streams"]) == 2


def test_probe_not_mp4(tmp_path):
    f = tmp_path / "notes.mp4"
    f.write_text("hello")
    proc = mp4fix("probe", f)
    assert proc.returncode == 2 and "not an MP4" in one_sentence_error(proc)


def _without_root_powers() -> list[str]:
    """A command prefix that drops the capabilities that let root read any file, or [] if not possible."""
    import shutil

    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


@pytest.mark.parametrize("which", ["broken", "reference"])
def test_unreadable_file_is_one_sentence(which, fixture_path, broken_file):
    broken, _ = broken_file("avc_nobf_aac44m", "mdat60")
    reference = broken.with_name("reference.mp4")
    reference.write_bytes(fixture_path("avc_nobf_aac44m_ref").read_bytes())
    target = broken if which == "broken" else reference
    target.chmod(0)
    try:
        env = dict(os.environ, PYTHONPATH=str(SRC))
        cmd = _without_root_powers() + [sys.executable, "-m", "mp4fix", "repair", str(broken), "--ref",
                                        str(reference)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)
    finally:
        target.chmod(0o644)
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in one_sentence_error(proc)
    assert not broken.with_name(broken.stem + "_fixed.mp4").exists()


def test_demo_makes_breaks_and_repairs(tmp_path):
    """The README's first command: a recording, the same cut short, and its complete repair."""
    proc = mp4fix("demo", "--dir", tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "result: complete" in proc.stdout
    fixed = tmp_path / "broken_fixed.mp4"
    cut = (tmp_path / "broken.mp4").stat().st_size
    oracle.assert_same_samples(tmp_path / "recording.mp4", fixed, cut, offset_shift=0)


def test_parallel_batch_ends_with_a_summary_line(fixture_path, broken_file, tmp_path):
    """--jobs 2 repairs in worker processes: every file is repaired exactly as alone, the reports come out
    whole, and one summary line ends the batch (a failed file counts there and sets the exit code)."""
    a, cut_a = broken_file("avc_nobf_aac44m", "mdat30")
    b, cut_b = broken_file("avc_nobf_aac44m", "mdat90")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video\n" * 10)
    out_dir = tmp_path / "repaired"
    out_dir.mkdir()
    proc = mp4fix("repair", a, bad, b, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--out-dir", out_dir,
                  "--jobs", "2")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("notes.mp4") == 1  # named once
    assert proc.stdout.count("Repaired ") == 2 and proc.stdout.count("result: complete") == 2
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("3 files in ") and last.endswith(": 2 repaired, 0 partly repaired, 1 failed")
    orig = fixture_path("avc_nobf_aac44m")
    oracle.assert_same_samples(orig, out_dir / (a.stem + "_fixed.mp4"), cut_a, offset_shift=0)
    oracle.assert_same_samples(orig, out_dir / (b.stem + "_fixed.mp4"), cut_b, offset_shift=0)
    proc = mp4fix("repair", a, b, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--out-dir", out_dir,
                  "--jobs", "2", "--force", "--json")
    assert proc.returncode == 0
    assert [r["input"] for r in json.loads(proc.stdout)] == [str(a), str(b)]  # input order, whatever finished first


def test_jobs_must_be_positive(fixture_path, tmp_path):
    proc = mp4fix("repair", tmp_path / "a.mp4", "--ref", fixture_path("tiny"), "--jobs", "-1")
    assert proc.returncode == 2 and "--jobs" in one_sentence_error(proc)


def test_batch_summary_counts():
    from mp4fix.cli import _Outcome, batch_summary

    results = [_Outcome(0, exit_code=0), _Outcome(1, exit_code=1), _Outcome(2, exit_code=3), _Outcome(3, exit_code=0)]
    assert batch_summary(results, 75.4) == "4 files in 1:15: 2 repaired, 1 partly repaired, 1 failed"


@pytest.mark.parametrize("verify", [True, False])
def test_overall_progress_follows_the_stages(verify):
    from mp4fix.progress import STAGES, ProgressReporter

    seen = []
    rep = ProgressReporter(seen.append, None, verify)
    stages = STAGES if verify else STAGES[:-1]
    for stage in stages:
        for f in (0.0, 0.5, 1.0):
            rep(stage, f)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    scan = [p.fraction for p in seen if p.stage == "scan"]
    assert 0.3 < scan[-1] - scan[0] < 0.7  # the scan is the largest part (measured: benchmarks/RESULTS.md)


def _with_channelcount(src: Path, dst: Path, channels: int) -> Path:
    """A copy of ``src`` whose 'mp4a' sample entry says ``channels`` (its esds left as it is)."""
    data = bytearray(src.read_bytes())
    entry = data.index(b"mp4a", data.index(b"stsd")) - 4
    data[entry + 24:entry + 26] = channels.to_bytes(2, "big")
    dst.write_bytes(bytes(data))
    return dst


def test_probe_takes_the_channels_from_the_aac_config(fixture_path, tmp_path):
    """Recorders often leave the sample entry's channelcount at 2 for mono AAC; the AudioSpecificConfig wins."""
    clip = _with_channelcount(fixture_path("avc_nobf_aac44m_ref"), tmp_path / "clip.mp4", 2)
    proc = mp4fix("probe", clip)
    assert proc.returncode == 0, proc.stderr
    (audio,) = [line for line in proc.stdout.splitlines() if "audio mp4a" in line]
    assert "44100 Hz, mono," in audio and "2 ch" not in audio and "stereo" not in audio
    proc = mp4fix("probe", fixture_path("avc_bf_aac48s_ref"))
    assert "48000 Hz, stereo," in proc.stdout


@pytest.mark.skipif(not (REALWORLD / "flirone_thermal.mp4").is_file(), reason="no real-world recordings here")
def test_probe_of_a_real_mono_recording_says_mono():
    proc = mp4fix("probe", REALWORLD / "flirone_thermal.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "44100 Hz, mono," in proc.stdout and "2 ch" not in proc.stdout


def test_report_counts_agree_with_their_words():
    from mp4fix.cli import format_report
    from mp4fix.report import RepairReport, TrackResult, VerifyResult

    report = RepairReport("in.mp4", "ref.mp4", "in_fixed.mp4", mdat_bytes=1000, bytes_used=1000,
                          verify=VerifyResult(ok=False, decode_errors=1, duration=1.0))
    report.tracks = [TrackResult(1, "video", "avc1", 1, 0.04, 900, keyframes=1),
                     TrackResult(2, "audio", "mp4a", 2, 0.05, 100)]
    text = format_report(report)
    assert "1 sample, 0:00.040, 1 keyframe (900 bytes)" in text
    assert "2 samples, 0:00.050 (100 bytes)" in text
    assert "ffmpeg reported 1 decoding error\n" in text
    report.tracks[0] = TrackResult(1, "video", "avc1", 30, 1.0, 900, keyframes=2)
    assert "30 samples, 0:01.000, 2 keyframes" in format_report(report)
