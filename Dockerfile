# syntax=docker/dockerfile:1
#
# fly-store's image, in four stages:
#   chef     - Rust, the C headers the build links against, cargo-chef
#   planner  - reduces the manifests to a recipe of the dependencies
#   builder  - builds the dependencies from the recipe (a layer cached until
#              Cargo.toml or Cargo.lock change), then the app itself
#   runtime  - Debian slim with the binary, run as a non-root user
#
# static/index.html and the fonts are compiled into the binary, so the
# runtime stage needs nothing from the source tree but the settings file.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS chef
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libpq-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /build

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /build/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin fly-store

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: TLS to Postgres; libpq5 and libsqlite3-0: the binary
# links the system libraries. (The Machines API client carries its own
# root certificates.)
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libpq5 libsqlite3-0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin fly-store
COPY --from=builder /build/target/release/fly-store /usr/local/bin/fly-store
COPY deploy/fly-store.toml /app/fly-store.toml
COPY static/fonts/LICENSE-DejaVu.txt /usr/share/doc/fly-store/LICENSE-DejaVu.txt
WORKDIR /app
USER fly-store:fly-store
EXPOSE 8000
CMD ["fly-store", "serve"]
