# clipfed's container images: one file, one target per process.
#
#   docker build --target video -t clipfed/video:0.1.0 .      (router, user, video, social, search, upload)
#
# By default the binaries are compiled here, in the public Rust image (release profile, the lock
# file's versions). `deploy/podman.sh` builds the same targets with podman on a machine without an
# image registry: BINARIES=prebuilt takes release binaries built on the host from the context
# (target/release and .clipfed/images, see .dockerignore) and RUNTIME_IMAGE is a Debian bookworm
# base made with debootstrap. Runtime images: Debian bookworm, a non-root user (10001), the binary
# and its runtime files only (the ONNX model for search, ffmpeg for video, the router's
# configuration and supergraph). docs/deploy.md.

ARG RUST_IMAGE=docker.io/library/rust:1.95-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
ARG BINARIES=build

# --- compiled from source ---------------------------------------------------------------------
FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
        -p clipfed-router --bin clipfed-router -p clipfed-user --bin clipfed-user \
        -p clipfed-video --bin clipfed-video -p clipfed-social --bin clipfed-social \
        -p clipfed-search --bin clipfed-search -p clipfed-upload --bin clipfed-upload \
 && mkdir -p /out \
 && cp target/release/clipfed-router target/release/clipfed-user target/release/clipfed-video \
       target/release/clipfed-social target/release/clipfed-search target/release/clipfed-upload /out/ \
 && python3 deploy/fetch_model.py /out/open-nsfw.onnx

# --- built on the host (deploy/podman.sh) -----------------------------------------------------
FROM scratch AS prebuilt
COPY target/release/clipfed-router target/release/clipfed-user target/release/clipfed-video \
     target/release/clipfed-social target/release/clipfed-search target/release/clipfed-upload \
     .clipfed/images/open-nsfw.onnx /out/

FROM ${BINARIES} AS binaries

# --- what every runtime image shares ----------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin clipfed
USER 10001:10001

FROM runtime AS user
COPY --from=binaries /out/clipfed-user /usr/local/bin/
EXPOSE 8101
ENTRYPOINT ["/usr/local/bin/clipfed-user"]

FROM runtime AS video
USER root
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/share/doc /usr/share/man
USER 10001:10001
COPY --from=binaries /out/clipfed-video /usr/local/bin/
EXPOSE 8102
ENTRYPOINT ["/usr/local/bin/clipfed-video"]

FROM runtime AS social
COPY --from=binaries /out/clipfed-social /usr/local/bin/
EXPOSE 8103
ENTRYPOINT ["/usr/local/bin/clipfed-social"]

FROM runtime AS search
COPY --from=binaries /out/clipfed-search /usr/local/bin/
COPY --from=binaries /out/open-nsfw.onnx /usr/share/clipfed/open-nsfw.onnx
ENV CLIPFED_EMBEDDER__MODEL_PATH=/usr/share/clipfed/open-nsfw.onnx
EXPOSE 8104
ENTRYPOINT ["/usr/local/bin/clipfed-search"]

FROM runtime AS upload
COPY --from=binaries /out/clipfed-upload /usr/local/bin/
EXPOSE 8105
ENTRYPOINT ["/usr/local/bin/clipfed-upload"]

FROM runtime AS router
COPY --from=binaries /out/clipfed-router /usr/local/bin/
COPY router/router.config.yaml /etc/clipfed/router.config.yaml
COPY schema/supergraph.graphql /usr/share/clipfed/supergraph.graphql
ENV ROUTER_CONFIG_FILE_PATH=/etc/clipfed/router.config.yaml \
    SUPERGRAPH_FILE_PATH=/usr/share/clipfed/supergraph.graphql \
    HOST=0.0.0.0
EXPOSE 8100
ENTRYPOINT ["/usr/local/bin/clipfed-router"]
