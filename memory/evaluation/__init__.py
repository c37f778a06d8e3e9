"""The LoCoMo replay (`locomo`) and its metrics; run by `manage.py memory_eval`."""
