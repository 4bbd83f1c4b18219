"""JSON configs: a save keeps the file JSON, the document's order and the file's indentation."""

from __future__ import annotations

import datetime
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kitty_fs import ConfigParseError, ConfigSchemaError, load_config, save_config, write_boundary

REL = "settings.json"

_json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_sections = st.dictionaries(st.text(max_size=6), _json_values, max_size=4)
_documents = st.dictionaries(st.text(max_size=6), _sections, max_size=4)
_styles = st.sampled_from(
    [
        {"indent": 2},
        {"indent": 4},
        {"indent": "\t"},
        {"indent": None},
        {"indent": None, "separators": (",", ":")},
        {"indent": 2, "ensure_ascii": False},
    ]
)


def _write(root: Path, text: str) -> Path:
    path = root / REL
    path.write_text(text, encoding="utf-8")
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    doc=_documents,
    name=st.text(max_size=6),
    new=_sections,
    style=_styles,
    newline=st.sampled_from(["", "\n"]),
)
def test_a_save_keeps_the_document_and_replaces_only_the_section(
    doc: dict[str, dict[str, object]],
    name: str,
    new: dict[str, object],
    style: dict[str, object],
    newline: str,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        original = json.dumps(doc, **style) + newline  # type: ignore[arg-type]
        path = _write(root, original)
        ctx = write_boundary(root, reason="test-json")
        stale = [key for key in doc.get(name, {}) if key not in new]
        changed = save_config(ctx, name, new, rel=REL, remove=stale)

        with path.open(encoding="utf-8") as handle:
            loaded = json.load(handle)
        old_section = doc.get(name, {})
        # Keys that stay keep their place; new ones come after them.
        order = [k for k in old_section if k in new] + [k for k in new if k not in old_section]
        expected = dict(doc)
        if name in doc or new:
            expected[name] = {k: new[k] for k in order}
        assert loaded == expected
        assert list(loaded) == list(expected)  # section order kept, a new section last
        assert list(loaded.get(name, {})) == order
        text = path.read_text(encoding="utf-8")
        if changed and doc:  # ("{}" shows no style: it gets a new file's)
            # The file's own style: exactly what json.dumps wrote it with (an ASCII-only file
            # does not show whether it escaped non-ASCII text: either way is its style).
            styles = (
                [style]
                if not original.isascii()
                else [
                    {**style, "ensure_ascii": True},
                    {**style, "ensure_ascii": False},
                ]
            )
            assert text in [json.dumps(expected, **s) + newline for s in styles]  # type: ignore[arg-type]
        elif not changed:
            assert text == original
            assert json.loads(original) == expected
        assert load_config(ctx, REL).exists


def test_a_new_json_config_is_json(tmp_path: Path) -> None:
    ctx = write_boundary(tmp_path, reason="test-json")
    assert save_config(ctx, "tracker", {"ref": "a", "n": [1, 2]}, rel="conf/new.json")
    text = (tmp_path / "conf/new.json").read_text()
    assert json.loads(text) == {"tracker": {"ref": "a", "n": [1, 2]}}
    assert text.endswith("}\n")


@pytest.mark.parametrize(
    ("value", "error"),
    [(datetime.date(2024, 1, 2), TypeError), (float("nan"), ValueError)],
    ids=["date", "nan"],
)
def test_what_json_cannot_hold_is_refused_with_the_file_untouched(
    tmp_path: Path, value: object, error: type[Exception]
) -> None:
    original = '{"a": {"b": 1}}\n'
    path = _write(tmp_path, original)
    ctx = write_boundary(tmp_path, reason="test-json")
    with pytest.raises(error, match=r"a\.when"):
        save_config(ctx, "a", {"when": value}, rel=REL)
    assert path.read_text() == original


@pytest.mark.parametrize(
    ("text", "error", "problem"),
    [
        ('{"a": {}, "a": {}}', ConfigParseError, "duplicate key"),
        ('{"a": NaN}', ConfigParseError, "NaN is not JSON"),
        ('{"a": ', ConfigParseError, "invalid JSON"),
        ("[1, 2]", ConfigSchemaError, "found a list"),
        ("[" * 200 + "]" * 200, ConfigParseError, "nested more than"),
    ],
    ids=["duplicate", "nan", "truncated", "list", "deep"],
)
def test_a_json_file_that_is_not_a_config_is_never_overwritten(
    tmp_path: Path, text: str, error: type[Exception], problem: str
) -> None:
    path = _write(tmp_path, text)
    ctx = write_boundary(tmp_path, reason="test-json")
    with pytest.raises(error, match=problem):
        save_config(ctx, "a", {"b": 1}, rel=REL)
    with pytest.raises(error, match=problem):
        load_config(ctx, REL)
    assert path.read_text() == text


def test_a_yaml_section_is_refused_in_json_for_a_section_that_is_not_an_object(
    tmp_path: Path,
) -> None:
    original = '{"a": [1]}'
    path = _write(tmp_path, original)
    ctx = write_boundary(tmp_path, reason="test-json")
    with pytest.raises(ConfigSchemaError, match="must be a mapping, found a list"):
        save_config(ctx, "a", {"b": 1}, rel=REL)
    assert path.read_text() == original
