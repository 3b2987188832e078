"""One rooted error hierarchy. Every error a user can meet carries one readable sentence and an exit code.

The CLI prints ``str(error)`` and exits with ``error.exit_code``; the GUI shows the same sentence.
Low-level parse failures (``BitstreamError``, ``BoxError``) are internal: the pipeline translates them at
its boundary into one of the public errors below.
"""

from __future__ import annotations

# Documented exit codes (README "Exit codes").
EXIT_OK = 0  # every file repaired completely
EXIT_PARTIAL = 1  # repaired, but something could not be recovered (skipped bytes/tracks, decode errors)
EXIT_INPUT = 2  # bad usage or bad input: not an MP4, empty, unreadable, output exists, reference broken
EXIT_FAILED = 3  # could not repair: the reference does not fit the broken file, or nothing was recovered
EXIT_CANCELLED = 130  # cancelled by the user (Ctrl-C or the Cancel button)


class Mp4fixError(Exception):
    """Root of every error mp4fix raises on purpose. ``str(e)`` is one sentence meant for a person."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail  # optional technical detail (box path, byte offset) for logs / "details"


class InputError(Mp4fixError, ValueError):
    """The file given cannot be used as it is (missing, a directory, unreadable, empty, not an MP4)."""

    exit_code = EXIT_INPUT


class NotBrokenError(InputError):
    """The 'broken' file already has a complete index; there is nothing to repair."""


class ReferenceError_(InputError):
    """The reference file itself is unusable (broken, no tracks, no samples)."""


class OutputError(Mp4fixError):
    """The output cannot be written (exists without --force, folder missing, no permission, disk full)."""

    exit_code = EXIT_INPUT


class MismatchError(Mp4fixError):
    """The reference does not describe the broken file (other codec, other parameters)."""

    exit_code = EXIT_FAILED


class NothingRecoveredError(Mp4fixError):
    """No complete sample of any track could be found in the broken file."""

    exit_code = EXIT_FAILED


class UnsupportedCodecError(Mp4fixError):
    """No track of the reference uses a codec mp4fix can rebuild."""

    exit_code = EXIT_FAILED


class CancelledError(Mp4fixError):
    """The user cancelled; nothing was written."""

    exit_code = EXIT_CANCELLED


class FFmpegError(Mp4fixError):
    """ffmpeg could not be found or run."""

    exit_code = EXIT_FAILED


# --- internal, never shown to a user as is -------------------------------------------------------


class BitstreamError(Exception):
    """A codec bitstream does not parse (read past the end, a value out of range). Internal."""


class BitstreamEnd(BitstreamError):
    """A parser ran out of bytes: the structure may be longer than the window it was given. Internal."""


class BoxError(Exception):
    """An ISO BMFF box does not parse. ``path`` names where ("moov > trak > mdia"). Internal."""

    def __init__(self, message: str, path: str = ""):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
