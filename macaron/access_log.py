"""The web server's access log without query strings: a search (`?q=…`), a page of someone's
data or a download token must not be written to the logs next to the path."""

import logging
import re

QUERY = re.compile(r"\?[^\s\"]*")


class DropQueryStrings(logging.Filter):
    """Cut the query string out of an access-log request line ("GET /memories/?q=x HTTP/1.1"
    → "GET /memories/?… HTTP/1.1"); what is left says which page was asked for."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (QUERY.sub("?…", record.args[0]), *record.args[1:])
        if isinstance(record.msg, str) and not record.args:
            record.msg = QUERY.sub("?…", record.msg)
        return True
