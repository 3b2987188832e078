"""Plain words for numbers: sizes, durations, codecs, stream descriptions. No widgets here."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication


def tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("", text, disambiguation, n)


def human_size(n: int | float) -> str:
    """Decimal units, as cameras and most file managers print them: ``1.8 GB``, ``532 MB``, ``12 KB``."""
    n = float(n or 0)
    if n < 1000:
        return tr("%1 bytes").replace("%1", str(int(n)))
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1000.0
        if n < 1000 or unit == "TB":
            return f"{n:.1f} {unit}" if n < 100 else f"{n:.0f} {unit}"
    return f"{n:.0f} TB"  # pragma: no cover


def human_duration(seconds: float | None) -> str:
    """``0:03``, ``2:05``, ``1:02:03``."""
    if seconds is None:
        return ""
    total = int(round(max(seconds, 0.0)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


_CODEC_NAMES = {
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
    return _CODEC_NAMES.get(codec, _CODEC_NAMES.get((codec or "").lower(), codec or "?"))


def kind_name(kind: str) -> str:
    return {
        "video": tr("Video"), "audio": tr("Audio"), "timecode": tr("Timecode"), "data": tr("Data"),
        "subtitle": tr("Subtitles"), "text": tr("Text"),
    }.get(kind, kind.capitalize() if kind else tr("Track"))


def channels_name(ch: int) -> str:
    if ch == 1:
        return tr("mono")
    if ch == 2:
        return tr("stereo")
    if ch > 2:
        return tr("%1 channels").replace("%1", str(ch))
    return ""


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
        parts.append(channels_name(channels))
    return f"{kind_name(kind)}: " + ", ".join(p for p in parts if p)
