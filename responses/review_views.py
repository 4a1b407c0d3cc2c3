"""Pages of our own drafts: write, preview, save (with conflicts), versions, review, comments, submit, reopen.

Thin views: every rule is in responses.rules and every change in responses.services. A step the
workflow refuses (TransitionError) becomes a message on the draft's page, never an error page.
"""

from collections import defaultdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import role_required
from accounts.roles import Role
from consultations.models import Consultation
from responses import rules, services
from responses.diffing import diff_texts, word_diff
from responses.forms import (
    CommentForm,
    DecisionForm,
    DraftCreateForm,
    DraftForm,
    ReopenForm,
    ReviewRequestForm,
    SubmitForm,
)
from responses.models import Comment, Response, ResponseStatus, Stance
from responses.rendering import render_markdown
from responses.versions import UnknownVersion, response_versions, version_snapshot

EDITORS = (Role.POLICY_STAFF, Role.ADMIN)
EVENTS_PER_PAGE = 50
WORKFLOW_STEPS = [
    ResponseStatus.DRAFT,
    ResponseStatus.IN_REVIEW,
    ResponseStatus.CHANGES_REQUESTED,
    ResponseStatus.APPROVED,
    ResponseStatus.SUBMITTED,
]


def _get_our_response(pk: int) -> Response:
    """One of our own responses (drafted here); received submissions and unknown ids are a 404."""
    response = get_object_or_404(
        Response.objects.select_related("consultation__issuer", "organisation", "owner"), pk=pk
    )
    if response.is_received:
        raise Http404("Received submissions are not drafted here.")
    return response


def _get_comment(pk: int) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("response__consultation", "response__organisation"), pk=pk
    )
    if comment.response.is_received:
        raise Http404("Comments belong to our own drafts.")
    return comment


def _refused(request: HttpRequest, response: Response, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect(response)


# --- The draft page -------------------------------------------------------------------------------


def draft_context(
    request: HttpRequest,
    response: Response,
    *,
    decision_form: DecisionForm | None = None,
    failed_comment: CommentForm | None = None,
) -> dict:
    """Everything the page of a draft shows: its paragraphs with their threads, the review, the actions."""
    user = request.user
    current = response.paragraphs()
    comments = list(response.comments.select_related("author", "resolved_by"))
    replies: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id:
            replies[comment.parent_id].append(comment)
    threads = [comment for comment in comments if comment.parent_id is None]
    for thread in threads:
        thread.reply_list = replies[thread.pk]
        thread.anchor = thread.locate(current)
        thread.slot = f"reply-{thread.pk}"
    paragraph_rows = [
        {
            "index": index,
            "html": render_markdown(text),
            "slot": f"p-{index}",
            "threads": [t for t in threads if t.anchor is not None and t.anchor.index == index],
        }
        for index, text in enumerate(current)
    ]
    review_requests = list(response.review_requests.select_related("reviewer", "requested_by"))
    consultation = response.consultation
    may_comment = rules.refusal_to_comment(user, response) is None
    return {
        "response": response,
        "consultation": consultation,
        "workflow_steps": [(step.value, step.label) for step in WORKFLOW_STEPS],
        "paragraph_rows": paragraph_rows,
        "general_threads": [t for t in threads if t.anchor is None],
        "orphaned_threads": [t for t in threads if t.anchor is not None and t.anchor.gone],
        "open_thread_count": sum(1 for t in threads if not t.resolved),
        "review_requests": review_requests,
        "approvals": response.approvals_on_current_version(),
        "answers": list(response.answers.select_related("question")),
        "positions": list(response.positions.select_related("topic")),
        "can_edit": rules.refusal_to_edit(user, response) is None,
        "can_request_review": rules.refusal_to_request_review(user, response) is None,
        "can_decide": rules.refusal_to_decide(user, response) is None,
        "decide_refusal": rules.refusal_to_decide(user, response)
        if response.status == ResponseStatus.IN_REVIEW
        else None,
        "can_comment": may_comment,
        "can_submit": rules.refusal_to_submit(user, response) is None,
        "can_reopen": rules.refusal_to_reopen(user, response) is None,
        "can_delete": rules.refusal_to_delete(user, response) is None,
        "decision_form": decision_form or DecisionForm(),
        "failed_comment": failed_comment,
        "comment_form": CommentForm(),
    }


def render_draft(request: HttpRequest, response: Response, *, status: int = 200, **forms) -> HttpResponse:
    return render(request, "responses/response_draft.html", draft_context(request, response, **forms), status=status)


# --- Writing ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def draft_create(request: HttpRequest) -> HttpResponse:
    """Start our own response to a consultation; it begins as a draft."""
    if request.method == "POST":
        form = DraftCreateForm(request.POST)
        if form.is_valid():
            try:
                response = services.draft_create(
                    consultation=form.cleaned_data["consultation"],
                    organisation=form.cleaned_data["organisation"],
                    by=request.user,
                    summary=form.cleaned_data["summary"],
                    body=form.cleaned_data["body"],
                )
            except services.TransitionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your draft is saved as version 1. Ask for a review when it is ready."))
                return redirect(response)
    else:
        initial = {}
        consultation = Consultation.objects.filter(slug=request.GET.get("consultation", "")).first()
        if consultation:
            initial["consultation"] = consultation
        # The team usually answers in the name of the same organisation: offer the last one used.
        last = Response.objects.ours().order_by("-created_at").values_list("organisation", flat=True).first()
        if last:
            initial["organisation"] = last
        form = DraftCreateForm(initial=initial)
    return render(request, "responses/response_draft_create.html", {"form": form})


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft. A save based on an old version gets the conflict page: both texts, nothing lost."""
    response = _get_our_response(pk)
    if refusal := rules.refusal_to_edit(request.user, response):
        return _refused(request, response, refusal)
    form = DraftForm(request.POST or None, response=response)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.draft_save(
                response=response,
                by=request.user,
                expected_version=form.cleaned_data["version"],
                body=form.cleaned_data["body"],
                summary=form.cleaned_data["summary"],
                answers=form.answers(),
                positions=form.positions(),
            )
        except services.EditConflict as conflict:
            return _conflict_page(request, conflict.current, form)
        except services.TransitionError as exc:
            return _refused(request, response, str(exc))
        if saved.version == response.version:
            messages.info(request, _("Nothing changed, so no new version was made."))
        elif response.status == ResponseStatus.APPROVED:
            messages.warning(
                request,
                _("Version %(number)d is saved. It was approved before your change, so it is back in review.")
                % {"number": saved.version},
            )
        else:
            messages.success(request, _("Version %(number)d is saved.") % {"number": saved.version})
        return redirect(saved)
    return render(request, "responses/response_draft_edit.html", {"form": form, "response": response})


def _conflict_page(request: HttpRequest, current: Response, form: DraftForm) -> HttpResponse:
    """Their text and yours side by side; your whole form stays filled in, now based on their version,
    so that saving again keeps yours on purpose, and the edit page takes theirs."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    resubmit = DraftForm(data, response=current)
    resubmit.is_valid()
    yours = form.cleaned_data["body"].replace("\r\n", "\n")
    last_version = next(iter(response_versions(current)), None)
    return render(
        request,
        "responses/response_conflict.html",
        {
            "response": current,
            "form": resubmit,
            "theirs": current.body,
            "yours": yours,
            "saved_by": last_version.author if last_version else None,
            "saved_at": last_version.saved_at if last_version else None,
            "based_on": form.cleaned_data["version"],
            "diff": diff_texts(current.body, yours),
            "summary_differs": current.summary != form.cleaned_data["summary"].strip(),
        },
        status=409,
    )


@require_POST
@role_required(*EDITORS)
def draft_preview(request: HttpRequest) -> HttpResponse:
    """The Markdown body rendered as it will show, sanitised (htmx swaps it under the editor)."""
    return render(request, "responses/_markdown_preview.html", {"html": render_markdown(request.POST.get("body", ""))})


# --- Versions -------------------------------------------------------------------------------------


@require_GET
@role_required()
def version_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Every saved version with its author and time; compare any two; restore one."""
    response = _get_our_response(pk)
    versions = response_versions(response)
    return render(
        request,
        "responses/response_versions.html",
        {
            "response": response,
            "versions": versions,
            "can_restore": rules.refusal_to_edit(request.user, response) is None,
        },
    )


def _version_number(value: str | None, default: int) -> int:
    return int(value) if value and value.isdigit() else default


@require_GET
@role_required()
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """What changed between two versions: paragraph by paragraph, words marked, then answers and positions."""
    response = _get_our_response(pk)
    new_number = _version_number(request.GET.get("to"), response.version)
    old_number = _version_number(request.GET.get("from"), max(new_number - 1, 1))
    try:
        old, new = version_snapshot(response, old_number), version_snapshot(response, new_number)
    except UnknownVersion as exc:
        messages.error(request, _("There is no version %(number)s of this response.") % {"number": exc.args[0]})
        return redirect("responses:version-list", pk=response.pk)
    consultation = response.consultation
    answer_rows = []
    for question in consultation.questions.all():
        before, after = old.answers.get(question.pk, ""), new.answers.get(question.pk, "")
        if before != after:
            answer_rows.append({"question": question, "html": word_diff(before, after)})
    stance_labels = dict(Stance.choices)
    position_rows = []
    for topic in consultation.topics.all():
        before, after = old.positions.get(topic.pk), new.positions.get(topic.pk)
        if before != after:
            position_rows.append(
                {
                    "topic": topic,
                    "before": stance_labels.get(before.stance) if before else None,
                    "after": stance_labels.get(after.stance) if after else None,
                    "summary_html": word_diff(
                        f"{before.summary} {before.quote}".strip() if before else "",
                        f"{after.summary} {after.quote}".strip() if after else "",
                    ),
                }
            )
    return render(
        request,
        "responses/response_diff.html",
        {
            "response": response,
            "old": old,
            "new": new,
            "numbers": [info.number for info in response_versions(response)],
            "diff": diff_texts(old.body, new.body),
            "summary_html": word_diff(old.summary, new.summary) if old.summary != new.summary else None,
            "answer_rows": answer_rows,
            "position_rows": position_rows,
        },
    )


@require_POST
@role_required(*EDITORS)
def version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Make an old version the current text again, as a new version."""
    response = _get_our_response(pk)
    expected = _version_number(request.POST.get("version"), 0)
    try:
        saved = services.draft_restore(response=response, by=request.user, number=number, expected_version=expected)
    except UnknownVersion:
        raise Http404("No such version.") from None
    except services.EditConflict:
        messages.error(
            request,
            _("Someone saved a new version meanwhile; look at the versions again before restoring one."),
        )
        return redirect("responses:version-list", pk=response.pk)
    except services.TransitionError as exc:
        return _refused(request, response, str(exc))
    if saved.version == response.version:
        messages.info(request, _("Version %(number)d is the same as the current text.") % {"number": number})
    else:
        messages.success(
            request,
            _("Version %(old)d is restored as version %(new)d.") % {"old": number, "new": saved.version},
        )
    return redirect(saved)


# --- Review ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def review_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask chosen reviewers to review the draft by a date."""
    response = _get_our_response(pk)
    if refusal := rules.refusal_to_request_review(request.user, response):
        return _refused(request, response, refusal)
    form = ReviewRequestForm(request.POST or None, response=response)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_request_review(
                response=response,
                by=request.user,
                reviewers=form.cleaned_data["reviewers"],
                due_at=form.cleaned_data["due_at"],
                note=form.cleaned_data["note"],
            )
        except services.TransitionError as exc:
            return _refused(request, response, str(exc))
        messages.success(request, _("The review is requested; the reviewers are notified."))
        return redirect(response)
    return render(request, "responses/response_review_request.html", {"form": form, "response": response})


@require_POST
@role_required()
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """A reviewer approves the draft as it stands, or requests changes with a reason."""
    response = _get_our_response(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if refusal := rules.refusal_to_decide(request.user, response):
            return _refused(request, response, refusal)
        return render_draft(request, response, decision_form=form)
    try:
        decided = services.response_decide(
            response=response, by=request.user, approve=form.approves, reason=form.cleaned_data["reason"]
        )
    except services.TransitionError as exc:
        return _refused(request, response, str(exc))
    if not form.approves:
        messages.success(request, _("Changes are requested; the authors are notified."))
    elif decided.status == ResponseStatus.APPROVED:
        messages.success(request, _("Approved. The draft has all the approvals it needs and can be submitted."))
    else:
        messages.success(
            request,
            _("Your approval is recorded: %(count)d of %(needed)d.")
            % {"count": decided.approvals_on_current_version(), "needed": decided.consultation.required_approvals},
        )
    return redirect(decided)


# --- Comments -------------------------------------------------------------------------------------


@require_POST
@role_required()
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Comment on the draft, on one of its paragraphs, or reply in a thread."""
    response = _get_our_response(pk)
    if refusal := rules.refusal_to_comment(request.user, response):
        return _refused(request, response, refusal)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render_draft(request, response, failed_comment=form)
    parent = None
    if form.cleaned_data["parent"]:
        parent = response.comments.filter(pk=form.cleaned_data["parent"]).first()
        if parent is None:
            return _refused(request, response, _("That thread no longer exists."))
    try:
        comment = services.comment_add(
            response=response,
            by=request.user,
            body=form.cleaned_data["body"],
            parent=parent,
            anchor_version=form.cleaned_data["anchor_version"],
            anchor_paragraph=form.cleaned_data["anchor_paragraph"],
        )
    except services.TransitionError as exc:
        return _refused(request, response, str(exc))
    return redirect(f"{reverse('responses:response-detail', args=[response.pk])}#comment-{comment.pk}")


def _resolve_or_reopen(request: HttpRequest, pk: int, *, resolve: bool) -> HttpResponse:
    comment = _get_comment(pk)
    try:
        if resolve:
            changed = services.comment_resolve(comment=comment, by=request.user)
        else:
            changed = services.comment_reopen(comment=comment, by=request.user)
    except services.TransitionError as exc:
        return _refused(request, comment.response, str(exc))
    if changed:
        messages.success(request, _("The thread is resolved.") if resolve else _("The thread is open again."))
    return redirect(f"{reverse('responses:response-detail', args=[comment.response_id])}#comment-{comment.pk}")


@require_POST
@role_required()
def comment_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    return _resolve_or_reopen(request, pk, resolve=True)


@require_POST
@role_required()
def comment_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _resolve_or_reopen(request, pk, resolve=False)


# --- Submitting and reopening ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@role_required(*EDITORS)
def response_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the approved response was sent, when and how; it is locked from then on."""
    response = _get_our_response(pk)
    if refusal := rules.refusal_to_submit(request.user, response):
        return _refused(request, response, refusal)
    form = SubmitForm(request.POST or None, initial={"channel": response.channel or None})
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(
                response=response,
                by=request.user,
                channel=form.cleaned_data["channel"],
                submitted_at=form.cleaned_data["submitted_at"],
            )
        except services.TransitionError as exc:
            return _refused(request, response, str(exc))
        messages.success(request, _("The response is recorded as submitted and is now locked."))
        return redirect(response)
    return render(request, "responses/response_submit.html", {"form": form, "response": response})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def response_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin unlocks a submitted response, giving a reason that is recorded."""
    response = _get_our_response(pk)
    if refusal := rules.refusal_to_reopen(request.user, response):
        return _refused(request, response, refusal)
    form = ReopenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_reopen(response=response, by=request.user, reason=form.cleaned_data["reason"])
        except services.TransitionError as exc:
            return _refused(request, response, str(exc))
        messages.success(request, _("The response is reopened as a draft; it needs a fresh review."))
        return redirect(response)
    return render(request, "responses/response_reopen.html", {"form": form, "response": response})


# --- Audit trail of one response --------------------------------------------------------------------


@require_GET
@role_required()
def response_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Who did what to this response and when: saves, review steps, comments, with reasons."""
    response = _get_our_response(pk)
    events = response.events.select_related("actor").order_by("-created_at", "-pk")
    page_obj = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "responses/response_audit.html", {"response": response, "page_obj": page_obj})
