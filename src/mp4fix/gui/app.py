"""``mp4fix-gui``: the application object, translations, palettes, and files handed over by the system.

Files given on the command line (Windows, Linux: "Open with", dropping on the icon) and files sent by
macOS as ``QFileOpenEvent`` all land in the queue.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QLibraryInfo, QLocale, QObject, Qt, QTranslator, Signal
from PySide6.QtWidgets import QApplication

from mp4fix import __version__, i18n
from mp4fix.gui.palette import palette_for
from mp4fix.gui.resources import app_icon, translations_dir
from mp4fix.gui.settings import APPLICATION, LANGUAGE_SYSTEM, ORGANIZATION, THEME_SYSTEM, Settings

LANGUAGES = i18n.LANGUAGES


def pick_language(locale: QLocale | None = None) -> str:
    """The UI language for a locale: Japanese for Japanese systems, English otherwise."""
    locale = locale or QLocale.system()
    for name in locale.uiLanguages():
        code = name.replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def install_translations(app: QApplication, language: str) -> list[QTranslator]:
    """Load mp4fix's own strings and Qt's (standard buttons, file dialogs) for ``language``."""
    installed = []
    ours = QTranslator(app)
    if ours.load(f"mp4fix_{language}", str(translations_dir())):
        app.installTranslator(ours)
        installed.append(ours)
    if language != "en":
        qt = QTranslator(app)
        if qt.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            app.installTranslator(qt)
            installed.append(qt)
    return installed


_translators: dict[int, list[QTranslator]] = {}  # per application object: what apply_language installed


def apply_language(app: QApplication, choice: str = LANGUAGE_SYSTEM) -> str:
    """Speak ``choice`` ('system', 'en', 'ja') from now on: the window's texts (Qt's translators, replacing
    the previous ones) and the engine's sentences (``mp4fix.i18n``). Windows retranslate themselves on the
    ``LanguageChange`` event this sends. Returns the language code used."""
    language = pick_language() if choice in (None, "", LANGUAGE_SYSTEM) else (i18n.normalize(choice) or "en")
    i18n.set_language(language)  # first: the windows' LanguageChange handlers ask for the engine's words
    previous = _translators.pop(id(app), None)
    if previous is None:
        previous = list(getattr(app, "translators", []) or [])
    for t in previous:
        app.removeTranslator(t)
    installed = install_translations(app, language)
    _translators[id(app)] = installed
    if isinstance(app, Application):
        app.translators = installed
    return language


class FileOpenFilter(QObject):
    """Turns the system's "open this file" events (macOS: dropping on the Dock icon, "Open With") into
    ``filesOpened``; files that arrive before anyone listens are kept until ``take_pending``."""

    filesOpened = Signal(list)  # list[Path]

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pending: list[Path] = []
        self.listening = False  # set once the window has connected to filesOpened

    def eventFilter(self, obj, e):  # noqa: N802
        if e.type() == QEvent.Type.FileOpen:
            path = e.file() or e.url().toLocalFile()
            if path:
                if self.listening:
                    self.filesOpened.emit([Path(path)])
                else:
                    self._pending.append(Path(path))
            return True
        return False

    def take_pending(self) -> list[Path]:
        pending, self._pending = self._pending, []
        return pending


class Application(QApplication):
    """The application: name, icon, Fusion style, palettes, and the file-open filter."""

    def __init__(self, argv: list[str]):
        super().__init__(argv)
        self.setApplicationName(APPLICATION)
        self.setOrganizationName(ORGANIZATION)
        self.setApplicationDisplayName("mp4fix")
        self.setApplicationVersion(__version__)
        self.setWindowIcon(app_icon())
        self.setStyle("Fusion")
        self._theme = THEME_SYSTEM
        self.translators: list[QTranslator] = []
        self.file_opener = FileOpenFilter(self)
        self.installEventFilter(self.file_opener)
        try:
            self.styleHints().colorSchemeChanged.connect(lambda *_: self.apply_theme(self._theme))
        except AttributeError:  # Qt < 6.5
            pass

    def apply_theme(self, theme: str) -> None:
        self._theme = theme
        self.setPalette(palette_for(theme))


def files_from_argv(argv: list[str]) -> list[Path]:
    """Paths on the command line (options, which Qt mostly consumes, are skipped)."""
    return [Path(a) for a in argv[1:] if a and not a.startswith("-")]


def apply_theme(app: QApplication, theme: str) -> None:
    if isinstance(app, Application):
        app.apply_theme(theme)
    else:
        app.setStyle("Fusion")
        app.setPalette(palette_for(theme))


def create_window(app: QApplication, argv: list[str] | None = None, settings: Settings | None = None,
                  opener: FileOpenFilter | None = None):
    """The main window, with the files from the command line and from file-open events in its queue."""
    from mp4fix.gui.main_window import MainWindow  # noqa: PLC0415 - after translations are installed

    settings = settings or Settings()
    apply_theme(app, settings.theme)
    window = MainWindow(settings)
    opener = opener or getattr(app, "file_opener", None)
    files = files_from_argv(argv or [])
    if opener is not None:
        opener.filesOpened.connect(window.add_paths)
        opener.listening = True
        files += opener.take_pending()  # sent by macOS before the window was listening
    if files:
        window.add_paths(files)
    return window


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if not QApplication.instance():
        # Qt aborts the process when X11's client libraries are missing, naming the wrong one: say it first
        from mp4fix.gui import system_libs  # noqa: PLC0415

        i18n.set_language(i18n.language_from_environment())
        problem = system_libs.check()
        if problem:
            print(f"mp4fix-gui: {problem}", file=sys.stderr)
            return 1
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = Application.instance() or Application(argv)
    settings = Settings()
    apply_language(app, settings.language)
    window = create_window(app, app.arguments(), settings)
    window.show()
    window.raise_()
    return app.exec()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
