"""The dashboard's own settings: `config_dir()/tui.toml` (keymap, poll interval).

```toml
poll = 1.0            # seconds between stat polls (the fallback when file events are missed)
sprint_days = 14      # the sprint review's "Last sprint": this many days ending at the latest data
[keymap]              # binding id = keys (comma-separated), see the help screen (?) for the ids
open-router = "f2"
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analytics.errors import CodexRouterError
from analytics.paths import config_dir
from analytics.tomlfile import read_toml

CONFIG_FILENAME = "tui.toml"
DEFAULT_POLL = 1.0
DEFAULT_SPRINT_DAYS = 14
KNOWN_KEYS = ("poll", "sprint_days", "keymap")


class ConfigError(CodexRouterError, ValueError):
    """A bad tui.toml: the message names the file and the key."""


@dataclass(frozen=True)
class TuiConfig:
    poll: float = DEFAULT_POLL
    keymap: dict[str, str] = field(default_factory=dict)
    sprint_days: int = DEFAULT_SPRINT_DAYS


def config_path() -> Path:
    return config_dir() / CONFIG_FILENAME


def load_config(path: Path | None = None) -> TuiConfig:
    target = path or config_path()
    if not target.exists():
        return TuiConfig()
    data = read_toml(target, ConfigError)
    unknown = sorted(set(data) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(f"{target}: unknown key(s) {', '.join(unknown)}; known: {', '.join(KNOWN_KEYS)}")
    poll = data.get("poll", DEFAULT_POLL)
    if isinstance(poll, bool) or not isinstance(poll, int | float) or not 0.05 <= poll <= 60:
        raise ConfigError(f"{target}: poll = {poll!r}: seconds between 0.05 and 60")
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict) or not all(isinstance(v, str) and v for v in keymap.values()):
        raise ConfigError(f"{target}: [keymap] must map binding ids to key strings, e.g. open-router = \"f2\"")
    sprint_days = data.get("sprint_days", DEFAULT_SPRINT_DAYS)
    if isinstance(sprint_days, bool) or not isinstance(sprint_days, int) or not 1 <= sprint_days <= 366:
        raise ConfigError(f"{target}: sprint_days = {sprint_days!r}: whole days between 1 and 366")
    return TuiConfig(poll=float(poll), keymap=dict(keymap), sprint_days=sprint_days)
