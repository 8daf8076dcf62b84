"""The expert index: who answered what, searchable in a few milliseconds per question.

Per organisation it keeps, in memory:
  T  terms × threads   BM25 term weights of every answered question (and evidence text)
  S  skills × threads  which skills each thread is tagged with
  C  threads × people  credit of each person for each thread, decayed with age
  K  threads × people  1 where the person's answer was accepted
A query scores threads (text and tags), keeps the best, and hands their scores to the people
credited with them; an activity prior and declared skills/endorsements are added.
With the optional semantic signal, each thread (its question) and each answer has a dense vector:
a question's similarity to the closest threads is handed on to their answerers, and its
similarity to the closest answers counts for the people who wrote them.

The database is the source of truth. The index is built from it on first use and catches up on
every query from the ordered change log (`expertise_change`) that writes append in the same
transaction, so a new answer counts in the very next query, in every process. All updates are
idempotent (set, not add), so replaying a change is harmless.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import numpy as np
import numpy.typing as npt

from adapters.db.tables.expertise import (
    AnswerRow,
    ChangeRow,
    DeclaredSkillRow,
    EndorsementRow,
    EvidenceRow,
    QuestionRow,
    SkillAliasRow,
    SkillRow,
    ThreadEmbeddingRow,
)
from adapters.db.tables.people import IdentityRow
from adapters.search.sparse import FloatArray, GrowingSparse, IntArray, from_triplets
from core.clock import Clock
from core.expertise.ports import (
    Candidate,
    MatchQuery,
    SimilarQuestion,
    SkillEvidence,
    TextEmbedder,
    Vocabulary,
)
from core.expertise.text import term_counts

log = logging.getLogger(__name__)

Vectors = npt.NDArray[np.float32]

#: organisations this process changed since their index last caught up
_changed: set[UUID] = set()
#: how often an index looks for changes written by other processes (seconds)
POLL_SECONDS = 1.0


def mark_changed(org_id: UUID) -> None:
    """Called by writers in this process: the next query catches up at once."""
    _changed.add(org_id)


EVIDENCE_WEIGHT = {
    "office_hours": 1.5,
    "resource": 2.0,
    "demo": 1.5,
    "answer": 1.0,
    "accepted_answer": 2.0,
}


@dataclass(frozen=True)
class Tuning:
    """Scoring constants, tuned on the last 10 % of the history part (bench/matching.py)."""

    k1: float = 1.2
    b: float = 0.75
    #: credit of an accepted answer relative to any answer
    accepted_bonus: float = 1.0
    #: credit halves after this many newer questions in the organisation (at least) ...
    half_life_questions: float = 50.0
    #: ... or after this share of the organisation's questions, whichever is longer
    half_life_share: float = 0.05
    #: ... and after this many days
    half_life_days: float = 365.0
    #: the activity prior: "log" dampens prolific people, "linear" does not
    prior_shape: str = "linear"
    #: threads whose text score is handed on to their answerers
    top_threads: int = 1000
    #: thread text score exponent: > 1 favours a few close threads over many loose ones
    power: float = 1.0
    w_text: float = 1.0
    w_tags: float = 1.5
    w_prior: float = 0.3
    w_declared: float = 0.4
    w_endorsed: float = 0.2
    #: weight of a skill named in the question's text (a tag weighs 1)
    w_named: float = 0.0
    #: tags inferred from the threads most like the question (their tags, weighted by likeness)
    w_inferred: float = 0.0
    infer_threads: int = 30
    infer_tags: int = 5
    #: how the signals combine: "linear" (normalised sum) or "rrf" (reciprocal-rank fusion)
    fusion: str = "linear"
    rrf_k: float = 60.0
    rrf_depth: int = 300
    #: postings read per query at most (rarest words first; bounds latency on large sites)
    postings_budget: int = 60_000
    #: include answer text of a thread in its document
    answer_text: bool = True
    #: threads at least this similar (0–1) count as "similar questions answered"
    similar_at: float = 0.4
    #: the optional semantic signal (an embedder is configured): dense similarity of the
    #: question to the `dense_threads` closest threads, handed on to their answerers like text
    w_dense: float = 0.5
    dense_threads: int = 100
    #: similarity exponent: > 1 favours a few close threads over many loose ones
    dense_power: float = 1.0
    #: how the dense signal joins: "signal" (one more signal under `fusion`), "rrf"
    #: (reciprocal-rank fusion of the lexical ranking and the dense ranking, weight w_dense) or
    #: "thread" (added to each thread's normalised text score before threads are credited)
    dense_fusion: str = "signal"
    #: the question's similarity to the `answer_neighbours` closest answers, summed per author:
    #: what a person wrote themself, not only the thread they answered in (0: answers are not
    #: embedded)
    w_answer_dense: float = 1.0
    answer_neighbours: int = 100
    #: 0: the question is compared with every thread and answer (cost grows with the
    #: organisation); N: only with the N threads of highest text score and the answers in them
    #: (cost bounded by N), unless no thread shares a word with the question. 3,000 cost 0.0006
    #: validation MRR against comparing everything (0.0016 for 1,000)
    dense_shortlist: int = 3000


@dataclass
class _Org:
    tuning: Tuning
    built_at: datetime
    last_change: int = 0
    terms: dict[str, int] = field(default_factory=dict)
    df: list[int] = field(default_factory=list)
    people: list[UUID] = field(default_factory=list)
    person_col: dict[UUID, int] = field(default_factory=dict)
    skill_row: dict[UUID, int] = field(default_factory=dict)
    skill_ids: list[UUID] = field(default_factory=list)
    skill_df: list[int] = field(default_factory=list)
    doc_of: dict[UUID, int] = field(default_factory=dict)
    doc_question: list[UUID | None] = field(default_factory=list)
    doc_pos: list[float] = field(default_factory=list)
    doc_when: list[datetime] = field(default_factory=list)
    doc_len: list[int] = field(default_factory=list)
    doc_tokens: list[int] = field(default_factory=list)
    avgdl: float = 1.0
    T: GrowingSparse = field(default_factory=GrowingSparse)
    S: GrowingSparse = field(default_factory=GrowingSparse)
    ST: GrowingSparse = field(default_factory=GrowingSparse)
    C: GrowingSparse = field(default_factory=GrowingSparse)
    K: GrowingSparse = field(default_factory=GrowingSparse)
    P: GrowingSparse = field(default_factory=GrowingSparse)
    prior: FloatArray = field(default_factory=lambda: np.zeros(0))
    answered: FloatArray = field(default_factory=lambda: np.zeros(0))
    accepted: FloatArray = field(default_factory=lambda: np.zeros(0))
    office_hours: FloatArray = field(default_factory=lambda: np.zeros(0))
    rating_sum: FloatArray = field(default_factory=lambda: np.zeros(0))
    rating_n: FloatArray = field(default_factory=lambda: np.zeros(0))
    resources: FloatArray = field(default_factory=lambda: np.zeros(0))
    demos: FloatArray = field(default_factory=lambda: np.zeros(0))
    declared: dict[int, dict[int, int]] = field(default_factory=dict)
    endorsed: dict[int, dict[int, int]] = field(default_factory=dict)
    n_questions: int = 0
    vocabulary: Vocabulary = field(default_factory=lambda: Vocabulary({}, {}))
    polled_at: float = 0.0
    labels: dict[UUID, str] = field(default_factory=dict)
    #: docs × dim unit vectors of the semantic signal (rows past the docs are spare room)
    E: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    #: answers × dim unit vectors, their authors' columns, and each answer's row
    A: Vectors = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    answer_author: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    answer_doc: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    answer_row: dict[UUID, int] = field(default_factory=dict)

    # growth -------------------------------------------------------------------------------
    def col(self, person: UUID) -> int:
        c = self.person_col.get(person)
        if c is None:
            c = len(self.people)
            self.people.append(person)
            self.person_col[person] = c
            if c >= len(self.prior):
                grow = max(64, len(self.prior))
                for name in _PERSON_ARRAYS:
                    setattr(self, name, np.concatenate([getattr(self, name), np.zeros(grow)]))
        return c

    def skill(self, skill_id: UUID) -> int:
        r = self.skill_row.get(skill_id)
        if r is None:
            r = len(self.skill_ids)
            self.skill_ids.append(skill_id)
            self.skill_row[skill_id] = r
            self.skill_df.append(0)
        return r

    def term(self, word: str) -> int:
        t = self.terms.get(word)
        if t is None:
            t = len(self.df)
            self.terms[word] = t
            self.df.append(0)
        return t

    # credits ------------------------------------------------------------------------------
    def decay(self, doc: int, now: datetime) -> float:
        t = self.tuning
        since = max(0.0, self.n_questions - 1 - self.doc_pos[doc])
        half_life = max(t.half_life_questions, t.half_life_share * self.n_questions)
        days = max(0.0, (now - self.doc_when[doc]).total_seconds() / 86400)
        return float(0.5 ** (since / half_life) * 0.5 ** (days / t.half_life_days))

    def credit(self, doc: int, person: UUID, weight: float, accepted: bool, now: datetime) -> None:
        c = self.col(person)
        value = weight * (1.0 + (self.tuning.accepted_bonus if accepted else 0.0))
        value *= self.decay(doc, now)
        old = self.C.set(doc, c, value)
        self.prior[c] += value - old
        if self.P.set(doc, c, 1.0) == 0:
            self.answered[c] += 1
        old_acc = self.K.set(doc, c, 1.0 if accepted else 0.0)
        self.accepted[c] += (1.0 if accepted else 0.0) - old_acc

    def add_doc(
        self,
        key: UUID,
        question: UUID | None,
        text: str,
        skills: Sequence[UUID],
        pos: float,
        when: datetime,
    ) -> int:
        doc = self.doc_of.get(key)
        if doc is not None:
            return doc
        doc = len(self.doc_question)
        self.doc_of[key] = doc
        self.doc_question.append(question)
        self.doc_pos.append(pos)
        self.doc_when.append(when)
        counts = term_counts(text)
        length = sum(counts.values())
        self.doc_len.append(length)
        k1, b = self.tuning.k1, self.tuning.b
        norm = k1 * (1 - b + b * length / self.avgdl)
        for word, tf in counts.items():
            t = self.term(word)
            self.df[t] += 1
            self.T.set(t, doc, tf * (k1 + 1) / (tf + norm))
        for sid in dict.fromkeys(skills):
            r = self.skill(sid)
            self.skill_df[r] += 1
            self.S.set(r, doc, 1.0)
            self.ST.set(doc, r, 1.0)
        return doc

    def maybe_fold(self) -> None:
        for name, rows, cols in (
            ("T", len(self.df), len(self.doc_question)),
            ("S", len(self.skill_ids), len(self.doc_question)),
            ("ST", len(self.doc_question), len(self.skill_ids)),
            ("C", len(self.doc_question), len(self.people)),
            ("K", len(self.doc_question), len(self.people)),
            ("P", len(self.doc_question), len(self.people)),
        ):
            m: GrowingSparse = getattr(self, name)
            if m.delta_size > max(20_000, m.base.nnz // 10):
                m.fold(rows, cols)


_PERSON_ARRAYS = (
    "prior",
    "answered",
    "accepted",
    "office_hours",
    "rating_sum",
    "rating_n",
    "resources",
    "demos",
)


def _idf(df: FloatArray | float, n: int) -> FloatArray:
    return np.log1p((n - np.asarray(df, np.float64) + 0.5) / (np.asarray(df, np.float64) + 0.5))


class SparseExpertIndex:
    """`ExpertIndex` over numpy/scipy sparse matrices, one per organisation."""

    def __init__(
        self, clock: Clock, tuning: Tuning | None = None, embedder: TextEmbedder | None = None
    ) -> None:
        self._clock = clock
        self.tuning = tuning or Tuning()
        self.embedder = embedder
        self._orgs: dict[UUID, _Org] = {}
        self._locks: dict[UUID, asyncio.Lock] = {}

    def forget(self, org_id: UUID) -> None:
        self._orgs.pop(org_id, None)

    async def _fresh(self, org_id: UUID) -> _Org:
        lock = self._locks.setdefault(org_id, asyncio.Lock())
        async with lock:
            idx = self._orgs.get(org_id)
            if idx is None:
                _changed.discard(org_id)
                idx = await self._build(org_id)
                self._orgs[org_id] = idx
            # changes from this process count at once; other processes' within POLL_SECONDS
            if org_id in _changed or time.monotonic() - idx.polled_at > POLL_SECONDS:
                _changed.discard(org_id)
                idx.polled_at = time.monotonic()
                if not await self._catch_up(idx, org_id):
                    idx = await self._build(org_id)
                    idx.polled_at = time.monotonic()
                    self._orgs[org_id] = idx
            return idx

    # build --------------------------------------------------------------------------------
    async def _build(self, org_id: UUID) -> _Org:
        now = self._clock.now()
        idx = _Org(tuning=self.tuning, built_at=now)
        newest = await ChangeRow.filter(organisation_id=org_id).order_by("-id").first()
        idx.last_change = newest.id if newest else 0
        questions = (
            await QuestionRow.filter(organisation_id=org_id)
            .order_by("seq")
            .values_list("id", "title", "body", "skill_ids", "created_at")
        )
        answer_rows = await AnswerRow.filter(organisation_id=org_id).values_list(
            "id", "question_id", "author_id", "accepted", "text"
        )
        evidence = await EvidenceRow.filter(organisation_id=org_id).values_list(
            "id", "person_id", "kind", "skill_ids", "text", "rating", "occurred_at"
        )
        by_question: dict[UUID, list[tuple[UUID, bool, str]]] = {}
        for _, qid, author, accepted, text in answer_rows:
            by_question.setdefault(_uuid(qid), []).append((_uuid(author), bool(accepted), text))

        docs: list[tuple[UUID, UUID | None, str, list[UUID], float, datetime]] = []
        dense_texts: list[str] = []
        pos = 0
        for qid, title, body, skills, created in questions:
            q = _uuid(qid)
            pos += 1
            thread = by_question.get(q)
            if not thread:
                continue
            text = f"{title} {body}"
            if self.tuning.answer_text:
                text += " " + " ".join(a[2] for a in thread if a[2])
            docs.append((q, q, text, [_uuid(s) for s in skills or []], pos - 1, created))
            dense_texts.append(_dense_text(title, body))
        idx.n_questions = pos
        for eid, _, _, skills, text, _, occurred in evidence:
            docs.append(
                (_uuid(eid), None, text or "", [_uuid(s) for s in skills or []], pos, occurred)
            )
            dense_texts.append(text or "")

        # terms × docs in one pass, then sparse matrices built in bulk
        counts = [term_counts(d[2]) for d in docs]
        lengths = [sum(c.values()) for c in counts]
        idx.avgdl = max(1.0, sum(lengths) / len(lengths)) if lengths else 1.0
        k1, b = self.tuning.k1, self.tuning.b
        t_rows: list[int] = []
        t_cols: list[int] = []
        t_vals: list[float] = []
        s_rows: list[int] = []
        s_cols: list[int] = []
        for doc, ((key, question, _, skills, p, when), tc, length) in enumerate(
            zip(docs, counts, lengths, strict=True)
        ):
            idx.doc_of[key] = doc
            idx.doc_question.append(question)
            idx.doc_pos.append(p)
            idx.doc_when.append(when)
            idx.doc_len.append(length)
            norm = k1 * (1 - b + b * length / idx.avgdl)
            for word, tf in tc.items():
                t = idx.term(word)
                idx.df[t] += 1
                t_rows.append(t)
                t_cols.append(doc)
                t_vals.append(tf * (k1 + 1) / (tf + norm))
            for sid in dict.fromkeys(skills):
                r = idx.skill(sid)
                idx.skill_df[r] += 1
                s_rows.append(r)
                s_cols.append(doc)
        n_docs = len(docs)
        idx.T = from_triplets(t_rows, t_cols, t_vals, len(idx.df), n_docs)
        idx.S = from_triplets(s_rows, s_cols, [1.0] * len(s_rows), len(idx.skill_ids), n_docs)
        idx.ST = from_triplets(s_cols, s_rows, [1.0] * len(s_rows), n_docs, len(idx.skill_ids))

        cells: dict[tuple[int, int], tuple[float, bool]] = {}
        for doc, (key, question, *_rest) in enumerate(docs):
            if question is None:
                continue
            for author, accepted, _ in by_question.get(key, ()):
                c = idx.col(author)
                value = (1.0 + (self.tuning.accepted_bonus if accepted else 0.0)) * idx.decay(
                    doc, now
                )
                prev = cells.get((doc, c))
                if prev is None or prev[0] < value:
                    cells[(doc, c)] = (value, accepted)
        for eid, person, kind, _, _, rating, _ in evidence:
            doc = idx.doc_of[_uuid(eid)]
            c = idx.col(_uuid(person))
            weight = EVIDENCE_WEIGHT.get(kind, 1.0)
            if rating is not None:
                weight *= 0.5 + float(rating) / 5
            cells[(doc, c)] = (weight * idx.decay(doc, now), False)
            _count_evidence(idx, c, kind, rating)
        n_people = len(idx.people)
        keys = list(cells)
        idx.C = from_triplets(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [cells[k][0] for k in keys],
            n_docs,
            n_people,
        )
        answers = [k for k in keys if idx.doc_question[k[0]] is not None]
        idx.P = from_triplets(
            [k[0] for k in answers],
            [k[1] for k in answers],
            [1.0] * len(answers),
            n_docs,
            n_people,
        )
        acc = [k for k in keys if cells[k][1]]
        idx.K = from_triplets(
            [k[0] for k in acc], [k[1] for k in acc], [1.0] * len(acc), n_docs, n_people
        )
        for (doc, c), (value, accepted) in cells.items():
            idx.prior[c] += value
            if idx.doc_question[doc] is not None:
                idx.answered[c] += 1
                idx.accepted[c] += float(accepted)
        await self._load_declared(idx, org_id, None)
        await self._load_vocabulary(idx, org_id)
        if self.embedder is not None:
            idx.E = await self._vectors(org_id, [d[0] for d in docs], dense_texts)
            if self.tuning.w_answer_dense:
                written = [
                    (_uuid(aid), idx.col(_uuid(author)), text, idx.doc_of[_uuid(qid)])
                    for aid, qid, author, _, text in answer_rows
                    if text and text.strip() and _uuid(qid) in idx.doc_of
                ]
                idx.A = await self._vectors(
                    org_id, [w[0] for w in written], [w[2] for w in written]
                )
                idx.answer_author = np.zeros(len(idx.A), np.int64)
                idx.answer_doc = np.zeros(len(idx.A), np.int64)
                for row, (aid, c, _, doc) in enumerate(written):
                    idx.answer_row[aid] = row
                    idx.answer_author[row] = c
                    idx.answer_doc[row] = doc
        # imported people are known by their source user id (batch output, reasons)
        idx.labels = {
            _uuid(p): str(s)
            for p, s in await IdentityRow.filter(organisation_id=org_id, kind="source").values_list(
                "person_id", "subject"
            )
        }
        log.info(
            "expert index built for %s: %d threads, %d people, %d terms",
            org_id,
            n_docs,
            n_people,
            len(idx.df),
        )
        return idx

    async def _load_vocabulary(self, idx: _Org, org_id: UUID) -> None:
        keys = await SkillAliasRow.filter(organisation_id=org_id).values_list("key", "skill_id")
        names = await SkillRow.filter(organisation_id=org_id).values_list("id", "name")
        idx.vocabulary = Vocabulary(
            {str(k): _uuid(s) for k, s in keys}, {_uuid(i): str(n) for i, n in names}
        )

    async def source_labels(self, org_id: UUID, person_ids: Sequence[UUID]) -> dict[UUID, str]:
        labels = (await self._fresh(org_id)).labels
        return {p: labels[p] for p in person_ids if p in labels}

    async def vocabulary(self, org_id: UUID) -> Vocabulary:
        return (await self._fresh(org_id)).vocabulary

    async def _load_declared(self, idx: _Org, org_id: UUID, person: UUID | None) -> None:
        q_decl = DeclaredSkillRow.filter(organisation_id=org_id)
        q_end = EndorsementRow.filter(organisation_id=org_id)
        if person is not None:
            q_decl = q_decl.filter(person_id=person)
            q_end = q_end.filter(person_id=person)
            c = idx.col(person)
            for table in (idx.declared, idx.endorsed):
                for holders in table.values():
                    holders.pop(c, None)
        for pid, sid, level in await q_decl.values_list("person_id", "skill_id", "level"):
            r = idx.skill(_uuid(sid))
            idx.declared.setdefault(r, {})[idx.col(_uuid(pid))] = int(level)
        for pid, sid in await q_end.values_list("person_id", "skill_id"):
            r = idx.skill(_uuid(sid))
            holders = idx.endorsed.setdefault(r, {})
            c = idx.col(_uuid(pid))
            holders[c] = holders.get(c, 0) + 1

    # dense vectors (optional semantic signal) -------------------------------------------
    async def _vectors(self, org_id: UUID, keys: Sequence[UUID], texts: Sequence[str]) -> Vectors:
        """Vectors of these docs: stored ones are read, missing ones embedded and stored."""
        embedder = self.embedder
        assert embedder is not None
        stored = {
            _uuid(i): bytes(v)
            for i, v in await ThreadEmbeddingRow.filter(
                organisation_id=org_id, model=embedder.name
            ).values_list("id", "vector")
        }
        out = np.zeros((max(len(keys), 64), embedder.dim), np.float32)
        missing: list[int] = []
        for doc, key in enumerate(keys):
            raw = stored.get(key)
            if raw is not None and len(raw) == 4 * embedder.dim:
                out[doc] = np.frombuffer(raw, np.float32)
            else:
                missing.append(doc)
        if missing:
            started = time.perf_counter()
            # vectors of another model are replaced
            await ThreadEmbeddingRow.filter(
                organisation_id=org_id, id__in=[keys[d] for d in missing]
            ).delete()
            for start in range(0, len(missing), 256):
                batch = missing[start : start + 256]
                vectors = await asyncio.to_thread(embedder.embed, [texts[d] for d in batch])
                block = np.asarray(vectors, np.float32).reshape(len(batch), embedder.dim)
                out[batch] = block
                await ThreadEmbeddingRow.bulk_create(
                    [
                        ThreadEmbeddingRow(
                            id=keys[d],
                            organisation_id=org_id,
                            model=embedder.name,
                            vector=block[i].tobytes(),
                        )
                        for i, d in enumerate(batch)
                    ]
                )
            log.info(
                "embedded %d threads of %s with %s in %.1f s",
                len(missing),
                org_id,
                embedder.name,
                time.perf_counter() - started,
            )
        return out

    async def _add_vector(self, idx: _Org, org_id: UUID, doc: int, key: UUID, text: str) -> None:
        if self.embedder is None:
            return
        idx.E = _room(idx.E, doc, self.embedder.dim)
        idx.E[doc] = await self._stored_or_embedded(org_id, key, text)

    async def _add_answer_vector(
        self, idx: _Org, org_id: UUID, answer_id: UUID, author: UUID, text: str, doc: int
    ) -> None:
        if self.embedder is None or not self.tuning.w_answer_dense or not text.strip():
            return
        if answer_id in idx.answer_row:
            return
        row = len(idx.answer_row)
        idx.A = _room(idx.A, row, self.embedder.dim)
        if len(idx.answer_author) < len(idx.A):
            for name in ("answer_author", "answer_doc"):
                grown = np.zeros(len(idx.A), np.int64)
                old = getattr(idx, name)
                grown[: len(old)] = old
                setattr(idx, name, grown)
        idx.A[row] = await self._stored_or_embedded(org_id, answer_id, text)
        idx.answer_author[row] = idx.col(author)
        idx.answer_doc[row] = doc
        idx.answer_row[answer_id] = row

    async def _stored_or_embedded(self, org_id: UUID, key: UUID, text: str) -> Vectors:
        """The stored vector of this thread or answer, or a new one embedded and stored."""
        embedder = self.embedder
        assert embedder is not None
        row = await ThreadEmbeddingRow.get_or_none(id=key, organisation_id=org_id)
        if row is not None and row.model == embedder.name:
            return np.frombuffer(bytes(row.vector), np.float32)
        vectors = await asyncio.to_thread(embedder.embed, [text])
        vector = np.asarray(vectors, np.float32).reshape(embedder.dim)
        if row is None:
            await ThreadEmbeddingRow.create(
                id=key, organisation_id=org_id, model=embedder.name, vector=vector.tobytes()
            )
        else:
            row.model, row.vector = embedder.name, vector.tobytes()
            await row.save()
        return vector

    async def query_vector(self, text: str) -> Vectors | None:
        """The question's dense vector, embedded off the event loop (None: no embedder)."""
        embedder = self.embedder
        if embedder is None or not (self.tuning.w_dense or self.tuning.w_answer_dense):
            return None
        vectors = await asyncio.to_thread(embedder.embed, [text])
        return np.asarray(vectors, np.float32).reshape(embedder.dim)

    # catch-up -----------------------------------------------------------------------------
    async def _catch_up(self, idx: _Org, org_id: UUID) -> bool:
        """Apply changes written since the index last looked; False asks for a rebuild."""
        changes = (
            await ChangeRow.filter(organisation_id=org_id, id__gt=idx.last_change)
            .order_by("id")
            .limit(5000)
            .values_list("id", "kind", "ref")
        )
        if not changes:
            return True
        if len(changes) >= 5000 or any(kind == "rebuild" for _, kind, _ in changes):
            return False
        now = self._clock.now()
        if any(kind == "skills" for _, kind, _ in changes):
            await self._load_vocabulary(idx, org_id)
        for change_id, kind, ref in changes:
            if kind in ("answer", "accept", "unaccept"):
                await self._apply_answer(idx, org_id, _uuid(ref), now)
            elif kind == "evidence":
                await self._apply_evidence(idx, org_id, _uuid(ref), now)
            elif kind == "profile":
                await self._load_declared(idx, org_id, _uuid(ref))
            idx.last_change = int(change_id)
        idx.maybe_fold()
        return True

    async def _apply_answer(self, idx: _Org, org_id: UUID, answer_id: UUID, now: datetime) -> None:
        answer = await AnswerRow.get_or_none(id=answer_id, organisation_id=org_id)
        if answer is None:
            return
        doc = idx.doc_of.get(answer.question_id)
        if doc is None:
            q = await QuestionRow.get_or_none(id=answer.question_id, organisation_id=org_id)
            if q is None:
                return
            idx.n_questions += 1
            doc = idx.add_doc(
                q.id,
                q.id,
                f"{q.title} {q.body} {answer.text if idx.tuning.answer_text else ''}",
                [_uuid(s) for s in q.skill_ids or []],
                idx.n_questions - 1,
                q.created_at,
            )
            await self._add_vector(idx, org_id, doc, q.id, _dense_text(q.title, q.body))
        idx.credit(doc, answer.author_id, 1.0, answer.accepted, now)
        await self._add_answer_vector(
            idx, org_id, answer.id, answer.author_id, answer.text or "", doc
        )

    async def _apply_evidence(
        self, idx: _Org, org_id: UUID, evidence_id: UUID, now: datetime
    ) -> None:
        e = await EvidenceRow.get_or_none(id=evidence_id, organisation_id=org_id)
        if e is None or e.id in idx.doc_of:
            return
        doc = idx.add_doc(
            e.id,
            None,
            e.text,
            [_uuid(s) for s in e.skill_ids or []],
            idx.n_questions,
            e.occurred_at,
        )
        await self._add_vector(idx, org_id, doc, e.id, e.text or "")
        weight = EVIDENCE_WEIGHT.get(e.kind, 1.0)
        if e.rating is not None:
            weight *= 0.5 + e.rating / 5
        c = idx.col(e.person_id)
        value = weight * idx.decay(doc, now)
        old = idx.C.set(doc, c, value)
        idx.prior[c] += value - old
        _count_evidence(idx, c, e.kind, e.rating)

    # queries ------------------------------------------------------------------------------
    def _query_terms(self, idx: _Org, text: str) -> tuple[IntArray, FloatArray, float]:
        counts = term_counts(text)
        n = len(idx.doc_question)
        ids: list[int] = []
        unknown = 0
        for word in counts:
            t = idx.terms.get(word)
            if t is None or idx.df[t] == 0:
                unknown += 1
            else:
                ids.append(t)
        term_ids = np.asarray(ids, np.int64)
        df = np.asarray([idx.df[t] for t in ids], np.float64)
        weights = _idf(df, n) if len(ids) else np.zeros(0)
        # the score of a thread of average length holding every query word once
        ceiling = float(weights.sum() + unknown * _idf(0.0, n))
        if len(ids):
            # rarest words first; stop once the postings to read exceed the budget: the common
            # words left out weigh little (low idf) and would cost most of the time
            order = np.argsort(df, kind="stable")
            budget = np.cumsum(df[order]) - df[order]
            keep = order[(budget < self.tuning.postings_budget) | (np.arange(len(order)) < 3)]
            term_ids, weights = term_ids[keep], weights[keep]
        return term_ids, weights, ceiling

    async def candidates(
        self, org_id: UUID, query: MatchQuery, exclude: Collection[UUID], limit: int
    ) -> Sequence[Candidate]:
        idx = await self._fresh(org_id)
        vector = await self.query_vector(query.text) if len(idx.E) else None
        return self.rank(idx, query, exclude, limit, vector)

    def rank(
        self,
        idx: _Org,
        query: MatchQuery,
        exclude: Collection[UUID],
        limit: int,
        vector: Vectors | None = None,
    ) -> list[Candidate]:
        t = idx.tuning
        n_docs, n_people = len(idx.doc_question), len(idx.people)
        if n_people == 0:
            return []
        term_ids, weights, ceiling = self._query_terms(idx, query.text)
        doc_text = idx.T.row_sum(term_ids, weights, n_docs)
        scope = _shortlist(doc_text, t.dense_shortlist) if vector is not None else None
        sims = self._similarities(idx, vector, n_docs, scope)
        doc_rel = doc_text
        if sims is not None and t.dense_fusion == "thread":
            doc_rel = doc_text / (ceiling or 1.0) + t.w_dense * sims
        text = np.zeros(n_people)
        top_docs = np.zeros(0, np.int64)
        if (len(term_ids) or sims is not None) and n_docs:
            k = min(t.top_threads, n_docs)
            top_docs = np.argpartition(-doc_rel, k - 1)[:k] if k < n_docs else np.arange(n_docs)
            top_docs = top_docs[doc_rel[top_docs] > 0]
            text = idx.C.row_sum(top_docs, doc_rel[top_docs] ** t.power, n_people)

        # a tag says what the question is about; a skill merely named in its text weighs
        # w_named (tuned to 0: names in long texts mislead more than they help), while
        # declared levels and endorsements count for both
        weighted: dict[int, float] = {}
        for ids, share in ((query.named_skill_ids, t.w_named), (query.skill_ids, 1.0)):
            for s in ids:
                if s in idx.skill_row:
                    weighted[idx.skill_row[s]] = share
        skill_rows = list(weighted)
        tags = np.zeros(n_people)
        declared = np.zeros(n_people)
        for r, share in weighted.items():
            docs, _ = idx.S.row_entries(r)
            if len(docs) and share:
                weight = share * float(_idf(idx.skill_df[r], max(n_docs, 1)))
                tags += weight * idx.C.row_sum(docs, np.ones(len(docs)), n_people)
            for c, level in idx.declared.get(r, {}).items():
                declared[c] += t.w_declared * level / 5
            for c, count in idx.endorsed.get(r, {}).items():
                declared[c] += t.w_endorsed * min(count, 5) / 5

        inferred = (
            self._inferred(idx, top_docs, doc_text, n_people)
            if t.w_inferred
            else np.zeros(n_people)
        )
        prior = idx.prior[:n_people]
        prior = np.log1p(prior) if t.prior_shape == "log" else prior
        dense = None
        if sims is not None and t.dense_fusion != "thread":
            near = np.flatnonzero(sims)
            dense = idx.C.row_sum(near, sims[near], n_people)
        signals: tuple[tuple[FloatArray, float], ...] = (
            (text, t.w_text),
            (tags, t.w_tags),
            (inferred, t.w_inferred),
            (prior, t.w_prior),
        )
        if dense is not None and t.dense_fusion == "signal":
            signals += ((dense, t.w_dense),)
        written = self._answer_similarities(idx, vector, n_people, scope)
        if written is not None:
            signals += ((written, t.w_answer_dense),)
        if t.fusion == "rrf":
            score = declared + _fused(signals, t.rrf_k, t.rrf_depth)
        else:
            score = declared + sum((w * _unit(v) for v, w in signals if w), np.zeros(n_people))
        if dense is not None and t.dense_fusion == "rrf":
            # the lexical ranking and the dense ranking, fused by rank; the lexical score breaks
            # ties within its own ranking and keeps people with only declared skills in
            fused = _fused(((score, 1.0), (dense, t.w_dense)), t.rrf_k, t.rrf_depth)
            score = fused + 1e-6 * _unit(np.maximum(score, 0.0))
        for person in exclude:
            col = idx.person_col.get(person)
            if col is not None:
                score[col] = -1.0
        eligible = int((score > 0).sum())
        if eligible == 0:
            return []
        k = min(limit, eligible)
        best = np.argpartition(-score, k - 1)[:k] if k < n_people else np.arange(n_people)
        best = best[np.argsort(-score[best], kind="stable")]
        best = best[score[best] > 0]

        strong = top_docs[doc_text[top_docs] >= t.similar_at * ceiling] if ceiling else top_docs[:0]
        similar = idx.C.row_sum(strong, np.ones(len(strong)), n_people) if len(strong) else None
        per_skill = [
            (
                idx.skill_ids[r],
                *self._skill_counts(idx, r, n_people),
            )
            for r in skill_rows
        ]
        out: list[Candidate] = []
        for c in best.tolist():
            skills = tuple(
                SkillEvidence(
                    skill_id=sid,
                    answered=int(answered[c]),
                    accepted=int(accepted[c]),
                    declared_level=idx.declared.get(r, {}).get(c, 0),
                    endorsements=idx.endorsed.get(r, {}).get(c, 0),
                )
                for (sid, answered, accepted), r in zip(per_skill, skill_rows, strict=True)
                if answered[c] or idx.declared.get(r, {}).get(c) or idx.endorsed.get(r, {}).get(c)
            )
            n_ratings = idx.rating_n[c]
            out.append(
                Candidate(
                    person_id=idx.people[c],
                    relevance=float(score[c]),
                    text_score=float(text[c]),
                    tag_score=float(tags[c]),
                    activity=float(prior[c]),
                    answered=int(idx.answered[c]),
                    accepted=int(idx.accepted[c]),
                    similar_answered=int(similar[c] + 0.5) if similar is not None else 0,
                    office_hours=int(idx.office_hours[c]),
                    rating=round(float(idx.rating_sum[c] / n_ratings), 1) if n_ratings else None,
                    resources=int(idx.resources[c]),
                    demos=int(idx.demos[c]),
                    skills=skills,
                )
            )
        return out

    def _similarities(
        self, idx: _Org, vector: Vectors | None, n_docs: int, scope: IntArray | None
    ) -> FloatArray | None:
        """Cosine similarity (to the power `dense_power`) of the question to each of the
        `dense_threads` closest threads (of `scope`, None: of all), 0 for the others; credited
        to the threads' answerers like text (decayed, accepted answers weighted more)."""
        t = idx.tuning
        if vector is None or not t.w_dense or not n_docs or len(idx.E) < n_docs:
            return None
        # a slice when every thread counts: fancy indexing would copy the whole matrix
        top, sims = _nearest(
            idx.E[:n_docs] if scope is None else idx.E[scope], vector, t.dense_threads
        )
        if not len(top):
            return None
        out = np.zeros(n_docs)
        out[top if scope is None else scope[top]] = sims[top] ** t.dense_power
        return out

    def _answer_similarities(
        self, idx: _Org, vector: Vectors | None, n_people: int, scope: IntArray | None
    ) -> FloatArray | None:
        """Per person, the summed cosine similarity of the question to their own answers among
        the `answer_neighbours` answers closest to it (of the answers in the threads of
        `scope`, None: of all; not decayed: it says what they know)."""
        t = idx.tuning
        n = len(idx.answer_row)
        if vector is None or not t.w_answer_dense or not n:
            return None
        authors = idx.answer_author[:n]
        if scope is None:
            top, sims = _nearest(idx.A[:n], vector, t.answer_neighbours)
        else:
            in_scope = np.zeros(len(idx.doc_question), bool)
            in_scope[scope] = True
            rows = np.flatnonzero(in_scope[idx.answer_doc[:n]])
            top, sims = _nearest(idx.A[rows], vector, t.answer_neighbours)
            authors = authors[rows]
        out = np.zeros(n_people)
        np.add.at(out, authors[top], sims[top])
        return out

    def _inferred(
        self, idx: _Org, top_docs: IntArray, doc_text: FloatArray, n_people: int
    ) -> FloatArray:
        """Tag evidence for the tags of the threads most like the question, weighted by how
        much of that likeness each tag carries: helps short or untagged questions."""
        t = idx.tuning
        out = np.zeros(n_people)
        n_skills = len(idx.skill_ids)
        if not len(top_docs) or not n_skills:
            return out
        m = min(t.infer_threads, len(top_docs))
        near = top_docs
        if m < len(top_docs):
            near = top_docs[np.argpartition(-doc_text[top_docs], m - 1)[:m]]
        by_skill = idx.ST.row_sum(near, doc_text[near], n_skills)
        k = min(t.infer_tags, int((by_skill > 0).sum()))
        if k == 0:
            return out
        rows = np.argpartition(-by_skill, k - 1)[:k] if k < n_skills else np.arange(n_skills)
        rows = rows[by_skill[rows] > 0]
        n_docs = max(len(idx.doc_question), 1)
        df = np.asarray([idx.skill_df[r] for r in rows.tolist()], np.float64)
        weights = by_skill[rows] / by_skill[rows].sum() * _idf(df, n_docs)
        for r, w in zip(rows.tolist(), weights.tolist(), strict=True):
            docs, _ = idx.S.row_entries(r)
            if len(docs):
                out += w * idx.C.row_sum(docs, np.ones(len(docs)), n_people)
        return out

    def _skill_counts(self, idx: _Org, r: int, n_people: int) -> tuple[FloatArray, FloatArray]:
        docs, _ = idx.S.row_entries(r)
        ones = np.ones(len(docs))
        return idx.P.row_sum(docs, ones, n_people), idx.K.row_sum(docs, ones, n_people)

    async def similar_questions(
        self, org_id: UUID, text: str, limit: int, min_score: float
    ) -> Sequence[SimilarQuestion]:
        idx = await self._fresh(org_id)
        n_docs = len(idx.doc_question)
        term_ids, weights, ceiling = self._query_terms(idx, text)
        if not len(term_ids) or not ceiling:
            return []
        scores = idx.T.row_sum(term_ids, weights, n_docs)
        k = min(n_docs, limit * 4)
        top = np.argpartition(-scores, k - 1)[:k] if k < n_docs else np.arange(n_docs)
        # BM25 finds the candidates; the similarity shown and filtered on is how much of the
        # question's weight (rare words weigh most) the earlier thread contains. BM25's own
        # scale depends on thread lengths and corpus size: a question asked again word for word
        # scored 0.3 in a small organisation. Coverage is 1.0 for it whatever the corpus.
        found: list[tuple[float, float, UUID]] = []
        for d in top.tolist():
            q = idx.doc_question[d]
            if q is None or scores[d] <= 0:
                continue
            held = sum(
                float(w)
                for t, w in zip(term_ids.tolist(), weights.tolist(), strict=True)
                if idx.T.get(t, d)
            )
            similarity = min(1.0, held / ceiling)
            if similarity >= min_score:
                found.append((similarity, float(scores[d]), q))
        found.sort(key=lambda f: (-f[0], -f[1]))
        # a question with several answers has a thread per answer: offer it once
        best = {q: sim for sim, _, q in reversed(found)}
        return [SimilarQuestion(q, best[q]) for q in dict.fromkeys(q for _, _, q in found)][:limit]


def _count_evidence(idx: _Org, c: int, kind: str, rating: float | None) -> None:
    if kind == "office_hours":
        idx.office_hours[c] += 1
        if rating is not None:
            idx.rating_sum[c] += float(rating)
            idx.rating_n[c] += 1
    elif kind == "resource":
        idx.resources[c] += 1
    elif kind == "demo":
        idx.demos[c] += 1


def _fused(signals: tuple[tuple[FloatArray, float], ...], k: float, depth: int) -> FloatArray:
    """Weighted reciprocal-rank fusion over the `depth` best of each signal."""
    out = np.zeros(len(signals[0][0]))
    for values, weight in signals:
        if weight == 0 or not len(values):
            continue
        n = min(depth, int((values > 0).sum()))
        if n == 0:
            continue
        top = np.argpartition(-values, n - 1)[:n] if n < len(values) else np.arange(len(values))
        top = top[np.argsort(-values[top], kind="stable")]
        out[top] += weight / (k + np.arange(1, len(top) + 1))
    return out


def _shortlist(doc_text: FloatArray, n: int) -> IntArray | None:
    """The `n` threads of highest text score (None: every thread, when `n` is 0 or no thread
    shares a word with the question)."""
    if n <= 0:
        return None
    hits = np.flatnonzero(doc_text > 0)
    if not len(hits):
        return None
    if len(hits) <= n:
        return hits
    return hits[np.argpartition(-doc_text[hits], n - 1)[:n]]


def _nearest(rows: Vectors, vector: Vectors, k: int) -> tuple[IntArray, FloatArray]:
    """The `k` rows most similar to `vector` (positive similarity only) and every row's
    similarity."""
    # einsum, not BLAS: as fast on these memory-bound products, and one thread (BLAS wakes its
    # threads for every product, which cost a few ms a question on a busy machine)
    sims = np.einsum("ij,j->i", rows, vector).astype(np.float64)
    n = len(sims)
    k = min(k, n)
    top = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
    return top[sims[top] > 0], sims


def _room(matrix: Vectors, row: int, dim: int) -> Vectors:
    """`matrix` with room for `row` (doubling, so appends cost O(1) on average)."""
    if row < len(matrix) and matrix.shape[1] == dim:
        return matrix
    grown = np.zeros((max(64, 2 * len(matrix), row + 1), dim), np.float32)
    if matrix.shape[1] == dim:
        grown[: len(matrix)] = matrix
    return grown


def _dense_text(title: str, body: str) -> str:
    return f"{title}. {body}" if title and body else title or body


def _unit(values: FloatArray) -> FloatArray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


__all__ = ["SparseExpertIndex", "Tuning"]
