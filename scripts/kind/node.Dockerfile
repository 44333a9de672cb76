# A kind node image built without a registry (scripts/kind/build-node-image.sh assembles the
# context). kind's own recipe (images/base/Dockerfile in the sigs.k8s.io/kind module, whose
# files/ folder is copied into this context as kind-files/) clones containerd 2.x, runc, crictl
# and the CNI plugins from their repositories; here they come from Debian instead: containerd
# 1.6 (kind v0.33 still writes containerd's config version 2, which 1.6 reads), runc, and
# containernetworking-plugins. Kubernetes v1.33 binaries and component images are built here
# from the k8s.io/kubernetes Go module (see build-node-image.sh).
FROM debian:bookworm

# The same package set and systemd clean-up as kind's base image, plus Debian's runtime pieces,
# installed before kind's files so that dpkg finds no foreign conffile to ask about.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      systemd conntrack iptables nftables iproute2 ethtool util-linux mount kmod \
      libseccomp2 pigz bash ca-certificates curl jq procps \
      containerd runc containernetworking-plugins \
 && rm -rf /var/lib/apt/lists/* \
 && find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
 && rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/* \
 && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
 && ln -sf /usr/lib/systemd/systemd /sbin/init \
 && ln -s /usr/bin/containerd /usr/local/bin/containerd \
 && mkdir -p /opt/cni/bin /etc/kubernetes/manifests /kind/images /kind/manifests \
 && cp /usr/lib/cni/host-local /usr/lib/cni/loopback /usr/lib/cni/ptp /usr/lib/cni/portmap \
       /usr/lib/cni/bridge /opt/cni/bin/

COPY --chmod=0755 kind-files/usr/local/bin/* /usr/local/bin/
COPY --chmod=0644 kind-files/kind/ /kind/
COPY --chmod=0755 kind-files/kind/bin/ /kind/bin/
COPY --chmod=0644 kind-files/etc/crictl.yaml /etc/
COPY --chmod=0644 kind-files/etc/containerd/* /etc/containerd/
COPY --chmod=0644 kind-files/etc/default/* /etc/default/
COPY --chmod=0644 kind-files/etc/sysctl.d/* /etc/sysctl.d/
COPY --chmod=0644 kind-files/etc/systemd/system/*.service kind-files/etc/systemd/system/*.slice /etc/systemd/system/
COPY --chmod=0644 kind-files/etc/systemd/system/kubelet.service.d/* /etc/systemd/system/kubelet.service.d/
RUN chmod 755 /kind /kind/bin \
 && ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' > /etc/containerd/cri-base.json

COPY --chmod=0644 node-files/ /
COPY --chmod=0755 bin/ /usr/bin/
COPY --chmod=0644 images/ /kind/images/
RUN systemctl enable kubelet.service containerd.service undo-mount-hacks.service \
      neuropart-import-images.service \
 && systemctl mask systemd-binfmt.service \
 && kubelet --version && kubeadm version -o short > /kind/version && cat /kind/version

ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
