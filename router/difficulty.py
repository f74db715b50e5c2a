"""Difficulty estimate (easy / medium / hard) from a task's text.

Nothing in a prompt states its difficulty, so this is a transparent score of observable signals: how long
the request is, how many files and requirements it names, whether it carries a stack trace, and phrases
that mark wide or delicate work ("across services", "race condition") or small work ("rename", "typo").
The confidence is deliberately modest (never above ``MAX_CONFIDENCE``): it grows with the distance of the
score from the nearest class boundary, and routing weighs it accordingly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("easy", "medium", "hard")
MAX_CONFIDENCE = 0.75
# Score boundaries: below EASY_BELOW is easy, above HARD_ABOVE is hard.
EASY_BELOW = -0.75
# Signals are searched in the start of a long text only (the length itself is measured on all of it).
TEXT_WINDOW = 20_000
HARD_ABOVE = 1.75

_HARD = {
    "wide scope": r"\bacross (?:the |all |multiple |several )?(?:services|repos?|repositories|modules|packages|"
                  r"codebase|files|projects|microservices)\b|\b(?:whole|entire) (?:codebase|project|repo|"
                  r"repository|app|application|system|module|backend|frontend)\b|\bmulti-?file\b|\bmonorepo\b",
    "migration": r"\bmigrat(?:e|ion)\b|\bupgrade (?:\w+ ){0,2}(?:to|from)\b|\bport (?:the|this|our)\b",
    "concurrency": r"\brace conditions?\b|\bdeadlocks?\b|\bconcurren(?:t|cy)\b|\bthread-?safe\b|\bmutex\b|"
                   r"\block contention\b|\bdistributed\b|\bmemory leak\b|\bflaky\b|\bintermittent",
    "systems": r"\bkernel\b|\bdevice driver\b|\bpage tables?\b|\bsyscalls?\b|\bsystem calls?\b|\bcompiler\b|"
               r"\binterpreter\b|\bgarbage collect",
    "infrastructure": r"\bci\b|\bpipeline\b|\bdocker|\bkubernetes\b|\bk8s\b|\bterraform\b|\bdeploy",
    "performance": r"\boptimi[sz]e\b|\bperformance\b|\bbottleneck\b|\blatency\b|\bscal(?:e|able|ability)\b",
    "from scratch": r"\bfrom scratch\b|\bend-to-end\b|\bdesign (?:and|&) implement\b|\barchitecture\b",
    "security": r"\bsecurity\b|\bvulnerab|\bauthenticat|\bencrypt",
}
_EASY = {
    "small scope": r"\b(?:simple|small|quick|tiny|trivial|basic|short|minor|one-?liner|single line)\b",
    "cosmetic": r"\btypos?\b|\brename\b|\bformat(?:ting)?\b|\bdocstrings?\b|\bcomments?\b|\bspelling\b",
    "beginner": r"\bhello world\b|\bbeginner\b|\bfizz ?buzz\b|\bfactorial\b|\breverse (?:a|the) string\b|"
                r"\bpalindrome\b|\bsum of\b|\bis_?even\b",
}
_HARD_RE = {name: re.compile(p, re.IGNORECASE) for name, p in _HARD.items()}
_EASY_RE = {name: re.compile(p, re.IGNORECASE) for name, p in _EASY.items()}
_TRACE_RE = re.compile(
    r"Traceback \(most recent call last\)|^\s+at [\w.$<>]+\(.*:\d+\)|panicked at|Segmentation fault|"
    r"^\s+File \".*\", line \d+|Exception in thread|core dumped",
    re.MULTILINE,
)
_FILE_RE = re.compile(r"(?<![\w/])(?:[\w.-]+/)*[\w-]+\.(?:py|js|ts|tsx|jsx|go|rs|java|c|h|cpp|hpp|cs|rb|php|kt|"
                      r"swift|scala|sh|sql|yml|yaml|toml|json|md|cfg|ini|html|css)\b")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S", re.MULTILINE)
_CODE_FENCE_RE = re.compile(r"```")


@dataclass(frozen=True)
class DifficultyGuess:
    level: str
    confidence: float
    score: float
    # Names of the signals that moved the score, for the route explanation.
    signals: tuple[str, ...]


def estimate_difficulty(text: str | None) -> DifficultyGuess:
    """``medium`` with confidence 0 when there is no text: the prior, not a measurement."""
    if not text or not text.strip():
        return DifficultyGuess("medium", 0.0, 0.0, ())
    score = 0.0
    signals: list[str] = []

    words = len(text.split())
    text = text[:TEXT_WINDOW]
    if words < 15:
        score -= 0.75
        signals.append("short request")
    elif words > 400:
        score += 1.5
        signals.append("long specification")
    elif words > 120:
        score += 0.75
        signals.append("detailed request")

    files = {m.group(0) for m in _FILE_RE.finditer(text)}
    if len(files) >= 3:
        score += 1.0
        signals.append(f"{len(files)} files named")
    if _TRACE_RE.search(text):
        score += 0.5
        signals.append("stack trace")
    items = len(_LIST_ITEM_RE.findall(text))
    if items >= 5:
        score += 0.5
        signals.append(f"{items} listed requirements")
    if len(_CODE_FENCE_RE.findall(text)) >= 4:
        score += 0.25
        signals.append("several code blocks")

    for name, pattern in _HARD_RE.items():
        if pattern.search(text):
            score += 1.0
            signals.append(name)
    for name, pattern in _EASY_RE.items():
        if pattern.search(text):
            score -= 1.0
            signals.append(name)

    if score < EASY_BELOW:
        level, margin = "easy", EASY_BELOW - score
    elif score > HARD_ABOVE:
        level, margin = "hard", score - HARD_ABOVE
    else:
        level, margin = "medium", min(score - EASY_BELOW, HARD_ABOVE - score)
    confidence = round(min(MAX_CONFIDENCE, 0.35 + 0.2 * margin), 3)
    return DifficultyGuess(level, confidence, round(score, 3), tuple(signals))


def canonical_difficulty(value: str) -> str:
    """Validate a given difficulty (metadata, datasets); case and surrounding space are forgiven."""
    level = value.strip().lower()
    if level not in LEVELS:
        raise ValueError(f"difficulty must be one of {', '.join(LEVELS)}, got {value!r}")
    return level
