"""The sentences of the engine, the report and the command line in the user's language (mp4fix.i18n).

Every template in the source has a Japanese translation with the same named fields; no error a person sees
is made from a plain string; the command line speaks the locale's language or --lang's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import i18n_messages as messages
from mp4fix import i18n

SRC = Path(__file__).resolve().parents[1] / "src"
JA_PO = messages.CATALOGUES / "mp4fix_ja.po"


@pytest.fixture
def japanese():
    i18n.set_language("ja")
    try:
        yield
    finally:
        i18n.set_language("en")


# --- the catalogue covers the source ---------------------------------------------------------------


def test_every_engine_message_template_has_a_japanese_translation():
    used = messages.templates()
    assert len(used) > 200  # the sweep found the engine's sentences, not a handful
    catalogue = i18n.read_po(JA_PO)
    missing = [k for k in used if not catalogue.get(k)]
    assert not missing, f"untranslated (python tests/i18n_messages.py --update, then translate): {missing}"
    wrong_fields = []
    for key in used:
        english = set().union(*(messages.fields(t) for t in (key if isinstance(key, tuple) else (key,))))
        for text in catalogue[key] if isinstance(key, tuple) else [catalogue[key]]:
            if not messages.fields(text) <= english or (not isinstance(key, tuple)
                                                        and messages.fields(text) != english):
                wrong_fields.append((key, text))
    assert not wrong_fields, wrong_fields


def test_the_catalogue_has_nothing_the_source_no_longer_says():
    used = messages.templates()
    stale = [k for k in i18n.read_po(JA_PO) if k != "" and k not in used]
    assert not stale, f"stale entries (python tests/i18n_messages.py --update): {stale}"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_the_catalogue_is_a_valid_po_file():
    proc = subprocess.run(["msgfmt", "--check", "-o", os.devnull, str(JA_PO)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_every_error_a_person_sees_is_made_from_a_template():
    assert messages.untranslated_errors() == []
    assert messages.non_literal_templates() == []


def test_no_function_hides_the_translation_function_behind_a_variable():
    """``for _ in range(4)`` in a function that also says ``_("...")`` would fail exactly when it reports."""
    assert messages.shadowed_calls() == []


def test_the_checks_catch_what_they_are_for(tmp_path, monkeypatch):
    """The source checks above, run on a module written to break each rule once."""
    pkg = tmp_path / "mp4fix"
    pkg.mkdir()
    (pkg / "bad.py").write_text(
        "from mp4fix.errors import InputError\n"
        "from mp4fix.i18n import _\n"
        "def a(name):\n"
        "    raise InputError(f'{name} is empty.')\n"
        "def b(template):\n"
        "    return _(template)\n"
        "def c(data):\n"
        "    for _ in data:\n"
        "        pass\n"
        "    raise InputError(_('Nothing in {n}.', n=len(data)))\n", encoding="utf-8")
    monkeypatch.setattr(messages, "PACKAGE", pkg)
    monkeypatch.setattr(messages, "ROOT", tmp_path)
    assert [e.split(":")[1] for e in messages.untranslated_errors()] == ["4"]
    assert [e.split(":")[1] for e in messages.non_literal_templates()] == ["6"]
    assert messages.shadowed_calls() == ["mp4fix/bad.py:10"]
    assert "Nothing in {n}." in messages.templates()


# --- the mechanism ---------------------------------------------------------------------------------


def test_templates_fill_their_fields_and_fall_back_to_english(tmp_path, monkeypatch):
    po = tmp_path / "mp4fix_ja.po"
    po.write_text('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
                  '#, fuzzy\nmsgid "Fuzzy {x}"\nmsgstr "ファジー {x}"\n\n'
                  'msgid "Wrong {name}"\nmsgstr "間違い {nom}"\n\n'
                  'msgid ""\n"Two \\"lines\\"\\n"\n"joined"\nmsgstr "二行\\n結合"\n\n'
                  'msgid "{n} file"\nmsgid_plural "{n} files"\nmsgstr[0] "{n} 件"\n', encoding="utf-8")
    entries = i18n.read_po(po)
    assert entries['Two "lines"\njoined'] == "二行\n結合"
    assert "Fuzzy {x}" not in entries  # a fuzzy translation is not used
    assert entries[("{n} file", "{n} files")] == ["{n} 件"]
    monkeypatch.setattr(i18n, "catalogue_path", lambda lang: po)
    i18n._catalogue.cache_clear()
    i18n._plural_rule.cache_clear()
    try:
        i18n.set_language("ja")
        assert i18n._("Wrong {name}", name="x") == "Wrong x"  # a translation naming another field: English
        assert i18n._("Fuzzy {x}", x=1) == "Fuzzy 1"
        assert i18n.ngettext("{n} file", "{n} files", 3, n=3) == "3 件"
        assert i18n._("Not in the catalogue {a}", a=2) == "Not in the catalogue 2"
        assert i18n._("{braces} stay when there are no fields") == "{braces} stay when there are no fields"
        i18n.set_language("en")
        assert i18n.ngettext("{n} file", "{n} files", 1, n=1) == "1 file"
        assert i18n.ngettext("{n} file", "{n} files", 2, n=2) == "2 files"
    finally:
        i18n.set_language("en")
        i18n._catalogue.cache_clear()
        i18n._plural_rule.cache_clear()


@pytest.mark.parametrize("env, expected", [
    ({"LANG": "ja_JP.UTF-8"}, "ja"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # not spoken: English
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),  # LC_ALL wins
    ({"LC_MESSAGES": "ja_JP.eucJP", "LANG": "en_US.UTF-8"}, "ja"),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "ja_JP.UTF-8"}, "en"),
    ({"LANGUAGE": "fr:ja:en", "LANG": "fr_FR.UTF-8"}, "ja"),  # the first language of the list mp4fix speaks
    ({"LANGUAGE": "ja", "LANG": "C"}, "en"),  # gettext ignores LANGUAGE under the C locale
    ({}, "en"),
])
def test_the_language_comes_from_the_locale_as_gettext_reads_it(env, expected):
    assert i18n.language_from_environment(env) == expected


def test_engine_errors_speak_the_chosen_language(tmp_path, japanese):
    from mp4fix.diagnose import diagnose
    from mp4fix.errors import InputError

    empty = tmp_path / "clip.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputError) as err:
        diagnose(empty)
    assert str(err.value) == f"ファイル {empty} は空（0 バイト）です。復元できるものはありません。"
    i18n.set_language("en")
    with pytest.raises(InputError) as err:
        diagnose(empty)
    assert str(err.value) == f"The file {empty} is empty (0 bytes): there is nothing to recover."


# --- the command line, as a user types it ----------------------------------------------------------


def mp4fix(*args, env_lang: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(env_lang or {"LANG": "C.UTF-8"}, PYTHONPATH=str(SRC), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "mp4fix", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", timeout=600, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def test_the_command_line_speaks_japanese_in_a_japanese_locale(tmp_path, fixture_path):
    empty = tmp_path / "clip.mp4"
    empty.write_bytes(b"")
    proc = mp4fix("repair", empty, "--ref", fixture_path("tiny"), env_lang={"LANG": "ja_JP.UTF-8"})
    assert proc.returncode == 2  # the same exit code in every language
    # the sentence names the file once (the path holds its name: no "clip.mp4:" in front)
    assert proc.stderr.strip() == f"mp4fix: ファイル {empty} は空（0 バイト）です。復元できるものはありません。"
    proc = mp4fix("repair", env_lang={"LANG": "ja_JP.UTF-8"})  # argparse's own words too
    assert proc.returncode == 2 and "使い方: mp4fix repair" in proc.stderr and "次の引数が必要です" in proc.stderr
    proc = mp4fix("--help", env_lang={"LC_ALL": "ja_JP.UTF-8"})
    assert "例:" in proc.stdout and "終了コード:" in proc.stdout and "<name>_fixed.<ext>" in proc.stdout


def test_lang_option_wins_over_the_locale(tmp_path, fixture_path):
    empty = tmp_path / "clip.mp4"
    empty.write_bytes(b"")
    proc = mp4fix("repair", empty, "--ref", fixture_path("tiny"), "--lang", "en", env_lang={"LANG": "ja_JP.UTF-8"})
    assert proc.returncode == 2 and "is empty (0 bytes)" in proc.stderr
    proc = mp4fix("--lang", "ja", "repair", empty, "--ref", fixture_path("tiny"))
    assert proc.returncode == 2 and "空（0 バイト）" in proc.stderr
    proc = mp4fix("repair", empty, "--ref", fixture_path("tiny"), "--lang", "xx")
    assert proc.returncode == 2 and "--lang" in proc.stderr and "Traceback" not in proc.stderr


def test_the_report_and_probe_speak_japanese(fixture_path, broken_file):
    broken, _cut = broken_file("avc_nobf_aac44m", "mdat60")
    proc = mp4fix("repair", broken, "--ref", fixture_path("avc_nobf_aac44m_ref"), "--lang", "ja")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"{broken.name} を修復しました -> " in out
    assert "トラック 1 映像 avc1:" in out and "トラック 2 音声 mp4a:" in out and "キーフレーム" in out
    assert "結果: 完全に修復" in out and "確認: ffmpeg で結果をエラーなしでデコードできます" in out
    proc = mp4fix("probe", broken, "--lang", "ja")
    assert proc.returncode == 0, proc.stderr
    assert "インデックス（moov）: なし" in proc.stdout
    assert "診断: インデックス（moov）がありません" in proc.stdout
    proc = mp4fix("probe", fixture_path("avc_nobf_aac44m_ref"), "--lang", "ja")
    assert "トラック 2: 音声 mp4a 44100 Hz、モノラル、" in proc.stdout and "mp4fix で再構築できます" in proc.stdout
