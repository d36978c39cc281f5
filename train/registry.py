"""BasicSR-style registries: build objects from ``{'type': Name, **kwargs}`` options."""
import inspect


class ConfigError(ValueError):
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
        """Build ``opt['type'](**rest)``; unknown keyword arguments are rejected by name."""
        opt = dict(opt)
        if "type" not in opt:
            raise ConfigError(f"{where}: missing key 'type' for the {self._name}")
        cls = self.get(opt.pop("type"))
        params = inspect.signature(cls).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            unknown = sorted(set(opt) - set(params))
            if unknown:
                raise ConfigError(
                    f"{where}: unknown key(s) {unknown} for {self._name} {cls.__name__} "
                    f"(allowed: {sorted(params)})")
        return cls(**opt)

    def __contains__(self, name):
        return name in self._obj_map

    def keys(self):
        return sorted(self._obj_map)


ARCH_REGISTRY = Registry("arch")
