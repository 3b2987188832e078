"""The Settings dialog: where results go, how they are named, what happens when a name is taken."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from mp4fix.i18n import LANGUAGE_NAMES, LANGUAGES
from mp4fix.gui.settings import (
    DEFAULT_PATTERN,
    LANGUAGE_SYSTEM,
    OVERWRITE_KEEP_BOTH,
    OVERWRITE_REPLACE,
    OVERWRITE_STOP,
    THEME_DARK,
    THEME_LIGHT,
    THEME_SYSTEM,
    Settings,
    pattern_is_valid,
)


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(520)

        self.beside = QRadioButton(self.tr("&Beside the original recording"))
        self.elsewhere = QRadioButton(self.tr("In this &folder:"))
        group = QButtonGroup(self)
        group.addButton(self.beside)
        group.addButton(self.elsewhere)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText(self.tr("Choose a folder"))
        self.folder.setAccessibleName(self.tr("Output folder"))
        self.browse = QPushButton(self.tr("C&hoose…"))
        self.browse.clicked.connect(self._choose_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.elsewhere)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse)
        where = QVBoxLayout()
        where.addWidget(self.beside)
        where.addLayout(folder_row)

        self.pattern = QLineEdit()
        self.pattern.setAccessibleName(self.tr("Naming pattern"))
        self.example = QLabel()
        self.example.setObjectName("hint")
        self.pattern.textChanged.connect(self._update_example)

        self.overwrite = QComboBox()
        self.overwrite.addItem(self.tr("Keep both (add a number to the new one)"), OVERWRITE_KEEP_BOTH)
        self.overwrite.addItem(self.tr("Replace the earlier result"), OVERWRITE_REPLACE)
        self.overwrite.addItem(self.tr("Don't repair, tell me"), OVERWRITE_STOP)

        self.theme = QComboBox()
        self.theme.addItem(self.tr("Same as the system"), THEME_SYSTEM)
        self.theme.addItem(self.tr("Light"), THEME_LIGHT)
        self.theme.addItem(self.tr("Dark"), THEME_DARK)

        self.language = QComboBox()
        from mp4fix.gui.app import pick_language  # noqa: PLC0415 - the app module imports the window's modules

        self.language.addItem(self.tr("Same as the system (%1)").replace("%1", LANGUAGE_NAMES[pick_language()]),
                              LANGUAGE_SYSTEM)
        for code in LANGUAGES:  # each language in its own words, so it can be found whatever the UI says
            self.language.addItem(LANGUAGE_NAMES[code], code)
        self.language.setAccessibleName(self.tr("Language"))

        form = QFormLayout()
        form.addRow(self.tr("Save repaired files:"), where)
        form.addRow(self.tr("&Name:"), self.pattern)
        form.addRow("", self.example)
        form.addRow(self.tr("If the name is &taken:"), self.overwrite)
        form.addRow(self.tr("&Appearance:"), self.theme)
        form.addRow(self.tr("&Language:"), self.language)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        out_dir = settings.out_dir
        self.beside.setChecked(out_dir is None)
        self.elsewhere.setChecked(out_dir is not None)
        self.folder.setText(str(out_dir) if out_dir else "")
        self.pattern.setText(settings.pattern)
        self.overwrite.setCurrentIndex(max(0, self.overwrite.findData(settings.overwrite)))
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.beside.toggled.connect(self._update_enabled)
        self.folder.textChanged.connect(self._update_enabled)
        self._update_example()
        self._update_enabled()

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Save repaired files in"), self.folder.text())
        if folder:
            self.folder.setText(folder)
            self.elsewhere.setChecked(True)

    def _update_example(self) -> None:
        pattern = self.pattern.text()
        if pattern_is_valid(pattern):
            self.example.setText(self.tr("For example: %1 becomes %2")
                                 .replace("%1", "GX010042.MP4").replace("%2", pattern.replace("<name>", "GX010042")
                                                                        + ".MP4"))
        else:
            self.example.setText(self.tr("The name must contain <name> plus something of your own, "
                                         "for example %1.").replace("%1", DEFAULT_PATTERN))
        self._update_enabled()

    def _update_enabled(self) -> None:
        self.folder.setEnabled(self.elsewhere.isChecked())
        self.browse.setEnabled(self.elsewhere.isChecked())
        ok = pattern_is_valid(self.pattern.text()) and (self.beside.isChecked() or bool(self.folder.text().strip()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        self.settings.out_dir = None if self.beside.isChecked() else Path(self.folder.text().strip())
        self.settings.pattern = self.pattern.text()
        self.settings.overwrite = self.overwrite.currentData()
        self.settings.theme = self.theme.currentData()
        self.settings.language = self.language.currentData()
        self.settings.sync()
        super().accept()
