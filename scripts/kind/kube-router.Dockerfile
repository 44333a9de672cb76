# kube-router in firewall-only mode: it enforces NetworkPolicy with iptables and ipsets beside the
# node's static bridge CNI (bridged pod traffic passes iptables: br_netfilter is on here).
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      iptables ipset iproute2 conntrack \
 && rm -rf /var/lib/apt/lists/*
COPY --chmod=0755 kube-router /usr/local/bin/kube-router
ENTRYPOINT ["/usr/local/bin/kube-router"]
