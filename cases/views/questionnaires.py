"""Questionnaires: list, builder, the fast entry screen, results with charts, responses, CSV; secondary datasets."""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cases.charts import bar_chart
from cases.forms.questionnaires import (
    DatasetForm,
    ItemForm,
    QuestionnaireCreateForm,
    QuestionnaireForm,
    ResponseNoteForm,
    SectionForm,
    VersionCopyForm,
)
from cases.models import (
    Informant,
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
from cases.permissions import Action, get_object_in_study
from cases.selectors_questionnaires import (
    dataset_table,
    datasets_for,
    items_of,
    questionnaire_results,
    questionnaires_for,
    round_half_up,
    version_with_items,
)
from cases.services import datasets as dataset_services
from cases.services import questionnaires as services
from cases.services.questionnaires import AnswerInput

from .base import add_service_errors, post_only, study_view

Kind = QuestionnaireItem.Kind
VERSION_PATH = "questionnaire__study"
SECTION_PATH = "version__questionnaire__study"
ITEM_PATH = "section__version__questionnaire__study"


def _offset(request: HttpRequest) -> int:
    return -1 if request.POST.get("direction") == "up" else 1


def _builder_url(study: Study, version_id: int, anchor: str = "") -> str:
    url = reverse("questionnaire_version", args=[study.pk, version_id])
    return f"{url}#{anchor}" if anchor else url


def _load_version(study: Study, pk: int) -> QuestionnaireVersion:
    return get_object_in_study(
        QuestionnaireVersion.objects.select_related("questionnaire__study", "questionnaire__session"),
        study,
        pk,
        path=VERSION_PATH,
    )


def _load_section(study: Study, pk: int) -> QuestionnaireSection:
    return get_object_in_study(
        QuestionnaireSection.objects.select_related("version__questionnaire__study"), study, pk, path=SECTION_PATH
    )


def _load_item(study: Study, pk: int) -> QuestionnaireItem:
    return get_object_in_study(
        QuestionnaireItem.objects.select_related("section__version__questionnaire__study"), study, pk, path=ITEM_PATH
    )


def _form_page(
    request: HttpRequest, study: Study, form: Any, title: str, cancel_url: str, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "cases/simple_form.html",
        {"study": study, "form": form, "title": title, "cancel_url": cancel_url, **extra},
    )


def _errors_message(request: HttpRequest, error: ValidationError) -> None:
    messages.error(request, _("Nothing was saved. %(errors)s") % {"errors": " ".join(error.messages)})


# List and questionnaire ---------------------------------------------------------------------------------


@study_view()
def questionnaire_list(request: HttpRequest, study: Study) -> HttpResponse:
    questionnaires = questionnaires_for(study).prefetch_related(
        Prefetch("versions", queryset=QuestionnaireVersion.objects.order_by("created_at", "id"))
    )
    return render(
        request,
        "cases/questionnaires/questionnaire_list.html",
        {"study": study, "questionnaires": questionnaires, "datasets": datasets_for(study)},
    )


@study_view(Action.EDIT)
def questionnaire_create(request: HttpRequest, study: Study) -> HttpResponse:
    form = QuestionnaireCreateForm(request.POST or None, instance=Questionnaire(study=study), study=study)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in QuestionnaireForm.Meta.fields}
        try:
            questionnaire = services.questionnaire_create(
                study=study, actor=request.user, first_version_label=form.cleaned_data["first_version_label"], **fields
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Questionnaire created. Add its first section and items."))
            return redirect("questionnaire_version", study.pk, questionnaire.versions.get().pk)
    return _form_page(
        request,
        study,
        form,
        _("New questionnaire"),
        reverse("questionnaire_list", args=[study.pk]),
        submit_label=_("Create questionnaire"),
        intro=_(
            "A written form or evaluation that participants fill in, or scale questions you ask inside interviews. "
            "Anonymous responses can never be linked to an informant."
        ),
    )


@study_view(Action.EDIT)
def questionnaire_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    questionnaire = get_object_in_study(Questionnaire, study, pk)
    form = QuestionnaireForm(request.POST or None, instance=copy.deepcopy(questionnaire), study=study)
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_update(questionnaire=questionnaire, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("questionnaire_list", study.pk)
    return _form_page(request, study, form, _("Edit questionnaire"), reverse("questionnaire_list", args=[study.pk]))


@study_view(Action.EDIT)
def questionnaire_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    questionnaire = get_object_in_study(Questionnaire, study, pk)
    if request.method != "POST":
        return post_only()
    services.questionnaire_delete(questionnaire=questionnaire, actor=request.user)
    messages.success(request, _("Questionnaire deleted with its responses."))
    return redirect("questionnaire_list", study.pk)


# Builder -------------------------------------------------------------------------------------------------


@study_view()
def questionnaire_version(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = version_with_items(_load_version(study, pk))
    number = 0
    for section in version.sections.all():
        for item in section.items.all():
            number += 1
            item.number = number
    return render(
        request,
        "cases/questionnaires/questionnaire_version.html",
        {
            "study": study,
            "version": version,
            "questionnaire": version.questionnaire,
            "versions": QuestionnaireVersion.objects.filter(questionnaire_id=version.questionnaire_id).order_by(
                "created_at", "id"
            ),
            "response_count": version.responses.count(),
            "item_form": ItemForm(initial={"kind": Kind.SCALE, "scale_max": 10}),
            "copy_form": VersionCopyForm(),
        },
    )


@study_view(Action.EDIT)
def questionnaire_version_copy(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = _load_version(study, pk)
    if request.method != "POST":
        return post_only()
    form = VersionCopyForm(request.POST)
    if form.is_valid():
        try:
            new = services.questionnaire_version_copy(
                version=version, actor=request.user, label=form.cleaned_data["label"]
            )
        except ValidationError as error:
            _errors_message(request, error)
        else:
            messages.success(request, _("Version %(label)s created.") % {"label": new.label})
            return redirect("questionnaire_version", study.pk, new.pk)
    else:
        messages.error(request, _("Give the new version a label."))
    return redirect(_builder_url(study, version.pk))


@study_view(Action.EDIT)
def questionnaire_section_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = _load_version(study, pk)
    if request.method != "POST":
        return post_only()
    form = SectionForm(request.POST, instance=QuestionnaireSection(version=version))
    if form.is_valid():
        section = services.questionnaire_section_add(
            version=version, actor=request.user, title=form.cleaned_data["title"]
        )
        return redirect(_builder_url(study, version.pk, f"section-{section.pk}"))
    messages.error(request, _("Give the section a title."))
    return redirect(_builder_url(study, version.pk))


@study_view(Action.EDIT)
def questionnaire_section_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    section = _load_section(study, pk)
    form = SectionForm(request.POST or None, instance=copy.deepcopy(section))
    back = _builder_url(study, section.version_id, f"section-{section.pk}")
    if request.method == "POST" and form.is_valid():
        services.questionnaire_section_update(section=section, actor=request.user, data=form.cleaned_data)
        return redirect(back)
    return _form_page(request, study, form, _("Edit section"), back)


@study_view(Action.EDIT)
def questionnaire_section_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    section = _load_section(study, pk)
    if request.method != "POST":
        return post_only()
    try:
        services.questionnaire_section_delete(section=section, actor=request.user)
    except ValidationError as error:
        _errors_message(request, error)
    else:
        messages.success(request, _("Section deleted with its items."))
    return redirect(_builder_url(study, section.version_id))


@study_view(Action.EDIT)
def questionnaire_section_move(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    section = _load_section(study, pk)
    if request.method != "POST":
        return post_only()
    services.questionnaire_section_move(section=section, actor=request.user, offset=_offset(request))
    return redirect(_builder_url(study, section.version_id, f"section-{section.pk}"))


@study_view(Action.EDIT)
def questionnaire_item_add(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    section = _load_section(study, pk)
    if request.method != "POST":
        return post_only()
    form = ItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.questionnaire_item_add(
                section=section,
                actor=request.user,
                options=form.options(),
                follow_up_on=form.follow_up_on(),
                **form.item_fields(),
            )
        except ValidationError as error:
            _errors_message(request, error)
        else:
            return redirect(_builder_url(study, section.version_id, f"item-{item.pk}"))
    else:
        _errors_message(request, ValidationError([e for errors in form.errors.values() for e in errors]))
    return redirect(_builder_url(study, section.version_id, f"section-{section.pk}"))


@study_view(Action.EDIT)
def questionnaire_item_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    item = _load_item(study, pk)
    form = ItemForm(request.POST or None, instance=copy.deepcopy(item))
    back = _builder_url(study, item.section.version_id, f"item-{item.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.questionnaire_item_update(
                item=item,
                actor=request.user,
                data=form.item_fields(),
                options=form.options(),
                follow_up_on=form.follow_up_on(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect(back)
    return _form_page(request, study, form, _("Edit item"), back)


@study_view(Action.EDIT)
def questionnaire_item_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    item = _load_item(study, pk)
    if request.method != "POST":
        return post_only()
    try:
        services.questionnaire_item_delete(item=item, actor=request.user)
    except ValidationError as error:
        _errors_message(request, error)
    return redirect(_builder_url(study, item.section.version_id, f"section-{item.section_id}"))


@study_view(Action.EDIT)
def questionnaire_item_move(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    item = _load_item(study, pk)
    if request.method != "POST":
        return post_only()
    services.questionnaire_item_move(item=item, actor=request.user, offset=_offset(request))
    return redirect(_builder_url(study, item.section.version_id, f"item-{item.pk}"))


# Entry ---------------------------------------------------------------------------------------------------


def _answers_from_post(post: Any, items: list[QuestionnaireItem]) -> dict[int, AnswerInput]:
    answers = {}
    for item in items:
        key = f"item-{item.pk}"
        given = AnswerInput(comment=post.get(f"comment-{item.pk}", ""))
        if item.kind == Kind.SCALE:
            given.value = post.get(key, "")
        elif item.kind == Kind.FREE_TEXT:
            given.text = post.get(key, "")
        elif item.kind in (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE):
            given.chosen = [int(v) for v in post.getlist(key) if v.isdigit()]
        else:
            given.ranks = {option.pk: post.get(f"rank-{item.pk}-{option.pk}", "") for option in item.options.all()}
        answers[item.pk] = given
    return answers


def _entry_rows(items: list[QuestionnaireItem], answers: dict[int, AnswerInput], errors: dict[str, list[str]]):
    """What the entry template shows per item: the item, what was typed (kept after an error) and its errors."""
    rows = []
    for item in items:
        given = answers.get(item.pk, AnswerInput())
        options = [
            {
                "option": option,
                "checked": option.pk in given.chosen,
                "rank": given.ranks.get(option.pk, ""),
                "key": str(index) if index < 10 else "",
            }
            for index, option in enumerate(item.options.all(), start=1)
        ]
        rows.append(
            {
                "item": item,
                "given": given,
                "options": options,
                "errors": errors.get(f"item-{item.pk}", []),
                "follow_up_on": [o.text for o in item.follow_up_on.all()],
            }
        )
    return rows


def _field_id(item: QuestionnaireItem, given: AnswerInput) -> str:
    """The DOM id of the item's first field (the ticked option of a choice, if any)."""
    options = list(item.options.all())
    if item.kind in (Kind.SCALE, Kind.FREE_TEXT) or not options:
        return f"field-{item.pk}"
    if item.kind == Kind.RANK:
        return f"rank-{item.pk}-{options[0].pk}"
    chosen = next((o.pk for o in options if o.pk in given.chosen), options[0].pk)
    return f"opt-{chosen}"


def _focus_id(questionnaire, items, answers, errors) -> str:
    """Where the cursor starts: the first item in error, else the top of a blank form."""
    for item in items:
        if f"item-{item.pk}" in errors:
            return _field_id(item, answers.get(item.pk, AnswerInput()))
    if not questionnaire.anonymous:
        return "entry-informant"
    return _field_id(items[0], AnswerInput()) if items else ""


@study_view(Action.EDIT)
def questionnaire_entry(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """Type in paper forms one after the other: Enter saves and the next blank form opens with the cursor on top."""
    version = version_with_items(_load_version(study, pk))
    questionnaire = version.questionnaire
    items = items_of(version)
    answers: dict[int, AnswerInput] = {}
    errors: dict[str, list[str]] = {}
    informants = sessions = []
    if not questionnaire.anonymous:
        informants = list(Informant.objects.filter(study=study).order_by("code").only("pk", "code"))
        sessions = list(study.sessions.order_by("date", "code").only("pk", "code", "title", "date"))
    # A link from a session page preselects the session (and the informant, if only one came).
    given = request.POST if request.method == "POST" else request.GET
    chosen = {"informant": given.get("informant", ""), "session": given.get("session", "")}
    note = request.POST.get("data_quality_note", "")
    if request.method == "POST":
        answers = _answers_from_post(request.POST, items)
        informant = next((i for i in informants if str(i.pk) == chosen["informant"]), None)
        session = next((s for s in sessions if str(s.pk) == chosen["session"]), None)
        try:
            services.questionnaire_response_create(
                version=version,
                actor=request.user,
                answers=answers,
                informant=informant,
                session=session,
                data_quality_note=note,
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            count = version.responses.count()
            messages.success(request, _("Form saved (%(count)d entered). Type in the next one.") % {"count": count})
            next_form = reverse("questionnaire_entry", args=[study.pk, version.pk])
            # Answers given in one group session are typed one informant after the other: keep the session.
            return redirect(f"{next_form}?session={session.pk}" if session else next_form)
    return render(
        request,
        "cases/questionnaires/entry.html",
        {
            "focus_id": _focus_id(questionnaire, items, answers, errors),
            "study": study,
            "version": version,
            "questionnaire": questionnaire,
            "rows": _entry_rows(items, answers, errors),
            "errors": errors,
            "general_errors": errors.get("__all__", []) + errors.get("informant", []) + errors.get("session", []),
            "entered": version.responses.count(),
            "informants": informants,
            "sessions": sessions,
            "chosen": chosen,
            "data_quality_note": note,
        },
    )


# Results, responses, export --------------------------------------------------------------------------------


def _charts(results) -> None:
    for result in results.items:
        if result.kind == Kind.SCALE:
            rows = [
                (f"{value.normalize():f}", count)
                for value, count in result.distribution
                if count or value == value.to_integral_value()
            ]
        elif result.kind == Kind.RANK:
            rows = [(rank.text, rank.score) for rank in result.ranks]
        elif result.kind == Kind.FREE_TEXT:
            rows = []
        else:
            rows = [(option.text, option.count) for option in result.options]
        result.chart = bar_chart(rows) if rows else None
        result.mean_display = round_half_up(result.mean)
        result.median_display = None if result.median is None else round_half_up(result.median)


@study_view()
def questionnaire_results_view(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = _load_version(study, pk)
    results = questionnaire_results(version)
    _charts(results)
    return render(
        request,
        "cases/questionnaires/results.html",
        {
            "study": study,
            "version": results.version,
            "questionnaire": results.questionnaire,
            "results": results,
            "versions": QuestionnaireVersion.objects.filter(questionnaire_id=version.questionnaire_id).order_by(
                "created_at", "id"
            ),
            "has_free_text": any(r.texts or r.comments for r in results.items),
        },
    )


def _responses(version: QuestionnaireVersion) -> list[QuestionnaireResponse]:
    """Responses with answers and choices; anonymous ones in the order of their random keys, never entry order."""
    answers = QuestionnaireAnswer.objects.prefetch_related(
        Prefetch(
            "choices",
            queryset=QuestionnaireChoice.objects.select_related("option").order_by("rank", "option__position"),
        )
    )
    queryset = QuestionnaireResponse.objects.filter(version=version).prefetch_related(
        Prefetch("answers", queryset=answers)
    )
    if version.questionnaire.anonymous:
        return list(queryset.order_by("pk"))
    return list(queryset.select_related("informant", "session").order_by("informant__code", "session__code"))


def _cell(item: QuestionnaireItem, answer: QuestionnaireAnswer | None) -> str:
    if answer is None:
        return ""
    if item.kind == Kind.SCALE:
        return "" if answer.value is None else f"{answer.value.normalize():f}"
    if item.kind == Kind.FREE_TEXT:
        return answer.text
    if item.kind == Kind.RANK:
        return "; ".join(f"{c.rank}. {c.option.text}" for c in answer.choices.all())
    return "; ".join(c.option.text for c in answer.choices.all())


def _table(version: QuestionnaireVersion) -> tuple[list[QuestionnaireItem], list[dict]]:
    items = items_of(version)
    rows = []
    for number, response in enumerate(_responses(version), start=1):
        by_item = {answer.item_id: answer for answer in response.answers.all()}
        rows.append(
            {
                "response": response,
                "number": number,
                "cells": [
                    (_cell(item, by_item.get(item.pk)), by_item[item.pk].comment if item.pk in by_item else "")
                    for item in items
                ],
            }
        )
    return items, rows


@study_view(Action.EDIT)
def questionnaire_free_text_source(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """Make the version's free-text answers and comments into a source and open it in the coding view."""
    from interviews.services.questionnaire_sources import questionnaire_source_create

    version = _load_version(study, pk)
    if request.method != "POST":
        return post_only()
    try:
        source = questionnaire_source_create(version=version, actor=request.user)
    except ValidationError as error:
        _errors_message(request, error)
        return redirect("questionnaire_results", study.pk, version.pk)
    messages.success(request, _("The free-text answers are now a source you can code."))
    return redirect("coding_view", study.pk, source.pk)


@study_view()
def questionnaire_responses(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    version = version_with_items(_load_version(study, pk))
    items, rows = _table(version)
    return render(
        request,
        "cases/questionnaires/responses.html",
        {"study": study, "version": version, "questionnaire": version.questionnaire, "items": items, "rows": rows},
    )


def _load_response(study: Study, pk: str) -> QuestionnaireResponse:
    return get_object_in_study(
        QuestionnaireResponse.objects.select_related("version__questionnaire__study"),
        study,
        pk,
        path="version__questionnaire__study",
    )


@study_view(Action.EDIT)
def questionnaire_response_delete(request: HttpRequest, study: Study, pk: str) -> HttpResponse:
    response = _load_response(study, pk)
    if request.method != "POST":
        return post_only()
    services.questionnaire_response_delete(response=response, actor=request.user)
    messages.success(request, _("Response deleted."))
    return redirect("questionnaire_responses", study.pk, response.version_id)


@study_view(Action.EDIT)
def questionnaire_response_note(request: HttpRequest, study: Study, pk: str) -> HttpResponse:
    response = _load_response(study, pk)
    if request.method != "POST":
        return post_only()
    form = ResponseNoteForm(request.POST)
    if form.is_valid():
        services.questionnaire_response_note(
            response=response, actor=request.user, note=form.cleaned_data["data_quality_note"]
        )
        messages.success(request, _("Data-quality note saved."))
    return redirect("questionnaire_responses", study.pk, response.version_id)


@study_view()
def questionnaire_export(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    """All responses as CSV, one row per response. Anonymous: numbered in random-key order, with no link columns."""
    version = version_with_items(_load_version(study, pk))
    questionnaire = version.questionnaire
    items, rows = _table(version)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    heading = [_("Response")]
    if not questionnaire.anonymous:
        heading += [_("Informant"), _("Session")]
    for item in items:
        name = item.label or item.text[:80]
        heading.append(name)
        if item.follow_up_prompt:
            heading.append(f"{name}: {item.follow_up_prompt}")
    heading.append(_("Data-quality note"))
    writer.writerow(heading)
    for row in rows:
        response = row["response"]
        line = [str(row["number"])]
        if not questionnaire.anonymous:
            line += [
                response.informant.code if response.informant else "",
                response.session.code if response.session else "",
            ]
        for item, (value, comment) in zip(items, row["cells"], strict=True):
            line.append(value.replace(".", ",") if item.kind == Kind.SCALE else value)
            if item.follow_up_prompt:
                line.append(comment)
        line.append(response.data_quality_note)
        writer.writerow(line)
    content = out.getvalue().encode("utf-8-sig")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    filename = slugify(f"{questionnaire.title} {version.label}") or "questionnaire"
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# Secondary datasets ----------------------------------------------------------------------------------------


def _save_dataset(request: HttpRequest, study: Study, form: DatasetForm, dataset: SecondaryDataset | None):
    parsed = dataset_services.dataset_parse(form.cleaned_data["table"], reference_rows=form.reference_row_labels())
    reference_name = form.cleaned_data["reference_column_name"].strip()
    reference_column = None
    if reference_name:
        if reference_name not in parsed.columns:
            raise ValidationError(
                {"reference_column_name": _("No column is headed “%(name)s”.") % {"name": reference_name}}
            )
        reference_column = parsed.columns.index(reference_name) + 1
    fields = {
        "title": form.cleaned_data["title"],
        "source_note": form.cleaned_data["source_note"],
        "decimal_places": form.cleaned_data["decimal_places"],
        "row_heading": parsed.row_heading,
        "reference_column": reference_column,
    }
    if dataset is None:
        return dataset_services.dataset_create(
            study=study, actor=request.user, columns=parsed.columns, rows=parsed.rows, **fields
        )
    return dataset_services.dataset_update(
        dataset=dataset, actor=request.user, data={**fields, "columns": parsed.columns}, rows=parsed.rows
    )


def _dataset_form_page(request: HttpRequest, study: Study, dataset: SecondaryDataset | None) -> HttpResponse:
    form = DatasetForm(request.POST or None, instance=dataset or SecondaryDataset(study=study))
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_dataset(request, study, form, dataset)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Dataset saved."))
            return redirect("dataset_detail", study.pk, saved.pk)
    return _form_page(
        request,
        study,
        form,
        _("Edit dataset") if dataset else _("New secondary dataset"),
        reverse("questionnaire_list", args=[study.pk]),
        intro=_(
            "A quantitative table you did not collect yourself, e.g. an employee survey's factor scores per site "
            "against the national mean. It can be shown as a table in chapter 4."
        ),
    )


@study_view(Action.EDIT)
def dataset_create(request: HttpRequest, study: Study) -> HttpResponse:
    return _dataset_form_page(request, study, None)


@study_view(Action.EDIT)
def dataset_edit(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    return _dataset_form_page(request, study, get_object_in_study(SecondaryDataset, study, pk))


@study_view()
def dataset_detail(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    dataset = get_object_in_study(SecondaryDataset, study, pk)
    table = dataset_table(dataset)
    rows = [
        {"row": row, "cells": [(table.formatted(v), i == table.reference_column) for i, v in enumerate(row.values)]}
        for row in table.rows
    ]
    means = [(table.formatted(m), i == table.reference_column) for i, m in enumerate(table.column_means())]
    return render(
        request,
        "cases/questionnaires/dataset_detail.html",
        {"study": study, "dataset": dataset, "table": table, "rows": rows, "means": means},
    )


@study_view(Action.EDIT)
def dataset_delete(request: HttpRequest, study: Study, pk: int) -> HttpResponse:
    dataset = get_object_in_study(SecondaryDataset, study, pk)
    if request.method != "POST":
        return post_only()
    dataset_services.dataset_delete(dataset=dataset, actor=request.user)
    messages.success(request, _("Dataset deleted."))
    return redirect("questionnaire_list", study.pk)
