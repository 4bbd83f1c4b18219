"""The demo behind ``bash scripts/demo.sh``: the issue's properties, shown on a throwaway repo.

demo.sh creates the temp dirs, starts the loopback reference SaaS and removes
both on exit; this script tells the story and checks every property it shows,
so it doubles as a smoke test: any ``✗`` makes it exit 1.

It drives the real ``spec-kitty`` and ``kitty-fs`` console scripts and mypy as
subprocesses, exactly as a user would, with a clean environment: state in
``KITTY_DEMO_STATE`` (outside the repository), git configured by environment
only, no user or system git config, sync settings only from this script.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

SRC: Final = Path(__file__).resolve().parent.parent / "src"
BIN: Final = Path(sys.executable).parent  # .venv/bin: spec-kitty and kitty-fs live next to python
CONFIG: Final = ".kittify/config.yaml"
MISSION: Final = "001-demo"
OLD_REF: Final = "bind-001"
NEW_REF: Final = "bind-002"  # what demo.sh's reference server offers
WIDTH: Final = 100

# Arguments for read commands that need some; everything else runs bare. A command's own
# contract_argv (declared next to it for the INV-1 contract test) wins over this table.
READ_ARGS: Final[dict[str, tuple[str, ...]]] = {
    "events emit": ("mission.started",),
    "dashboard run": ("--ticks", "2", "--interval", "0"),
}

# The legacy config: spec-kitty 3.1 wrote the identity before build_id existed, and people
# annotate their config, so the comments must survive every write.
HEADER_COMMENT: Final = "# spec-kitty project configuration (tracked in git)\n"
PROJECT_COMMENT: Final = "  # identity written by spec-kitty 3.1, before build_id existed\n"
TRACKER_COMMENT: Final = "\n# tracker binding (refreshed by `spec-kitty tracker apply`)\n"
REF_COMMENT: Final = "  # the SaaS binding this project syncs to"

SAMPLE: Final = '''\
"""Read commands that try to persist on a read path (and one that only reads)."""

from pathlib import Path

from kitty_fs import ReadContext, load_config, save_config
from kitty_fs.commands import CommandRegistry, Invocation

commands = CommandRegistry()


@commands.read("demo status", "only reads: the plugin has nothing to say")
def status(repo: ReadContext, inv: Invocation, /) -> int:
    print(load_config(repo, ".kittify/config.yaml"), Path(repo.root, "README.md").read_text())
    return 0


@commands.read("demo save-on-read", "persists the binding while reading it")
def save_on_read(repo: ReadContext, inv: Invocation, /) -> int:
    save_config(repo, "tracker", {"binding_ref": "bind-003"}, rel=".kittify/config.yaml")
    return 0


@commands.read("demo raw-write", "rewrites the config with pathlib")
def raw_write(repo: ReadContext, inv: Invocation, /) -> int:
    Path(repo.root, ".kittify", "config.yaml").write_text("project: {}\\n")
    return 0
'''

SAMPLE_MYPY_INI: Final = """\
[mypy]
strict = True
mypy_path = {src}
plugins = kitty_fs.mypy_plugin

[mypy-kitty_fs.*]
follow_imports = silent

[mypy-specify_cli.*]
follow_imports = silent

# The same section as the project's mypy.ini, naming the sample package instead of specify_cli.
[kitty_fs.mypy_plugin]
guarded_packages = demo_cmds
"""


class Result:
    """A finished subprocess: exit code, text output, wall time."""

    def __init__(self, code: int, out: str, err: str, seconds: float) -> None:
        self.code = code
        self.out = out
        self.err = err
        self.seconds = seconds

    def first_line(self) -> str:
        for line in (self.out + "\n" + self.err).splitlines():
            if line.strip():
                return line.strip()
        return "(no output)"

    def json(self) -> dict[str, Any]:
        data = json.loads(self.out)
        assert isinstance(data, dict)
        return data


class Demo:
    """The throwaway repository, its environment, and the tally of checks."""

    def __init__(self, work: Path, state: Path, url: str, token: str) -> None:
        self.repo = work / "acme-app"
        self.sample = work / "sample"
        self.state = state
        self.url = url
        self.token = token
        self.checks = 0
        self.failed: list[str] = []
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SPEC_KITTY_", "GIT_"))}
        env.update(
            SPEC_KITTY_HOME=str(state),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_AUTHOR_NAME="Demo",
            GIT_AUTHOR_EMAIL="demo@example.com",
            GIT_COMMITTER_NAME="Demo",
            GIT_COMMITTER_EMAIL="demo@example.com",
            COLUMNS=str(WIDTH),
        )
        self.env = env

    # ------------------------------------------------------------------ output and checks

    @staticmethod
    def section(title: str) -> None:
        print(f"\n── {title} " + "─" * max(0, WIDTH - 4 - len(title)))

    @staticmethod
    def say(text: str, indent: str = "  ") -> None:
        for line in text.splitlines() or [""]:
            print(clip(indent + line) if line else "")

    @staticmethod
    def show(text: str, prefix: str = "    │ ") -> None:
        """Echo command output or file text, wrapped so long messages stay readable."""
        for line in text.rstrip("\n").splitlines():
            wrapped = textwrap.wrap(
                line, WIDTH - len(prefix), subsequent_indent="    ", break_on_hyphens=False
            )
            for piece in wrapped or [""]:
                print(prefix + piece)

    def check(self, ok: bool, label: str, detail: str = "", *, fatal: bool = False) -> bool:
        self.checks += 1
        print(clip(f"  {'✓' if ok else '✗'} {label}"))
        if not ok:
            self.failed.append(label)
            if detail:
                self.show(detail, "      ")
            if fatal:
                raise SystemExit(self.summary())
        return ok

    def summary(self) -> int:
        if self.failed:
            print(f"\n✗ {len(self.failed)} of {self.checks} checks failed:")
            for label in self.failed:
                print(f"    ✗ {label}")
            return 1
        print(f"\n✓ all {self.checks} checks passed")
        return 0

    # ------------------------------------------------------------------ processes and files

    def run(
        self, argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> Result:
        start = time.perf_counter()
        done = subprocess.run(
            list(argv),
            cwd=cwd or self.repo,
            env=env or self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)

    def sk(self, *args: str) -> Result:
        return self.run([str(BIN / "spec-kitty"), *args])

    def git(self, *args: str) -> str:
        done = self.run(["git", *args])
        if done.code != 0:
            raise SystemExit(f"demo: git {' '.join(args)} failed: {done.err.strip()}")
        return done.out

    def commit(self, message: str, *paths: str) -> None:
        self.git("add", "--", *paths)
        self.git("commit", "-q", "-m", message)

    def porcelain(self) -> str:
        """Everything git would call a change, ignored files included."""
        return self.git("status", "--porcelain", "--untracked-files=all", "--ignored")

    def fingerprint(self) -> tuple[str, int]:
        path = self.repo / CONFIG
        return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns

    def enable_sync(self) -> None:
        self.env.update(
            SPEC_KITTY_ENABLE_SAAS_SYNC="1",
            SPEC_KITTY_SAAS_URL=self.url,
            SPEC_KITTY_SAAS_TOKEN=self.token,
        )


def clip(line: str) -> str:
    """One screen line: long first lines of command output are cut, not wrapped."""
    return line if len(line) <= WIDTH else line[: WIDTH - 2] + " …"


def derive_build_id(project_uuid: str, node_id: str) -> str:
    """The documented rule, restated here rather than imported, so the demo checks the code."""
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "spec-kitty:identity:build_id")
    return str(uuid.uuid5(namespace, f"{project_uuid}:{node_id}"))


def read_commands(demo: Demo) -> list[tuple[str, tuple[str, ...]]]:
    """Every READ command ``spec-kitty capabilities`` lists, with the arguments it needs."""
    listing = demo.sk("capabilities", "--json")
    demo.check(listing.code == 0, "spec-kitty capabilities --json", listing.err, fatal=True)
    declared: dict[str, tuple[str, ...]] = {}
    try:
        from specify_cli.cli._app import build_registry

        declared = {cmd.name: cmd.contract_argv for cmd in build_registry()}
    except ImportError:  # the registry moved: the table above still covers today's commands
        pass
    names = [c["command"] for c in listing.json()["commands"] if c["capability"] == "read"]
    return [(n, declared.get(n) or READ_ARGS.get(n, ())) for n in names]


# ---------------------------------------------------------------------- the story


def legacy_project(demo: Demo) -> dict[str, Any]:
    demo.section("1. A project whose identity predates build_id")
    (demo.repo / "src").mkdir(parents=True)
    demo.git("init", "-q")
    (demo.repo / "README.md").write_text("# acme-app\n")
    (demo.repo / "src" / "app.py").write_text('print("hello")\n')
    demo.commit("initial", "README.md", "src/app.py")
    demo.say(f"throwaway repository {demo.repo}")
    demo.say(f"state dir (SPEC_KITTY_HOME) {demo.state}")

    init = demo.sk("init", "--json")
    demo.check(init.code == 0, "spec-kitty init", init.err, fatal=True)
    identity = init.json()
    demo.say(f"init wrote uuid {identity['project_uuid']}, node_id {identity['node_id']},")
    demo.say(f"     build_id {identity['build_id']}")
    demo.commit("spec-kitty init", CONFIG)

    bind = demo.sk(
        "tracker", "bind", "--provider", "jira", "--project-slug", "demo", "--binding-ref", OLD_REF
    )
    demo.check(bind.code == 0, f"spec-kitty tracker bind … --binding-ref {OLD_REF}", bind.err)

    # Turn the identity legacy (drop build_id) and annotate the file as a user would.
    path = demo.repo / CONFIG
    lines = [ln for ln in path.read_text().splitlines(keepends=True) if "build_id" not in ln]
    text = HEADER_COMMENT + "".join(lines)
    text = text.replace("project:\n", "project:\n" + PROJECT_COMMENT, 1)
    text = text.replace("tracker:\n", TRACKER_COMMENT + "tracker:\n", 1)
    text = text.replace(f"binding_ref: {OLD_REF}\n", f"binding_ref: {OLD_REF}{REF_COMMENT}\n", 1)
    path.write_text(text)
    demo.say(f"{CONFIG}, build_id removed, comments added, committed:")
    demo.show(text)
    demo.check(
        not any(ln.strip().startswith("build_id:") for ln in path.read_text().splitlines()),
        "the identity is legacy: no build_id in project:",
    )
    demo.commit("legacy identity (spec-kitty 3.1), jira binding", CONFIG)

    (demo.repo / "kitty-specs" / MISSION).mkdir(parents=True)
    (demo.repo / "kitty-specs" / MISSION / "spec.md").write_text("# Demo mission\n\nA spec.\n")
    demo.commit("mission 001-demo", f"kitty-specs/{MISSION}/spec.md")
    demo.check(demo.porcelain() == "", "worktree clean before the reads", demo.porcelain())
    return identity


def every_read_command(demo: Demo) -> None:
    demo.section("2. Every read command, with sync on, against a server that offers a new binding")
    demo.enable_sync()
    demo.say(f"reference SaaS {demo.url} offers binding_ref {NEW_REF} (stored: {OLD_REF})")
    commands = read_commands(demo)
    before = demo.fingerprint()
    head = demo.git("rev-parse", "HEAD")
    column = max(len(" ".join([name, *args])) for name, args in commands) + 2
    for name, args in commands:
        done = demo.sk(*name.split(), *args)
        shown = " ".join([name, *args])
        line = f"{shown:<{column}}exit {done.code}  {done.seconds:3.1f}s  {done.first_line()}"
        demo.check(done.code == 0, line, done.err)

    status = demo.porcelain()
    demo.check(status == "", "git status --porcelain --ignored: empty", status)
    after = demo.fingerprint()
    demo.check(
        after == before,
        f"{CONFIG}: sha256 {after[0][:16]}… and mtime_ns {after[1]} unchanged",
        f"before {before}\nafter  {after}",
    )
    demo.check(demo.git("rev-parse", "HEAD") == head, "no commit was made")
    written = sorted(str(p.relative_to(demo.state)) for p in demo.state.rglob("*") if p.is_file())
    demo.say(f"what they did write went to the state dir: {', '.join(written)}")


def stable_identity(demo: Demo, identity: dict[str, Any]) -> None:
    demo.section("3. The legacy identity is completed in memory, the same way every time")
    before = demo.fingerprint()
    ids = []
    for _ in range(2):
        done = demo.sk("events", "emit", "mission.started", "--json")
        demo.check(done.code == 0, "spec-kitty events emit mission.started --json", done.err)
        ids.append(done.json()["envelope"]["build_id"] if done.code == 0 else None)
    derived = derive_build_id(identity["project_uuid"], identity["node_id"])
    demo.say(f"build_id, run 1: {ids[0]}")
    demo.say(f"build_id, run 2: {ids[1]}")
    demo.say(f"uuid5(NS, 'uuid:node_id'): {derived}")
    demo.check(ids[0] == ids[1] == derived, "both runs agree with the deterministic derivation")
    demo.check(
        derived == identity["build_id"], "…which is the build_id init wrote before we removed it"
    )
    demo.check(
        demo.fingerprint() == before and demo.porcelain() == "",
        "still nothing written: config bytes, mtime and git status unchanged",
    )


def binding_upgrade(demo: Demo) -> None:
    demo.section("4. The pending binding upgrade, persisted by a write command")
    status = demo.sk("tracker", "status")
    demo.show(status.out)
    demo.check(
        f"pending binding upgrade: {OLD_REF} -> {NEW_REF}" in status.out,
        "tracker status (READ) reports the upgrade and stores nothing",
        status.out + status.err,
    )
    old = (demo.repo / CONFIG).read_text()
    apply = demo.sk("tracker", "apply")
    demo.show(apply.out)
    demo.check(apply.code == 0, "spec-kitty tracker apply (WRITE): exit 0", apply.err)
    diff = demo.git("diff", "--", CONFIG)
    demo.show(diff)
    changed = [
        ln
        for ln in diff.splitlines()
        if ln[:1] in "+-" and not ln.startswith(("+++", "---")) and ln
    ]
    want = [
        f"-  binding_ref: {OLD_REF}{REF_COMMENT}",
        f"+  binding_ref: {NEW_REF}{REF_COMMENT}",
    ]
    demo.check(changed == want, "only binding_ref changed; its comment kept", "\n".join(changed))
    new = (demo.repo / CONFIG).read_text()
    kept = all(c.strip() in new for c in (HEADER_COMMENT, PROJECT_COMMENT, TRACKER_COMMENT))
    demo.check(kept and new == old.replace(OLD_REF, NEW_REF), "every other byte identical")
    again = demo.sk("tracker", "status", "--json")
    pending = again.json().get("pending_binding_upgrade") if again.code == 0 else "?"
    demo.check(pending is None, "tracker status: nothing pending any more", again.out + again.err)
    demo.commit(f"tracker apply: {NEW_REF}", CONFIG)


def dirty_worktree(demo: Demo) -> None:
    demo.section("5. record-analysis (WRITE) refuses to run over your uncommitted edit")
    app = demo.repo / "src" / "app.py"
    original = app.read_text()
    app.write_text(original + 'print("work in progress")\n')
    analysis = demo.repo / "kitty-specs" / MISSION / "analysis.md"
    refused = demo.sk("record-analysis", "--mission", MISSION)
    demo.show(refused.err)
    demo.check(
        refused.code == 5 and "DIRTY_WORKTREE" in refused.err and not analysis.exists(),
        f"edited src/app.py: exit {refused.code} DIRTY_WORKTREE, nothing recorded",
        refused.out + refused.err,
    )
    demo.git("checkout", "-q", "--", "src/app.py")
    done = demo.sk("record-analysis", "--mission", MISSION)
    demo.show(done.out)
    demo.check(
        done.code == 0 and analysis.is_file(),
        "edit reverted: recorded, exit 0",
        done.out + done.err,
    )
    if analysis.is_file():
        demo.commit("analysis of 001-demo", str(analysis.relative_to(demo.repo)))


def mypy_rejects(demo: Demo) -> None:
    demo.section("6. mypy (strict + kitty_fs plugin) rejects a read command that writes")
    package = demo.sample / "demo_cmds"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(SAMPLE)
    ini = demo.sample / "mypy.ini"
    ini.write_text(SAMPLE_MYPY_INI.format(src=SRC))
    lines = SAMPLE.splitlines()
    save_line = next(i for i, ln in enumerate(lines, 1) if "save_config(repo" in ln)
    write_line = next(i for i, ln in enumerate(lines, 1) if ".write_text(" in ln)
    demo.say(f"{package.relative_to(demo.sample)}/sneaky.py, lines {save_line - 2}-{len(lines)}:")
    demo.show("\n".join(f"{i:2} {ln}" for i, ln in enumerate(lines, 1) if i >= save_line - 2))
    done = demo.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ini),
            "--cache-dir",
            str(demo.sample / ".mypy_cache"),
            "demo_cmds",
        ],
        cwd=demo.sample,
    )
    demo.say(f"$ mypy --config-file mypy.ini demo_cmds   ({done.seconds:.1f}s)")
    demo.show(done.out + done.err)
    errors = [ln for ln in done.out.splitlines() if ": error: " in ln]
    demo.check(done.code == 1, f"mypy exit {done.code} (1: type errors found)")
    demo.check(
        any(
            f"sneaky.py:{save_line}: error:" in e and '"ReadContext"' in e and "[arg-type]" in e
            for e in errors
        ),
        f"line {save_line}: save_config needs a WriteContext; a read command only has a "
        "ReadContext  [arg-type]",
    )
    demo.check(
        any(f"sneaky.py:{write_line}: error:" in e and "[kitty-fs-write]" in e for e in errors),
        f"line {write_line}: raw Path.write_text in a guarded package  [kitty-fs-write]",
    )
    demo.check(len(errors) == 2, "no other error (the read-only command passes)", "\n".join(errors))


def runtime_guard(demo: Demo) -> None:
    demo.section("7. Had it been shipped anyway, the runtime guard stops the same writes")
    env = dict(demo.env, PYTHONPATH=str(demo.sample), PYTHONDONTWRITEBYTECODE="1")
    before = demo.fingerprint()
    call = (
        "from specify_cli.cli._app import build_dispatcher; from demo_cmds.sneaky import "
        "commands; build_dispatcher(commands).exit('demo raw-write')"
    )
    audit = demo.run(
        [str(BIN / "kitty-fs"), "audit", "--json", "--", "python", "-c", call], env=env
    )
    demo.say(
        "$ kitty-fs audit --json -- python -c 'dispatcher.exit(\"demo raw-write\")'"
        "  (through the dispatcher)"
    )
    demo.show("\n".join(ln for ln in audit.err.splitlines() if "WRITE_VIOLATION" in ln))
    report = json.loads(audit.out) if audit.out.startswith("{") else {}
    attempts = report.get("attempts", [])
    origin = attempts[0].get("origin") or {} if attempts else {}
    where = f"{Path(origin.get('file', '?')).name}:{origin.get('line')}"
    demo.check(
        report.get("command_exit") == 8 and "WRITE_VIOLATION" in audit.err,
        f"the command failed with exit {report.get('command_exit')} WRITE_VIOLATION",
        audit.out[:2000] + audit.err,
    )
    write_line = next(i for i, ln in enumerate(SAMPLE.splitlines(), 1) if ".write_text(" in ln)
    demo.check(
        len(attempts) == 1
        and attempts[0].get("blocked") is True
        and where == f"sneaky.py:{write_line}",
        f"kitty-fs audit: one attempt, blocked, at {where} (the line mypy flagged)",
        json.dumps(attempts, indent=1)[:2000],
    )
    demo.check(report.get("worktree_changes") == [], "audit: worktree unchanged")

    call = (
        "from specify_cli.cli._app import build_dispatcher; from demo_cmds.sneaky import "
        "commands; build_dispatcher(commands).exit('demo save-on-read')"
    )
    done = demo.run([sys.executable, "-c", call], env=env)
    demo.say("$ python -c 'dispatcher.exit(\"demo save-on-read\")'")
    demo.show(done.err)
    demo.check(
        done.code == 8 and "WRITE_VIOLATION" in done.err,
        f"save_config on a read path: exit {done.code} WRITE_VIOLATION",
        done.out + done.err,
    )
    demo.check(
        demo.fingerprint() == before and demo.porcelain() == "",
        "config bytes, mtime and git status unchanged",
        demo.porcelain(),
    )


def main() -> int:
    start = time.perf_counter()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace", line_buffering=True)
    demo = Demo(
        Path(os.environ["KITTY_DEMO_WORK"]),
        Path(os.environ["KITTY_DEMO_STATE"]),
        os.environ["KITTY_DEMO_SAAS_URL"],
        os.environ["KITTY_DEMO_SAAS_TOKEN"],
    )
    print("kitty-fs demo: read commands never dirty the worktree")
    identity = legacy_project(demo)
    every_read_command(demo)
    stable_identity(demo, identity)
    binding_upgrade(demo)
    dirty_worktree(demo)
    mypy_rejects(demo)
    runtime_guard(demo)
    code = demo.summary()
    print(f"  demo ran in {time.perf_counter() - start:.1f}s")
    return code


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
