"""Dataset loaders: the generic format and a miniature CodeRouterBench, with numbers checked by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from crb_fixture import write_crb

from router.coderouterbench_costs import coderouterbench_prices, coderouterbench_profiles
from router.dataset_readers import DatasetError
from router.datasets import load_dataset

DATA = Path(__file__).parent / "data"
GENERIC = DATA / "bench_generic"


@pytest.fixture
def generic_copy(tmp_path: Path) -> Path:
    target = tmp_path / "ds"
    shutil.copytree(GENERIC, target)
    return target


def _edit_results(path: Path, old: str, new: str) -> None:
    results = path / "results.csv"
    text = results.read_text()
    assert old in text
    results.write_text(text.replace(old, new, 1))


def test_generic_loads_probe_and_test_in_file_order():
    ds = load_dataset(GENERIC)
    assert ds.name == "bench_generic" and ds.split == "test"
    assert ds.probe.models == ["alpha (large)", "beta", "gamma mini"]
    assert [t.task_id for t in ds.probe.tasks] == ["p1", "p2", "p3", "p4"]
    assert [t.task_id for t in ds.test_tasks] == ["t1", "t2", "t3"]
    assert ds.test_tasks[1].dimension == "fix"
    # Extra keys are features, not errors.
    assert ds.test_tasks[1].metadata == {"language": "rust", "team": "web"}
    assert ds.probe.results.columns == ["task_id", "model", "score", "cost_usd", "cost_estimated"]
    assert ds.probe.results.height == 12 and ds.test_results.height == 9
    assert not ds.test_results["cost_estimated"].any()


def test_generic_prompt_becomes_text(generic_copy: Path):
    tasks = generic_copy / "tasks.jsonl"
    tasks.write_text(tasks.read_text().replace('"task_id": "t1",', '"task_id": "t1", "prompt": "fix the parser",'))
    ds = load_dataset(generic_copy)
    assert ds.test_tasks[0].text == "fix the parser"
    assert "prompt" not in ds.test_tasks[0].metadata


def test_unknown_column_names_the_file(generic_copy: Path):
    _edit_results(generic_copy, "latency_ms\n", "latency_ms,judge_notes\n")
    results = generic_copy / "results.csv"
    results.write_text("\n".join(line + ",x" if i else line for i, line in
                                 enumerate(results.read_text().splitlines())) + "\n")
    with pytest.raises(DatasetError, match=r"results\.csv: unknown column\(s\) 'judge_notes'"):
        load_dataset(generic_copy)


def test_score_out_of_range_names_file_and_line(generic_copy: Path):
    _edit_results(generic_copy, "t2,beta,0.5,", "t2,beta,1.5,")
    with pytest.raises(DatasetError, match=r"results\.csv:18: score '1\.5' is not a number in \[0, 1\]"):
        load_dataset(generic_copy)


def test_non_numeric_cost_names_the_line(generic_copy: Path):
    _edit_results(generic_copy, "p1,beta,0.0,0.02,", "p1,beta,0.0,n/a,")
    with pytest.raises(DatasetError, match=r"results\.csv:3: cost_usd 'n/a'"):
        load_dataset(generic_copy)


def test_missing_model_for_test_task_names_task_and_line(generic_copy: Path):
    _edit_results(generic_copy, "t3,gamma mini,0.0,0.01,100,50,200\n", "")
    with pytest.raises(DatasetError, match=r"results\.csv: no result for model 'gamma mini' on task 't3' "
                                           r"\(tasks\.jsonl line 7\)"):
        load_dataset(generic_copy)


def test_result_for_unknown_task_and_duplicates(generic_copy: Path):
    _edit_results(generic_copy, "t3,gamma mini,0.0,", "t9,gamma mini,0.0,")
    with pytest.raises(DatasetError, match=r"results\.csv:22: task_id 't9' is not in tasks\.jsonl"):
        load_dataset(generic_copy)
    shutil.copy(GENERIC / "results.csv", generic_copy / "results.csv")
    _edit_results(generic_copy, "t3,gamma mini,0.0,", "t3,beta,0.0,")
    with pytest.raises(DatasetError, match=r"results\.csv:22: second result for task 't3', model 'beta'"):
        load_dataset(generic_copy)


def test_bad_task_lines(generic_copy: Path):
    tasks = generic_copy / "tasks.jsonl"
    lines = tasks.read_text().splitlines()
    tasks.write_text("\n".join([*lines[:2], '{"task_id": "p9", "split": "train"}', *lines[2:]]) + "\n")
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:3: 'split' must be one of probe, test"):
        load_dataset(generic_copy)
    tasks.write_text("\n".join([*lines[:2], "{not json", *lines[2:]]) + "\n")
    with pytest.raises(DatasetError, match=r"tasks\.jsonl:3: not valid JSON"):
        load_dataset(generic_copy)


def test_split_flag_is_refused_for_generic():
    with pytest.raises(DatasetError, match="CodeRouterBench only"):
        load_dataset(GENERIC, "ood")


def test_crb_id_prices_probing_in_the_test_units(tmp_path: Path):
    ds = load_dataset(write_crb(tmp_path / "crb"))
    assert (ds.name, ds.split) == ("coderouterbench", "id")
    assert [t.task_id for t in ds.test_tasks] == ["dim1_mbpp_fixture9", "dim2_lcb_fixture8"]
    assert ds.test_tasks[0].metadata == {"source": "mbpp"} and ds.test_tasks[1].metadata == {"source": "lcb"}
    assert ds.test_tasks[0].text is None
    cost = {(r["task_id"], r["model"]): r["cost_usd"] for r in ds.probe.results.iter_rows(named=True)}
    # val repriced from its tokens with models.json: 100k x $1 + 300k x $2 per 1M.
    assert cost[("dim1_mbpp_fixture1", "m-a")] == pytest.approx(0.7)
    assert cost[("dim2_lcb_fixture3", "m-b")] == pytest.approx(3.0)
    # train: total tokens split by val's input share for that model x dimension (m-a, code_generation: 0.25).
    assert cost[("dim1_mbpp_fixture2", "m-a")] == pytest.approx(0.8 * (0.25 * 1 + 0.75 * 2))
    assert cost[("dim2_lcb_fixture4", "m-a")] == pytest.approx(0.4 * (0.75 * 1 + 0.25 * 2))
    assert cost[("dim1_mbpp_fixture2", "m-b")] == pytest.approx(1.0 * (0.5 * 10 + 0.5 * 20))
    assert ds.probe.results["cost_estimated"].all()
    assert any("id_train has no cost" in n for n in ds.notes)
    assert any("353%" in n for n in ds.notes)  # logged val cost 36 vs 10.2 at models.json prices


def test_crb_ood_uses_resolved_and_prompts(tmp_path: Path):
    ds = load_dataset(write_crb(tmp_path / "crb"), "ood")
    assert ds.split == "ood"
    assert [t.task_id for t in ds.test_tasks] == ["ood::x1", "ood::x2"]
    assert ds.test_tasks[0].text.startswith("Fix the crash")
    assert ds.test_tasks[0].metadata == {"source_split": "new64", "bench": "swe_ci", "language": "python",
                                         "difficulty": "hard"}
    scores = {(r["task_id"], r["model"]): r["score"] for r in ds.test_results.iter_rows(named=True)}
    assert scores == {("ood::x1", "m-a"): 1.0, ("ood::x1", "m-b"): 0.0, ("ood::x2", "m-a"): 0.0,
                      ("ood::x2", "m-b"): 1.0}
    assert len(ds.probe.tasks) == 4


def test_crb_missing_model_in_test(tmp_path: Path):
    target = write_crb(tmp_path / "crb")
    test_file = target / "id_test_results_long.csv"
    lines = test_file.read_text().splitlines()
    test_file.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(DatasetError, match=r"id_test_results_long\.csv: no result for model 'm-b' on task "
                                           r"'dim2_lcb_fixture8' \(id_tasks\.jsonl line 6\)"):
        load_dataset(target)


def test_crb_profiles_per_dimension_and_model_with_agentic_from_ood(tmp_path: Path):
    folder = write_crb(tmp_path)
    rows = {(r["dimension"], r["model"]): r for r in coderouterbench_profiles(folder).iter_rows(named=True)}
    assert set(rows) == {(d, m) for d in ("code_generation", "algorithm", "agentic") for m in ("m-a", "m-b")}
    generation = rows["code_generation", "m-a"]  # val + test, the train split has no tokens or latency
    assert (generation["score"], generation["input_tokens"], generation["latency_ms"]) == (1.0, 50005.0, 1500.0)
    assert rows["code_generation", "m-b"]["latency_ms"] is None  # only zeros: not measured
    agentic = rows["agentic", "m-a"]  # both OOD tasks, whatever their dimension
    assert (agentic["score"], agentic["input_tokens"], agentic["output_tokens"]) == (0.5, 6000.0, 150.0)
    assert agentic["latency_ms"] is None
    assert coderouterbench_prices(folder) == {"m-a": (1.0, 2.0), "m-b": (10.0, 20.0)}
