"""What the fuzzers run: each target takes one generated input and fails only by raising ``Finding``.

Parser targets run in process (the driver runs many in one worker with a memory limit and a per-case alarm):

* ``boxes``    the box walker and the in-memory tree: ``walk``, ``parse_tree``, every leaf layout, the sample
               tables (``table_rows``, ``sample_sizes``) and ``sample_entry_children``, on arbitrary bytes;
* ``matcher``  every codec's matcher, built from a real reference of that codec, asked about mutated sample
               data (``match``, ``match_options``, ``cut_start``, ``candidates``) and built from a mutated
               codec configuration (avcC, esds, dac3, ...);
* ``learn``    the reference learner on a real reference whose index (moov) was mutated, then what is learned
               from it: every track's matcher (``make_matcher``) and the composition delay.

A target may raise only what the pipeline translates (``BoxError`` for boxes) or mp4fix's own errors
(``Mp4fixError``); a matcher may raise nothing at all and must answer within the data it was given. Any other
exception, a wrong answer, a hang (the driver's alarm) or running out of memory is a finding.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT / "src", ROOT / "tests", ROOT / "tests" / "fixtures"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from mp4fix import boxes, build, codecs  # noqa: E402
from mp4fix.errors import BoxError, Mp4fixError  # noqa: E402
from mp4fix.reference import learn_profile  # noqa: E402
from mp4fix.source import MediaFile  # noqa: E402


class Finding(Exception):
    """A target broke its contract (the message says how)."""


# --- seeds: real files of every codec, made by the media factory -----------------------------------------

#: references whose tracks cover every codec family mp4fix parses
SEED_REFERENCES = {
    "factory": ["tiny", "hevc_aac48s_ref", "avc_pcm_mov_ref", "avc2_tmcd_mov_ref", "aac_voice_m4a_ref"],
    "audio": ["aud_ac3_mp4_ref", "aud_eac3_mp4_ref", "aud_mp3_mp4_ref", "aud_amr_3gp_ref", "aud_opus_cbr_ref",
              "aud_alac_ref"],
    "video": ["vid_mjpeg_mov_pcm_ref", "vid_prores_proxy_aac_ref", "vid_mpeg4_bf_aac_ref", "vid_aom_aac_ref"],
}
#: the small set the CI slice uses (fast to make, H.264 + AAC + HEVC + PCM + timecode)
CI_REFERENCES = ["tiny", "hevc_aac48s_ref", "avc_pcm_mov_ref", "avc2_tmcd_mov_ref"]
#: fragmented recordings (the ``fragments`` target): every layout the factory makes
FRAGMENTED = ["frag_avc_aac", "frag_avc_aac_base_moof", "frag_avc_aac_separate", "frag_avc_aac_hybrid"]
KINDS = ("boxes", "matcher", "learn", "fragments")
WEIGHTS = (4, 5, 1, 1)


def seed_path(name: str) -> Path:
    """The cached fixture ``name`` (built on first use)."""
    import make_fixtures as MF

    if name in MF.RECIPES:
        return MF.build(name)
    if name.startswith("aud_"):
        import test_codecs_audio as T
    else:
        import test_codecs_video as T
    return MF.build_recipe(T.RECIPES[name])


@dataclasses.dataclass
class Seed:
    name: str
    path: Path
    data: bytes
    moov: tuple[int, int]  # [start, end) of the moov box
    profile: object
    matchers: list  # (track, matcher) pairs for the tracks mp4fix can parse


def load_seeds(names: list[str]) -> list[Seed]:
    out = []
    for name in names:
        path = seed_path(name)
        data = path.read_bytes()
        ref = next(r for r in boxes.walk(data) if r.type == "moov")
        profile = learn_profile(path)
        pairs = []
        with MediaFile(path, role="reference") as mf:
            for t in profile.tracks:
                m, _ = codecs.make_matcher(t, mf.data)
                if m is not None:
                    pairs.append((t, m))
        out.append(Seed(name, path, data, (ref.offset, ref.end), profile, pairs))
    return out


# --- mutation --------------------------------------------------------------------------------------------

_INTERESTING = [0, 1, 2, 7, 8, 9, 15, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF,
                0x80000000, 0xFFFFFFFE, 0xFFFFFFFF]


def mutate(rng: random.Random, data: bytes, lo: int = 0, hi: int | None = None, rounds: int | None = None) -> bytes:
    """``data`` with a few random edits inside ``[lo, hi)``: flipped bits, bytes, interesting 32-bit values
    (sizes and counts), zeroed or duplicated blocks, inserted or deleted bytes, a cut."""
    b = bytearray(data)
    hi = len(b) if hi is None else hi
    for _ in range(rounds if rounds is not None else rng.choice((1, 1, 2, 3, 5, 8))):
        hi = min(hi, len(b))
        if hi - lo < 8:
            break
        pos = rng.randrange(lo, hi)
        op = rng.randrange(9)
        if op == 0:
            b[pos] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[pos] = rng.randrange(256)
        elif op == 2:
            p = pos - pos % 4 if rng.random() < 0.7 else pos
            p = min(p, len(b) - 4)
            b[p:p + 4] = rng.choice(_INTERESTING).to_bytes(4, "big")
        elif op == 3:
            n = rng.choice((1, 2, 4, 16, 256, 4096))
            b[pos:pos + n] = bytes(min(n, len(b) - pos))
        elif op == 4:
            n = rng.choice((4, 16, 512, 4096))
            src = rng.randrange(lo, hi)
            b[pos:pos] = b[src:src + n]
            hi += len(b[src:src + n])
        elif op == 5:
            n = rng.choice((1, 4, 16, 300))
            b[pos:pos] = rng.randbytes(n)
            hi += n
        elif op == 6:
            n = min(rng.choice((1, 4, 8, 100)), hi - pos)
            del b[pos:pos + n]
            hi -= n
        elif op == 7:
            p = min(pos - pos % 4, len(b) - 4)
            v = int.from_bytes(b[p:p + 4], "big")
            b[p:p + 4] = ((v + rng.choice((-1, 1, -8, 8, 1 << 16, -(1 << 16)))) & 0xFFFFFFFF).to_bytes(4, "big")
        else:
            p = min(pos, len(b) - 2)
            b[p:p + 2] = rng.randbytes(2)
    return bytes(b)


# --- targets ---------------------------------------------------------------------------------------------

_LEAVES = {"mvhd": boxes.Mvhd, "tkhd": boxes.Tkhd, "mdhd": boxes.Mdhd, "hdlr": boxes.Hdlr, "elst": boxes.Elst,
           "stsd": boxes.Stsd, "ftyp": boxes.Ftyp}
_TABLES = {"stts": (2, ">u4"), "ctts": (2, ">i4"), "stss": (1, ">u4"), "stsc": (3, ">u4"), "stco": (1, ">u4"),
           "co64": (1, ">u8")}


def target_boxes(data: bytes) -> None:
    """Walk ``data`` as a file, parse every box found into a tree, and every leaf with its layout."""
    end = len(data)
    refs = list(boxes.walk(data, 0, end))
    if refs and refs[-1].end > end:
        raise Finding(f"walk yielded a box past the data: {refs[-1]}")
    for ref in refs:
        if ref.size < ref.header_size or ref.offset < 0:
            raise Finding(f"impossible box {ref}")
        try:
            tree = boxes.parse_tree(data, ref)
        except BoxError:
            continue
        stack = [tree]
        seen = 0
        while stack:
            node = stack.pop()
            seen += 1
            if node.children is not None:
                stack.extend(node.children)
                if node.type == "stbl":
                    try:
                        boxes.sample_sizes(node, "stbl", max_bytes=1 << 20)
                    except BoxError:
                        pass
                continue
            if node.type in _LEAVES:
                try:
                    boxes.parse(_LEAVES[node.type], node)
                except BoxError:
                    pass
            if node.type in _TABLES:
                cols, dtype = _TABLES[node.type]
                try:
                    boxes.table_rows(node, cols, dtype)
                except BoxError:
                    pass
            if node.type == "stsd":
                try:
                    stsd = boxes.parse(boxes.Stsd, node)
                except BoxError:
                    continue
                for entry in boxes.walk(stsd.entries, 0, len(stsd.entries), top_level=False):
                    for handler in ("vide", "soun", "meta"):
                        boxes.sample_entry_children(bytes(stsd.entries[entry.offset:entry.end]), handler)
        rebuilt = tree.to_bytes()
        if not rebuilt:
            raise Finding("a parsed box rebuilt to nothing")


def target_matcher(seed: Seed, rng: random.Random) -> None:
    """Ask one track's matcher about mutated sample data, or build it from a mutated configuration."""
    if not seed.matchers:
        return
    track, matcher = rng.choice(seed.matchers)
    if rng.random() < 0.25:
        _matcher_from_config(track, rng)
        return
    n = len(track.offsets)
    i = rng.randrange(n)
    start = int(track.offsets[i])
    span = rng.choice((64, 512, 4096, 65536))
    lo = max(0, start - rng.choice((0, 0, 16, span // 2)))
    window = mutate(rng, seed.data[lo:start + span], rounds=rng.choice((0, 1, 2, 4, 8)))
    m = matcher.clone()
    end = len(window) if rng.random() < 0.7 else rng.randrange(len(window) + 1)
    positions = {start - lo, 0, rng.randrange(len(window) + 1)}
    positions |= {p for p in (start - lo + 1, start - lo + 4) if p <= len(window)}
    arr = np.frombuffer(window, dtype=np.uint8)
    for pos in sorted(positions):
        if pos > end:
            continue
        found = m.match(window, pos, end)
        if found is not None and not 0 < found.size <= end - pos:
            raise Finding(f"{track.fourcc}: match at {pos} gave size {found.size} with {end - pos} bytes left")
        for opt in m.match_options(window, pos, end):
            if opt.size < 0 or (opt.size > end - pos and m.self_delimiting):
                raise Finding(f"{track.fourcc}: option of {opt.size} bytes at {pos}, {end - pos} left")
        m.cut_start(window, pos, end)
        if found is not None:
            m.accept(found)
    cands = np.asarray(m.candidates(arr[:end], 0, end))
    if len(cands) and (cands.min() < 0 or cands.max() >= max(end, 1) or np.any(np.diff(cands) < 0)):
        raise Finding(f"{track.fourcc}: candidates out of order or outside [0, {end})")


def _matcher_from_config(track, rng: random.Random) -> None:
    cls = codecs.matcher_class(track.fourcc)
    if cls is None:
        return
    config = dict(track.config)
    if config and rng.random() < 0.8:
        key = rng.choice(sorted(config))
        config[key] = mutate(rng, config[key])
    entry = mutate(rng, track.sample_entry) if rng.random() < 0.3 else track.sample_entry
    broken = dataclasses.replace(track, config=config, sample_entry=entry)
    try:
        m = cls(broken)
    except Mp4fixError:
        return
    data = np.zeros(0, np.uint8)
    m.match(b"\0" * 64, 0, 64)
    m.candidates(data, 0, 0)


_SCRATCH = Path(os.environ.get("MP4FIX_FUZZ_SCRATCH") or ("/dev/shm" if os.path.isdir("/dev/shm") else
                                                            tempfile.gettempdir()))


def quick_learning() -> None:
    """Learning measures hundreds of a reference's samples per track (pure-Python bitstream parsing, up to 2 s
    for ALAC): one learn case costs as much as a hundred boxes or matcher cases. For parser runs, measure a few
    dozen instead: the same code on the mutated index, many more cases. (Whole repairs keep the real numbers.)"""
    codecs.REFERENCE_CHECK_SAMPLES = 40


def load_fragmented(names: list[str] | None = None) -> list[bytes]:
    return [seed_path(n).read_bytes() for n in (names or FRAGMENTED)]


def target_fragments(original: bytes, rng: random.Random, scratch: Path | None = None) -> None:
    """A fragmented recording cut somewhere and mutated in its index boxes (moov, moof): diagnose it, read its
    fragments and build the regular index from them, as the repair does."""
    from mp4fix import fragments
    from mp4fix.diagnose import diagnose
    from mp4fix.reference import own_index, timing_problem, top_level

    data = original[:rng.randrange(64, len(original) + 1)] if rng.random() < 0.7 else original
    refs = [r for r in boxes.walk(data) if r.type in ("moov", "moof")]
    for _ in range(rng.choice((1, 1, 2, 3))):
        if refs:
            r = rng.choice(refs)
            data = mutate(rng, data, r.offset, min(r.end, len(data)), rounds=rng.choice((1, 2, 4)))
    path = (scratch or _SCRATCH) / f"mp4fix-fuzz-frag-{os.getpid()}.mp4"
    path.write_bytes(data)
    try:
        try:
            diagnose(path)
        except Mp4fixError:
            return
        with MediaFile(path) as mf:
            refs = top_level(mf.data, mf.size)
            if not refs or not fragments.is_fragmented(refs, mf.data):
                return
            try:
                profile = own_index(mf, refs)
                frag = fragments.read_fragments(mf.data, mf.size, refs, profile)
            except BoxError:
                return
            built = fragments.tables(frag, profile)
            for tt in built:  # as the repair does: timing without sense is refused before it is built
                track = dataclasses.replace(tt.track, sizes=tt.sizes, durations=tt.durations, ctts=tt.ctts,
                                            edit_list=[])
                if timing_problem(track, profile.movie_timescale, every_sample=True):
                    return
            for tt in built:
                if len(tt.offsets) and (tt.offsets.min() < 0 or int((tt.offsets + tt.sizes).max()) > mf.size):
                    raise Finding("a fragment's sample lies outside the file")
            if built:
                build.build_moov(profile, built).to_bytes()
    finally:
        path.unlink(missing_ok=True)


def target_learn(seed: Seed, rng: random.Random, scratch: Path | None = None) -> None:
    """Learn a profile from the seed with a mutated index, then everything plan() learns from it."""
    lo, hi = seed.moov
    data = mutate(rng, seed.data, lo, hi)
    folder = scratch or _SCRATCH
    path = folder / f"mp4fix-fuzz-{os.getpid()}{seed.path.suffix}"
    path.write_bytes(data)
    try:
        try:
            profile = learn_profile(path)
        except Mp4fixError as exc:
            if not str(exc).strip() or "\n" in str(exc).strip():
                raise Finding(f"not one sentence: {exc!r}") from None
            return
        with MediaFile(path, role="reference") as mf:
            for t in profile.tracks:
                m, why = codecs.make_matcher(t, mf.data)
                if m is not None and not why:
                    build.reference_order(t, m.clone(), mf.data, limit=60 if codecs.REFERENCE_CHECK_SAMPLES < 100 else 3000)
    finally:
        path.unlink(missing_ok=True)


def case_kind(case: int, master: int, kinds: tuple[str, ...] = KINDS) -> tuple[random.Random, str]:
    rng = random.Random(master * 1_000_003 + case)
    weights = [w for k, w in zip(KINDS, WEIGHTS) if k in kinds]
    return rng, rng.choices([k for k in KINDS if k in kinds], weights)[0]


def run_parser_case(seeds: list[Seed], case: int, master: int = 0, frag_seeds: list[bytes] | None = None,
                    kinds: tuple[str, ...] = KINDS) -> str:
    """Run parser case number ``case`` (deterministic from ``master`` and ``case``); returns the target's name."""
    rng, kind = case_kind(case, master, kinds)
    if kind == "fragments":
        if frag_seeds is None:
            frag_seeds = load_fragmented()
        target_fragments(rng.choice(frag_seeds), rng)
        return kind
    seed = rng.choice(seeds)
    if kind == "boxes":
        if rng.random() < 0.5:
            lo, hi = seed.moov
            start = rng.randrange(lo, hi)
            blob = mutate(rng, seed.data[lo:hi]) if rng.random() < 0.5 else seed.data[start:start + 2048]
        else:
            blob = mutate(rng, seed.data[:64] + seed.data[seed.moov[0]:seed.moov[1]])
        target_boxes(blob)
    elif kind == "matcher":
        target_matcher(seed, rng)
    else:
        target_learn(seed, rng)
    return kind
