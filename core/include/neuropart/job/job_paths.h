// The files a job reads and writes, and the checks that run before any worker starts.
//
// A missing dataset, a store that cannot be written or an export path that is a file fail every
// attempt the same way: they are refused up front as InvalidArgument (exit 2, never retried),
// naming the field and its line in the job file. Stateless; thread-safe (they only stat, and
// CheckJobStore creates the job's directory).
#ifndef NEUROPART_JOB_JOB_PATHS_H_
#define NEUROPART_JOB_JOB_PATHS_H_

#include <string>

#include "neuropart/job/job_file.h"
#include "neuropart/status.h"

namespace neuropart {

// spec.model.weights, relative to the store unless absolute. REQUIRES: spec.weights not empty.
std::string WeightsPath(const JobSpec& spec, const std::string& store);
// <store>/jobs/<name>/export/model.safetensors: where a finished training writes the model.
std::string ExportPath(const JobSpec& spec, const std::string& store);

// Every dataset file spec.training names (training mode only) is a readable regular file:
// "spec.training.dataset.path: /data/train.csv: No such file or directory (job.yaml:19)".
Status CheckDatasetFiles(const ParsedJob& job);

// The job's directory in `store` can be created and written, and its export path is free for a
// file. `field` names where the store came from ("--store", "spec.storage.directory").
Status CheckJobStore(const ParsedJob& job, const std::string& store, const std::string& field);

}  // namespace neuropart

#endif  // NEUROPART_JOB_JOB_PATHS_H_
