"""Export and import of a person's data: the memory sections, the jobs and their tasks."""
