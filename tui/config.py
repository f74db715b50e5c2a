"""The dashboard's own settings: `config_dir()/tui.toml` (keymap, poll interval).

```toml
poll = 1.0            # seconds between stat polls (the fallback when file events are missed)
[keymap]              # binding id = keys (comma-separated), see the help screen (?) for the ids
open-router = "f2"
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analytics.paths import config_dir
from analytics.tomlfile import read_toml

CONFIG_FILENAME = "tui.toml"
DEFAULT_POLL = 1.0


class ConfigError(ValueError):
    """A bad tui.toml: the message names the file and the key."""


@dataclass(frozen=True)
class TuiConfig:
    poll: float = DEFAULT_POLL
    keymap: dict[str, str] = field(default_factory=dict)


def config_path() -> Path:
    return config_dir() / CONFIG_FILENAME


def load_config(path: Path | None = None) -> TuiConfig:
    target = path or config_path()
    if not target.exists():
        return TuiConfig()
    data = read_toml(target, ConfigError)
    unknown = sorted(set(data) - {"poll", "keymap"})
    if unknown:
        raise ConfigError(f"{target}: unknown key(s) {', '.join(unknown)}; known: poll, keymap")
    poll = data.get("poll", DEFAULT_POLL)
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0.05 <= poll <= 60:
        raise ConfigError(f"{target}: poll = {poll!r}: seconds between 0.05 and 60")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) and v for v in keymap.values()):
        raise ConfigError(f"{target}: [keymap] must map binding ids to key strings, e.g. open-router = \"f2\"")
    return TuiConfig(poll=float(poll), keymap=dict(keymap))
