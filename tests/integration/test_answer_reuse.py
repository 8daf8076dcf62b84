"""Answer reuse: a question asked again is offered its earlier answer, once, whatever the size
of the organisation's history."""

from __future__ import annotations

from typing import Any


async def test_a_question_asked_again_finds_its_earlier_answer_once(services: Any) -> None:
    org = await services.people.create_organisation("fabrikam", "Fabrikam")
    ana = await services.people.add_person(org.id, "Ana", "ana@fabrikam.example", "UTC")
    ben = await services.people.add_person(org.id, "Ben", "ben@fabrikam.example", "UTC")
    cai = await services.people.add_person(org.id, "Cai", "cai@fabrikam.example", "UTC")
    earlier, _ = await services.expertise.ask(
        org.id, ana.id, "How do I rotate the signing key of our SSO app?"
    )
    await services.expertise.answer(
        org.id, earlier.id, ben.id, "Upload the new certificate first, then switch the primary."
    )
    await services.expertise.answer(org.id, earlier.id, cai.id, "And keep the old one a week.")
    other, _ = await services.expertise.ask(org.id, ana.id, "Which laptop bag fits a 16 inch?")
    await services.expertise.answer(org.id, other.id, ben.id, "The grey one from the shop.")

    _, reuse = await services.expertise.ask(
        org.id, cai.id, "how do I rotate the signing key of our SSO app"
    )

    assert [r.question.id for r in reuse.questions] == [earlier.id]
    assert reuse.questions[0].score == 1.0
    assert reuse.questions[0].answer is not None


async def test_unrelated_questions_are_not_offered(services: Any) -> None:
    org = await services.people.create_organisation("fabrikam", "Fabrikam")
    ana = await services.people.add_person(org.id, "Ana", "ana@fabrikam.example", "UTC")
    ben = await services.people.add_person(org.id, "Ben", "ben@fabrikam.example", "UTC")
    earlier, _ = await services.expertise.ask(org.id, ana.id, "Which laptop bag fits 16 inch?")
    await services.expertise.answer(org.id, earlier.id, ben.id, "The grey one.")

    _, reuse = await services.expertise.ask(org.id, ben.id, "How do I file travel expenses?")

    assert reuse.questions == []
