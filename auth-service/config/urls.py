from auth.accounts import pages
from django.urls import include, path

from cotask_common.urls import service_urlpatterns

urlpatterns = [
    *service_urlpatterns("auth", [path("", include("auth.accounts.urls"))]),
    # The pages behind the links in account emails (the gateway routes these paths here).
    path("verify-email", pages.verify_email_page, name="verify-email-page"),
    path("reset-password", pages.reset_password_page, name="reset-password-page"),
    path("restore-email", pages.restore_email_page, name="restore-email-page"),
]

handler404 = "cotask_common.errors.not_found_view"
handler500 = "cotask_common.errors.server_error_view"
