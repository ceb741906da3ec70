-- Chat (the west2 document's C1 WebSocket): private messages between friends, and groups.

-- Private messages, both directions of a pair in one row set. `pair_lo`/`pair_hi` are the two
-- user ids in order, so a conversation's history is one index range whoever sent each message.
-- `read_at` is set when the receiver reads the history with the sender.
CREATE TABLE chat_messages (
    id          BIGINT      NOT NULL PRIMARY KEY,
    sender_id   BIGINT      NOT NULL,
    receiver_id BIGINT      NOT NULL,
    pair_lo     BIGINT      NOT NULL,
    pair_hi     BIGINT      NOT NULL,
    content     TEXT        NOT NULL,
    created_at  DATETIME(3) NOT NULL,
    read_at     DATETIME(3) NULL,
    KEY ix_chat_pair (pair_lo, pair_hi, id),
    KEY ix_chat_unread (receiver_id, read_at, sender_id)
) ENGINE = InnoDB;

CREATE TABLE chat_groups (
    id         BIGINT       NOT NULL PRIMARY KEY,
    name       VARCHAR(64)  NOT NULL,
    owner_id   BIGINT       NOT NULL,
    created_at DATETIME(3)  NOT NULL
) ENGINE = InnoDB;

CREATE TABLE chat_group_members (
    group_id  BIGINT      NOT NULL,
    user_id   BIGINT      NOT NULL,
    joined_at DATETIME(3) NOT NULL,
    PRIMARY KEY (group_id, user_id),
    KEY ix_chat_member_groups (user_id, group_id)
) ENGINE = InnoDB;

CREATE TABLE chat_group_messages (
    id         BIGINT      NOT NULL PRIMARY KEY,
    group_id   BIGINT      NOT NULL,
    sender_id  BIGINT      NOT NULL,
    content    TEXT        NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY ix_chat_group_history (group_id, id)
) ENGINE = InnoDB;
