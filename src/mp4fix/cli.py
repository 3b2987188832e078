"""The ``mp4fix`` command: ``repair``, ``probe`` and ``demo``. A thin layer over ``mp4fix.repair``.

Exit codes (also in the README): 0 every file repaired completely; 1 repaired, but something could not be
recovered; 2 bad usage or input; 3 could not repair; 130 cancelled. With several files the worst one counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mp4fix import __version__
from mp4fix.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, Mp4fixError
from mp4fix.progress import CancelToken, Progress


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: one sentence, exit 2 (argparse's own code too)
        self.print_usage(sys.stderr)
        print(f"mp4fix: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mp4fix", description="Repair MP4/MOV recordings whose index (moov) was never "
                                                 "written, using a healthy reference file from the same device.")
    parser.add_argument("--version", action="version", version=f"mp4fix {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    rp = sub.add_parser("repair", help="rebuild the index of one or more broken files")
    rp.add_argument("broken", nargs="+", type=Path, help="broken .mp4/.mov file(s)")
    rp.add_argument("--ref", "-r", required=True, type=Path, metavar="GOOD",
                    help="a healthy file recorded with the same device and settings")
    out = rp.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, help="output file (one broken file only)")
    out.add_argument("--out-dir", type=Path, help="folder for the repaired files (default: beside each input)")
    rp.add_argument("--force", action="store_true", help="replace an existing output file")
    rp.add_argument("--no-verify", action="store_true", help="skip the ffmpeg decode check of the result")
    rp.add_argument("--full-check", action="store_true",
                    help="decode the whole result (default: every audio sample and video around keyframes spread "
                         "over the file, which takes a fraction of the time)")
    rp.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                    help="repair N files of a batch at once, each in its own process (default: one per "
                         "processor, at most 4)")
    rp.add_argument("--trust-reference", action="store_true",
                    help="use the reference even where mp4fix judges that it does not match the broken file")
    rp.add_argument("--json", action="store_true", help="print the report as JSON")
    rp.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    pp = sub.add_parser("probe", help="say what is in a file and what is wrong with it")
    pp.add_argument("file", type=Path)
    pp.add_argument("--json", action="store_true", help="print as JSON")

    dp = sub.add_parser("demo", help="make a sample recording, break it, and repair it")
    dp.add_argument("--dir", type=Path, default=None, help="where to put the demo files (default: a temp folder)")
    return parser


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # a file name or message the console's code page lacks (Windows cp1252) must not crash the command
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        if args.command == "repair":
            return cmd_repair(args)
        if args.command == "probe":
            return cmd_probe(args)
        if args.command == "demo":
            return cmd_demo(args)
    except Mp4fixError as exc:
        print(f"mp4fix: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mp4fix: cancelled; nothing was written.", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: still one sentence, the traceback only on request
        if args.debug:
            raise
        print(f"mp4fix: internal error ({type(exc).__name__}: {exc}). Please report it; --debug shows details.",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INPUT


# --- repair -------------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class _Display:
    """The progress of a batch on one line of a terminal's stderr (silent when stderr is not a terminal):
    for each file being repaired its stage and how far it is, the files done, and a time estimate."""

    def __init__(self, names: list[str], enabled: bool):
        self.names = names
        self.enabled = enabled and sys.stderr.isatty()
        self.active: dict[int, Progress] = {}
        self.done: set[int] = set()
        self.start = time.monotonic()
        self._last = 0.0

    def update(self, index: int, p: Progress) -> None:
        self.active[index] = p
        self._draw(p.fraction >= 1.0)

    def finished(self, index: int) -> None:
        self.active.pop(index, None)
        self.done.add(index)
        self._draw(True)

    def _eta(self) -> str:
        total = len(self.names)
        fraction = (len(self.done) + sum(p.fraction for p in self.active.values())) / max(total, 1)
        elapsed = time.monotonic() - self.start
        if fraction < 0.02 or elapsed < 2.0:
            return ""
        return f"  ~{_clock(elapsed * (1 - fraction) / fraction)} left"

    def _draw(self, force: bool) -> None:
        if not self.enabled or not self.active:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and not force:
            return
        self._last = now
        total = len(self.names)
        width = max(shutil.get_terminal_size((100, 20)).columns - 1, 40)
        if len(self.active) == 1 and total == 1:
            (i, p), = self.active.items()
            bar = int(p.fraction * 24)
            line = (f"{self.names[i][:32]} [{'#' * bar}{'.' * (24 - bar)}] {p.fraction * 100:5.1f}%  "
                    f"{p.stage}: {p.message}")
        else:
            parts = [f"{self.names[i][:24]} {p.stage} {p.fraction * 100:.0f}%" for i, p in sorted(self.active.items())]
            line = (f"[{len(self.done)} of {total} done] " if len(self.active) > 1 else
                    f"[file {min(self.active, default=len(self.done)) + 1} of {total}] ") + " | ".join(parts)
        line = (line[:width - 16] + self._eta())[:width]
        sys.stderr.write("\r" + line.ljust(width))
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            width = max(shutil.get_terminal_size((100, 20)).columns - 1, 40)
            sys.stderr.write("\r" + " " * width + "\r")
            sys.stderr.flush()


def default_jobs(files: int) -> int:
    """How many files of a batch are repaired at once by default: one per processor, at most 4 (each repair
    is one busy process, then ffmpeg; more would mostly wait for the disk)."""
    try:
        cpus = len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(files, cpus, 4))


@dataclass
class _Outcome:
    """What repairing one file of a batch came to (crosses the process boundary: plain data)."""

    index: int
    report: object | None = None  # RepairReport
    error: str = ""
    exit_code: int = EXIT_OK
    elapsed: float = 0.0


def _repair_one(index: int, path: Path, options: dict, progress, cancel) -> _Outcome:
    from mp4fix.repair import repair

    t0 = time.monotonic()
    try:
        report = repair(path, options["ref"], output=options["output"], out_dir=options["out_dir"],
                        overwrite=options["force"], verify=options["verify"], progress=progress, cancel=cancel,
                        full_check=options["full_check"], check_fit=options["check_fit"])
    except Mp4fixError as exc:
        return _Outcome(index, None, str(exc), exc.exit_code, time.monotonic() - t0)
    code = EXIT_OK if report.complete else EXIT_PARTIAL
    return _Outcome(index, report, "", code, time.monotonic() - t0)


# worker processes of a parallel batch: the queue their progress goes to and the flag that cancels them
_worker_queue = None
_worker_cancel = None


class _SharedCancel:
    """A CancelToken over a multiprocessing Event, so the parent process can cancel its workers."""

    def __init__(self, event):
        self._event = event

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            from mp4fix.errors import CancelledError

            raise CancelledError("The repair was cancelled; nothing was written.")


def _worker_init(queue, event) -> None:
    import signal

    global _worker_queue, _worker_cancel
    _worker_queue, _worker_cancel = queue, _SharedCancel(event)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl+C into a cancel every worker sees


def _worker_run(index: int, path: Path, options: dict) -> _Outcome:
    last = [0.0]

    def progress(p: Progress) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or p.fraction >= 1.0:
            last[0] = now
            _worker_queue.put((index, p))

    try:
        return _repair_one(index, path, options, progress, _worker_cancel)
    except Exception as exc:  # a bug: one sentence for the parent, like the CLI's own handler
        return _Outcome(index, None, f"internal error ({type(exc).__name__}: {exc}). Please report it.", EXIT_FAILED)


def _run_parallel(paths: list[Path], options: dict, jobs: int, display: _Display, on_done) -> None:
    import multiprocessing
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")  # the same on every system (and safe with threads)
    progress_queue, event = ctx.Queue(), ctx.Event()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(progress_queue, event))
    futures = {pool.submit(_worker_run, i, p, options): i for i, p in enumerate(paths)}
    pending = set(futures)
    try:
        while pending:
            finished, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
            while True:
                try:
                    index, p = progress_queue.get_nowait()
                except queue_mod.Empty:
                    break
                if index not in display.done:
                    display.update(index, p)
            for f in finished:
                outcome = f.result()
                display.finished(outcome.index)
                on_done(outcome)
    except KeyboardInterrupt:
        event.set()  # every worker stops at its next check; what they were writing is removed
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def cmd_repair(args) -> int:
    if args.output is not None and len(args.broken) > 1:
        print("mp4fix: -o/--output takes one broken file; use --out-dir for several.", file=sys.stderr)
        return EXIT_INPUT
    jobs = args.jobs if args.jobs else default_jobs(len(args.broken))
    if jobs < 1:
        print("mp4fix: --jobs takes a number of files to repair at once (1 or more).", file=sys.stderr)
        return EXIT_INPUT
    options = dict(ref=args.ref, output=args.output, out_dir=args.out_dir, force=args.force,
                   verify=not args.no_verify, full_check=args.full_check, check_fit=not args.trust_reference)
    show = not (args.quiet or args.json)
    display = _Display([p.name for p in args.broken], show)
    outcomes: dict[int, _Outcome] = {}
    start = time.monotonic()

    def on_done(o: _Outcome) -> None:
        outcomes[o.index] = o
        display.clear()
        name = args.broken[o.index].name
        if o.error:
            print(f"mp4fix: {name}: {o.error}", file=sys.stderr)
        elif show:
            print(format_report(o.report))

    try:
        if jobs == 1 or len(args.broken) == 1:
            cancel = CancelToken()
            for i, path in enumerate(args.broken):
                o = _repair_one(i, path, options, lambda p, i=i: display.update(i, p), cancel)
                display.finished(i)
                on_done(o)
        else:
            _run_parallel(args.broken, options, min(jobs, len(args.broken)), display, on_done)
    except KeyboardInterrupt:
        display.clear()
        raise
    display.clear()
    results = [outcomes[i] for i in range(len(args.broken))]
    worst = max((o.exit_code for o in results), default=EXIT_OK)
    if args.json:
        out = []
        for o, path in zip(results, args.broken):
            if o.report is None:
                out.append({"input": str(path), "error": o.error, "exit_code": o.exit_code})
            else:
                d = o.report.to_dict()
                d["exit_code"] = o.exit_code
                out.append(d)
        print(json.dumps(out[0] if len(out) == 1 else out, indent=2))
    elif show and len(results) > 1:
        print(batch_summary(results, time.monotonic() - start))
    return worst


def batch_summary(results: list[_Outcome], elapsed: float) -> str:
    """One line for the end of a batch: how many files were repaired, partly repaired or failed, and the time."""
    ok = sum(o.exit_code == EXIT_OK for o in results)
    partly = sum(o.exit_code == EXIT_PARTIAL for o in results)
    cancelled = sum(o.exit_code == EXIT_CANCELLED for o in results)
    failed = len(results) - ok - partly - cancelled
    text = (f"{len(results)} files in {_clock(elapsed)}: {ok} repaired, {partly} partly repaired, "
            f"{failed} failed")
    return text + (f", {cancelled} cancelled" if cancelled else "")


def _seconds(s: float) -> str:
    m, sec = divmod(s, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{sec:06.3f}" if h else f"{m}:{sec:06.3f}"


def format_report(report) -> str:
    from mp4fix.diagnose import human_size

    lines = [f"Repaired {Path(report.input).name} -> {report.output}"]
    for t in report.tracks:
        if t.status == "ok":
            extra = f", {t.keyframes} keyframes" if t.kind == "video" else ""
            lines.append(f"  track {t.track_id} {t.kind:5} {t.codec}: {t.samples} samples, "
                         f"{_seconds(t.duration)}{extra} ({human_size(t.bytes)})")
        else:
            lines.append(f"  track {t.track_id} {t.kind:5} {t.codec}: skipped: {t.note}")
    lines.append(f"  media data: {human_size(report.bytes_used)} of {human_size(report.mdat_bytes)} indexed"
                 + (f", {human_size(report.bytes_skipped)} skipped" if report.bytes_skipped else "")
                 + (f", {human_size(report.bytes_padding)} padding" if report.bytes_padding else "")
                 + (f", {human_size(report.truncated_tail)} incomplete at the cut" if report.truncated_tail
                    else ""))
    for w in report.warnings:
        lines.append(f"  note: {w}")
    if report.verify is not None:
        v = report.verify
        if v.ok:
            lines.append("  check: ffmpeg decodes the result without errors")
        elif v.log.startswith("not verified"):
            lines.append(f"  check: {v.log}")
        else:
            lines.append(f"  check: ffmpeg reported {v.decode_errors} decoding error(s)")
        if v.coverage and not v.log.startswith("not verified"):
            lines.append(f"  checked: {v.coverage}")
    lines.append("  result: " + ("complete" if report.complete else "partly repaired"))
    return "\n".join(lines)


# --- probe --------------------------------------------------------------------------------------------


def cmd_probe(args) -> int:
    from dataclasses import asdict

    from mp4fix import fftools
    from mp4fix.diagnose import diagnose, human_size

    d = diagnose(args.file)
    try:
        info = fftools.probe(args.file)
        ff_error = info.error
        ff_streams = [asdict(s) for s in info.streams]
    except Mp4fixError as exc:
        ff_error, ff_streams = f"ffmpeg could not be run: {exc}", []
    if args.json:
        out = asdict(d)
        out["recoverable_bytes"] = d.recoverable_bytes
        out["ffmpeg"] = {"error": ff_error, "streams": ff_streams}
        print(json.dumps(out, indent=2))
        return EXIT_OK
    print(f"{d.path}  ({human_size(d.size)})")
    print(f"  brand: {d.brand or '(no ftyp)'}")
    print("  boxes:")
    for b in d.boxes:
        note = "  (runs past the end of the file)" if b.truncated else ""
        print(f"    {b.type:4}  at {b.offset:>12}  {b.size:>14} bytes{note}")
    print(f"  index (moov): {'present' if d.has_moov else 'MISSING'}")
    if d.mdat_start is not None:
        print(f"  media data (mdat): bytes {d.mdat_start}..{d.mdat_end} ({human_size(d.recoverable_bytes)})")
    for t in d.tracks:
        dims = f" {t.width}x{t.height}" if t.kind == "video" else (
            f" {t.sample_rate} Hz {t.channels} ch" if t.kind == "audio" else "")
        can = "mp4fix can rebuild it" if t.supported else f"mp4fix cannot rebuild it: {t.why_not}"
        print(f"  track {t.track_id}: {t.kind} {t.codec}{dims}, {t.samples} samples, {t.duration:.2f} s - {can}")
    print(f"  diagnosis: {d.problem}")
    print(f"  ffmpeg: {ff_error or 'opens the file'}")
    return EXIT_OK


# --- demo ---------------------------------------------------------------------------------------------


def cmd_demo(args) -> int:
    import tempfile

    from mp4fix import demo

    folder = args.dir or Path(tempfile.mkdtemp(prefix="mp4fix-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Making a sample recording and a reference in {folder} ...")
    reference, original, broken = demo.make_demo_files(folder)
    print(f"  reference: {reference.name} (a healthy recording with the same settings)")
    print(f"  broken:    {broken.name} ({original.name} cut short: its index is lost)")
    args_repair = build_parser().parse_args(["repair", str(broken), "--ref", str(reference), "--force"])
    code = cmd_repair(args_repair)
    if code in (EXIT_OK, EXIT_PARTIAL):
        print(f"Open {folder / (broken.stem + '_fixed' + broken.suffix)} in any player.")
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
