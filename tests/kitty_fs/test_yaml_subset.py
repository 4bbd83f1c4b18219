"""The fast YAML subset against ruamel: the same document, node by node and type by type, or None.

``load_config`` reads a config in the plain subset without ruamel
(``kitty_fs._yaml_subset``) and hands every other text to ruamel's path. So
the subset reader must never disagree with ruamel about a text it accepts.
The differential tests generate documents from the subset's grammar (which it
must accept) and near misses (tricky scalars, shifted indentation, comments
and characters in odd places, duplicate keys), and compare each accepted one
with ruamel's result, types included (``True == 1`` would pass a plain ``==``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, settings
from spec_kitty_samples import LEGACY_CONFIG, PROJECT_UUID
from yaml_subset_strategies import documents, near_misses

from kitty_fs import ConfigParseError, KittyFsError, load_config, read_context
from kitty_fs._config_read import MAX_NESTING
from kitty_fs._config_values import freeze
from kitty_fs._config_yaml import parse_yaml
from kitty_fs._yaml_subset import parse_subset

REFUSED = "refused"  # what ruamel's path does with a text it will not load


def typed(value: object) -> object:
    """``value`` with the exact type of every node, keys and order included."""
    if isinstance(value, MappingProxyType):
        return ("map", tuple((typed(k), typed(v)) for k, v in value.items()))
    if isinstance(value, tuple):
        return ("seq", tuple(typed(v) for v in value))
    return (type(value).__name__, value)


def ruamel_result(text: str) -> object:
    """What ``load_config`` returned before the subset existed: ruamel's document, frozen."""
    try:
        return freeze(parse_yaml(Path("c.yaml"), "c.yaml", text.encode("utf-8")).doc)
    except KittyFsError:
        return REFUSED


def assert_agrees(text: str) -> Mapping[str, object] | None:
    """The subset's result for ``text``: ``None``, or exactly ruamel's (checked)."""
    fast = parse_subset(text, max_depth=MAX_NESTING)
    if fast is not None:
        slow = ruamel_result(text)
        assert slow != REFUSED, f"subset accepted what ruamel refuses: {text!r}"
        assert typed(fast) == typed(slow), text
    return fast


@pytest.mark.slow  # hundreds of examples: dealt out first (suite_order)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_documents_of_the_subset_grammar_read_exactly_as_ruamel_reads_them(text: str) -> None:
    assert assert_agrees(text) is not None, f"a text of the subset was refused: {text!r}"


@pytest.mark.slow  # hundreds of examples: dealt out first (suite_order)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(near_misses())
def test_near_misses_are_refused_or_read_exactly_as_ruamel_reads_them(text: str) -> None:
    assert_agrees(text)


# (scalar as written after "k: ", what the subset reads or RUAMEL: it leaves the text to ruamel)
RUAMEL = "<left to ruamel>"
SCALAR_EXAMPLES: list[tuple[str, object]] = [
    (PROJECT_UUID, PROJECT_UUID),
    ("3ebbf95f-c987-5565-b8b6-6debe8cdfd43", "3ebbf95f-c987-5565-b8b6-6debe8cdfd43"),
    ("1234567e-1234-5678-1234-567812345678", "1234567e-1234-5678-1234-567812345678"),
    ("1234567e-123e-567e-123e-567812345678", RUAMEL),  # each dash after an 'e'
    ("0", 0),
    ("42", 42),
    ("-7", -7),
    ("123456789012345678901234567890", 123456789012345678901234567890),
    ("20240101", 20240101),
    ("-0", RUAMEL),
    ("+1", RUAMEL),
    ("007", RUAMEL),
    ("0x1f", RUAMEL),
    ("0o17", RUAMEL),
    ("0b101", RUAMEL),
    ("1_000", RUAMEL),
    ("1.5", RUAMEL),
    ("1.", RUAMEL),
    ("1e3", RUAMEL),
    ("1e-3", RUAMEL),
    ("1E+3", RUAMEL),
    ("1.2.3", RUAMEL),
    (".5", RUAMEL),
    (".inf", RUAMEL),
    ("-.inf", RUAMEL),
    (".nan", RUAMEL),
    ("2024-01-01", RUAMEL),
    ("2024-1-1", RUAMEL),
    ("2001-12-14t21:59:43.10-05:00", RUAMEL),
    ("1-2", "1-2"),
    ("1 2", "1 2"),
    ("1:30", "1:30"),
    ("1e", RUAMEL),
    ("true", True),
    ("false", False),
    ("True", RUAMEL),
    ("TRUE", RUAMEL),
    ("False", RUAMEL),
    ("null", None),
    ("~", None),
    ("Null", RUAMEL),
    ("NULL", RUAMEL),
    ("yes", RUAMEL),
    ("no", RUAMEL),
    ("on", RUAMEL),
    ("off", RUAMEL),
    ("y", RUAMEL),
    ("N", RUAMEL),
    ("'yes'", "yes"),
    ('"on"', "on"),
    ("'it''s'", "it's"),
    ("''", ""),
    ('""', ""),
    ("'a # b'", "a # b"),
    ("'x'  # c", "x"),
    ('"Demo (Jira)"', "Demo (Jira)"),
    ('"a\\tb"', RUAMEL),
    ('"x"#c', RUAMEL),
    ("keep me  # c", "keep me"),
    ("keep  me", "keep  me"),
    ("x #", "x"),
    ("x#c", RUAMEL),
    ("x:y", "x:y"),
    ("https://example.invalid/a", "https://example.invalid/a"),
    ("/usr/bin", "/usr/bin"),
    ("_x", "_x"),
    ("a - b", "a - b"),
    ("b: c", RUAMEL),
    ("b:", RUAMEL),
    ("-x", RUAMEL),
    ("- x", RUAMEL),
    ("&a x", RUAMEL),
    ("*a", RUAMEL),
    ("!!str 1", RUAMEL),
    ("!tag x", RUAMEL),
    ("[a]", RUAMEL),
    ("{a: 1}", RUAMEL),
    ("|", RUAMEL),
    (">", RUAMEL),
    ("? x", RUAMEL),
    ("=", RUAMEL),
    ("<<", RUAMEL),
    ("@x", RUAMEL),
    ("`x", RUAMEL),
    ("%x", RUAMEL),
    ("caf\u00e9", RUAMEL),
]


@pytest.mark.parametrize(("written", "read"), SCALAR_EXAMPLES, ids=[w for w, _ in SCALAR_EXAMPLES])
def test_tricky_scalars(written: str, read: object) -> None:
    fast = assert_agrees(f"k: {written}\n")
    if read == RUAMEL:
        assert fast is None, f"{written!r} was read as {fast!r}"
    else:
        assert fast is not None, f"{written!r} was left to ruamel"
        assert typed(fast["k"]) == typed(read)


# Whole texts: what the subset does with each (a document, or None: ruamel decides).
TEXT_EXAMPLES: dict[str, tuple[str, object]] = {
    "empty": ("", {}),
    "comments only": ("# a\n  # b\n\n", {}),
    "bom": ("\ufeffa: 1\n", {"a": 1}),
    "no final newline": ("a:\n  b: x", {"a": {"b": "x"}}),
    "empty value": ("a:\nb: 1\n", {"a": None, "b": 1}),
    "list at the key's column": ("a:\n- x\n- 2\nb: 1\n", {"a": ("x", 2), "b": 1}),
    "list indented": ("a:\n   - x\n   - 'y'\n", {"a": ("x", "y")}),
    "comment between key and block": ("a:  # c\n# d\n  b: 1\n", {"a": {"b": 1}}),
    "duplicate key": ("a: 1\na: 2\n", None),
    "duplicate nested key": ("t:\n  a: 1\n  a: 2\n", None),
    "tab": ("a:\n\tb: 1\n", None),
    "crlf": ("a: 1\r\nb: 2\r\n", None),
    "document marker": ("---\na: 1\n", None),
    "document end": ("a: 1\n...\n", None),
    "directive": ("%YAML 1.1\n---\na: yes\n", None),
    "indented top level": ("  a: 1\n", None),
    "odd indentation": ("a:\n    b: 1\n  c: 2\n", None),
    "continuation line": ("a: x\n  y\n", None),
    "key after indented list": ("a:\n  - x\n  b: 1\n", None),
    "mapping in a list": ("a:\n- b: 1\n", None),
    "bare dash": ("a:\n-\n", None),
    "reserved key": ("true: 1\n", None),
    "quoted key": ("'a': 1\n", None),
    "flow at top": ("{a: 1}\n", None),
    "top-level list": ("- a\n", None),
    "top-level scalar": ("hello\n", None),
    "non-ascii comment": ("a: 1  # caf\u00e9\n", None),
    "nel": ("a: x\u0085y\n", None),
    "control character in a comment": ("a: 1  # \x07\n", None),
    "control character in quotes": ("a: 'x\x07'\n", None),
    "non-ascii in quotes": ("a: 'caf\u00e9'\n", None),
}


@pytest.mark.parametrize("case", sorted(TEXT_EXAMPLES))
def test_whole_texts(case: str) -> None:
    text, expected = TEXT_EXAMPLES[case]
    fast = assert_agrees(text)
    assert (None if fast is None else typed(fast)) == (
        None if expected is None else typed(freeze(expected))
    )


def _nested(levels: int) -> str:
    """A document ``levels`` mappings deep (the top-level mapping counts), in block style."""
    return "".join(f"{' ' * i}k{i}:\n" for i in range(levels - 1)) + f"{' ' * levels}x: 1\n"


def test_nesting_up_to_the_store_limit_is_read_and_deeper_goes_to_ruamel() -> None:
    assert assert_agrees(_nested(MAX_NESTING)) is not None
    assert parse_subset(_nested(MAX_NESTING + 1), max_depth=MAX_NESTING) is None
    assert ruamel_result(_nested(MAX_NESTING + 1)) == REFUSED


def test_the_shared_legacy_config_is_in_the_subset() -> None:
    fast = assert_agrees(LEGACY_CONFIG)
    assert fast is not None and fast["project"]["uuid"] == PROJECT_UUID  # type: ignore[index]


def test_a_duplicate_key_still_fails_with_the_ruamel_message(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("tracker:\n  a: 1\n  b: x\n  a: 2\n")
    with pytest.raises(ConfigParseError) as info:
        load_config(read_context(tmp_path, reason="test"), "c.yaml")
    path = tmp_path / "c.yaml"
    assert info.value.line == 4
    assert str(info.value).startswith(
        f'{path}:4: duplicate key "a" (a key may appear only once in a mapping)'
    )


PROBE = textwrap.dedent(
    """\
    import sys
    from kitty_fs import load_config, read_context
    view = load_config(read_context(sys.argv[1], reason="probe"), sys.argv[2])
    print(sorted(view))
    heavy = ("ruamel", "filelock", "kitty_fs._config_yaml", "kitty_fs._config_splice",
             "kitty_fs._config_assign", "kitty_fs._config_json")
    print(sorted(m for m in sys.modules if m.startswith(heavy)))
    """
)


def _probe(root: Path, rel: str) -> tuple[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root), rel],
        capture_output=True,
        text=True,
        check=True,
    )
    sections, loaded = done.stdout.splitlines()
    return sections, ast.literal_eval(loaded)


def test_loading_a_config_of_the_subset_imports_no_ruamel_and_no_save_machinery(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.yaml").write_text(LEGACY_CONFIG)
    (tmp_path / "config.json").write_text('{"project": {"uuid": "u"}}\n')
    (tmp_path / "flow.yaml").write_text("project: {uuid: u}\n")
    assert _probe(tmp_path, "config.yaml") == ("['project', 'tracker']", [])
    assert _probe(tmp_path, "config.json") == ("['project']", ["kitty_fs._config_json"])
    # Outside the subset ruamel reads it: the probe can tell.
    sections, loaded = _probe(tmp_path, "flow.yaml")
    assert sections == "['project']" and "ruamel.yaml" in loaded
