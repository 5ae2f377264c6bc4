from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from hoptac.accounts.selectors import user_by_identifier


class PhoneOrEmailBackend(ModelBackend):
    """Sign in with a phone number in any common spelling, or an email address."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or not password:
            return None
        user = user_by_identifier(username)
        if user is None:
            # Run the hasher anyway so that timing does not tell which accounts exist.
            self.user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    @property
    def user_model(self):
        from django.contrib.auth import get_user_model

        return get_user_model()
