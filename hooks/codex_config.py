"""Codex config facts shared by the profile writer and the launcher: profile names and model providers.

MODEL_PROVIDERS maps a model name pattern (fnmatch, case-insensitive) to the Codex ``model_provider`` id a
profile for it should use; the first match wins, the user's ``[providers]`` table in ``codex.toml`` is
tried before ours. "openai" is built into Codex; the others need a ``[model_providers.ID]`` table in
config.toml (name, base_url, env_key, wire_api), which ``profiles sync`` reports when it is missing.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

MODEL_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("*/*", "openrouter"),  # vendor-prefixed ids ("qwen/qwen3-coder") are OpenRouter's naming
    ("gpt-*", "openai"), ("o[0-9]*", "openai"), ("codex-*", "openai"),
    ("claude-*", "anthropic"), ("*opus*", "anthropic"), ("*sonnet*", "anthropic"), ("*haiku*", "anthropic"),
    ("glm-*", "zhipu"), ("kimi-*", "moonshot"), ("moonshot-*", "moonshot"),
    ("minimax-*", "minimax"), ("abab*", "minimax"),
    ("qwen*", "openrouter"), ("deepseek*", "openrouter"),
)
BUILTIN_PROVIDERS = frozenset({"openai", "oss", "ollama", "lmstudio"})
# What a missing provider table could look like; printed for the user, never written silently.
PROVIDER_HINTS = {
    "anthropic": ("Anthropic", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY"),
    "openrouter": ("OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "zhipu": ("Zhipu GLM", "https://open.bigmodel.cn/api/paas/v4", "ZHIPU_API_KEY"),
    "moonshot": ("Moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"),
    "minimax": ("MiniMax", "https://api.minimax.io/v1", "MINIMAX_API_KEY"),
}
# Codex (0.169+) takes a --profile NAME of ASCII letters, digits, `_` and `-` only ("gpt-5.4" is refused).
PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_UNSAFE_DOTTED = re.compile(r"[^a-z0-9._-]+")  # what `profiles sync` wrote before: dots kept


def profile_name(model: str) -> str:
    """The profile name for a model: lower case, a dot becomes `_`, any other run of characters Codex refuses
    becomes `-` (``gpt-5.4`` -> ``gpt-5_4``, ``Qwen/Qwen3 Coder`` -> ``qwen-qwen3-coder``). `_` for the dot keeps
    version numbers readable and distinct from the `-` that already separates words."""
    name = _UNSAFE.sub("-", model.strip().lower().replace(".", "_")).strip("-_")
    if not name:
        raise ValueError(f"cannot make a profile name from model {model!r}")
    return name[:100]


def dotted_profile_name(model: str) -> str:
    """The name earlier `profiles sync` gave a model (dots kept): its files are migrated, then removed."""
    return _UNSAFE_DOTTED.sub("-", model.strip().lower()).strip("-.")[:100]


def valid_profile_name(name: str) -> bool:
    return PROFILE_NAME.fullmatch(name) is not None


def provider_for(model: str, overrides: dict[str, str] | None = None) -> str:
    lowered = model.lower()
    for pattern, provider in [*(overrides or {}).items(), *MODEL_PROVIDERS]:
        if fnmatch.fnmatchcase(lowered, pattern.lower()):
            return provider
    return "openai"


def read_config(codex_home: Path) -> dict:
    """config.toml as plain data ({} when absent); ValueError naming the file when it is not TOML."""
    path = codex_home / "config.toml"
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc


def existing_profile(codex_home: Path, model: str, form: str) -> str | None:
    """The profile name for ``model`` if `profiles sync` (or the user) created it in the form Codex reads."""
    name = profile_name(model)
    if form == "file":
        return name if (codex_home / f"{name}.config.toml").exists() else None
    try:
        profiles = read_config(codex_home).get("profiles", {})
    except ValueError:
        return None
    return name if isinstance(profiles, dict) and name in profiles else None
