"""The language of every sentence mp4fix says to a person, without Qt: the engine's errors and notes, the
report and the command line. (The desktop app's own texts use Qt's translator; it sets this module's
language to the same one.)

A sentence is a template with named fields, marked where it is written::

    raise InputError(_("{name} is empty (0 bytes): there is nothing to recover.", name=path.name))
    ngettext("{n} keyframe", "{n} keyframes", count, n=count)

``_()`` looks the template up in the catalogue of the current language (``resources/i18n/mp4fix_<lang>.po``,
gettext's format: the English template is the ``msgid``) and fills in the fields. Untranslated templates,
and English, come back as written. The language is English until ``set_language`` is called: the CLI calls
it with ``--lang`` or the locale (``language_from_environment``), the app with its setting.

``N_()`` marks a template without translating it, for tables built at import time; translate it with
``_()`` where it is used.
"""

from __future__ import annotations

import ast
import gettext
import locale
import os
import sys
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("en", "ja")  # English is the source language: it needs no catalogue
LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}  # each in its own language, for a language menu
DEFAULT = "en"
DOMAIN = "mp4fix"

_language = DEFAULT  # the process-wide language; worker threads read it


def N_(template: str) -> str:  # noqa: N802 - gettext's name for "mark only"
    """Mark ``template`` for translation without translating it (translate it later with ``_()``)."""
    return template


def _(template: str, /, **fields) -> str:
    """``template`` in the current language, with its ``{named}`` fields filled in.

    Without fields the text is returned as is (no ``str.format``), so it may contain braces.
    """
    translated = _catalogue(_language).get(template)
    text = translated if isinstance(translated, str) and translated else template
    return _fill(text, template, fields)


def ngettext(singular: str, plural: str, n: int, /, **fields) -> str:
    """The singular or plural template for ``n``, in the current language, with its fields filled in."""
    english = singular if n == 1 else plural
    cat = _catalogue(_language)
    forms = cat.get((singular, plural))
    if isinstance(forms, list) and forms:
        index = _plural_rule(_language)(n)
        text = forms[index] if 0 <= index < len(forms) and forms[index] else english
    else:
        text = english
    return _fill(text, english, fields)


# --- words for things: the one place the command line and the app take them from ---------------------


def kind_name(kind: str) -> str:
    """A track's kind ('video', 'audio', 'timecode', ...) as a word of the current language."""
    return {"video": _("video"), "audio": _("audio"), "timecode": _("timecode"), "data": _("data"),
            "subtitle": _("subtitles"), "text": _("text"), "metadata": _("metadata")}.get(kind, kind)


def human_size(n: int | float | None) -> str:
    """A size in decimal units, as cameras and file managers print them: ``999 bytes``, ``12.3 KB``,
    ``532 MB``, ``1.8 GB``."""
    size = float(n or 0)
    if size < 1000:
        return _("{n} bytes", n=int(size))
    unit = "KB"
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000:
            break
    return f"{size:.1f} {unit}" if size < 100 else f"{size:.0f} {unit}"


def channels_name(n: int) -> str:
    """An audio channel count in words ('mono', 'stereo', '6 channels'); empty when unknown (0)."""
    if n == 1:
        return _("mono")
    if n == 2:
        return _("stereo")
    return ngettext("{n} channel", "{n} channels", n, n=n) if n > 0 else ""


# A codec as people call it, by the sample entry's fourcc or by ffmpeg's codec name (names, not translated)
CODEC_NAMES = {
    "avc1": "H.264", "avc3": "H.264", "h264": "H.264",
    "hvc1": "H.265 (HEVC)", "hev1": "H.265 (HEVC)", "hevc": "H.265 (HEVC)",
    "mp4a": "AAC", "aac": "AAC", "ap4h": "ProRes 4444", "apch": "ProRes 422 HQ", "apcn": "ProRes 422",
    "apcs": "ProRes 422 LT", "apco": "ProRes 422 Proxy", "prores": "ProRes",
    "lpcm": "PCM", "sowt": "PCM", "twos": "PCM", "ipcm": "PCM", "pcm_s16le": "PCM", "pcm_s24le": "PCM",
    "pcm_s16be": "PCM", "pcm_s24be": "PCM", "mjpeg": "Motion JPEG", "jpeg": "Motion JPEG",
    "mp4v": "MPEG-4", "mpeg4": "MPEG-4", "av01": "AV1", "av1": "AV1", "vp09": "VP9", "vp9": "VP9",
    "opus": "Opus", "Opus": "Opus", "ac-3": "AC-3", "ac3": "AC-3", "ec-3": "E-AC-3", "eac3": "E-AC-3",
    "alac": "ALAC", "tmcd": "timecode", "gpmd": "GPS/sensor data",
}


def codec_name(codec: str) -> str:
    """``'avc1'`` or ``'h264'`` -> ``'H.264'``; a codec it does not know as it is ('?' when empty)."""
    return CODEC_NAMES.get(codec, CODEC_NAMES.get((codec or "").lower(), codec or "?"))


def _fill(text: str, english: str, fields: dict) -> str:
    if not fields:
        return text
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):  # a translation naming a field the code does not give
        return english.format(**fields)


# --- choosing the language ------------------------------------------------------------------------


def set_language(code: str | None) -> str:
    """Use ``code`` ('ja', 'ja_JP.UTF-8', 'en', ...) from now on, in every thread. Returns the language set:
    English for anything mp4fix has no catalogue for."""
    global _language
    _language = normalize(code) or DEFAULT
    return _language


def language() -> str:
    """The current language code ('en', 'ja')."""
    return _language


def normalize(code: str | None) -> str | None:
    """'ja_JP.UTF-8' -> 'ja', 'en-US' -> 'en', 'C' -> 'en'; None when mp4fix does not speak it."""
    if not code:
        return None
    code = code.strip()
    if code.upper() in ("C", "POSIX") or code.upper().startswith(("C.", "POSIX.")):
        return "en"
    base = code.replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    if base in LANGUAGES:
        return base
    # Windows names locales in words ('Japanese_Japan'); map the few we speak
    return {"japanese": "ja", "english": "en"}.get(base)


def language_from_environment(environ: dict | None = None) -> str:
    """The language the user's locale asks for, as gettext reads it: ``LANGUAGE`` (a list, unless the locale is
    C), then the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; on Windows and macOS without those, the
    system's UI language. English when none is one mp4fix speaks."""
    env = os.environ if environ is None else environ
    current = next((env[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(k)), "")
    is_c = current.upper() in ("C", "POSIX") or current.upper().startswith(("C.", "POSIX."))
    if env.get("LANGUAGE") and not is_c:
        for item in env["LANGUAGE"].split(":"):
            found = normalize(item)
            if found:
                return found
    if current:
        return normalize(current) or DEFAULT
    if environ is None:
        return normalize(_system_ui_language()) or DEFAULT
    return DEFAULT


def _system_ui_language() -> str | None:
    if sys.platform == "win32":
        try:
            import ctypes  # noqa: PLC0415

            return locale.windows_locale.get(ctypes.windll.kernel32.GetUserDefaultUILanguage())
        except (AttributeError, OSError):
            return None
    if sys.platform == "darwin":
        import subprocess  # noqa: PLC0415

        try:
            out = subprocess.run(["defaults", "read", "-g", "AppleLanguages"], capture_output=True, text=True,
                                 timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        for token in out.replace("(", " ").replace(")", " ").replace(",", " ").replace('"', " ").split():
            return token
    return None


# --- the catalogues -------------------------------------------------------------------------------


def catalogue_dir() -> Path:
    """The folder holding ``mp4fix_<lang>.po``: ``mp4fix/resources/i18n`` when installed or frozen,
    ``<checkout>/resources/i18n`` in a source tree."""
    here = Path(__file__).resolve().parent
    candidates = [here / "resources" / "i18n", here.parents[1] / "resources" / "i18n"]
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates.append(Path(meipass) / "mp4fix" / "resources" / "i18n")
    for c in candidates:
        if (c / f"{DOMAIN}_ja.po").is_file():
            return c
    return candidates[0]


def catalogue_path(lang: str) -> Path:
    return catalogue_dir() / f"{DOMAIN}_{lang}.po"


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> dict:
    if lang == DEFAULT:
        return {}
    try:
        return read_po(catalogue_path(lang))
    except OSError:
        return {}


@lru_cache(maxsize=None)
def _plural_rule(lang: str):
    header = _catalogue(lang).get("", "")
    for line in header.splitlines():
        if line.lower().startswith("plural-forms:"):
            expr = line.split("plural=", 1)[-1].strip().rstrip(";")
            try:
                return gettext.c2py(expr)
            except (ValueError, AttributeError):
                break
    return lambda n: int(n != 1)


def read_po(path: Path) -> dict:
    """A gettext ``.po`` file as ``{msgid: msgstr}`` and ``{(msgid, msgid_plural): [msgstr[0], ...]}``.

    Entries marked fuzzy and empty translations are left out (the English template is used instead);
    the header is kept under ``""``.
    """
    entries: dict = {}
    entry: dict[str, str] = {}
    key: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal entry, fuzzy, key
        if "msgid" in entry and not fuzzy:
            msgid = entry["msgid"]
            if "msgid_plural" in entry:
                forms = [entry[k] for k in sorted((k for k in entry if k.startswith("msgstr[")),
                                                  key=lambda k: int(k[7:-1]))]
                if any(forms):
                    entries[(msgid, entry["msgid_plural"])] = forms
            elif entry.get("msgstr") or msgid == "":
                entries[msgid] = entry.get("msgstr", "")
        entry, fuzzy, key = {}, False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                if "msgid" in entry:
                    flush()
                fuzzy = True
            continue
        if line.startswith('"'):
            if key is not None:
                entry[key] += _unquote(line)
            continue
        word, _sep, rest = line.partition(" ")
        if word == "msgid" and "msgid" in entry:
            flush()
        key = word
        entry[key] = _unquote(rest.strip())
    flush()
    return entries


def _unquote(s: str) -> str:
    """A C string literal of a .po file (``"a \\"b\\"\\n"``) as text."""
    if not (len(s) >= 2 and s[0] == s[-1] == '"'):
        raise ValueError(f"not a quoted .po string: {s!r}")
    return ast.literal_eval(s)
