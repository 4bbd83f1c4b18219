"""The kitty_fs mypy plugin: write-path violations as type errors.

Plain typing already keeps a ``ReadContext`` out of every persisting API. This
plugin closes what typing cannot see, in the *guarded packages* named in its
config section (see ``_mypy_config``):

* ``kitty-fs-mint``: a ``WriteContext`` minted outside the configured write
  boundaries (``write_boundary(...)``, ``attrs.evolve`` of a ``WriteContext``,
  which can re-root it, or a class deriving from it), or constructed directly
  anywhere, subclasses included (the constructor refuses at run time without
  the private token, so say so at type-check time);
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
from mypy.nodes import (
    ConditionalExpr,
    Expression,
    IntExpr,
    OpExpr,
    RefExpr,
    StrExpr,
    TypeInfo,
)
from mypy.options import Options
from mypy.plugin import (
    CheckerPluginInterface,
    ClassDefContext,
    FunctionContext,
    FunctionSigContext,
    MethodSigContext,
    Plugin,
    ReportConfigContext,
)
from mypy.typeops import try_getting_str_literals
from mypy.types import CallableType, FunctionLike, Instance, Type, TypeType, get_proper_type

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
_SILENT: Final = ModuleRole(None, False)
_MODE_UNKNOWN: Final = " (mode is not a read-only literal)"
_FLAGS_UNKNOWN: Final = " (flags are not provably read-only)"
# When the plugin cannot tell, the call may well be a read: say how to make that visible.
_READ_INSTEAD: Final = {
    _MODE_UNKNOWN: 'to only read, pass a literal mode such as "r" or "rb"',
    _FLAGS_UNKNOWN: "to only read, pass os.O_RDONLY (optionally | os.O_CLOEXEC and the like)",
}


def _receiver_is_path(receiver: Type) -> bool:
    """Whether a method's receiver is a ``pathlib.Path`` (an instance, or the class itself)."""
    typ = get_proper_type(receiver)
    if isinstance(typ, CallableType) and typ.is_type_obj():  # Path.write_text(p, ...)
        return typ.type_object().has_base(PATH_CLASS)
    if isinstance(typ, TypeType):
        typ = typ.item
    return isinstance(typ, Instance) and typ.type.has_base(PATH_CLASS)


def _is_write_context(arg_types: list[list[Type]]) -> bool:
    """Whether the first argument of a call is a WriteContext (or a subclass)."""
    if not arg_types or len(arg_types[0]) != 1:
        return False
    typ = get_proper_type(arg_types[0][0])
    return isinstance(typ, Instance) and typ.type.has_base(MINT_CLASS)


_ABSENT: Final = "absent"
_UNKNOWN: Final = "unknown"
_SigContext = FunctionSigContext | MethodSigContext


def _argument(ctx: _SigContext, name: str) -> Expression | Literal["absent", "unknown"]:
    """The one expression passed for parameter ``name``, or whether it is absent or unknowable.

    Unknowable: the callee has no such parameter, or several actuals map to it.
    (A ``*args``/``**kwargs`` actual shows up as the starred expression itself,
    whose type is never a string literal, so it is treated as a possible write.)
    """
    try:
        index = ctx.default_signature.arg_names.index(name)
    except ValueError:
        return _UNKNOWN
    exprs = ctx.args[index]
    if not exprs:
        return _ABSENT
    return exprs[0] if len(exprs) == 1 else _UNKNOWN


def _str_literals(expr: Expression, api: CheckerPluginInterface) -> list[str] | None:
    """The strings ``expr`` can be: a literal, a literal-typed name, or a choice between them."""
    if isinstance(expr, StrExpr):
        return [expr.value]
    if isinstance(expr, ConditionalExpr):
        left = _str_literals(expr.if_expr, api)
        right = _str_literals(expr.else_expr, api)
        return left + right if left is not None and right is not None else None
    if isinstance(expr, RefExpr):
        # A name's type is cheap and side-effect free to compute (Final constants,
        # Literal-typed parameters, narrowed variables); other expressions are not.
        return try_getting_str_literals(expr, api.get_expression_type(expr))
    return None


def _mode_detail(ctx: _SigContext, rule: WriteRule) -> str | None:
    """Why an opener call writes, or ``None`` when its mode is a read-only literal (or absent)."""
    found = _argument(ctx, rule.param)
    if found == _ABSENT:
        return None  # every opener defaults to reading
    modes = _str_literals(found, ctx.api) if isinstance(found, Expression) else None
    if modes is None:
        return _MODE_UNKNOWN
    writing = [m for m in modes if not is_read_only_mode(m)]
    return f' (mode "{writing[0]}")' if writing else None


def _flag_leaves(expr: Expression) -> list[Expression]:
    if isinstance(expr, OpExpr) and expr.op == "|":
        return _flag_leaves(expr.left) + _flag_leaves(expr.right)
    return [expr]


def _flags_detail(ctx: _SigContext, rule: WriteRule) -> str | None:
    """Why an ``os.open`` call writes, or ``None`` when its flags are provably read-only."""
    found = _argument(ctx, rule.param)
    if not isinstance(found, Expression):
        return _FLAGS_UNKNOWN
    for leaf in _flag_leaves(found):
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
    """Reports ``kitty-fs-mint`` and ``kitty-fs-write`` in the configured guarded packages.

    Raw writes are checked in *signature* hooks, which mypy runs once per call
    before checking it. A return-type hook would run inside the speculative
    checks of each overload item (``open``, ``tempfile.mkstemp``, ``ZipFile``...)
    and an error reported there would make mypy reject every item. The mint
    checks need argument types and concern callables that are not overloaded,
    so they use ordinary call hooks.
    """

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        try:
            self._config: PluginConfig = load_plugin_config(options.config_file)
        except (PluginConfigError, OSError, ValueError) as exc:
            # CompileError makes mypy print the message and stop, like its own config errors.
            raise CompileError([f"error: kitty_fs.mypy_plugin: {exc}"]) from exc
        self._roles: dict[str, ModuleRole] = {}
        # Class fullname -> derives from WriteContext; class hierarchies are fixed within a run.
        self._write_classes: dict[str, bool] = {MINT_CLASS: True}
        # Bound once, so that the per-call lookup is a single dict get.
        self._function_sig_hooks: dict[str, Callable[[FunctionSigContext], FunctionLike]] = {
            fullname: self._write_hook(rule) for fullname, rule in FUNCTION_RULES.items()
        }
        self._method_sig_hooks: dict[str, Callable[[MethodSigContext], FunctionLike]] = {
            fullname: self._write_hook(rule) for fullname, rule in METHOD_RULES.items()
        }
        self._path_sig_hooks: dict[str, Callable[[MethodSigContext], FunctionLike]] = {
            name: self._path_hook(rule) for name, rule in PATH_METHOD_RULES.items()
        }
        self._function_hooks: dict[str, Callable[[FunctionContext], Type]] = {
            MINT_BOUNDARY: self._on_write_boundary,
            MINT_CLASS: self._on_constructor,
        }
        for fullname in MINT_EVOLVE:
            self._function_hooks[fullname] = self._on_evolve

    # -- mypy entry points -------------------------------------------------------------------

    def report_config_data(self, ctx: ReportConfigContext) -> object:
        """Per-module settings, so a config change rechecks exactly the modules it affects."""
        role = self._config.role_of(ctx.id)
        if role.package is None:
            return None
        return [RULES_DIGEST, self._config.section, role.package, role.boundary]

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return self._function_sig_hooks.get(fullname)

    def get_method_signature_hook(
        self, fullname: str
    ) -> Callable[[MethodSigContext], FunctionLike] | None:
        hook = self._method_sig_hooks.get(fullname)
        if hook is None:
            # Named after the receiver's class (PosixPath.touch): match the method name here,
            # check that the receiver is a pathlib.Path in the hook.
            hook = self._path_sig_hooks.get(fullname.rpartition(".")[2])
        return hook

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], Type] | None:
        hook = self._function_hooks.get(fullname)
        if hook is None and self._is_write_context_subclass(fullname):
            hook = self._on_constructor
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
            return "", _SILENT
        role = self._roles.get(module)
        if role is None:
            role = self._roles[module] = self._config.role_of(module)
        return module, role

    def _is_write_context_subclass(self, fullname: str) -> bool:
        """Whether ``fullname`` names a subclass of WriteContext (cached: asked for every call)."""
        known = self._write_classes.get(fullname)
        if known is None:
            node = self.lookup_fully_qualified(fullname)
            info = node.node if node is not None else None
            known = isinstance(info, TypeInfo) and info.has_base(MINT_CLASS)
            self._write_classes[fullname] = known
        return known

    def _refuse_mint(
        self, ctx: FunctionContext | ClassDefContext, what: str, module: str, advice: str
    ) -> None:
        """Report a WriteContext made outside a write boundary, at the call or the class."""
        message = (
            f'WriteContext {what} in "{module}", which is not a write boundary; {advice}, '
            f"or add the module to write_boundaries in {self._config.section}"
        )
        if isinstance(ctx, ClassDefContext):
            ctx.api.fail(message, ctx.cls, code=MINT)
        else:
            ctx.api.fail(message, ctx.context, code=MINT)

    # -- raw writes --------------------------------------------------------------------------

    def _write_hook(self, rule: WriteRule) -> Callable[[_SigContext], FunctionLike]:
        def hook(ctx: _SigContext) -> FunctionLike:
            role = self._role(ctx.api)[1]
            if role.package is not None:
                self._check_write(ctx, rule, role.package)
            return ctx.default_signature

        return hook

    def _path_hook(self, rule: WriteRule) -> Callable[[MethodSigContext], FunctionLike]:
        def hook(ctx: MethodSigContext) -> FunctionLike:
            role = self._role(ctx.api)[1]
            if role.package is not None and _receiver_is_path(ctx.type):
                self._check_write(ctx, rule, role.package)
            return ctx.default_signature

        return hook

    def _check_write(self, ctx: _SigContext, rule: WriteRule, package: str) -> None:
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
        message = (
            f'Raw filesystem write "{rule.api}"{detail} in guarded package "{package}"; {remedy}'
        )
        # Each item of an overloaded callee reports the same message; mypy keeps one
        # of identical (line, message) errors.
        ctx.api.fail(message, ctx.context, code=WRITE)

    # -- minting -----------------------------------------------------------------------------

    def _on_write_boundary(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None and not role.boundary:
            self._refuse_mint(
                ctx,
                "minted",
                module,
                "take the WriteContext as a parameter from the command that owns the write",
            )
        return ctx.default_return_type

    def _on_constructor(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None:
            # Refused at run time in every module, boundary or not: only write_boundary()
            # holds the mint token.
            ret = get_proper_type(ctx.default_return_type)
            name = ret.type.fullname if isinstance(ret, Instance) else MINT_CLASS
            if name == MINT_CLASS:
                what = "WriteContext constructed directly"
                why = "the constructor refuses at run time"
            else:
                what = f'WriteContext subclass "{name}" constructed'
                why = "a subclass can skip the mint check"
            ctx.api.fail(
                f'{what} in "{module}"; {why}: call kitty_fs.write_boundary(root, reason=...) '
                "in a write-boundary module, or take the WriteContext as a parameter",
                ctx.context,
                code=MINT,
            )
        return ctx.default_return_type

    def _on_evolve(self, ctx: FunctionContext) -> Type:
        module, role = self._role(ctx.api)
        if role.package is not None and not role.boundary and _is_write_context(ctx.arg_types):
            self._refuse_mint(
                ctx,
                "copied with attrs.evolve",
                module,
                "evolve can re-root a capability: take the WriteContext for that root "
                "as a parameter from the command that owns the write",
            )
        return ctx.default_return_type

    def _on_subclass(self, ctx: ClassDefContext) -> None:
        module, role = self._role(ctx.api.cur_mod_id)
        if role.package is not None and not role.boundary:
            self._refuse_mint(
                ctx,
                "subclassed",
                module,
                "a subclass's constructor escapes the mint check: take a WriteContext "
                "as a parameter and wrap it instead",
            )


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point. Tested with mypy 2.4.1; the plugin API is experimental, so pin mypy."""
    return KittyFsPlugin
