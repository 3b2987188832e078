"""The one public entry point: ``repair(broken, reference)``. The CLI and the GUI are thin layers over it.

``plan`` does everything that can fail before real work starts (the broken file is an MP4 that lacks its
index, the reference is healthy and its codecs can be parsed, the reference fits the broken data, the output
can be written) and raises the same errors ``repair`` would: the GUI calls it to warn before starting.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mp4fix import build, codecs, fit, timeline
from mp4fix.codecs.base import Matcher
from mp4fix.diagnose import Diagnosis, diagnose
from mp4fix.errors import (
    BoxError,
    InputError,
    NotBrokenError,
    OutputError,
    NothingRecoveredError,
    UnsupportedCodecError,
)
from mp4fix.i18n import _, kind_name, ngettext
from mp4fix.profile import Profile
from mp4fix.progress import CancelToken, Progress, ProgressCallback, ProgressReporter
from mp4fix.reference import ZERO_RUN, learn_profile, timing_problem
from mp4fix.report import RepairReport, TrackResult, VerifyResult
from mp4fix.repeats import drop_repeats
from mp4fix.scan import ScanResult, Scanner
from mp4fix.source import MediaFile
from mp4fix.timeline import TimingModel
from mp4fix.write import check_output, file_identity, plan_layout, remove_stale, write_file, zero_run_patches

__all__ = ["repair", "plan", "default_output_path", "CancelToken", "Progress", "RepairReport", "RepairPlan"]


def default_output_path(broken: str | Path, out_dir: str | Path | None = None,
                        pattern: str = "{stem}_fixed") -> Path:
    """``clip.mp4`` -> ``clip_fixed.mp4`` beside the original (or in ``out_dir``). ``pattern`` uses {stem}."""
    broken = Path(broken)
    folder = Path(out_dir) if out_dir is not None else broken.parent
    return folder / (pattern.format(stem=broken.stem) + broken.suffix)


@dataclass
class RepairPlan:
    """Everything checked and learned before the long work starts."""

    broken: Path
    reference: Path | None  # None only for a fragmented file, which indexes itself
    output: Path
    overwrite: bool
    diagnosis: Diagnosis
    profile: Profile | None  # None for a fragmented file
    matchers: list[Matcher | None]
    skipped: dict[int, str] = field(default_factory=dict)  # track index -> why it cannot be rebuilt
    timing: TimingModel | None = None  # the reference's clock and rhythms
    scanned: ScanResult | None = None  # the fit check's scan, when it already covered the whole mdat
    fit_checked: bool = False  # whether the reference's fit was checked (``check_fit``)
    pattern: str = "{stem}_fixed"
    #: the size and modification time of the broken file and the reference when planned: a plan is run only
    #: while both are as they were (``repair(plan)`` plans again otherwise)
    stamps: tuple = ()

    def is_current(self) -> bool:
        """Whether the files are still as they were when this plan was made."""
        return self.stamps == _stamps(self.broken, self.reference)


def _stamps(*paths: Path | None) -> tuple:
    out = []
    for path in paths:
        try:
            st = path.stat() if path is not None else None
        except OSError:
            st = None
        out.append((st.st_size, st.st_mtime_ns) if st is not None else None)
    return tuple(out)


def plan(broken: str | Path, reference: str | Path | None, *, output: str | Path | None = None,
         out_dir: str | Path | None = None, overwrite: bool = False, pattern: str = "{stem}_fixed",
         check_fit: bool = True, cancel: CancelToken | None = None) -> RepairPlan:
    """Check that ``broken`` can be repaired with ``reference`` without writing anything.

    Raises ``InputError`` (bad broken file or reference), ``NotBrokenError``, ``UnsupportedCodecError``,
    ``MismatchError`` (the reference does not describe the broken file) or ``OutputError``; and
    ``CancelledError`` soon after ``cancel.cancel()``. A fragmented MP4 needs no reference (it may be None).
    """
    check = cancel.raise_if_cancelled if cancel is not None else (lambda: None)
    broken = Path(broken)
    reference = Path(reference) if reference is not None else None
    check()
    stamps = _stamps(broken, reference)
    diag = diagnose(broken)
    if diag.fragmented and not diag.broken and diag.fragments:
        raise NotBrokenError(_("{name} is not broken: it is a complete fragmented MP4 and should play as it is.",
                               name=broken.name))
    if diag.has_moov and not diag.broken:
        raise NotBrokenError(_("{name} is not broken: it has a complete index (moov) and should play as it is.",
                               name=broken.name))
    if not diag.broken:
        if broken.name in diag.problem:
            raise InputError(_("{problem}", problem=diag.problem))
        raise InputError(_("{name}: {problem}", name=broken.name, problem=diag.problem))
    if diag.fragmented:  # its own fragments index it: no reference to learn, nothing to scan
        final = Path(output) if output is not None else default_output_path(broken, out_dir, pattern)
        check_output(final, overwrite, broken, reference)
        return RepairPlan(broken, reference, final, overwrite, diag, None, [], pattern=pattern, stamps=stamps)
    if reference is None:
        raise InputError(_("{name} needs a reference: a healthy recording made with the same device and settings "
                           "(--ref).", name=broken.name))
    check()
    profile = learn_profile(reference)
    final = Path(output) if output is not None else default_output_path(broken, out_dir, pattern)
    check_output(final, overwrite, broken, reference)

    matchers: list[Matcher | None] = []
    skipped: dict[int, str] = {}
    orders: dict[int, np.ndarray | None] = {}
    with MediaFile(reference, role="reference") as ref:
        for t in profile.tracks:
            check()
            m, why = codecs.make_matcher(t, ref.data)
            matchers.append(m)
            if why:
                skipped[t.index] = why
            elif m is not None:
                orders[t.index] = build.reference_order(t, m.clone(), ref.data)
    if all(m is None for m in matchers):
        codec_list = ", ".join(f"{kind_name(t.kind)} '{t.fourcc}'" for t in profile.tracks)
        reasons = "; ".join(dict.fromkeys(skipped.values()))
        raise UnsupportedCodecError(_("mp4fix cannot rebuild any track of this reference ({codecs}): {reasons}",
                                      codecs=codec_list, reasons=reasons))
    p = RepairPlan(broken, reference, final, overwrite, diag, profile, matchers, skipped,
                   timeline.learn(profile, orders), fit_checked=check_fit, pattern=pattern, stamps=stamps)
    check()
    if check_fit:
        _check_fit(p, cancel)
    return p


def _check_fit(p: RepairPlan, cancel: CancelToken | None = None) -> None:
    """The reference fits the broken file, on the evidence of windows spread over its media data (``fit``)."""
    diag = p.diagnosis
    cancelled = (lambda: cancel.cancelled) if cancel is not None else None
    with MediaFile(p.broken) as mf:
        found = fit.scan_windows(mf, p.profile, lambda: _fresh(p), diag.mdat_start, diag.mdat_end, cancelled)
        if cancel is not None:
            cancel.raise_if_cancelled()
        if len(found) == 1 and (found[0].start, found[0].end) == (diag.mdat_start, diag.mdat_end):
            p.scanned = found[0].result  # a short recording: the full scan is already done
        fit.decide(found, p.broken, p.reference, p.profile, p.matchers, mf, p.timing, cancelled)
        if cancel is not None:
            cancel.raise_if_cancelled()


def _assemble(mf: MediaFile, p: RepairPlan, result: ScanResult):
    """Layout, moov bytes and tables for the samples in ``result``."""
    diag = p.diagnosis
    found = [ts for ts in result.tracks if ts.matcher is not None and ts.sizes]
    if not found:
        raise NothingRecoveredError(_("No complete audio or video sample was found in {name}.", name=p.broken.name))
    mdat = _mdat_ref(diag)
    layout = plan_layout(mf, mdat.offset, mdat.header_size, result.end,
                         None if _first_box(diag) == "ftyp" else p.profile.ftyp)
    stale = tuple(b.offset for b in diag.boxes if b.type == "moov" and b.offset + b.size <= layout.head_end)
    head = [b for b in diag.boxes if b.offset + b.size <= layout.head_end]
    layout = dataclasses.replace(layout, stale=stale, patches=zero_run_patches(head))
    times = timeline.rebuild(result, p.timing)
    built = [build.track_tables(ts, times[ts.track.index], layout.shift) for ts in found]
    _stretch_single_samples(built)
    moov = build.build_moov(p.profile, built).to_bytes()
    return layout, moov, built, times


def _fresh(p: RepairPlan) -> list[Matcher | None]:
    """Fresh matchers that keep what was learned from the reference (matchers keep stream state as they scan)."""
    return [m.clone() if m is not None else None for m in p.matchers]


def repair(broken: str | Path | RepairPlan, reference: str | Path | None = None, *,
           output: str | Path | None = None,
           out_dir: str | Path | None = None, overwrite: bool = False, verify: bool = True,
           pattern: str = "{stem}_fixed", progress: ProgressCallback | None = None,
           cancel: CancelToken | None = None, check_fit: bool = True, full_check: bool = False) -> RepairReport:
    """Rebuild the index of ``broken`` using the healthy ``reference``; write ``<stem>_fixed<ext>``.

    ``check_fit=False`` skips the check that the reference fits the broken file (a user who knows better:
    the app's "Repair anyway", the CLI's ``--trust-reference``). With ``verify`` the result is decoded by
    ffmpeg: every audio sample and video around keyframes spread over the whole file (``mp4fix.verify``), or
    everything with ``full_check``; ``report.verify`` says which. Never writes to ``broken``. The output
    appears only when complete (temporary name, then rename); on
    any error or cancellation nothing is left behind. Raises a subclass of ``Mp4fixError``.

    A fragmented MP4 cut inside a fragment needs no reference (``reference`` may be None): its own fragments
    index it, and it is written as a regular MP4.

    ``broken`` may be a ``RepairPlan`` from ``plan()`` (the app plans when files are added, to warn early):
    then that plan is run as it is (its output, its fit check), and the reference is not learned again; a
    plan whose files changed since is made again.
    """
    report_progress = ProgressReporter(progress, cancel, verify)
    report_progress("diagnose", 0.0, _("Reading the broken file"))
    given = broken if isinstance(broken, RepairPlan) else None
    if given is not None:
        output, overwrite, pattern, check_fit = given.output, given.overwrite, given.pattern, given.fit_checked
        broken, reference = given.broken, given.reference
    # what repairs killed outright (SIGKILL, a power cut) left in the output folder and the temp folder
    folder = Path(output).parent if output is not None else (Path(out_dir) if out_dir is not None
                                                               else Path(broken).parent)
    stale = remove_stale(folder)
    if given is not None and given.is_current():
        p = given
        check_output(p.output, p.overwrite, p.broken, p.reference)  # (the folder may have changed since)
    else:
        p = plan(broken, reference, output=output, out_dir=out_dir, overwrite=overwrite, pattern=pattern,
                 check_fit=check_fit, cancel=cancel)
    report_progress("reference", 1.0, _("Learned the reference"))
    report = RepairReport(input=str(p.broken), reference=str(p.reference or ""), output=None)
    if stale:
        report.warnings.append(ngettext(
            "Removed {n} leftover temporary file of an earlier repair that was stopped before it could clean up: "
            "{names}.", "Removed {n} leftover temporary files of an earlier repair that was stopped before it "
            "could clean up: {names}.", len(stale), n=len(stale), names=", ".join(stale)))
    if p.diagnosis.fragmented:
        return _repair_fragmented(p, report, verify, progress, cancel, full_check)
    with MediaFile(p.broken) as mf:
        diag = p.diagnosis
        if p.scanned is not None:
            result, p.scanned = p.scanned, None  # (the scan is changed below: a plan run again scans again)
        else:
            scanner = Scanner(mf.data, mf.arr, p.profile, _fresh(p),
                              progress=lambda f: report_progress("scan", f, _("Finding audio and video samples")),
                              cancelled=(lambda: cancel.cancelled) if cancel is not None else None)
            scanner.release = mf.release_behind  # memory: the file's pages behind the scan go back to the OS
            result = scanner.run(diag.mdat_start, diag.mdat_end)
        report_progress("scan", 1.0, _("Found the samples"))
        if cancel is not None:
            cancel.raise_if_cancelled()
        if p.fit_checked:  # the clocks as the data has them (a repeated block repeats every track alike)
            fit.check_clock(p.profile, result, p.broken, p.reference)
        drop_repeats(result, mf.data, mf.arr, p.profile, lambda: _fresh(p))
        if result.bytes_used == 0:
            if not mf.arr[diag.mdat_start:diag.mdat_end].any():
                raise NothingRecoveredError(_("{name} holds no recording: its media data is all zeros.",
                                              name=p.broken.name))
            if result.tail == result.end - result.start:
                raise NothingRecoveredError(
                    _("No complete audio or video sample was found in {name}: the recording stopped inside its "
                      "first frame.", name=p.broken.name))
            raise fit.nothing_like_reference(p.broken, p.reference, p.profile, p.matchers)
        report_progress("build", 0.0, _("Building the index"))
        layout, moov, built, times = _assemble(mf, p, result)
        report_progress("build", 1.0)
        report.mdat_bytes = diag.recoverable_bytes
        report.bytes_used = result.bytes_used
        report.bytes_skipped = result.bytes_skipped
        report.bytes_padding = result.bytes_padding
        report.truncated_tail = result.tail
        report.tail_lost = result.tail_lost
        _describe_tracks(report, p, result, built, times)
        written: list = []

        def check(tmp: Path) -> None:  # the decode check runs on the complete file before it gets its name
            if verify:
                report.verify = _verify(tmp, report_progress, cancel, full_check)
            written.append(file_identity(tmp))  # the rename keeps it: tells our file from another's

        report_progress("write", 0.0, _("Writing {name}", name=p.output.name))
        write_file(mf, layout, moov, p.output, overwrite=p.overwrite,
                   progress=lambda f: report_progress("write", f, _("Writing {name}", name=p.output.name)),
                   cancelled=lambda: cancel is not None and cancel.cancelled, check=check, reference=p.reference)
    return _finished(p, report, progress, written, verify)


def _finished(p: RepairPlan, report: RepairReport, progress, written: list, verify: bool) -> RepairReport:
    """The output got its name: a cancel now changes nothing, and the report describes the file that is there
    (when another program replaced it as this repair finished, this one fails instead)."""
    report.output = str(p.output)
    ProgressReporter(progress, None, verify)("verify", 1.0, _("Done"))
    if file_identity(p.output) != written[0]:
        raise OutputError(_("{path} was replaced by another program as this repair finished; the repair of {name} "
                            "was not kept. Repair it again to another file name.", path=p.output, name=p.broken.name))
    return report


def _describe_tracks(report: RepairReport, p: RepairPlan, result: ScanResult, built, times) -> None:
    for ts in result.tracks:
        t = ts.track
        if ts.matcher is None:
            report.tracks.append(TrackResult(t.track_id, t.kind, t.fourcc, 0, 0.0, 0, status="skipped",
                                             note=p.skipped.get(t.index, _("not supported"))))
            continue
        tt = next((b for b in built if b.track is t), None)
        if tt is None:
            report.tracks.append(TrackResult(t.track_id, t.kind, t.fourcc, 0, 0.0, 0, status="skipped",
                                             note=_("no sample of this track was found")))
            continue
        tm = times[t.index]
        note = timing_note(t, tm)
        if note:
            report.warnings.append(_("Track {id} ({kind} '{fourcc}'): {note}.", id=t.track_id,
                                     kind=kind_name(t.kind), fourcc=t.fourcc, note=note))
        report.tracks.append(TrackResult(t.track_id, t.kind, t.fourcc, tt.samples,
                                         tt.media_duration / t.timescale, tt.bytes,
                                         keyframes=tt.keyframe_count, note=note, timing=tm.claim,
                                         timing_accuracy=tm.accuracy if tm.claim == "rebuilt" else None))
    if result.repeated:
        size = sum(b - a for a, b in result.repeated)
        report.warnings.append(ngettext("{size} bytes in {n} place repeat data written earlier in the file (a "
                                        "block the card wrote twice): their samples were left out.",
                                        "{size} bytes in {n} places repeat data written earlier in the file (a "
                                        "block the card wrote twice): their samples were left out.",
                                        len(result.repeated), size=size, n=len(result.repeated)))
    if result.bytes_skipped:
        report.warnings.append(ngettext("{size} bytes in {n} place belonged to no track that could be rebuilt "
                                        "and were left out of the index.",
                                        "{size} bytes in {n} places belonged to no track that could be rebuilt "
                                        "and were left out of the index.", len(result.skipped),
                                        size=result.bytes_skipped, n=len(result.skipped)))
    if result.tail_lost:
        report.warnings.append(_("The last {size} bytes before the end of the data are more than the one sample the "
                                 "recording stopped in, but no sample in them could be measured: they were left out "
                                 "of the index.", size=result.tail))


def _repair_fragmented(p: RepairPlan, report: RepairReport, verify: bool, progress: ProgressCallback | None,
                       cancel: CancelToken | None, full_check: bool = False) -> RepairReport:
    """A fragmented MP4 cut inside a fragment: a regular file indexed from its own fragments (``fragments``)."""
    from mp4fix import fragments
    from mp4fix.reference import own_index, top_level

    report_progress = ProgressReporter(progress, cancel, verify)
    report_progress("scan", 0.0, _("Reading the fragments"))
    with MediaFile(p.broken) as mf:
        refs = top_level(mf.data, mf.size)
        try:
            profile = own_index(mf, refs)
            frag = fragments.read_fragments(mf.data, mf.size, refs, profile)
        except BoxError as exc:
            raise InputError(_("The index of the fragmented file {name} is damaged ({detail}).", name=p.broken.name,
                               detail=exc)) from None
        built = fragments.tables(frag, profile)
        for tt in built:
            track = dataclasses.replace(tt.track, sizes=tt.sizes, durations=tt.durations, ctts=tt.ctts,
                                        edit_list=[])
            why = timing_problem(track, profile.movie_timescale, every_sample=True)
            if why:
                raise InputError(_("The fragments of {name} are damaged: {why}, so a file indexed from them would "
                                   "have wrong timing.", name=p.broken.name, why=why))
        if not built:
            raise NothingRecoveredError(_("No complete sample was found in the fragmented file {name}: the cut fell "
                                          "inside its first fragment's index.", name=p.broken.name))
        report_progress("build", 0.0, _("Building the index"))
        data_end = max(int(tt.offsets[-1] + tt.sizes[-1]) for tt in built)
        last = max((r for r in refs if r.type == "mdat" and r.payload_start <= data_end), key=lambda r: r.offset)
        layout = plan_layout(mf, last.offset, last.header_size, max(data_end, last.payload_start), None)
        stale = tuple(r.offset for r in refs if r.type in ("moov", "moof", "sidx", "mfra") and r.end <= layout.head_end)
        layout = dataclasses.replace(layout, stale=stale)
        for tt in built:  # only the samples of the last mdat move, if its header had to grow
            tt.offsets = np.where(tt.offsets >= last.payload_start, tt.offsets + layout.shift, tt.offsets)
        moov = build.build_moov(profile, built).to_bytes()
        report.mdat_bytes = frag.mdat_bytes
        report.bytes_used = int(sum(int(tt.sizes.sum()) for tt in built))
        report.truncated_tail = max(0, min(last.end, mf.size) - data_end)
        for tt in built:
            t = tt.track
            report.tracks.append(TrackResult(t.track_id, t.kind, t.fourcc, len(tt.sizes),
                                             tt.media_duration / t.timescale, int(tt.sizes.sum()),
                                             keyframes=int(tt.keyframes.sum())))
        for t in profile.tracks:
            if not frag.runs[t.track_id].sizes:
                report.tracks.append(TrackResult(t.track_id, t.kind, t.fourcc, 0, 0.0, 0, status="skipped",
                                                 note=_("no complete sample of this track was found")))
        report.warnings.append(_("{name} is a fragmented MP4 whose own fragments index it: its {n} complete "
                                 "fragment(s) and {k} whole sample(s) of the fragment the cut broke were kept and "
                                 "written as a regular MP4.", name=p.broken.name, n=frag.complete,
                                 k=frag.kept_partial))
        if p.reference is not None:
            report.warnings.append(_("The reference {name} was not needed: a fragmented file indexes itself.",
                                     name=p.reference.name))
        written: list = []

        def check(tmp: Path) -> None:
            if verify:
                report.verify = _verify(tmp, report_progress, cancel, full_check)
            written.append(file_identity(tmp))

        report_progress("write", 0.0, _("Writing {name}", name=p.output.name))
        write_file(mf, layout, moov, p.output, overwrite=p.overwrite,
                   progress=lambda f: report_progress("write", f, _("Writing {name}", name=p.output.name)),
                   cancelled=lambda: cancel is not None and cancel.cancelled, check=check, reference=p.reference)
    return _finished(p, report, progress, written, verify)


def timing_note(track, times: timeline.TrackTimes) -> str:
    """What a person should know about a track's times: nothing when they are exact."""
    extra = "".join("; " + n for n in times.notes)
    if times.claim == "rebuilt":
        ms = max(10, int(round(times.accuracy * 1000 / 10.0)) * 10)
        if times.reason == "gaps":
            return _("times after the damaged data rebuilt from the audio clock, to within about {ms} ms",
                     ms=ms) + extra
        if track.kind == "video":
            return _("times rebuilt from the audio clock (variable frame rate), to within about {ms} ms",
                     ms=ms) + extra
        return _("times rebuilt from the audio clock (variable timing), to within about {ms} ms", ms=ms) + extra
    if times.claim == "approximate":
        if track.kind in ("text", "subtitle"):
            return _("sample times are approximate: a subtitle's display time is not in its data, so each sample "
                     "got the reference's most common duration")
        why = "; ".join(times.notes) or _("this track's timing is not in its data")
        return _("sample times are approximate: {why}", why=why)
    return "; ".join(times.notes)


def _stretch_single_samples(built: list[build.TrackTables]) -> None:
    """A track whose reference holds one sample for the whole recording (a timecode's start frame) gets one
    sample spanning the recovered audio and video, not the reference's length."""
    span = max((tt.media_duration / tt.track.timescale for tt in built
                if tt.track.kind in ("video", "audio") and tt.track.timescale), default=0.0)
    for tt in built:
        # (a single sample the reference gives no duration, such as an Android 'mett' placeholder, keeps none)
        if len(tt.track.sizes) == 1 and tt.samples == 1 and span > 0 and int(tt.track.durations[0]) > 0:
            tt.durations[0] = max(1, round(span * tt.track.timescale))


def _first_box(diag: Diagnosis) -> str:
    return next((b.type for b in diag.boxes if b.type != ZERO_RUN), "")


def _mdat_ref(diag: Diagnosis):
    return next(b for b in diag.boxes if b.type == "mdat")


def _verify(path: Path, report_progress: ProgressReporter, cancel: CancelToken | None,
            full: bool = False) -> VerifyResult:
    from mp4fix import verify

    report_progress("verify", 0.0, _("Checking the result with ffmpeg"))
    # the check runs on the temporary file before it gets its name: a cancel leaves nothing behind
    return verify.verify(path, full=full, cancel=cancel,
                         progress=lambda f: report_progress("verify", f, _("Checking with ffmpeg")))
