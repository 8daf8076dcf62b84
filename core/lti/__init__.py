"""LMS course placements over LTI 1.3: platform registrations, tool keys, launches, sessions."""
