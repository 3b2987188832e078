#!/usr/bin/env python3
"""Measure how soon a cancel takes effect in each stage of a repair (the goal: within 0.5 s).

    python benchmarks/bench_cancel.py [--seconds 60] [--size 640x360]

Makes a recording and a reference with the bundled ffmpeg, cuts the recording at 90 %, then cancels
``repair()`` at the first progress event of each stage, and ``plan()`` (which reports no progress) on a timer at
several points of its work, and prints the time from ``cancel()`` to ``CancelledError`` for each. Timing is
measured here, never asserted in tests (tests check that every stage surfaces a cancel as CancelledError).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mp4fix.errors import CancelledError  # noqa: E402
from mp4fix.progress import CancelToken  # noqa: E402
from mp4fix.repair import plan, repair  # noqa: E402

from bench_repair import record  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mp4fix-bench-") as tmp:
        folder = Path(tmp)
        full, ref = folder / "full.mp4", folder / "ref.mp4"
        record(full, args.seconds, args.size, "testsrc2", 440)
        record(ref, 5, args.size, "mandelbrot", 660)
        data = full.read_bytes()
        broken = folder / "broken.mp4"
        broken.write_bytes(data[:len(data) * 9 // 10])
        out = folder / "out.mp4"
        rows = []
        for stage in ("diagnose", "reference", "scan", "build", "write", "verify"):
            late = []
            for _ in range(args.runs):
                token = CancelToken()
                fired = {}

                def progress(p, stage=stage, token=token, fired=fired):
                    if p.stage == stage and "at" not in fired:
                        fired["at"] = time.monotonic()
                        token.cancel()

                try:
                    repair(broken, ref, output=out, overwrite=True, progress=progress, cancel=token)
                except CancelledError:
                    late.append(time.monotonic() - fired["at"])
            rows.append((f"repair: {stage}", late))
        t0 = time.monotonic()
        plan(broken, ref, output=out, overwrite=True)
        whole = time.monotonic() - t0
        for share in (0.1, 0.3, 0.5, 0.7, 0.9):
            late = []
            for _ in range(args.runs):
                token = CancelToken()
                fired = {}

                def fire(token=token, fired=fired):
                    fired["at"] = time.monotonic()
                    token.cancel()

                timer = threading.Timer(whole * share, fire)
                timer.start()
                try:
                    plan(broken, ref, output=out, overwrite=True, cancel=token)
                except CancelledError:
                    late.append(time.monotonic() - fired["at"])
                timer.join()
            rows.append((f"plan: at {share:.0%} of {whole:.1f} s", late))
    print("| where the cancel came | cancelled | time to CancelledError (median, max) |")
    print("| --- | --- | --- |")
    for name, late in rows:
        if late:
            print(f"| {name} | {len(late)}/{args.runs} | {statistics.median(late) * 1000:.0f} ms, "
                  f"{max(late) * 1000:.0f} ms |")
        else:
            print(f"| {name} | 0/{args.runs} | (finished first) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
