// Metrics: Prometheus counters, gauges and histograms, and their text exposition for /metrics.
//
// registry.cc is the one file that uses prometheus-cpp; its types appear here only as forward
// declarations behind small handles. A Registry owns its families: declare each family once
// (by name), then take handles to its series by labels (a series is created on first use). The
// registry's constant labels are added to every series. Handles are cheap to copy and stay
// valid as long as their registry. Everything here is thread-safe.
#ifndef NEUROPART_METRICS_REGISTRY_H_
#define NEUROPART_METRICS_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace neuropart::metrics {

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void Increment(double by = 1) const;

 private:
  friend class Registry;
  explicit Counter(prometheus::Counter* c) : c_(c) {}
  prometheus::Counter* c_;
};

class Gauge {
 public:
  void Set(double value) const;

 private:
  friend class Registry;
  explicit Gauge(prometheus::Gauge* g) : g_(g) {}
  prometheus::Gauge* g_;
};

class Histogram {
 public:
  void Observe(double value) const;

 private:
  friend class Registry;
  explicit Histogram(prometheus::Histogram* h) : h_(h) {}
  prometheus::Histogram* h_;
};

class Registry {
 public:
  explicit Registry(Labels constant = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Declares a family. REQUIRES: `name` not declared before.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  // `buckets`: the upper bounds, ascending (+Inf is implied).
  void DeclareHistogram(const std::string& name, const std::string& help,
                        std::vector<double> buckets);

  // The series of family `name` with `labels`. REQUIRES: `name` declared with that kind.
  Counter GetCounter(const std::string& name, const Labels& labels = {});
  Gauge GetGauge(const std::string& name, const Labels& labels = {});
  Histogram GetHistogram(const std::string& name, const Labels& labels = {});

  // A counter series' value, or 0 when the series does not exist (reading creates nothing).
  double CounterValue(const std::string& name, const Labels& labels) const;
  // The Prometheus text exposition (format 0.0.4) of every series.
  std::string Text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace neuropart::metrics

#endif  // NEUROPART_METRICS_REGISTRY_H_
