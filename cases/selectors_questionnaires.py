"""Reads for questionnaires and secondary datasets: results, entry forms, tables.

Entry points for other screens and reports (the chapter-4 composer):

- :func:`questionnaires_for` / :func:`datasets_for` – what a study has;
- :func:`questionnaire_results` – n, non-response, mean, median and
  distribution per item, counts for choices, rank scores, free texts;
- :func:`dataset_table` – a secondary dataset as headings and rows.

The caller has already checked that the user may read the study (views load
objects through ``get_object_in_study``). Nothing here reveals which
anonymous response said what beyond the answers themselves: free texts come
sorted by their text, never in entry order.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, QuerySet

from cases.models import (
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireChoice,
    QuestionnaireItem,
    QuestionnaireResponse,
    QuestionnaireSection,
    QuestionnaireVersion,
    SecondaryDataset,
    Study,
)

Kind = QuestionnaireItem.Kind


def questionnaires_for(study: Study) -> QuerySet[Questionnaire]:
    """The study's questionnaires with their version count and the number of responses to any version."""
    return (
        Questionnaire.objects.filter(study=study)
        .select_related("session")
        .annotate(
            version_count=Count("versions", distinct=True),
            response_count=Count("versions__responses", distinct=True),
        )
        .order_by("title", "id")
    )


def datasets_for(study: Study) -> QuerySet[SecondaryDataset]:
    return SecondaryDataset.objects.filter(study=study).annotate(row_count=Count("rows")).order_by("title", "id")


def version_with_items(version: QuestionnaireVersion) -> QuestionnaireVersion:
    """The version with sections → items → options (and follow-up triggers) loaded in four queries."""
    return (
        QuestionnaireVersion.objects.select_related("questionnaire")
        .prefetch_related(
            Prefetch(
                "sections",
                queryset=QuestionnaireSection.objects.order_by("position", "id").prefetch_related(
                    Prefetch(
                        "items",
                        queryset=QuestionnaireItem.objects.order_by("position", "id").prefetch_related(
                            "options", "follow_up_on"
                        ),
                    )
                ),
            )
        )
        .get(pk=version.pk)
    )


def items_of(version: QuestionnaireVersion) -> list[QuestionnaireItem]:
    """Items of a version loaded by :func:`version_with_items`, in reading order."""
    return [item for section in version.sections.all() for item in section.items.all()]


def current_version(questionnaire: Questionnaire) -> QuestionnaireVersion | None:
    """The newest version: the one new responses are entered against."""
    return questionnaire.versions.order_by("-created_at", "-id").first()


@dataclass
class OptionCount:
    text: str
    count: int
    share: Decimal | None  # of those who answered the item, 0–100


@dataclass
class RankScore:
    """How one option was ranked: points (k for first place … 1 for k-th) and counts per place."""

    text: str
    score: int
    counts_by_rank: list[int]
    times_ranked: int


@dataclass
class ItemResult:
    item: QuestionnaireItem
    section: str
    answered: int
    non_response: int
    mean: Decimal | None = None
    median: Decimal | None = None
    distribution: list[tuple[Decimal, int]] = field(default_factory=list)
    options: list[OptionCount] = field(default_factory=list)
    ranks: list[RankScore] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)  # (answer given, comment)

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def max_count(self) -> int:
        counts = [c for _, c in self.distribution] + [o.count for o in self.options]
        return max(counts, default=0)


@dataclass
class QuestionnaireResults:
    questionnaire: Questionnaire
    version: QuestionnaireVersion
    respondents: int
    items: list[ItemResult]
    data_quality_notes: list[str]

    @property
    def participants(self) -> int | None:
        return self.questionnaire.participants_count

    def item(self, item_id: int) -> ItemResult:
        return next(result for result in self.items if result.item.pk == item_id)


def round_half_up(value: Decimal | None, places: int = 1) -> Decimal | None:
    """Round the way a thesis reports a mean (7.3125 → 7.3, 8.25 → 8.3)."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def questionnaire_results(version: QuestionnaireVersion) -> QuestionnaireResults:
    """Aggregate every item of ``version`` over all its responses, in a fixed number of queries (7)."""
    version = version_with_items(version)
    responses = list(
        QuestionnaireResponse.objects.filter(version=version).values_list("anonymous", "data_quality_note")
    )
    respondents = len(responses)
    answers = list(
        QuestionnaireAnswer.objects.filter(response__version=version).prefetch_related(
            Prefetch("choices", queryset=QuestionnaireChoice.objects.select_related("option"))
        )
    )
    by_item: dict[int, list[QuestionnaireAnswer]] = defaultdict(list)
    for answer in answers:
        by_item[answer.item_id].append(answer)

    results = []
    for section in version.sections.all():
        for item in section.items.all():
            item_answers = [a for a in by_item.get(item.pk, []) if _is_answered(item, a)]
            result = ItemResult(
                item=item,
                section=section.title,
                answered=len(item_answers),
                non_response=respondents - len(item_answers),
            )
            _aggregate(item, item_answers, result)
            results.append(result)
    notes = sorted(note.strip() for _, note in responses if note.strip())
    return QuestionnaireResults(
        questionnaire=version.questionnaire,
        version=version,
        respondents=respondents,
        items=results,
        data_quality_notes=notes,
    )


def _is_answered(item: QuestionnaireItem, answer: QuestionnaireAnswer) -> bool:
    if item.kind == Kind.SCALE:
        return answer.value is not None
    if item.kind == Kind.FREE_TEXT:
        return bool(answer.text.strip())
    return bool(answer.choices.all())


def _aggregate(item: QuestionnaireItem, answers: list[QuestionnaireAnswer], result: ItemResult) -> None:
    if item.kind == Kind.SCALE:
        values = [a.value for a in answers]
        counts = Counter(values)
        allowed = item.scale_values()
        result.distribution = [(value, counts.get(value, 0)) for value in allowed]
        # A value outside the declared steps (entered before the scale changed) still counts.
        result.distribution += sorted((v, c) for v, c in counts.items() if v not in allowed)
        if values:
            result.mean = sum(values, Decimal(0)) / len(values)
            result.median = Decimal(statistics.median(values))
        return
    if item.kind == Kind.FREE_TEXT:
        result.texts = sorted(a.text.strip() for a in answers)
        return
    options = list(item.options.all())
    if item.kind == Kind.RANK:
        k = item.rank_count or 1
        counts = {option.pk: [0] * k for option in options}
        for answer in answers:
            for choice in answer.choices.all():
                if choice.rank and choice.rank <= k:
                    counts[choice.option_id][choice.rank - 1] += 1
        result.ranks = sorted(
            (
                RankScore(
                    text=option.text,
                    score=sum((k - place) * n for place, n in enumerate(counts[option.pk])),
                    counts_by_rank=counts[option.pk],
                    times_ranked=sum(counts[option.pk]),
                )
                for option in options
            ),
            key=lambda rank: (-rank.score, [-n for n in rank.counts_by_rank]),
        )
    else:
        ticked = Counter(choice.option_id for answer in answers for choice in answer.choices.all())
        result.options = [
            OptionCount(
                text=option.text,
                count=ticked.get(option.pk, 0),
                share=round_half_up(Decimal(100 * ticked.get(option.pk, 0)) / len(answers), 0) if answers else None,
            )
            for option in options
        ]
    result.comments = sorted(
        (", ".join(c.option.text for c in answer.choices.all()), answer.comment.strip())
        for answer in answers
        if answer.comment.strip()
    )


@dataclass
class DatasetRow:
    label: str
    values: list[Decimal | None]
    is_reference: bool


@dataclass
class DatasetTable:
    dataset: SecondaryDataset
    title: str
    source_note: str
    row_heading: str
    columns: list[str]
    reference_column: int | None  # index into ``columns``, from 0
    decimal_places: int
    rows: list[DatasetRow]

    def column_means(self) -> list[Decimal | None]:
        """The mean of each column over the rows that are not reference rows (e.g. 'average of 5 factors')."""
        means = []
        for index in range(len(self.columns)):
            values = [row.values[index] for row in self.rows if not row.is_reference and row.values[index] is not None]
            means.append(sum(values, Decimal(0)) / len(values) if values else None)
        return means

    def formatted(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        return str(round_half_up(value, self.decimal_places))


def dataset_table(dataset: SecondaryDataset) -> DatasetTable:
    """A secondary dataset as a table (two queries)."""
    rows = [
        DatasetRow(
            label=row.label,
            values=[None if value is None else Decimal(str(value)) for value in row.values],
            is_reference=row.is_reference,
        )
        for row in dataset.rows.order_by("position", "id")
    ]
    return DatasetTable(
        dataset=dataset,
        title=dataset.title,
        source_note=dataset.source_note,
        row_heading=dataset.row_heading,
        columns=list(dataset.columns),
        reference_column=None if dataset.reference_column is None else dataset.reference_column - 1,
        decimal_places=dataset.decimal_places,
        rows=rows,
    )
