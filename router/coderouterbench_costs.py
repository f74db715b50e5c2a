"""What CodeRouterBench's runs cost: models.json prices, the probing split priced in the test split's units,
and each model's per-dimension profile.

Why its own module: pricing the probing split (repricing id_val, estimating id_train from total tokens) is a
job apart from reading the tasks and results (``router.datasets``); the profiles feed the sample log.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from router.dataset_readers import DatasetError, read_csv


def coderouterbench_prices(path: Path) -> dict[str, tuple[float, float]]:
    """models.json: model -> (input, output) USD per million tokens."""
    return read_prices(Path(path) / "models.json")


def coderouterbench_profiles(path: Path) -> pl.DataFrame:
    """How each model behaves per dimension: columns dimension, model, score (mean), input_tokens,
    output_tokens (means) and latency_ms (median; null where not measured, a median of 0).

    The nine ID dimensions come from id_val + id_test, ``agentic`` from OOD176 (``resolved`` as the score,
    its tasks are agentic whatever their dimension; that file has no latency).
    """
    path = Path(path)
    needed = ("dimension", "model", "score", "input_tokens", "output_tokens", "latency_ms")
    id_rows = pl.concat([read_csv(path / name, needed).select(needed)
                         for name in ("id_val_results_long.csv", "id_test_results_long.csv")], how="vertical_relaxed")
    ood = read_csv(path / "ood176_results_long.csv", ("model", "resolved", "in_tok", "out_tok"), "resolved")
    agentic = ood.select(pl.lit("agentic").alias("dimension"), "model", pl.col("resolved").alias("score"),
                         pl.col("in_tok").alias("input_tokens"), pl.col("out_tok").alias("output_tokens"),
                         pl.lit(None, pl.Int64).alias("latency_ms"))
    rows = pl.concat([id_rows, agentic], how="vertical_relaxed")
    return (rows.group_by("dimension", "model", maintain_order=True)
            .agg(pl.col("score").cast(pl.Float64).mean(), pl.col("input_tokens").mean(),
                 pl.col("output_tokens").mean(), pl.col("latency_ms").median())
            .with_columns(pl.when(pl.col("latency_ms") > 0).then(pl.col("latency_ms")).alias("latency_ms")))


def read_prices(models_file: Path) -> dict[str, tuple[float, float]]:
    try:
        data = json.loads(models_file.read_text(encoding="utf-8"))
        return {m["model"]: (float(m["input_per_1m"]), float(m["output_per_1m"])) for m in data["models"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{models_file}: expected {{'models': [{{model, input_per_1m, output_per_1m}}]}}: "
                           f"{exc}") from exc


def price_probing(val: pl.DataFrame, train: pl.DataFrame,
                   prices: dict[str, tuple[float, float]]) -> tuple[pl.Series, pl.Series, list[str]]:
    """Put the probing costs in the test set's units (models.json prices, as id_test's cost_usd uses).

    id_val logs its own cost_usd at other prices, so it is repriced from its input/output tokens. id_train
    has only total_tokens: they are split with the input share seen on val per model x dimension.
    """
    price = pl.DataFrame({"model": list(prices), "_pin": [p[0] for p in prices.values()],
                          "_pout": [p[1] for p in prices.values()]})
    tokens_known = pl.col("input_tokens").is_not_null() & pl.col("output_tokens").is_not_null()
    known = val.filter(tokens_known)
    share = (pl.col("input_tokens").sum() / (pl.col("input_tokens") + pl.col("output_tokens")).sum())
    by_dim = known.group_by("model", "dimension").agg(share.alias("_r"))
    by_model = known.group_by("model").agg(share.alias("_rm"))

    def priced(frame: pl.DataFrame) -> pl.DataFrame:
        return (frame.join(by_dim, on=["model", "dimension"], how="left", maintain_order="left")
                .join(by_model, on="model", how="left", maintain_order="left")
                .join(price, on="model", how="left", maintain_order="left")
                .with_columns(pl.coalesce("_r", "_rm", pl.lit(0.5)).alias("_share")))

    by_split = ((pl.col("_share") * pl.col("_pin") + (1 - pl.col("_share")) * pl.col("_pout")) / 1e6)
    exact = (pl.col("input_tokens") * pl.col("_pin") + pl.col("output_tokens") * pl.col("_pout")) / 1e6
    val_p = priced(val).with_columns(
        pl.when(tokens_known).then(exact).otherwise(pl.col("cost_usd")).alias("_cost"))
    train_cost = priced(train).select((pl.col("total_tokens").cast(pl.Float64) * by_split).alias("cost_usd"))
    val_known = val_p.filter(tokens_known)
    exact_sum, logged_sum = val_known["_cost"].sum(), val_known["cost_usd"].sum()
    notes = [
        "id_val's logged cost_usd uses other prices than models.json and id_test "
        f"(it is {100 * logged_sum / exact_sum:.0f}% of the models.json price): repriced from its "
        "input/output tokens with models.json" if exact_sum else "id_val has no token counts to reprice",
        "id_train has no cost: estimated as total_tokens x (r x input price + (1 - r) x output price) from "
        "models.json, r = input-token share per model x dimension learned on id_val"
        if exact_sum else "id_train has no cost: estimated from total_tokens at a 50/50 input/output split",
    ]
    return val_p["_cost"], train_cost["cost_usd"], notes
