"""The router's persisted state: settings + priors in ``config_dir()/router.toml``, memory in ``data_dir()``.

router.toml is meant to be read and edited by people, so it holds learned means and counts (not sums) and
any user edits/pins beside them. Every write is atomic (temp file, fsync, rename, mode 0600): a crash
leaves the previous file. A file that does not parse is refused with its path and line; a running
process keeps the state it loaded.

Before each overwrite the file on disk, when it loads cleanly, is copied to ``router.toml.bak`` (one that
does not is kept aside as ``router.toml.damaged``). The file records how many prior cells it holds
(``prior_cells``); one that holds fewer — cut short, say at a record boundary, which TOML cannot notice —
is refused, naming the backup, rather than loaded as a smaller table and written back over the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit

from analytics.atomicfile import atomic_write
from analytics.errors import CodexRouterError
from analytics.numbers import is_integer
from analytics.paths import config_dir as default_config_dir
from analytics.paths import data_dir as default_data_dir
from analytics.tomlfile import read_toml
from router.memory import MEMORY_FILENAME, Memory, MemoryStoreError
from router.policy import ACRouter
from router.prior_cells import UserValue
from router.prior_context import ContextPath
from router.prior_records import from_records, to_records
from router.priors import Priors, PriorsError
from router.settings import RouterSettings, SettingsError

STATE_FILENAME = "router.toml"
BACKUP_SUFFIX = ".bak"
DAMAGED_SUFFIX = ".damaged"
CELLS_KEY = "prior_cells"
# A CodeRouterBench folder whose probing split gives a fresh install its priors; unset or empty, the shipped
# aggregates of that split are used (SHIPPED_PRIORS, package data built by benchmarks/make_priors.py).
PROBING_DATA_ENV = "CODEX_ROUTER_PROBING_DATA"
SHIPPED_PRIORS = Path(__file__).with_name("coderouterbench_priors.toml")
SHIPPED_ORIGIN = "CodeRouterBench's probing split (shipped aggregates)"
DEFAULT_MODELS = ("claude-opus-4-6", "claude-sonnet-4-6", "gpt-5.4", "glm-5", "kimi-k2.5", "MiniMax-M2.7",
                  "Qwen3-Max", "qwen3.5-plus")


class StateError(CodexRouterError, ValueError):
    """router.toml or the memory file cannot be used; the message names the file (and line)."""


class RouterState:
    """Settings, priors, memory and the model list, with the one ``ACRouter`` built over them."""

    def __init__(self, settings: RouterSettings | None = None, priors: Priors | None = None,
                 memory: Memory | None = None, models: Sequence[str] | None = None,
                 config_dir: Path | None = None, data_dir: Path | None = None) -> None:
        self.settings = settings or RouterSettings()
        self.priors = priors or Priors(self.settings.prior_strength)
        self.memory = memory or Memory(self.settings.memory_size)
        self.models = list(models or self.priors.models or DEFAULT_MODELS)
        self.config_dir = Path(config_dir) if config_dir else default_config_dir()
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self._router: ACRouter | None = None
        self.recovered = ""  # what load() repaired (a damaged memory rebuilt from the log), for the UI to say
        self._saved = (self.settings, self.priors.user_values())  # what router.toml holds (or would, if new)

    @property
    def state_path(self) -> Path:
        return self.config_dir / STATE_FILENAME

    @property
    def memory_path(self) -> Path:
        return self.data_dir / MEMORY_FILENAME

    @classmethod
    def load(cls, config_dir: Path | None = None, data_dir: Path | None = None,
             rebuild_memory: Callable[[int], Memory] | None = None) -> RouterState:
        """Read what is saved; anything missing starts from defaults (first start).

        With no saved priors the router starts from ``default_priors`` (learned counts, not pinned, so the
        user's own outcomes add to them); saved priors always win. A damaged memory file is
        an error naming it, unless ``rebuild_memory(capacity)`` is given (it re-embeds the routing log's
        outcomes): then the damaged file is kept aside as ``memory.npz.corrupt`` and ``recovered`` says so.
        """
        config = Path(config_dir) if config_dir else default_config_dir()
        data = Path(data_dir) if data_dir else default_data_dir()
        path = config / STATE_FILENAME
        settings, priors, models = RouterSettings(), None, None
        if path.exists():
            settings, priors, models = _read_state(path)
        if priors is None or not priors.cells:
            priors = default_priors(settings.prior_strength)
            models = models or list(DEFAULT_MODELS)
        memory_file = data / MEMORY_FILENAME
        memory, recovered = None, ""
        if memory_file.exists():
            try:
                memory = Memory.load(memory_file, capacity=settings.memory_size)
            except MemoryStoreError as exc:
                if rebuild_memory is None:
                    raise StateError(str(exc)) from None
                memory_file.replace(memory_file.with_name(memory_file.name + ".corrupt"))
                memory = rebuild_memory(settings.memory_size)
                recovered = (f"{exc}; kept aside as {memory_file.name}.corrupt and rebuilt from the routing log "
                             f"({len(memory)} outcomes)")
        state = cls(settings, priors, memory, models, config, data)
        state.recovered = recovered
        return state

    def router(self) -> ACRouter:
        """The one router over this state (decisions and updates change ``priors`` and ``memory`` in place)."""
        if self.memory.capacity != self.settings.memory_size:
            self.memory = self.memory.resized(self.settings.memory_size)
            if self._router is not None:
                self._router.memory = self.memory
        if self._router is None:
            self._router = ACRouter(self.models, self.priors, self.memory, self.settings)
        self._router.settings = self.settings
        return self._router

    @property
    def saved_settings(self) -> RouterSettings:
        """The settings router.toml holds (what a launch keeps; what-if compares edits against)."""
        return self._saved[0]

    def saved_priors(self) -> Priors:
        """The priors with the edits last saved instead of the live ones (what-if's "today" against an edit)."""
        return self.priors.with_user_values(self._saved[1])

    @property
    def priors_edited(self) -> bool:
        """Prior cells were edited or pinned since the last save (or load)."""
        return self.priors.user_values() != self._saved[1]

    @property
    def dirty(self) -> bool:
        """Settings or prior edits differ from what was last saved (or loaded)."""
        return (self.settings, self.priors.user_values()) != self._saved

    def save(self) -> Path:
        """Write router.toml (settings, priors with their edits) and the memory file atomically."""
        path = self._write(self.settings, None)
        self._saved = (self.settings, self.priors.user_values())
        return path

    def save_learned(self) -> Path:
        """Write what the router learned (counts, memory) but keep the settings and edits as last saved.

        After a launched route: the outcome must persist, while edits the user has not saved stay unsaved.
        """
        settings, saved_values = self._saved
        live = self.priors.user_values()
        # An unpinned edit the router has since learned past is gone (see Priors.observe): do not write it back.
        kept = {key: value for key, value in saved_values.items() if value[2] or key in live}
        return self._write(settings, kept)

    def _write(self, settings: RouterSettings,
               user_values: Mapping[tuple[ContextPath, str], UserValue] | None) -> Path:
        if self._router is not None:
            self.models = list(self._router.models)
        document = tomlkit.document()
        document.add(tomlkit.comment("ACRouter state: settings and priors. Edit with care; "
                                     "'codex-router-tui' rewrites this file when you save in the Router tab."))
        document.add("models", self.models)
        records = to_records(self.priors, user_values)
        document.add(CELLS_KEY, len(records))
        table = tomlkit.table()
        for key, value in settings.to_dict().items():
            if key != "cost_unit":
                table.add(key, value)
        table.add(tomlkit.comment(f"eps_cost multiplies {settings.cost_unit}"))
        document.add("settings", table)
        priors = tomlkit.aot()
        for record in records:
            priors.append(tomlkit.item(record))
        document.add("priors", priors)
        self._back_up()
        atomic_write(self.state_path, tomlkit.dumps(document).encode("utf-8"))
        self.memory.save(self.memory_path)
        return self.state_path

    def _back_up(self) -> None:
        """Copy the file about to be replaced to ``.bak`` — unless it does not load, so a damaged file never
        replaces the last good backup (it is kept as ``.damaged`` instead)."""
        path = self.state_path
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            return
        try:
            _read_state(path)
        except StateError:
            atomic_write(path.with_name(path.name + DAMAGED_SUFFIX), content)
            return
        atomic_write(path.with_name(path.name + BACKUP_SUFFIX), content)

    def reset_priors(self) -> int:
        """Edited and pinned cells go back to their learned values; how many changed."""
        return self.priors.reset_user_values()

    def rebuild_from_events(self, events: Any, encode: Any) -> None:
        """Replace priors and memory with what the routing log's outcomes say (texts re-embedded by ``encode``)."""
        self.priors = Priors.from_events(events, keys=self.settings.prior_keys, strength=self.settings.prior_strength)
        self.models = list(dict.fromkeys([*self.models, *self.priors.models]))
        self._router = None
        self.rebuild_memory_from_events(events, encode)

    def rebuild_memory_from_events(self, events: Any, encode: Any) -> None:
        """The memory half of ``rebuild_from_events`` (it embeds every task text)."""
        self.memory = Memory.from_events(events, encode, capacity=self.settings.memory_size)
        if self._router is not None:
            self._router.memory = self.memory

    def learn_events(self, events: Any, encode: Any = None) -> int:
        """Learn from outcomes that reached the log after this state was built (another process's routes, hooks):
        priors always, memory when ``encode`` is given. How many outcomes were learned."""
        learned = self.priors.observe_events(events, self.settings.prior_keys)
        if encode is not None:
            self.memory.add_events(events, encode)
        self.models = list(dict.fromkeys([*self.models, *self.priors.models]))
        if self._router is not None:
            self._router.models = list(dict.fromkeys([*self._router.models, *self.models]))
        return learned


def default_priors(strength: float = 10.0) -> Priors:
    """A fresh install's priors: the probing split of the CodeRouterBench folder ``$CODEX_ROUTER_PROBING_DATA``
    names, else (unset or empty) the aggregates of that split shipped with the package (``SHIPPED_PRIORS``).
    Learned counts, not pinned: the user's own outcomes add to them."""
    chosen = os.environ.get(PROBING_DATA_ENV)
    if not chosen:
        return shipped_priors(strength)
    from router.dataset_readers import DatasetError  # polars: only when a folder is named

    try:
        return probing_priors(Path(chosen).expanduser(), strength)
    except DatasetError as exc:
        raise StateError(f"default priors ({PROBING_DATA_ENV}={chosen}): {exc}") from None


def shipped_priors(strength: float = 10.0) -> Priors:
    """The per dimension x model aggregates of CodeRouterBench's probing split that ship as package data."""
    data = read_toml(SHIPPED_PRIORS, StateError)
    try:
        priors = from_records(data.get("priors", []), strength=strength, source=f"{SHIPPED_PRIORS} priors")
    except PriorsError as exc:
        raise StateError(str(exc)) from None
    priors.origin = SHIPPED_ORIGIN
    return priors


def probing_priors(data: Path, strength: float = 10.0) -> Priors:
    """Per dimension x model (and over all tasks): count, mean score and mean cost of the probing split (train +
    val), costs as the bench loader prices them. No finer keys: a user's tasks do not come from those
    benchmarks. The test split is not read, so bench results on it stay held out."""
    from router.datasets import load_dataset

    probe = load_dataset(data, split="id").probe
    dimension = {task.task_id: task.dimension for task in probe.tasks}
    rows = [{"dimension": dimension.get(row["task_id"]), "model": row["model"], "score": row["score"],
             "cost_usd": row["cost_usd"]} for row in probe.results.iter_rows(named=True)]
    priors = Priors.from_rows(rows, keys=(), strength=strength)
    priors.origin = f"the CodeRouterBench probing split at {data}"
    return priors


def render_priors_file(data: Path) -> str:
    """``SHIPPED_PRIORS``' text, derived from the CodeRouterBench folder ``data`` (benchmarks/make_priors.py)."""
    document = tomlkit.document()
    for line in ("Priors a fresh install starts from: per dimension x model (and over all tasks) the count n,",
                 "mean score and mean cost in USD of CodeRouterBench's probing split (train + val; train costs",
                 "priced from tokens and models.json). Aggregates only, no task rows. Derived from the public",
                 "release of CodeRouterBench (Zhou et al., 2026, arXiv 2606.22902), MIT licence: see",
                 "coderouterbench_LICENSE.txt beside this file. Rebuild: benchmarks/make_priors.py --data DIR"):
        document.add(tomlkit.comment(line))
    table = tomlkit.aot()
    for record in to_records(probing_priors(data)):
        table.append(tomlkit.item(record))
    document.add("priors", table)
    return tomlkit.dumps(document)


def _read_state(path: Path) -> tuple[RouterSettings, Priors, list[str] | None]:
    data = read_toml(path, StateError)
    unknown = sorted(set(data) - {"models", "settings", "priors", CELLS_KEY})
    if unknown:
        raise StateError(f"{path}: unknown top-level key(s) {', '.join(unknown)}")
    models = data.get("models")
    if models is not None and (not isinstance(models, list) or not all(isinstance(m, str) and m for m in models)):
        raise StateError(f"{path}: 'models' must be a list of model names")
    table = data.get("settings", {})
    if not isinstance(table, dict):
        raise StateError(f"{path}: [settings] must be a table")
    records = data.get("priors", [])
    if not isinstance(records, list):
        raise StateError(f"{path}: 'priors' must be an array of tables ([[priors]])")
    cells = data.get(CELLS_KEY)
    if cells is not None and (not is_integer(cells) or cells < 0):
        raise StateError(f"{path}: '{CELLS_KEY}' must be a whole number >= 0")
    if cells is not None and cells != len(records):
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        raise StateError(f"{path}: holds {len(records)} [[priors]] cells but was written with {cells} "
                         f"({CELLS_KEY}); the file looks cut short or edited. Restore the last good copy "
                         f"({backup}{'' if backup.exists() else ', none yet'}), or set {CELLS_KEY} = "
                         f"{len(records)} to use the file as it is")
    try:
        settings = RouterSettings.from_mapping(table, source=f"{path} [settings]")
        priors = from_records(records, strength=settings.prior_strength, source=f"{path} priors")
    except (SettingsError, PriorsError) as exc:
        raise StateError(str(exc)) from None
    priors.origin = str(path)
    return settings, priors, models or None




def memory_rebuilder(paths: Sequence[Path], db_path: Path | None = None) -> Callable[[int], Memory]:
    """For ``RouterState.load``: a damaged memory is rebuilt by re-embedding the outcomes of these logs."""

    def rebuild(capacity: int) -> Memory:
        from router.embedding import shared_embedder
        from router.history import load_events

        events, _ = load_events(paths, db_path)
        return Memory.from_events(events, shared_embedder().encode, capacity=capacity)

    return rebuild
