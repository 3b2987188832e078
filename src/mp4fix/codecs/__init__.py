"""Codec matchers, one module per family, registered by sample-entry fourcc (see ``base``)."""

from __future__ import annotations

import importlib

from mp4fix.codecs.base import Matcher, SampleMatch, matcher_class, register, supported_fourccs

# Each module registers its matchers on import. A module that is missing is simply not supported yet.
_MODULES = ("avc", "aac", "hevc", "pcm", "mjpeg", "prores", "mpeg4v", "av1", "ac3", "mp3", "amr", "opus", "alac")
for _name in _MODULES:
    try:
        importlib.import_module(f"mp4fix.codecs.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a family is being written
        if exc.name != f"mp4fix.codecs.{_name}":
            raise

__all__ = ["Matcher", "SampleMatch", "matcher_class", "register", "supported_fourccs"]
