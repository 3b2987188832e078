"""The window's pieces: the drop area, the reference slot and the details of one row."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QPalette, QPixmap
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mp4fix.gui.palette import is_dark
from mp4fix.gui.probe import ReferenceInfo
from mp4fix.gui.resources import tinted_icon, tinted_pixmap
from mp4fix.gui.text import human_size


def local_paths(mime) -> list[Path]:
    """The local files and folders in a drag's mime data."""
    if mime is None or not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


def colors(widget: QWidget) -> dict[str, str]:
    dark = is_dark(widget.palette())
    return {
        "ok": "#5fd38d" if dark else "#1e7d45",
        "warn": "#f0c05a" if dark else "#8a5a00",
        "error": "#ff8a80" if dark else "#b3261e",
        "muted": widget.palette().color(QPalette.ColorRole.PlaceholderText).name(),
        "text": widget.palette().color(QPalette.ColorRole.WindowText).name(),
        "accent": widget.palette().color(QPalette.ColorRole.Highlight).name(),
    }


def _label(text: str = "", *, word_wrap: bool = True, selectable: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(word_wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    if selectable:
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


class DropArea(QFrame):
    """The large target for broken recordings (files or folders; several at once make a batch)."""

    pathsDropped = Signal(list)  # list[Path]
    addFilesRequested = Signal()
    addFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dropArea")
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("dragging", False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        self.title.setObjectName("dropTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = _label()
        self.hint.setObjectName("hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._compact = False
        self.title.setWordWrap(True)  # a narrow window wraps the title rather than squeezing the buttons
        self.add_files = QPushButton()
        self.add_folder = QPushButton()
        for b in (self.add_files, self.add_folder):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # never narrower than its text
        self.add_files.clicked.connect(self.addFilesRequested)
        self.add_folder.clicked.connect(self.addFolderRequested)

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.add_files)
        buttons.addWidget(self.add_folder)
        self.texts = QVBoxLayout()
        self.texts.setSpacing(6)
        self.texts.addWidget(self.title)
        self.texts.addWidget(self.hint)

        # top to bottom while the queue is empty; one line (left to right) once it has rows
        self.box = QBoxLayout(QBoxLayout.Direction.TopToBottom, self)
        self.box.setContentsMargins(24, 24, 24, 24)
        self.box.setSpacing(12)
        self.box.addStretch(1)
        self.box.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignCenter)
        self.box.addLayout(self.texts)
        self.box.addLayout(buttons)
        self.box.setAlignment(buttons, Qt.AlignmentFlag.AlignCenter)
        self.box.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("Drop more broken recordings here") if self._compact
                           else self.tr("Drop broken recordings here"))
        self.hint.setText(self.tr("Files or whole folders. Several at once are repaired one after another."))
        self.add_files.setText(self.tr("&Add files…"))
        self.add_folder.setText(self.tr("Add &folder…"))
        self.setAccessibleName(self.tr("Drop area for broken recordings"))
        self.setAccessibleDescription(self.tr("Press Enter to choose files."))
        self.refresh_icons()
        self._fit_title()  # the words changed length

    def _fit_title(self) -> None:
        """On one line beside the buttons when it fits; wrapped when the window is too narrow (never clipped)."""
        if not self._compact:
            self.title.setWordWrap(True)
            return
        m = self.box.contentsMargins()
        used = (m.left() + m.right() + self.icon.sizeHint().width() + self.add_files.sizeHint().width()
                + self.add_folder.sizeHint().width() + 8 + 4 * self.box.spacing())
        fits = self.title.fontMetrics().horizontalAdvance(self.title.text()) <= self.width() - used
        if self.title.wordWrap() == fits:
            self.title.setWordWrap(not fits)
            self.updateGeometry()

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self._fit_title()

    def refresh_icons(self) -> None:
        c = colors(self)
        size = 28 if self._compact else 64
        self.icon.setPixmap(tinted_pixmap("drop", c["accent"], size, self.devicePixelRatioF()))
        self.add_files.setIcon(tinted_icon("add", c["text"]))

    def set_compact(self, compact: bool) -> None:
        """One line high once the queue has rows; the table below takes the room."""
        if compact == self._compact:
            return
        self._compact = compact
        self.hint.setVisible(not compact)
        self.setSizePolicy(QSizePolicy.Policy.Expanding,
                           QSizePolicy.Policy.Fixed if compact else QSizePolicy.Policy.Expanding)
        self.box.setDirection(QBoxLayout.Direction.LeftToRight if compact else QBoxLayout.Direction.TopToBottom)
        self.box.setContentsMargins(*((16, 10, 16, 10) if compact else (24, 24, 24, 24)))
        self.title.setObjectName("dropTitleSmall" if compact else "dropTitle")
        self.style().unpolish(self.title)
        self.style().polish(self.title)
        self.title.setText(self.tr("Drop more broken recordings here") if compact
                           else self.tr("Drop broken recordings here"))
        self.refresh_icons()
        self._fit_title()
        self.updateGeometry()

    def _set_dragging(self, on: bool) -> None:
        self.setProperty("dragging", on)
        self.style().unpolish(self)
        self.style().polish(self)
        self.update()

    def dragEnterEvent(self, event):  # noqa: N802
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_dragging(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event):  # noqa: N802
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event):  # noqa: N802
        self._set_dragging(False)

    def dropEvent(self, event):  # noqa: N802
        self._set_dragging(False)
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.pathsDropped.emit(paths)
        else:
            event.ignore()

    def keyPressEvent(self, event):  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.addFilesRequested.emit()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event):  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh_icons()
        super().changeEvent(event)


class ReferenceSlot(QFrame):
    """Where the healthy reference file goes: drop it or browse; shows its streams or what is wrong."""

    pathDropped = Signal(object)  # Path
    browseRequested = Signal()
    clearRequested = Signal()
    suggestionAccepted = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("referenceSlot")
        self.setAcceptDrops(True)
        self.setProperty("dragging", False)
        self.setMinimumWidth(300)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)

        self.heading = QLabel()
        self.heading.setObjectName("cardTitle")
        self.icon = QLabel()
        self.hint = _label()
        self.hint.setObjectName("hint")
        self.name = _label(selectable=True)
        self.name.setObjectName("refName")
        self.size_label = _label()
        self.size_label.setObjectName("hint")
        self.streams = _label(selectable=True)
        self.status = _label()
        self.status.setObjectName("refStatus")
        self.fit = _label()
        self.fit.setObjectName("fitWarning")
        self.browse = QPushButton()
        self.browse.clicked.connect(self.browseRequested)
        self.clear = QToolButton()
        self.clear.clicked.connect(self.clearRequested)
        self.clear.setAutoRaise(True)

        self.suggestion = QFrame()
        self.suggestion.setObjectName("suggestion")
        self.suggestion_text = _label()
        self.use_suggestion = QPushButton()
        self.use_suggestion.clicked.connect(self._accept_suggestion)
        sl = QVBoxLayout(self.suggestion)
        sl.setContentsMargins(10, 8, 10, 8)
        sl.addWidget(self.suggestion_text)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.use_suggestion)
        sl.addLayout(row)
        self.suggestion.hide()
        self._suggested: Path | None = None

        head = QHBoxLayout()
        head.addWidget(self.icon)
        head.addWidget(self.heading, 1)
        head.addWidget(self.clear)

        buttons = QHBoxLayout()
        buttons.addWidget(self.browse)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.hint)
        layout.addWidget(self.name)
        layout.addWidget(self.size_label)
        layout.addWidget(self.streams)
        layout.addWidget(self.status)
        layout.addWidget(self.fit)
        layout.addStretch(1)
        layout.addWidget(self.suggestion)
        layout.addLayout(buttons)
        self.info: ReferenceInfo | None = None
        self.path: Path | None = None
        self._misfit: str | None = None
        self._note = ""
        self.retranslate()
        self.show_info(None)

    def retranslate(self) -> None:
        self.heading.setText(self.tr("Reference file"))
        self.hint.setText(self.tr("A healthy recording made with the same camera and the same settings. "
                                  "mp4fix learns from it how to read the broken files."))
        self.browse.setText(self.tr("&Choose reference…"))
        self.clear.setToolTip(self.tr("Remove the reference"))
        self.clear.setAccessibleName(self.tr("Remove the reference"))
        self.use_suggestion.setText(self.tr("&Use this file"))
        self.setAccessibleName(self.tr("Reference file"))
        self.refresh_icons()

    def refresh_icons(self) -> None:
        c = colors(self)
        self.icon.setPixmap(tinted_pixmap("reference", c["accent"], 22, self.devicePixelRatioF()))
        self.clear.setIcon(tinted_icon("cancel", c["muted"], 16))

    def changeEvent(self, event):  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh_icons()
            self._restyle()
        super().changeEvent(event)

    def _restyle(self) -> None:
        c = colors(self)
        ok = self.info is not None and self.info.usable
        tone = ("warn" if self._misfit else "ok") if ok else "error"
        self.status.setStyleSheet(f"color: {c[tone]};")
        self.fit.setStyleSheet(f"color: {c['text']};")

    def _status_text(self) -> str:
        """One verdict: usable and fitting (green), usable but doubtful (amber, the reason below), or not usable."""
        info = self.info
        if info is None:
            return ""
        if not info.usable:
            text = "✗ " + info.sentence
        elif self._misfit:
            text = "⚠ " + self.tr("A healthy recording, but it may not fit the files to repair:")
        else:
            text = "✓ " + info.sentence
        return text + ("\n" + self._note if self._note and info.usable else "")

    def set_note(self, note: str) -> None:
        """A line under the verdict, e.g. why this reference was filled in."""
        self._note = note
        self.status.setText(self._status_text())

    def checking(self, path: Path) -> None:
        self.path = Path(path)
        self.info = None
        self._misfit = None
        self._note = ""
        self.hint.hide()
        self.name.setText(self.path.name)
        self.name.setToolTip(str(self.path))
        self.name.show()
        self.size_label.hide()
        self.streams.hide()
        self.status.setText(self.tr("Checking…"))
        self.status.setStyleSheet("")
        self.status.show()
        self.fit.hide()
        self.clear.show()

    def show_info(self, info: ReferenceInfo | None) -> None:
        self.info = info
        self._misfit = None
        if info is None:
            self._note = ""
            self.path = None
            self.hint.show()
            for w in (self.name, self.size_label, self.streams, self.status, self.fit):
                w.hide()
            self.clear.hide()
            return
        self.path = info.path
        self.hint.hide()
        self.name.setText(info.path.name)
        self.name.setToolTip(str(info.path))
        self.name.show()
        self.size_label.setText(human_size(info.size) + (f" · {info.path.parent}" if info.path.parent else ""))
        self.size_label.setVisible(bool(info.size))
        self.streams.setText("\n".join(info.streams))
        self.streams.setVisible(bool(info.streams))
        self.status.setText(self._status_text())
        self.status.show()
        self.clear.show()
        self._restyle()

    def show_fit(self, sentence: str | None) -> None:
        """Whether the reference fits the files to repair: ``sentence`` says why not (the engine's words)."""
        self._misfit = sentence
        self.fit.setText(sentence or "")
        self.fit.setVisible(bool(sentence))
        if self.info is not None:
            self.status.setText(self._status_text())
        self._restyle()

    def show_suggestion(self, info: ReferenceInfo | None) -> None:
        self._suggested = info.path if info is not None else None
        if info is None:
            self.suggestion.hide()
            return
        self.suggestion_text.setText(
            self.tr("%1 in the same folder is a healthy recording that fits. Use it as the reference?")
            .replace("%1", info.path.name))
        self.suggestion.show()

    def _accept_suggestion(self) -> None:
        if self._suggested is not None:
            self.suggestionAccepted.emit(self._suggested)

    def dragEnterEvent(self, event):  # noqa: N802
        if len(local_paths(event.mimeData())) == 1 and local_paths(event.mimeData())[0].is_file():
            event.acceptProposedAction()
            self.setProperty("dragging", True)
            self.style().polish(self)
        else:
            event.ignore()

    def dragMoveEvent(self, event):  # noqa: N802
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event):  # noqa: N802
        self.setProperty("dragging", False)
        self.style().polish(self)

    def dropEvent(self, event):  # noqa: N802
        self.setProperty("dragging", False)
        self.style().polish(self)
        paths = local_paths(event.mimeData())
        if len(paths) == 1 and paths[0].is_file():
            event.acceptProposedAction()
            self.pathDropped.emit(paths[0])
        else:
            event.ignore()


class Thumbnail(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("thumb")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(QSize(192, 108))
        self.caption = QLabel()
        self.caption.setObjectName("hint")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)

    def set_png(self, data: bytes | None, caption: str) -> bool:
        self.caption.setText(caption)
        pix = QPixmap()
        if data and pix.loadFromData(data, "PNG"):
            ratio = self.devicePixelRatioF()
            scaled = pix.scaled(QSize(int(192 * ratio), int(108 * ratio)), Qt.AspectRatioMode.KeepAspectRatio,
                                Qt.TransformationMode.SmoothTransformation)
            scaled.setDevicePixelRatio(ratio)
            self.picture.setPixmap(scaled)
            self.setAccessibleName(caption)
            return True
        self.picture.clear()
        return False


class DetailsExpander(QWidget):
    """A "Details" toggle over a read-only log."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self._toggled)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setObjectName("log")
        self.log.setMinimumHeight(90)
        self.log.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.log)
        self.retranslate()

    def retranslate(self) -> None:
        self.toggle.setText(self.tr("Details"))
        self.toggle.setAccessibleName(self.tr("Show details"))

    def _toggled(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.log.setVisible(on)

    def set_text(self, text: str) -> None:
        self.log.setPlainText(text)
        self.setVisible(bool(text.strip()))
        if not text.strip():
            self.toggle.setChecked(False)
