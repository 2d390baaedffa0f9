"""Awards: from grades to credentials, decided by pure rules and issued exactly once through an outbox."""
