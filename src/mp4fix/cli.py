"""The ``mp4fix`` command: ``repair``, ``probe`` and ``demo``. A thin layer over ``mp4fix.repair``.

Exit codes (also in the README): 0 every file repaired completely; 1 repaired, but something could not be
recovered; 2 bad usage or input; 3 could not repair; 130 cancelled. With several files the worst one counts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from mp4fix import __version__
from mp4fix.errors import EXIT_CANCELLED, EXIT_FAILED, EXIT_INPUT, EXIT_OK, EXIT_PARTIAL, CancelledError, Mp4fixError
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
    rp.add_argument("--ref", "-r", type=Path, metavar="GOOD",
                    help="a healthy file recorded with the same device and settings (not needed for a "
                         "fragmented MP4, which indexes itself)")
    out = rp.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, help="output file (one broken file only)")
    out.add_argument("--out-dir", type=Path, help="folder for the repaired files (default: beside each input)")
    rp.add_argument("--force", action="store_true", help="replace an existing output file")
    rp.add_argument("--no-verify", action="store_true", help="skip the ffmpeg decode check of the result")
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


# --- signals ------------------------------------------------------------------------------------------


class _Stop:
    """Ctrl-C, SIGTERM, SIGHUP (and on Windows Ctrl-Break and closing the console) all stop mp4fix as a cancel.

    While a repair runs, the first signal fires its ``CancelToken``: the engine stops within a fraction of a
    second, kills its ffmpeg, removes its temporary file and raises ``CancelledError``. A second signal, or one
    outside a repair, raises ``KeyboardInterrupt`` at once (every ``finally`` still runs: ffmpeg is killed
    and the temporary file removed).
    """

    def __init__(self) -> None:
        self.token: CancelToken | None = None  # the running repair's, when one runs
        self.reason: str | None = None  # what stopped mp4fix: 'SIGINT', 'SIGTERM', 'the console was closed'
        self.finished = threading.Event()  # the console-close handler waits for it (Windows)
        self._console_handler = None

    def install(self) -> None:
        self.token, self.reason = None, None
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread (the CLI called from a test thread)
        for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"):
            signum = getattr(signal, name, None)
            if signum is None or signal.getsignal(signum) is signal.SIG_IGN:
                continue  # ignored on purpose (nohup, a background job): keep it so
            try:
                signal.signal(signum, self._on_signal)
            except (OSError, ValueError):
                pass
        if os.name == "nt":  # pragma: no cover - Windows only
            self._install_console_close()

    def _on_signal(self, signum, frame) -> None:
        first = self.reason is None
        self.reason = signal.Signals(signum).name
        if first and self.token is not None and not self.token.cancelled:
            self.token.cancel()
            return
        raise KeyboardInterrupt

    def _install_console_close(self) -> None:  # pragma: no cover - Windows only
        """Closing the console window, logging off or shutting down (CTRL_CLOSE/LOGOFF/SHUTDOWN_EVENT) gives a
        process about 5 s; Python's signal module does not see them. Cancel, and wait for the clean-up."""
        import ctypes
        from ctypes import wintypes

        routine = ctypes.WINFUNCTYPE(wintypes.BOOL, wintypes.DWORD)

        def handler(event: int) -> bool:
            if event not in (2, 5, 6):
                return False  # Ctrl-C / Ctrl-Break: Python's own handler turns them into signals
            self.reason = self.reason or {2: "the console was closed", 5: "logoff", 6: "shutdown"}[event]
            if self.token is not None:
                self.token.cancel()
                self.finished.wait(4.0)
            return False  # let Windows end the process now

        self._console_handler = routine(handler)  # kept referenced: Windows calls it later
        ctypes.windll.kernel32.SetConsoleCtrlHandler(self._console_handler, True)


_STOP = _Stop()


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
    _STOP.install()
    try:
        return _run(args)
    finally:
        _STOP.finished.set()


def _run(args) -> int:
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
        print("mp4fix: cancelled.", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: still one sentence, the traceback only on request
        if args.debug:
            raise
        print(f"mp4fix: internal error ({type(exc).__name__}: {exc}). Please report it; --debug shows details.",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INPUT


# --- repair -------------------------------------------------------------------------------------------


class _Bar:
    """A one-line progress bar on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, label: str, enabled: bool):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and p.fraction < 1.0:
            return
        self._last = now
        width = 28
        filled = int(p.fraction * width)
        sys.stderr.write(f"\r{self.label[:30]:30} [{'#' * filled}{'.' * (width - filled)}] "
                         f"{p.fraction * 100:5.1f}%  {p.message[:40]:40}")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 118 + "\r")
            sys.stderr.flush()


def cmd_repair(args) -> int:
    from mp4fix.repair import repair

    if args.output is not None and len(args.broken) > 1:
        print("mp4fix: -o/--output takes one broken file; use --out-dir for several.", file=sys.stderr)
        return EXIT_INPUT
    reports, worst = [], EXIT_OK
    cancel = CancelToken()
    _STOP.token = cancel
    for i, path in enumerate(args.broken):
        bar = _Bar(path.name, not (args.quiet or args.json))
        try:
            report = repair(path, args.ref, output=args.output, out_dir=args.out_dir, overwrite=args.force,
                            verify=not args.no_verify, progress=bar, cancel=cancel,
                            check_fit=not args.trust_reference)
        except (CancelledError, KeyboardInterrupt):
            bar.done()
            _STOP.token = None
            message = _cancelled(path, args.broken[i + 1:])
            print(f"mp4fix: {message}", file=sys.stderr)
            reports.append({"input": str(path), "error": message, "exit_code": EXIT_CANCELLED})
            worst = EXIT_CANCELLED
            break
        except Mp4fixError as exc:
            bar.done()
            print(f"mp4fix: {_naming(path, str(exc))}", file=sys.stderr)
            reports.append({"input": str(path), "error": str(exc), "exit_code": exc.exit_code})
            worst = max(worst, exc.exit_code)
            continue
        bar.done()
        code = EXIT_OK if report.complete else EXIT_PARTIAL
        worst = max(worst, code)
        d = report.to_dict()
        d["exit_code"] = code
        reports.append(d)
        if not args.quiet and not args.json:
            print(format_report(report))
    _STOP.token = None
    if args.json:
        print(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2))
    return worst


def _naming(path: Path, message: str) -> str:
    """``message`` about ``path``, naming the file once: prefixed with its name unless the sentence names it."""
    return message if path.name in message else f"{path.name}: {message}"


def _cancelled(path: Path, not_started: list[Path]) -> str:
    """What a cancel left: the repair of ``path`` wrote nothing (its output only appears once complete)."""
    why = f" ({_STOP.reason})" if _STOP.reason not in (None, "SIGINT") else ""
    rest = f"; {len(not_started)} more file(s) were not started" if not_started else ""
    return f"{path.name}: cancelled{why}; its repair was not written{rest}."


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
