// The prometheus-cpp adapter: the only file that includes it.
#include "neuropart/metrics/registry.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <cassert>

namespace neuropart::metrics {

struct Registry::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  Labels constant;
  std::map<std::string, prometheus::Family<prometheus::Counter>*> counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> gauges;
  std::map<std::string, prometheus::Family<prometheus::Histogram>*> histograms;
  std::map<std::string, prometheus::Histogram::BucketBoundaries> buckets;
};

void Counter::Increment(double by) const { c_->Increment(by); }
void Gauge::Set(double value) const { g_->Set(value); }
void Histogram::Observe(double value) const { h_->Observe(value); }

Registry::Registry(Labels constant) : impl_(std::make_unique<Impl>()) {
  impl_->constant = std::move(constant);
}

Registry::~Registry() = default;

void Registry::DeclareCounter(const std::string& name, const std::string& help) {
  impl_->counters[name] = &prometheus::BuildCounter()
                               .Name(name)
                               .Help(help)
                               .Labels(impl_->constant)
                               .Register(*impl_->registry);
}

void Registry::DeclareGauge(const std::string& name, const std::string& help) {
  impl_->gauges[name] = &prometheus::BuildGauge()
                             .Name(name)
                             .Help(help)
                             .Labels(impl_->constant)
                             .Register(*impl_->registry);
}

void Registry::DeclareHistogram(const std::string& name, const std::string& help,
                                std::vector<double> buckets) {
  impl_->histograms[name] = &prometheus::BuildHistogram()
                                 .Name(name)
                                 .Help(help)
                                 .Labels(impl_->constant)
                                 .Register(*impl_->registry);
  impl_->buckets[name] = std::move(buckets);
}

Counter Registry::GetCounter(const std::string& name, const Labels& labels) {
  assert(impl_->counters.count(name));
  return Counter(&impl_->counters.at(name)->Add(labels));
}

Gauge Registry::GetGauge(const std::string& name, const Labels& labels) {
  assert(impl_->gauges.count(name));
  return Gauge(&impl_->gauges.at(name)->Add(labels));
}

Histogram Registry::GetHistogram(const std::string& name, const Labels& labels) {
  assert(impl_->histograms.count(name));
  return Histogram(&impl_->histograms.at(name)->Add(labels, impl_->buckets.at(name)));
}

double Registry::CounterValue(const std::string& name, const Labels& labels) const {
  auto family = impl_->counters.find(name);
  if (family == impl_->counters.end()) return 0;
  // Has() + Add() would create a series as a side effect of reading; collect instead.
  for (const prometheus::MetricFamily& mf : family->second->Collect()) {
    for (const prometheus::ClientMetric& m : mf.metric) {
      bool match = true;
      for (const auto& [key, value] : labels) {
        bool found = false;
        for (const prometheus::ClientMetric::Label& l : m.label) {
          found |= l.name == key && l.value == value;
        }
        match &= found;
      }
      if (match) return m.counter.value;
    }
  }
  return 0;
}

std::string Registry::Text() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace neuropart::metrics
