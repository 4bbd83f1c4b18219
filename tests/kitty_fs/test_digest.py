"""``kitty_fs._digest``: the digests hashlib gives, without loading OpenSSL on a cold start."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kitty_fs._digest import sha1, sha256


@given(st.binary(max_size=4096), st.lists(st.binary(max_size=300), max_size=5))
def test_the_digests_are_hashlibs(data: bytes, more: list[bytes]) -> None:
    ours = {"sha1": sha1(data), "sha256": sha256(data)}
    theirs = {"sha1": hashlib.sha1(data), "sha256": hashlib.sha256(data)}
    for chunk in more:
        for digest in (*ours.values(), *theirs.values()):
            digest.update(chunk)
    for name in ours:
        assert ours[name].hexdigest() == theirs[name].hexdigest(), name
        assert ours[name].digest() == theirs[name].digest(), name


@pytest.mark.skipif(
    importlib.util.find_spec("_sha1") is None
    or (importlib.util.find_spec("_sha2") or importlib.util.find_spec("_sha256")) is None,
    reason="this interpreter was built without its own SHA code: hashlib is the fallback",
)
def test_hashing_a_name_loads_no_openssl() -> None:
    code = (
        "import sys\n"
        "from kitty_fs._digest import sha1, sha256\n"
        "sha1(b'x').hexdigest(); sha256(b'x').hexdigest()\n"
        "print(sorted(m for m in ('_hashlib', 'hashlib') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
