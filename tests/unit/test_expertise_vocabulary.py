"""Skill names compare case-, accent- and separator-insensitively; text folds the same way."""

from __future__ import annotations

from core.expertise.text import fold, phrases, skill_key, tokens


def test_spelling_variants_of_a_skill_share_one_key() -> None:
    assert skill_key("Generative-AI") == skill_key("generative_ai") == skill_key(" Generative  AI ")
    assert skill_key("KUBERNETES") == "kubernetes"
    assert skill_key("Kübernetes") == skill_key("kubernetes")
    assert skill_key("ＰＹＴＨＯＮ") == "python"


def test_folding_removes_accents_and_compatibility_forms() -> None:
    assert fold("Crème Brûlée") == "creme brulee"
    assert fold("Straße") == "strasse"


def test_tokens_drop_stop_words_and_fold_plurals() -> None:
    assert tokens("How do I roll back the Deployments?") == ["roll", "back", "deployment"]


def test_skills_named_in_a_question_are_found_as_phrases() -> None:
    found = phrases("Any tips for prompt engineering with GPT?")
    assert "prompt engineering" in found
    assert "gpt" in found
