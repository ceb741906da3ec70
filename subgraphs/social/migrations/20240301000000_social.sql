-- The social service's unsharded tables. Likes and comments live in `likes_<n>` / `comments_<n>`,
-- created at start-up for the configured shard count (store::shards).

-- Settings fixed once data exists (the shard count).
CREATE TABLE meta (
    name  VARCHAR(64)  NOT NULL PRIMARY KEY,
    value VARCHAR(255) NOT NULL
) ENGINE = InnoDB;

-- One row per follow. `mutual` is set on both rows of a pair that follow each other, so the
-- friends list is one index range.
CREATE TABLE follows (
    follower_id BIGINT      NOT NULL,
    followee_id BIGINT      NOT NULL,
    mutual      TINYINT(1)  NOT NULL DEFAULT 0,
    created_at  DATETIME(3) NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    KEY ix_follows_following (follower_id, created_at, followee_id),
    KEY ix_follows_followers (followee_id, created_at, follower_id),
    KEY ix_follows_friends (follower_id, mutual, created_at, followee_id)
) ENGINE = InnoDB;

-- Counters folded from interaction.events (kind: see domain::events::Counter::key).
CREATE TABLE counters (
    kind      TINYINT NOT NULL,
    entity_id BIGINT  NOT NULL,
    value     BIGINT  NOT NULL,
    PRIMARY KEY (kind, entity_id)
) ENGINE = InnoDB;

-- Event ids already folded into counters (replays and redeliveries are skipped).
CREATE TABLE applied_events (
    event_id BIGINT NOT NULL PRIMARY KEY
) ENGINE = InnoDB;

-- One row, locked by every fold and by the rebuild so they never interleave.
CREATE TABLE counter_lock (
    id TINYINT NOT NULL PRIMARY KEY
) ENGINE = InnoDB;
INSERT INTO counter_lock (id) VALUES (1);

-- Videos and users as their services announced them (video.events, user.events).
CREATE TABLE known_videos (
    id         BIGINT      NOT NULL PRIMARY KEY,
    author_id  BIGINT      NOT NULL,
    deleted_at DATETIME(3) NULL
) ENGINE = InnoDB;

CREATE TABLE known_users (
    id BIGINT NOT NULL PRIMARY KEY
) ENGINE = InnoDB;
