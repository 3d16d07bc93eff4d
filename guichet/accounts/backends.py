from django.contrib.auth.backends import ModelBackend

from guichet.accounts.models import User


class EmailBackend(ModelBackend):
    """Password login with a case-insensitive email address."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip().lower()
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email__iexact=email)
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: no timing oracle on existing accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
