-- Accounts. `username_key` (lowercase) carries the case-insensitive unique index with a binary
-- collation, so uniqueness is exactly "same letters ignoring case" and not the collation's wider
-- accent folding. It is wider than `username` because lowercasing can lengthen a name ('İ' becomes
-- two characters). MFA secrets are stored sealed (AES-256-GCM), never in clear.
CREATE TABLE users (
    id BIGINT NOT NULL PRIMARY KEY,
    username VARCHAR(32) NOT NULL,
    username_key VARCHAR(96) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    avatar_key VARCHAR(512) NULL,
    mfa_secret VARBINARY(128) NULL,
    mfa_pending VARBINARY(128) NULL,
    mfa_last_step BIGINT NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    deleted_at DATETIME(3) NULL,
    UNIQUE KEY uk_users_username_key (username_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Refresh-token sessions: one row per login. Refresh rotates `current_jti`; presenting an older jti
-- (a reused refresh token) revokes the session. Logout and password change set `revoked_at`.
CREATE TABLE sessions (
    id BIGINT NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    current_jti BIGINT NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    revoked_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL,
    KEY ix_sessions_user (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
