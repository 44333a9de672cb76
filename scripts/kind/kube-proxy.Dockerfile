# kube-proxy programs iptables and conntrack, so its image carries Debian's.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iptables conntrack ipset kmod \
 && rm -rf /var/lib/apt/lists/*
COPY --chmod=0755 kube-proxy /usr/local/bin/kube-proxy
ENTRYPOINT ["/usr/local/bin/kube-proxy"]
