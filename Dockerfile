# neuropart images: `docker build --target worker -t neuropart-worker .` and
# `docker build --target operator -t neuropart-operator .` (BuildKit, Docker's default builder since
# 23.0, for the cache mount; podman build works the same: scripts/containers/build-images.sh,
# which the kind tier uses).
# The build stage compiles only what ships (BUILD_TESTING=OFF: no GoogleTest, Python or
# benchmarks) with the same dependency script and CMake preset as CI, and installs each image's
# binaries with `cmake --install --component`. The runtime stage holds exactly the shared
# libraries the binaries load (tests/containers checks each binary's ldd closure in the image)
# and runs as uid 65532 (Pod Security "restricted" needs runAsNonRoot with a numeric uid).

FROM debian:bookworm AS build
WORKDIR /src
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --build-only && rm -rf /var/lib/apt/lists/*
COPY . .
# -march=native would tie the image to the build machine's processor. The build tree is a cache
# mount, so a rebuild after a change compiles only what changed.
RUN --mount=type=cache,target=/src/build,id=neuropart-build \
    cmake --preset release -DNEUROPART_NATIVE=OFF -DBUILD_TESTING=OFF \
 && cmake --build --preset release \
 && cmake --install build/release --component worker --prefix /opt/worker \
 && cmake --install build/release --component operator --prefix /opt/operator

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgomp1 libopenblas0-openmp libyaml-cpp0.7 zlib1g libzmq5 libcpprest2.10 libssl3 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 65532 --user-group --no-create-home --shell /usr/sbin/nologin neuropart
USER 65532:65532

FROM runtime AS worker
COPY --from=build /opt/worker/bin/ /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/neuropart-worker"]

FROM runtime AS operator
COPY --from=build /opt/operator/bin/ /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/neuropart-operator"]
