# The pod sandbox image (containerd's sandbox_image, registry.k8s.io/pause): Debian's static
# catatonit in pause mode sleeps until a signal, as the upstream pause binary does.
FROM scratch
COPY --chmod=0755 catatonit /pause
ENTRYPOINT ["/pause", "-P"]
