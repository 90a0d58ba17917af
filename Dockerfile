# syntax=docker/dockerfile:1
# Plumbline as a container image: a static (musl) binary on distroless/static, run as the
# non-root user. Scan the current directory:
#
#   docker run --rm -v "$PWD:/src" ghcr.io/plumbline-dev/plumbline scan . --format sarif
#
# Build it (the binary is made by release/build.sh, as in the release workflow):
#
#   docker build -t plumbline --build-arg VERSION=0.2.0 .
#
# VERSION must be the version in Cargo.toml (empty: take it from Cargo.toml).
# Base images are pinned by digest; the tag beside each says what the digest is.

ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639

FROM ${RUST_IMAGE} AS builder
# musl-tools: the C compiler for the C parts of the dependencies (aws-lc, mimalloc) on musl;
# file: release/build.sh checks that the binary is statically linked. The packages are not
# pinned to versions: Debian's point releases replace them, and the base image is pinned.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools file \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
ARG VERSION=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN target="$(uname -m)-unknown-linux-musl" \
    && rustup target add "$target" \
    && release/build.sh "$target" "$VERSION" /dist \
    && mkdir /out \
    && tar -xzf /dist/plumbline-*-"$target".tar.gz -C /out plumbline \
    && /out/plumbline --version

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=""
ARG REVISION=""
ARG CREATED=""
LABEL org.opencontainers.image.title="plumbline" \
      org.opencontainers.image.description="Scan Kubernetes, Terraform, CloudFormation and Dockerfiles in Git against Rego policies; report as SARIF" \
      org.opencontainers.image.source="https://github.com/plumbline-dev/plumbline" \
      org.opencontainers.image.url="https://github.com/plumbline-dev/plumbline" \
      org.opencontainers.image.documentation="https://github.com/plumbline-dev/plumbline#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="Plumbline contributors" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=builder /out/plumbline /usr/local/bin/plumbline
# distroless/static carries CA certificates and the nonroot user (65532); name it explicitly
# so that the image runs unprivileged whatever the base's default.
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["plumbline"]
CMD ["--help"]
