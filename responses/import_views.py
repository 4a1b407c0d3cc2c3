"""The submission import's pages: the generic import flow, pointed at one consultation's SubmissionImporter."""

from functools import cached_property
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from consultations.models import Consultation
from responses.importers import SubmissionImporter
from stakeholders import importing


class ResponseImportMixin:
    url_name = "responses:response-import"

    @cached_property
    def consultation(self) -> Consultation:
        return get_object_or_404(Consultation.objects.select_related("issuer"), slug=self.kwargs["consultation_slug"])

    @property
    def title(self) -> str:
        return _("Import submissions to “%(consultation)s”") % {"consultation": self.consultation.title}

    def get_url_kwargs(self) -> dict[str, Any]:
        return {"consultation_slug": self.kwargs["consultation_slug"]}

    def get_importer(self) -> SubmissionImporter:
        return SubmissionImporter(self.consultation)

    def get_context(self) -> dict[str, Any]:
        return {
            "consultation": self.consultation,
            "back_url": self.consultation.get_absolute_url(),
            "back_label": self.consultation.title,
        }

    def get_success_url(self) -> str:
        return self.consultation.get_absolute_url()


class ResponseImportUpload(ResponseImportMixin, importing.UploadView):
    pass


class ResponseImportTemplate(ResponseImportMixin, importing.TemplateDownloadView):
    pass


class ResponseImportPreview(ResponseImportMixin, importing.PreviewView):
    pass


class ResponseImportConfirm(ResponseImportMixin, importing.ConfirmView):
    pass


class ResponseImportCancel(ResponseImportMixin, importing.CancelView):
    pass
