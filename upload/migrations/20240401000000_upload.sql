-- Upload sessions (tus uploads and the west2 one-shot forms). One row per upload; the bytes live in
-- S3 except the tail after the last sent part, which is kept here so that every acknowledged offset
-- survives a crash. Rows go when the session expires (the object of a finished upload stays).
CREATE TABLE uploads (
    -- 128 random bits, hex: the upload URL is unguessable.
    id CHAR(32) CHARACTER SET ascii NOT NULL PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    -- 1 video, 2 avatar, 0 a partial upload of a concatenation (kind decided by the final one).
    kind TINYINT NOT NULL,
    -- 0 plain, 1 partial, 2 final.
    concat TINYINT NOT NULL DEFAULT 0,
    -- A final upload's Upload-Concat header (echoed by HEAD).
    concat_of VARCHAR(4096) NOT NULL DEFAULT '',
    -- NULL while the length is deferred.
    length BIGINT NULL,
    -- Bytes durably received: in sent parts plus `tail`.
    received BIGINT NOT NULL DEFAULT 0,
    -- While registration is pending (state 2), HEAD reports this offset so the client resends the
    -- last chunk and learns the outcome.
    resume_at BIGINT NOT NULL DEFAULT 0,
    -- The Upload-Metadata header as sent (echoed by HEAD), and what was read from it.
    metadata VARCHAR(4096) NOT NULL DEFAULT '',
    title VARCHAR(400) NOT NULL DEFAULT '',
    description TEXT NOT NULL,
    filename VARCHAR(255) NOT NULL DEFAULT '',
    object_key VARCHAR(512) NOT NULL,
    -- The S3 multipart upload, created with the first full part.
    s3_upload_id VARCHAR(1024) NULL,
    parts INT NOT NULL DEFAULT 0,
    content_type VARCHAR(127) NULL,
    tail MEDIUMBLOB NOT NULL,
    -- SHA-256 state over bytes [0, received): the whole-file checksum needs no second read.
    sha256_state VARBINARY(256) NOT NULL,
    -- Hex SHA-256 of the whole file, once complete.
    checksum CHAR(64) CHARACTER SET ascii NOT NULL DEFAULT '',
    -- 1 receiving, 2 complete in S3 but not yet registered, 3 done.
    state TINYINT NOT NULL DEFAULT 1,
    -- The recorded video id (videos) once done.
    result_id BIGINT NULL,
    expires_at DATETIME(3) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    KEY uploads_expiry (expires_at),
    KEY uploads_state (state)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Sent parts, in order; CompleteMultipartUpload lists exactly these.
CREATE TABLE upload_parts (
    upload_id CHAR(32) CHARACTER SET ascii NOT NULL,
    part_number INT NOT NULL,
    etag VARCHAR(128) NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (upload_id, part_number)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
