"""Each third-party library is included by exactly one production file: its adapter.

The adapters turn the library's exceptions and types into neuropart's own (Status, plain
structs), so the rest of the tree never sees them. A second includer is how a library's
exceptions and duplicated set-up creep back; this test names it. Test code (`*_test.cc`,
`*_test_util.h`, `testing/` folders, fuzzers, bench/, tests/) may include what it needs.
Eigen is the math vocabulary of model/ and engine/ (MatrixF in their headers), not an adapter's
business, and is not listed.
"""
import os
import re
import unittest

ROOT = os.environ.get("NEUROPART_SOURCE_DIR",
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# library -> (include pattern, the one production file allowed to include it)
ADAPTERS = {
    "ZeroMQ": (r"zmq\.hpp?|zmq_addon\.hpp", "worker/zmq_socket.cc"),
    "cpprestsdk": (r"cpprest/", "operator/kube/cpprest_transport.cc"),
    "yaml-cpp": (r"yaml-cpp/", "core/src/yaml/yaml_reader.cc"),
    "prometheus-cpp": (r"prometheus/", "core/src/metrics/registry.cc"),
    "nlohmann-json": (r"nlohmann/", "core/include/neuropart/base/json.h"),
    "CLI11": (r"CLI/", "core/src/app/flags.cc"),
    "zlib": (r"zlib\.h", "core/src/store/zlib.cc"),
    "OpenBLAS": (r"cblas\.h|openblas_config\.h", "core/src/engine/gemm.cc"),
}

PRODUCTION_DIRS = ("core", "worker", "operator", "cli")
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.MULTILINE)


def is_test_code(path):
    name = os.path.basename(path)
    return (name.endswith("_test.cc") or name.endswith("_test_util.h") or "fuzzer" in name
            or "/testing/" in path)


def production_files():
    for top in PRODUCTION_DIRS:
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            for name in names:
                path = os.path.relpath(os.path.join(folder, name), ROOT)
                if name.endswith((".cc", ".h")) and not is_test_code(path):
                    yield path


def includers():
    """library -> sorted production files that include it."""
    found = {library: set() for library in ADAPTERS}
    for path in production_files():
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            headers = INCLUDE.findall(f.read())
        for library, (pattern, _) in ADAPTERS.items():
            if any(re.match(pattern, h) for h in headers):
                found[library].add(path)
    return {library: sorted(paths) for library, paths in found.items()}


class IncludeGraphTest(unittest.TestCase):
    def test_each_library_has_exactly_its_adapter_as_includer(self):
        found = includers()
        for library, (_, adapter) in ADAPTERS.items():
            with self.subTest(library=library):
                self.assertEqual(found[library], [adapter],
                                 f"{library} must be included by {adapter} alone")

    def test_the_walk_sees_production_and_skips_tests(self):
        files = set(production_files())
        self.assertIn("worker/zmq_transport.cc", files)
        self.assertNotIn("worker/zmq_transport_test.cc", files)
        self.assertNotIn("worker/testing/hostile_peer.cc", files)


if __name__ == "__main__":
    unittest.main()
