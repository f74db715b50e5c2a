"""User settings for the route launcher, the verifier and the profile writer: `config_dir()/codex.toml`.

Every key is optional; defaults are below. Example::

    [route]
    timeout_s = 1800            # kill `codex exec` after this long (status "timeout")
    sandbox = "workspace-write"

    [verifier]
    test_command = ["pytest", "-q"]   # argv; default: detected (pytest / npm / cargo / go)
    timeout_s = 300                   # test run wall-clock limit
    memory_mb = 4096                  # RLIMIT_AS for the test run
    max_processes = 512               # RLIMIT_NPROC; as root, a pids cgroup (RLIMIT_NPROC does not bind root)
    network = false                   # true: do not cut the network off
    judge_command = ["my-judge"]      # optional LLM-as-judge (off when absent); see hooks.verifier
    judge_timeout_s = 120

    [verifier.weights.code_refactoring]   # per-dimension signal weights (renormalised over signals present)
    ast = 0.5
    tests = 0.3

    [providers]                 # model name (fnmatch pattern) -> Codex model_provider id; wins over ours
    "qwen*" = "openrouter"
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.errors import CodexRouterError
from analytics.numbers import is_number
from analytics.paths import config_dir
from analytics.tomlfile import read_toml

SETTINGS_FILENAME = "codex.toml"
SIGNALS = ("ast", "tests", "exec", "judge", "completion")


class HooksSettingsError(CodexRouterError, ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


@dataclass
class HooksSettings:
    route_timeout_s: float = 1800.0
    sandbox: str = "workspace-write"
    test_command: list[str] | None = None
    test_timeout_s: float = 300.0
    memory_mb: int = 4096
    max_processes: int = 512
    network: bool = False
    judge_command: list[str] | None = None
    judge_timeout_s: float = 120.0
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    source: Path | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> HooksSettings:
        path = path or config_dir() / SETTINGS_FILENAME
        if not path.exists():
            return cls()
        data = read_toml(path, HooksSettingsError)
        return cls._from_dict(data, path)

    @classmethod
    def _from_dict(cls, data: dict[str, Any], path: Path) -> HooksSettings:
        def get(section: str, key: str, types: tuple[type, ...], default: Any) -> Any:
            table = data.get(section, {})
            if not isinstance(table, dict):
                raise HooksSettingsError(f"{path}: [{section}] must be a table")
            value = table.get(key, default)
            if value is default:
                return value
            if isinstance(value, bool) and bool not in types or not isinstance(value, types):
                names = "/".join(t.__name__ for t in types)
                raise HooksSettingsError(f"{path}: {section}.{key} must be {names}, got {value!r}")
            if list in types and not all(isinstance(v, str) for v in value):
                raise HooksSettingsError(f"{path}: {section}.{key} must be a list of strings")
            if types[0] in (int, float) and not (math.isfinite(value) and value > 0):
                raise HooksSettingsError(f"{path}: {section}.{key} must be a finite positive number, got {value!r}")
            return value

        defaults = cls()
        weights: dict[str, dict[str, float]] = {}
        raw_weights = data.get("verifier", {}).get("weights", {}) if isinstance(data.get("verifier"), dict) else {}
        for dimension, table in raw_weights.items():
            if not isinstance(table, dict):
                raise HooksSettingsError(f"{path}: verifier.weights.{dimension} must be a table")
            for signal, weight in table.items():
                if signal not in SIGNALS:
                    raise HooksSettingsError(f"{path}: verifier.weights.{dimension}.{signal}: unknown signal "
                                        f"(one of {', '.join(SIGNALS)})")
                if not is_number(weight) or not 0 <= weight < math.inf:
                    raise HooksSettingsError(f"{path}: verifier.weights.{dimension}.{signal} must be a finite number >= 0")
            weights[dimension] = {k: float(v) for k, v in table.items()}
        providers = data.get("providers", {})
        if not isinstance(providers, dict) or not all(isinstance(v, str) for v in providers.values()):
            raise HooksSettingsError(f"{path}: [providers] must map model patterns to provider ids (strings)")
        sandbox = get("route", "sandbox", (str,), defaults.sandbox)
        if sandbox not in ("read-only", "workspace-write", "danger-full-access"):
            raise HooksSettingsError(f"{path}: route.sandbox must be read-only, workspace-write or danger-full-access")
        return cls(
            route_timeout_s=float(get("route", "timeout_s", (int, float), defaults.route_timeout_s)),
            sandbox=sandbox,
            test_command=get("verifier", "test_command", (list,), None),
            test_timeout_s=float(get("verifier", "timeout_s", (int, float), defaults.test_timeout_s)),
            memory_mb=int(get("verifier", "memory_mb", (int,), defaults.memory_mb)),
            max_processes=int(get("verifier", "max_processes", (int,), defaults.max_processes)),
            network=bool(get("verifier", "network", (bool,), defaults.network)),
            judge_command=get("verifier", "judge_command", (list,), None),
            judge_timeout_s=float(get("verifier", "judge_timeout_s", (int, float), defaults.judge_timeout_s)),
            weights=weights,
            providers=dict(providers),
            source=path,
        )
