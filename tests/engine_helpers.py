"""Conveniences the tests use over the engine's internals, kept out of the product (nothing in ``src/``
calls them): whole-list forms of what the engine computes one sample or one line at a time."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from mp4fix import fit
from mp4fix.codecs import avc, hevc


def avc_presentation_positions(units: Sequence[avc.AvcAccessUnit], step_hint: int = 0) -> np.ndarray:
    """Each H.264 access unit's presentation position in frames, given in decode order, as
    ``AvcMatcher.presentation_order`` lays them out."""
    state = avc.PocState()
    facts = np.asarray([state.push(au) for au in units], dtype=np.int64).reshape(-1, 2)
    return avc.presentation_positions_from_facts(facts, step_hint)


def hevc_presentation_positions(infos: Sequence[hevc.HevcPicture | None]) -> np.ndarray:
    """Each HEVC picture's presentation position in frames, given in decode order (``None``: a sample
    without facts)."""
    state = hevc.PocState()
    facts = np.asarray([state.push(info) for info in infos], dtype=np.int64).reshape(-1, 2)
    return hevc.presentation_positions_from_facts(facts)


def count_error_events(lines: Iterable[str]) -> int:
    """``fit.ErrorEvents`` of a whole ffmpeg log."""
    counter = fit.ErrorEvents()
    for line in lines:
        counter.feed(line)
    return counter.events
