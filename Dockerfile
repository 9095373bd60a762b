# homehound in a container: a build stage with the Rust toolchain, then a
# small runtime image holding the binary, run as a non-root user.
#
#   docker build -t homehound .
#   docker run --env-file .env -v homehound-data:/var/lib/homehound homehound
#
# The database (SQLite by default) lives in the volume /var/lib/homehound;
# the sources file is /etc/homehound/sources.toml (mount your own over it).

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin homehound \
    && cp target/release/homehound /usr/local/bin/homehound

FROM debian:bookworm-slim
# ca-certificates for the listing sites and Telegram (rustls reads them too);
# curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/homehound --create-home homehound
COPY --from=build /usr/local/bin/homehound /usr/local/bin/homehound
COPY sources.example.toml /etc/homehound/sources.toml
USER homehound
WORKDIR /var/lib/homehound
ENV DATABASE_URL=sqlite:///var/lib/homehound/homehound.db?mode=rwc \
    SOURCES_FILE=/etc/homehound/sources.toml \
    HEALTH_ADDR=0.0.0.0:9090 \
    LOG_FORMAT=json
VOLUME ["/var/lib/homehound"]
EXPOSE 9090
# 200 while the bot, the scraper and the expiry worker are all alive.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9090/healthz >/dev/null || exit 1
# SIGTERM stops it cleanly (docker stop); exit codes as in docs/operations.md.
STOPSIGNAL SIGTERM
ENTRYPOINT ["homehound"]
CMD ["run"]
