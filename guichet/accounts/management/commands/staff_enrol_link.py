"""`guichet staff_enrol_link EMAIL [--print]`: the one-time link a staff member enrols their second factor with.

For the very first administrator (no one can send it from the admin yet), or when the admin is unreachable.
"""

from django.core.management.base import BaseCommand, CommandError

from guichet.accounts import otp
from guichet.accounts.models import User


class Command(BaseCommand):
    help = (
        "Email a staff member the one-time link that lets them enrol their second factor (journaled); "
        "--print shows it here instead, for whoever runs the server to hand over."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the staff member's address")
        parser.add_argument("--print", action="store_true", dest="print_link", help="print the link, send nothing")

    def handle(self, *args, email, print_link=False, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No account with the address {email}.")
        try:
            link = otp.enrolment_link_send(user=user, by=None, deliver=not print_link)
        except otp.OtpRefused as refused:
            raise CommandError(refused.message) from refused
        except OSError as error:
            raise CommandError(f"The email could not be sent to {user.email}: {error}") from error
        validity = otp.enrolment_link_validity()
        if print_link:
            self.stdout.write(link)
            self.stdout.write(f"Single use, valid {validity}: log in as {user.email}, then open it.")
        else:
            self.stdout.write(f"Enrolment link emailed to {user.email} (single use, valid {validity}).")
