"""Counting words: how many of the informants said something, as a thesis would write it.

Main findings are chosen by *how many* informants said something, and chapter 4
says so in words ("Nesten alle respondentene …", "Alle bortsett fra en …",
"Halvparten av respondentene …"). ``counting_phrase`` turns the number of
distinct informants coded (``count``) out of the informants in scope
(``total``) into that word, in the study's language.

The rule is the table ``COUNTING_RULES``: one row per phrase, each with the
exact condition under which it applies, written in whole-number arithmetic (no
rounding). The conditions are mutually exclusive and together cover every
``0 <= count <= total``, ``total >= 1`` (a property test checks this), so a
count never falls between two words or matches two. ``describe_rules`` gives
the same table as text for the screen.

Small totals get their own words where the general ones read oddly: 2 of 2 is
"Begge" / "Both" (not "Samtlige"), 1 of 2 is "Én av de to" / "One of the two"
(not "Halvparten"), and the only informant of a one-informant study is
"Den ene informanten" / "The only informant". With three informants, 2 of 3 is
"Alle bortsett fra én".

``counting_phrases`` adds the variants a thesis may prefer for the same rule
("Alle" beside "Samtlige"); ``VARIANTS`` lists them.

For the number itself, ``count_of_total`` writes "7 av 12 informanter" /
"7 of 12 informants", spelling out numbers up to twelve on request ("Seks av
åtte deltakere"), as the theses do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import npgettext, pgettext, pgettext_lazy

LANGUAGES = ("nb", "en")

# The two thresholds of the table. "Nesten alle" from three quarters up (6 of 8,
# 9 of 12); below a quarter, three or more informants are "Noen få" rather than
# "Under halvparten" (3 of 20).
ALMOST_ALL_FROM = Fraction(3, 4)
A_FEW_BELOW = Fraction(1, 4)


@dataclass(frozen=True)
class CountingRule:
    """One row of the table: the phrase, and the exact condition on ``count`` of ``total``."""

    key: str
    phrase: Promise
    condition: Promise
    applies: Callable[[int, int], bool]

    def text(self, language: str) -> str:
        with translation.override(language):
            return str(self.phrase)


def _percent(fraction: Fraction) -> str:
    return f"{float(fraction * 100):g} %"


# Ordered from the most to the fewest, as the screen shows them. Read each
# ``applies`` as a predicate on (k, n) = (count, total); all use integers only.
COUNTING_RULES: tuple[CountingRule, ...] = (
    CountingRule(
        "only",
        pgettext_lazy("counting phrase", "The only informant"),
        _("the study has a single informant, and it is counted"),
        lambda k, n: n == 1 and k == 1,
    ),
    CountingRule(
        "both",
        pgettext_lazy("counting phrase", "Both"),
        _("2 of 2"),
        lambda k, n: n == 2 and k == 2,
    ),
    CountingRule(
        "all",
        pgettext_lazy("counting phrase", "All"),
        _("every informant, when there are 3 or more"),
        lambda k, n: n >= 3 and k == n,
    ),
    CountingRule(
        "all_but_one",
        pgettext_lazy("counting phrase", "All but one"),
        _("all except exactly one, when there are 3 or more (2 of 3, 11 of 12)"),
        lambda k, n: n >= 3 and k == n - 1,
    ),
    CountingRule(
        "almost_all",
        pgettext_lazy("counting phrase", "Almost all"),
        _("at least %(almost_all)s, but two or more are missing"),
        lambda k, n: k <= n - 2 and k * ALMOST_ALL_FROM.denominator >= n * ALMOST_ALL_FROM.numerator,
    ),
    CountingRule(
        "more_than_half",
        pgettext_lazy("counting phrase", "More than half"),
        _("more than half, below %(almost_all)s, and two or more missing"),
        lambda k, n: k <= n - 2 and 2 * k > n and k * ALMOST_ALL_FROM.denominator < n * ALMOST_ALL_FROM.numerator,
    ),
    CountingRule(
        "half",
        pgettext_lazy("counting phrase", "Half"),
        _("exactly half, when there are 4 or more (2 of 4, 6 of 12)"),
        lambda k, n: n >= 4 and 2 * k == n,
    ),
    CountingRule(
        "fewer_than_half",
        pgettext_lazy("counting phrase", "Fewer than half"),
        _("3 or more, at least %(a_few)s, and fewer than half"),
        lambda k, n: k >= 3 and 2 * k < n and k * A_FEW_BELOW.denominator >= n * A_FEW_BELOW.numerator,
    ),
    CountingRule(
        "a_few",
        pgettext_lazy("counting phrase", "A few"),
        _("3 or more, but below %(a_few)s (3 of 13 or more)"),
        lambda k, n: k >= 3 and k * A_FEW_BELOW.denominator < n * A_FEW_BELOW.numerator,
    ),
    CountingRule(
        "a_couple",
        pgettext_lazy("counting phrase", "A couple"),
        _("exactly 2, when there are 5 or more"),
        lambda k, n: k == 2 and n >= 5,
    ),
    CountingRule(
        "one_of_two",
        pgettext_lazy("counting phrase", "One of the two"),
        _("1 of 2"),
        lambda k, n: k == 1 and n == 2,
    ),
    CountingRule(
        "one",
        pgettext_lazy("counting phrase", "One of the informants"),
        _("exactly 1, when there are 3 or more"),
        lambda k, n: k == 1 and n >= 3,
    ),
    CountingRule(
        "none",
        pgettext_lazy("counting phrase", "None"),
        _("nobody"),
        lambda k, n: k == 0,
    ),
)

RULES_BY_KEY = {rule.key: rule for rule in COUNTING_RULES}


def _check(count: int, total: int, language: str) -> None:
    for name, value in (("count", count), ("total", total)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be a whole number, not {value!r}")
    if total < 1:
        raise ValueError(f"total must be at least 1, not {total}")
    if not 0 <= count <= total:
        raise ValueError(f"count must be between 0 and the total {total}, not {count}")
    if language not in LANGUAGES:
        raise ValueError(f"no counting words for language {language!r}; known: {', '.join(LANGUAGES)}")


def counting_rule(count: int, total: int) -> CountingRule:
    """The one row of ``COUNTING_RULES`` that applies to ``count`` of ``total``."""
    _check(count, total, LANGUAGES[0])
    matches = [rule for rule in COUNTING_RULES if rule.applies(count, total)]
    if len(matches) != 1:  # pragma: no cover - the property test shows the table has no gap or overlap
        raise AssertionError(f"{count} of {total} matches {[r.key for r in matches]}")
    return matches[0]


def counting_phrase(count: int, total: int, language: str, *, sentence_start: bool = True) -> str:
    """The counting word for ``count`` informants out of ``total``, in ``language`` ("nb" or "en").

    "Nesten alle" for 9 of 12 in bokmål, "Almost all" in English. Capitalised
    to open a sentence; ``sentence_start=False`` gives the word for the middle
    of one ("… sa nesten alle"). Raises ValueError for a count above the total,
    a negative count, a total below 1 or a language without counting words.
    """
    _check(count, total, language)
    phrase = counting_rule(count, total).text(language)
    return phrase if sentence_start else phrase[0].lower() + phrase[1:]


# Other words, true of the same counts, that a thesis uses instead; each in its
# own language, not translations of each other. Thesis 002 writes "Alle
# respondentene" where 001 writes "Samtlige", and calls five of six "Nesten
# alle" as well as "Alle bortsett fra en". The composer offers them beside the
# main phrase.
VARIANTS: dict[str, dict[str, tuple[str, ...]]] = {
    "nb": {"all": ("Alle",), "all_but_one": ("Nesten alle", "Alle unntatt én"), "almost_all": ("De aller fleste",)},
    "en": {"all_but_one": ("Almost all", "All except one"), "almost_all": ("Nearly all",)},
}


def counting_phrases(count: int, total: int, language: str) -> tuple[str, ...]:
    """The counting phrase first, then the variants of the same rule the user may pick instead."""
    _check(count, total, language)
    rule = counting_rule(count, total)
    return (rule.text(language), *VARIANTS[language].get(rule.key, ()))


def describe_rules(language: str) -> list[tuple[str, str]]:
    """The table as (phrase, condition) pairs in ``language``, from the most to the fewest, for the screen."""
    _check(0, 1, language)
    thresholds = {"almost_all": _percent(ALMOST_ALL_FROM), "a_few": _percent(A_FEW_BELOW)}
    with translation.override(language):
        return [(str(rule.phrase), str(rule.condition) % thresholds) for rule in COUNTING_RULES]


# Norwegian and English style both spell out small numbers in running text.
SPELLED_UP_TO = 12


def number_word(number: int, language: str) -> str:
    """ "seks" / "six" for numbers up to twelve, digits above."""
    _check(0, 1, language)
    if not 0 <= number <= SPELLED_UP_TO:
        return str(number)
    with translation.override(language):
        return NUMBER_WORDS[number]()


NUMBER_WORDS: tuple[Callable[[], str], ...] = (
    lambda: pgettext("number word", "zero"),
    lambda: pgettext("number word", "one"),
    lambda: pgettext("number word", "two"),
    lambda: pgettext("number word", "three"),
    lambda: pgettext("number word", "four"),
    lambda: pgettext("number word", "five"),
    lambda: pgettext("number word", "six"),
    lambda: pgettext("number word", "seven"),
    lambda: pgettext("number word", "eight"),
    lambda: pgettext("number word", "nine"),
    lambda: pgettext("number word", "ten"),
    lambda: pgettext("number word", "eleven"),
    lambda: pgettext("number word", "twelve"),
)


class Noun:
    """What the thesis calls the people it counts."""

    INFORMANTS = "informants"
    RESPONDENTS = "respondents"
    PARTICIPANTS = "participants"


def _of_total(count: str, total: str, number: int, noun: str) -> str:
    values = {"count": count, "total": total}
    if noun == Noun.INFORMANTS:
        return (
            npgettext("count of total", "%(count)s of %(total)s informant", "%(count)s of %(total)s informants", number)
            % values
        )
    if noun == Noun.RESPONDENTS:
        return (
            npgettext(
                "count of total", "%(count)s of %(total)s respondent", "%(count)s of %(total)s respondents", number
            )
            % values
        )
    if noun == Noun.PARTICIPANTS:
        return (
            npgettext(
                "count of total", "%(count)s of %(total)s participant", "%(count)s of %(total)s participants", number
            )
            % values
        )
    raise ValueError(f"unknown noun {noun!r}")


def count_of_total(count: int, total: int, language: str, *, noun: str = Noun.INFORMANTS, spelled: bool = False) -> str:
    """ "7 av 12 informanter" / "7 of 12 informants"; with ``spelled``, "Seks av åtte deltakere".

    Spelled-out numbers (up to twelve) open a sentence, so the first letter is
    capitalised; larger numbers stay digits.
    """
    _check(count, total, language)
    if spelled:
        count_text, total_text = number_word(count, language), number_word(total, language)
    else:
        count_text, total_text = str(count), str(total)
    with translation.override(language):
        text = _of_total(count_text, total_text, total, noun)
    return text[0].upper() + text[1:]
