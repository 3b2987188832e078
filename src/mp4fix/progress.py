"""Progress reporting and cancellation, shared by the engine, the CLI and the GUI (no Qt here)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from mp4fix.errors import CancelledError
from mp4fix.i18n import _

STAGES = ("diagnose", "reference", "scan", "build", "write", "verify")
# share of the whole job each stage takes, for one overall fraction: measured on the benchmark recordings
# (benchmarks/bench_sizes.py: 1080p at 58 Mb/s, 60 minutes of 320x240, an hour of AAC) with the default check.
# "reference" is everything checked before the scan (the reference learned, a trial repair decoded).
_WEIGHTS = {"diagnose": 0.02, "reference": 0.10, "scan": 0.45, "build": 0.01, "write": 0.12, "verify": 0.30}


@dataclass(frozen=True)
class Progress:
    """One progress event: the stage, how far that stage is (0..1), overall fraction (0..1), a short message."""

    stage: str
    stage_fraction: float
    fraction: float
    message: str = ""


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """Thread-safe cancel flag. The engine checks it often and raises ``CancelledError``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError(_("The repair was cancelled; nothing was written."))


class ProgressReporter:
    """Turns per-stage fractions into overall ``Progress`` events and checks for cancellation."""

    def __init__(self, callback: ProgressCallback | None, cancel: CancelToken | None, verify: bool = True):
        self._callback = callback
        self._cancel = cancel
        # without the decode check the other stages share the whole bar
        self._scale = 1.0 if verify else 1.0 / (1.0 - _WEIGHTS["verify"])

    def __call__(self, stage: str, stage_fraction: float, message: str = "") -> None:
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()
        if self._callback is None:
            return
        stage_fraction = min(max(stage_fraction, 0.0), 1.0)
        done = 0.0
        for name in STAGES:
            if name == stage:
                break
            done += _WEIGHTS[name]
        overall = min((done + _WEIGHTS.get(stage, 0.0) * stage_fraction) * self._scale, 1.0)
        self._callback(Progress(stage, stage_fraction, overall, message))

    def check(self) -> None:
        if self._cancel is not None:
            self._cancel.raise_if_cancelled()
