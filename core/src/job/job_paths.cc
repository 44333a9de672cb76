#include "neuropart/job/job_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "neuropart/store/checkpoint.h"
#include "neuropart/store/file_util.h"

namespace neuropart {
namespace {

std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

// Opens and closes `path`: proves it exists, is readable by this uid and is not a directory.
Status CheckReadableFile(const ParsedJob& job, const std::string& field, const std::string& path) {
  std::string problem;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0) {
    problem = ErrnoText(errno);
  } else if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    problem = "is a directory, not a file";
  }
  if (fd >= 0) ::close(fd);
  if (problem.empty()) return Status::Ok();
  return Locate(InvalidArgumentError(field + ": " + path + ": " + problem), job.source);
}

}  // namespace

std::string WeightsPath(const JobSpec& spec, const std::string& store) {
  return spec.weights[0] == '/' ? spec.weights : store + "/" + spec.weights;
}

std::string ExportPath(const JobSpec& spec, const std::string& store) {
  return JobDir(store, spec.name) + "/export/model.safetensors";
}

Status CheckDatasetFiles(const ParsedJob& job) {
  if (job.spec.mode != JobMode::kTrain) return Status::Ok();
  const DatasetSpec& d = job.spec.training.dataset;
  const std::pair<const char*, const std::string*> files[] = {
      {"images", &d.images}, {"labels", &d.labels}, {"testImages", &d.test_images},
      {"testLabels", &d.test_labels}, {"path", &d.path}, {"testPath", &d.test_path}};
  for (const auto& [key, path] : files) {
    if (path->empty()) continue;
    RETURN_IF_ERROR(
        CheckReadableFile(job, std::string("spec.training.dataset.") + key, *path));
  }
  return Status::Ok();
}

Status CheckJobStore(const ParsedJob& job, const std::string& store, const std::string& field) {
  auto refuse = [&](const std::string& why) {
    return Locate(InvalidArgumentError(field + ": " + why), job.source);
  };
  if (Status s = CheckWritableDirectory(JobDir(store, job.spec.name)); !s.ok()) {
    return s.code() == StatusCode::kInternal ? s : refuse(s.message());
  }
  // Training ends by writing the model here: a file in the way would fail the finished job.
  const std::string model = ExportPath(job.spec, store);
  const std::string dir = model.substr(0, model.rfind('/'));
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
    return refuse(dir + " is not a directory; the job exports its model to " + model);
  }
  if (::stat(model.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return refuse(model + " is a directory; the job exports its model there");
  }
  return Status::Ok();
}

}  // namespace neuropart
