-- Videos and the idempotency record of applied visit events (the outbox table is kit::outbox's).
-- Every query of store/ is served by one of these indexes (docs/video.md explains each).

CREATE TABLE videos (
    id           BIGINT       NOT NULL PRIMARY KEY,
    author_id    BIGINT       NOT NULL,
    -- The upload service's session id: registering the same upload twice returns the first video.
    upload_id    VARCHAR(64)  NOT NULL,
    object_key   VARCHAR(512) NOT NULL,
    cover_key    VARCHAR(512) NULL,
    title        VARCHAR(255) NOT NULL,
    description  TEXT         NOT NULL,
    size_bytes   BIGINT       NULL,
    checksum     VARCHAR(128) NULL,
    content_type VARCHAR(127) NULL,
    duration_ms  BIGINT       NULL,
    -- 0: cover pending, 1: extracted (cover_key set), 2: default cover (no ffmpeg, or not decodable)
    cover_status TINYINT      NOT NULL DEFAULT 0,
    visit_count  BIGINT       NOT NULL DEFAULT 0,
    created_at   DATETIME(3)  NOT NULL,
    updated_at   DATETIME(3)  NOT NULL,
    deleted_at   DATETIME(3)  NULL,
    UNIQUE KEY uk_videos_upload (upload_id),
    -- feed: live videos newest first, optionally after a time
    KEY ix_videos_feed (deleted_at, created_at, id),
    -- an uploader's list, its total and User.videoCount batches
    KEY ix_videos_author (author_id, deleted_at, created_at, id),
    -- rebuilding the Redis ranking (top N by visits) and popular when Redis is down
    KEY ix_videos_visits (deleted_at, visit_count),
    -- covers still to extract after a restart
    KEY ix_videos_cover (cover_status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Visit events already folded into visit_count (ids are time-ordered, so old ones are pruned by range).
CREATE TABLE applied_visits (
    event_id BIGINT NOT NULL PRIMARY KEY
) ENGINE = InnoDB;
