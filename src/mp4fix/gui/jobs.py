"""Workers: repairs and probes run on thread pools, never on the UI thread; results come back as signals.

Every repair has its own ``CancelToken``. A queued repair is cancelled by taking it off the pool; a running
one by its token (the engine then raises ``CancelledError`` and leaves no output). ``JobManager.idle``
fires when the last repair has ended, which is what closing the window waits for.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal

from mp4fix.errors import CancelledError, Mp4fixError
from mp4fix.progress import CancelToken, Progress
from mp4fix.gui import job as job_module
from mp4fix.gui.text import tr

log = logging.getLogger(__name__)


class InternalError(Exception):
    """A background call failed with something other than the engine's own errors: a bug. Carries a sentence
    for the window and the traceback for the details panel (it is also logged)."""

    def __init__(self, sentence: str, log: str):
        super().__init__(sentence)
        self.log = log


class _RepairSignals(QObject):
    started = Signal(int)
    progress = Signal(int, float, str, str)  # job id, overall fraction, stage, message
    succeeded = Signal(int, object)  # job id, JobResult
    failed = Signal(int, str, str, str)  # job id, sentence, log, the error's class name
    cancelled = Signal(int)


class _RepairTask(QRunnable):
    def __init__(self, job_id: int, broken: Path, reference: Path, output: Path, overwrite: bool,
                 token: CancelToken, signals: _RepairSignals, check_fit: bool = True):
        super().__init__()
        self.setAutoDelete(False)
        self.job_id = job_id
        self.broken, self.reference, self.output, self.overwrite = broken, reference, output, overwrite
        self.check_fit = check_fit
        self.token = token
        self.signals = signals
        self._last_emit = 0.0
        self._last_fraction = -1.0
        self._last_stage = ""

    def _on_progress(self, p: Progress) -> None:
        # The engine may report thousands of times a second; the window needs ~20 updates a second.
        now = time.monotonic()
        if p.stage != self._last_stage or now - self._last_emit >= 0.05 or p.fraction >= 1.0:
            self._last_emit, self._last_fraction, self._last_stage = now, p.fraction, p.stage
            self.signals.progress.emit(self.job_id, float(p.fraction), p.stage, p.message or "")

    def run(self) -> None:  # worker thread
        if self.token.cancelled:
            self.signals.cancelled.emit(self.job_id)
            return
        self.signals.started.emit(self.job_id)
        try:
            result = job_module.run_repair(self.broken, self.reference, self.output, self.overwrite,
                                           progress=self._on_progress, cancel=self.token, check_fit=self.check_fit)
        except CancelledError:
            self.signals.cancelled.emit(self.job_id)
        except Mp4fixError as e:
            log = e.detail or ""
            self.signals.failed.emit(self.job_id, str(e), log, type(e).__name__)
        except Exception:  # noqa: BLE001 - a worker must always report back
            log.exception("repair of %s failed unexpectedly", self.broken)
            self.signals.failed.emit(
                self.job_id,
                tr("Something unexpected went wrong and the file was not repaired. The details can help a "
                   "developer find the cause."), traceback.format_exc(), "")
        else:
            if self.token.cancelled and result.output is None:
                self.signals.cancelled.emit(self.job_id)
            else:
                self.signals.succeeded.emit(self.job_id, result)


class CallResult:
    """What a background call returned (or raised). Signals carry this box, never a bare None: PySide6
    miscounts references to None sent through queued ``object`` signals on Python < 3.12."""

    __slots__ = ("key", "value")

    def __init__(self, key, value):
        self.key = key
        self.value = value


class _CallSignals(QObject):
    done = Signal(object)  # CallResult(key=(call id, user key), value=result or the exception)


class _CallTask(QRunnable):
    def __init__(self, key, fn: Callable, args: tuple, signals: _CallSignals):
        super().__init__()
        self.setAutoDelete(False)
        self.key, self.fn, self.args, self.signals = key, fn, args, signals

    def run(self) -> None:  # worker thread
        try:
            result = self.fn(*self.args)
        except Mp4fixError as e:  # handed to the UI thread: its sentence is for a person
            result = e
        except Exception:  # noqa: BLE001 - a bug: logged, and handed to the UI thread to say so
            log.exception("%s%r failed unexpectedly", getattr(self.fn, "__name__", self.fn), self.args)
            result = InternalError(tr("Something unexpected went wrong while looking at this file. The details "
                                      "can help a developer find the cause."), traceback.format_exc())
        try:
            self.signals.done.emit(CallResult(self.key, result))
        except RuntimeError:  # the window is gone (application shutting down)
            pass


class JobManager(QObject):
    """Owns the worker pools. Every signal arrives on the UI thread."""

    started = Signal(int)
    progress = Signal(int, float, str, str)
    succeeded = Signal(int, object)
    failed = Signal(int, str, str, str)  # job id, sentence, log, the error's class name
    cancelled = Signal(int)
    ended = Signal(int)  # after any of succeeded / failed / cancelled
    idle = Signal()  # no repair queued or running any more
    probed = Signal(object)  # CallResult(key, value) of a background call

    def __init__(self, parent: QObject | None = None, max_repairs: int | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        # Repairs are disk-bound: two at a time keeps a batch moving without thrashing one disk.
        self.pool.setMaxThreadCount(max_repairs or max(1, min(2, QThread.idealThreadCount())))
        self.probe_pool = QThreadPool(self)
        self.probe_pool.setMaxThreadCount(max(2, min(4, QThread.idealThreadCount())))
        self._tasks: dict[int, _RepairTask] = {}
        self._signals = _RepairSignals()
        self._signals.started.connect(self.started)
        self._signals.progress.connect(self._relay_progress)
        self._signals.succeeded.connect(self._on_succeeded)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._call_signals = _CallSignals()
        self._call_signals.done.connect(self._on_call_done)
        self._calls: dict[int, _CallTask] = {}
        self._next_call = 0

    # --- repairs ----------------------------------------------------------------------------------
    def submit(self, job_id: int, broken: Path, reference: Path, output: Path, overwrite: bool,
               check_fit: bool = True) -> None:
        """Queue a repair; ``check_fit=False`` skips the engine's check that the reference fits ("Repair anyway")."""
        token = CancelToken()
        task = _RepairTask(job_id, Path(broken), Path(reference), Path(output), overwrite, token, self._signals,
                           check_fit)
        self._tasks[job_id] = task
        self.pool.start(task)

    def is_active(self, job_id: int) -> bool:
        return job_id in self._tasks

    def active_count(self) -> int:
        return len(self._tasks)

    def busy(self) -> bool:
        return bool(self._tasks)

    def output_of(self, job_id: int) -> Path | None:
        task = self._tasks.get(job_id)
        return task.output if task else None

    def reserved_outputs(self) -> list[Path]:
        return [t.output for t in self._tasks.values()]

    def cancel(self, job_id: int) -> None:
        task = self._tasks.get(job_id)
        if task is None:
            return
        task.token.cancel()
        if self.pool.tryTake(task):  # not started yet: it never will
            self._on_cancelled(job_id)

    def cancel_all(self) -> None:
        for job_id in list(self._tasks):
            self.cancel(job_id)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every worker has stopped (for shutdown); True when they have."""
        ok = self.pool.waitForDone(msecs)
        self.probe_pool.waitForDone(msecs)
        QCoreApplication.sendPostedEvents()
        return ok

    def _relay_progress(self, job_id: int, fraction: float, stage: str, message: str) -> None:
        if job_id in self._tasks:
            self.progress.emit(job_id, fraction, stage, message)

    def _finish(self, job_id: int) -> bool:
        if self._tasks.pop(job_id, None) is None:
            return False
        return True

    def _after(self, job_id: int) -> None:
        self.ended.emit(job_id)
        if not self._tasks:
            self.idle.emit()

    def _on_succeeded(self, job_id: int, result) -> None:
        if self._finish(job_id):
            self.succeeded.emit(job_id, result)
            self._after(job_id)

    def _on_failed(self, job_id: int, sentence: str, log: str, kind: str) -> None:
        if self._finish(job_id):
            self.failed.emit(job_id, sentence, log, kind)
            self._after(job_id)

    def _on_cancelled(self, job_id: int) -> None:
        if self._finish(job_id):
            self.cancelled.emit(job_id)
            self._after(job_id)

    # --- background calls (probing) ---------------------------------------------------------------
    def call(self, key, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` on the probe pool; ``probed(CallResult(key, result))`` arrives on the UI thread."""
        self._next_call += 1
        task = _CallTask((self._next_call, key), fn, args, self._call_signals)
        self._calls[self._next_call] = task
        self.probe_pool.start(task)

    def _on_call_done(self, res: CallResult) -> None:
        call_id, user_key = res.key
        self._calls.pop(call_id, None)
        self.probed.emit(CallResult(user_key, res.value))

    def probes_pending(self) -> int:
        return len(self._calls)
