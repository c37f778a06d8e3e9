"""Form helpers every app's views share."""

from django import forms

from macaron.errors import DomainError


def add_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service refusal next to the fields it names, or at the top of the form."""
    if not error.fields:
        form.add_error(None, error.message)
    for name, problems in error.fields.items():
        form.add_error(name if name in form.fields else None, problems)
