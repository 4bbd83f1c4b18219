"""notes: notes kept as Markdown files in a git repository, with a title in ``notes.yaml``."""
