"""Hypothesis strategies for the kitty_fs foundation tests."""

from __future__ import annotations

import datetime

from hypothesis import strategies as st

__all__ = [
    "PATH_PARTS",
    "config_keys",
    "config_values",
    "relative_paths",
    "section_contents",
]

# Names that exist in the tree ``test_paths.tree`` builds, plus the tricky ones.
PATH_PARTS = (
    "a",
    "b",
    "f",
    "missing",
    ".",
    "..",
    "",
    "in_dir",
    "in_file",
    "out_dir",
    "out_file",
    "up",
    "back",
    "loop",
    "dangling_in",
    "dangling_out",
    "abs_in",
    "root",
    "secret",
)


def relative_paths() -> st.SearchStrategy[str]:
    """Relative paths made of tree names, ``.``/``..`` and symlinks (in and out of the root)."""
    parts = st.lists(st.sampled_from(PATH_PARTS), min_size=1, max_size=6)
    return st.builds(lambda ps, slash: "/".join(ps) + ("/" if slash else ""), parts, st.booleans())


def config_keys() -> st.SearchStrategy[str]:
    """Mapping keys: mostly identifiers, sometimes anything YAML has to quote."""
    return st.one_of(
        st.from_regex(r"[a-z][a-z0-9_-]{0,11}", fullmatch=True),
        st.text(min_size=0, max_size=8),
    )


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["yes", "no", "on", "null", "~", "1.0", "0x1f", "2024-01-01", "#x", "- a"]),
    st.dates(min_value=datetime.date(1, 1, 1)),
)


def config_values() -> st.SearchStrategy[object]:
    """Whatever a config may hold: scalars, lists and str-keyed mappings, nested."""
    return st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(config_keys(), inner, max_size=4),
        ),
        max_leaves=12,
    )


def section_contents() -> st.SearchStrategy[dict[str, object]]:
    """The changes a save applies to one section."""
    return st.dictionaries(config_keys(), config_values(), min_size=0, max_size=6)
