# syntax=docker/dockerfile:1
# qbank: `qbank-server` and the `qbank` CLI in a small image that runs as a
# non-root user with the database on a volume.
#
#   docker build -t qbank .
#   docker compose up          # see docker-compose.yml and the README

# --- build: the whole workspace, release, exactly the locked dependencies.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and build artifacts between builds, so a
# source change recompiles only qbank; the binaries are copied out because
# cache mounts are not part of the layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --package qbank --package qbank-cli \
    && mkdir -p /out \
    && cp target/release/qbank-server target/release/qbank /out/

# --- runtime: Debian slim; the binaries need only glibc (SQLite is bundled,
# TLS is rustls).
FROM debian:bookworm-slim
# A fixed uid/gid, so operators can own a bind-mounted directory to match.
RUN groupadd --system --gid 10001 qbank \
    && useradd --system --uid 10001 --gid qbank --home-dir /var/lib/qbank \
       --shell /usr/sbin/nologin qbank \
    && install --directory --owner qbank --group qbank --mode 0750 /var/lib/qbank
COPY --from=build /out/qbank-server /out/qbank /usr/local/bin/

# Every flag has a QBANK_* variable (qbank-server --help); these make the
# server reachable from outside the container and keep the database on the
# volume. Logs are JSON lines for log shippers.
ENV QBANK_LISTEN=0.0.0.0:50051 \
    QBANK_METRICS_LISTEN=0.0.0.0:9464 \
    QBANK_DB=/var/lib/qbank/qbank.db \
    QBANK_LOG_FORMAT=json
# The SQLite file and its WAL live here; a volume keeps them across
# container restarts and upgrades.
VOLUME /var/lib/qbank
# gRPC, gRPC-Web and reflection on 50051; Prometheus metrics on 9464.
EXPOSE 50051 9464

USER qbank:qbank
WORKDIR /var/lib/qbank
# The probe is the server binary itself (it asks grpc.health.v1.Health on
# QBANK_LISTEN), so the image needs no extra probe program or shell.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["qbank-server", "healthcheck"]
# SIGTERM (docker stop) drains in-flight calls; see QBANK_SHUTDOWN_TIMEOUT.
STOPSIGNAL SIGTERM
ENTRYPOINT ["qbank-server"]
