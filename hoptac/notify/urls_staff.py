"""Pages under /c/<slug>/staff/ that send an invitation SMS (the rest of the staff page is coops')."""

from django.urls import path

from hoptac.notify import invitations

app_name = "invitations"
urlpatterns = [
    path("invite/", invitations.staff_invite, name="invite"),
    path("invitations/<int:invitation_id>/resend/", invitations.invitation_resend, name="resend"),
]
