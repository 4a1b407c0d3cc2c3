"""The organisation import's pages: the generic import flow, pointed at OrganisationImporter."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from stakeholders import importing
from stakeholders.importers import OrganisationImporter


class OrganisationImportMixin:
    url_name = "stakeholders:organisation-import"
    title = _("Import organisations")

    def get_importer(self) -> OrganisationImporter:
        return OrganisationImporter()

    def get_context(self) -> dict[str, Any]:
        return {"back_url": reverse("stakeholders:organisation-list"), "back_label": _("Organisations")}

    def get_success_url(self) -> str:
        return reverse("stakeholders:organisation-list")


class OrganisationImportUpload(OrganisationImportMixin, importing.UploadView):
    pass


class OrganisationImportTemplate(OrganisationImportMixin, importing.TemplateDownloadView):
    pass


class OrganisationImportPreview(OrganisationImportMixin, importing.PreviewView):
    pass


class OrganisationImportConfirm(OrganisationImportMixin, importing.ConfirmView):
    pass


class OrganisationImportCancel(OrganisationImportMixin, importing.CancelView):
    pass
