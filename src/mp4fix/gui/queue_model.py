"""The batch queue as a Qt table model: one row per broken file."""

from __future__ import annotations

import enum
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from mp4fix.gui.probe import BrokenInfo
from mp4fix.gui.text import human_duration, human_size

ProgressRole = Qt.ItemDataRole.UserRole + 1  # float 0..1, or -1 for "no bar"
StatusRole = Qt.ItemDataRole.UserRole + 2  # Status
IdRole = Qt.ItemDataRole.UserRole + 3  # int


class Status(enum.Enum):
    CHECKING = "checking"
    READY = "ready"
    NOT_BROKEN = "not-broken"
    UNUSABLE = "unusable"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DONE_WITH_WARNINGS = "done-warnings"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (Status.DONE, Status.DONE_WITH_WARNINGS, Status.FAILED, Status.CANCELLED)

    @property
    def active(self) -> bool:
        return self in (Status.QUEUED, Status.RUNNING)

    @property
    def can_start(self) -> bool:
        return self in (Status.READY, Status.FAILED, Status.CANCELLED)


@dataclass
class QueueItem:
    id: int
    path: Path
    size: int = 0
    status: Status = Status.CHECKING
    info: BrokenInfo | None = None
    fraction: float = 0.0
    stage: str = ""
    output: Path | None = None
    result: object | None = None  # job.JobResult
    error: str = ""  # the sentence
    reason: str = ""  # the same in a few words, for the Result column
    log: str = ""  # for the "details" expander
    from_folder: bool = False  # came from a dropped folder (healthy files there are not jobs)
    reference: Path | None = None  # the reference its last repair used

    @property
    def key(self) -> str:
        return os.path.normcase(os.path.abspath(str(self.path)))


class QueueModel(QAbstractTableModel):
    COL_FILE, COL_SIZE, COL_STATUS, COL_PROGRESS, COL_RECOVERED, COL_RESULT = range(6)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._items: list[QueueItem] = []
        self._ids = itertools.count(1)

    # --- headers, texts ---------------------------------------------------------------------------
    def headers(self) -> list[str]:
        return [self.tr("File"), self.tr("Size"), self.tr("Status"), self.tr("Progress"),
                self.tr("Recovered"), self.tr("Result")]

    def status_text(self, item: QueueItem) -> str:
        s = item.status
        if s is Status.CHECKING:
            return self.tr("Checking…")
        if s is Status.READY:
            return self.tr("Ready to repair")
        if s is Status.NOT_BROKEN:
            return self.tr("Not broken")
        if s is Status.UNUSABLE:
            return self.tr("Cannot be repaired")
        if s is Status.QUEUED:
            return self.tr("Waiting…")
        if s is Status.RUNNING:
            return self.stage_word(item.stage)
        if s is Status.DONE:
            return self.tr("Repaired")
        if s is Status.DONE_WITH_WARNINGS:
            return self.tr("Repaired, with gaps")
        if s is Status.FAILED:
            return self.tr("Failed")
        if s is Status.CANCELLED:
            return self.tr("Cancelled")
        return ""  # pragma: no cover

    def stage_word(self, stage: str) -> str:
        """The stage in a word or two, for the Status column (``stage_text`` says it in full)."""
        return {
            "diagnose": self.tr("Checking…"),
            "reference": self.tr("Reading reference…"),
            "scan": self.tr("Scanning…"),
            "build": self.tr("Indexing…"),
            "write": self.tr("Writing…"),
            "verify": self.tr("Verifying…"),
        }.get(stage, self.tr("Repairing…"))

    def stage_text(self, stage: str) -> str:
        return {
            "diagnose": self.tr("Checking the file…"),
            "reference": self.tr("Reading the reference…"),
            "scan": self.tr("Finding audio and video…"),
            "build": self.tr("Building the index…"),
            "write": self.tr("Writing the repaired file…"),
            "verify": self.tr("Checking the result…"),
        }.get(stage, self.tr("Repairing…"))

    def result_text(self, item: QueueItem) -> str:
        if item.status in (Status.DONE, Status.DONE_WITH_WARNINGS) and item.output is not None:
            return item.output.name
        if item.status in (Status.FAILED, Status.UNUSABLE, Status.NOT_BROKEN):
            # a few words: a whole sentence does not fit a column (it is in the tooltip and the details panel)
            return item.reason or (item.info.reason if item.info else "") or item.error \
                or (item.info.sentence if item.info else "")
        if item.status is Status.CANCELLED:
            return self.tr("Nothing was written.")
        return ""

    def recovered_text(self, item: QueueItem) -> str:
        report = getattr(item.result, "report", None)
        if report is None:
            if item.info is not None and item.info.recoverable and not item.status.finished:
                return self.tr("%1 to recover").replace("%1", human_size(item.info.recoverable))
            return ""
        return human_duration(report.duration)

    # --- Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 6

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def _status_color(self, status: Status) -> QColor | None:
        dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
        if status in (Status.DONE,):
            return QColor("#5fd38d" if dark else "#1e7d45")
        if status in (Status.DONE_WITH_WARNINGS,):
            return QColor("#f0c05a" if dark else "#8a5a00")
        if status in (Status.FAILED, Status.UNUSABLE):
            return QColor("#ff8a80" if dark else "#b3261e")
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return self._data(index, role)

    def _data(self, index, role):
        if not index.isValid() or index.row() >= len(self._items):
            return None
        item = self._items[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == self.COL_FILE:
                return item.path.name
            if col == self.COL_SIZE:
                return human_size(item.size) if item.size else ""
            if col == self.COL_STATUS:
                return self.status_text(item)
            if col == self.COL_PROGRESS:
                if role == Qt.ItemDataRole.AccessibleTextRole:
                    return f"{int(item.fraction * 100)} %"
                return None
            if col == self.COL_RECOVERED:
                return self.recovered_text(item)
            if col == self.COL_RESULT:
                return self.result_text(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == self.COL_FILE:
                return str(item.path)
            if col == self.COL_RESULT:
                if item.output is not None and item.status in (Status.DONE, Status.DONE_WITH_WARNINGS):
                    return str(item.output)
                if item.status in (Status.FAILED, Status.UNUSABLE, Status.NOT_BROKEN):
                    return item.error or (item.info.sentence if item.info else "")
                return self.result_text(item)
            if col in (self.COL_STATUS, self.COL_RECOVERED) and item.info is not None:
                return item.info.sentence
        if role == Qt.ItemDataRole.ForegroundRole and col in (self.COL_STATUS, self.COL_RESULT):
            return self._status_color(item.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (self.COL_SIZE, self.COL_RECOVERED):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ProgressRole:
            if item.status in (Status.RUNNING,):
                return item.fraction
            if item.status in (Status.DONE, Status.DONE_WITH_WARNINGS):
                return 1.0
            if item.status is Status.QUEUED:
                return 0.0
            return -1.0
        if role == StatusRole:
            return item.status
        if role == IdRole:
            return item.id
        return None

    # --- rows -------------------------------------------------------------------------------------
    def items(self) -> list[QueueItem]:
        return list(self._items)

    def item(self, job_id: int) -> QueueItem | None:
        for it in self._items:
            if it.id == job_id:
                return it
        return None

    def item_at(self, row: int) -> QueueItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, job_id: int) -> int:
        for row, it in enumerate(self._items):
            if it.id == job_id:
                return row
        return -1

    def contains(self, path: Path) -> bool:
        key = os.path.normcase(os.path.abspath(str(path)))
        return any(it.key == key for it in self._items)

    def add(self, path: Path) -> QueueItem | None:
        """Append a row for ``path`` (None when it is already in the queue)."""
        if self.contains(path):
            return None
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        item = QueueItem(next(self._ids), Path(path), size)
        row = len(self._items)
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.append(item)
        self.endInsertRows()
        return item

    def remove(self, job_id: int) -> None:
        row = self.row_of(job_id)
        if row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._items[row]
            self.endRemoveRows()

    def changed(self, job_id: int) -> None:
        row = self.row_of(job_id)
        if row >= 0:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def update(self, job_id: int, **fields) -> QueueItem | None:
        item = self.item(job_id)
        if item is None:
            return None
        for k, v in fields.items():
            setattr(item, k, v)
        self.changed(job_id)
        return item

    def set_progress(self, job_id: int, fraction: float, stage: str) -> None:
        row = self.row_of(job_id)
        if row < 0:
            return
        item = self._items[row]
        stage_changed = stage != item.stage
        item.fraction, item.stage = fraction, stage
        first = self.COL_STATUS if stage_changed else self.COL_PROGRESS
        self.dataChanged.emit(self.index(row, first), self.index(row, self.COL_PROGRESS))

    def count(self, *statuses: Status) -> int:
        return sum(1 for it in self._items if it.status in statuses)

    def persistent(self, job_id: int) -> QPersistentModelIndex:
        return QPersistentModelIndex(self.index(self.row_of(job_id), 0))
