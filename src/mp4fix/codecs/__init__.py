"""Codec matchers, one module per family, registered by sample-entry fourcc (see ``base``)."""

from __future__ import annotations

import importlib

from mp4fix.codecs.base import Matcher, SampleMatch, matcher_class, register, supported_fourccs

# Each module registers its matchers on import. A module that is missing is simply not supported yet.
_MODULES = ("avc", "aac", "hevc", "pcm", "mjpeg", "prores", "mpeg4v", "av1", "ac3", "mp3", "amr", "opus", "alac", "h263")
for _name in _MODULES:
    try:
        importlib.import_module(f"mp4fix.codecs.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a family is being written
        if exc.name != f"mp4fix.codecs.{_name}":
            raise

from mp4fix.errors import Mp4fixError  # noqa: E402
from mp4fix.i18n import _, kind_name  # noqa: E402
from mp4fix.profile import TrackProfile  # noqa: E402

REFERENCE_CHECK_SAMPLES = 600  # reference samples a matcher measures (and learns from) before scanning


def make_matcher(track: TrackProfile, data) -> tuple[Matcher | None, str]:
    """The matcher for one reference track, checked on (and taught by) its own first samples in ``data``.

    Returns ``(matcher, "")`` or ``(None, reason)``: the reason is a phrase for a person ("the audio codec
    'samr' is not supported"). Data and metadata tracks without a codec get a structure learned from their
    samples (``codecs.data``).
    """
    from mp4fix.codecs.data import learn_data_matcher

    cls = matcher_class(track.fourcc)
    if cls is None and track.kind not in ("video", "audio"):
        try:
            return learn_data_matcher(track, data), ""
        except Mp4fixError as exc:
            return None, exc.message
    if cls is None:
        return None, _("the {kind} codec '{fourcc}' is not supported", kind=kind_name(track.kind), fourcc=track.fourcc)
    try:
        m = cls(track)
    except Mp4fixError as exc:
        return None, exc.message
    n = min(len(track.sizes), REFERENCE_CHECK_SAMPLES)
    if n and m.self_delimiting:
        good = m.check_reference(data, track.offsets[:n], track.sizes[:n])
        if good < 0.9 * n:
            return None, _("the reference's own {kind} samples ('{fourcc}') could not be measured ({good} of {n})",
                           kind=kind_name(track.kind), fourcc=track.fourcc, good=good, n=n)
    return m, ""


__all__ = ["Matcher", "SampleMatch", "make_matcher", "matcher_class", "register", "supported_fourccs"]
