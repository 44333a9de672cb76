#include "neuropart/exec/serve_session.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "neuropart/engine/reference_trainer.h"
#include "neuropart/plan/distributor.h"
#include "neuropart/wire/payloads.h"
#include "neuropart/wire/values.h"

namespace neuropart {
namespace {

JobSpec ServeJob() {
  JobSpec spec;
  spec.name = "serve";
  spec.mode = JobMode::kServe;
  spec.model.input_size = 9;
  spec.model.layers = {{"h1", 14, Activation::kRelu, {}},
                       {"h2", 10, Activation::kSigmoid, {Connectivity::Type::kSparse, 4, 3}},
                       {"out", 6, Activation::kSoftmax, {}}};
  spec.init_seed = 21;
  return spec;
}

// Runs every partition of a serve job in a thread; the test is the client of partition 0.
class ServeHarness {
 public:
  ServeHarness(const JobSpec& spec, const Plan& plan) : spec_(spec), plan_(plan), net_(plan.num_partitions()) {
    for (int p = 0; p < plan.num_partitions(); ++p) {
      threads_.emplace_back([this, p] {
        ServeConfig c;
        c.spec = &spec_;
        c.plan = &plan_;
        c.store = "/nonexistent-store";  // no checkpoint: weights from the seed
        c.exec.partition = p;
        c.exec.timeout = std::chrono::milliseconds(20000);
        c.stop = [this] { return stop_.load(); };
        c.reply = [this](const wire::MessageHeader&, Message reply) {
          std::lock_guard<std::mutex> lock(mu_);
          replies_.push_back(std::move(reply));
          return Status::Ok();
        };
        StatusOr<ServeOutcome> out = RunServeSession(c, net_.Endpoint(p));
        std::lock_guard<std::mutex> lock(mu_);
        if (!out.ok()) errors_.push_back(out.status().ToString());
        if (out.ok() && p == 0) coordinator_ = *out;
      });
    }
  }

  // Sends rows [B, cols] and waits for the coordinator's reply.
  Message Ask(const MatrixF& x, uint64_t id) {
    Message m;
    m.header.type = wire::MsgType::kInferRequest;
    m.header.plan_hash = plan_.hash();
    m.header.source = wire::kClientSource;
    m.header.destination = 0;
    m.header.step = id;
    m.header.dtype = wire::DType::kF32;
    m.header.rows = x.rows();
    m.header.cols = x.cols();
    m.payload = wire::EncodeValues(x.data(), x.size(), wire::DType::kF32);
    m.header.payload_length = m.payload.size();
    size_t before;
    {
      std::lock_guard<std::mutex> lock(mu_);
      before = replies_.size();
    }
    EXPECT_TRUE(net_.Endpoint(0)->Send(std::move(m)).ok());
    for (int i = 0; i < 2000; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (replies_.size() > before) return replies_.back();
        if (!errors_.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "no reply";
    return {};
  }

  ServeOutcome Stop() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    EXPECT_TRUE(errors_.empty()) << errors_.front();
    return coordinator_;
  }
  ~ServeHarness() {
    if (!threads_.empty()) Stop();
  }

 private:
  const JobSpec& spec_;
  const Plan& plan_;
  InProcessNetwork net_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Message> replies_;
  std::vector<std::string> errors_;
  ServeOutcome coordinator_;
  std::vector<std::thread> threads_;
};

TEST(ServeSessionTest, AnswersEqualTheReferenceForwardPass) {
  const JobSpec spec = ServeJob();
  DistributionSpec d;
  d.partitions = 3;
  d.strategy = Strategy::kBalanced;
  const Plan plan = *Distribute(spec.model, d);
  ReferenceTrainer reference(spec.model, InitModel(spec.model, spec.init_seed), {});
  ServeHarness serve(spec, plan);
  for (int request = 0; request < 3; ++request) {
    const MatrixF x = MatrixF::Random(5 + request, 9);
    Message reply = serve.Ask(x, 100 + request);
    ASSERT_EQ(reply.header.type, wire::MsgType::kInferResponse);
    ASSERT_EQ(reply.header.rows, x.rows());
    ASSERT_EQ(reply.header.cols, 6u);
    MatrixF y(x.rows(), 6);
    ASSERT_TRUE(wire::DecodeValues(reply.payload, reply.header.dtype, y.data(), y.size()).ok());
    const MatrixF want = reference.Forward(x);
    EXPECT_LE((y - want).cwiseAbs().maxCoeff(), 1e-6f) << "request " << request;
  }
  EXPECT_EQ(serve.Stop().requests, 3);
}

TEST(ServeSessionTest, AWrongShapeIsRefusedWithTheReasonAndServingGoesOn) {
  const JobSpec spec = ServeJob();
  DistributionSpec d;
  d.partitions = 2;
  d.strategy = Strategy::kBalanced;
  const Plan plan = *Distribute(spec.model, d);
  ServeHarness serve(spec, plan);
  Message refused = serve.Ask(MatrixF::Zero(2, 4), 1);
  ASSERT_EQ(refused.header.type, wire::MsgType::kAbort);
  StatusOr<wire::AbortPayload> why = wire::DecodeAbort(refused.payload);
  ASSERT_TRUE(why.ok());
  EXPECT_EQ(why->message, "INFER_REQUEST: want rows x 9 inputs, got 2 x 4");
  EXPECT_EQ(serve.Ask(MatrixF::Zero(2, 9), 2).header.type, wire::MsgType::kInferResponse);
  const ServeOutcome out = serve.Stop();
  EXPECT_EQ(out.requests, 1);
  EXPECT_EQ(out.refused, 1);
}

}  // namespace
}  // namespace neuropart
