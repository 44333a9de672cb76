#!/usr/bin/env python3
"""A stand-in for the kubelet in the e2e tests: runs the operator's pods as local processes.

The test control plane has no kubelet, so nothing would ever run the worker pods the operator
creates. This script plays the kubelet's part for pods labelled
app.kubernetes.io/managed-by=neuropart-operator, talking to the API server with the test's
kubeconfig (client certificate, TLS verified):

  * a new pod: its ConfigMap and Secret volumes are written to a directory, its PersistentVolumeClaim and
    emptyDir volumes become local directories (a claim is the same directory for every pod, like
    the shared NFS volume), its init containers run to completion, then its container's command
    runs with the pod's environment, where mount paths are mapped to those directories and the
    peers' DNS names (tcp://<pod>.<service>.<ns>.svc:<port>) to 127.0.0.1 with one port per pod;
    the pod's status becomes Running and Ready with podIP 127.0.0.1;
  * an exited container: phase Succeeded or Failed with the container's exit code; the
    termination message follows terminationMessagePolicy FallbackToLogsOnError, as the kubelet
    does: the log's tail, for a failed container only;
  * a pod being deleted: its process is stopped (TERM, then KILL) and the pod is removed
    (grace period 0), as the kubelet confirms a deletion; a pod that is simply gone has its
    process stopped before any new pod starts. Pods are bound to the node "standin" first, so a
    deletion or an eviction is graceful, as on a cluster;
  * an image whose registry host ends in ".invalid" cannot be pulled: the container waits with
    reason ImagePullBackOff and never starts;
  * $NEUROPART_STANDIN_DELAY ("ns/pod=seconds,..."): those pods start that long after they are
    created, as a slow image pull or a busy node would have them.

Usage: kubelet_standin.py KUBECONFIG WORKDIR BINDIR
"""
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import re

SELECTOR = "app.kubernetes.io/managed-by=neuropart-operator"


def log(msg):
    print(time.strftime("%H:%M:%S") + " kubelet-standin: " + msg, file=sys.stderr, flush=True)


def load_kubeconfig(path):
    """server, SSL context: enough of a kubeconfig written by control_plane.sh."""
    text = open(path).read()
    def field(name):
        m = re.search(r"^\s*" + re.escape(name) + r":\s*(\S+)\s*$", text, re.M)
        if not m:
            raise SystemExit("kubeconfig %s: no %s" % (path, name))
        return m.group(1)
    ctx = ssl.create_default_context(cafile=field("certificate-authority"))
    ctx.load_cert_chain(field("client-certificate"), field("client-key"))
    return field("server"), ctx


class Api:
    def __init__(self, server, ctx):
        self.server, self.ctx = server, ctx

    def call(self, method, path, body=None, content_type="application/json"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


NODE = "standin"


def parse_delays(text):
    delays = {}
    for item in filter(None, (text or "").split(",")):
        pod, _, seconds = item.partition("=")
        delays[pod.strip()] = float(seconds)
    return delays


class Kubelet:
    def __init__(self, api, workdir, bindir):
        self.api, self.workdir, self.bindir = api, workdir, bindir
        self.ports = {}     # "ns/pod" -> worker port on 127.0.0.1
        self.running = {}   # pod uid -> (Popen, log path, pod)
        self.delays = parse_delays(os.environ.get("NEUROPART_STANDIN_DELAY"))
        self.first_seen = {}  # pod uid -> when it was first listed

    def port_of(self, ns, pod):
        return self.ports.setdefault(ns + "/" + pod, free_port())

    def map_env(self, ns, pod_name, value, mounts):
        # The longest mount path first: a volume mounted inside another's path wins, as in a pod.
        for mount_path, local in sorted(mounts.items(), key=lambda m: -len(m[0])):
            if value == mount_path or value.startswith(mount_path + "/"):
                return local + value[len(mount_path):]
        m = re.fullmatch(r"tcp://(0\.0\.0\.0|\*):\d+", value)
        if m:
            return "tcp://127.0.0.1:%d" % self.port_of(ns, pod_name)
        if value.startswith("tcp://") and ".svc:" in value:
            peers = []
            for endpoint in value.split(","):
                host = endpoint[len("tcp://"):].split(":")[0]
                peer_pod, _, rest = host.partition(".")
                peer_ns = rest.split(".")[1] if rest.count(".") >= 2 else ns
                peers.append("tcp://127.0.0.1:%d" % self.port_of(peer_ns, peer_pod))
            return ",".join(peers)
        return value

    def volumes(self, ns, pod, root):
        """volume name -> local directory."""
        dirs = {}
        for v in pod["spec"].get("volumes", []):
            name = v["name"]
            if "configMap" in v:
                cm_name = v["configMap"]["name"]
                code, cm = self.api.call("GET", "/api/v1/namespaces/%s/configmaps/%s" % (ns, cm_name))
                if code != 200:
                    raise RuntimeError("configmap %s/%s: HTTP %d" % (ns, cm_name, code))
                d = os.path.join(root, "cm-" + name)
                os.makedirs(d, exist_ok=True)
                for key, text in (cm.get("data") or {}).items():
                    with open(os.path.join(d, key), "w") as f:
                        f.write(text)
                dirs[name] = d
            elif "secret" in v:
                # As the kubelet: the pod waits (here: raises, retried on the next pass) until the
                # Secret exists; only the listed items are written, owner-readable only.
                secret_name = v["secret"]["secretName"]
                code, secret = self.api.call("GET", "/api/v1/namespaces/%s/secrets/%s" % (ns, secret_name))
                if code != 200:
                    raise RuntimeError("secret %s/%s: HTTP %d" % (ns, secret_name, code))
                data = secret.get("data") or {}
                items = v["secret"].get("items") or [{"key": k, "path": k} for k in data]
                d = os.path.join(root, "secret-" + name)
                os.makedirs(d, mode=0o700, exist_ok=True)
                for item in items:
                    path = os.path.join(d, item["path"])
                    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                        f.write(base64.b64decode(data[item["key"]]))
                dirs[name] = d
            elif "persistentVolumeClaim" in v:
                d = os.path.join(self.workdir, "claims", ns, v["persistentVolumeClaim"]["claimName"])
                os.makedirs(d, exist_ok=True)
                dirs[name] = d
            else:  # emptyDir
                d = os.path.join(root, "empty-" + name)
                os.makedirs(d, exist_ok=True)
                dirs[name] = d
        return dirs

    def container_env(self, ns, pod, container, dirs):
        mounts = {}
        for m in container.get("volumeMounts", []):
            local = dirs[m["name"]]
            if m.get("subPath"):
                local = os.path.join(local, m["subPath"])
                os.makedirs(local, exist_ok=True)
            mounts[m["mountPath"]] = local
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
        for e in container.get("env", []):
            env[e["name"]] = self.map_env(ns, pod["metadata"]["name"], e.get("value", ""), mounts)
        argv = list(container.get("command", [])) + list(container.get("args", []))
        argv = [self.map_env(ns, pod["metadata"]["name"], a, mounts) for a in argv]
        exe = os.path.join(self.bindir, argv[0])
        if os.path.exists(exe):
            argv[0] = exe
        return argv, env

    def patch_status(self, ns, name, status):
        code, _ = self.api.call("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (ns, name),
                                {"status": status}, "application/merge-patch+json")
        if code != 200:
            log("status of %s/%s: HTTP %d" % (ns, name, code))

    def bind(self, pod):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        code, _ = self.api.call("POST", "/api/v1/namespaces/%s/pods/%s/binding" % (ns, name), {
            "apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": NODE}})
        if code not in (200, 201):
            log("bind %s/%s: HTTP %d" % (ns, name, code))
        return code in (200, 201)

    def cannot_pull(self, pod):
        """An image from a registry that does not exist: ImagePullBackOff, as the kubelet says."""
        container = pod["spec"]["containers"][0]
        registry = container["image"].split("/")[0]
        if not registry.endswith(".invalid"):
            return False
        status = pod.get("status") or {}
        if not status.get("containerStatuses"):
            ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
            self.patch_status(ns, name, {"containerStatuses": [{
                "name": container["name"], "ready": False, "restartCount": 0,
                "image": container["image"], "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff",
                                      "message": 'Back-off pulling image "%s"' % container["image"]}}}]})
            log("cannot pull %s for %s/%s" % (container["image"], ns, name))
        return True

    def start(self, pod):
        ns, name, uid = pod["metadata"]["namespace"], pod["metadata"]["name"], pod["metadata"]["uid"]
        root = os.path.join(self.workdir, "pods", uid)
        os.makedirs(root, exist_ok=True)
        dirs = self.volumes(ns, pod, root)
        for init in pod["spec"].get("initContainers", []):
            argv, env = self.container_env(ns, pod, init, dirs)
            rc = subprocess.call(argv, env=env, stdout=open(os.path.join(root, init["name"] + ".log"), "w"),
                                 stderr=subprocess.STDOUT)
            if rc != 0:
                self.finish(pod, rc, os.path.join(root, init["name"] + ".log"), "Init:Error")
                return
        container = pod["spec"]["containers"][0]
        argv, env = self.container_env(ns, pod, container, dirs)
        log_path = os.path.join(root, container["name"] + ".log")
        # The kubelet's terminationMessagePath file, which the worker writes its result to.
        env["NEUROPART_TERMINATION_LOG"] = log_path + ".termination"
        open(env["NEUROPART_TERMINATION_LOG"], "w").close()
        proc = subprocess.Popen(argv, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
        self.running[uid] = (proc, log_path, pod)
        log("started %s/%s (pid %d): %s" % (ns, name, proc.pid, " ".join(argv)))
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.patch_status(ns, name, {
            "phase": "Running", "podIP": "127.0.0.1", "hostIP": "127.0.0.1", "startTime": now,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
            "containerStatuses": [{"name": container["name"], "ready": True, "restartCount": 0,
                                   "image": container["image"], "imageID": "",
                                   "state": {"running": {"startedAt": now}}}]})

    def finish(self, pod, rc, log_path, reason=None):
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        message = ""
        if os.path.exists(log_path + ".termination"):
            with open(log_path + ".termination", errors="replace") as f:
                message = f.read()[:4096]
        if not message and rc != 0 and container.get("terminationMessagePolicy") == "FallbackToLogsOnError":
            with open(log_path, errors="replace") as f:
                message = "".join(f.readlines()[-20:])[-2048:]
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        terminated = {"exitCode": rc, "reason": reason or ("Completed" if rc == 0 else "Error"),
                      "finishedAt": now}
        if message:
            terminated["message"] = message
        self.patch_status(ns, name, {
            "phase": "Succeeded" if rc == 0 else "Failed",
            "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": now}],
            "containerStatuses": [{"name": container["name"], "ready": False, "restartCount": 0,
                                   "image": container["image"], "imageID": "",
                                   "state": {"terminated": terminated}}]})
        log("%s/%s exited with %d" % (ns, name, rc))

    def stop(self, uid):
        proc, _, pod = self.running.pop(uid)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log("stopped %s/%s" % (pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def sync(self):
        code, pods = self.api.call("GET", "/api/v1/pods?labelSelector=" + urllib.parse.quote(SELECTOR))
        if code != 200:
            log("list pods: HTTP %d" % code)
            return
        # Processes of pods that are gone stop first: the API server deletes a pod bound to no node
        # at once, and its successor (same name, same port) may already be in this list.
        seen = {pod["metadata"]["uid"] for pod in pods["items"]}
        for uid in list(self.running):
            if uid not in seen:
                self.stop(uid)
        for pod in pods["items"]:
            meta = pod["metadata"]
            uid = meta["uid"]
            phase = (pod.get("status") or {}).get("phase", "Pending")
            if meta.get("deletionTimestamp"):
                if uid in self.running:
                    self.stop(uid)
                self.api.call("DELETE", "/api/v1/namespaces/%s/pods/%s" % (meta["namespace"], meta["name"]),
                              {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
                continue
            if uid in self.running:
                proc, log_path, started = self.running[uid]
                rc = proc.poll()
                if rc is not None:
                    del self.running[uid]
                    self.finish(started, rc, log_path)
            elif phase == "Pending":
                first = self.first_seen.setdefault(uid, time.monotonic())
                delay = self.delays.get(meta["namespace"] + "/" + meta["name"], 0)
                if time.monotonic() - first < delay:
                    continue
                try:
                    if not pod["spec"].get("nodeName") and not self.bind(pod):
                        continue
                    if self.cannot_pull(pod):
                        continue
                    self.start(pod)
                except Exception as e:  # a broken pod must not stop the other pods
                    log("could not start %s/%s: %s" % (meta["namespace"], meta["name"], e))

    def shutdown(self, *_):
        for uid in list(self.running):
            self.stop(uid)
        sys.exit(0)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    server, ctx = load_kubeconfig(sys.argv[1])
    kubelet = Kubelet(Api(server, ctx), sys.argv[2], sys.argv[3])
    signal.signal(signal.SIGTERM, kubelet.shutdown)
    signal.signal(signal.SIGINT, kubelet.shutdown)
    log("watching pods with " + SELECTOR)
    while True:
        try:
            kubelet.sync()
        except Exception as e:  # the API server may be restarting
            log("sync failed: %s" % e)
        time.sleep(0.3)


if __name__ == "__main__":
    main()
