"""The LoCoMo replay (`locomo`) and its metrics (`metrics`); run by `manage.py memory_eval`."""
