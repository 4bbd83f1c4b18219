"""Sample spec-kitty configs shared by the test directories (on ``pythonpath`` via pyproject).

One copy, so the unit, CLI, fault and stateful tests all speak of the same legacy project.
"""

from __future__ import annotations

from typing import Final

__all__ = ["LEGACY_CONFIG", "PROJECT_UUID"]

PROJECT_UUID: Final = "12345678-1234-5678-1234-567812345678"

# A config written by spec-kitty 3.1: the identity lacks build_id (the field whose completion
# used to be persisted by every read), and the tracker section carries comments, doctrine and
# an unknown key, so every save has real bytes around it to keep.
LEGACY_CONFIG: Final = f"""\
# spec-kitty project configuration (tracked in git)
project:
  # identity written by spec-kitty 3.1, before build_id existed
  uuid: {PROJECT_UUID}
  slug: demo-project  # chosen at init
  node_id: abcdef012345

# tracker binding
tracker:
  provider: jira  # the provider
  binding_ref: bind-001
  project_slug: demo-project
  display_label: "Demo (Jira)"
  workspace: acme
  provider_context:
    site: acme.atlassian.net
  doctrine:
    mode: push  # who wins on conflicts
    field_owners:
      title: local
  custom_key: keep me  # unknown keys must survive
"""
