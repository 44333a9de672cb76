# One Kubernetes component image around a static binary built here from its Go module:
#   podman build -f component.Dockerfile --build-arg BINARY=etcd -t registry.k8s.io/etcd:... DIR
# kubeadm's static pods call the binary by name (PATH), its CoreDNS add-on relies on the image's
# entrypoint (scratch has no ln, hence the second copy). kube-proxy, which needs iptables, has its
# own Dockerfile.
FROM scratch
ARG BINARY
ENV PATH=/usr/local/bin
COPY --chmod=0755 ${BINARY} /usr/local/bin/${BINARY}
COPY --chmod=0755 ${BINARY} /entrypoint
ENTRYPOINT ["/entrypoint"]
