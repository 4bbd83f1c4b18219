"""Where the hostile-input catalog's runs happen: a fresh, real environment per run.

Each builder makes one hostile input in a temporary directory (a config that is
a directory, a symlink out of the repository, a read-only mount, a state
directory inside the repository...) and returns the ``Env`` the run uses. The
catalog (``hostile_cases``) names a builder per row; nothing here knows what a
command should answer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from git_support import git

from kitty_fs.testing import make_git_repo

__all__ = [
    "BASE_CONFIG",
    "CONFIG_REL",
    "MISSION",
    "STALE_CONFIG",
    "UUID",
    "Env",
    "bare_repo",
    "config_dir",
    "dangling_symlink",
    "git_dir_elsewhere",
    "git_worktree",
    "git_worktree_stale",
    "huge_config",
    "kittify_file",
    "kittify_missing",
    "mission_symlink_loop",
    "needs_available",
    "nested_project_state",
    "not_git",
    "not_git_with_kittify",
    "other_filesystem_missing",
    "outside_cwd",
    "outside_dir",
    "plain_repo",
    "read_only_dir",
    "read_only_fs",
    "state_home_above",
    "state_home_in_repo",
    "symlink_out",
    "tmpdir_in_repo",
    "unreadable_config",
    "with_config",
    "write_big_config",
]

UUID = "12345678-1234-5678-1234-567812345678"
CONFIG_REL = ".kittify/config.yaml"

# Complete identity and a bound tracker: the write commands below are no-ops on it,
# so "the bytes are unchanged" holds for every row unless a row says it writes.
BASE_CONFIG = f"""\
# spec-kitty project configuration (tracked in git)
project:
  uuid: {UUID}
  slug: demo-project
  node_id: abcdef012345
  build_id: 0f6a8c3e-5d1b-5e7a-9c4f-2b8d6e1a3c5f
tracker:
  provider: jira  # the provider
  binding_ref: bind-001
  project_slug: demo-project
"""


@dataclass(frozen=True)
class Env:
    """Where one run happens; made fresh for every run by a case's ``setup``.

    ``watch`` is the tree whose bytes must not change (the whole case directory
    by default, so a symlink's target outside the repository is watched too);
    ``wrap`` prefixes the command (dropped privileges, a read-only mount);
    ``cleanup`` lists what the run removes afterwards, outside ``tmp`` (a git
    directory on tmpfs).
    """

    tmp: Path
    repo: Path
    cwd: Path
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    wrap: tuple[str, ...] = ()
    cleanup: tuple[Path, ...] = ()


# --- building inputs -------------------------------------------------------------------------


def _home(tmp: Path) -> Path:
    home = tmp / "state"
    home.mkdir(exist_ok=True)
    return home


def _repo(tmp: Path, config: bytes | str | None = BASE_CONFIG, *, commit: bool = True) -> Path:
    files: dict[str, bytes | str] = {"README.md": "demo\n"}
    if config is not None and commit:
        files[CONFIG_REL] = config
    repo = make_git_repo(tmp / "repo", files)
    if config is not None and not commit:
        (repo / ".kittify").mkdir()
        target = repo / CONFIG_REL
        target.write_bytes(config.encode() if isinstance(config, str) else config)
    return repo


def _env(
    tmp: Path,
    repo: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    wrap: tuple[str, ...] = (),
) -> Env:
    return Env(tmp, repo, cwd or repo, _home(tmp), dict(env or {}), wrap)


def with_config(config: bytes | str) -> Callable[[Path, Callable[[], Path]], Env]:
    """A committed repository whose config holds exactly ``config``."""

    def setup(tmp: Path, _big: Callable[[], Path]) -> Env:
        return _env(tmp, _repo(tmp, config))

    return setup


def _committed(tmp: Path, build: Callable[[Path], None]) -> Env:
    """A repository whose ``.kittify/`` is built by ``build`` and then committed."""
    repo = _repo(tmp, None)
    build(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hostile")
    return _env(tmp, repo)


def config_dir(tmp: Path, _big: Callable[[], Path]) -> Env:
    def build(repo: Path) -> None:
        (repo / CONFIG_REL).mkdir(parents=True)
        (repo / CONFIG_REL / "keep").write_text("a directory where the config belongs\n")

    return _committed(tmp, build)


def dangling_symlink(tmp: Path, _big: Callable[[], Path]) -> Env:
    def build(repo: Path) -> None:
        (repo / ".kittify").mkdir()
        (repo / CONFIG_REL).symlink_to("config.yaml.orig")

    return _committed(tmp, build)


def symlink_out(tmp: Path, _big: Callable[[], Path]) -> Env:
    outside = tmp / "outside"
    outside.mkdir()
    (outside / "config.yaml").write_text(BASE_CONFIG)

    def build(repo: Path) -> None:
        (repo / ".kittify").mkdir()
        (repo / CONFIG_REL).symlink_to("../../outside/config.yaml")

    return _committed(tmp, build)


def kittify_file(tmp: Path, _big: Callable[[], Path]) -> Env:
    def build(repo: Path) -> None:
        (repo / ".kittify").write_text("not a directory\n")

    return _committed(tmp, build)


def kittify_missing(tmp: Path, _big: Callable[[], Path]) -> Env:
    return _env(tmp, _repo(tmp, None))


def huge_config(tmp: Path, big: Callable[[], Path]) -> Env:
    # Hard-linked, not copied: one 50 MB file per session; untracked (git add would
    # compress 50 MB per run), which the porcelain check sees before and after alike.
    repo = _repo(tmp, None)
    (repo / ".kittify").mkdir()
    os.link(big(), repo / CONFIG_REL)
    return _env(tmp, repo)


def write_big_config(path: Path, size: int = 50 * 1024 * 1024) -> Path:
    """A valid config padded with comment lines to ``size`` bytes."""
    line = b"# " + b"x" * 77 + b"\n"
    with path.open("wb") as out:
        out.write(BASE_CONFIG.encode())
        out.write(line * ((size - len(BASE_CONFIG)) // len(line)))
    return path


def not_git(tmp: Path, _big: Callable[[], Path]) -> Env:
    plain = tmp / "plain"
    plain.mkdir()
    (plain / "README.md").write_text("not a repository\n")
    return _env(tmp, plain)


def not_git_with_kittify(tmp: Path, _big: Callable[[], Path]) -> Env:
    plain = tmp / "plain"
    (plain / ".kittify").mkdir(parents=True)
    (plain / CONFIG_REL).write_text(BASE_CONFIG)
    return _env(tmp, plain)


def git_worktree(tmp: Path, _big: Callable[[], Path], config: str = BASE_CONFIG) -> Env:
    main = _repo(tmp, config)
    linked = tmp / "linked"
    subprocess.run(
        ["git", "worktree", "add", "-q", "-b", "feature", os.fspath(linked)],
        cwd=main,
        check=True,
        capture_output=True,
    )
    return _env(tmp, linked.resolve())


def git_worktree_stale(tmp: Path, big: Callable[[], Path]) -> Env:
    """A linked worktree whose config lacks ``build_id`` and has an old binding."""
    return git_worktree(tmp, big, STALE_CONFIG)


SHM = Path("/dev/shm")
MISSION = "001-a"


def git_dir_elsewhere(tmp: Path, _big: Callable[[], Path]) -> Env:
    """A linked worktree at ``<tmp>/linked`` (disk) whose repository is on tmpfs (``/dev/shm``).

    ``rename(2)`` cannot cross filesystems, so a temp file cannot go to the git
    directory: ``kitty_fs._scratch`` puts it in ``<tmp>/.kitty-fs-scratch``. Not
    the other way round (the worktree on ``/dev/shm``): the kernel layer leaves
    ``/dev/shm`` writable (POSIX semaphores), so nothing would be confined there.
    The caller checks first that ``/dev/shm`` is writable and another filesystem.
    """
    base = SHM / f"kitty-hostile-{uuid.uuid4().hex[:12]}"
    files = {
        "README.md": "demo\n",
        CONFIG_REL: BASE_CONFIG,
        f"kitty-specs/{MISSION}/spec.md": "# spec\n",
        f"kitty-specs/{MISSION}/status.events.jsonl": '{"wp": "WP00", "to": "planned"}\n',
    }
    main = make_git_repo(base / "repo", files)
    linked = tmp / "linked"
    git(main, "worktree", "add", "-q", "-b", "feature", os.fspath(linked))
    env = _env(tmp, linked.resolve())
    return Env(env.tmp, env.repo, env.cwd, env.home, cleanup=(base,))


def other_filesystem_missing(tmp: Path) -> str | None:
    """Why ``git_dir_elsewhere`` cannot be made next to ``tmp``, or ``None``."""
    if not SHM.is_dir() or not os.access(SHM, os.W_OK):
        return "no writable /dev/shm (tmpfs) for a git directory on another filesystem"
    if SHM.stat().st_dev == tmp.stat().st_dev:
        return "/dev/shm is on the same filesystem as the temp dir here"
    return None


def bare_repo(tmp: Path, _big: Callable[[], Path]) -> Env:
    bare = tmp / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", os.fspath(bare)], check=True)
    return _env(tmp, bare)


# A legacy identity (no build_id) and an old binding: both write commands want to write.
STALE_CONFIG = BASE_CONFIG.replace(
    "  build_id: 0f6a8c3e-5d1b-5e7a-9c4f-2b8d6e1a3c5f\n", ""
).replace("bind-001", "bind-000")


# Root ignores permission bits; without these capabilities it obeys them like anyone.
_DROP_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--")


def read_only_dir(tmp: Path, _big: Callable[[], Path]) -> Env:
    """Mode 0555/0444; as root the command runs without CAP_DAC_OVERRIDE so the bits apply."""
    env = _env(tmp, _repo(tmp, STALE_CONFIG))
    for path in (env.repo / CONFIG_REL,):
        path.chmod(0o444)
    for path in (env.repo / ".kittify", env.repo):
        path.chmod(0o555)
    return _env(tmp, env.repo, wrap=_DROP_DAC if os.geteuid() == 0 else ())


def read_only_fs(tmp: Path, _big: Callable[[], Path]) -> Env:
    """The repository bind-mounted read-only in a private mount namespace (EROFS)."""
    env = _env(tmp, _repo(tmp, STALE_CONFIG))
    userns = () if os.geteuid() == 0 else ("-r",)
    mount = 'mount --bind -o ro "$0" "$0" && exec "$@"'
    wrap = ("unshare", *userns, "-m", "--", "sh", "-c", mount, os.fspath(env.repo))
    return _env(tmp, env.repo, wrap=wrap)


def unreadable_config(tmp: Path, _big: Callable[[], Path]) -> Env:
    env = _env(tmp, _repo(tmp, BASE_CONFIG))
    (env.repo / CONFIG_REL).chmod(0o000)
    return _env(tmp, env.repo, wrap=_DROP_DAC if os.geteuid() == 0 else ())


def outside_dir(tmp: Path, _big: Callable[[], Path]) -> Env:
    """The repository, plus a sibling directory that is no project; run from the repository."""
    env = _env(tmp, _repo(tmp, BASE_CONFIG))
    (tmp / "outside").mkdir()
    return env


def outside_cwd(tmp: Path, big: Callable[[], Path]) -> Env:
    """As ``outside_dir``, but run from the sibling directory."""
    env = outside_dir(tmp, big)
    return _env(tmp, env.repo, cwd=tmp / "outside")


def state_home_in_repo(tmp: Path, _big: Callable[[], Path]) -> Env:
    env = _env(tmp, _repo(tmp, BASE_CONFIG))
    return _env(tmp, env.repo, env={"SPEC_KITTY_HOME": f"{env.repo}/.kittify/../state"})


def plain_repo(tmp: Path, _big: Callable[[], Path]) -> Env:
    return _env(tmp, _repo(tmp, BASE_CONFIG))


def state_home_above(tmp: Path, _big: Callable[[], Path]) -> Env:
    """``SPEC_KITTY_HOME`` is the directory holding the checkout (``$HOME``, a CI workspace)."""
    return _env(tmp, _repo(tmp, BASE_CONFIG), env={"SPEC_KITTY_HOME": os.fspath(tmp)})


def nested_project_state(tmp: Path, _big: Callable[[], Path]) -> Env:
    """A monorepo whose project is ``services/api``; the state dir at the worktree's top."""
    top = make_git_repo(
        tmp / "repo",
        {"README.md": "mono\n", "services/api/.kittify/config.yaml": BASE_CONFIG},
    )
    return _env(
        tmp,
        top,
        cwd=top / "services" / "api",
        env={"SPEC_KITTY_HOME": os.fspath(top / ".spec-kitty")},
    )


def tmpdir_in_repo(tmp: Path, _big: Callable[[], Path]) -> Env:
    """``TMPDIR=<repo>/.tmp``, an ignored folder of the repository."""
    repo = make_git_repo(
        tmp / "repo",
        {"README.md": "demo\n", ".gitignore": ".tmp/\n", CONFIG_REL: BASE_CONFIG},
    )
    (repo / ".tmp").mkdir()
    return _env(tmp, repo, env={"TMPDIR": os.fspath(repo / ".tmp")})


def mission_symlink_loop(tmp: Path, _big: Callable[[], Path]) -> Env:
    """``kitty-specs/001-a/self -> .``: a mission that contains itself."""
    repo = _repo(tmp, BASE_CONFIG)
    mission = repo / "kitty-specs" / "001-a"
    mission.mkdir(parents=True)
    (mission / "spec.md").write_text("# spec\n")
    (mission / "self").symlink_to(".")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "loop"], cwd=repo, check=True, capture_output=True)
    return _env(tmp, repo)


def needs_available(needs: str | None) -> str | None:
    """Why a case cannot run on this machine, or ``None`` when it can."""
    if needs is None:
        return None
    if needs == "other-fs":
        return other_filesystem_missing(Path(tempfile.gettempdir()))
    tool = {"ro-mount": "unshare", "drop-dac": "setpriv"}[needs]
    if os.geteuid() == 0 and shutil.which(tool) is None:
        return f"{tool} is not installed (needed to make this input as root)"
    return None
