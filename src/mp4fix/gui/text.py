"""Plain words for numbers: sizes, durations, codecs, stream descriptions. No widgets here.

The words the command line uses too (sizes, track kinds, codec names, channels) come from the engine
(``mp4fix.i18n``, whose language the app sets to its own); only the app's own words are Qt translations.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from mp4fix import i18n
from mp4fix.i18n import codec_name, human_size

__all__ = ["codec_name", "fps_text", "human_duration", "human_size", "kind_name",
           "stream_line", "tr"]


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """The app's own text in the window's language (Qt's translator, context "")."""
    return QCoreApplication.translate("", text, disambiguation, n)


def human_duration(seconds: float | None) -> str:
    """``0:03``, ``2:05``, ``1:02:03``."""
    if seconds is None:
        return ""
    total = int(round(max(seconds, 0.0)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def kind_name(kind: str) -> str:
    """A track's kind as the head of a line: ``Video``, ``Audio`` (the engine's word, capitalised)."""
    word = i18n.kind_name(kind) if kind else tr("Track")
    return word[:1].upper() + word[1:]


def fps_text(fps: float) -> str:
    if not fps:
        return ""
    txt = f"{fps:.2f}".rstrip("0").rstrip(".")
    return tr("%1 fps").replace("%1", txt)


def stream_line(kind: str, codec: str, width: int = 0, height: int = 0, fps: float = 0.0,
                sample_rate: int = 0, channels: int = 0) -> str:
    """``Video: H.264, 1920×1080, 29.97 fps`` / ``Audio: AAC, 48 kHz, stereo``."""
    parts = [codec_name(codec)]
    if width and height:
        parts.append(f"{width}×{height}")
    if fps:
        parts.append(fps_text(fps))
    if sample_rate:
        khz = sample_rate / 1000.0
        parts.append(f"{khz:g} kHz")
    if channels:
        parts.append(i18n.channels_name(channels))
    return f"{kind_name(kind)}: " + ", ".join(p for p in parts if p)
