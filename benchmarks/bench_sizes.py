#!/usr/bin/env python3
"""mp4fix at real sizes: time per stage, throughput and peak memory on large recordings, side by side with
``cp`` (and untrunc, when given one) on the same machine in the same run.

    nice -n 10 python benchmarks/bench_sizes.py [--dir DIR] [--only NAME ...] [--untrunc PATH]
                                                [--full-check] [--no-verify] [--exact] [--markdown]

The recordings are made with the bundled ffmpeg on first use and cached in DIR (default
``~/.cache/mp4fix-bench``; about 8 GB with every case, 15 GB more while the 5 GiB case runs). Nothing here is
committed. Every repair runs in a fresh process so that its peak memory is its own: VmHWM (the peak resident
set, file-backed pages of the mapped input included: what a task manager shows) and the peak of RssAnon
(anonymous memory, sampled every 20 ms). ``--exact`` also compares every repaired sample with the original's
own index (tests/oracle.py, an independent reader): offsets, sizes, durations, composition times, key flags.

Cases (``--only`` takes these names):

    hd1080       1080p30 H.264 ~58 Mb/s + AAC, 160 s, 1.05 GB, cut at 90 %
    hd1080_545   the first 545 MB of the same recording
    sd60         320x240 H.264 + AAC, 60 minutes, ~430 MB, cut at 95 %
    big5g        1080p30 H.264 at a constant 58 Mb/s (filler data) + AAC, 12 minutes: 5.2 GB, 64-bit mdat and
                 co64, cut at 90 %
    m4a60        AAC only (.m4a), 60 minutes, cut at 95 %
    hevc_pcm     640x360 HEVC (B-frames) + 16-bit stereo PCM in .mov, 2 minutes, cut at 90 %
    damaged      sd60 cut at 95 % with three 1 MiB stretches overwritten by random bytes
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from mp4fix import fftools  # noqa: E402

NOISE = "noise=alls=14:allf=t+u:all_seed={seed}"


def _video(src: str, size: str, rate: int, seed: int) -> list[str]:
    return ["-f", "lavfi", "-i", f"{src}=size={size}:rate={rate}," + NOISE.format(seed=seed)]


def _audio(freq: int, rate: int = 48000) -> list[str]:
    # a tone with a slow warble: AAC frames of varying size, like speech or music
    expr = f"0.3*sin({freq}*2*PI*t+2*sin(0.7*t))|0.3*sin({freq * 3 // 2}*2*PI*t+3*sin(0.3*t))"
    return ["-f", "lavfi", "-i", f"aevalsrc=exprs={expr}:s={rate}"]


def _x264(bitrate: str | None, crf: int = 23, gop: int = 60) -> list[str]:
    args = ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", str(gop), "-pix_fmt", "yuv420p"]
    # ultrafast turns B-frames off; ask for them again (phones and cameras write them)
    args += ["-x264-params", "bframes=2:b-adapt=0"]
    if bitrate:
        args += ["-b:v", bitrate, "-maxrate", bitrate, "-bufsize", bitrate]
    else:
        args += ["-crf", str(crf)]
    return args


def _aac(kbps: int = 128) -> list[str]:
    return ["-c:a", "aac", "-b:a", f"{kbps}k", "-ac", "2"]


@dataclass
class Case:
    name: str
    description: str
    recording: str  # file name of the complete original in the cache
    reference: str
    cut: float | int  # fraction of the original's mdat end, or bytes


def _encode(out: Path, args: list[str], seconds: float) -> None:
    if out.exists():
        return
    tmp = out.with_name(out.stem + ".part" + out.suffix)
    t = time.perf_counter()
    fftools.run(["-y", *args, "-t", f"{seconds:g}", str(tmp)], what=f"making {out.name}", timeout=6 * 3600)
    tmp.replace(out)
    print(f"  made {out.name} ({out.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f} s", flush=True)


def make_sources(folder: Path, names: set[str]) -> None:
    """Encode the originals and references the chosen cases need (cached)."""
    hd = ["-map", "0:v", "-map", "1:a", *_x264("58M", gop=30), *_aac(192), "-ar", "48000"]
    sd = ["-map", "0:v", "-map", "1:a", *_x264("830k", gop=60), *_aac(128), "-ar", "48000"]
    if names & {"hd1080", "hd1080_545", "big5g"}:
        _encode(folder / "hd1080.mp4", _video("testsrc2", "1920x1080", 30, 1) + _audio(440) + hd, 160)
        _encode(folder / "hd1080_ref.mp4", _video("mandelbrot", "1920x1080", 30, 2) + _audio(660) + hd, 5)
    if "big5g" in names:
        # constant bitrate with filler data (x264's nal-hrd=cbr) on plain test content: 5.2 GB quickly. (A
        # stream-copied loop of hd1080 would be faster still, but its index has odd durations at each seam that
        # no repair can know, so it could not be compared with its own index.)
        cbr = ["-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
               "-pix_fmt", "yuv420p", "-b:v", "58M", "-minrate", "58M", "-maxrate", "58M", "-bufsize", "29M",
               "-x264-params", "nal-hrd=cbr:force-cfr=1", *_aac(192), "-ar", "48000"]
        _encode(folder / "big5g.mp4", ["-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30"] + _audio(440) + cbr,
                720)
        _encode(folder / "big5g_ref.mp4", ["-f", "lavfi", "-i", "mandelbrot=size=1920x1080:rate=30"] + _audio(660)
                + cbr, 5)
    if names & {"sd60", "damaged"}:
        _encode(folder / "sd60.mp4", _video("testsrc2", "320x240", 30, 3) + _audio(330) + sd, 3600)
        _encode(folder / "sd60_ref.mp4", _video("mandelbrot", "320x240", 30, 4) + _audio(550) + sd, 5)
    if "m4a60" in names:
        voice = ["-map", "0:a", *_aac(96), "-ar", "44100"]
        _encode(folder / "m4a60.m4a", _audio(220, 44100) + voice, 3600)
        _encode(folder / "m4a60_ref.m4a", _audio(300, 44100) + voice, 5)
    if "hevc_pcm" in names:
        hv = ["-map", "0:v", "-map", "1:a", "-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
              "bframes=3:keyint=60:log-level=error", "-crf", "24", "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
              "-c:a", "pcm_s16le", "-ar", "48000", "-ac", "2"]
        _encode(folder / "hevc_pcm.mov", _video("testsrc2", "640x360", 30, 5) + _audio(440) + hv, 120)
        _encode(folder / "hevc_pcm_ref.mov", _video("mandelbrot", "640x360", 30, 6) + _audio(660) + hv, 5)


CASES = {c.name: c for c in [
    Case("hd1080", "1080p30 H.264 58 Mb/s + AAC, 160 s, cut at 90 %", "hd1080.mp4", "hd1080_ref.mp4", 0.90),
    Case("hd1080_545", "the first 545 MB of the same", "hd1080.mp4", "hd1080_ref.mp4", 545_000_000),
    Case("sd60", "320x240 H.264 + AAC, 60 min, cut at 95 %", "sd60.mp4", "sd60_ref.mp4", 0.95),
    Case("big5g", "1080p H.264 58 Mb/s CBR (filler data) + AAC, 12 min, 5.2 GB (64-bit mdat, co64), cut at 90 %",
         "big5g.mp4", "big5g_ref.mp4", 0.90),
    Case("m4a60", "AAC only .m4a, 60 min, cut at 95 %", "m4a60.m4a", "m4a60_ref.m4a", 0.95),
    Case("hevc_pcm", "640x360 HEVC + PCM .mov, 2 min, cut at 90 %", "hevc_pcm.mov", "hevc_pcm_ref.mov", 0.90),
    Case("damaged", "sd60 cut at 95 %, three 1 MiB stretches overwritten", "sd60.mp4", "sd60_ref.mp4", 0.95),
]}


def _mdat_end(path: Path) -> int:
    import oracle

    return next(b for b in oracle.top_level_boxes(path) if b.type == "mdat").end


def make_broken(folder: Path, case: Case) -> Path:
    """The cut (and, for 'damaged', overwritten) copy of the case's original, streamed (cached)."""
    original = folder / case.recording
    broken = folder / f"{case.name}_broken{original.suffix}"
    if broken.exists():
        return broken
    at = case.cut if isinstance(case.cut, int) else int(_mdat_end(original) * case.cut)
    tmp = broken.with_name(broken.name + ".part")
    with open(original, "rb") as src, open(tmp, "wb") as dst:
        left = at
        while left:
            chunk = src.read(min(left, 16 << 20))
            dst.write(chunk)
            left -= len(chunk)
    if case.name == "damaged":
        import random

        rnd = random.Random(10)
        with open(tmp, "r+b") as f:
            for frac in (0.3, 0.5, 0.7):
                f.seek(int(at * frac))
                f.write(rnd.randbytes(1 << 20))
    tmp.replace(broken)
    return broken


# --- one measured repair, in a child process ---------------------------------------------------------------

_CHILD = r"""
import json, os, sys, threading, time
sys.path.insert(0, os.environ["MP4FIX_SRC"])
peak = {"anon": 0, "file": 0}
def status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "RssAnon", "RssFile", "VmRSS"):
                out[k] = int(v.split()[0]) * 1024
    return out
stop = False
def sample():
    while not stop:
        s = status()
        peak["anon"] = max(peak["anon"], s.get("RssAnon", 0))
        peak["file"] = max(peak["file"], s.get("RssFile", 0))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
from mp4fix.repair import repair
marks = {}
def progress(p):
    now = time.perf_counter()
    span = marks.setdefault(p.stage, [now, now])
    span[1] = now
args = json.loads(sys.argv[1])
t0 = time.perf_counter()
report = repair(args["broken"], args["reference"], output=args["output"], overwrite=True,
                verify=args["verify"], progress=progress, **args.get("extra", {}))
total = time.perf_counter() - t0
stop = True
s = status()
peak["anon"] = max(peak["anon"], s.get("RssAnon", 0))
d = report.to_dict()
print(json.dumps({"total": total, "marks": {k: [a - t0, b - t0] for k, (a, b) in marks.items()},
                  "hwm": s["VmHWM"], "anon": peak["anon"], "file": peak["file"],
                  "samples": sum(t["samples"] for t in d["tracks"]), "complete": d["complete"],
                  "verify": d["verify"], "tracks": [(t["kind"], t["samples"]) for t in d["tracks"]],
                  "skipped": d["bytes_skipped"], "tail": d["truncated_tail"]}))
"""


def measure_mp4fix(broken: Path, reference: Path, output: Path, verify: bool, extra: dict) -> dict:
    env = dict(os.environ, MP4FIX_SRC=str(ROOT / "src"))
    args = json.dumps({"broken": str(broken), "reference": str(reference), "output": str(output),
                       "verify": verify, "extra": extra})
    res = subprocess.run([sys.executable, "-c", _CHILD, args], capture_output=True, text=True, env=env)
    if res.returncode != 0:
        raise RuntimeError(f"mp4fix failed on {broken.name}:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure_cp(src: Path, folder: Path) -> float:
    dst = folder / "cp-copy.tmp"
    t = time.perf_counter()
    subprocess.run(["cp", str(src), str(dst)], check=True)
    elapsed = time.perf_counter() - t
    dst.unlink()
    return elapsed


def measure_untrunc(exe: str, broken: Path, reference: Path, folder: Path) -> dict | None:
    """untrunc's wall time and peak RSS (/usr/bin/time), on a private copy so its output lands beside it."""
    work = folder / "untrunc-run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    link = work / broken.name
    os.link(broken, link)  # same inode: no copy, untrunc only reads it
    t = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "%M %e", exe, "-n", str(reference), str(link)],
                         capture_output=True, text=True, cwd=work)
    elapsed = time.perf_counter() - t
    tail = res.stderr.strip().splitlines()
    out = {"ok": res.returncode == 0, "time": elapsed, "rss": None, "log": "\n".join(tail[-5:])}
    if tail:
        try:
            kb, _secs = tail[-1].split()
            out["rss"] = int(kb) * 1024
        except ValueError:
            pass
    fixed = [p for p in work.iterdir() if p.name != link.name]
    out["output_size"] = fixed[0].stat().st_size if fixed else 0
    shutil.rmtree(work, ignore_errors=True)
    return out


def check_exact(original: Path, fixed: Path, cut: int) -> dict[int, int]:
    import oracle

    return oracle.assert_same_samples(oracle.read_movie(original), oracle.read_movie(fixed), cut,
                                      compare_bytes=False, offset_shift="constant")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path.home() / ".cache" / "mp4fix-bench")
    ap.add_argument("--only", nargs="*", choices=sorted(CASES), default=None)
    ap.add_argument("--untrunc", help="an untrunc binary to measure side by side")
    ap.add_argument("--no-verify", action="store_true", help="repair without the decode check")
    ap.add_argument("--full-check", action="store_true", help="decode the whole result (the slow check)")
    ap.add_argument("--exact", action="store_true", help="compare every sample with the original's index")
    ap.add_argument("--runs", type=int, default=1, help="repeat each measurement; the fastest is kept")
    ap.add_argument("--make-only", action="store_true", help="only make (and cache) the recordings")
    ns = ap.parse_args()
    names = set(ns.only or CASES)
    ns.dir.mkdir(parents=True, exist_ok=True)
    make_sources(ns.dir, names)
    if ns.make_only:
        for name in sorted(names):
            make_broken(ns.dir, CASES[name])
        return 0
    extra = {"full_check": True} if ns.full_check else {}
    rows = []
    for name in [n for n in CASES if n in names]:
        case = CASES[name]
        broken = make_broken(ns.dir, case)
        size = broken.stat().st_size
        subprocess.run(["cat", str(broken)], stdout=subprocess.DEVNULL, check=True)  # warm cache for everyone
        output = ns.dir / f"{name}_fixed{broken.suffix}"
        best = None
        for _ in range(ns.runs):
            r = measure_mp4fix(broken, ns.dir / case.reference, output, not ns.no_verify, extra)
            if best is None or r["total"] < best["total"]:
                best = r
        r = best
        cp = min(measure_cp(broken, ns.dir) for _ in range(ns.runs))
        un = None
        if ns.untrunc:
            runs = [measure_untrunc(ns.untrunc, broken, ns.dir / case.reference, ns.dir) for _ in range(ns.runs)]
            un = min(runs, key=lambda u: u["time"])
        exact = None
        if ns.exact:
            cut = size if name != "damaged" else None
            if cut is not None:
                try:
                    exact = check_exact(ns.dir / case.recording, output, cut)
                except AssertionError as exc:  # reported in the table, not hidden
                    exact = f"DIFFERS: {exc}"
        output.unlink(missing_ok=True)
        stage = {k: b - a for k, (a, b) in r["marks"].items()}
        scan_write = stage.get("scan", 0) + stage.get("build", 0) + stage.get("write", 0)
        row = dict(name=name, description=case.description, size=size, samples=r["samples"], total=r["total"],
                   stages=stage, scan_write=scan_write, hwm=r["hwm"], anon=r["anon"], file=r["file"], cp=cp,
                   untrunc=un, complete=r["complete"], verify=r["verify"], tracks=r["tracks"], exact=exact,
                   skipped=r["skipped"], tail=r["tail"])
        rows.append(row)
        _print_row(row)
    print()
    print(markdown(rows))
    return 0


def _print_row(row: dict) -> None:
    st = row["stages"]
    mb = row["size"] / 1e6
    print(f"\n{row['name']}: {row['description']}; {mb:.0f} MB, {row['samples']} samples {row['tracks']}")
    for k, v in st.items():
        extra = ""
        if k == "scan" and v > 0:
            extra = f"  {mb / v:7.0f} MB/s  {row['samples'] / v:8.0f} samples/s"
        if k == "write" and v > 0:
            extra = f"  {mb / v:7.0f} MB/s"
        print(f"  {k:9} {v:7.2f} s{extra}")
    print(f"  total     {row['total']:7.2f} s; scan+build+write {row['scan_write']:.2f} s; cp {row['cp']:.2f} s "
          f"(x{row['scan_write'] / row['cp']:.1f})")
    print(f"  peak resident (VmHWM) {row['hwm'] / 2**20:.0f} MiB; peak anonymous {row['anon'] / 2**20:.0f} MiB; "
          f"peak file-backed {row['file'] / 2**20:.0f} MiB")
    if row["untrunc"]:
        u = row["untrunc"]
        print(f"  untrunc {u['time']:.2f} s, {u['rss'] / 2**20 if u['rss'] else 0:.0f} MiB, ok={u['ok']}, "
              f"output {u['output_size'] / 1e6:.0f} MB")
    v = row["verify"]
    print(f"  verify: {v}")
    print(f"  skipped {row['skipped']} bytes, {row['tail']} bytes incomplete at the cut")
    print(f"  complete: {row['complete']}; exact vs the original's index: {row['exact']}")


def markdown(rows: list[dict]) -> str:
    head = ("| case | size | samples | scan | write | check | scan+write | samples/s | MB/s | cp | x cp | untrunc "
            "| peak RSS | peak anon |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        st = r["stages"]
        scan = st.get("scan", 0)
        u = r["untrunc"]
        untrunc = f"{u['time']:.2f} s, {u['rss'] / 2**20:.0f} MiB" if u and u.get("rss") else "-"
        lines.append(
            f"| {r['name']} | {r['size'] / 1e6:.0f} MB | {r['samples']:,} | {scan:.2f} s | {st.get('write', 0):.2f} s "
            f"| {st.get('verify', 0):.2f} s | {r['scan_write']:.2f} s | {r['samples'] / max(scan, 1e-9):,.0f} "
            f"| {r['size'] / 1e6 / max(r['scan_write'], 1e-9):,.0f} | {r['cp']:.2f} s "
            f"| {r['scan_write'] / r['cp']:.1f} | {untrunc} | {r['hwm'] / 2**20:.0f} MiB | {r['anon'] / 2**20:.0f} MiB |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
