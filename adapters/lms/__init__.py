"""The LMS as an outbound service: AGS scores and NRPS rosters through pylti1p3, off the loop."""
