"""The one public entry point: ``repair(broken, reference)``. The CLI and the GUI are thin layers over it."""

from __future__ import annotations

from pathlib import Path

from mp4fix.progress import CancelToken, Progress, ProgressCallback
from mp4fix.report import RepairReport

__all__ = ["repair", "default_output_path", "CancelToken", "Progress", "RepairReport"]


def default_output_path(broken: str | Path, out_dir: str | Path | None = None,
                        pattern: str = "{stem}_fixed") -> Path:
    """``clip.mp4`` -> ``clip_fixed.mp4`` beside the original (or in ``out_dir``). ``pattern`` uses {stem}."""
    broken = Path(broken)
    folder = Path(out_dir) if out_dir is not None else broken.parent
    return folder / (pattern.format(stem=broken.stem) + broken.suffix)


def repair(broken: str | Path, reference: str | Path, *, output: str | Path | None = None,
           out_dir: str | Path | None = None, overwrite: bool = False, verify: bool = True,
           progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> RepairReport:
    """Rebuild the index of ``broken`` using the healthy ``reference``; write ``<stem>_fixed<ext>``.

    Never writes to ``broken``. The output appears only when complete (temporary name, then rename); on
    any error or cancellation nothing is left behind. Raises a subclass of ``Mp4fixError``.
    """
    raise NotImplementedError  # being written
