"""Expert inventory and matching: skills, profiles, evidence, questions, answers and routing."""
