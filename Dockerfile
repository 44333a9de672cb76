# neuropart images: `docker build --target worker -t neuropart-worker .` and
# `docker build --target operator -t neuropart-operator .` (tests/e2e/kind/ builds both).
# The build stage uses the same dependency script and CMake preset as CI; the runtime stages hold
# only the shared libraries the binaries load and run as a non-root user (Pod Security
# "restricted" needs runAsNonRoot with a numeric uid).

FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# -march=native would tie the image to the build machine's processor.
RUN cmake --preset release -DNEUROPART_NATIVE=OFF \
 && cmake --build --preset release --target neuropart-worker neuropart neuropart-operator

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgomp1 libyaml-cpp0.7 zlib1g libzmq5 libprometheus-cpp-core1.0 libcpprest2.10 libssl3 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 65532 --user-group --no-create-home --shell /usr/sbin/nologin neuropart
USER 65532:65532

FROM runtime AS worker
COPY --from=build /src/build/release/bin/neuropart-worker /src/build/release/bin/neuropart /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/neuropart-worker"]

FROM runtime AS operator
COPY --from=build /src/build/release/bin/neuropart-operator /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/neuropart-operator"]
