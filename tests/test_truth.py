"""Exercises checked against the planted truth: crmwb.truth, crmwb.exercises and the runner."""

import json

import nbformat
import numpy as np
import pandas as pd
import pytest

from crmwb import exercises, identity, overview, report, truth
from crmwb.datasets import make_crm_data
from crmwb.glossary import LABELS


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small generated shop written to disk with its truth, and the truth read back."""
    folder = tmp_path_factory.mktemp("shop")
    data = make_crm_data(1500, seed=11)
    data.write(folder / "data")
    return data, truth.Truth.read(folder / "data" / "truth"), folder / "data"


class _Prepared:
    """What truth.open reads of a prepared dataset: its manifest's parameters."""

    def __init__(self, **parameters):
        self.manifest = {"parameters": parameters}


def test_truth_is_found_beside_generated_data_and_never_for_an_export(shop, tmp_path):
    _, _, folder = shop
    assert isinstance(truth.open(_Prepared(data_dir=str(folder))), truth.Truth)
    # the same folder read as an export, or a folder of someone's own tables: no truth
    assert truth.open(_Prepared(data_dir=str(folder), transactions_path="x.csv")) is None
    assert truth.open(_Prepared(data_dir=str(tmp_path))) is None
    assert truth.open(object()) is None


def test_a_perfect_crosswalk_scores_one_and_merging_a_family_is_caught(shop):
    data, planted, _ = shop
    cw = identity.crosswalk(data.customers)
    right = planted.identities(cw)
    assert right.loc["h_merged_records", "planted"] == data.truth["identity"].pipe(
        lambda i: (i["customer_id"] != i["person_id"]).sum())
    assert right.loc["precision", "yours"] >= 0.95 and right.loc["recall", "yours"] >= 0.95
    # merge two strangers into one: precision falls below 1, the planted count stays
    alone = cw[cw["records"] == 1]["customer_id"].to_numpy()
    wrong = cw.copy()
    wrong.loc[wrong["customer_id"] == alone[1], "master_id"] = alone[0]
    worse = planted.identities(wrong)
    assert worse.loc["precision", "yours"] < right.loc["precision", "yours"]
    assert worse.loc["h_merged_records", "yours"] == right.loc["h_merged_records", "yours"] + 1
    # no merge at all: nothing found, recall 0
    none = planted.identities(cw.assign(master_id=cw["customer_id"]))
    assert none.loc["recall", "yours"] == 0 and np.isnan(none.loc["precision", "yours"])


def test_calling_everyone_active_has_recall_one_and_precision_the_alive_share(shop):
    data, planted, _ = shop
    people = data.truth["customers"]
    everyone = pd.Series(True, index=people["person_id"])
    check = planted.active(everyone)
    assert check.loc["recall", "yours"] == 1.0
    assert check.loc["precision", "yours"] == pytest.approx(people["alive"].mean())
    assert check.loc["share_active", "planted"] == pytest.approx(people["alive"].mean())
    # the truth itself as the judgement: perfect
    exact = planted.active(people.set_index("person_id")["alive"])
    assert exact.loc[["precision", "recall"], "yours"].tolist() == [1.0, 1.0]
    # a second record's id is read as its person
    twins = data.truth["identity"].query("customer_id != person_id")
    by_second = planted.of_customers(twins["customer_id"], "alive").to_numpy()
    by_person = planted.of_customers(twins["person_id"], "alive").to_numpy()
    assert (by_second == by_person).all()


def test_alive_scores_rank_against_the_truth(shop):
    data, planted, _ = shop
    alive = data.truth["customers"].set_index("person_id")["alive"].astype(float)
    assert planted.alive_scores(alive).loc["roc_auc", "yours"] == 1.0
    assert planted.alive_scores(1 - alive).loc["roc_auc", "yours"] == 0.0
    flat = planted.alive_scores(alive * 0 + 0.5)
    assert flat.loc["roc_auc", "yours"] == 0.5
    assert flat.loc["h_expected_alive", "planted"] == alive.sum()


def test_loyalty_types_found_as_planted_agree_fully(shop):
    data, planted, _ = shop
    kinds = data.truth["customers"].set_index("person_id")["loyalty_type"]
    check = planted.loyalty(kinds)
    assert check.loc["h_agreement", "yours"] == 1.0
    assert (check.drop("h_agreement")["yours"] == check.drop("h_agreement")["planted"]).all()
    shuffled = pd.Series(np.roll(kinds.to_numpy(), 1), index=kinds.index)
    assert planted.loyalty(shuffled).loc["h_agreement", "yours"] < 0.6


def test_bgnbd_alpha_is_compared_in_the_fit_s_time_unit(shop):
    _, planted, _ = shop
    retail = planted.params["bgnbd"]["retail"]
    weeks = planted.bgnbd(retail | {"alpha": retail["alpha"] / 7}, "retail", "W")
    assert np.allclose(weeks["yours"], weeks["planted"])
    days = planted.bgnbd(retail, "retail", "D")
    assert days.loc["alpha", "planted"] == retail["alpha"]
    assert planted.bgnbd(retail, "wholesale", "D").loc["alpha", "planted"] == \
        planted.params["bgnbd"]["wholesale"]["alpha"]


def test_planted_rules_missing_from_mined_rules_show_as_missing(shop):
    _, planted, _ = shop
    first = planted.rules_.iloc[0]
    mined = pd.DataFrame({"antecedents": [frozenset([first["antecedent"]])],
                          "consequents": [frozenset([first["consequent"]])], "lift": [2.5]})
    check = planted.rules(mined)
    assert len(check) == len(planted.rules_)
    assert check["yours"].iloc[0] == 2.5 and check["yours"].iloc[1:].isna().all()
    assert check["planted"].tolist() == planted.rules_["lift"].tolist()


def test_key_date_traffic_measures_the_planted_nowruz_rush(shop):
    data, planted, _ = shop
    from crmwb import calendars, engine

    lines = engine.open_table(data.transactions[["invoice_id", "date"]].dropna())
    days = calendars.key_dates(data.transactions["date"].min(), data.transactions["date"].max(),
                               {"nothing": ["2024-05-05", "2024-05-11"]}, iranian=True)
    measured = overview.key_date_traffic(lines, days[days["key"].isin(["pre_nowruz", "custom"])])
    check = planted.key_date_traffic(measured)
    rush = check.loc["pre_nowruz"]
    assert (rush["planted"] > 1.6).all() and (rush["yours"] > 1.4).all()
    assert check.loc["custom", "planted"] == pytest.approx(1.0, abs=0.25)
    # every period whose month before is in the data is measured; the first Nowruz of 2024
    # has its month before in the data
    assert measured["start"].min() < pd.Timestamp("2024-04-01")


def test_a_check_is_written_in_the_reader_s_language_and_says_when_there_is_no_truth():
    table = pd.DataFrame({"yours": [0.981, float("nan")], "planted": [1.0, 2.2],
                          "kind": ["share", "number"], "when": [None, pd.Timestamp("2024-03-20")]},
                         index=pd.Index(["recall", "nowruz"], name="measure"))
    en = exercises.check(table, lang="en")._repr_mimebundle_()
    fa = exercises.check(table, lang="fa", persian_digits=True)._repr_mimebundle_()
    assert "98.1%" in en["text/plain"] and LABELS["en"]["recall"] in en["text/html"]
    assert "۹۸٫۱٪" in fa["text/html"] and LABELS["fa"]["recall"] in fa["text/html"]
    assert "۱۴۰۳/۰۱/۰۱" in fa["text/html"]  # a period's date, Jalali
    assert "dir='rtl'" in fa["text/html"]
    nothing = exercises.check(None, lang="fa")._repr_mimebundle_()["text/plain"]
    assert "crmwb" not in nothing and "ساختگی" in nothing  # no command inside a Persian sentence


# --- notebooks and the runner ---------------------------------------------------------------

def _cells(name):
    from crmwb import config

    return nbformat.read(config.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4).cells


@pytest.mark.parametrize("name", [p.stem for p in report.discover_notebooks()])
def test_every_notebook_ends_with_exercises_checked_against_the_truth(name):
    cells = _cells(name)
    tags = [set(c.metadata.get("tags", [])) for c in cells]
    checks = [c for c, t in zip(cells, tags) if c.cell_type == "code" and "exercise" in t]
    assert 2 <= len(checks) <= 3, name
    assert all("exercises.check(" in c.source and "planted." in c.source for c in checks)
    for lang in ("en", "fa"):
        questions = [c for c, t in zip(cells, tags) if {"exercise", f"lang-{lang}"} <= t
                     and c.source.startswith("###")]
        answers = [c for c, t in zip(cells, tags) if {"solution", f"lang-{lang}"} <= t]
        assert len(questions) == len(answers) == len(checks), (name, lang)
    # the exercises come last: nothing after them but their own cells
    first = next(i for i, t in enumerate(tags) if "exercise" in t)
    assert all({"exercise", "solution"} & t for t in tags[first:])
    # each question names the parameter to change, and it is one the notebook takes
    declared = report.notebook_parameters(__import__("crmwb").config.NOTEBOOKS_DIR
                                          / f"{name}.ipynb")
    for c, t in zip(cells, tags):
        if {"exercise", "lang-en"} <= t and c.source.startswith("###"):
            changed = c.source.split("**Change.**")[1].split("**Check.**")[0]
            named = [w.strip("`") for w in changed.split() if w.startswith("`")]
            assert not named or named[0] in declared, (name, named)


def test_solutions_are_left_out_of_the_reports_unless_asked_for(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                        "display_name": "Python 3",
                                                        "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_markdown_cell("### Exercise 1 · A question",
                                              metadata={"tags": ["exercise"]}),
                nbformat.v4.new_code_cell("print('the check', x)",
                                          metadata={"tags": ["exercise"]}),
                nbformat.v4.new_markdown_cell("**Solution 1.** The secret answer",
                                              metadata={"tags": ["solution"]}),
                nbformat.v4.new_code_cell("print('computed answer')",
                                          metadata={"tags": ["solution"]})]
    folder = tmp_path / "nb"
    folder.mkdir()
    nbformat.write(nb, folder / "00_exercise.ipynb")
    for solutions, shown in ((None, False), (False, False), (True, True)):
        out = tmp_path / f"out_{solutions}"
        params = {} if solutions is None else {"solutions": solutions}
        [result] = report.run_notebooks(params, out_dir=out, notebooks_dir=folder,
                                        log=lambda line: None, jobs=1)
        assert result.status == "ok", result.error
        page = (out / "00_exercise.html").read_text(encoding="utf-8")
        executed = (out / "00_exercise.ipynb").read_text(encoding="utf-8")
        assert "the check" in page and "A question" in page
        for text in (page, executed):
            assert ("secret answer" in text) == shown and ("computed answer" in text) == shown
        # the run's own setting reaches no notebook
        assert "solutions" not in json.dumps(result.parameters)


def test_solutions_must_be_true_or_false():
    with pytest.raises(report.ParameterError, match="solutions"):
        report.run_notebooks({"solutions": "yes"}, log=lambda line: None)


def test_ids_read_as_text_or_floats_are_the_same_customers(shop):
    # a CSV export may read ids as text, a table with gaps as floats
    data, planted, _ = shop
    ids = data.truth["customers"]["person_id"].head(20)
    as_int = planted.of_customers(ids, "customer_type").to_numpy()
    for other in (ids.astype(str), ids.astype(float), " " + ids.astype(str)):
        assert (planted.of_customers(other, "customer_type").to_numpy() == as_int).all()
    cw = identity.crosswalk(data.customers)
    text = cw.assign(customer_id=cw["customer_id"].astype(str),
                     master_id=cw["master_id"].astype(str))
    assert planted.identities(text)["yours"].tolist() == planted.identities(cw)["yours"].tolist()


def test_tables_whose_ids_were_changed_after_generation_have_no_truth(shop):
    data, _, folder = shop
    cw = identity.crosswalk(data.customers)

    class Moved(_Prepared):
        crosswalk = cw.assign(customer_id=cw["customer_id"] + 10_000_000)

    class Same(_Prepared):
        crosswalk = cw

    assert truth.open(Moved(data_dir=str(folder))) is None
    assert truth.open(Same(data_dir=str(folder))) is not None


def test_a_covariate_model_is_set_beside_the_planted_effects():
    from crmwb.datasets.synthetic import DEFAULT_TRUTH, planted_covariate_effects

    planted = truth.Truth({**DEFAULT_TRUTH, "covariate_effects": planted_covariate_effects()})

    class Fitted:
        params_ = {"r": 0.9, "alpha": 2.3, "a": 0.8, "b": 4.0}
        coefficients_ = pd.DataFrame(
            {"estimate": [-0.9, 0.41]},
            index=pd.MultiIndex.from_tuples([("purchase", "customer_type=wholesale"),
                                             ("dropout", "acquisition_channel=referral")]))

    check = planted.covariates(Fitted(), time_unit="W")
    assert check.loc["alpha", "planted"] == pytest.approx(16.0 / 7)
    assert check.loc["purchase|customer_type=wholesale", "planted"] == pytest.approx(
        np.log(16 / 40))
    assert check.loc["dropout|acquisition_channel=referral", "planted"] == -0.6
    assert check.loc["dropout|acquisition_channel=referral", "yours"] == 0.41
    text = exercises.check(check, lang="en")._repr_mimebundle_()["text/plain"]
    assert "Dropout · Acquisition channel: Referral" in text
    with pytest.raises(ValueError, match="generate it again"):
        truth.Truth(dict(DEFAULT_TRUTH)).covariates(Fitted())
