"""The Reader for a request: the person, with the step-up state of their session or token."""

from accounts.stepup import stepped_up
from memory.privacy.policies import Reader, ReaderKind


def person_reader(request) -> Reader:
    return Reader(kind=ReaderKind.PERSON, stepped_up=stepped_up(request))


def export_reader(request) -> Reader:
    return Reader(kind=ReaderKind.EXPORT, stepped_up=stepped_up(request))
