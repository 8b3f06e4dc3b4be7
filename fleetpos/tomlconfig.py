"""What the till's and head office's config loaders share: reading the TOML file,
FLEETPOS_* environment overrides, coercing values, and errors that name the key."""

from __future__ import annotations

import os
import re
import tomllib


class ConfigError(Exception):
    def __init__(self, source: str, key: str, problem: str):
        super().__init__(f"config error in {source}: {key}: {problem}")
        self.source, self.key, self.problem = source, key, problem


def read_toml(path: str | os.PathLike | None, error: type[ConfigError] = ConfigError) -> tuple[str, dict]:
    """(source name, parsed table); no path means only defaults."""
    if path is None:
        return "<defaults>", {}
    source = str(path)
    try:
        with open(path, "rb") as handle:
            return source, tomllib.load(handle)
    except FileNotFoundError:
        raise error(source, "(file)", "does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(source, "(syntax)", str(exc)) from None


def apply_env(raw: dict, environ, prefix: str, sections=None) -> dict:
    """<PREFIX><SECTION>__<KEY>=value overrides [section] key (only `sections`, if given)."""
    for name, value in environ.items():
        if not name.startswith(prefix) or "__" not in name:
            continue
        section, _, key = name[len(prefix):].lower().partition("__")
        if sections is None or section in sections:
            raw.setdefault(section, {})[key] = value
    return raw


def coerce(source: str, key: str, value, wanted: str, error: type[ConfigError] = ConfigError):
    """`value` as `wanted` ("int", "str" or "bool"); strings from the environment convert."""
    if wanted == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
    elif wanted == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
    elif wanted == "str":
        if isinstance(value, str):
            return value
    raise error(source, key, f"must be {wanted}, not {type(value).__name__} {value!r}")
