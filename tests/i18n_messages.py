#!/usr/bin/env python3
"""The sentences mp4fix says outside the app's window (engine, report, command line), read from the source.

Every sentence is a template marked with ``_()``, ``ngettext()`` or ``N_()`` (see src/mp4fix/i18n.py).
This module finds them with Python's own parser, and finds what would escape translation: an error raised
with a plain string or an f-string, a template that is not a literal, a function that uses ``_`` as a
variable name and so hides the translation function. tests/test_i18n.py asserts all of that.

    python tests/i18n_messages.py                  # what is missing or stale in each catalogue
    python tests/i18n_messages.py --update         # add the missing templates (empty) and drop stale ones

After --update, translate the new entries of resources/i18n/mp4fix_<lang>.po (any .po editor, or by hand).
"""

from __future__ import annotations

import argparse
import ast
import functools
import string
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "mp4fix"
CATALOGUES = ROOT / "resources" / "i18n"
sys.path.insert(0, str(ROOT / "src"))

from mp4fix import i18n  # noqa: E402

# the errors a person sees (mp4fix.errors); BitstreamError and BoxError are internal
PUBLIC_ERRORS = frozenset({"Mp4fixError", "InputError", "NotBrokenError", "ReferenceError_", "OutputError",
                           "MismatchError", "NothingRecoveredError", "UnsupportedCodecError", "CancelledError",
                           "FFmpegError"})
MARKERS = ("_", "N_", "ngettext")
QT_FREE_GUI_MODULES = ("system_libs.py",)  # speaks before Qt starts, through mp4fix.i18n
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
           ast.GeneratorExp)


def source_files() -> list[Path]:
    """Everything outside the app's window: the engine, the report, the command line (not gui/, which uses
    Qt's translator)."""
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if "gui" not in p.relative_to(PACKAGE).parts or p.name in QT_FREE_GUI_MODULES)


@functools.lru_cache(maxsize=None)
def _parsed(path: Path, mtime: float) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def parse(path: Path) -> ast.Module:
    """The module's syntax tree (parsed once per version of the file)."""
    return _parsed(path, path.stat().st_mtime)


def _marker(call: ast.Call) -> str | None:
    f = call.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
    return name if name in MARKERS else None


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _n_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to ``N_("...")``: ``_(NAME)`` translates them."""
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and _marker(node.value) == "N_":
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def templates() -> dict:
    """``{msgid: [where, ...], (singular, plural): [where, ...]}`` of every marked template."""
    found: dict = {}
    for path in source_files():
        tree = parse(path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _marker(node) is None or not node.args:
                continue
            where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
            if _marker(node) == "ngettext":
                one, many = (_literal(a) for a in node.args[:2]) if len(node.args) >= 2 else (None, None)
                if one is not None and many is not None:
                    found.setdefault((one, many), []).append(where)
            elif _literal(node.args[0]) is not None:
                found.setdefault(_literal(node.args[0]), []).append(where)
    return found


def non_literal_templates() -> list[str]:
    """``_()`` calls whose template is computed: no catalogue can hold it."""
    bad = []
    for path in source_files():
        tree = parse(path)
        constants = _n_constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _marker(node) and node.args:
                first = node.args[0]
                if _literal(first) is None and not (isinstance(first, ast.Name) and first.id in constants):
                    if path.name == "cli.py" and isinstance(first, ast.Name):  # argparse's own words, passed on
                        continue
                    if path.name == "i18n.py":  # the translation functions themselves
                        continue
                    bad.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}: {ast.unparse(node)[:90]}")
    return bad


def _is_translated(node) -> bool:
    if isinstance(node, ast.Call) and _marker(node) in ("_", "ngettext"):
        return True
    # _("...").replace("..", ".") and the like
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and _is_translated(node.func.value))


def untranslated_errors() -> list[str]:
    """Errors a person sees, made with a sentence that is not a template (a plain or f-string)."""
    bad = []
    for path in source_files():
        tree = parse(path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in PUBLIC_ERRORS:
                msg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "message"),
                                                          None)
                if msg is None or _is_translated(msg):
                    continue
                if isinstance(msg, (ast.Name, ast.Attribute)):  # a sentence made elsewhere (exc.message)
                    continue
                bad.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}: {ast.unparse(msg)[:90]}")
    return bad


def shadowed_calls() -> list[str]:
    """``_()`` calls that would not reach the translation function, because their function (or an enclosing
    one, or a comprehension) binds ``_`` as a variable (``for _ in ...``, ``a, _ = ...``): they would raise
    UnboundLocalError exactly when the error is to be reported. Such functions call ``i18n._()``."""

    def own_nodes(node):
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _SCOPES + (ast.ClassDef,)):
                yield from own_nodes(child)

    def binds(scope) -> bool:
        if isinstance(scope, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            roots = [g.target for g in scope.generators]
        else:
            a = scope.args
            if any(x is not None and x.arg == "_" for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg,
                                                            a.kwarg]):
                return True
            roots = scope.body if isinstance(scope.body, list) else [scope.body]
        return any(isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store)
                   for r in roots if not isinstance(r, _SCOPES + (ast.ClassDef,)) for n in own_nodes(r))

    bad = []

    def visit(node, stack, path):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_" \
                and any(binds(s) for s in stack):
            bad.append(f"{path.relative_to(ROOT).as_posix()}:{node.lineno}")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                visit(child, stack + [child], path)
            elif isinstance(child, ast.ClassDef):
                visit(child, [], path)
            else:
                visit(child, stack, path)

    for path in source_files():
        visit(parse(path), [], path)
    return bad


def fields(template: str) -> set[str]:
    """The named fields of a template (``{name}``, ``{n:>12}`` -> {'name', 'n'})."""
    out = set()
    for _text, name, _spec, _conv in string.Formatter().parse(template):
        if name is not None:
            out.add(name.split(".")[0].split("[")[0])
    return out


# --- the .po files ---------------------------------------------------------------------------------


def _quote(text: str) -> str:
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\n", "\\n")
    return f'"{body}"'


def _po_lines(key: str, value) -> list[str]:
    def field(name: str, text: str) -> list[str]:
        if len(text) <= 70 and "\n" not in text[:-1]:
            return [f"{name} {_quote(text)}"]
        parts, cur = [], ""
        for word in text.replace("\n", "\n\0").split(" "):
            piece = (word + " ").replace("\0", "")
            if cur and len(cur) + len(piece) > 76:
                parts.append(cur)
                cur = ""
            cur += piece
        cur = cur[:-1]
        parts.append(cur)
        return [f'{name} ""'] + [_quote(p) for p in parts if p]

    if isinstance(key, tuple):
        lines = field("msgid", key[0]) + field("msgid_plural", key[1])
        forms = value if isinstance(value, list) else [""]
        for i, form in enumerate(forms):
            lines += field(f"msgstr[{i}]", form)
        return lines
    return field("msgid", key) + field("msgstr", value or "")


PLURALS = {"ja": "nplurals=1; plural=0;"}


def write_po(path: Path, lang: str, entries: dict, where: dict) -> None:
    """Write a catalogue: the header, then each template in source order, with where it is used."""
    plural = PLURALS.get(lang, "nplurals=2; plural=(n != 1);")
    header = entries.get("") or ("Project-Id-Version: mp4fix\nMIME-Version: 1.0\n"
                                 "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
                                 f"Language: {lang}\nPlural-Forms: {plural}\n")
    out = ["# mp4fix: the engine's, the report's and the command line's sentences "
           f"({i18n.LANGUAGE_NAMES.get(lang, lang)}).",
           "# Made by tests/i18n_messages.py --update; translate each msgstr (the {names} stay as they are).",
           'msgid ""', 'msgstr ""'] + [_quote(line + "\n") for line in header.strip("\n").split("\n")] + [""]

    def first_use(key) -> tuple[str, int]:
        return min((w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where[key])

    order = sorted(where, key=first_use)
    for key in order:
        out += ["#: " + " ".join(sorted(where[key])[:3])]
        out += _po_lines(key, entries.get(key, [""] if isinstance(key, tuple) else ""))
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")


def read_catalogue(path: Path) -> dict:
    """Every entry of a .po, translated or not (``i18n.read_po`` leaves the empty ones out)."""
    if not path.is_file():
        return {}
    entries = i18n.read_po(path)
    return entries


def status(lang: str) -> tuple[list, list]:
    """(templates without a translation, catalogue entries no template uses)."""
    used = templates()
    cat = read_catalogue(CATALOGUES / f"mp4fix_{lang}.po")
    missing = [k for k in used if not cat.get(k)]
    stale = [k for k in cat if k != "" and k not in used]
    return missing, stale


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--update", action="store_true", help="add missing templates, drop stale ones")
    args = ap.parse_args(argv)
    used = templates()
    for lang in i18n.LANGUAGES:
        if lang == i18n.DEFAULT:
            continue
        path = CATALOGUES / f"mp4fix_{lang}.po"
        missing, stale = status(lang)
        print(f"{path.relative_to(ROOT)}: {len(used)} templates, {len(missing)} untranslated, {len(stale)} stale")
        for k in missing:
            print(f"  untranslated: {k!r}")
        for k in stale:
            print(f"  stale: {k!r}")
        if args.update:
            write_po(path, lang, read_catalogue(path), used)
    for problem in untranslated_errors() + non_literal_templates() + shadowed_calls():
        print(f"  not translatable: {problem}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
