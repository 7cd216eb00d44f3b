"""The taxonomy file: loading, validation, the labels command."""

from __future__ import annotations

from importlib import resources

import pytest
from click.testing import CliRunner

from policyscan.cli import main
from policyscan.errors import TaxonomyError
from policyscan.taxonomy import Roles, load_taxonomy, parse_taxonomy


def test_default_taxonomy_matches_the_design():
    tax = load_taxonomy()
    assert len(tax.group("task")) == 11
    assert tax.group("risk") == ("instrumentalisation", "risk_awareness")
    assert tax.get("culture").domain == "other" and tax.get("loneliness").domain == "social"


def test_invalid_taxonomy_is_refused_with_reason(tmp_path):
    with pytest.raises(TaxonomyError, match="group 'taak'"):
        parse_taxonomy('[[label]]\nid="x"\ngroup="taak"\ndomain="social"\nname_nl="X"\nname_en="X"\ndescription="d"\n', "mine.toml")
    with pytest.raises(TaxonomyError, match="duplicate label ids: x"):
        one = 'id="x"\ngroup="task"\ndomain="social"\nname_nl="X"\nname_en="X"\ndescription="d"\n'
        parse_taxonomy(f"[[label]]\n{one}[[label]]\n{one}", "mine.toml")
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path / "missing.toml")


def test_digest_changes_with_the_label_set():
    tax = load_taxonomy()
    text = (resources.files("policyscan") / "data/taxonomy.toml").read_text(encoding="utf-8")
    changed = parse_taxonomy(text.replace('id = "economy"', 'id = "business"'))
    assert changed.digest() != tax.digest()


def test_labels_command_prints_a_table():
    result = CliRunner().invoke(main, ["labels"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0].split() == ["id", "group", "domain", "Dutch", "name"]
    assert "living_environment   task   other   Leefomgeving en openbare ruimte" in result.output


def test_roles_are_read_from_the_file_and_checked():
    headline = ("loneliness", "care_ageing", "poverty_work", "youth_education", "culture", "living_environment", "sport")
    assert load_taxonomy().roles == Roles(
        risk="instrumentalisation", safeguard="risk_awareness", other_domain="other", headline_tasks=headline
    )
    with pytest.raises(TaxonomyError, match="headline_tasks must list task label ids"):
        parse_taxonomy(
            '[roles]\nheadline_tasks = ["x"]\n[[label]]\nid="x"\ngroup="risk"\ndomain="none"\nname_nl="X"\nname_en="X"\ndescription="d"\n'
        )
    one = '[[label]]\nid="x"\ngroup="risk"\ndomain="none"\nname_nl="X"\nname_en="X"\ndescription="d"\n'
    assert parse_taxonomy(f'[roles]\nrisk = "x"\n{one}', "mine.toml").roles.risk == "x"
    with pytest.raises(TaxonomyError, match="role safeguard = 'y' is not a label id"):
        parse_taxonomy(f'[roles]\nsafeguard = "y"\n{one}', "mine.toml")
    with pytest.raises(TaxonomyError, match=r"\[roles\] takes only"):
        parse_taxonomy(f'[roles]\nrisico = "x"\n{one}', "mine.toml")
    with pytest.raises(TaxonomyError, match="role other_domain = 'elders'"):
        parse_taxonomy(f'[roles]\nother_domain = "elders"\n{one}', "mine.toml")
