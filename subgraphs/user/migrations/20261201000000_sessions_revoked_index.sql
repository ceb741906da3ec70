-- The router's revocation feed reads the sessions revoked since a moment (`revokedSessions`).
CREATE INDEX ix_sessions_revoked ON sessions (revoked_at);
