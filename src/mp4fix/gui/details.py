"""The panel under the queue: everything about the selected row, in plain words."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from mp4fix.gui.queue_model import QueueItem, QueueModel, Status
from mp4fix.gui.resources import tinted_icon
from mp4fix.gui.text import codec_name, human_duration, human_size, kind_name
from mp4fix.gui.widgets import DetailsExpander, Thumbnail, _label, colors


class DetailsPanel(QFrame):
    playRequested = Signal(object)  # Path
    showInFolderRequested = Signal(object)  # Path
    cancelRequested = Signal(int)
    removeRequested = Signal(int)
    retryRequested = Signal(int)
    useAsReferenceRequested = Signal(object)  # Path
    shown = Signal()  # show_item has filled the panel (its height may have changed)

    def __init__(self, model: QueueModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("detailsPanel")
        self.model = model
        self.item: QueueItem | None = None

        self.title = _label(selectable=True)
        self.title.setObjectName("detailsTitle")
        self.where = _label(selectable=True)
        self.where.setObjectName("hint")
        self.sentence = _label(selectable=True)
        self.sentence.setObjectName("sentence")
        self.verify = _label()
        self.tracks = _label(selectable=True)
        self.notes = _label()
        self.thumb_first = Thumbnail()
        self.thumb_last = Thumbnail()
        thumbs = QHBoxLayout()
        thumbs.setSpacing(12)
        thumbs.addWidget(self.thumb_first)
        thumbs.addWidget(self.thumb_last)
        thumbs.addStretch(1)
        self.thumbs = QWidget()
        self.thumbs.setLayout(thumbs)
        thumbs.setContentsMargins(0, 2, 0, 2)

        self.play = QPushButton()
        self.show_folder = QPushButton()
        self.use_reference = QPushButton()
        self.retry = QPushButton()
        self.cancel = QPushButton()
        self.remove = QPushButton()
        self.play.clicked.connect(lambda: self.item and self.item.output and self.playRequested.emit(self.item.output))
        self.show_folder.clicked.connect(self._show_folder)
        self.use_reference.clicked.connect(lambda: self.item and self.useAsReferenceRequested.emit(self.item.path))
        self.retry.clicked.connect(lambda: self.item and self.retryRequested.emit(self.item.id))
        self.cancel.clicked.connect(lambda: self.item and self.cancelRequested.emit(self.item.id))
        self.remove.clicked.connect(lambda: self.item and self.removeRequested.emit(self.item.id))
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for b in (self.play, self.show_folder, self.use_reference, self.retry, self.cancel, self.remove):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # never squeezed below its text
        for b in (self.play, self.show_folder, self.use_reference, self.retry):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.remove)

        self.details = DetailsExpander()
        self.empty = _label()
        self.empty.setObjectName("hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        # What is said about the row scrolls when the panel is short; the buttons below it always show whole.
        self.content = QWidget()
        self.content.setObjectName("detailsContent")
        content = QVBoxLayout(self.content)
        content.setContentsMargins(0, 0, 0, 0)
        content.setSpacing(5)
        for w in (self.empty, self.title, self.where, self.sentence, self.verify, self.tracks, self.notes,
                  self.thumbs, self.details):
            content.addWidget(w)
        content.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("detailsScroll")
        self.scroll.setWidget(self.content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.viewport().setAutoFillBackground(False)
        self.content.setAutoFillBackground(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(buttons)
        self._buttons = buttons
        self.retranslate()
        self.show_item(None)

    def preferred_height(self, width: int | None = None) -> int:
        """The height that shows everything about the row without scrolling, at the panel's ``width``."""
        m = self.layout().contentsMargins()
        frame = self.contentsMargins()  # the panel's border (style sheet)
        width = (width or self.width()) - m.left() - m.right() - frame.left() - frame.right()
        content = self.content.layout().totalHeightForWidth(width) if self.content.layout().hasHeightForWidth() \
            else self.content.sizeHint().height()
        buttons = self._buttons.sizeHint().height()
        has_buttons = any(b.isVisibleTo(self) for b in (self.play, self.show_folder, self.use_reference,
                                                         self.retry, self.cancel, self.remove))
        return frame.top() + m.top() + content + (self.layout().spacing() + buttons if has_buttons else 0) \
            + m.bottom() + frame.bottom()

    def retranslate(self) -> None:
        self.play.setText(self.tr("&Play"))
        self.show_folder.setText(self.tr("Show in &folder"))
        self.use_reference.setText(self.tr("Use as &reference"))
        self.retry.setText(self.tr("&Try again"))
        self.cancel.setText(self.tr("&Cancel this file"))
        self.remove.setText(self.tr("Remove from &list"))
        self.empty.setText(self.tr("Select a file in the list to see what was found and what was recovered."))
        self.details.retranslate()
        self.refresh_icons()

    def refresh_icons(self) -> None:
        c = colors(self)
        self.play.setIcon(tinted_icon("play", c["text"], 16))
        self.show_folder.setIcon(tinted_icon("folder", c["text"], 16))
        self.cancel.setIcon(tinted_icon("cancel", c["text"], 16))

    def changeEvent(self, event):  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh_icons()
            if self.item is not None:
                self.show_item(self.item)
        super().changeEvent(event)

    def _show_folder(self) -> None:
        if self.item is None:
            return
        target = self.item.output if self.item.output is not None and self.item.output.exists() else self.item.path
        self.showInFolderRequested.emit(target)

    # --- filling it -------------------------------------------------------------------------------
    def _verify_text(self, report) -> tuple[str, str]:
        v = report.verify
        if v is None:
            return self.tr("The result was not checked with ffmpeg."), "muted"
        if v.ok and not v.decode_errors:
            return "✓ " + self.tr("ffmpeg decoded the whole file without errors."), "ok"
        n = int(v.decode_errors or 0)
        if n == 1:
            return "⚠ " + self.tr("ffmpeg decoded the file with 1 error; a moment may show a glitch."), "warn"
        return "⚠ " + self.tr("ffmpeg decoded the file with %1 errors; some moments may show glitches.") \
            .replace("%1", f"{n:,}"), "warn"

    def _track_lines(self, report) -> str:
        lines = []
        for t in report.tracks:
            head = f"{kind_name(t.kind)} · {codec_name(t.codec)}"
            if t.status == "ok":
                if t.kind == "video":
                    count = self.tr("%1 frames").replace("%1", f"{t.samples:,}")
                else:
                    count = self.tr("%1 packets").replace("%1", f"{t.samples:,}")
                lines.append(f"{head} · {human_duration(t.duration)} · {count} · {human_size(t.bytes)}")
            else:
                why = f": {t.note}" if t.note else ""
                lines.append(f"{head} · " + self.tr("not recovered") + why)
        return "\n".join(lines)

    def _note_lines(self, report) -> str:
        notes = []
        if report.bytes_skipped:
            notes.append(self.tr("%1 of data belonged to no track and was left out.")
                         .replace("%1", human_size(report.bytes_skipped)))
        if report.truncated_tail:
            notes.append(self.tr("The last %1 were cut off by the crash in the middle of a frame and cannot be used.")
                         .replace("%1", human_size(report.truncated_tail)))
        return "\n".join(notes)

    def show_item(self, item: QueueItem | None) -> None:
        self.item = item
        c = colors(self)
        content = (self.title, self.where, self.sentence, self.verify, self.tracks, self.notes, self.thumbs,
                   self.details, self.play, self.show_folder, self.use_reference, self.retry, self.cancel,
                   self.remove)
        if item is None:
            for w in content:
                w.hide()
            self.empty.show()
            self.shown.emit()
            return
        self.empty.hide()
        self.title.setText(item.path.name)
        self.title.show()
        self.where.setText(f"{item.path.parent} · {human_size(item.size)}" if item.size else str(item.path.parent))
        self.where.show()
        s = item.status
        report = getattr(item.result, "report", None)
        log = ""

        if s in (Status.DONE, Status.DONE_WITH_WARNINGS) and report is not None:
            out = item.output.name if item.output is not None else ""
            self.sentence.setText(self.tr("Repaired: %1 recovered, saved as %2.")
                                  .replace("%1", human_duration(report.duration)).replace("%2", out))
            self.sentence.setStyleSheet(f"color: {c['ok'] if s is Status.DONE else c['warn']};")
            text, tone = self._verify_text(report)
            self.verify.setText(text)
            self.verify.setStyleSheet(f"color: {c[tone]};")
            self.verify.show()
            self.tracks.setText(self._track_lines(report))
            self.tracks.setVisible(bool(report.tracks))
            notes = self._note_lines(report)
            self.notes.setText(notes)
            self.notes.setVisible(bool(notes))
            has_first = self.thumb_first.set_png(getattr(item.result, "thumb_first", None),
                                                 self.tr("First recovered frame"))
            has_last = self.thumb_last.set_png(getattr(item.result, "thumb_last", None),
                                               self.tr("Last recovered frame"))
            self.thumb_first.setVisible(has_first)
            self.thumb_last.setVisible(has_last)
            self.thumbs.setVisible(has_first or has_last)
            log = "\n".join(report.warnings)  # the engine's own words, for the curious
            if report.verify is not None and report.verify.log:
                log = (log + "\n\n" if log else "") + report.verify.log
        else:
            for w in (self.verify, self.tracks, self.notes, self.thumbs):
                w.hide()
            if s in (Status.FAILED, Status.UNUSABLE):
                self.sentence.setText(item.error or (item.info.sentence if item.info else ""))
                self.sentence.setStyleSheet(f"color: {c['error']};")
                log = item.log or (item.info.detail if item.info else "")
            elif s is Status.CANCELLED:
                self.sentence.setText(self.tr("Cancelled. Nothing was written; the original is untouched."))
                self.sentence.setStyleSheet("")
            elif s is Status.RUNNING:
                self.sentence.setText(self.model.stage_text(item.stage) + f" {int(item.fraction * 100)} %")
                self.sentence.setStyleSheet("")
            elif s is Status.QUEUED:
                self.sentence.setText(self.tr("Waiting for the files before it to finish."))
                self.sentence.setStyleSheet("")
            elif s is Status.CHECKING:
                self.sentence.setText(self.tr("Checking the file…"))
                self.sentence.setStyleSheet("")
            else:
                self.sentence.setText(item.info.sentence if item.info else "")
                self.sentence.setStyleSheet("")
                log = item.info.detail if item.info else ""
        self.sentence.show()
        self.details.set_text(log)

        finished_ok = s in (Status.DONE, Status.DONE_WITH_WARNINGS) and item.output is not None
        self.play.setVisible(finished_ok)
        self.show_folder.setVisible(finished_ok)
        self.use_reference.setVisible(s is Status.NOT_BROKEN and not getattr(item.info, "repaired", False))
        self.retry.setVisible(s in (Status.FAILED, Status.CANCELLED))
        self.cancel.setVisible(s.active)
        self.remove.setVisible(not s.active)
        self.shown.emit()

    def refresh_if(self, job_id: int) -> None:
        if self.item is not None and self.item.id == job_id:
            self.show_item(self.item)
