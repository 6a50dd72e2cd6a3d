"""The accounts the session's server is seeded with."""

PASSWORDS = {"alice": "alice-pass-1", "bob": "bob-pass-1", "carol": "carol-pass-1", "dave": "dave-pass-1"}
