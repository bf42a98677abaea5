"""Counting words for chapter 4: every threshold, both languages, no gaps, and the theses' own words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.counting import (
    A_FEW_BELOW,
    ALMOST_ALL_FROM,
    COUNTING_RULES,
    RULES_BY_KEY,
    Noun,
    count_of_total,
    counting_phrase,
    counting_phrases,
    counting_rule,
    describe_rules,
    number_word,
)

DOMAIN = Path(__file__).resolve().parents[1] / "fixtures" / "domain"

# (count, total, bokmål, English): each row sits on one side of a threshold of the table.
TABLE = [
    # nobody, at every size
    (0, 1, "Ingen", "None"),
    (0, 2, "Ingen", "None"),
    (0, 12, "Ingen", "None"),
    # a study of one
    (1, 1, "Den ene informanten", "The only informant"),
    # a pair
    (1, 2, "Én av de to", "One of the two"),
    (2, 2, "Begge", "Both"),
    # three: all, all but one, one
    (3, 3, "Samtlige", "All"),
    (2, 3, "Alle bortsett fra én", "All but one"),
    (1, 3, "Én av informantene", "One of the informants"),
    # four: half is two, not "a couple"
    (4, 4, "Samtlige", "All"),
    (3, 4, "Alle bortsett fra én", "All but one"),
    (2, 4, "Halvparten", "Half"),
    (1, 4, "Én av informantene", "One of the informants"),
    # five: a couple from five up
    (3, 5, "Over halvparten", "More than half"),
    (2, 5, "Et par", "A couple"),
    # six (thesis 002): 4 of 6 is below three quarters
    (6, 6, "Samtlige", "All"),
    (5, 6, "Alle bortsett fra én", "All but one"),
    (4, 6, "Over halvparten", "More than half"),
    (3, 6, "Halvparten", "Half"),
    (2, 6, "Et par", "A couple"),
    # seven: three of seven is fewer than half, and not below a quarter
    (4, 7, "Over halvparten", "More than half"),
    (3, 7, "Under halvparten", "Fewer than half"),
    # eight (thesis 000, "Seks av åtte"): exactly three quarters is almost all
    (7, 8, "Alle bortsett fra én", "All but one"),
    (6, 8, "Nesten alle", "Almost all"),
    (5, 8, "Over halvparten", "More than half"),
    (4, 8, "Halvparten", "Half"),
    (3, 8, "Under halvparten", "Fewer than half"),
    # twelve (thesis 001)
    (12, 12, "Samtlige", "All"),
    (11, 12, "Alle bortsett fra én", "All but one"),
    (10, 12, "Nesten alle", "Almost all"),
    (9, 12, "Nesten alle", "Almost all"),
    (8, 12, "Over halvparten", "More than half"),
    (7, 12, "Over halvparten", "More than half"),
    (6, 12, "Halvparten", "Half"),
    (5, 12, "Under halvparten", "Fewer than half"),
    (3, 12, "Under halvparten", "Fewer than half"),
    (2, 12, "Et par", "A couple"),
    (1, 12, "Én av informantene", "One of the informants"),
    # the quarter line: 3 of 12 is exactly a quarter, 3 of 13 is below it
    (3, 13, "Noen få", "A few"),
    (4, 16, "Under halvparten", "Fewer than half"),
    (4, 17, "Noen få", "A few"),
    # the three-quarter line at 20: 15 is on it, 14 below
    (15, 20, "Nesten alle", "Almost all"),
    (14, 20, "Over halvparten", "More than half"),
    (11, 20, "Over halvparten", "More than half"),
    (10, 20, "Halvparten", "Half"),
    (9, 20, "Under halvparten", "Fewer than half"),
    (5, 20, "Under halvparten", "Fewer than half"),
    (4, 20, "Noen få", "A few"),
    # odd totals never give "Halvparten"
    (5, 11, "Under halvparten", "Fewer than half"),
    (6, 11, "Over halvparten", "More than half"),
]


@pytest.mark.parametrize(("count", "total", "nb", "en"), TABLE)
def test_every_threshold_in_both_languages(count, total, nb, en):
    assert counting_phrase(count, total, "nb") == nb
    assert counting_phrase(count, total, "en") == en


def test_the_table_reaches_every_rule():
    reached = {counting_rule(count, total).key for count, total, _, _ in TABLE}
    assert reached == set(RULES_BY_KEY)


def test_in_the_middle_of_a_sentence_the_phrase_is_lower_case():
    assert counting_phrase(9, 12, "nb", sentence_start=False) == "nesten alle"
    assert counting_phrase(1, 12, "nb", sentence_start=False) == "én av informantene"
    assert counting_phrase(11, 12, "en", sentence_start=False) == "all but one"


def test_the_language_is_the_studys_not_the_interfaces():
    from django.utils import translation

    with translation.override("en"):
        assert counting_phrase(9, 12, "nb") == "Nesten alle"
    with translation.override("nb"):
        assert counting_phrase(9, 12, "en") == "Almost all"
        assert translation.get_language() == "nb"


@given(st.integers(min_value=1, max_value=100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_exactly_one_rule_applies_to_any_count(pair):
    count, total = pair
    matching = [rule.key for rule in COUNTING_RULES if rule.applies(count, total)]
    assert len(matching) == 1, (count, total, matching)


def test_exactly_one_rule_applies_to_every_small_study():
    for total in range(1, 61):
        for count in range(total + 1):
            matching = [rule.key for rule in COUNTING_RULES if rule.applies(count, total)]
            assert len(matching) == 1, (count, total, matching)


@given(st.integers(min_value=1, max_value=10_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_each_phrase_is_true_of_the_count(pair):
    count, total = pair
    key = counting_rule(count, total).key
    truths = {
        "only": count == total == 1,
        "both": count == total == 2,
        "all": count == total,
        "all_but_one": count == total - 1,
        "almost_all": ALMOST_ALL_FROM * total <= count < total - 1,
        "more_than_half": total / 2 < count < ALMOST_ALL_FROM * total,
        "half": 2 * count == total,
        "fewer_than_half": A_FEW_BELOW * total <= count < total / 2,
        "a_few": 3 <= count < A_FEW_BELOW * total,
        "a_couple": count == 2 and 2 * count < total,
        "one_of_two": (count, total) == (1, 2),
        "one": count == 1 and 2 * count < total,
        "none": count == 0,
    }
    assert truths[key], (count, total, key)


@given(st.integers(min_value=1, max_value=2_000))
def test_more_informants_never_give_a_smaller_word(total):
    """The table is ordered from the most to the fewest; counting up never moves down it."""
    order = [rule.key for rule in COUNTING_RULES]
    positions = [order.index(counting_rule(count, total).key) for count in range(total + 1)]
    assert positions == sorted(positions, reverse=True)


@pytest.mark.parametrize(
    ("count", "total", "language"),
    [
        (13, 12, "nb"),  # more than the total
        (-1, 12, "nb"),
        (0, 0, "nb"),  # no informants at all
        (0, -3, "en"),
        (3, 12, "de"),  # no counting words for German
        (3, 12, ""),
        (1.5, 12, "nb"),
        (3, 12.0, "en"),
        (True, 2, "en"),
        ("3", 12, "nb"),
    ],
)
def test_nonsense_is_refused(count, total, language):
    with pytest.raises(ValueError):
        counting_phrase(count, total, language)
    with pytest.raises(ValueError):
        count_of_total(count, total, language)


def test_describe_rules_shows_the_table_in_the_studys_language():
    nb = describe_rules("nb")
    en = describe_rules("en")
    assert [phrase for phrase, _ in nb] == [rule.text("nb") for rule in COUNTING_RULES]
    assert len(en) == len(COUNTING_RULES)
    assert dict(nb)["Nesten alle"] == "minst 75 %, men to eller flere mangler"
    assert dict(en)["Almost all"] == "at least 75 %, but two or more are missing"
    assert dict(nb)["Noen få"] == "3 eller flere, men under 25 % (3 av 13 eller flere)"
    assert dict(en)["Both"] == "2 of 2"
    with pytest.raises(ValueError):
        describe_rules("sv")


def test_variants_are_offered_after_the_phrase():
    assert counting_phrases(6, 6, "nb") == ("Samtlige", "Alle")
    assert counting_phrases(5, 6, "nb")[0] == "Alle bortsett fra én"
    assert counting_phrases(3, 6, "en") == ("Half",)


@pytest.mark.parametrize(
    ("count", "total", "language", "kwargs", "expected"),
    [
        (7, 12, "nb", {}, "7 av 12 informanter"),
        (7, 12, "en", {}, "7 of 12 informants"),
        (1, 1, "nb", {}, "1 av 1 informant"),
        (1, 1, "en", {}, "1 of 1 informant"),
        (0, 9, "nb", {}, "0 av 9 informanter"),
        (6, 8, "nb", {"spelled": True, "noun": Noun.PARTICIPANTS}, "Seks av åtte deltakere"),
        (6, 8, "en", {"spelled": True, "noun": Noun.PARTICIPANTS}, "Six of eight participants"),
        (1, 6, "nb", {"spelled": True, "noun": Noun.RESPONDENTS}, "Én av seks respondenter"),
        (12, 12, "nb", {"spelled": True}, "Tolv av tolv informanter"),
        (12, 13, "nb", {"spelled": True}, "Tolv av 13 informanter"),
        (15, 20, "en", {"spelled": True}, "15 of 20 informants"),
    ],
)
def test_count_of_total(count, total, language, kwargs, expected):
    assert count_of_total(count, total, language, **kwargs) == expected


def test_count_of_total_refuses_an_unknown_noun():
    with pytest.raises(ValueError):
        count_of_total(3, 6, "nb", noun="patients")


def test_number_words():
    assert [number_word(n, "nb") for n in range(13)] == [
        "null", "én", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv",
    ]  # fmt: skip
    assert number_word(7, "en") == "seven"
    assert number_word(13, "nb") == "13"


def _bokmal(text: str) -> str:
    """Compare words as the theses print them: "en" and "én" are the same word."""
    return text.casefold().replace("é", "e")


def test_every_quantifier_of_thesis_002_is_representable():
    """Thesis 002 (six respondents) counts in words; each word is one the product can produce for six."""
    study = json.loads((DOMAIN / "study-002.json").read_text())
    used = study["chapter4_style"]["quantifiers_used"]
    producible = {_bokmal(p) for count in range(7) for p in counting_phrases(count, 6, "nb")}
    producible |= {
        _bokmal(count_of_total(count, 6, "nb", spelled=True, noun=Noun.RESPONDENTS).split(" av ")[0] + " respondenter")
        for count in range(2, 7)
    }
    for phrase in used:
        if "møte" in phrase:
            continue  # counts meetings, not informants
        assert _bokmal(phrase) in producible, phrase


def test_the_counts_the_theses_print():
    # 000: "Seks av åtte deltakere kommenterte i evalueringen …"
    assert count_of_total(6, 8, "nb", spelled=True, noun=Noun.PARTICIPANTS) == "Seks av åtte deltakere"
    # 001: "Samtlige syntes det var interessant og lærerikt" (all twelve informants)
    assert counting_phrase(12, 12, "nb") == "Samtlige"
    # 002: six respondents: "Alle bortsett fra en respondent", "halvparten av respondentene"
    assert _bokmal(counting_phrase(5, 6, "nb")) == _bokmal("Alle bortsett fra en")
    assert counting_phrase(3, 6, "nb", sentence_start=False) == "halvparten"
    # the fifth thesis: "Et par", "Samtlige"
    assert counting_phrase(2, 10, "nb") == "Et par"
