"""The app's few settings, kept with QSettings (the platform's usual place: registry, plist or ini file).

Tests point QSettings at a temporary folder (``QSettings.setDefaultFormat(IniFormat)`` + ``setPath``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "mp4fix"
APPLICATION = "mp4fix"

DEFAULT_PATTERN = "<name>_fixed"

# what to do when the output file already exists
OVERWRITE_KEEP_BOTH = "keep-both"  # write "<name>_fixed (2).mp4"
OVERWRITE_REPLACE = "replace"  # replace the earlier result
OVERWRITE_STOP = "stop"  # leave it alone and report that the file exists
OVERWRITE_POLICIES = (OVERWRITE_KEEP_BOTH, OVERWRITE_REPLACE, OVERWRITE_STOP)

THEME_SYSTEM, THEME_LIGHT, THEME_DARK = "system", "light", "dark"

LANGUAGE_SYSTEM = "system"  # or a code of mp4fix.i18n.LANGUAGES


def pattern_is_valid(pattern: str) -> bool:
    """A naming pattern must contain ``<name>`` (else every file of a batch gets the same name), must add
    something to it (else the result would take the original's name), and must not name folders."""
    if "<name>" not in pattern or pattern == "<name>" or pattern.strip() != pattern:
        return False
    rest = pattern.replace("<name>", "")
    return not any(ch in '/\\:*?"|<>' for ch in rest)


def pattern_to_format(pattern: str) -> str:
    """``<name>_fixed`` -> ``{stem}_fixed`` for ``mp4fix.repair.default_output_path``."""
    return pattern.replace("{", "{{").replace("}", "}}").replace("<name>", "{stem}")


@dataclass
class OutputOptions:
    out_dir: Path | None  # None: beside the original
    pattern: str  # as the user writes it: "<name>_fixed"
    overwrite: str  # one of OVERWRITE_POLICIES


class Settings:
    """Typed access to the stored settings."""

    def __init__(self, qsettings: QSettings | None = None):
        if qsettings is None:
            # the default format: native in the app, an ini file in a temporary folder in tests
            qsettings = QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
        self._s = qsettings

    # --- output -----------------------------------------------------------------------------------
    @property
    def out_dir(self) -> Path | None:
        value = self._s.value("output/folder", "", type=str)
        return Path(value) if value else None

    @out_dir.setter
    def out_dir(self, value: Path | str | None) -> None:
        self._s.setValue("output/folder", str(value) if value else "")

    @property
    def pattern(self) -> str:
        value = self._s.value("output/pattern", DEFAULT_PATTERN, type=str)
        return value if pattern_is_valid(value) else DEFAULT_PATTERN

    @pattern.setter
    def pattern(self, value: str) -> None:
        self._s.setValue("output/pattern", value if pattern_is_valid(value) else DEFAULT_PATTERN)

    @property
    def overwrite(self) -> str:
        value = self._s.value("output/overwrite", OVERWRITE_KEEP_BOTH, type=str)
        return value if value in OVERWRITE_POLICIES else OVERWRITE_KEEP_BOTH

    @overwrite.setter
    def overwrite(self, value: str) -> None:
        if value not in OVERWRITE_POLICIES:
            raise ValueError(value)
        self._s.setValue("output/overwrite", value)

    def output_options(self) -> OutputOptions:
        return OutputOptions(self.out_dir, self.pattern, self.overwrite)

    # --- appearance -------------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        value = self._s.value("appearance/theme", THEME_SYSTEM, type=str)
        return value if value in (THEME_SYSTEM, THEME_LIGHT, THEME_DARK) else THEME_SYSTEM

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("appearance/theme", value)

    @property
    def language(self) -> str:
        """'system' (the system's UI language) or a language code ('en', 'ja')."""
        from mp4fix.i18n import LANGUAGES  # noqa: PLC0415

        value = self._s.value("appearance/language", LANGUAGE_SYSTEM, type=str)
        return value if value in LANGUAGES else LANGUAGE_SYSTEM

    @language.setter
    def language(self, value: str) -> None:
        self._s.setValue("appearance/language", value or LANGUAGE_SYSTEM)

    # --- the last reference used for each folder --------------------------------------------------
    @staticmethod
    def _folder_key(folder: Path | str) -> str:
        norm = os.path.normcase(os.path.abspath(str(folder)))
        return "references/" + hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]

    def remember_reference(self, folder: Path | str, reference: Path | str) -> None:
        self._s.setValue(self._folder_key(folder), str(reference))

    def reference_for(self, folder: Path | str) -> Path | None:
        """The reference used last time for broken files in ``folder``, if it still exists."""
        value = self._s.value(self._folder_key(folder), "", type=str)
        if value and Path(value).is_file():
            return Path(value)
        return None

    # --- window -----------------------------------------------------------------------------------
    def save_geometry(self, data) -> None:
        self._s.setValue("window/geometry", data)

    def geometry(self):
        return self._s.value("window/geometry")

    def last_browse_dir(self) -> str:
        return self._s.value("window/last_dir", "", type=str)

    def set_last_browse_dir(self, folder: Path | str) -> None:
        self._s.setValue("window/last_dir", str(folder))

    def sync(self) -> None:
        self._s.sync()
