"""Fuzz driver: parser cases in process, whole repairs one per child process, each under time and memory limits.

    python3 fuzzing/run.py parsers --cases 1000000            # box walker, every codec matcher, reference learner
    python3 fuzzing/run.py repairs --cases 10000              # the real ``mp4fix repair`` on mutated files
    python3 fuzzing/run.py parsers --replay 12345             # run one case again, in this process, with its traceback

Every case is deterministic from ``--master`` and its number, so a finding is reproduced by its number alone.
Findings go to ``--out`` (default ``fuzzing/findings/``) as one JSON file each; the run ends with a summary
line of case counts per target and findings. The process limits come from ``resource.setrlimit``: address
space (``--memory-mb``) and CPU seconds, plus a wall-clock alarm per case (``--case-seconds``).

Parser cases run many per worker process (forked, so the seeds are loaded once); a worker that dies (a crash,
the memory limit) is replaced and the case it was on is recorded. Each whole repair is its own forked child
that runs ``mp4fix.cli.main`` exactly as the command does, with its output redirected to files; the parent
checks what a user would see: an exit code of 0-3, no traceback or "internal error", one sentence on error,
the input files unchanged, the output present exactly when the repair succeeded, and no temporary file left.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import targets  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang("the case took longer than its time limit")


def _limit(memory_mb: int, cpu_seconds: float) -> None:
    limit = memory_mb << 20
    cpu_seconds = int(cpu_seconds + 0.999)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, hard if hard != resource.RLIM_INFINITY else cpu_seconds + 5))


def _record(out: Path, kind: str, case: int, what: str, detail: str = "", files: dict[str, bytes] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{kind}-{case}"
    for name, blob in (files or {}).items():
        (out / f"{stem}-{name}").write_bytes(blob)
    (out / f"{stem}.json").write_text(json.dumps({"kind": kind, "case": case, "what": what, "detail": detail},
                                                 indent=1))


# --- parsers --------------------------------------------------------------------------------------------


def run_parsers(args) -> dict:
    seeds = targets.load_seeds(args.seeds)
    if not args.full_learning:
        targets.quick_learning()
    frag_seeds = targets.load_fragmented(targets.FRAGMENTED[:2] if args.ci else None)
    kinds = tuple(args.kinds)
    counts = {k: 0 for k in kinds}
    findings: list[tuple[int, str]] = []
    out = Path(args.out)
    start_time = time.monotonic()
    case = args.start
    stop = args.start + args.cases
    while case < stop:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # worker
            os.close(r)
            _limit(args.memory_mb, 10 ** 6)
            # the limit counts the worker's own CPU time: on a busy machine wall time says nothing of a hang
            signal.signal(signal.SIGVTALRM, _alarm)
            for c in range(case, stop):
                os.write(w, struct.pack("<Q", c))
                signal.setitimer(signal.ITIMER_VIRTUAL, args.case_seconds)
                try:
                    targets.run_parser_case(seeds, c, args.master, frag_seeds, kinds)
                except BaseException as exc:  # noqa: BLE001 - everything is a finding here
                    signal.setitimer(signal.ITIMER_VIRTUAL, 0)
                    _record(out, "parser", c, f"{type(exc).__name__}: {exc}"[:500], traceback.format_exc())
                    os.write(w, struct.pack("<Q", (1 << 63) | c))
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            os._exit(0)
        os.close(w)
        last = case - 1
        with os.fdopen(r, "rb") as pipe:
            while True:
                blob = pipe.read(8)
                if len(blob) < 8:
                    break
                (v,) = struct.unpack("<Q", blob)
                if v >> 63:
                    findings.append((v & ~(1 << 63), "exception"))
                else:
                    last = v
                    if args.progress and v % args.progress == 0:
                        rate = (v - args.start + 1) / max(time.monotonic() - start_time, 1e-9)
                        print(f"parsers: case {v} ({rate:.0f}/s), {len(findings)} finding(s)", flush=True)
        _, status = os.waitpid(pid, 0)
        if status != 0:  # the worker died on case `last` (a crash or the memory limit)
            _record(out, "parser", last, f"worker died (wait status {status})")
            findings.append((last, f"worker died ({status})"))
            case = last + 1
        else:
            case = stop
    for c in range(args.start, stop):
        counts[targets.case_kind(c, args.master, kinds)[1]] += 1
    return {"cases": args.cases, "per_target": counts, "findings": [c for c, _ in findings],
            "seconds": round(time.monotonic() - start_time, 1)}


# --- whole repairs --------------------------------------------------------------------------------------

#: (recording, reference): small recordings of several codecs and layouts, each with its twin reference
REPAIR_PAIRS = [("tiny", "tiny"), ("tiny_video_only", "tiny_video_only"), ("avc_pcm_mov", "avc_pcm_mov_ref"),
                ("aud_ac3_mp4", "aud_ac3_mp4_ref"), ("aud_amr_3gp", "aud_amr_3gp_ref"),
                ("vid_mjpeg_mov_pcm", "vid_mjpeg_mov_pcm_ref"), ("vid_mpeg4_bf_aac", "vid_mpeg4_bf_aac_ref"),
                ("aac_voice_m4a", "aac_voice_m4a_ref"), ("frag_avc_aac", None), ("frag_avc_aac_hybrid", None),
                ("frag_avc_aac_separate", "tiny")]
CI_REPAIR_PAIRS = [("tiny", "tiny"), ("tiny_video_only", "tiny_video_only"), ("frag_avc_aac_base_moof", None)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _repair_case(pairs, case: int, master: int, folder: Path) -> tuple[list[str], Path, Path, Path]:
    """Write case ``case``'s broken file and reference into ``folder``; returns the command's arguments."""
    from mp4fix import boxes

    rng = random.Random(master * 1_000_003 + case)
    rec_name, ref_name, rec, ref = rng.choice(pairs)
    mdat = next(r for r in boxes.walk(rec) if r.type == "mdat")
    fragmented = any(r.type == "moof" for r in boxes.walk(rec))
    cut = rng.randrange(mdat.payload_start + 1, len(rec) if fragmented else mdat.end)
    broken = rec[:cut]
    what = rng.random()
    if what < 0.75:
        lo = 0 if fragmented else mdat.offset  # a fragmented file's index is in its moof boxes, all along it
        broken = targets.mutate(rng, broken, lo, len(broken), rounds=rng.choice((1, 2, 4, 16, 64)))
    if ref is not None and what > 0.55:
        ref_moov = next(r for r in boxes.walk(ref) if r.type == "moov")
        ref = targets.mutate(rng, ref, ref_moov.offset, ref_moov.end)
    ext = ".mov" if rec[4:12] == b"ftypqt  " else ".mp4"
    bpath, rpath = folder / f"broken{ext}", folder / f"good{ext}"
    bpath.write_bytes(broken)
    rpath.write_bytes(ref if ref is not None else b"unused")
    out = folder / f"out{ext}"
    argv = ["repair", str(bpath), "-o", str(out)] + (["--ref", str(rpath)] if ref is not None else [])
    if rng.random() < 0.97:
        argv.append("--no-verify")
    if rng.random() < 0.3:
        argv.append("--json")
    return argv, bpath, rpath, out


def run_repairs(args) -> dict:
    # everything a repair imports, imported once here: each forked case then starts at once
    from mp4fix import cli, diagnose, fftools, repair  # noqa: F401

    names = [p for p in (REPAIR_PAIRS if not args.ci else CI_REPAIR_PAIRS) if args.only in p[0]]
    pairs = [(a, b, targets.seed_path(a).read_bytes(), targets.seed_path(b).read_bytes() if b else None)
             for a, b in names]
    out = Path(args.out)
    scratch = Path(tempfile.mkdtemp(prefix="mp4fix-fuzz-", dir=args.scratch))
    codes: dict[int, int] = {}
    findings: list[int] = []
    start_time = time.monotonic()
    stop = {"at": None}

    def on_term(signum, frame):  # stop after the case in hand and still print the summary
        stop["at"] = signum

    signal.signal(signal.SIGTERM, on_term)
    ran = 0
    try:
        for case in range(args.start, args.start + args.cases):
            if stop["at"] is not None:
                break
            ran += 1
            folder = scratch / str(case)
            folder.mkdir()
            argv, bpath, rpath, output = _repair_case(pairs, case, args.master, folder)
            before = {p: (_sha(p), p.stat().st_mtime_ns) for p in (bpath, rpath)}
            tmp = folder / "tmp"
            tmp.mkdir()
            pid = os.fork()
            if pid == 0:  # the repair, as the command runs it
                try:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
                    os.environ["TMPDIR"] = str(tmp)
                    tempfile.tempdir = str(tmp)
                    fd_out = os.open(folder / "stdout", os.O_WRONLY | os.O_CREAT)
                    fd_err = os.open(folder / "stderr", os.O_WRONLY | os.O_CREAT)
                    os.dup2(fd_out, 1)
                    os.dup2(fd_err, 2)
                    sys.stdout = open(1, "w", closefd=False)  # also when a test runner had replaced them
                    sys.stderr = open(2, "w", closefd=False)
                    _limit(args.memory_mb, args.case_seconds)
                    code = cli.main(argv)
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code if isinstance(code, int) else 99)
                except SystemExit as exc:
                    os._exit(exc.code if isinstance(exc.code, int) else 98)
                except BaseException:  # noqa: BLE001
                    traceback.print_exc()
                    sys.stderr.flush()
                    os._exit(97)
            # CPU time is limited in the child (RLIMIT_CPU); this deadline only catches a case blocked for good
            # (waiting on ffmpeg), generous because a nice'd run on a busy machine may wait long for a core
            deadline = time.monotonic() + max(10 * args.case_seconds, 600)
            status = None
            while status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = st
                elif time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    _, status = os.waitpid(pid, 0)
                    status = -1
                else:
                    time.sleep(0.01)
            problems = _check_repair(status, folder, argv, bpath, rpath, output, before)
            code = os.waitstatus_to_exitcode(status) if status != -1 else -1
            codes[code] = codes.get(code, 0) + 1
            if problems:
                findings.append(case)
                _record(out, "repair", case, "; ".join(problems),
                        (folder / "stderr").read_text(errors="replace")[-4000:],
                        {"broken" + bpath.suffix: bpath.read_bytes(), "ref" + rpath.suffix: rpath.read_bytes()})
            shutil.rmtree(folder, ignore_errors=True)
            if args.progress and case % args.progress == 0:
                rate = (case - args.start + 1) / max(time.monotonic() - start_time, 1e-9)
                print(f"repairs: case {case} ({rate:.2f}/s), exit codes {codes}, {len(findings)} finding(s)",
                      flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"cases": ran, "range": [args.start, args.start + ran],
            "exit_codes": {str(k): v for k, v in sorted(codes.items())}, "findings": findings,
            "seconds": round(time.monotonic() - start_time, 1)}


def _check_repair(status, folder: Path, argv, bpath: Path, rpath: Path, output: Path, before) -> list[str]:
    problems = []
    if status == -1:
        return ["hang: blocked past its deadline and killed"]
    if os.WIFSIGNALED(status):
        problems.append(f"killed by signal {os.WTERMSIG(status)} (memory or CPU limit)")
        return problems
    code = os.waitstatus_to_exitcode(status)
    err = (folder / "stderr").read_text(errors="replace")
    if code not in (0, 1, 2, 3):
        problems.append(f"exit code {code}")
    if "Traceback" in err or "internal error" in err:
        problems.append("a traceback or internal error")
    if code in (2, 3):
        lines = [ln for ln in err.splitlines() if ln.startswith("mp4fix:")]
        if len(lines) != 1:
            problems.append(f"{len(lines)} error lines instead of one sentence")
        if output.exists():
            problems.append("an output was left after an error")
    if code in (0, 1) and not output.exists():
        problems.append("success without an output file")
    for p, (sha, mtime) in before.items():
        if _sha(p) != sha or p.stat().st_mtime_ns != mtime:
            problems.append(f"the input {p.name} was changed")
    expected = {bpath.name, rpath.name, output.name, "stdout", "stderr", "tmp"}
    extra = sorted(p.name for p in folder.iterdir() if p.name not in expected)
    extra += sorted("tmp/" + p.name for p in (folder / "tmp").iterdir())
    if extra:
        problems.append(f"left behind: {', '.join(extra)}")
    return problems


# --- command line ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=("parsers", "repairs"))
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--start", type=int, default=0, help="first case number")
    ap.add_argument("--master", type=int, default=1, help="master seed: cases are deterministic from it")
    ap.add_argument("--out", default=str(HERE / "findings"))
    ap.add_argument("--scratch", default=None, help="folder for the repairs' files (default: the temp folder)")
    ap.add_argument("--memory-mb", type=int, default=2048, help="address-space limit per process")
    ap.add_argument("--case-seconds", type=float, default=None,
                    help="CPU-time limit per case (default: 30 s per parser case, 60 s per repair; a parser case "
                         "takes milliseconds, learning an ALAC reference about 2 s)")
    ap.add_argument("--seeds", nargs="*", default=None, help="reference fixtures the parser cases start from")
    ap.add_argument("--ci", action="store_true", help="only the quickest seed files")
    ap.add_argument("--progress", type=int, default=0, help="print a line every N cases")
    ap.add_argument("--kinds", nargs="+", choices=targets.KINDS, default=list(targets.KINDS),
                    help="parser targets to run (default: all)")
    ap.add_argument("--full-learning", action="store_true",
                    help="parsers: let the learner measure as many reference samples as a repair does (slow)")
    ap.add_argument("--only", default="", help="repairs: only the recordings whose name contains this")
    ap.add_argument("--replay", type=int, default=None, help="run one parser case here and show its traceback")
    args = ap.parse_args(argv)
    if args.seeds is None:
        args.seeds = targets.CI_REFERENCES if args.ci else [n for v in targets.SEED_REFERENCES.values() for n in v]
    if args.case_seconds is None:
        args.case_seconds = 30.0 if args.what == "parsers" else 60
    if args.replay is not None:
        if not args.full_learning:
            targets.quick_learning()
        targets.run_parser_case(targets.load_seeds(args.seeds), args.replay, args.master, kinds=tuple(args.kinds))
        print("no finding")
        return 0
    summary = run_parsers(args) if args.what == "parsers" else run_repairs(args)
    summary["what"] = args.what
    summary["master"] = args.master
    print(json.dumps(summary))
    return 1 if summary["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
