"""BasicSR-style registries: build objects from ``{'type': Name, **kwargs}`` options."""
import inspect

from train.cli import UserError


class ConfigError(UserError):
    """A configuration file or option is invalid; the message names the key."""


class Registry:
    def __init__(self, name):
        self._name = name
        self._obj_map = {}

    def register(self, obj=None, name=None):
        def deco(o):
            key = name or o.__name__
            if key in self._obj_map:
                raise KeyError(f"{key!r} is already registered in the {self._name} registry")
            self._obj_map[key] = o
            return o

        return deco(obj) if obj is not None else deco

    def get(self, name):
        if name not in self._obj_map:
            known = ", ".join(sorted(self._obj_map))
            raise ConfigError(f"unknown {self._name} type {name!r} (known: {known})")
        return self._obj_map[name]

    def build(self, opt, where="type"):
        """Build ``opt['type'](**rest)``; unknown keyword arguments and values of another
        type than the parameter's default are rejected by name."""
        opt = dict(opt)
        if "type" not in opt:
            raise ConfigError(f"{where}: missing key 'type' for the {self._name}")
        cls = self.get(opt.pop("type"))
        params, open_ended = _parameters(cls)
        unknown = [] if open_ended else sorted(set(opt) - set(params))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {unknown} for {self._name} {cls.__name__} "
                f"(allowed: {sorted(params)})")
        for key, value in opt.items():
            if key in params:
                _check_type(f"{where}.{key}", value, params[key].default)
        try:
            return cls(**opt)
        except ValueError as err:  # the constructor's own checks of the values
            raise ConfigError(f"{where} ({cls.__name__}): {err}") from None

    def __contains__(self, name):
        return name in self._obj_map

    def keys(self):
        return sorted(self._obj_map)


ARCH_REGISTRY = Registry("arch")


def _parameters(cls):
    """``({name: Parameter}, open_ended)`` of ``cls``'s keyword arguments, following
    ``**kwargs`` into the base classes' ``__init__`` (as BinaryEDSR passes them on)."""
    params = {}
    for klass in (cls.__mro__ if inspect.isclass(cls) else (cls,)):
        init = klass.__init__ if inspect.isclass(klass) else klass
        if inspect.isclass(klass) and "__init__" not in vars(klass):
            continue
        signature = inspect.signature(init)
        for name, param in signature.parameters.items():
            if name != "self" and param.kind is not param.VAR_KEYWORD:
                params.setdefault(name, param)
        if not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
            return params, False
    return params, True


def _check_type(key, value, default):
    """ConfigError naming ``key`` when ``value`` is not of the default's type (an int
    may stand for a float; a bool is not an int)."""
    if default is inspect.Parameter.empty or default is None:
        return
    expected = type(default)
    ok = isinstance(value, expected) and (expected is bool or not isinstance(value, bool))
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise ConfigError(f"'{key}' must be {expected.__name__}, got {value!r} "
                          f"({type(value).__name__})")
