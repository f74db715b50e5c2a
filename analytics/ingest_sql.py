"""The bulk path of ingestion: one DuckDB query that parses a batch of log lines and checks them as
``schema.normalize`` would, conservatively (a line it is unsure of goes to the Python path, ``ingest_rows``).

Why its own module: this is a SQL generator that mirrors the schema; ``ingest.LogIngester`` only runs the
three statements it builds (``FAST_SQL``, ``TOLERANT_SQL``, ``REJECTED_SQL``) over an Arrow table of lines
(``log_blocks.line_table``).
"""

from __future__ import annotations

import math

from analytics.schema import EVENT_KINDS, NUMBER_RANGES

# Top-level keys parsed in the fast path, with the check that mirrors schema.CORE_KEYS ("any": carried only).
# "str" keys are typed VARCHAR by DuckDB's parser itself (decoded text, no copy); the others arrive as JSON text.
_FIELDS: dict[str, str] = {
    "v": "version", "ts": "ts", "event": "event", "task_id": "str", "task": "str", "dimension": "str",
    "language": "str", "difficulty": "scalar", "model": "str", "profile": "str", "router": "str",
    "propensity": "num", "score": "num", "decision": "decision", "verifier": "obj", "tokens": "tokens",
    "cost_usd": "num", "latency_ms": "num", "exit_code": "exit", "session_id": "str", "turn_id": "str",
    "cwd": "str", "tool": "str", "status": "any", "timestamp": "ts", "task_hint": "str", "oracle_scores": "any",
}
TOKENS = ("input", "cached_input", "output", "reasoning", "cache_write")
EVENT_COLUMNS = ("v", "event", "task_id", "task", "dimension", "language", "difficulty", "model", "profile",
                  "router", "propensity", "score", "tokens_input", "tokens_cached_input", "tokens_output",
                  "tokens_reasoning", "tokens_cache_write", "cost_usd", "latency_ms", "exit_code", "session_id", "turn_id", "cwd",
                  "tool", "status", "est_scores", "oracle_best")
# Where the line is instead of the line: the log stays the one copy (see ``original_lines``).
_LOCATION_COLUMNS = ("byte_offset", "byte_length", "line_hash")


def _first(x: str) -> str:
    return f"left({x}, 1)"


def _text(x: str) -> str:
    """A JSON string value as text: slice off the quotes unless it holds an escape (rare)."""
    return f"CASE WHEN contains({x}, '\\') THEN {x} ->> '$' ELSE {x}[2:-2] END"


# A number DuckDB prints as Python's str() does: Python switches to an exponent below 1e-4 and from 1e16 on,
# DuckDB does not, so those (and any exponent) go to the Python path.
_PLAIN_NUMBER = "-?([0-9]+|[1-9][0-9]{0,15}[.][0-9]+|0[.]0{0,3}[1-9][0-9]*|0[.]0)"


# What DuckDB's parser makes of a number it is asked for as VARCHAR: its JSON text (it also takes inf/nan in
# any case, Python's parser does not).
_NUMBER_TEXT = "-?[0-9][-+.eE0-9]*|-?(?i:inf|infinity|nan)"


# First characters of the text DuckDB makes of a non-string (digits, '-', '{', '[', true/false, inf/nan): one
# integer test settles the many values that start otherwise.
_SUSPECT_FIRST = ", ".join(str(ord(c)) for c in "0123456789-{[tfinIN")


def _from_non_string(x: str) -> str:
    """Could this VARCHAR-typed value be a non-string DuckDB turned into text (5 -> '5', true -> 'true')? Such
    values, and the rare real strings that look like them ("42", "true"), go to the Python path. Cheap tests
    on the first byte settle most values; CASE runs the rest only on the rows that get that far."""
    return (f"CASE WHEN unicode({x}) NOT IN ({_SUSPECT_FIRST}) THEN false "
            f"WHEN ({x} >= '0' AND {x} < ':') OR prefix({x}, '-') THEN regexp_full_match({x}, '{_NUMBER_TEXT}') "
            f"WHEN prefix({x}, '{{') OR prefix({x}, '[') OR {x} IN ('true', 'false') THEN true "
            f"WHEN {_first(x)} IN ('i', 'I', 'n', 'N') THEN lower({x}) IN ('inf', 'infinity', 'nan') ELSE false END")


def _finite_sql(x: str) -> str:
    """A JSON value as a finite DOUBLE if it is a JSON number, else NULL (mirrors ``_finite``). The JSON text of
    a string, bool, object or array does not cast; DuckDB orders NaN above infinity, so one comparison drops
    nan, inf and a number too big for a double (1e400)."""
    number = f"TRY_CAST({x}::VARCHAR AS DOUBLE)"
    return f"CASE WHEN abs({number}) < 'inf'::DOUBLE THEN {number} END"


# The decision is parsed straight into the candidates regret needs (a second parse of a real decision, with its
# votes and neighbours, made ingest ~25% slower). A non-object decision also parses to a struct, so the check
# only lets through a decision that is absent/null or has a candidates list; the rest go to the Python path.
_DECISION_TYPE = '{"candidates":[{"model":"JSON","exp_score":"JSON"}]}'
# Likewise the token counts (a non-object also parses to a struct, of NULLs: sent to Python unless one is set).
_TOKENS_TYPE = "{" + ",".join(f'"{k}":"JSON"' for k in TOKENS) + "}"
_TYPES = {"str": '"VARCHAR"', "ts": '"VARCHAR"', "event": '"VARCHAR"', "decision": _DECISION_TYPE,
          "tokens": _TOKENS_TYPE}
# What regret needs, typed once at ingest (parsing JSON per row at query time was the dashboard's slowest
# panel): a route's candidate estimates and an outcome's best oracle score. Mirrors ``_regret_inputs``. (The
# parsed event, not the seed-aware one, is enough: a seed-format line is a tool event.)
_REGRET_SQL = {
    "est_scores": "CASE WHEN x_event = 'route' THEN list_transform(list_filter(x_decision.candidates, "
                  "lambda c: prefix(c.model::VARCHAR, '\"')), "
                  f"lambda c: {{'model': c.model ->> '$', 'exp_score': {_finite_sql('c.exp_score')}}}) END",
    "oracle_best": "CASE WHEN x_event = 'outcome' AND json_type(x_oracle_scores) = 'OBJECT' THEN "
                   f"list_max(list_transform(json_extract(x_oracle_scores, '$.*'), lambda s: {_finite_sql('s')})) END",
}
# The writer's own timestamps (``schema.utc_now_iso``: 2026-11-30T04:20:55.123Z) by one strptime, three times
# cheaper than the regex that keeps other spellings equal to ``schema.parse_ts``. The guards shut out what
# strptime takes and Python does not (whitespace around it); anything else it refuses takes the regex. Year 0
# is refused before either (DuckDB reads it as 1 BC, Python not at all).
_WRITER_TS = ("CASE WHEN strlen(ts_text) = 24 AND ts_text >= '0' AND ts_text < ':' AND suffix(ts_text, 'Z') "
              "THEN TRY_STRPTIME(ts_text, '%Y-%m-%dT%H:%M:%S.%gZ') END")
_TOKEN_OK = " AND ".join(f"(t.{k} IS NULL OR (regexp_full_match(t.{k}::VARCHAR, '[0-9]+') "
                         f"AND TRY_CAST(t.{k}::VARCHAR AS BIGINT) IS NOT NULL))" for k in TOKENS)


# NaN / Infinity spelled as a value anywhere in the line (DuckDB's parser takes them in any case): Python has the
# last word on such lines (they are not JSON). A match inside a string only costs that line the slower path.
# The regex runs only on lines that hold "nan" or "inf" in some case at all: two ILIKEs cost a third of it.
_NON_FINITE = ("CASE WHEN raw ILIKE '%nan%' OR raw ILIKE '%inf%' "
               "THEN regexp_matches(raw, '[:,\\[]\\s*-?(?i:nan|inf)') ELSE false END")


def _absent_or(x: str, check: str) -> str:
    """``check`` where ``x`` is set, true where not. A CASE, not an OR: DuckDB evaluates both sides of an OR
    that is computed as a value, and most keys are absent from most lines."""
    return f"CASE WHEN {x} IS NULL THEN true ELSE {check} END"


_CHECKS = {
    "str": lambda x: _absent_or(x, f"NOT {_from_non_string(x)}"),
    "num": lambda x: _absent_or(x, f"({x} >= '0' AND {x} < ':') OR ({x} >= '-0' AND {x} < '-:')"),
    "scalar": lambda x: _absent_or(x, f"prefix({x}, '\"') OR regexp_full_match({x}, '{_PLAIN_NUMBER}')"),
    "obj": lambda x: _absent_or(x, f"prefix({x}, '{{')"),
    "decision": lambda x: _absent_or("x_decision", "x_decision.candidates IS NOT NULL"),
    "tokens": lambda x: _absent_or("x_tokens", f"COALESCE({', '.join(f't.{k}' for k in TOKENS)}) IS NOT NULL "
                                               f"AND {_TOKEN_OK}"),
    "exit": lambda x: _absent_or(x, f"{x} IN ('0', '1') OR regexp_full_match({x}, '-?[0-9]+|true|false')"),
    "version": lambda x: (f"(CASE WHEN {x} = '1' THEN true WHEN {x} IS NULL "
                          "THEN NOT regexp_matches(raw, '\"v\"\\s*:\\s*null') "
                          f"ELSE regexp_full_match({x}, '[0-9]+') AND TRY_CAST({x} AS INTEGER) >= 1 END)"),
}


def _insert_sql(tolerant: bool, rejected: bool = False) -> str:
    """DuckDB parses each line once (json_transform: strings typed, the rest as JSON text checked by first char).

    The checks are a conservative mirror of ``schema.normalize``: anything they do not accept goes to the
    Python path, which has the last word. ``tolerant`` wraps the parse in TRY (per-row fallback inside
    DuckDB) for batches where the plain parse failed; ``rejected`` selects the lines that were not taken.
    """
    struct = "{" + ",".join(f'"{k}":' + _TYPES.get(kind, '"JSON"') for k, kind in _FIELDS.items()) + "}"
    parse = f"json_transform(raw, '{struct}')"
    if tolerant:
        parse = f"TRY({parse})"
    x = {k: f"x_{k}" if kind in _TYPES else f"(x_{k}::VARCHAR)" for k, kind in _FIELDS.items()}
    seed = (f"CASE WHEN {x['event']} IS NULL AND {x['timestamp']} IS NOT NULL AND {x['model']} IS NOT NULL "
            "THEN NOT regexp_matches(raw, '\"event\"\\s*:\\s*null') ELSE false END")
    kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
    checks = ["starts_with(raw, '{')", "ts_value IS NOT NULL", f"event IN ({kinds})", f"NOT {_NON_FINITE}"]
    checks += [_absent_or(k, f"{k} >= {low} AND {k} {'<=' if math.isfinite(high) else '<'} '{high}'::DOUBLE")
               for k, (low, high) in NUMBER_RANGES.items()]  # mirrors schema._check_number (NaN fails both)
    checks += [_CHECKS[kind](x[k]) for k, kind in _FIELDS.items() if kind in _CHECKS and k not in ("task_hint",)]
    checks.append(f"CASE WHEN seed THEN {x['ts']} IS NULL AND {x['task']} IS NULL AND {x['v']} IS NULL "
                  f"AND {_CHECKS['str'](x['task_hint'])} ELSE true END")
    ts_pattern = ("[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3]):[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
                  "(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?")
    strings = ", ".join(f"{x[k]} AS {k}" for k, kind in _FIELDS.items() if kind == "str"
                        and k not in ("task", "task_hint"))
    numbers = ", ".join(f"TRY_CAST({x[k]} AS DOUBLE) AS {k}" for k in ("propensity", "score", "cost_usd",
                                                                      "latency_ms"))
    tokens = ", ".join(f"TRY_CAST(t.{k}::VARCHAR AS BIGINT) AS tokens_{k}" for k in TOKENS)
    select = f"""
WITH parsed AS (
    SELECT line, pos, raw, {parse} AS j FROM _batch
), fields AS (
    SELECT line, pos, raw, {", ".join(f"j.{k} AS x_{k}" for k in _FIELDS)}, j.tokens AS t FROM parsed
), seeded AS (
    SELECT *, {seed} AS seed FROM fields
), typed AS (
    SELECT *,
           COALESCE(TRY_CAST({x['v']} AS INTEGER), 1) AS v,
           CASE WHEN seed THEN 'tool' ELSE {x['event']} END AS event,
           CASE WHEN seed THEN NULLIF({x['task_hint']}, '') ELSE {x['task']} END AS task,
           CASE WHEN {_first(x['difficulty'])} = '\"' THEN {_text(x['difficulty'])}
                ELSE {x['difficulty']} END AS difficulty,
           {strings}, {numbers}, {tokens},
           CASE {x['exit_code']} WHEN 'true' THEN 1 WHEN 'false' THEN 0
                ELSE TRY_CAST({x['exit_code']} AS BIGINT) END AS exit_code,
           CASE WHEN {_first(x['status'])} = '\"' THEN {_text(x['status'])} ELSE {x['status']} END AS status,
           CASE WHEN prefix(ts_text, '0000') THEN NULL
                ELSE COALESCE({_WRITER_TS},
                              CASE WHEN NOT regexp_full_match(ts_text, '{ts_pattern}') THEN NULL
                                   WHEN suffix(ts_text, 'Z') THEN TRY_CAST(ts_text AS TIMESTAMP)
                                   ELSE TRY_CAST(TRY_CAST(ts_text AS TIMESTAMPTZ) AS TIMESTAMP) END) END AS ts_value
    FROM (SELECT *, CASE WHEN seed THEN {x['timestamp']} ELSE {x['ts']} END AS ts_text FROM seeded)
)"""
    # One expression: as separate WHERE terms, each would be pushed into the scan with its own parse.
    ok = f"COALESCE({' AND '.join(checks)}, false)"
    if rejected:
        return (f"{select}\nSELECT line, pos, raw FROM typed WHERE NOT {ok} "
                "AND trim(raw, ' ' || chr(9) || chr(10)) <> '' ORDER BY line")
    columns = ", ".join(f"{_REGRET_SQL[c]} AS {c}" if c in _REGRET_SQL else c for c in EVENT_COLUMNS)
    return (f"INSERT INTO events (log, file, inode, line, ts, {', '.join(EVENT_COLUMNS)}, "
            f"{', '.join(_LOCATION_COLUMNS)})\n{select}\n"
            f"SELECT ?, ?, ?, line, ts_value, {columns}, pos, strlen(raw), hash(raw) FROM typed WHERE {ok}")


FAST_SQL = _insert_sql(tolerant=False)
TOLERANT_SQL = _insert_sql(tolerant=True)
REJECTED_SQL = _insert_sql(tolerant=True, rejected=True)
