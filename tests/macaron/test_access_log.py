"""The web server's access log keeps the path and drops the query string."""

import logging

from macaron.access_log import DropQueryStrings


def test_the_server_log_is_filtered_by_the_settings():
    filters = logging.getLogger("django.server").filters
    assert any(isinstance(f, DropQueryStrings) for f in filters)


def test_a_request_line_loses_its_query_string():
    # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs.
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /api/v1/memories/?q=my+secret+peanuts&page=2 HTTP/1.1", "401", "120"),
        None,
    )
    assert DropQueryStrings().filter(record)
    line = record.getMessage()
    assert line == '"GET /api/v1/memories/?… HTTP/1.1" 401 120'
    assert "secret" not in line and "peanuts" not in line
