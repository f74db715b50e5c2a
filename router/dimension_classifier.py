"""Which of the 10 task dimensions (DESIGN §3) a task text belongs to.

Two transparent sources of evidence:

* keywords — weighted regular expressions per dimension ("write unit tests", "Traceback", "port ... to
  Rust"). They need no model, so a task can be classified on the fast path; alone they give a lower
  confidence.
* prototypes — cosine similarity of the task's embedding to short prototype requests per dimension
  (``dimension_prototypes.toml``, kept apart from the labelled test set so measured accuracy is held out).

With an embedding both are added as logits (similarity / temperature + keyword weight) and a softmax
gives the probability of each dimension; the winner's probability is the confidence.
"""

from __future__ import annotations

import math
import re
import threading
import tomllib
import weakref
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from router.language import detect_language

if TYPE_CHECKING:
    from router.embedding import Embedder

DIMENSIONS: tuple[str, ...] = (
    "code_generation", "algorithm", "bug_fixing", "code_completion", "code_refactoring",
    "data_science", "multi_language", "code_understanding", "test_generation", "agentic",
)

PROTOTYPES_FILE = "dimension_prototypes.toml"
# Softmax temperature over cosine similarities: MiniLM similarities of related requests differ by a few
# hundredths, so a small temperature is needed for them to separate.
PROTOTYPE_TEMPERATURE = 0.04
# How many of a dimension's best-matching prototypes are averaged (robust to one lucky sentence).
PROTOTYPE_TOP = 3
# Discount on the confidence of keywords alone: they see surface words only, so they must not sound
# as sure as the combined classifier.
KEYWORD_ONLY_DISCOUNT = 0.7
# Moving code between languages needs two of them: when the text names fewer, the multi_language logit
# is lowered by this much (prototypes alone pull any request that names a language towards it).
SINGLE_LANGUAGE_PENALTY = 2.0
# Only the start of a long text is searched for keywords and embedded: the request is stated first,
# and logs/code pasted below it should not outvote it.
TEXT_WINDOW = 4000

_KEYWORDS: dict[str, tuple[tuple[str, float], ...]] = {
    "code_generation": (
        (r"\b(?:write|create|build|implement|generate|make|add|develop|scaffold)\b(?: \w+){0,4} "
         r"(?:function|class|script|program|module|endpoint|api|cli|tool|component|service|app|server|"
         r"library|feature|parser|handler|page|bot|command)s?\b", 1.5),
        (r"\bimplement\b", 0.75),
        (r"\bnew feature\b|\bfeature request\b|\btask statement\b", 1.0),
        (r"\bfrom scratch\b", 0.75),
    ),
    "algorithm": (
        (r"\bgiven (?:an?|two|the) (?:array|list|string|integer|number|tree|graph|matrix|grid|sequence)s?\b",
         2.0),
        (r"\bO\((?:n|log|1|m|k|n\^?2)[^)]*\)|\btime complexity\b|\bspace complexity\b", 2.0),
        (r"\bdynamic programming\b|\bgreedy\b|\bbacktracking\b|\bmemoi[sz]ation\b|\bdfs\b|\bbfs\b|"
         r"\bdijkstra\b|\btopological sort\b|\bunion[- ]find\b|\bsliding window\b|\btwo pointers\b", 2.0),
        (r"\b(?:shortest|longest) (?:path|subsequence|substring|common|increasing|palindrom)", 2.0),
        (r"\bleetcode\b|\bcodeforces\b|\bcompetitive programming\b|\bconstraints:|\bmodulo 10\^?9",
         2.0),
        (r"\bbinary search\b|\bheap\b|\bpriority queue\b|\btrie\b|\bsegment tree\b|\bsubarray\b|"
         r"\bpermutations?\b|\bcombinations\b|\bprime numbers?\b|\bfibonacci\b|\bknapsack\b", 1.25),
        (r"\balgorithm\b|\befficient(?:ly)?\b", 0.75),
        (r"\breturn the (?:minimum|maximum|number|count|length|sum|k-?th)\b", 1.5),
    ),
    "bug_fixing": (
        (r"\bfix(?:es|ed|ing)?\b|\bdebug\b|\bbug\b|\bbroken\b", 1.5),
        (r"Traceback \(most recent call last\)|\b\w+(?:Error|Exception)\b|\bpanicked at\b|"
         r"\bsegmentation fault\b|\bstack trace\b", 1.5),
        (r"\bcrash(?:es|ed|ing)?\b|\bthrows?\b|\braises?\b|\bfails?\b|\bfailing\b|\bwrong (?:result|output|"
         r"value|answer)\b|\bdoes(?:n't| not) work\b|\bnot working\b|\bregression\b|\bunexpected(?:ly)?\b|"
         r"\bincorrect(?:ly)?\b|\bhangs?\b|\bfreezes?\b", 1.0),
        (r"\bexpected (?:behaviou?r|result|output)\b|\bactual (?:behaviou?r|result|output)\b|"
         r"\bsteps to reproduce\b|\bto reproduce\b|\bminimal (?:reproducible )?example\b", 2.0),
        (r"\bissue\b|\berror\b|\bwarning\b", 0.5),
    ),
    "code_completion": (
        (r"\bcomplete (?:the|this|my|following)\b(?: \w+){0,3} (?:function|method|code|class|snippet|"
         r"implementation|program|script|body|loop|switch)", 2.5),
        (r"\bfill (?:in|out)\b|\bfill the (?:blank|gap|missing)|\bmissing (?:code|lines?|parts?|body|"
         r"implementation|cases?)\b", 2.0),
        (r"\bfinish (?:the|this|writing|implementing|my)\b|\bcontinue (?:the|this|writing)\b|\bthe rest of\b",
         1.5),
        (r"\bTODO\b|\bNotImplementedError\b|\bunimplemented!\(|\bstubs?\b|\bpass\s*$|\.\.\.\s*$|\bautocomplete",
         1.25),
    ),
    "code_refactoring": (
        (r"\brefactor(?:ing|ed)?\b", 3.0),
        (r"\bclean(?: it)? up\b|\bsimplif(?:y|ied)\b|\brestructure\b|\bdeduplicate\b|\bremove (?:the )?"
         r"duplicat|\bextract (?:\w+ ){0,3}(?:into|method|function|class|helper|interface)|\bsplit "
         r"(?:\w+ ){0,3}into\b|\bdecouple\b", 2.0),
        (r"\breadab(?:le|ility)\b|\bmaintainab|\bidiomatic\b|\bmoderni[sz]e\b|\bcode smell|\btechnical debt\b|"
         r"\bwithout changing (?:its |the )?behaviou?r\b|\bkeep (?:the )?behaviou?r\b|\btype hints?\b", 1.5),
        (r"\brename\b|\breplace (?:\w+ ){0,4}with\b|\bconvert (?:\w+ ){0,3}to use\b|\bdesign pattern\b|"
         r"\bcomposition\b|\bdependency injection\b", 1.0),
    ),
    "data_science": (
        (r"\bpandas\b|\bdataframes?\b|\bnumpy\b|\bscikit-learn\b|\bsklearn\b|\bmatplotlib\b|\bseaborn\b|"
         r"\bplotly\b|\bpytorch\b|\btensorflow\b|\bkeras\b|\bxgboost\b|\bscipy\b|\bpolars\b|\bjupyter\b|"
         r"\bnotebook\b|\bggplot", 2.0),
        (r"\bdataset\b|\bcsv\b|\bregression\b(?! test)|\bclassifier\b|\bclustering\b|\bneural network\b|"
         r"\bhistogram\b|\bcorrelation\b|\bfeature engineering\b|\bcross-validation\b|\bplot\b|"
         r"\bvisuali[sz]|\bstatistic|\bmachine learning\b|\btime series\b|\bgroupby\b|\bpivot\b|"
         r"\bexploratory data\b|\bmissing values\b|\bmodel accuracy\b|\btrain(?:ing)? (?:a |the )?model\b",
         1.25),
    ),
    "multi_language": (
        (r"\b(?:translate|port|convert|rewrite|reimplement|transpile)\b(?: [\w#+.]+){0,6} "
         r"(?:in|into|to)\b(?: \w+)? (?:python|javascript|typescript|java|go|golang|rust|c|c\+\+|c#|ruby|php|"
         r"kotlin|swift|scala|haskell|lua|perl|dart|julia|elixir|bash|shell|powershell|r|matlab|numpy|"
         r"sql|ocaml|zig|cpp|csharp)(?![\w+#])", 3.0),
        (r"\bequivalent (?:of|in)\b|\bsame (?:\w+ )?in (?:\w+ )?(?:and|,)|\bbindings?\b|\bffi\b|\binterop",
         1.5),
        (r"\bfrom (?:python|javascript|typescript|java|go|rust|c|c\+\+|ruby|php|kotlin|swift|scala|perl|"
         r"matlab|cobol|fortran) (?:to|into)\b", 2.5),
    ),
    "code_understanding": (
        (r"\bexplain\b|\bwalk me through\b|\bhelp me understand\b|\bwhat does\b|\bhow does\b(?! \w+ \w+ fix)|"
         r"\bwhat is the (?:output|purpose|role|result|return value)\b|\bwhat will\b|\bsummari[sz]e\b|"
         r"\bdescribe\b|\bwhy does\b|\bwhat happens\b", 2.0),
        (r"\bunderstand\b|\bmeaning of\b|\bdifference between\b|\bpredict the output\b|\bdocument(?:ation)?\b|"
         r"\bhow (?:is|are) \w+ (?:used|called|handled)\b|\bwhere (?:is|are) \w+ (?:defined|used|called)\b",
         1.25),
        (r"\?\s*$", 0.5),
    ),
    "test_generation": (
        (r"\b(?:write|add|generate|create|cover|need)\b(?: \w+){0,4} (?:unit |integration |e2e |end-to-end |"
         r"regression |property-based |snapshot |more )?tests?\b(?! (?:fail|pass|break|are failing))", 3.0),
        (r"\bunit tests?\b|\btest (?:cases?|suite|coverage)\b|\bcoverage\b|\bpytest\b|\bjest\b|\bjunit\b|"
         r"\bmocha\b|\brspec\b|\bvitest\b|\bhypothesis\b|\bproperty-based\b|\btest fixtures?\b|\bmocks?\b",
         1.5),
        (r"\bedge cases?\b|\bassertions?\b|\btestable\b", 0.75),
    ),
    "agentic": (
        (r"\bset ?up\b|\bci\b|\bci/cd\b|\bgithub actions\b|\bpipeline\b|\bdeploy(?:ment)?\b|\bdocker(?:file|"
         r"ise|ize)?\b|\bkubernetes\b|\bk8s\b|\bhelm\b|\bterraform\b|\bcompose file\b", 2.0),
        (r"\bacross (?:the |all |several |multiple )?(?:services|repos?|repositories|codebase|modules|packages|"
         r"microservices)\b|\b(?:whole|entire) (?:codebase|repo|repository|project|monorepo)\b|\bmonorepo\b|"
         r"\bend[- ]to[- ]end\b", 2.0),
        (r"\binstall (?:the )?dependencies\b|\brun (?:the )?(?:test suite|tests|build|linter)\b|\bmake "
         r"(?:it|everything|the build|ci) (?:build|pass|green)|\bupgrade\b|\bbump\b|\bmigrat(?:e|ion)\b|"
         r"\bdependencies\b|\bclone\b|\brelease\b|\bautomate\b|\binvestigate\b|\broot cause\b", 1.25),
        (r"\blab\b|\bmake qemu\b|\bgrade\b|\bassignments?\b|\brepository\b|\bREADME\b", 0.75),
    ),
}
_KEYWORD_RE: dict[str, tuple[tuple[re.Pattern[str], float], ...]] = {
    dim: tuple((re.compile(p, re.IGNORECASE | re.MULTILINE), w) for p, w in rules)
    for dim, rules in _KEYWORDS.items()
}


@dataclass(frozen=True)
class DimensionGuess:
    dimension: str | None
    confidence: float
    # "keywords+prototypes", "keywords", or "none" (nothing to go on).
    method: str
    # Probability of every dimension (empty when method is "none"), for explanations and calibration.
    probabilities: dict[str, float] = field(default_factory=dict)
    # Dimensions whose keywords matched, with their summed weight.
    keywords: dict[str, float] = field(default_factory=dict)


def keyword_scores(text: str) -> dict[str, float]:
    """Summed weights of the keyword rules of each dimension that match ``text`` (each rule counts once)."""
    window = classification_text(text)
    scores: dict[str, float] = {}
    for dim, rules in _KEYWORD_RE.items():
        total = sum(weight for pattern, weight in rules if pattern.search(window))
        if total:
            scores[dim] = total
    return scores


def load_prototypes() -> dict[str, list[str]]:
    """The prototype sentences shipped with the package."""
    raw = resources.files("router").joinpath(PROTOTYPES_FILE).read_text(encoding="utf-8")
    return parse_prototypes(raw, PROTOTYPES_FILE)


def parse_prototypes(raw: str, source: str) -> dict[str, list[str]]:
    """Validated so that a bad edit fails loudly, naming the file and the dimension."""
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: {exc}") from None
    unknown = sorted(set(data) - set(DIMENSIONS))
    missing = sorted(set(DIMENSIONS) - set(data))
    if unknown or missing:
        raise ValueError(f"{source}: unknown dimensions {unknown}, missing dimensions {missing}")
    for dim, sentences in data.items():
        if not isinstance(sentences, list) or not sentences or \
                not all(isinstance(x, str) and x.strip() for x in sentences):
            raise ValueError(f"{source}: {dim} must be a non-empty list of non-empty strings")
    return {dim: list(data[dim]) for dim in DIMENSIONS}


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


# Prototype embeddings per embedder and prototype set: every classifier in a process (the route
# command's extractor, the bench's, the policy's) shares one computation per model.
_PROTOTYPE_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], np.ndarray]] = weakref.WeakKeyDictionary()
_PROTOTYPE_LOCK = threading.Lock()


class DimensionClassifier:
    """Keyword + prototype classifier. Prototype embeddings are computed once per embedder, on first use, and
    cached on disk in ``data_dir`` (None is the user's data dir; see ``encode_fixed``)."""

    def __init__(self, embedder: Embedder | None = None, prototypes: dict[str, list[str]] | None = None,
                 data_dir: Path | None = None):
        self.embedder = embedder
        self.data_dir = data_dir
        self.prototypes = prototypes if prototypes is not None else load_prototypes()
        self._sentences = tuple(s for d in DIMENSIONS for s in self.prototypes[d])
        self._labels = np.asarray([i for i, d in enumerate(DIMENSIONS) for _ in self.prototypes[d]])

    def _prototype_matrix(self) -> np.ndarray:
        if self.embedder is None:
            raise RuntimeError("prototype scores need an embedder")
        from router.embedding import encode_fixed

        with _PROTOTYPE_LOCK:
            per_embedder = _PROTOTYPE_CACHE.setdefault(self.embedder, {})
            matrix = per_embedder.get(self._sentences)
            if matrix is None:
                matrix = per_embedder[self._sentences] = encode_fixed(self.embedder, self._sentences,
                                                                       self.data_dir)
        return matrix

    def prototype_similarities(self, embedding: np.ndarray) -> np.ndarray:
        """Per dimension, the mean cosine similarity of its ``PROTOTYPE_TOP`` closest prototypes."""
        matrix, labels = self._prototype_matrix(), self._labels
        sims = matrix @ np.asarray(embedding, dtype=np.float32)
        out = np.empty(len(DIMENSIONS), dtype=np.float64)
        for i in range(len(DIMENSIONS)):
            mine = np.sort(sims[labels == i])[::-1][:PROTOTYPE_TOP]
            out[i] = float(mine.mean())
        return out

    def classify(self, text: str | None, embedding: np.ndarray | None = None) -> DimensionGuess:
        """``embedding`` must be the embedder's vector of the same text (see ``classification_text``)."""
        if not text or not text.strip():
            return DimensionGuess(None, 0.0, "none")
        kw = keyword_scores(text)
        kw_vec = np.array([kw.get(d, 0.0) for d in DIMENSIONS], dtype=np.float64)
        if embedding is not None and self.embedder is not None:
            logits = self.prototype_similarities(embedding) / PROTOTYPE_TEMPERATURE + kw_vec
            if len(detect_language(classification_text(text)).evidence) < 2:
                logits[DIMENSIONS.index("multi_language")] -= SINGLE_LANGUAGE_PENALTY
            method, discount = "keywords+prototypes", 1.0
        elif kw:
            logits = kw_vec
            method, discount = "keywords", KEYWORD_ONLY_DISCOUNT
        else:
            return DimensionGuess(None, 0.0, "none")
        probs = _softmax(logits)
        best = int(np.argmax(probs))
        return DimensionGuess(
            dimension=DIMENSIONS[best],
            confidence=round(float(probs[best]) * discount, 3),
            method=method,
            probabilities={d: round(float(p), 4) for d, p in zip(DIMENSIONS, probs, strict=True)
                           if not math.isclose(p, 0.0, abs_tol=5e-5)},
            keywords={d: round(w, 3) for d, w in sorted(kw.items(), key=lambda kv: -kv[1])},
        )


def classification_text(text: str) -> str:
    """The part of a task's text that is embedded and searched: its start (see ``TEXT_WINDOW``)."""
    return text[:TEXT_WINDOW]
