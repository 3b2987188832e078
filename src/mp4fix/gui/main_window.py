"""The main window: drop area, reference slot, queue, details, and the Repair button."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mp4fix import i18n
from mp4fix.errors import Mp4fixError
from mp4fix.gui import desktop
from mp4fix.gui import job as job_module
from mp4fix.gui import probe
from mp4fix.gui.delegates import ProgressBarDelegate
from mp4fix.gui.details import DetailsPanel
from mp4fix.gui.jobs import JobManager
from mp4fix.gui.palette import is_dark
from mp4fix.gui.queue_model import QueueModel, Status
from mp4fix.gui.resources import app_pixmap, tinted_icon
from mp4fix.gui.settings import Settings
from mp4fix.gui.settings_dialog import SettingsDialog
from mp4fix.gui.text import human_size
from mp4fix.gui.widgets import DropArea, ReferenceSlot, colors, local_paths


class QueueView(QTableView):
    """The queue table; dropping more files on it adds them too."""

    pathsDropped = Signal(list)
    deletePressed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(False)

    def dragEnterEvent(self, event):  # noqa: N802
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event):  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event):  # noqa: N802
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.pathsDropped.emit(paths)
        else:
            event.ignore()

    def keyPressEvent(self, event):  # noqa: N802
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.deletePressed.emit()
            return
        super().keyPressEvent(event)


def stylesheet(palette: QPalette) -> str:
    dark = is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base).name()
    alt = palette.color(QPalette.ColorRole.AlternateBase).name()
    mid = palette.color(QPalette.ColorRole.Mid).name()
    midlight = palette.color(QPalette.ColorRole.Midlight).name()
    accent = palette.color(QPalette.ColorRole.Highlight).name()
    accent_text = palette.color(QPalette.ColorRole.HighlightedText).name()
    muted = palette.color(QPalette.ColorRole.PlaceholderText).name()
    border = "#3A3F47" if dark else "#D0D7DE"
    drop_bg = "#1A2230" if dark else "#F5F9FF"
    drop_hover = "#1F2B40" if dark else "#E8F1FF"
    accent_hover = "#5C9BF0" if dark else "#2466C2"
    return f"""
    #dropArea {{ border: 2px dashed {mid if dark else '#B6C2D1'}; border-radius: 14px; background: {drop_bg}; }}
    #dropArea[dragging="true"] {{ border: 2px solid {accent}; background: {drop_hover}; }}
    #dropArea:focus {{ border: 2px dashed {accent}; }}
    #referenceSlot, #detailsPanel {{ border: 1px solid {border}; border-radius: 10px; background: {base}; }}
    #referenceSlot[dragging="true"] {{ border: 2px solid {accent}; }}
    #referenceSlot QLabel, #detailsPanel QLabel, #dropArea QLabel, #suggestion QLabel {{
        background: transparent; border: none; }}
    #detailsScroll, #detailsContent {{ background: transparent; border: none; }}
    #dropTitle {{ font-size: 15pt; font-weight: 600; }}
    #dropTitleSmall {{ font-size: 11pt; font-weight: 600; }}
    #appTitle {{ font-size: 16pt; font-weight: 600; }}
    #cardTitle {{ font-size: 11pt; font-weight: 600; }}
    #refName, #detailsTitle {{ font-weight: 600; }}
    #detailsTitle {{ font-size: 12pt; }}
    #hint {{ color: {muted}; }}
    #suggestion {{ background: {alt}; border: 1px solid {accent}; border-radius: 8px; }}
    QTableView {{ border: 1px solid {border}; border-radius: 10px; background: {base};
                  alternate-background-color: {alt}; gridline-color: {midlight};
                  selection-background-color: {accent}; selection-color: {accent_text}; }}
    QHeaderView::section {{ background: {base}; border: none; border-bottom: 1px solid {border};
                            padding: 6px 8px; font-weight: 600; }}
    QPushButton {{ padding: 5px 14px; }}
    QPushButton#repairButton {{ background: {accent}; color: {accent_text}; border: none; border-radius: 7px;
                               padding: 9px 26px; font-size: 11pt; font-weight: 600; }}
    QPushButton#repairButton:hover {{ background: {accent_hover}; }}
    QPushButton#repairButton:focus {{ border: 2px solid {accent_text}; }}
    QPushButton#repairButton:disabled {{ background: {mid}; color: {muted}; }}
    QPlainTextEdit#log {{ font-family: monospace; border: 1px solid {border}; border-radius: 6px; }}
    """


class MainWindow(QMainWindow):
    batchStarted = Signal()
    batchFinished = Signal()  # every queued repair has ended
    rowFinished = Signal(int, str)  # job id, status value
    rowChecked = Signal(int)  # a dropped file has been looked at
    referenceChecked = Signal(object)  # ReferenceInfo

    def __init__(self, settings: Settings | None = None, manager: JobManager | None = None):
        super().__init__()
        self.settings = settings or Settings()
        self.manager = manager or JobManager(self)
        self.model = QueueModel(self)
        self.reference_info: probe.ReferenceInfo | None = None
        self._reference_auto: str = ""  # why the reference was filled in for the user, if it was
        self._reference_auto_key: str = ""  # the same, as a key ("remembered"): said again in a new language
        self._language = i18n.language()  # of the engine's sentences held by the rows
        self._language_choice = self.settings.language  # as set in Settings ('system', 'en', 'ja')
        self._closing = False
        self._batch_running = False
        self._candidates_seen: set[str] = set()
        self._fits: dict[int, str | None] = {}
        self._left_out_healthy = 0

        self.setWindowTitle("mp4fix")
        self.setAcceptDrops(True)
        self.resize(1080, 720)
        self.setMinimumSize(860, 560)

        # --- header ---
        self.logo = QLabel()
        self.heading = QLabel()
        self.heading.setObjectName("appTitle")
        self.subheading = QLabel()
        self.subheading.setObjectName("hint")
        self.settings_button = QToolButton()
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_button.setAutoRaise(True)
        self.settings_button.clicked.connect(self.open_settings)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.heading)
        titles.addWidget(self.subheading)
        header = QHBoxLayout()
        header.setSpacing(12)
        header.addWidget(self.logo)
        header.addLayout(titles, 1)
        header.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignTop)

        # --- left: drop area, queue, details ---
        self.drop_area = DropArea()
        self.drop_area.pathsDropped.connect(self.add_paths)
        self.drop_area.addFilesRequested.connect(self.browse_files)
        self.drop_area.addFolderRequested.connect(self.browse_folder)

        self.table = QueueView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(QueueModel.COL_PROGRESS, ProgressBarDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.pathsDropped.connect(self.add_paths)
        self.table.deletePressed.connect(self._delete_selected)
        hh = self.table.horizontalHeader()
        hh.setHighlightSections(False)
        # Every column as wide as its words (short ones: the details panel has the sentences); the file name
        # takes what is left and, when a name is too long for it, shows its start and end.
        hh.setSectionResizeMode(QueueModel.COL_FILE, QHeaderView.ResizeMode.Stretch)
        for col in (QueueModel.COL_SIZE, QueueModel.COL_STATUS, QueueModel.COL_RECOVERED, QueueModel.COL_RESULT):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(QueueModel.COL_PROGRESS, QHeaderView.ResizeMode.Fixed)
        hh.resizeSection(QueueModel.COL_PROGRESS, 110)
        hh.setMinimumSectionSize(60)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.setMinimumHeight(72)  # the header and a row; _fit_details keeps more when it can

        self.details = DetailsPanel(self.model)
        self.details.playRequested.connect(self.play)
        self.details.showInFolderRequested.connect(self.show_in_folder)
        self.details.cancelRequested.connect(self.cancel_row)
        self.details.removeRequested.connect(self.remove_row)
        self.details.retryRequested.connect(self.retry_row)
        self.details.useAsReferenceRequested.connect(self.set_reference)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.details)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.installEventFilter(self)
        # fitted once everything of an event-loop turn has been laid out (texts, thumbnails, a new language)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_details)
        self.details.shown.connect(self._fit_timer.start)
        self.details.content.installEventFilter(self)

        left = QVBoxLayout()
        left.setSpacing(12)
        left.addWidget(self.drop_area)
        left.addWidget(self.splitter, 1)

        # --- right: reference ---
        self.reference_slot = ReferenceSlot()
        self.reference_slot.setFixedWidth(330)
        self.reference_slot.pathDropped.connect(self.set_reference)
        self.reference_slot.browseRequested.connect(self.browse_reference)
        self.reference_slot.clearRequested.connect(self.clear_reference)
        self.reference_slot.suggestionAccepted.connect(self.set_reference)

        body = QHBoxLayout()
        body.setSpacing(14)
        body.addLayout(left, 1)
        body.addWidget(self.reference_slot)

        # --- bottom bar ---
        self.summary = QLabel()
        self.summary.setObjectName("hint")
        self.summary.setWordWrap(True)
        self.cancel_all_button = QPushButton()
        self.cancel_all_button.clicked.connect(self.cancel_all)
        self.clear_button = QPushButton()
        self.clear_button.clicked.connect(self.clear_finished)
        self.repair_button = QPushButton()
        self.repair_button.setObjectName("repairButton")
        self.repair_button.setDefault(True)
        self.repair_button.clicked.connect(self.start_repair)
        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.clear_button)
        bottom.addWidget(self.cancel_all_button)
        bottom.addWidget(self.repair_button)

        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(14)
        outer.addLayout(header)
        outer.addLayout(body, 1)
        outer.addLayout(bottom)
        self.setCentralWidget(central)

        # --- keyboard ---
        self.add_action = QAction(self)
        self.add_action.setShortcut(QKeySequence.StandardKey.Open)
        self.add_action.triggered.connect(self.browse_files)
        self.repair_action = QAction(self)
        self.repair_action.setShortcut(QKeySequence("Ctrl+R"))
        self.repair_action.triggered.connect(self.start_repair)
        self.settings_action = QAction(self)
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(self.open_settings)
        for a in (self.add_action, self.repair_action, self.settings_action):
            self.addAction(a)
        QWidget.setTabOrder(self.drop_area, self.drop_area.add_files)
        QWidget.setTabOrder(self.drop_area.add_files, self.drop_area.add_folder)
        QWidget.setTabOrder(self.drop_area.add_folder, self.table)
        QWidget.setTabOrder(self.table, self.reference_slot.browse)
        QWidget.setTabOrder(self.reference_slot.browse, self.repair_button)

        # --- workers ---
        self.manager.started.connect(self._job_started)
        self.manager.progress.connect(self._job_progress)
        self.manager.succeeded.connect(self._job_succeeded)
        self.manager.failed.connect(self._job_failed)
        self.manager.cancelled.connect(self._job_cancelled)
        self.manager.idle.connect(self._jobs_idle)
        self.manager.probed.connect(self._probed)
        self.model.rowsInserted.connect(self._update_state)
        self.model.rowsRemoved.connect(self._update_state)
        self.model.dataChanged.connect(self._data_changed)

        geometry = self.settings.geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.apply_palette()
        self.retranslate()
        self._update_state()

    # --- look ---------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.heading.setText(self.tr("Repair unfinished recordings"))
        self.subheading.setText(self.tr("For videos whose recording was cut off (battery, crash, full card). "
                                        "The originals are never changed."))
        self.settings_button.setText(self.tr("&Settings"))
        self.settings_button.setToolTip(self.tr("Where repaired files go and how they are named"))
        self.cancel_all_button.setText(self.tr("Cancel a&ll"))
        self.clear_button.setText(self.tr("Clear &finished"))
        self.add_action.setText(self.tr("Add files"))
        self.repair_action.setText(self.tr("Repair"))
        self.table.setAccessibleName(self.tr("Files to repair"))
        self.repair_button.setAccessibleName(self.tr("Repair"))
        self._update_state()

    def _language_changed(self) -> None:
        """Everything in the new language: the pieces' own texts, the queue's words, and the sentences that came
        from the engine in the old one (the rows not repaired yet and the reference are looked at again)."""
        self.retranslate()
        self.drop_area.retranslate()
        self.reference_slot.retranslate()
        self.details.retranslate()
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1)
        if self.model.rowCount():
            self.model.dataChanged.emit(self.model.index(0, 0),
                                        self.model.index(self.model.rowCount() - 1, self.model.columnCount() - 1))
        if self._language == i18n.language():
            return
        self._language = i18n.language()
        for item in self.model.items():
            if item.status in (Status.READY, Status.NOT_BROKEN, Status.UNUSABLE):
                self.manager.call(("broken", item.id), probe.inspect_broken, item.path)
        if self.reference_slot.path is not None:
            self.set_reference(self.reference_slot.path, self._reference_auto_key)

    def apply_palette(self) -> None:
        app = QApplication.instance()
        pal = app.palette() if app is not None else self.palette()
        self.setStyleSheet(stylesheet(pal))
        c = colors(self)
        self.logo.setPixmap(app_pixmap(44, self.devicePixelRatioF()))
        self.settings_button.setIcon(tinted_icon("settings", c["text"], 18))
        self.cancel_all_button.setIcon(tinted_icon("cancel", c["text"], 16))
        self.repair_button.setIcon(tinted_icon("repair", pal.color(QPalette.ColorRole.HighlightedText), 18))

    def changeEvent(self, event):  # noqa: N802
        from PySide6.QtCore import QEvent  # noqa: PLC0415

        if event.type() == QEvent.Type.PaletteChange:
            self.apply_palette()
        elif event.type() == QEvent.Type.LanguageChange:
            self._language_changed()
        super().changeEvent(event)

    # --- adding files -------------------------------------------------------------------------------
    def add_paths(self, paths) -> int:
        """Queue broken files (folders give the recordings inside). Returns how many rows were added."""
        added = 0
        dup = 0
        for raw in paths:
            raw = Path(raw)
            from_folder = raw.is_dir()
            files = probe.expand_paths([raw])
            if from_folder and not files:
                self.show_message(self.tr("No MP4 or MOV files were found in %1.").replace("%1", raw.name))
            for f in files:
                item = self.model.add(f)
                if item is None:
                    dup += 1
                    continue
                item.from_folder = from_folder
                added += 1
                self.manager.call(("broken", item.id), probe.inspect_broken, f)
                if self.model.rowCount() == 1:
                    self.table.selectRow(0)
        if dup and not added:
            self.show_message(self.tr("Already in the list."))
        if added:
            self.settings.set_last_browse_dir(Path(paths[0]).parent if not Path(paths[0]).is_dir() else paths[0])
        self._update_state()
        return added

    def browse_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Choose broken recordings"), self.settings.last_browse_dir(),
            self.tr("Videos (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;All files (*)"))
        if files:
            self.add_paths([Path(f) for f in files])

    def browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder of recordings"),
                                                  self.settings.last_browse_dir())
        if folder:
            self.add_paths([Path(folder)])

    def dragEnterEvent(self, event):  # noqa: N802
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # --- the reference ------------------------------------------------------------------------------
    def browse_reference(self) -> None:
        start = str(self.reference_info.path.parent) if self.reference_info else self.settings.last_browse_dir()
        f, _ = QFileDialog.getOpenFileName(
            self, self.tr("Choose a healthy recording from the same camera"), start,
            self.tr("Videos (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;All files (*)"))
        if f:
            self.set_reference(Path(f))

    def set_reference(self, path, why: str = "") -> None:
        path = Path(path)
        self._reference_auto_key = why if why in ("remembered",) else ""
        self._reference_auto = self.tr("Used last time for this folder.") if why == "remembered" else why
        self.reference_info = None
        self._fits.clear()
        self.reference_slot.checking(path)
        self.reference_slot.show_suggestion(None)
        self.manager.call(("reference", str(path)), probe.inspect_reference, path)
        self._update_state()

    def clear_reference(self) -> None:
        self.reference_info = None
        self._reference_auto = ""
        self._reference_auto_key = ""
        self._fits.clear()
        self.reference_slot.show_info(None)
        self._update_state()
        self._suggest_reference()

    def _reference_checked(self, info, path: str = "") -> None:
        if isinstance(info, Exception):  # a bug in the check (logged): say so instead of checking forever
            info = probe.ReferenceInfo(Path(path), 0, False, str(info), detail=getattr(info, "log", ""))
        if self.reference_slot.path is None or Path(info.path) != self.reference_slot.path:
            return  # a newer reference was chosen meanwhile
        self.reference_info = info
        if info.usable:
            self._reset_refused_rows(Path(info.path))
        self.reference_slot.show_info(info)
        if self._reference_auto and info.usable:
            self.reference_slot.set_note(self._reference_auto)
        self._check_fits()
        self._update_state()
        self.referenceChecked.emit(info)

    def _reset_refused_rows(self, reference: Path) -> None:
        """A new reference: rows that failed with another one are ready again (and checked against this one)."""
        for item in self.model.items():
            if item.status is Status.FAILED and item.reference is not None and item.reference != reference \
                    and (item.info is None or item.info.state == "broken"):
                self.model.update(item.id, status=Status.READY, error="", reason="", log="", result=None,
                                  output=None, fraction=0.0, stage="")
        self._update_state()

    def _check_fits(self) -> None:
        self._fits.clear()
        self.reference_slot.show_fit(None)
        if self.reference_info is None or not self.reference_info.usable:
            return
        for item in self.model.items():
            if item.status is Status.READY and item.info is not None:
                self.manager.call(("fit", item.id, str(self.reference_info.path)), probe.check_fit,
                                  item.info, self.reference_info)

    def _fit_checked(self, job_id: int, ref: str, sentence) -> None:
        if self.reference_info is None or str(self.reference_info.path) != ref:
            return
        if isinstance(sentence, Exception):  # a bug in the check (logged): not a silent "it fits"
            sentence = str(sentence)
        self._fits[job_id] = sentence
        warnings = sorted({s for s in self._fits.values() if s})
        self.reference_slot.show_fit(warnings[0] if warnings else None)

    def _suggest_reference(self) -> None:
        """No reference yet: use the one remembered for this folder, or offer a healthy file found there."""
        if self.reference_slot.path is not None:
            return
        if any(it.status is Status.CHECKING for it in self.model.items()):
            return  # called again when the last file has been looked at
        for item in self.model.items():
            if item.status is not Status.READY or item.info is None:
                continue
            folder = item.path.parent
            remembered = self.settings.reference_for(folder)
            if remembered is not None:
                self.set_reference(remembered, "remembered")
                return
            key = os.path.normcase(str(folder))
            if key not in self._candidates_seen:
                self._candidates_seen.add(key)
                exclude = [it.path for it in self.model.items() if it.status is not Status.NOT_BROKEN]
                exclude += [it.output for it in self.model.items() if it.output is not None]
                self.manager.call(("candidates", key), probe.find_reference_candidates, folder, exclude, item.info,
                                  40, self.settings.pattern)
            return

    def _candidates_found(self, candidates) -> None:
        if isinstance(candidates, Exception) or not candidates or self.reference_slot.path is not None:
            return
        self.reference_slot.show_suggestion(candidates[0])

    # --- probe results ------------------------------------------------------------------------------
    def _probed(self, res) -> None:
        key, result = res.key, res.value
        kind = key[0]
        if kind == "broken":
            self._broken_checked(key[1], result)
        elif kind == "reference":
            self._reference_checked(result, key[1])
        elif kind == "fit":
            self._fit_checked(key[1], key[2], result)
        elif kind == "candidates":
            self._candidates_found(result)

    def _broken_checked(self, job_id: int, info) -> None:
        item = self.model.item(job_id)
        if item is None:
            return
        if isinstance(info, Exception):
            self.model.update(job_id, status=Status.UNUSABLE, error=str(info), log=getattr(info, "log", ""))
            self.rowChecked.emit(job_id)
            return
        status = {"broken": Status.READY, "healthy": Status.NOT_BROKEN}.get(info.state, Status.UNUSABLE)
        if status is Status.NOT_BROKEN and item.from_folder:
            # a healthy file found inside a dropped folder: not a job, but maybe the reference
            self._left_out_healthy += 1
            self.model.remove(job_id)
            if not probe.is_repaired_name(item.path, self.settings.pattern):  # earlier results are no reference
                self.show_message(self.tr("Healthy files in the folder were left out of the list; "
                                          "one of them can serve as the reference."))
            self.rowChecked.emit(job_id)
            self._suggest_reference()
            return
        if status is Status.NOT_BROKEN and probe.is_repaired_name(item.path, self.settings.pattern):
            info.sentence = self.tr("This file is not broken: it is a repaired copy and plays as it is.")
            info.reason = self.tr("Already repaired")
            info.repaired = True  # not offered as the reference
        self.model.update(job_id, status=status, info=info, size=info.size or item.size,
                          error="" if status is Status.READY else info.sentence, log=info.detail)
        if status is Status.READY and self.reference_info is not None and self.reference_info.usable:
            self.manager.call(("fit", job_id, str(self.reference_info.path)), probe.check_fit, info,
                              self.reference_info)
        self.rowChecked.emit(job_id)
        self._suggest_reference()

    # --- repairing ----------------------------------------------------------------------------------
    def ask(self, title: str, text: str, yes: str, no: str, icon=QMessageBox.Icon.Question, details: str = "") -> bool:
        """A yes/no question, with ``details`` behind a "Show Details" button (tests replace this)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton, self)
        if details:
            box.setDetailedText(details)
        yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no_button)
        box.setEscapeButton(no_button)
        box.exec()
        return box.clickedButton() is yes_button

    def tell(self, title: str, text: str) -> None:
        """A message with an OK button (tests replace this)."""
        QMessageBox.information(self, title, text)

    def startable(self):
        return [it for it in self.model.items() if it.status is Status.READY]

    def start_repair(self) -> bool:
        """Start every file that is ready. Returns False when nothing was started."""
        if self._closing:
            return False
        items = self.startable()
        if not items:
            return False
        ref = self.reference_info
        if self.reference_slot.path is None:
            self.tell(self.tr("A reference file is needed"),
                      self.tr("Drop a healthy recording made with the same camera and settings on the "
                              "Reference file box, or choose one. mp4fix learns from it how to read the "
                              "broken files."))
            self.reference_slot.browse.setFocus()
            return False
        if ref is None:
            self.show_message(self.tr("The reference is still being checked; try again in a moment."))
            return False
        if not ref.usable:
            self.tell(self.tr("This reference cannot be used"), ref.sentence)
            return False
        misfits = [it for it in items if self._fits.get(it.id)]
        if misfits:
            if not self.ask(self.tr("The reference may not fit"), self._misfit_question(ref, misfits),
                            self.tr("Repair anyway"), self.tr("Cancel"), QMessageBox.Icon.Warning,
                            details="\n\n".join(f"{it.path.name}: {self._fits[it.id]}" for it in misfits)):
                return False
        # "Repair anyway" means it: the engine skips its fit check for those files
        return self._submit(items, ref.path, unchecked={it.id for it in misfits})

    def _misfit_question(self, ref, misfits) -> str:
        """One paragraph for the whole batch: which files, one example of why, the question."""
        names = [it.path.name for it in misfits]
        shown = ", ".join(names[:4])
        if len(names) > 4:
            shown += " " + self.tr("and %n more", "", len(names) - 4)
        head = self.tr("The reference %1 may not fit %n file(s): %2.", "", len(names)) \
            .replace("%1", ref.path.name).replace("%2", shown)
        return head + "\n\n" + self._fits[misfits[0].id] + "\n\n" + \
            self.tr("A repair with the wrong reference usually gives a file that does not play properly. "
                    "Repair anyway?")

    def _submit(self, items, reference: Path, unchecked=frozenset()) -> bool:
        options = self.settings.output_options()
        started = 0
        for item in items:
            try:
                output, overwrite = job_module.resolve_output(item.path, options, self.manager.reserved_outputs())
            except Mp4fixError as e:
                self.model.update(item.id, status=Status.FAILED, error=str(e), log=e.detail or "",
                                  reason=probe.short_reason(type(e).__name__))
                self.details.refresh_if(item.id)
                continue
            self.model.update(item.id, status=Status.QUEUED, fraction=0.0, stage="", error="", reason="", log="",
                              result=None, output=None, reference=Path(reference))
            self.manager.submit(item.id, item.path, reference, output, overwrite, check_fit=item.id not in unchecked)
            self.settings.remember_reference(item.path.parent, reference)
            started += 1
        if started:
            self._batch_running = True
            self.batchStarted.emit()
        self._update_state()
        return started > 0

    def retry_row(self, job_id: int) -> None:
        item = self.model.item(job_id)
        if item is None or item.status not in (Status.FAILED, Status.CANCELLED):
            return
        self.model.update(job_id, status=Status.READY if item.info is None or item.info.state == "broken"
                          else item.status, error="", reason="", log="")
        self.details.refresh_if(job_id)
        self.start_repair()

    def cancel_row(self, job_id: int) -> None:
        self.manager.cancel(job_id)

    def cancel_all(self) -> None:
        self.manager.cancel_all()
        self.show_message(self.tr("Stopping… nothing half-finished will be left behind."))

    def remove_row(self, job_id: int) -> None:
        item = self.model.item(job_id)
        if item is None or item.status.active:
            return
        self.model.remove(job_id)
        self._fits.pop(job_id, None)
        self._current_changed(self.table.currentIndex(), QModelIndex())

    def clear_finished(self) -> None:
        for item in self.model.items():
            if item.status in (Status.DONE, Status.DONE_WITH_WARNINGS, Status.CANCELLED, Status.NOT_BROKEN,
                               Status.UNUSABLE, Status.FAILED):
                self.model.remove(item.id)
        self._current_changed(self.table.currentIndex(), QModelIndex())

    def _delete_selected(self) -> None:
        item = self.model.item_at(self.table.currentIndex().row())
        if item is None:
            return
        if item.status.active:
            self.cancel_row(item.id)
        else:
            self.remove_row(item.id)

    def _job_started(self, job_id: int) -> None:
        self.model.update(job_id, status=Status.RUNNING, fraction=0.0, stage="")
        self.details.refresh_if(job_id)

    def _job_progress(self, job_id: int, fraction: float, stage: str, message: str) -> None:
        self.model.set_progress(job_id, fraction, stage)
        self.details.refresh_if(job_id)

    def _job_succeeded(self, job_id: int, result) -> None:
        report = result.report
        status = Status.DONE if report.complete else Status.DONE_WITH_WARNINGS
        self.model.update(job_id, status=status, result=result, output=result.output, fraction=1.0)
        self._row_done(job_id, status)

    def _job_failed(self, job_id: int, sentence: str, log: str, kind: str = "") -> None:
        self.model.update(job_id, status=Status.FAILED, error=sentence, log=log, reason=probe.short_reason(kind))
        self._row_done(job_id, Status.FAILED)

    def _job_cancelled(self, job_id: int) -> None:
        self.model.update(job_id, status=Status.CANCELLED, fraction=0.0)
        self._row_done(job_id, Status.CANCELLED)

    def _row_done(self, job_id: int, status: Status) -> None:
        self.details.refresh_if(job_id)
        self._update_state()
        self.rowFinished.emit(job_id, status.value)

    def _jobs_idle(self) -> None:
        was_running = self._batch_running
        self._batch_running = False
        self._update_state()
        if was_running:
            self.batchFinished.emit()
        if self._closing:
            self.close()

    # --- opening results ----------------------------------------------------------------------------
    def play(self, path) -> None:
        if not desktop.open_file(path):
            self.tell(self.tr("No player found"),
                      self.tr("This computer has no application set up to play %1. The repaired file is here:\n%2")
                      .replace("%1", Path(path).suffix.lstrip(".").upper() or self.tr("videos"))
                      .replace("%2", str(path)))

    def show_in_folder(self, path) -> None:
        if not desktop.show_in_folder(path):
            folder = Path(path).parent if Path(path).is_file() else Path(path)
            self.tell(self.tr("No file manager found"),
                      self.tr("This computer has no file manager set up to open folders. The file is in:\n%1")
                      .replace("%1", str(folder)))

    def _context_menu(self, pos) -> None:
        index = self.table.indexAt(pos)
        item = self.model.item_at(index.row())
        if item is None:
            return
        menu = QMenu(self)
        if item.status.active:
            menu.addAction(self.tr("Cancel this file"), lambda: self.cancel_row(item.id))
        else:
            if item.output is not None and item.status in (Status.DONE, Status.DONE_WITH_WARNINGS):
                menu.addAction(self.tr("Play"), lambda: self.play(item.output))
                menu.addAction(self.tr("Show in folder"), lambda: self.show_in_folder(item.output))
            if item.status is Status.NOT_BROKEN and not getattr(item.info, "repaired", False):
                menu.addAction(self.tr("Use as reference"), lambda: self.set_reference(item.path))
            menu.addAction(self.tr("Remove from list"), lambda: self.remove_row(item.id))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # --- state --------------------------------------------------------------------------------------
    def _current_changed(self, current, previous) -> None:
        self.details.show_item(self.model.item_at(current.row()) if current.isValid() else None)

    def _data_changed(self, top_left, bottom_right, roles=()) -> None:
        current = self.table.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row() \
                and top_left.column() <= QueueModel.COL_STATUS:
            # the selected row changed state (checked, started, finished): the panel says so at once
            self.details.show_item(self.model.item_at(current.row()))
        if top_left.column() <= QueueModel.COL_STATUS:
            self._update_state()

    def _fit_details(self) -> None:
        """Give the details panel the height its text needs (no sentence cut in half), leaving the queue at least
        a few rows, and keep the selected row in view."""
        if not self.splitter.isVisible():
            return
        sizes = self.splitter.sizes()
        total = sum(sizes)
        if total <= 0 or len(sizes) != 2:
            return
        header = self.table.horizontalHeader().height()
        rows = self.model.rowCount()
        row_h = self.table.verticalHeader().defaultSectionSize()
        frame = 2 * self.table.frameWidth()
        table_min = header + min(max(rows, 1), 3) * row_h + frame + 2
        need = self.details.preferred_height(self.details.width() or self.splitter.width())
        want = max(self.details.minimumSizeHint().height(), min(need, total - table_min))
        if abs(sizes[1] - want) > 1:
            self.splitter.setSizes([total - want, want])
        self._show_current_row()

    def _show_current_row(self) -> None:
        current = self.table.currentIndex()
        if current.isValid():
            self.table.scrollTo(current, QAbstractItemView.ScrollHint.EnsureVisible)

    def eventFilter(self, obj, event):  # noqa: N802
        from PySide6.QtCore import QEvent  # noqa: PLC0415

        if (obj is self.splitter and event.type() == QEvent.Type.Resize) or \
                (obj is self.details.content and event.type() == QEvent.Type.LayoutRequest):
            # the window or the rows above changed size (a title wrapped), or what the panel says did: fit again
            self._fit_timer.start()
        return super().eventFilter(obj, event)

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _update_state(self, *args) -> None:
        items = self.model.items()
        has_rows = bool(items)
        self.drop_area.set_compact(has_rows)
        self.splitter.setVisible(has_rows)
        ready = [it for it in items if it.status is Status.READY]
        active = [it for it in items if it.status.active]
        running = [it for it in items if it.status is Status.RUNNING]
        n = len(ready)
        if n:
            self.repair_button.setText(self.tr("Repair %n file(s)", "", n))
        else:
            self.repair_button.setText(self.tr("Repair"))
        self.repair_button.setEnabled(bool(ready) and not self._closing and self.reference_slot.path is not None)
        self.cancel_all_button.setVisible(bool(active))
        self.clear_button.setVisible(any(it.status.finished or it.status in (Status.NOT_BROKEN, Status.UNUSABLE)
                                         for it in items) and not active)
        self.drop_area.setEnabled(not self._closing)
        self.summary.setText(self._summary_text(items, ready, active, running))
        if not self.table.currentIndex().isValid() and has_rows:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)

    def _summary_text(self, items, ready, active, running) -> str:
        if self._closing:
            return self.tr("Stopping the repairs before closing…")
        if not items:
            if self.reference_slot.path is None:
                return self.tr("1. Drop the broken recordings.  2. Add a healthy reference file.  3. Press Repair.")
            return self.tr("Now drop the broken recordings.")
        if active:
            done = sum(1 for it in items if it.status.finished and it.status is not Status.CANCELLED)
            total = len(active) + done
            return self.tr("Repairing %1 of %2… You can keep using your computer; the window stays open.") \
                .replace("%1", str(min(done + 1, total))).replace("%2", str(total))
        checking = sum(1 for it in items if it.status is Status.CHECKING)
        if checking:
            return self.tr("Checking %n file(s)…", "", checking)
        parts = []
        ok = sum(1 for it in items if it.status is Status.DONE)
        gaps = sum(1 for it in items if it.status is Status.DONE_WITH_WARNINGS)
        failed = sum(1 for it in items if it.status is Status.FAILED)
        if ok or gaps or failed:
            if ok:
                parts.append(self.tr("%n repaired", "", ok))
            if gaps:
                parts.append(self.tr("%n repaired with gaps", "", gaps))
            if failed:
                parts.append(self.tr("%n failed", "", failed))
        if ready:
            total = sum(it.info.recoverable for it in ready if it.info)
            text = self.tr("%n file(s) ready", "", len(ready))
            if total:
                text += " · " + self.tr("%1 of data to recover").replace("%1", human_size(total))
            if self.reference_slot.path is None:
                text += " · " + self.tr("add a reference file to start")
            parts.append(text)
        return " · ".join(parts) if parts else self.tr("Nothing to repair in this list.")

    # --- settings, closing --------------------------------------------------------------------------
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, self)
        if dialog.exec():
            self.apply_settings()

    def apply_settings(self) -> None:
        """After the Settings dialog: the theme and the language take effect at once."""
        from mp4fix.gui.app import apply_language  # noqa: PLC0415 - app imports this module

        app = QApplication.instance()
        if hasattr(app, "apply_theme"):
            app.apply_theme(self.settings.theme)
        if app is not None and self.settings.language != self._language_choice:
            self._language_choice = self.settings.language
            apply_language(app, self.settings.language)

    def closeEvent(self, event):  # noqa: N802
        if self.manager.busy():
            if not self._closing:
                n = self.manager.active_count()
                if not self.ask(self.tr("Stop repairing?"),
                                self.tr("%n file(s) are still being repaired. If you close now, the repair stops "
                                        "and nothing half-finished is left behind; the originals stay as they "
                                        "are.", "", n),
                                self.tr("Stop and close"), self.tr("Keep repairing")):
                    event.ignore()
                    return
                self._closing = True
                self.manager.cancel_all()
                self._update_state()
            event.ignore()  # closes itself when the last worker has stopped (_jobs_idle)
            return
        self.settings.save_geometry(self.saveGeometry())
        self.settings.sync()
        self.manager.wait(5000)
        event.accept()
