"""`LearningRecords` on Viva Learning: learning content upserted by external id, then a
`learningSelfInitiatedCourse` or `learningAssignment` course activity. Sent as our own JSON
through the SDK's adapter: the SDK leaves out `@odata.type`, which Graph needs here."""

from __future__ import annotations

from datetime import UTC
from typing import Any
from urllib.parse import quote

from adapters.graph.client import GraphClient
from adapters.graph.errors import from_exception
from core.delivery import DeliveryError, Result, TransientError
from core.learning import CourseActivity


class VivaLearning:
    def __init__(self, client: GraphClient, provider_id: str) -> None:
        self._client = client
        self._provider = provider_id

    async def record(self, activity: CourseActivity) -> Result:
        base = f"/employeeExperience/learningProviders/{quote(self._provider)}"
        external = activity.external_content_id.replace("'", "''")
        try:
            content = await self._client.send_json(
                "PATCH",
                f"{base}/learningContents(externalId='{quote(external)}')",
                {
                    "title": activity.title,
                    "externalId": activity.external_content_id,
                    "contentWebUrl": activity.content_url,
                    "languageTag": "en-us",
                    "format": "Course",
                },
            )
            if not isinstance(content, dict) or not content.get("id"):
                raise TransientError("graph answered without a learning content id")
            body: dict[str, Any] = {
                "@odata.type": "#microsoft.graph."
                + ("learningAssignment" if activity.assigned else "learningSelfInitiatedCourse"),
                "learningContentId": content["id"],
                "learnerUserId": activity.learner_user_id,
                # the CSDL spells it this way
                "externalcourseActivityId": activity.external_activity_id,
                "status": activity.status,
                "completionPercentage": activity.completion_percentage,
            }
            if activity.completed_at is not None:
                body["completedDateTime"] = (
                    activity.completed_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
                )
            if activity.assigned:
                body["assignmentType"] = "recommended"
            created = await self._client.send_json("POST", f"{base}/learningCourseActivities", body)
        except Exception as exc:
            error = from_exception(exc)
            if "graph 409" in error.reason:
                # the activity exists already: an earlier attempt got through
                return {"learning_content_id": "", "activity": "exists"}
            raise error from exc
        activity_id = created.get("id") if isinstance(created, dict) else None
        return {"learning_content_id": str(content["id"]), "activity_id": str(activity_id or "")}


__all__ = ["DeliveryError", "VivaLearning"]
