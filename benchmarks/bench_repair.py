#!/usr/bin/env python3
"""Measure mp4fix's speed on a longer recording: each stage's time and throughput, and peak memory.

    python benchmarks/bench_repair.py [--minutes 5] [--size 1280x720] [--keep DIR]

Makes a recording with the bundled ffmpeg (H.264 + AAC, like a phone's), cuts it at 95 % as a crash would,
and repairs it with a reference of the same settings, timing each stage through the progress callback.
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mp4fix import fftools  # noqa: E402
from mp4fix.repair import repair  # noqa: E402


def record(path: Path, seconds: float, size: str, source: str, tone: int) -> None:
    fftools.run(["-y", "-f", "lavfi", "-i", f"{source}=size={size}:rate=30", "-f", "lavfi", "-i",
                 f"sine=frequency={tone}:sample_rate=48000", "-t", f"{seconds:g}", "-pix_fmt", "yuv420p",
                 "-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-g", "60", "-bf", "2",
                 "-c:a", "aac", "-b:a", "192k", "-ac", "2", str(path)], what="making the benchmark recording",
                timeout=3600)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--keep", type=Path, help="keep the files in this folder")
    ap.add_argument("--heap", action="store_true", help="measure the Python heap's peak (slow)")
    ns = ap.parse_args()
    folder = ns.keep or Path(tempfile.mkdtemp(prefix="mp4fix-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    original, reference = folder / "recording.mp4", folder / "reference.mp4"
    if not original.exists():
        t = time.perf_counter()
        record(original, ns.minutes * 60, ns.size, "testsrc2", 440)
        record(reference, 5, ns.size, "mandelbrot", 660)
        print(f"made the recordings in {time.perf_counter() - t:.1f} s")
    from mp4fix.diagnose import diagnose

    moov = next(b for b in diagnose(original).boxes if b.type == "moov").offset
    broken = folder / "broken.mp4"
    with open(original, "rb") as src, open(broken, "wb") as dst:  # streamed: RSS below is the repair's own
        left = int(moov * 0.95)
        while left:
            chunk = src.read(min(left, 8 << 20))
            dst.write(chunk)
            left -= len(chunk)
    size = broken.stat().st_size

    marks: dict[str, list[float]] = {}

    def progress(p) -> None:
        now = time.perf_counter()
        span = marks.setdefault(p.stage, [now, now])
        span[1] = now

    import tracemalloc

    if ns.heap:
        tracemalloc.start()  # slows Python several times: times below are then not speeds
    t0 = time.perf_counter()
    report = repair(broken, reference, overwrite=True, progress=progress)
    heap_peak = tracemalloc.get_traced_memory()[1] if ns.heap else None
    tracemalloc.stop()
    total = time.perf_counter() - t0
    samples = sum(t.samples for t in report.tracks)
    print(f"file: {size / 1e6:.1f} MB, {report.duration:.0f} s of media, {samples} samples "
          f"({', '.join(f'{t.kind} {t.samples}' for t in report.tracks)})")
    for stage, (a, b) in marks.items():
        line = f"  {stage:9} {b - a:7.2f} s"
        if stage == "scan":
            line += f"   {size / 1e6 / max(b - a, 1e-9):7.1f} MB/s   {samples / max(b - a, 1e-9):8.0f} samples/s"
        if stage == "write":
            line += f"   {size / 1e6 / max(b - a, 1e-9):7.1f} MB/s"
        print(line)
    print(f"  total     {total:7.2f} s   ({size / 1e6 / total:.1f} MB/s end to end)")
    print(f"  peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(includes the file's pages mapped by mmap: page cache the OS reclaims)")
    status = Path("/proc/self/status")
    if status.exists():
        anon = [ln.split()[1] for ln in status.read_text().splitlines() if ln.startswith("RssAnon")]
        if anon:
            print(f"  anonymous memory after the repair (RssAnon): {int(anon[0]) / 1024:.0f} MB")
    if heap_peak is not None:
        print(f"  Python heap peak during the repair: {heap_peak / 1e6:.0f} MB (tracemalloc; times above are slowed)")
    print(f"  verified: {report.verify.ok if report.verify else 'skipped'}; complete: {report.complete}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
