"""The ffmpeg layer: find the binary, probe a file, decode-check it, grab a thumbnail, list packets/frames.

No Qt here. There is no ffprobe on the machines mp4fix targets, so everything works from the ``ffmpeg``
binary alone (normally the one shipped in the ``imageio-ffmpeg`` wheel) by parsing what it prints:

* ``probe``        ``ffmpeg -i FILE`` (no output: ffmpeg exits 1 by design) -> ``MediaInfo``
* ``thumbnail``    one decoded frame as PNG bytes

The decode check of a repaired file is the pipeline's last stage, ``mp4fix.verify``; the tests' oracles
(frame hashes, packet lists) live in ``tests/oracle.py``.

Every call goes through ``run()``, which captures output, enforces a timeout, kills ffmpeg promptly when a
``CancelToken`` fires and turns failures into ``FFmpegError`` with one readable sentence. Command lines are
plain argument lists (no shell); ffmpeg-python's graph builder is not used because ``-i`` without an output
(``probe``) cannot be expressed with it and its ``probe()`` needs ffprobe.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import ffmpeg as ffmpeg_python  # ffmpeg-python: builds the command lines below as filter graphs

from mp4fix.errors import CancelledError, FFmpegError
from mp4fix import i18n  # i18n._ where a function uses _ as a name
from mp4fix.i18n import _
from mp4fix.progress import CancelToken

__all__ = [
    "ffmpeg_exe", "ffmpeg_version", "run", "RunResult", "probe", "MediaInfo", "StreamInfo", "thumbnail",
    "PROBE_TIMEOUT",
]

PROBE_TIMEOUT = 30.0  # seconds; opening a file never takes long, even a broken one
THUMBNAIL_TIMEOUT = 60.0
_LOG_HEAD = 60  # lines kept from the start of a long log
_LOG_TAIL = 200  # and from its end
_STDERR_KEEP = 5000  # stderr lines run() keeps in memory (the last ones)

_EXE_NAME = "ffmpeg.exe" if os.name == "nt" else "ffmpeg"


# --- finding the binary ---------------------------------------------------------------------------


def _is_exe(p: str | os.PathLike) -> bool:
    return os.path.isfile(p) and os.access(p, os.X_OK)


def _bundled_candidates() -> list[Path]:
    """Where a PyInstaller bundle keeps ffmpeg: beside the executable, in _MEIPASS, in imageio_ffmpeg/binaries."""
    dirs: list[Path] = []
    if getattr(sys, "frozen", False):
        dirs.append(Path(sys.executable).resolve().parent)
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        dirs.append(Path(meipass))
    out: list[Path] = []
    for d in dirs:
        out.append(d / _EXE_NAME)
        out.append(d / "ffmpeg" / _EXE_NAME)
        binaries = d / "imageio_ffmpeg" / "binaries"
        if binaries.is_dir():
            out.extend(sorted(p for p in binaries.iterdir() if p.name.startswith("ffmpeg")))
    return out


def _imageio_exe() -> str | None:
    try:
        import imageio_ffmpeg  # noqa: PLC0415 - optional at import time
    except Exception:  # pragma: no cover - the wheel is a dependency
        return None
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # RuntimeError when the wheel has no binary for this platform
        return None
    if exe and (_is_exe(exe) or shutil.which(exe)):
        return exe
    return None


def ffmpeg_exe(prefer_system: bool | None = None) -> str:
    """Path of the ffmpeg binary to use.

    Order: ``$MP4FIX_FFMPEG``; inside a PyInstaller bundle the copy beside the executable; the system
    ``ffmpeg`` when ``prefer_system`` (default: ``$MP4FIX_PREFER_SYSTEM_FFMPEG=1``); the imageio-ffmpeg
    binary; the system ``ffmpeg`` as a fallback. Raises ``FFmpegError`` when there is none.
    """
    env = os.environ.get("MP4FIX_FFMPEG", "").strip()
    if env:
        if _is_exe(env):
            return env
        found = shutil.which(env)
        if found:
            return found
        raise FFmpegError(_("MP4FIX_FFMPEG is set to {value!r}, but no ffmpeg program is there.", value=env))
    for cand in _bundled_candidates():
        if _is_exe(cand):
            return str(cand)
    if prefer_system is None:
        prefer_system = os.environ.get("MP4FIX_PREFER_SYSTEM_FFMPEG", "").strip().lower() in ("1", "true", "yes", "on")
    system = shutil.which("ffmpeg")
    if prefer_system and system:
        return system
    wheel = _imageio_exe()
    if wheel:
        return wheel
    if system:
        return system
    raise FFmpegError(_("ffmpeg was not found: install the imageio-ffmpeg package, put ffmpeg on the PATH "
                        "or set MP4FIX_FFMPEG to its path."))


_version_cache: dict[str, str] = {}


def ffmpeg_version(exe: str | None = None) -> str:
    """The first line of ``ffmpeg -version`` minus the copyright, e.g. ``ffmpeg version n9.0.2-17-g2a571b6068``."""
    exe = exe or ffmpeg_exe()
    if exe not in _version_cache:
        res = run(["-version"], exe=exe, timeout=PROBE_TIMEOUT, what=_("reading its version"), banner=False)
        first = res.stdout.decode("utf-8", "replace").strip().splitlines()
        line = first[0] if first else "ffmpeg version unknown"
        _version_cache[exe] = line.split(" Copyright")[0].strip()
    return _version_cache[exe]


# --- running ffmpeg -------------------------------------------------------------------------------


@dataclass
class RunResult:
    args: list[str]
    returncode: int
    stdout: bytes  # empty when on_stdout_line consumed it
    stderr_lines: list[str]  # the last _STDERR_KEEP lines
    stderr_total: int  # how many lines ffmpeg printed in all
    elapsed: float

    @property
    def stderr(self) -> str:
        return "\n".join(self.stderr_lines)


_PREFIX_RE = re.compile(r"^\s*(?:\[[^\]]*@ ?0x[0-9a-fA-F]+\]\s*)+")  # "[h264 @ 0x55..] " (one or more)
_LEVEL_RE = re.compile(r"^\s*\[(panic|fatal|error|warning|info|verbose|debug|trace)\]\s*")
_BORING = ("At least one output file must be specified", "Error opening input files", "Error opening input file",
           "Conversion failed!", "Exiting normally", "received signal")


def _clean_line(line: str) -> str:
    """Strip '[ctx @ 0x..]' prefixes and a '[level]' tag: 'moov atom not found'."""
    line = _PREFIX_RE.sub("", line)
    line = _LEVEL_RE.sub("", line)
    line = _PREFIX_RE.sub("", line)
    return line.strip()


def _explain(lines: Sequence[str]) -> str:
    """The most telling line of an ffmpeg log, for an error sentence."""
    cleaned = [_clean_line(ln) for ln in lines]
    cleaned = [c for c in cleaned if c and not any(c.startswith(b) for b in _BORING)]
    if not cleaned:
        return "no message"
    for c in reversed(cleaned):
        if "Error opening input:" in c or "Error opening output" in c:
            return c.split(":", 1)[1].strip() if c.startswith("Error opening input:") else c
    return cleaned[-1]


def _popen_kwargs() -> dict:
    # ffmpeg runs in its own process group: a Ctrl-C, SIGHUP or console close reaches mp4fix only, which
    # stops ffmpeg itself (run() kills it on cancel and on any exception), so what is left on disk is decided
    # in one place and no ffmpeg outlives its mp4fix
    kw: dict = {}
    if os.name == "nt":  # no console window flashing up under the GUI
        kw["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0) | \
            getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    else:
        kw["start_new_session"] = True
    return kw


def run(args: Sequence[str], *, exe: str | None = None, timeout: float | None = None,
        cancel: CancelToken | None = None, on_stdout_line: Callable[[str], None] | None = None,
        on_stderr_line: Callable[[str], None] | None = None, check: bool = True, what: str | None = None,
        banner: bool = True) -> RunResult:
    """Run ``ffmpeg ARGS`` and capture its output.

    ``-hide_banner -nostdin`` are added in front (unless ``banner=False``). Stdout is collected as bytes, or
    handed line by line to ``on_stdout_line``; stderr lines are handed to ``on_stderr_line`` and the last
    ones kept. On ``timeout`` (seconds) ffmpeg is killed and ``FFmpegError`` raised; when ``cancel`` fires
    it is killed within ~50 ms and ``CancelledError`` raised. With ``check`` a non-zero exit raises
    ``FFmpegError`` naming ``what`` ffmpeg was doing and its most telling message.
    """
    exe = exe or ffmpeg_exe()
    what = what or _("running")
    cmd = [exe] + (["-hide_banner", "-nostdin"] if banner else []) + [str(a) for a in args]
    if cancel is not None and cancel.cancelled:
        raise CancelledError(_("Cancelled before ffmpeg started {what}.", what=what))
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                **_popen_kwargs())
    except OSError as e:
        raise FFmpegError(_("ffmpeg could not be started ({exe}): {reason}.", exe=exe, reason=e.strerror or e)) from e

    out_chunks: list[bytes] = []
    err_lines: collections.deque[str] = collections.deque(maxlen=_STDERR_KEEP)
    err_total = [0]
    callback_error: list[BaseException] = []

    def read_stdout() -> None:
        assert proc.stdout is not None
        try:
            if on_stdout_line is None:
                while True:
                    chunk = proc.stdout.read(65536)
                    if not chunk:
                        break
                    out_chunks.append(chunk)
            else:
                for raw in proc.stdout:
                    if callback_error:
                        continue  # keep draining so ffmpeg never blocks
                    try:
                        on_stdout_line(raw.decode("utf-8", "replace").rstrip("\r\n"))
                    except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
                        callback_error.append(e)
        except (OSError, ValueError):
            pass

    def read_stderr() -> None:
        assert proc.stderr is not None
        try:
            for raw in proc.stderr:
                # ffmpeg ends progress lines with \r; split them so nothing is glued together
                for part in raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                    if not part.strip():
                        continue
                    err_total[0] += 1
                    err_lines.append(part)
                    if on_stderr_line is not None and not callback_error:
                        try:
                            on_stderr_line(part)
                        except BaseException as e:  # noqa: BLE001
                            callback_error.append(e)
        except (OSError, ValueError):
            pass

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for t in readers:
        t.start()

    deadline = None if timeout is None else start + timeout
    outcome = "done"
    try:
        while True:
            try:
                proc.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                pass
            if cancel is not None and cancel.cancelled:
                outcome = "cancelled"
            elif deadline is not None and time.monotonic() > deadline:
                outcome = "timeout"
            elif callback_error:
                outcome = "callback"
            if outcome != "done":
                _kill(proc)
                break
    except BaseException:  # KeyboardInterrupt, SystemExit from a signal handler: never leave ffmpeg running
        _kill(proc)
        raise
    if outcome == "done" and cancel is not None and cancel.cancelled:
        outcome = "cancelled"  # ffmpeg ended as the cancel came: the caller asked to stop, and hears so
    for t in readers:
        t.join(timeout=5)
    for stream in (proc.stdout, proc.stderr):
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
    elapsed = time.monotonic() - start
    result = RunResult(cmd, proc.returncode if proc.returncode is not None else -1, b"".join(out_chunks),
                       list(err_lines), err_total[0], elapsed)
    if outcome == "cancelled":
        raise CancelledError(_("Cancelled: ffmpeg was stopped while {what}.", what=what))
    if outcome == "timeout":
        raise FFmpegError(_("ffmpeg took longer than {seconds:g} s while {what} and was stopped.", seconds=timeout,
                            what=what),
                          detail=_trim_log(result.stderr_lines))
    if callback_error:
        raise callback_error[0]
    if check and result.returncode != 0:
        raise FFmpegError(_("ffmpeg failed while {what}: {reason}.", what=what,
                            reason=_explain(result.stderr_lines)).replace("..", "."),
                          detail=_trim_log(result.stderr_lines))
    return result


def _kill(proc: subprocess.Popen) -> None:
    try:
        proc.kill()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass


def _trim_log(lines: Sequence[str], head: int = _LOG_HEAD, tail: int = _LOG_TAIL) -> str:
    lines = list(lines)
    if len(lines) <= head + tail:
        return "\n".join(lines)
    skipped = len(lines) - head - tail
    return "\n".join(lines[:head] + [f"... {skipped} lines omitted ..."] + lines[-tail:])


def _graph_args(graph, *global_args: str) -> list[str]:
    """The ffmpeg arguments of an ffmpeg-python graph, with global options in front."""
    return list(global_args) + graph.get_args()


def _input(path: str | os.PathLike) -> str:
    """``file:`` + the path, so names with ':' or '|' or a leading '-' are never read as protocols/options."""
    return "file:" + os.fspath(path)


# --- probe ----------------------------------------------------------------------------------------


@dataclass
class StreamInfo:
    index: int
    kind: str  # 'video', 'audio', 'data', 'subtitle', 'attachment', ...
    codec: str  # ffmpeg's codec name: 'h264', 'hevc', 'aac', 'none'
    codec_tag: str = ""  # fourcc as ffmpeg shows it: 'avc1', 'hvc1', 'mp4a', 'tmcd'
    profile: str = ""  # 'High', 'Main', 'LC'
    id: int | None = None  # container id: the MP4 track_ID
    language: str = ""
    width: int = 0
    height: int = 0
    fps: float | None = None
    pix_fmt: str = ""
    sample_rate: int = 0
    channels: int = 0
    channel_layout: str = ""
    sample_fmt: str = ""
    bitrate: int | None = None  # bit/s
    default: bool = False
    metadata: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the stream line as ffmpeg printed it


@dataclass
class MediaInfo:
    path: str
    format: str = ""  # demuxer names: 'mov,mp4,m4a,3gp,3g2,mj2'
    duration: float | None = None  # seconds
    start: float | None = None
    bitrate: int | None = None  # bit/s
    streams: list[StreamInfo] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # why ffmpeg could not open it: 'moov atom not found'
    warnings: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.streams)

    @property
    def moov_missing(self) -> bool:
        return bool(self.error) and "moov atom not found" in self.error

    @property
    def video(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "video"]

    @property
    def audio(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "audio"]


_INPUT_RE = re.compile(r"^\s*Input #\d+, (.+), from '(.*)':\s*$")
_DURATION_RE = re.compile(r"^\s*Duration: ([^,]+)(?:, start: ([-\d.]+))?(?:, bitrate: (\d+|N/A)(?: kb/s)?)?")
_STREAM_RE = re.compile(r"^\s*Stream #\d+:(\d+)(?:\[(0x[0-9a-fA-F]+|\d+)\])?(?:\(([^)]*)\))?: (\w+): (.*)$")
_TAG_RE = re.compile(r"^(\S{1,4}|\[\d+\]\S*) / 0x[0-9a-fA-F]+$")
_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4, "quad": 4,
                    "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6, "5.1(side)": 6,
                    "6.0": 6, "6.0(front)": 6, "hexagonal": 6, "6.1": 7, "6.1(back)": 7, "6.1(front)": 7,
                    "7.0": 7, "7.0(front)": 7, "7.1": 8, "7.1(wide)": 8, "7.1(wide-side)": 8, "octagonal": 8,
                    "downmix": 2, "22.2": 24}
_LEADING_LEVEL_RE = re.compile(r"^\[(?:panic|fatal|error|warning|info|verbose|debug|trace)\] ")
_ERROR_HINTS = ("moov atom not found", "Invalid data found when processing input", "No such file or directory",
                "Permission denied", "Is a directory", "does not contain any stream", "Unknown format")


def _parse_clock(text: str) -> float | None:
    m = re.match(r"^\s*(-)?(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*$", text)
    if not m:
        return None
    v = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + float(m.group(4))
    return -v if m.group(1) else v


def _split_top(text: str) -> list[str]:
    """Split on commas outside () and []."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        if ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if cur:
        parts.append("".join(cur).strip())
    return [p for p in parts if p]


def _parse_rate(num: str, suffix: str | None) -> float:
    v = float(num)
    return v * 1000 if suffix == "k" else v


def _parse_stream(m: re.Match) -> StreamInfo:
    index = int(m.group(1))
    sid = None
    if m.group(2):
        try:
            sid = int(m.group(2), 0)
        except ValueError:
            sid = None
    kind = m.group(4).lower()
    desc = m.group(5)
    st = StreamInfo(index=index, kind=kind, codec="", id=sid, language=m.group(3) or "", raw=m.group(0).strip())
    st.default = "(default)" in desc
    parts = _split_top(desc)
    if not parts:
        return st
    # first part: "h264 (High) (avc1 / 0x31637661)" or "aac (LC) (mp4a / 0x6134706D)" or "none (tmcd / 0x..)"
    head = parts[0]
    cm = re.match(r"^(\S+)\s*(.*)$", head)
    if cm:
        st.codec = cm.group(1)
        for group in re.findall(r"\(([^()]*)\)", cm.group(2)):
            group = group.strip()
            if _TAG_RE.match(group):
                st.codec_tag = group.split(" / ")[0]
            elif not st.profile:
                st.profile = group
    rest = parts[1:]
    for p in rest:
        bm = re.match(r"^(\d+(?:\.\d+)?) kb/s", p)
        if bm:
            st.bitrate = int(float(bm.group(1)) * 1000)
            continue
        if kind == "video":
            sm = re.search(r"(?<![\w.])(\d{1,5})x(\d{1,5})(?![\w.])", p)
            if sm and not st.width:
                st.width, st.height = int(sm.group(1)), int(sm.group(2))
                continue
            fm = re.match(r"^(\d+(?:\.\d+)?)(k)? fps$", p)
            if fm:
                st.fps = _parse_rate(fm.group(1), fm.group(2))
                continue
            tm = re.match(r"^(\d+(?:\.\d+)?)(k)? tbr$", p)
            if tm and st.fps is None:
                st.fps = _parse_rate(tm.group(1), tm.group(2))
                continue
            if not st.pix_fmt and re.match(r"^[a-z][a-z0-9_]*(\(.*\))?$", p) and not p.endswith(("tbn", "tbc")):
                st.pix_fmt = p.split("(")[0]
        elif kind == "audio":
            hm = re.match(r"^(\d+) Hz$", p)
            if hm:
                st.sample_rate = int(hm.group(1))
                continue
            if not st.channel_layout and st.sample_rate:
                st.channel_layout = p
                cm2 = re.match(r"^(\d+) channels", p)
                if cm2:
                    st.channels = int(cm2.group(1))
                else:
                    st.channels = _LAYOUT_CHANNELS.get(p, _LAYOUT_CHANNELS.get(p.split("(")[0], 0))
                continue
            if st.channel_layout and not st.sample_fmt and re.match(r"^[a-z][a-z0-9]*$", p):
                st.sample_fmt = p
    return st


def parse_probe_output(text: str, path: str = "") -> MediaInfo:
    """Parse the stderr of ``ffmpeg -i FILE``. Never raises: odd lines are ignored."""
    info = MediaInfo(path=path)
    lines = text.replace("\r", "\n").split("\n")
    saw_input = False
    meta_target: dict[str, str] | None = None
    meta_indent = -1
    errors: list[str] = []
    by_index: dict[int, StreamInfo] = {}
    last_stream: StreamInfo | None = None
    for line in lines:
        try:
            if not line.strip():
                continue
            lm = _LEADING_LEVEL_RE.match(line)
            if lm:  # "-v level+info" puts "[info] " in front of the dump lines
                line = line[lm.end():]
            indent = len(line) - len(line.lstrip(" "))
            stripped = line.strip()
            m = _INPUT_RE.match(line)
            if m:
                saw_input = True
                info.format = m.group(1)
                meta_target = None
                continue
            if meta_target is not None:
                if indent > meta_indent and ":" in stripped and not stripped.startswith(("Stream #", "Duration:")):
                    key, _, value = stripped.partition(":")
                    key = key.strip()
                    if key:
                        if key in meta_target:  # continued multi-line value
                            meta_target[key] += "\n" + value.strip()
                        else:
                            meta_target[key] = value.strip()
                    continue
                meta_target = None
            if stripped == "Metadata:" and saw_input:
                meta_indent = indent
                meta_target = last_stream.metadata if last_stream is not None and indent > 2 else info.metadata
                continue
            dm = _DURATION_RE.match(line)
            if dm and saw_input:
                info.duration = _parse_clock(dm.group(1))
                if dm.group(2):
                    try:
                        info.start = float(dm.group(2))
                    except ValueError:
                        pass
                if dm.group(3) and dm.group(3) != "N/A":
                    info.bitrate = int(dm.group(3)) * 1000
                continue
            sm = _STREAM_RE.match(line)
            if sm and saw_input:
                st = _parse_stream(sm)
                by_index[st.index] = st
                last_stream = st
                continue
            if "[error]" in line or "[fatal]" in line or any(h in line for h in _ERROR_HINTS):
                cleaned = _clean_line(line)
                if cleaned and not any(cleaned.startswith(b) for b in _BORING):
                    errors.append(cleaned)
            elif "[warning]" in line:
                info.warnings.append(_clean_line(line))
        except Exception:  # noqa: BLE001 - a weird line must never break probing
            continue
    info.streams = [by_index[k] for k in sorted(by_index)]
    if not saw_input or not info.streams:
        if errors:
            # prefer the specific cause ('moov atom not found') over the generic summary
            specific = [e for e in errors if not e.startswith("Error opening input")]
            if specific:
                info.error = specific[0]
            else:
                e = errors[-1]
                info.error = e.split(":", 1)[1].strip() if ":" in e else e
        elif not saw_input:
            info.error = _explain(lines) if any(ln.strip() for ln in lines) else i18n._("ffmpeg printed nothing")
        else:
            info.error = i18n._("no streams found")
    return info


def probe(path: str | os.PathLike, *, timeout: float = PROBE_TIMEOUT, exe: str | None = None) -> MediaInfo:
    """What ffmpeg sees in ``path``. Never raises for a bad file: ``MediaInfo.error`` says what is wrong.

    Raises ``FFmpegError`` only when ffmpeg itself cannot be run or takes longer than ``timeout``.
    """
    res = run(["-v", "level+info", "-i", _input(path)], exe=exe, timeout=timeout, check=False,
              what=_("opening {name}", name=os.path.basename(os.fspath(path))))
    text = "\n".join(res.stderr_lines)
    info = parse_probe_output(text, os.fspath(path))
    info.log = _trim_log(res.stderr_lines)
    return info


# --- thumbnail ------------------------------------------------------------------------------------

_PNG_SIG = b"\x89PNG\r\n\x1a\n"


def _split_pngs(data: bytes) -> list[bytes]:
    """Split concatenated PNG files (image2pipe output) by walking their chunks."""
    out, pos = [], 0
    while data.startswith(_PNG_SIG, pos):
        p = pos + 8
        while p + 8 <= len(data):
            length = int.from_bytes(data[p:p + 4], "big")
            ctype = data[p + 4:p + 8]
            p += 12 + length
            if ctype == b"IEND":
                break
        out.append(data[pos:p])
        pos = p
    return out


def thumbnail(path: str | os.PathLike, at: float | str = "first", width: int = 320, *,
              timeout: float = THUMBNAIL_TIMEOUT, cancel: CancelToken | None = None,
              exe: str | None = None) -> bytes:
    """PNG bytes of one decoded video frame, ``width`` pixels wide (aspect kept, even height).

    ``at``: seconds from the start, ``'first'``, or ``'last'`` (the last frame ffmpeg can decode).
    Raises ``FFmpegError`` when there is no video or no frame there.
    """
    exe = exe or ffmpeg_exe()
    name = os.path.basename(os.fspath(path))
    width = max(int(width), 2)
    pre: list[str] = []
    if at == "last":
        info = probe(path, exe=exe, timeout=min(timeout, PROBE_TIMEOUT))
        if info.duration and info.duration > 2.5:
            pre = ["-ss", f"{info.duration - 2.0:.3f}"]
    elif at != "first":
        try:
            seconds = float(at)
        except (TypeError, ValueError):
            raise FFmpegError(_("A thumbnail position must be seconds, 'first' or 'last', not {value!r}.",
                                value=at)) from None
        if seconds > 0:
            pre = ["-ss", f"{seconds:.3f}"]
    source = ffmpeg_python.input(_input(path), **{k.lstrip("-"): v for k, v in zip(pre[0::2], pre[1::2])})
    picture = source["v:0"].filter("scale", width, -2, flags="bilinear")
    what = _("making a thumbnail of {name}", name=name)
    if at == "last":
        # every decoded frame overwrites one file (-update 1): memory stays flat however long the tail is
        with tempfile.TemporaryDirectory(prefix="mp4fix-thumb-") as tmp:
            out = os.path.join(tmp, "last.png")
            args = _graph_args(ffmpeg_python.output(picture, "file:" + out, **{"c:v": "png", "update": 1}),
                               "-v", "error", "-y")
            res = run(args, exe=exe, timeout=timeout, cancel=cancel, check=False, what=what)
            data = Path(out).read_bytes() if os.path.isfile(out) else b""
        pngs = _split_pngs(data)
    else:
        args = _graph_args(ffmpeg_python.output(picture, "-", f="image2pipe", **{"c:v": "png", "frames:v": 1}),
                           "-v", "error")
        res = run(args, exe=exe, timeout=timeout, cancel=cancel, check=False, what=what)
        pngs = _split_pngs(res.stdout)
    if not pngs:
        why = _explain(res.stderr_lines) if res.stderr_lines else _("no video frame was decoded there")
        if any("matches no streams" in ln for ln in res.stderr_lines):
            why = _("it has no video")
        raise FFmpegError(_("No thumbnail could be made of {name}: {reason}.", name=name,
                            reason=why).replace("..", "."))
    return pngs[0]
