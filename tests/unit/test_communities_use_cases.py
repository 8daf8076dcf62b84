"""Communities of practice use cases with in-memory fakes: the stories and the permission rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core.communities.errors import (
    AlreadyAccepted,
    CommunityNameTaken,
    CommunityNotFound,
    HostsOnly,
    LeaderboardOff,
    NotAMember,
    NotYours,
    OwnersOnly,
    PostNotFound,
)
from core.errors import Conflict, InvalidInput, PersonNotFound
from core.outbox import OutboxTopic
from tests.unit.communities_fakes import World, world


@pytest.fixture
def w() -> World:
    return world()


async def guild(w: World, visibility: str = "open") -> tuple[object, object]:
    owner = w.person("Amara Okafor")
    community = await w.service.create_community(
        w.org_id,
        owner,
        "GenAI Guild",
        "Share prompts that save time",
        ["genai", "prompting"],
        visibility,
        "Europe/London",
    )
    return community, owner


async def test_creating_a_community_makes_its_creator_the_owner(w: World) -> None:
    community, owner = await guild(w)
    members = await w.service.members(w.org_id, community.id)
    assert [(m.person_id, m.role, m.status) for m in members] == [(owner, "owner", "active")]
    with pytest.raises(CommunityNameTaken):
        await w.service.create_community(w.org_id, owner, "genai guild")


async def test_people_join_open_communities_at_once_and_leave_by_their_own_choice(
    w: World,
) -> None:
    community, _ = await guild(w)
    jonas = w.person("Jonas Becker")
    membership = await w.service.join(w.org_id, community.id, jonas)
    assert membership.status == "active"
    assert (await w.service.join(w.org_id, community.id, jonas)).status == "active"
    left = await w.service.leave(w.org_id, community.id, jonas)
    assert left.status == "left"
    view = await w.service.get_community(w.org_id, community.id, jonas)
    assert view.members == 1


async def test_approval_only_joins_wait_for_a_host_and_members_only_see_content(
    w: World,
) -> None:
    community, owner = await guild(w, "approval")
    priya = w.person("Priya Raman")
    pending = await w.service.join(w.org_id, community.id, priya)
    assert pending.status == "pending"
    with pytest.raises(NotAMember):
        await w.service.list_posts(w.org_id, community.id, priya)
    with pytest.raises(NotAMember):
        await w.service.create_post(
            w.org_id, community.id, priya, "tip", "Hello", "body text", ["genai"]
        )
    with pytest.raises(NotAMember):
        await w.service.decide_join(w.org_id, community.id, priya, priya, True)
    approved = await w.service.decide_join(w.org_id, community.id, owner, priya, True)
    assert approved.status == "active"
    post = await w.service.create_post(
        w.org_id, community.id, priya, "tip", "Hello", "body text", ["genai"]
    )
    assert [p.id for p in await w.service.list_posts(w.org_id, community.id, priya)] == [post.id]


async def test_nobody_is_enrolled_by_someone_else(w: World) -> None:
    community, owner = await guild(w)
    outsider = w.person("Noah Williams")
    with pytest.raises(NotAMember):
        await w.service.set_role(w.org_id, community.id, owner, outsider, "facilitator")
    assert await w.service.get_community(w.org_id, community.id, outsider) is not None
    members = {m.person_id for m in await w.service.members(w.org_id, community.id)}
    assert outsider not in members


async def test_a_community_keeps_an_owner(w: World) -> None:
    community, owner = await guild(w)
    with pytest.raises(Conflict):
        await w.service.leave(w.org_id, community.id, owner)
    with pytest.raises(Conflict):
        await w.service.set_role(w.org_id, community.id, owner, owner, "member")


async def test_only_owners_feature_or_archive_posts(w: World) -> None:
    community, owner = await guild(w)
    author = w.person("Mei Lin")
    facilitator = w.person("Sofia Rossi")
    for person in (author, facilitator):
        await w.service.join(w.org_id, community.id, person)
    await w.service.set_role(w.org_id, community.id, owner, facilitator, "facilitator")
    post = await w.service.create_post(
        w.org_id, community.id, author, "tip", "Use few-shot examples", "Give two examples."
    )
    for actor in (author, facilitator):
        with pytest.raises(OwnersOnly):
            await w.service.set_featured(w.org_id, post.id, actor, True)
        with pytest.raises(OwnersOnly):
            await w.service.set_archived(w.org_id, post.id, actor, True)
    assert (await w.service.set_featured(w.org_id, post.id, owner, True)).featured
    archived = await w.service.set_archived(w.org_id, post.id, owner, True)
    assert archived.archived and not archived.featured
    assert await w.service.list_posts(w.org_id, community.id, author) == []
    assert await w.service.search(w.org_id, "few-shot examples", author) == []


async def test_one_organisation_never_sees_another_s_communities(w: World) -> None:
    community, owner = await guild(w)
    post = await w.service.create_post(w.org_id, community.id, owner, "tip", "Secret", "sauce")
    other_org = world().org_id
    stranger = w.person("Hank Scorpio", org_id=other_org)
    assert await w.service.list_communities(other_org) == []
    with pytest.raises(CommunityNotFound):
        await w.service.get_community(other_org, community.id)
    with pytest.raises(PostNotFound):
        await w.service.get_post(other_org, post.id)
    with pytest.raises(PersonNotFound):
        await w.service.join(w.org_id, community.id, stranger)
    assert await w.service.search(other_org, "secret sauce") == []


async def test_authors_edit_their_posts_and_the_history_keeps_what_was_there(w: World) -> None:
    community, owner = await guild(w)
    post = await w.service.create_post(
        w.org_id,
        community.id,
        owner,
        "prompt",
        "Meeting notes to actions",
        tool="Copilot",
        prompt_text="Summarise these notes into actions with owners",
        example_output="- Jonas: send the deck",
        saved="20 minutes per meeting",
        tags=["genai"],
    )
    w.clock.advance(timedelta(hours=2))
    edited = await w.service.edit_post(
        w.org_id, post.id, owner, prompt_text="List actions with owners and due dates"
    )
    assert edited.prompt_text == "List actions with owners and due dates"
    history = await w.service.history(w.org_id, post.id)
    assert [h.previous["prompt_text"] for h in history] == [
        "Summarise these notes into actions with owners"
    ]
    other = w.person("Liam O'Connor")
    await w.service.join(w.org_id, community.id, other)
    with pytest.raises(NotYours):
        await w.service.edit_post(w.org_id, post.id, other, title="Mine now")
    with pytest.raises(InvalidInput):
        await w.service.edit_post(w.org_id, post.id, owner, prompt_text="")


async def test_members_upvote_save_comment_and_try_a_prompt(w: World) -> None:
    community, owner = await guild(w)
    post = await w.service.create_post(
        w.org_id,
        community.id,
        owner,
        "prompt",
        "Draft a polite reminder",
        tool="ChatGPT",
        prompt_text="Write a friendly reminder about the invoice",
    )
    fan = w.person("Olivia Brown")
    with pytest.raises(NotAMember):
        await w.service.vote(w.org_id, post.id, fan)
    await w.service.join(w.org_id, community.id, fan)
    assert (await w.service.vote(w.org_id, post.id, fan)).upvotes == 1
    assert (await w.service.vote(w.org_id, post.id, fan)).upvotes == 1
    with pytest.raises(Conflict):
        await w.service.vote(w.org_id, post.id, owner)
    await w.service.save_for_later(w.org_id, post.id, fan)
    assert [p.id for p in await w.service.saved_posts(w.org_id, fan)] == [post.id]
    await w.service.comment(w.org_id, post.id, fan, "Worked for my supplier emails")
    assert (await w.service.get_post(w.org_id, post.id)).comment_count == 1
    copy = await w.service.try_prompt(w.org_id, post.id, fan)
    assert copy["prompt_text"] == "Write a friendly reminder about the invoice"
    assert (await w.service.get_post(w.org_id, post.id)).tries == 1


async def test_an_accepted_answer_becomes_a_resource_crediting_asker_and_answerer(
    w: World,
) -> None:
    community, owner = await guild(w)
    asker, expert = w.person("Diego Fernández"), w.person("Aiko Tanaka")
    for p in (asker, expert):
        await w.service.join(w.org_id, community.id, p)
    question = await w.service.ask(
        w.org_id, community.id, asker, "How do I stop the model inventing numbers?", tags=["genai"]
    )
    w.clock.advance(timedelta(hours=3))
    answer = await w.service.answer(
        w.org_id, question.id, expert, "Paste the table and ask it to cite cells."
    )
    with pytest.raises(NotYours):
        await w.service.accept(w.org_id, answer.id, expert)
    await w.service.accept(w.org_id, answer.id, asker)
    second = await w.service.answer(w.org_id, question.id, owner, "Also lower the temperature.")
    with pytest.raises(AlreadyAccepted):
        await w.service.accept(w.org_id, second.id, asker)
    resource = await w.service.promote(w.org_id, question.id, expert)
    assert resource.kind == "resource"
    assert resource.author_id == expert
    assert set(resource.credited_ids) == {asker, expert}
    assert resource.source_question_id == question.id
    assert (await w.service.get_question(w.org_id, question.id)).question.resource_post_id == (
        resource.id
    )
    kinds = [(who, kind) for who, kind, _ in w.evidence]
    assert (expert, "accepted_answer") in kinds and (expert, "resource_written") in kinds
    mine = await w.service.recognition(w.org_id, expert)
    assert (mine.accepted_answers, mine.promoted_resources) == (1, 1)
    theirs = await w.service.recognition(w.org_id, asker)
    assert theirs.promoted_resources == 1


async def test_a_duplicate_question_is_linked_to_the_earlier_answer(w: World) -> None:
    community, owner = await guild(w)
    first = await w.service.ask(w.org_id, community.id, owner, "Which model for SQL?")
    w.clock.advance(timedelta(minutes=30))
    answer = await w.service.answer(w.org_id, first.id, owner, "The code model, with the schema.")
    w.clock.advance(timedelta(days=1))
    asker = w.person("Marcus Johnson")
    await w.service.join(w.org_id, community.id, asker)
    again = await w.service.ask(w.org_id, community.id, asker, "What model should I use for SQL?")
    with pytest.raises(InvalidInput):
        await w.service.mark_duplicate(w.org_id, first.id, owner, again.id)
    linked = await w.service.mark_duplicate(w.org_id, again.id, asker, first.id)
    assert (linked.duplicate_of_id, linked.duplicate_answer_id, linked.status) == (
        first.id,
        answer.id,
        "duplicate",
    )


async def test_completing_a_challenge_writes_one_completion_record_for_the_lms(w: World) -> None:
    community, owner = await guild(w)
    learner = w.person("Hannah Schmidt")
    await w.service.join(w.org_id, community.id, learner)
    cohort = await w.service.create_cohort(
        w.org_id,
        community.id,
        owner,
        "Four weeks of prompting",
        "Save an hour a week",
        date(2026, 3, 23),
        date(2026, 4, 19),
        required_checkins=2,
        requires_demo=True,
    )
    with pytest.raises(HostsOnly):
        await w.service.create_cohort(
            w.org_id, community.id, learner, "x", "y", date(2026, 3, 23), date(2026, 4, 1), 1
        )
    await w.service.join_cohort(w.org_id, cohort.id, learner)
    await w.service.check_in(w.org_id, cohort.id, learner, "Meeting summaries", "30 min", "")
    with pytest.raises(Conflict):
        await w.service.check_in(w.org_id, cohort.id, learner, "Again", "", "")
    w.clock.advance(timedelta(days=7))
    await w.service.check_in(w.org_id, cohort.id, learner, "Email drafts", "1 h", "tone")
    assert w.store.outbox == []
    await w.service.record_demo(
        w.org_id, community.id, owner, learner, "My inbox triage", cohort_id=cohort.id
    )
    kinds = sorted(m.kind for m in w.store.outbox)
    assert kinds == sorted([OutboxTopic.LMS_SCORE, OutboxTopic.LEARNING_COMPLETION])
    assert {m.payload["person_id"] for m in w.store.outbox} == {str(learner)}
    await w.service.record_demo(
        w.org_id, community.id, owner, learner, "Second demo", cohort_id=cohort.id
    )
    assert len(w.store.outbox) == 2
    view = await w.service.cohort(w.org_id, cohort.id)
    assert view.progress[0].completed_at is not None
    assert (view.progress[0].checkins, view.progress[0].demos) == (2, 2)


async def test_hosts_pair_a_cohort_without_repeats_and_with_a_trio_for_an_odd_count(
    w: World,
) -> None:
    community, owner = await guild(w)
    cohort = await w.service.create_cohort(
        w.org_id,
        community.id,
        owner,
        "Pairs",
        "Learn together",
        date(2026, 3, 23),
        date(2026, 5, 1),
    )
    people = [w.person(f"Learner {i}") for i in range(7)]
    for p in people:
        await w.service.join(w.org_id, community.id, p)
        await w.service.join_cohort(w.org_id, cohort.id, p)
    seen: set[frozenset[object]] = set()
    for _ in range(2):
        pairing = await w.service.pair_round(w.org_id, cohort.id, owner)
        sizes = sorted(len(g) for g in pairing.groups)
        assert sizes == [2, 2, 3]
        flat = [p for g in pairing.groups for p in g]
        assert sorted(flat, key=str) == sorted(people, key=str)
        pairs = {frozenset((a, b)) for g in pairing.groups for a in g for b in g if a != b}
        assert not pairs & seen
        seen |= pairs


async def test_owners_can_turn_the_leaderboard_off(w: World) -> None:
    community, owner = await guild(w)
    helper = w.person("Grace Kim")
    await w.service.join(w.org_id, community.id, helper)
    q = await w.service.ask(w.org_id, community.id, owner, "Best way to chunk PDFs?")
    a = await w.service.answer(w.org_id, q.id, helper, "By headings, 500 tokens.")
    await w.service.accept(w.org_id, a.id, owner)
    board = await w.service.leaderboard(w.org_id, community.id)
    assert [(r.person_id, r.accepted_answers) for r in board] == [(helper, 1)]
    with pytest.raises(OwnersOnly):
        await w.service.update_community(w.org_id, community.id, helper, leaderboard_enabled=False)
    await w.service.update_community(w.org_id, community.id, owner, leaderboard_enabled=False)
    with pytest.raises(LeaderboardOff):
        await w.service.leaderboard(w.org_id, community.id)


async def test_the_weekly_digest_brings_new_resources_open_questions_and_respects_pauses(
    w: World,
) -> None:
    community, owner = await guild(w)
    reader = w.person("Ethan Clark")
    await w.service.join(w.org_id, community.id, reader)
    post = await w.service.create_post(
        w.org_id, community.id, owner, "tip", "Ask for a table", "Tables are easier to check."
    )
    q = await w.service.ask(
        w.org_id, community.id, owner, "Who has a prompt for release notes?", tags=["genai"]
    )
    digest = await w.service.digest(w.org_id, reader)
    assert [p.id for p in digest.top_resources] == [post.id]
    assert [x.id for x in digest.open_questions] == [q.id]
    await w.service.set_notifications(w.org_id, community.id, reader, True)
    paused = await w.service.digest(w.org_id, reader)
    assert paused.empty and paused.paused_community_ids == (community.id,)


async def test_a_refused_command_changes_nothing(w: World) -> None:
    community, owner = await guild(w)
    before = len(w.store.posts)
    with pytest.raises(InvalidInput):
        await w.service.create_post(w.org_id, community.id, owner, "prompt", "No prompt text")
    assert len(w.store.posts) == before
