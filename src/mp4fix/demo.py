"""Sample files for ``mp4fix demo``: a reference, a complete recording, and that recording cut short."""

from __future__ import annotations

from pathlib import Path

from mp4fix import fftools
from mp4fix.i18n import _

_COMMON = ["-pix_fmt", "yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
           "-threads", "1"]


def _record(path: Path, video: str, audio: str, seconds: int) -> None:
    fftools.run(["-y", "-f", "lavfi", "-i", f"{video}=size=640x360:rate=30", "-f", "lavfi", "-i", audio,
                 "-t", str(seconds), *_COMMON, str(path)], what=_("making a demo recording"), timeout=300)


def make_demo_files(folder: Path) -> tuple[Path, Path, Path]:
    """Write ``reference.mp4``, ``recording.mp4`` and ``broken.mp4`` (the recording without its index)."""
    folder = Path(folder)
    reference = folder / "reference.mp4"
    original = folder / "recording.mp4"
    broken = folder / "broken.mp4"
    _record(reference, "mandelbrot", "sine=frequency=330:sample_rate=48000", 5)
    _record(original, "testsrc2", "aevalsrc=0.3*sin(440*2*PI*t)*sin(3*PI*t):s=48000:c=stereo", 12)
    data = original.read_bytes()
    moov = data.rfind(b"moov") - 4
    cut = int(moov * 0.8)  # as if the recorder died four fifths of the way through
    broken.write_bytes(data[:cut])
    return reference, original, broken
