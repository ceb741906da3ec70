-- The search service's own tables, rebuilt from video.events and user.events by replaying them.

-- Videos as announced (a deletion keeps the row, marked, so a late replay cannot revive it).
CREATE TABLE videos (
    id BIGINT NOT NULL PRIMARY KEY,
    author_id BIGINT NOT NULL,
    title VARCHAR(255) NOT NULL,
    description TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    KEY videos_live_time (deleted, created_at_ms, id),
    KEY videos_author_time (author_id, created_at_ms)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The keyword index: one row per (term, live video). The publish time is in the key so a term's
-- videos come out newest first and other terms of the same video are point lookups.
CREATE TABLE postings (
    term VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at_ms BIGINT NOT NULL,
    video_id BIGINT NOT NULL,
    PRIMARY KEY (term, created_at_ms, video_id),
    KEY postings_video (video_id)
) ENGINE = InnoDB;

-- Authors, for the username filter.
CREATE TABLE users (
    id BIGINT NOT NULL PRIMARY KEY,
    username VARCHAR(64) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Indexed images (their vectors live in Milvus under the same id).
CREATE TABLE images (
    id BIGINT NOT NULL PRIMARY KEY,
    object_key VARCHAR(512) NOT NULL,
    source VARCHAR(16) NOT NULL,
    source_id BIGINT NULL,
    sha256 BINARY(32) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    UNIQUE KEY images_object (object_key),
    KEY images_source (source, source_id)
) ENGINE = InnoDB;
