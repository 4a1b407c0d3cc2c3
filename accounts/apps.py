from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import two_factor

        # Every way of signing in (our login page, the admin's, single sign-on later) notes the pending step.
        user_logged_in.connect(two_factor.note_pending_step, dispatch_uid="accounts.two_factor.note_pending_step")
