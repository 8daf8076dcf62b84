"""Readers for the files admins import (people, question-and-answer history)."""
