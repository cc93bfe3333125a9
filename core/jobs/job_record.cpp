#include "jobs/job_record.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace toolgate {

const char* job_status_name(JobStatus s) {
  switch (s) {
    case JobStatus::Running: return "running";
    case JobStatus::Complete: return "complete";
    case JobStatus::Failed: return "failed";
    case JobStatus::Cancelled: return "cancelled";
  }
  return "failed";
}

std::optional<JobStatus> parse_job_status(const std::string& name) {
  for (JobStatus s : {JobStatus::Running, JobStatus::Complete, JobStatus::Failed, JobStatus::Cancelled})
    if (name == job_status_name(s)) return s;
  return std::nullopt;
}

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

boost::json::value json_number(double d) {
  if (d == std::floor(d) && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
  return d;
}

std::string iso8601_utc(std::int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(epoch_ms % 1000));
  return std::string(buf, n) + ms;
}

}  // namespace toolgate
