"""The ``mp4fix`` command: ``repair``, ``probe`` and ``demo``. A thin layer over ``mp4fix.repair``.

Exit codes (also in the README): 0 every file repaired completely; 1 repaired, but something could not be
recovered; 2 bad usage or input; 3 could not repair; 130 cancelled. With several files the worst one counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mp4fix import __version__, i18n
from mp4fix.errors import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_PARTIAL,
    CancelledError,
    Mp4fixError,
    OutputError,
)
from mp4fix.i18n import N_, _, human_size, ngettext
from mp4fix.progress import CancelToken, Progress


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: one sentence, exit 2 (argparse's own code too)
        self.print_usage(sys.stderr)
        print(f"mp4fix: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """``text`` wrapped for an 80-column terminal, its next lines indented by ``hang`` (default: ``indent``).
    Text in wide characters (Japanese) is left for the terminal to wrap."""
    if not text.isascii():
        return indent + text
    return textwrap.fill(text, width=79, initial_indent=indent, subsequent_indent=indent if hang is None else hang)


def _examples() -> str:
    """The epilog of ``mp4fix --help`` and ``mp4fix repair --help``: examples, the output name, exit codes."""
    return "\n".join([
        _("examples:"),
        "  mp4fix repair broken.mp4 --ref good.mp4",
        _wrap(_("writes broken_fixed.mp4 beside broken.mp4 (the original is only read)"), "      "),
        "  mp4fix repair a.mov b.mov c.mov --ref good.mov --out-dir repaired/",
        _wrap(_("a batch with one reference; the folder is created when it does not exist"), "      "),
        "  mp4fix repair broken.mp4 --ref good.mp4 -o saved.mp4 --force",
        _wrap(_("choose the output's name, and replace it if it exists"), "      "),
        "  mp4fix probe broken.mp4",
        _wrap(_("what is in a file and what is wrong with it"), "      "),
        "  mp4fix demo",
        _wrap(_("make a recording, cut it as a crash would, and repair it"), "      "),
        "",
        _wrap(_("The repaired copy is named <name>_fixed.<ext> and written beside the broken file, or in "
                "--out-dir.")),
        "",
        _("exit codes:"),
        _wrap("  0    " + _("every file repaired completely"), hang="       "),
        _wrap("  1    " + _("repaired, but something could not be recovered (skipped bytes or tracks, decoding "
                          "errors)"), hang="       "),
        _wrap("  2    " + _("bad usage or input: not an MP4/MOV, empty, unreadable, the reference is itself broken, "
                          "the output exists (use --force)"), hang="       "),
        _wrap("  3    " + _("could not repair: the reference does not match, its codecs are not supported, or "
                          "nothing was found"), hang="       "),
        _wrap("  130  " + _("cancelled"), hang="       "),
        _wrap(_("With several files the worst outcome decides the exit code."), "  "),
    ])


def _language_option(parser: argparse.ArgumentParser, default=None) -> None:
    parser.add_argument("--lang", choices=i18n.LANGUAGES, default=default, metavar="LANG",
                        help=_("language of the messages: {choices} (default: from LANG, LC_ALL or LC_MESSAGES)",
                               choices=", ".join(i18n.LANGUAGES)))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, its help in the current language (``i18n.set_language`` first)."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="mp4fix", formatter_class=raw, epilog=_examples(),
                     description=_wrap(_("Repair MP4/MOV recordings whose index (moov) was never written, using a "
                                         "healthy reference file from the same device.")))
    parser.add_argument("--version", action="version", version=f"mp4fix {__version__}",
                        help=_("show the version and exit"))
    parser.add_argument("--debug", action="store_true", help=_("show Python tracebacks for internal errors"))
    _language_option(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    rp = sub.add_parser("repair", help=_("rebuild the index of one or more broken files"), formatter_class=raw,
                        epilog=_examples(),
                        description=_wrap(_("Rebuild the index of one or more broken recordings, learning it "
                                            "from a healthy recording made with the same device and settings.")))
    rp.add_argument("broken", nargs="+", type=Path, help=_("broken .mp4/.mov file(s)"))
    rp.add_argument("--ref", "-r", type=Path, metavar="GOOD",
                    help=_("a healthy file recorded with the same device and settings (not needed for a "
                           "fragmented MP4, which indexes itself)"))
    out = rp.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path,
                     help=_("output file (one broken file only; default: <name>_fixed.<ext> beside it)"))
    out.add_argument("--out-dir", type=Path,
                     help=_("folder for the repaired files, created when missing (default: beside each input)"))
    rp.add_argument("--force", action="store_true", help=_("replace an existing output file"))
    rp.add_argument("--no-verify", action="store_true", help=_("skip the ffmpeg decode check of the result"))
    rp.add_argument("--full-check", action="store_true",
                    help=_("decode the whole result (default: every audio sample and video around keyframes "
                           "spread over the file, which takes a fraction of the time)"))
    rp.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                    help=_("repair N files of a batch at once, each in its own process (default: one per "
                           "processor, at most 4)"))
    rp.add_argument("--trust-reference", action="store_true",
                    help=_("use the reference even where mp4fix judges that it does not match the broken file"))
    rp.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    rp.add_argument("-q", "--quiet", action="store_true", help=_("print only errors"))

    pp = sub.add_parser("probe", help=_("say what is in a file and what is wrong with it"),
                        description=_("Say what is in a file and what is wrong with it; nothing is written."))
    pp.add_argument("file", type=Path, help=_("an .mp4/.mov file, broken or not"))
    pp.add_argument("--json", action="store_true", help=_("print as JSON"))

    dp = sub.add_parser("demo", help=_("make a sample recording, break it, and repair it"))
    dp.add_argument("--dir", type=Path, default=None,
                    help=_("where to put the demo files (default: a temporary folder)"))
    for p in (rp, pp, dp):
        _language_option(p, argparse.SUPPRESS)  # also accepted after the command
    return parser


def _language_in(argv: list[str]) -> str | None:
    """The value of ``--lang`` anywhere in ``argv`` (read before the parser is built: its help is translated)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


# argparse's own words, marked here so that the catalogue has them (argparse formats them with %)
_ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("expected one argument"),
    N_("expected at least one argument"), N_("argument %(argument_name)s: %(message)s"),
    N_("not allowed with argument %s"), N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"), N_("one of the arguments %s is required"),
)


def _translate_argparse() -> None:
    """argparse's own words ("usage:", "options", its errors) through mp4fix's catalogue."""
    argparse._ = lambda text: _(text)  # noqa: SLF001 - argparse looks these names up at call time
    argparse.ngettext = lambda singular, plural, n: ngettext(singular, plural, n)


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
    argv = list(sys.argv[1:] if argv is None else argv)
    wanted = _language_in(argv)
    i18n.set_language(wanted if wanted in i18n.LANGUAGES else i18n.language_from_environment())
    _translate_argparse()
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
            return _with_out_dir(args, cmd_repair)
        if args.command == "probe":
            return cmd_probe(args)
        if args.command == "demo":
            return cmd_demo(args)
    except Mp4fixError as exc:
        print(f"mp4fix: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:  # a second signal, or one outside a repair: what was written so far stays
        print("mp4fix: " + _("cancelled."), file=sys.stderr)
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: still one sentence, the traceback only on request
        if args.debug:
            raise
        print("mp4fix: " + _("internal error ({error}). Please report it; --debug shows details.",
                             error=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_INPUT


def _with_out_dir(args, run) -> int:
    """Run ``run(args)`` with ``--out-dir`` made first when it does not exist; a folder made here that is
    still empty afterwards (every file failed) is removed again, so a failed batch leaves nothing behind."""
    folder = getattr(args, "out_dir", None)
    if folder is None or folder.is_dir():
        return run(args)
    made = _make_folder(folder)
    try:
        return run(args)
    finally:
        for d in made:  # deepest first
            try:
                d.rmdir()
            except OSError:  # not empty: it holds results
                break


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the folders created, deepest first."""
    missing = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    if folder.exists() and not folder.is_dir():
        raise OutputError(_("{folder} is a file, not a folder; choose another --out-dir.", folder=folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(_("{folder} cannot be created: a file of that name is in the way.",
                            folder=folder)) from None
    except PermissionError:
        raise OutputError(_("The output folder {folder} cannot be created: permission denied.",
                            folder=folder)) from None
    except OSError as exc:
        raise OutputError(_("The output folder {folder} cannot be created ({reason}).", folder=folder,
                            reason=exc.strerror or exc)) from None
    return missing


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
        return "  " + _("~{time} left", time=_clock(elapsed * (1 - fraction) / fraction))

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
            line = (_("[{done} of {total} done] ", done=len(self.done), total=total) if len(self.active) > 1 else
                    _("[file {n} of {total}] ", n=min(self.active, default=len(self.done)) + 1, total=total)) \
                + " | ".join(parts)
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
    cancelled: bool = False


def _repair_one(index: int, path: Path, options: dict, progress, cancel) -> _Outcome:
    from mp4fix.repair import repair

    t0 = time.monotonic()
    try:
        report = repair(path, options["ref"], output=options["output"], out_dir=options["out_dir"],
                        overwrite=options["force"], verify=options["verify"], progress=progress, cancel=cancel,
                        full_check=options["full_check"], check_fit=options["check_fit"])
    except CancelledError:
        return _Outcome(index, None, "", EXIT_CANCELLED, time.monotonic() - t0, cancelled=True)
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

            raise CancelledError(_("The repair was cancelled; nothing was written."))


def _worker_init(queue, event) -> None:
    import signal

    global _worker_queue, _worker_cancel
    _worker_queue, _worker_cancel = queue, _SharedCancel(event)
    # the parent turns Ctrl+C, SIGTERM and SIGHUP into a cancel every worker sees (a service manager sends
    # SIGTERM to the whole group: a worker killed outright would leave its temporary file)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


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
        return _Outcome(index, None, _("internal error ({error}). Please report it; --debug shows details.",
                                       error=f"{type(exc).__name__}: {exc}"), EXIT_FAILED)


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
        print("mp4fix: " + _("-o/--output takes one broken file; use --out-dir for several."), file=sys.stderr)
        return EXIT_INPUT
    jobs = args.jobs if args.jobs else default_jobs(len(args.broken))
    if jobs < 1:
        print("mp4fix: " + _("--jobs takes a number of files to repair at once (1 or more)."), file=sys.stderr)
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
        path = args.broken[o.index]
        if o.cancelled:
            o.error = _cancelled(path, [p for i, p in enumerate(args.broken) if i > o.index and i not in outcomes])
            print(f"mp4fix: {o.error}", file=sys.stderr)
        elif o.error:
            print(f"mp4fix: {_naming(path, o.error)}", file=sys.stderr)
        elif show:
            print(format_report(o.report))

    try:
        if jobs == 1 or len(args.broken) == 1:
            cancel = CancelToken()
            _STOP.token = cancel  # a signal now cancels the repair in hand (see _Stop)
            for i, path in enumerate(args.broken):
                o = _repair_one(i, path, options, lambda p, i=i: display.update(i, p), cancel)
                display.finished(i)
                on_done(o)
                if o.cancelled:
                    break
        else:
            _run_parallel(args.broken, options, min(jobs, len(args.broken)), display, on_done)
    except KeyboardInterrupt:
        display.clear()
        raise
    finally:
        _STOP.token = None
    display.clear()
    results = [outcomes[i] for i in sorted(outcomes)]
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


def _naming(path: Path, message: str) -> str:
    """``message`` about ``path``, naming the file once: prefixed with its name unless the sentence names it."""
    return message if path.name in message else f"{path.name}: {message}"


def _cancelled(path: Path, not_started: list[Path]) -> str:
    """What a cancel left: the repair of ``path`` wrote nothing (its output only appears once complete)."""
    if _STOP.reason not in (None, "SIGINT"):
        return ngettext("{name}: cancelled ({why}); its repair was not written; {n} more file was not started.",
                        "{name}: cancelled ({why}); its repair was not written; {n} more files were not started.",
                        len(not_started), name=path.name, why=_STOP.reason, n=len(not_started)) \
            if not_started else _("{name}: cancelled ({why}); its repair was not written.", name=path.name,
                                  why=_STOP.reason)
    return ngettext("{name}: cancelled; its repair was not written; {n} more file was not started.",
                    "{name}: cancelled; its repair was not written; {n} more files were not started.",
                    len(not_started), name=path.name, n=len(not_started)) \
        if not_started else _("{name}: cancelled; its repair was not written.", name=path.name)


def batch_summary(results: list[_Outcome], elapsed: float) -> str:
    """One line for the end of a batch: how many files were repaired, partly repaired or failed, and the time."""
    ok = sum(o.exit_code == EXIT_OK for o in results)
    partly = sum(o.exit_code == EXIT_PARTIAL for o in results)
    cancelled = sum(o.exit_code == EXIT_CANCELLED for o in results)
    failed = len(results) - ok - partly - cancelled
    text = ngettext("{n} file in {time}: {ok} repaired, {partly} partly repaired, {failed} failed",
                    "{n} files in {time}: {ok} repaired, {partly} partly repaired, {failed} failed", len(results),
                    n=len(results), time=_clock(elapsed), ok=ok, partly=partly, failed=failed)
    return text + (_(", {n} cancelled", n=cancelled) if cancelled else "")


def _seconds(s: float) -> str:
    m, sec = divmod(s, 60)
    h, m = divmod(int(m), 60)
    return f"{h}:{m:02d}:{sec:06.3f}" if h else f"{m}:{sec:06.3f}"


def _kind(kind: str) -> str:
    """A track kind in words ('video', 'audio'...)."""
    return i18n.kind_name(kind)


def format_report(report) -> str:
    """The report of one repair as the command line prints it, in the current language."""
    lines = [_("Repaired {name} -> {output}", name=Path(report.input).name, output=report.output)]
    for t in report.tracks:
        head = _("  track {id} {kind} {codec}:", id=t.track_id, kind=_kind(t.kind), codec=t.codec)
        if t.status == "ok":
            parts = [ngettext("{n} sample", "{n} samples", t.samples, n=t.samples), _seconds(t.duration)]
            if t.kind == "video":
                parts.append(ngettext("{n} keyframe", "{n} keyframes", t.keyframes, n=t.keyframes))
            lines.append(f"{head} " + _(", ").join(parts) + f" ({human_size(t.bytes)})")
        else:
            lines.append(f"{head} " + _("skipped: {why}", why=t.note))
    data = [_("{used} of {total} indexed", used=human_size(report.bytes_used), total=human_size(report.mdat_bytes))]
    if report.bytes_skipped:
        data.append(_("{size} skipped", size=human_size(report.bytes_skipped)))
    if report.bytes_padding:
        data.append(_("{size} padding", size=human_size(report.bytes_padding)))
    if report.truncated_tail:
        data.append(_("{size} incomplete at the cut", size=human_size(report.truncated_tail)))
    lines.append("  " + _("media data: {what}", what=_(", ").join(data)))
    for w in report.warnings:
        lines.append("  " + _("note: {text}", text=w))
    if report.verify is not None:
        v = report.verify
        if v.ok:
            lines.append("  " + _("check: ffmpeg decodes the result without errors"))
        elif v.decode_errors == 0 and v.duration is None:  # not verified: the log says why
            lines.append("  " + _("check: {text}", text=v.log))
        elif v.decode_errors == 0:
            lines.append("  " + _("check: ffmpeg stopped with an error while decoding the result"))
        else:
            lines.append("  " + ngettext("check: ffmpeg reported {n} decoding error",
                                         "check: ffmpeg reported {n} decoding errors", v.decode_errors,
                                         n=v.decode_errors))
        if v.coverage and v.duration is not None:
            lines.append("  " + _("checked: {what}", what=v.coverage))
    lines.append("  " + (_("result: complete") if report.complete else _("result: partly repaired")))
    return "\n".join(lines)


# --- probe --------------------------------------------------------------------------------------------


def cmd_probe(args) -> int:
    from dataclasses import asdict

    from mp4fix import fftools
    from mp4fix.diagnose import diagnose

    d = diagnose(args.file)
    try:
        info = fftools.probe(args.file)
        ff_error = info.error
        ff_streams = [asdict(s) for s in info.streams]
    except Mp4fixError as exc:
        ff_error, ff_streams = _("ffmpeg could not be run: {error}", error=exc), []
    if args.json:
        out = asdict(d)
        out["recoverable_bytes"] = d.recoverable_bytes
        out["ffmpeg"] = {"error": ff_error, "streams": ff_streams}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"{d.path}  ({human_size(d.size)})")
    print("  " + _("brand: {brand}", brand=d.brand or _("(no ftyp)")))
    print("  " + _("boxes:"))
    for b in d.boxes:
        note = "  " + _("(runs past the end of the file)") if b.truncated else ""
        print(f"    {b.type:4}  " + _("at {offset:>12}  {size:>14} bytes", offset=b.offset, size=b.size) + note)
    print("  " + (_("index (moov): present") if d.has_moov else _("index (moov): MISSING")))
    if d.mdat_start is not None:
        print("  " + _("media data (mdat): bytes {start}..{end} ({size})", start=d.mdat_start, end=d.mdat_end,
                       size=human_size(d.recoverable_bytes)))
    for t in d.tracks:
        if t.kind == "video":
            what = f" {t.width}x{t.height}"
        elif t.kind == "audio":
            what = f" {t.sample_rate} Hz" + (_(", ") + i18n.channels_name(t.channels) if t.channels else "")
        else:
            what = ""
        can = _("mp4fix can rebuild it") if t.supported else _("mp4fix cannot rebuild it: {why}", why=t.why_not)
        print("  " + _("track {id}: {kind} {codec}{what}, {samples}, {seconds:.2f} s - {can}", id=t.track_id,
                       kind=_kind(t.kind), codec=t.codec, what=what, seconds=t.duration, can=can,
                       samples=ngettext("{n} sample", "{n} samples", t.samples, n=t.samples)))
    print("  " + _("diagnosis: {text}", text=d.problem))
    print("  " + _("ffmpeg: {text}", text=ff_error or _("opens the file")))
    return EXIT_OK


# --- demo ---------------------------------------------------------------------------------------------


def cmd_demo(args) -> int:
    import tempfile

    from mp4fix import demo

    folder = args.dir or Path(tempfile.mkdtemp(prefix="mp4fix-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(_("Making a sample recording and a reference in {folder} ...", folder=folder))
    reference, original, broken = demo.make_demo_files(folder)
    print("  " + _("reference: {name} (a healthy recording with the same settings)", name=reference.name))
    print("  " + _("broken:    {name} ({original} cut short: its index is lost)", name=broken.name,
                   original=original.name))
    args_repair = build_parser().parse_args(["repair", str(broken), "--ref", str(reference), "--force"])
    code = cmd_repair(args_repair)
    if code in (EXIT_OK, EXIT_PARTIAL):
        print(_("Open {path} in any player.", path=folder / (broken.stem + "_fixed" + broken.suffix)))
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
