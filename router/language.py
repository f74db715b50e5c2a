"""Programming-language detection from a task's text.

Routing wants the language a task is *in* (priors and model strengths differ per language), and users
say it in a handful of ways: "in Rust", a fenced block ```go, a file name like ``app.ts``, or code whose
keywords give it away. Each kind of evidence carries a weight; the winner's share of the evidence and
how much evidence there was give an honest confidence. No model is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Canonical name -> aliases a user writes (lower case). The canonical name is an alias of itself.
ALIASES: dict[str, tuple[str, ...]] = {
    "python": ("python", "python3", "py", "cpython", "pypy"),
    "javascript": ("javascript", "js", "nodejs", "node.js", "ecmascript", "jsx"),
    "typescript": ("typescript", "ts", "tsx"),
    "java": ("java",),
    "go": ("go", "golang"),
    "rust": ("rust", "rs"),
    "c": ("c", "ansi c", "c99", "c11"),
    "cpp": ("cpp", "c++", "cxx", "cc", "c++17", "c++20", "c++11", "hpp"),
    "csharp": ("csharp", "c#", "cs", ".net", "dotnet"),
    "ruby": ("ruby", "rb", "rails"),
    "php": ("php", "laravel"),
    "kotlin": ("kotlin", "kt", "kts"),
    "swift": ("swift", "swiftui"),
    "scala": ("scala", "sbt"),
    "shell": ("shell", "bash", "sh", "zsh", "shell script", "posix sh"),
    "sql": ("sql", "postgres", "postgresql", "mysql", "sqlite", "plpgsql", "t-sql", "tsql"),
    "r": ("r", "rlang", "tidyverse"),
    "haskell": ("haskell", "hs", "ghc"),
    "lua": ("lua",),
    "perl": ("perl", "pl"),
    "dart": ("dart", "flutter"),
    "elixir": ("elixir", "ex", "exs"),
    "julia": ("julia", "jl"),
    "ocaml": ("ocaml", "ml"),
    "zig": ("zig",),
    "scheme": ("scheme", "racket", "lisp"),
    "matlab": ("matlab",),
    "assembly": ("assembly", "asm", "riscv", "x86 assembly"),
}

_ALIAS_TO_CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in aliases}

# File extensions -> language. Only extensions that are unambiguous enough to count as evidence.
EXTENSIONS: dict[str, str] = {
    "py": "python", "pyi": "python", "ipynb": "python",
    "js": "javascript", "mjs": "javascript", "cjs": "javascript", "jsx": "javascript",
    "ts": "typescript", "tsx": "typescript", "mts": "typescript",
    "java": "java", "go": "go", "rs": "rust",
    "c": "c", "h": "c",
    "cpp": "cpp", "cc": "cpp", "cxx": "cpp", "hpp": "cpp", "hh": "cpp",
    "cs": "csharp", "rb": "ruby", "php": "php", "kt": "kotlin", "kts": "kotlin", "swift": "swift",
    "scala": "scala", "sh": "shell", "bash": "shell", "zsh": "shell", "sql": "sql", "r": "r", "rmd": "r",
    "hs": "haskell", "lua": "lua", "pl": "perl", "pm": "perl", "dart": "dart", "ex": "elixir",
    "exs": "elixir", "jl": "julia", "ml": "ocaml", "zig": "zig", "scm": "scheme", "rkt": "scheme",
    "m": "matlab", "s": "assembly", "asm": "assembly",
}

# Names that are also ordinary English words: they count only in a phrase that makes them a language
# ("in Rust", "Swift code", "```go"), never as a bare word.
_AMBIGUOUS = {"go", "c", "r", "rust", "swift", "scheme", "ruby", "dart", "julia", "lua", "assembly", "rails"}
# Short aliases that are safe in a phrase ("in js"); other short ones ("ml", "cs", "pl") are too often
# something else. The single letters and "go" must also be written capitalised ("in C", not "to go").
_SHORT_OK = {"go", "c", "r", "js", "ts", "py", "c#", "sh", "tsx", "jsx"}
_MUST_CAPITALISE = {"go", "c", "r"}

# Distinctive syntax, checked on the text; weak evidence each, but several together are convincing.
_SYNTAX: dict[str, tuple[str, ...]] = {
    "python": (r"^\s*def \w+\(.*\)(?:\s*->\s*[^:]+)?:", r"^\s*(from \w[\w.]* )?import \w", r"\bself\.\w",
               r"__init__", r"\bprint\(", r"\bNotImplementedError\b",
               r"Traceback \(most recent call last\)", r"\belif\b"),
    "javascript": (r"\bconst \w+ = require\(", r"\bconsole\.log\(", r"=> \{", r"\bnpm (install|run)\b",
                   r"\bmodule\.exports\b", r"\bdocument\.\w+"),
    "typescript": (r"\binterface \w+ \{", r":\s*(string|number|boolean)\b"),
    "java": (r"\bpublic static void main\b", r"^\s*(?:public|private|protected) [\w<>\[\]]+ \w+\(",
             r"\bSystem\.out\.print", r"\bpublic class \w+", r"\bNullPointerException\b"),
    "go": (r"^\s*func (?:\([^)]*\) )?\w+\(", r"^package main\b", r"\bgo mod\b", r"\bfmt\.Print",
           r":= "),
    "rust": (r"\bfn \w+\(", r"\blet mut\b", r"\bimpl\b.*\{",
             r"\bborrow checker\b", r"\bunwrap\(\)"),
    "c": (r"#include <std(io|lib)\.h>", r"\bmalloc\(", r"\bprintf\(", r"\bsegfault|segmentation fault\b"),
    "cpp": (r"#include <(iostream|vector|string|map)>", r"\bstd::\w+", r"\bcout\b", r"\btemplate ?<",
            r"\bCMakeLists\.txt\b"),
    "csharp": (r"\busing System\b", r"\bConsole\.Write", r"\basync Task\b"),
    "ruby": (r"^\s*def \w+\s*$", r"\bputs\b", r"\bgem install\b|\bGemfile\b", r"\bdo \|\w+\|"),
    "php": (r"<\?php", r"\$this->"),
    "kotlin": (r"\bfun \w+\(", r"\bval \w+ =", r"\bdata class\b"),
    "swift": (r"\bfunc \w+\(.*\) -> ", r"\bguard let\b"),
    "scala": (r"\bcase class\b", r"\bobject \w+ extends\b", r"\bdef \w+\(.*\): \w+ ="),
    "shell": (r"^#!/bin/(ba)?sh", r"\bchmod \+x\b", r"\becho \$\w+", r"\bset -e\b"),
    "sql": (r"\bSELECT\b.+\bFROM\b", r"\bINSERT INTO\b", r"\bCREATE TABLE\b", r"\bJOIN\b.+\bON\b",
            r"\bGROUP BY\b"),
    "r": (r"<- ", r"\bggplot\(", r"\bdata\.frame\("),
}
_SYNTAX_RE = {lang: [re.compile(p, re.MULTILINE | (0 if lang == "sql" else re.IGNORECASE)) for p in pats]
              for lang, pats in _SYNTAX.items()}

_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9+#.\-]+)")
_FILE_RE = re.compile(r"(?<![\w/.-])[\w./-]*\w\.([A-Za-z]{1,5})\b(?![\w(])")


# A word that may be a language name: "C++", "C#", "Node.js" and "python3" are one word each. A word glued
# to a dot or slash before it is part of a file name or path, handled by _FILE_RE.
_WORD_RE = re.compile(r"(?<![\w./#+-])[A-Za-z][A-Za-z0-9]*(?:\+\+|#|\.js)?(?![\w+#])")
_LEADS = {"in", "into", "to", "from", "using", "with", "for", "write", "port", "idiomatic"}
_ADJECTIVES = {"idiomatic", "modern", "plain", "pure", "safe", "async", "typed", "vanilla"}
_NOUNS = {
    "code", "codebase", "function", "functions", "script", "class", "program", "module", "library", "crate",
    "package", "service", "version", "implementation", "project", "app", "file", "files", "api", "server",
    "cli", "binding", "bindings", "test", "tests", "snippet", "port", "equivalent", "query", "queries",
    "macro", "struct", "trait", "generics",
}
# Libraries, frameworks and tools that belong to one language's ecosystem ("a Jest test" is JavaScript).
# Words that are also English ("react", "spring", "boost") count only capitalised.
ECOSYSTEMS: dict[str, tuple[str, ...]] = {
    "python": ("django", "flask", "fastapi", "pandas", "numpy", "scipy", "pytorch", "tensorflow", "keras",
               "scikit", "sklearn", "sqlalchemy", "pytest", "pydantic", "celery", "jupyter", "matplotlib",
               "seaborn", "asyncio", "gunicorn", "uvicorn", "virtualenv", "venv", "pip", "mypy", "conda"),
    "javascript": ("React", "vue", "Express", "jquery", "webpack", "npm", "yarn", "jest", "mocha", "nextjs",
                   "svelte", "eslint", "babel", "vite", "vitest"),
    "typescript": ("angular", "nestjs", "tsconfig", "tsc"),
    "java": ("Spring", "maven", "gradle", "junit", "mockito", "hibernate", "jvm"),
    "go": ("goroutine", "goroutines", "gofmt"),
    "rust": ("cargo", "tokio", "serde", "rustc", "clippy", "rustup"),
    "c": ("valgrind", "xv6"),
    "cpp": ("cmake", "Boost", "stl"),
    "csharp": ("linq", "nuget", "xamarin", "blazor"),
    "ruby": ("Rails", "rspec", "rubygems", "bundler", "sinatra"),
    "php": ("laravel", "symfony", "composer", "wordpress"),
    "kotlin": ("ktor",),
    "swift": ("swiftui", "uikit", "xcode", "cocoapods"),
    "r": ("tidyverse", "dplyr", "ggplot2", "ggplot", "cran"),
}
_ECOSYSTEM_LOWER = {w: lang for lang, words in ECOSYSTEMS.items() for w in words if w.islower()}
_ECOSYSTEM_CAPITALISED = {w: lang for lang, words in ECOSYSTEMS.items() for w in words if not w.islower()}
_CAPITALISED_NAMES = {"Rust", "Swift", "Go", "Ruby", "Dart", "Julia", "Lua", "Scheme", "Golang"}

# Only the start of a long text is read: the language shows early, and pasted logs can run to 100 kB.
TEXT_WINDOW = 20_000
# Syntax clues are weak and costly to search (dozens of patterns), so they look at less.
SYNTAX_WINDOW = 5_000
# "to Rust" names the language the answer is written in, "from Python" the one being left behind.
WEIGHTS = {"fence": 3.0, "target": 3.5, "phrase": 3.0, "source": 2.0, "bare": 2.0, "capitalised": 1.5,
           "ecosystem": 1.5, "file": 1.5, "syntax": 0.75}
# Evidence at which confidence saturates: one explicit phrase or fence is enough to be fairly sure.
_SATURATION = 3.0


@dataclass(frozen=True)
class LanguageGuess:
    language: str | None
    confidence: float
    # Every language that had evidence, with its weight, for the route explanation.
    evidence: dict[str, float]


def canonical_language(name: str) -> str:
    """Canonical name for a user- or dataset-given language ("C++" -> "cpp"); unknown names are kept
    (lower-cased) because the set of languages is open."""
    key = name.strip().lower()
    if not key:
        raise ValueError("language is empty")
    return _ALIAS_TO_CANONICAL.get(key, key)


def detect_language(text: str | None) -> LanguageGuess:
    """Best-supported language in ``text``, or ``None`` with confidence 0 when nothing points to one."""
    if not text or not text.strip():
        return LanguageGuess(None, 0.0, {})
    scores: dict[str, float] = {}

    def add(lang: str | None, weight: float) -> None:
        if lang:
            scores[lang] = scores.get(lang, 0.0) + weight

    text = text[:TEXT_WINDOW]
    for m in _FENCE_RE.finditer(text):
        add(_ALIAS_TO_CANONICAL.get(m.group(1).lower()), WEIGHTS["fence"])
    for lang, weight in _mentions(text):
        add(lang, weight)
    for m in _FILE_RE.finditer(text):
        add(EXTENSIONS.get(m.group(1).lower()), WEIGHTS["file"])
    head = text[:SYNTAX_WINDOW]
    for lang, patterns in _SYNTAX_RE.items():
        hits = sum(1 for p in patterns if p.search(head))
        add(lang if hits else None, WEIGHTS["syntax"] * hits)
    return _decide(scores)


def _mentions(text: str) -> list[tuple[str, float]]:
    """Named mentions of a language, each weighed by its context: "to Rust" (the target), "from Python"
    (the source), "Go code" (a phrase), a bare unambiguous name, or a capitalised ambiguous one; and
    mentions of a tool of one language's ecosystem."""
    words = list(_WORD_RE.finditer(text))
    found: list[tuple[str, float]] = []
    for i, m in enumerate(words):
        word = m.group(0)
        key = word.lower()
        tool = _ECOSYSTEM_CAPITALISED.get(word) or _ECOSYSTEM_LOWER.get(key)
        if tool is not None:
            found.append((tool, WEIGHTS["ecosystem"]))
            continue
        lang = _ALIAS_TO_CANONICAL.get(key)
        if lang is None or (len(key) <= 2 and key not in _SHORT_OK):
            continue
        if key in _MUST_CAPITALISE and not word[0].isupper():
            continue
        lead = _neighbour(text, words, i, -1)
        if lead in _ADJECTIVES:
            lead = _neighbour(text, words, i - 1, -1)
        if lead in _LEADS:
            kind = "target" if lead in ("to", "into") else "source" if lead == "from" else "phrase"
        elif _neighbour(text, words, i, +1) in _NOUNS:
            kind = "phrase"
        elif key not in _AMBIGUOUS and (len(key) > 2 or key == "c#"):
            kind = "bare"
        elif word in _CAPITALISED_NAMES and not _starts_sentence(text, m.start()):
            kind = "capitalised"
        else:
            continue
        found.append((lang, WEIGHTS[kind]))
    return found


def _neighbour(text: str, words: list[re.Match[str]], i: int, step: int) -> str | None:
    """The word next to ``words[i]`` (before: step -1, after: +1) if only spaces separate them."""
    j = i + step
    if not 0 <= j < len(words) or not 0 <= i < len(words):
        return None
    left, right = (words[j], words[i]) if step < 0 else (words[i], words[j])
    gap = text[left.end():right.start()]
    return words[j].group(0).lower() if gap and not gap.strip() else None


def _starts_sentence(text: str, pos: int) -> bool:
    before = text[max(0, pos - 80):pos].rstrip(" \t")
    if not before and pos > 80:
        return False
    return not before or before[-1] in ".!?\n:"


def _decide(scores: dict[str, float]) -> LanguageGuess:
    if not scores:
        return LanguageGuess(None, 0.0, {})
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best, top = ranked[0]
    total = sum(scores.values())
    share = top / total
    strength = min(1.0, top / _SATURATION)
    confidence = round(share * strength, 3)
    return LanguageGuess(best, confidence, {k: round(v, 3) for k, v in ranked})

