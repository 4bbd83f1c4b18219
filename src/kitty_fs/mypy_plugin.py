"""The kitty_fs mypy plugin: write-path violations as type errors.

Plain typing already keeps a ``ReadContext`` out of every persisting API. This
plugin closes what typing cannot see, in the *guarded packages* named in its
config section (see ``_mypy_config``):

* ``kitty-fs-mint``: a ``WriteContext`` minted outside the configured write
  boundaries (``write_boundary(...)``, ``attrs.evolve`` of a ``WriteContext``,
  or a subclass), or constructed directly anywhere (the constructor refuses at
  run time without the private token, so say so at type-check time);
* ``kitty-fs-write``: a raw write API (``open(..., "w")``, ``Path.write_text``,
  ``os.replace``, ``shutil.rmtree``, ``tempfile.mkstemp``...) that bypasses kitty_fs.

``kitty_fs`` itself and modules outside the guarded packages are never checked.
Each finding has its own error code, so a deliberate exception reads
``# type: ignore[kitty-fs-write]`` and shows in review.

Calls through a variable, ``getattr`` or ``functools.partial`` never reach a
mypy call hook; the runtime guard covers those. Enable with
``plugins = kitty_fs.mypy_plugin`` in ``mypy.ini``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal

from mypy.checker import TypeChecker
from mypy.errorcodes import ErrorCode
from mypy.errors import CompileError
from mypy.nodes import ARG_NAMED, ARG_POS, Expression, IntExpr, OpExpr, RefExpr
from mypy.options import Options
from mypy.plugin import (
    CheckerPluginInterface,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.typeops import try_getting_str_literals
from mypy.types import CallableType, Instance, Type, TypeType, get_proper_type

from kitty_fs._mypy_config import ModuleRole, PluginConfig, PluginConfigError, load_plugin_config
from kitty_fs._mypy_rules import (
    FUNCTION_RULES,
    METHOD_RULES,
    MINT_BOUNDARY,
    MINT_CLASS,
    MINT_EVOLVE,
    PATH_CLASS,
    PATH_METHOD_RULES,
    READ_SAFE_OPEN_FLAGS,
    RULES_DIGEST,
    WriteRule,
    is_read_only_mode,
)

__all__ = ["MINT", "WRITE", "KittyFsPlugin", "plugin"]

WRITE: Final = ErrorCode(
    "kitty-fs-write", "Raw filesystem write in a package guarded by kitty_fs", "kitty_fs"
)
MINT: Final = ErrorCode(
    "kitty-fs-mint", "WriteContext minted outside a kitty_fs write boundary", "kitty_fs"
)

_OS_MODULES: Final = ("os.", "posix.", "nt.")
_MODE_UNKNOWN: Final = " (mode is not a read-only literal)"
_FLAGS_UNKNOWN: Final = " (flags are not provably read-only)"
# When the plugin cannot tell, the call may well be a read: say how to make that visible.
_READ_INSTEAD: Final = {
    _MODE_UNKNOWN: 'to only read, pass a literal mode such as "r" or "rb"',
    _FLAGS_UNKNOWN: "to only read, pass os.O_RDONLY (optionally | os.O_CLOEXEC and the like)",
}


def _receiver_is_path(receiver: Type) -> bool:
    typ = get_proper_type(receiver)
    if isinstance(typ, CallableType) and typ.is_type_obj():  # Path.write_text(p, ...)
        return typ.type_object().has_base(PATH_CLASS)
    if isinstance(typ, TypeType):
        typ = typ.item
    return isinstance(typ, Instance) and typ.type.has_base(PATH_CLASS)


def _is_write_context(arg_types: list[list[Type]]) -> bool:
    if not arg_types or len(arg_types[0]) != 1:
        return False
    typ = get_proper_type(arg_types[0][0])
    return isinstance(typ, Instance) and typ.type.has_base(MINT_CLASS)


_ABSENT: Final = "absent"
_UNKNOWN: Final = "unknown"


def _argument(
    ctx: FunctionContext | MethodContext, name: str
) -> tuple[Expression, Type] | Literal["absent", "unknown"]:
    """The one expression passed for parameter ``name``, or whether it is absent or unknowable.

    Unknowable: a ``*args``/``**kwargs`` that may carry it, or a callee without that parameter.
    """
    try:
        index = ctx.callee_arg_names.index(name)
    except ValueError:
        return _UNKNOWN
    exprs = ctx.args[index]
    if not exprs:
        return _ABSENT
    if len(exprs) == 1 and ctx.arg_kinds[index][0] in (ARG_POS, ARG_NAMED):
        return exprs[0], ctx.arg_types[index][0]
    return _UNKNOWN


def _mode_detail(ctx: FunctionContext | MethodContext, rule: WriteRule) -> str | None:
    """Why an opener call writes, or ``None`` when its mode is a read-only literal (or absent)."""
    found = _argument(ctx, rule.param)
    if found == _ABSENT:
        return None  # every opener defaults to reading
    modes = try_getting_str_literals(*found) if isinstance(found, tuple) else None
    if modes is None:
        return _MODE_UNKNOWN
    writing = [m for m in modes if not is_read_only_mode(m)]
    return f' (mode "{writing[0]}")' if writing else None


def _flag_leaves(expr: Expression) -> list[Expression]:
    if isinstance(expr, OpExpr) and expr.op == "|":
        return _flag_leaves(expr.left) + _flag_leaves(expr.right)
    return [expr]


def _flags_detail(ctx: FunctionContext | MethodContext, rule: WriteRule) -> str | None:
    """Why an ``os.open`` call writes, or ``None`` when its flags are provably read-only."""
    found = _argument(ctx, rule.param)
    if not isinstance(found, tuple):
        return _FLAGS_UNKNOWN
    for leaf in _flag_leaves(found[0]):
        if isinstance(leaf, IntExpr) and leaf.value == 0:
            continue
        if isinstance(leaf, RefExpr) and leaf.fullname.startswith(_OS_MODULES):
            flag = leaf.fullname.rpartition(".")[2]
            if flag in READ_SAFE_OPEN_FLAGS:
                continue
            if flag.startswith("O_"):
                return f" (flags include os.{flag})"
        return _FLAGS_UNKNOWN
    return None


class KittyFsPlugin(Plugin):
    """Reports ``kitty-fs-mint`` and ``kitty-fs-write`` in the configured guarded packages."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        try:
            self._config: PluginConfig = load_plugin_config(options.config_file)
        except (PluginConfigError, OSError, ValueError) as exc:
            # CompileError makes mypy print the message and stop, like its own config errors.
            raise CompileError([f"error: kitty_fs.mypy_plugin: {exc}"]) from exc
        self._roles: dict[str, ModuleRole] = {}
        # Bound once, so the per-call lookup is a single dict get.
        self._function_hooks: dict[str, Callable[[FunctionContext], Type]] = {
            fullname: self._write_hook(rule) for fullname, rule in FUNCTION_RULES.items()
        }
        self._function_hooks[MINT_BOUNDARY] = self._on_write_boundary
        self._function_hooks[MINT_CLASS] = self._on_constructor
        for fullname in MINT_EVOLVE:
            self._function_hooks[fullname] = self._on_evolve
        self._method_hooks: dict[str, Callable[[MethodContext], Type]] = {
            fullname: self._write_hook(rule) for fullname, rule in METHOD_RULES.items()
        }
        self._path_hooks: dict[str, Callable[[MethodContext], Type]] = {
            name: self._path_hook(rule) for name, rule in PATH_METHOD_RULES.items()
        }

    # -- mypy entry points -------------------------------------------------------------------

    def report_config_data(self, ctx: ReportConfigContext) -> object:
        """Per-module settings, so a config change rechecks exactly the modules it affects."""
        role = self._config.role_of(ctx.id)
        if role.package is None:
            return None
        return [RULES_DIGEST, self._config.section, role.package, role.boundary]

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        return self._function_hooks.get(fullname)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        hook = self._method_hooks.get(fullname)
        if hook is None:
            # Named after the receiver's class (PosixPath.touch): match the method name here,
            # check that the receiver is a pathlib.Path in the hook.
            hook = self._path_hooks.get(fullname.rpartition(".")[2])
        return hook

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        return self._on_subclass if fullname == MINT_CLASS else None

    # -- helpers -----------------------------------------------------------------------------

    def _role(self, api: CheckerPluginInterface | str) -> tuple[str, ModuleRole]:
        if isinstance(api, str):
            module = api
        elif isinstance(api, TypeChecker):
            module = api.tree.fullname
        else:  # not reachable with mypy's checker; stay silent rather than guess
            return "", ModuleRole(None, False)
        role = self._roles.get(module)
        if role is None:
            role = self._roles[module] = self._config.role_of(module)
        return module, role

    def _mint_message(self, what: str, module: str, advice: str) -> str:
        return (
            f'WriteContext {what} in "{module}", which is not a write boundary; {advice}, '
            f"or add the module to write_boundaries in {self._config.section}"
        )

    def _write_hook(self, rule: WriteRule) -> Callable[[FunctionContext | MethodContext], Type]:
        def hook(ctx: FunctionContext | MethodContext) -> Type:
            _module, role = self._role(ctx.api)
            if role.package is not None:
                self._check_write(ctx, rule, role.package)
            return ctx.default_return_type

        return hook

    def _path_hook(self, rule: WriteRule) -> Callable[[MethodContext], Type]:
        def hook(ctx: MethodContext) -> Type:
            _module, role = self._role(ctx.api)
            if role.package is not None and _receiver_is_path(ctx.type):
                self._check_write(ctx, rule, role.package)
            return ctx.default_return_type

        return hook

    def _check_write(
        self, ctx: FunctionContext | MethodContext, rule: WriteRule, package: str
    ) -> None:
        detail: str | None = ""
        if rule.kind == "mode":
            detail = _mode_detail(ctx, rule)
        elif rule.kind == "flags":
            detail = _flags_detail(ctx, rule)
        if detail is None:
            return
        remedy = rule.remedy
        read_instead = _READ_INSTEAD.get(detail)
        if read_instead is not None:
            remedy = f"{read_instead}; to write, {remedy}"
        ctx.api.fail(
            f'Raw filesystem write "{rule.api}"{detail} in guarded package "{package}"; {remedy}',
            ctx.context,
            code=WRITE,
        )

    # -- minting -----------------------------------------------------------------------------

    def _on_write_boundary(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None and not role.boundary:
            ctx.api.fail(
                self._mint_message(
                    "minted",
                    module,
                    "take the WriteContext as a parameter from the command that owns the write",
                ),
                ctx.context,
                code=MINT,
            )
        return ctx.default_return_type

    def _on_constructor(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None:
            # Refused at run time in every module, boundary or not: only write_boundary()
            # holds the mint token.
            ctx.api.fail(
                f'WriteContext constructed directly in "{module}"; the constructor refuses at '
                "run time: call kitty_fs.write_boundary(root, reason=...) in a write-boundary "
                "module, or take the WriteContext as a parameter",
                ctx.context,
                code=MINT,
            )
        return ctx.default_return_type

    def _on_evolve(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None and not role.boundary and _is_write_context(ctx.arg_types):
            ctx.api.fail(
                self._mint_message(
                    "copied with attrs.evolve",
                    module,
                    "evolve can re-root a capability: take the WriteContext for that root "
                    "as a parameter from the command that owns the write",
                ),
                ctx.context,
                code=MINT,
            )
        return ctx.default_return_type

    def _on_subclass(self, ctx: ClassDefContext) -> None:
        module, role = self._role(ctx.api.cur_mod_id)
        if role.package is not None and not role.boundary:
            ctx.api.fail(
                self._mint_message(
                    "subclassed",
                    module,
                    "a subclass's constructor escapes the mint check: take a WriteContext "
                    "as a parameter and wrap it instead",
                ),
                ctx.cls,
                code=MINT,
            )


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point. The plugin relies on no version-specific API beyond mypy 1.x's."""
    return KittyFsPlugin
