"""Feature command groups for the CLI; each feature adds its group to `groups()`."""

from __future__ import annotations

import click


def groups() -> list[click.Command]:
    from app.cli_communities import communities_group
    from app.cli_expertise import experts_group, import_group, skills_group
    from app.cli_lti import lti_group
    from app.cli_manifest import manifest_group
    from app.cli_officehours import officehours_group
    from app.cli_outbox import worker

    return [
        worker,
        lti_group,
        manifest_group,
        communities_group,
        officehours_group,
        experts_group,
        skills_group,
        import_group,
    ]
